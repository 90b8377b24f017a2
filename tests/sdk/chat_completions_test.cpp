// The Chat Completions decoder over loopback: null content beside reasoning or a length stop, reasoning as continuation, gzipped error statuses, the 0.2 read_openai_usage.
#include "test_servers.hpp"
#include "transport_test_support.hpp"

#include <majordomo/plugin.h>
#include <majordomo/sdk/call.hpp>
#include <majordomo/sdk/chat_completions.hpp>
#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/http.hpp>
#include <majordomo/sdk/parser_pool.hpp>

#include <catch2/catch.hpp>

#include <simdjson.h>

#include <algorithm>
#include <string>
#include <vector>

using namespace majordomo::sdk;
using namespace majordomo::test;

namespace {

// DeepSeek's flavour reads reasoning_content; the generic one (a vLLM server behind the
// compatible plugin) does not, and must still accept null content beside it.
constexpr ChatCompletionsFlavour kReasoningFlavour{.display_name = "DeepSeek", .provider_id = "deepseek",
                                                   .reasoning_content = true};
constexpr ChatCompletionsFlavour kPlainFlavour{.display_name = "vLLM", .provider_id = "compatible"};
// DeepSeek's as its plugin sets it: the reasoning of a tool-call answer is a continuation item.
constexpr ChatCompletionsFlavour kDeepSeekFlavour{.display_name = "DeepSeek", .provider_id = "deepseek",
                                                  .reasoning_content = true, .reasoning_continuation = true};

struct Seen {
  int32_t type;
  std::string text;
  int32_t stop = 0;
};

// Answers every request on the connection with `response`, until the client leaves.
RawServer::Script answers(std::string response) {
  return [response = std::move(response)](Poco::Net::StreamSocket& socket, int) {
    while (read_request(socket)) send_all(socket, response);
  };
}

std::string json_response(const std::string& body) {
  return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

std::string sse_response(const std::string& events) {
  return "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: " + std::to_string(events.size()) +
         "\r\n\r\n" + events;
}

std::vector<Seen> run(const std::string& response, bool stream, const ChatCompletionsFlavour& flavour) {
  static ParserPool parsers;
  RawServer server(answers(response));
  HttpTransport transport(quick_config());
  const std::string url = server.url();
  HttpCall call(transport, call_params(url, stream),
                majordomo::sdk::make_chat_completions_decoder(parsers.acquire(), flavour));
  std::vector<Seen> seen;
  mj_event event{};
  while (call.next(event)) {
    if (event.type == MJ_EVENT_META || event.type == MJ_EVENT_USAGE) continue;
    seen.push_back({event.type, std::string(event.text.data, event.text.size), event.stop_reason});
  }
  return seen;
}

std::string texts(const std::vector<Seen>& seen, int32_t type) {
  std::string out;
  for (const Seen& s : seen)
    if (s.type == type) out += s.text;
  return out;
}

const Seen* stop_of(const std::vector<Seen>& seen) {
  for (const Seen& s : seen)
    if (s.type == MJ_EVENT_STOP) return &s;
  return nullptr;
}

// An answer without text: only `reasoning`, then a stop for `stop`.
void check_empty_answer(const std::vector<Seen>& seen, const std::string& reasoning, int32_t stop) {
  CHECK(texts(seen, MJ_EVENT_TEXT).empty());
  CHECK(texts(seen, MJ_EVENT_REASONING) == reasoning);
  REQUIRE(stop_of(seen) != nullptr);
  CHECK(stop_of(seen)->stop == stop);
}

}  // namespace

TEST_CASE("null content beside reasoning_content is an empty answer, the reasoning kept", "[chat]") {
  const ChatCompletionsFlavour& flavour = GENERATE(std::cref(kReasoningFlavour), std::cref(kPlainFlavour));
  INFO(flavour.display_name);
  const std::vector<Seen> seen = run(json_response(
      R"({"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":null,)"
      R"("reasoning_content":"thinking..."},"finish_reason":"length"}]})"), false, flavour);
  CHECK(texts(seen, MJ_EVENT_TEXT).empty());
  CHECK(texts(seen, MJ_EVENT_REASONING) == (flavour.reasoning_content ? "thinking..." : ""));
  const Seen* stop = stop_of(seen);
  REQUIRE(stop != nullptr);
  CHECK(stop->stop == MJ_STOP_MAX_TOKENS);
  CHECK(stop->text == "length");
}

TEST_CASE("null content with reasoning_content and finish_reason stop is not a parse error", "[chat]") {
  const std::vector<Seen> seen = run(json_response(
      R"({"choices":[{"index":0,"message":{"content":null,"reasoning_content":"r"},"finish_reason":"stop"}]})"),
      false, kReasoningFlavour);
  check_empty_answer(seen, "r", MJ_STOP_END_TURN);
}

TEST_CASE("null content with finish_reason length alone is an empty answer cut by the cap", "[chat]") {
  const std::vector<Seen> seen = run(
      json_response(R"({"choices":[{"index":0,"message":{"content":null},"finish_reason":"length"}]})"), false,
      kPlainFlavour);
  CHECK(texts(seen, MJ_EVENT_TEXT).empty());
  REQUIRE(stop_of(seen) != nullptr);
  CHECK(stop_of(seen)->stop == MJ_STOP_MAX_TOKENS);
  CHECK(stop_of(seen)->text == "length");
}

TEST_CASE("null content alone is still a parse error", "[chat]") {
  const ProviderError error = expect_error([] {
    run(json_response(R"({"choices":[{"index":0,"message":{"content":null},"finish_reason":"stop"}]})"), false,
        kPlainFlavour);
  });
  CHECK(error.kind() == MJ_ERR_PARSE);
  CHECK_THAT(error.what(), Catch::Contains("content is null"));
}

TEST_CASE("a stream of reasoning with null content ending at the length cap", "[chat]") {
  const std::vector<Seen> seen = run(
      sse_response("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":null,\"reasoning_content\":\"a\"}}]}\n\n"
                   "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":null,\"reasoning_content\":\"b\"},"
                   "\"finish_reason\":\"length\"}]}\n\n"
                   "data: [DONE]\n\n"),
      true, kReasoningFlavour);
  check_empty_answer(seen, "ab", MJ_STOP_MAX_TOKENS);
}

TEST_CASE("the reasoning of an answer with tool calls is one continuation item where the flavour asks",
          "[chat][continuation]") {
  const std::string call =
      R"("tool_calls":[{"index":0,"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}])";
  const std::string body = json_response(
      R"({"choices":[{"index":0,"message":{"content":null,"reasoning_content":"think \"hard\"",)" + call +
      R"(},"finish_reason":"tool_calls"}]})");
  const std::string stream = sse_response(
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":null,\"reasoning_content\":\"think \\\"\"}}]}\n\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":null,\"reasoning_content\":\"hard\\\"\"}}]}\n\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{" + call + "}}]}\n\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n"
      "data: [DONE]\n\n");
  for (const bool streamed : {false, true}) {
    INFO((streamed ? "stream" : "body"));
    const std::string& response = streamed ? stream : body;
    const std::vector<Seen> seen = run(response, streamed, kDeepSeekFlavour);
    CHECK(texts(seen, MJ_EVENT_REASONING) == "think \"hard\"");
    CHECK(texts(seen, MJ_EVENT_CONTINUATION) == "reasoning_content:think \"hard\"");
    CHECK(std::count_if(seen.begin(), seen.end(), [](const Seen& s) { return s.type == MJ_EVENT_CONTINUATION; }) == 1);
    // Without the setting the reasoning stays reasoning only.
    CHECK(texts(run(response, streamed, kReasoningFlavour), MJ_EVENT_CONTINUATION).empty());
  }
  // No call: nothing to go back with.
  const std::vector<Seen> plain = run(
      json_response(R"({"choices":[{"index":0,"message":{"content":"a","reasoning_content":"r"},"finish_reason":"stop"}]})"),
      false, kDeepSeekFlavour);
  CHECK(texts(plain, MJ_EVENT_REASONING) == "r");
  CHECK(texts(plain, MJ_EVENT_CONTINUATION).empty());
}

TEST_CASE("a gzipped 429 stays a retryable rate limit with its Retry-After", "[chat]") {
  const std::string response =
      "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
      "Retry-After: 7\r\nx-request-id: req-z\r\nContent-Length: 3\r\n\r\n\x1f\x8b\x08";
  const bool stream = GENERATE(false, true);
  const ProviderError error = expect_error([&] { run(response, stream, kPlainFlavour); });
  CHECK(error.kind() == MJ_ERR_RATE_LIMITED);
  CHECK(error.http_status() == 429);
  CHECK(error.retry_after_ms() == 7000);
  CHECK(error.request_id() == "req-z");
  CHECK_THAT(error.what(), Catch::Contains("vLLM") && Catch::Contains("429") &&
                               Catch::Contains("body in gzip, not shown"));
}

TEST_CASE("read_openai_usage keeps its 0.2 signature beside the one naming the provider", "[chat]") {
  // A pointer of the old type must still bind: third-party plugins call it so.
  simdjson::error_code (*old_signature)(simdjson::ondemand::value&, const majordomo::sdk::UsageFieldNames&, mj_usage&,
                                        bool&) = &majordomo::sdk::read_openai_usage;
  simdjson::ondemand::parser parser;
  SECTION("reads the counts") {
    simdjson::padded_string json(std::string(R"({"usage":{"prompt_tokens":3,"completion_tokens":4}})"));
    simdjson::ondemand::document document = parser.iterate(json);
    simdjson::ondemand::value value = document["usage"];
    mj_usage usage{};
    bool present = false;
    REQUIRE(old_signature(value, majordomo::sdk::kChatUsageFields, usage, present) == simdjson::SUCCESS);
    CHECK(present);
    CHECK(usage.input_tokens == 3);
    CHECK(usage.output_tokens == 4);
  }
  SECTION("a bad count names no provider") {
    simdjson::padded_string json(std::string(R"({"usage":{"prompt_tokens":-1}})"));
    simdjson::ondemand::document document = parser.iterate(json);
    simdjson::ondemand::value value = document["usage"];
    mj_usage usage{};
    bool present = false;
    const ProviderError error =
        expect_error([&] { majordomo::sdk::read_openai_usage(value, majordomo::sdk::kChatUsageFields, usage, present); });
    CHECK(error.kind() == MJ_ERR_PARSE);
    CHECK_THAT(error.what(), Catch::StartsWith("the provider prompt_tokens"));
  }
}
