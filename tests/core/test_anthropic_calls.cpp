// Anthropic through the host over loopback: every fixture as JSON and stream, splits, typed errors, wire checks.
#include "provider_test_env.hpp"
#include "scoped_env.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace majordomo;
using majordomo::testing::ProviderTestEnv;
using majordomo::testing::ScopedEnv;
using majordomo::testing::drain;
using majordomo::testing::parse_object;

namespace {

// Expected values below were read off the fixture files by hand, not produced by our decoder.
const std::string kWeatherText =
    "The weather in San Francisco, CA is currently **68\xc2\xb0"
    "F and Sunny**. Great day out there!";
const std::string kToolPreamble =
    "I'll get the weather for each of those cities. Let me start by checking San Francisco.";
const std::string kOrderJson = R"({"product_name": "Green Tea", "price": 5.50, "quantity": 2})";
const std::string kTaxText =
    "I'll create a comprehensive tax guide for someone with multiple W2s and save it in a file "
    "called taxes.txt. Let me do that for you now.";
const std::string kThinkingText =
    "The user has simply said \"hey\" as a greeting without any specific request or question. I "
    "don't need to use any tools for this type of interaction. I should respond with a friendly "
    "greeting and ask how I can help them today.";
const std::string kGreetingText =
    "Hello! I'm Assistant, an AI here to help you. How can I assist you today? Feel free to ask "
    "questions or let me know what you're looking for, and I'll do my best to help.";

struct Expected {
  const char* fixture;
  bool stream;
  std::string content;
  std::string reasoning;
  StopReason stop;
  const char* raw_stop;
  int64_t input, output;
  const char* model;
};

std::string read_fixture(const std::string& relative) {
  std::ifstream in(std::string(MAJORDOMO_TEST_FIXTURES) + "/" + relative, std::ios::binary);
  REQUIRE(in);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string sse_event(std::string_view name, std::string_view data) {
  return fmt::format("event: {}\ndata: {}\n\n", name, data);
}

fake::ScriptedResponse sse_body(std::string body) {
  fake::ScriptedResponse response;
  response.content_type = "text/event-stream; charset=utf-8";
  response.body = std::move(body);
  return response;
}

// message_start plus an open text block: the start of every hand-written stream below.
std::string stream_prologue() {
  return sse_event("message_start",
                   R"({"type":"message_start","message":{"id":"msg_t","type":"message","role":"assistant",)"
                   R"("model":"claude-haiku-4-5-20251001","content":[],"stop_reason":null,"stop_sequence":null,)"
                   R"("usage":{"input_tokens":12,"output_tokens":1}}})") +
         sse_event("content_block_start",
                   R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})");
}

std::string text_delta(std::string_view text) {
  return sse_event("content_block_delta",
                   fmt::format(R"({{"type":"content_block_delta","index":0,"delta":{{"type":"text_delta","text":"{}"}}}})",
                               text));
}

}  // namespace

TEST_CASE("the anthropic plugin declares its endpoint, auth, version header and catalog", "[anthropic]") {
  ProviderTestEnv env;
  const PluginInfo* info = env.host.find_plugin("anthropic");
  REQUIRE(info != nullptr);
  CHECK(info->display_name == "Anthropic");
  CHECK(info->default_base_url == "https://api.anthropic.com");
  CHECK(info->api_key_env == "ANTHROPIC_API_KEY");
  CHECK(info->base_url_env == "ANTHROPIC_BASE_URL");
  for (const char* id : {"claude-fable-5-2", "claude-opus-5-5", "claude-sonnet-5-5", "claude-haiku-5-5",
                         "claude-sonnet-4-5", "claude-haiku-4-5"}) {
    CAPTURE(id);
    const ModelInfo* model = info->find_model(id);
    REQUIRE(model != nullptr);
    CHECK(model->priced());
    CHECK(model->cached_input_usd_per_mtok > 0);
    CHECK(model->cached_input_usd_per_mtok < model->input_usd_per_mtok);
    CHECK(model->cache_write_usd_per_mtok > model->input_usd_per_mtok);
    CHECK(model->max_output_tokens > 0);
  }
  // Retired on the first-party API, so no longer listed.
  for (const char* id : {"claude-opus-4-1", "claude-opus-4-0", "claude-sonnet-4-0", "claude-3-5-haiku-latest"}) {
    CAPTURE(id);
    CHECK(info->find_model(id) == nullptr);
  }
  // Opus 5.5 (official overview page): $4 in, $20 out, $0.20 cache read, $5 5-minute write, 128K.
  const ModelInfo* opus = info->find_model("claude-opus-5-5");
  REQUIRE(opus != nullptr);
  CHECK(opus->input_usd_per_mtok == Approx(4.00));
  CHECK(opus->output_usd_per_mtok == Approx(20.00));
  CHECK(opus->cached_input_usd_per_mtok == Approx(0.20));
  CHECK(opus->cache_write_usd_per_mtok == Approx(5.00));
  CHECK(opus->max_output_tokens == 128'000);
  // Haiku 5.5 is listed at its band for prompts up to 100K tokens.
  const ModelInfo* haiku = info->find_model("claude-haiku-5-5");
  REQUIRE(haiku != nullptr);
  CHECK(haiku->input_usd_per_mtok == Approx(0.10));
  CHECK(haiku->output_usd_per_mtok == Approx(0.50));
  CHECK(info->find_model("claude-sonnet-4-6")->max_output_tokens == 128'000);
}

TEST_CASE("every Anthropic success fixture replays with content, reasoning, usage and stop reason", "[anthropic]") {
  ProviderTestEnv env;
  const auto llm = env.anthropic();
  const Expected rows[] = {
      {"anthropic/message.json", false, kWeatherText, "", StopReason::end_turn, "end_turn", 770, 26,
       "claude-haiku-4-5-20251001"},
      {"anthropic/message_text_and_tool_use.json", false, kToolPreamble, "", StopReason::tool_use, "tool_use", 701, 93,
       "claude-haiku-4-5-20251001"},
      {"anthropic/structured_output.json", false, kOrderJson, "", StopReason::end_turn, "end_turn", 249, 26,
       "claude-sonnet-4-5-20250929"},
      {"anthropic/message_stream.sse", true, "Hello there!", "", StopReason::end_turn, "end_turn", 11, 6,
       "claude-3-opus-latest"},
      {"anthropic/stream_max_tokens_partial_tool_input.sse", true, kTaxText, "", StopReason::max_tokens, "max_tokens",
       450, 124, "claude-3-7-sonnet-20250219"},
      {"anthropic/stream_thinking.sse", true, kGreetingText, kThinkingText, StopReason::end_turn, "end_turn", 778, 104,
       "claude-3-7-sonnet-20250219"},
      {"anthropic/stream_tool_use_padded.sse", true, "", "", StopReason::tool_use, "tool_use", 656, 74,
       "claude-haiku-4-5-20251001"},
  };
  for (const auto& row : rows) {
    SECTION(row.fixture) {
      env.push_fixture(row.fixture);
      Response response;
      if (row.stream) {
        ResponseStream stream = llm->get_response_stream("What's the weather?");
        CHECK(drain(stream) == row.content);
        response = stream.response();
      } else {
        response = llm->get_response("What's the weather?");
      }
      CHECK(response.content == row.content);
      CHECK(response.reasoning == row.reasoning);
      CHECK(response.stop_reason == row.stop);
      CHECK(response.raw_stop_reason == row.raw_stop);
      CHECK(response.usage.input_tokens == row.input);
      CHECK(response.usage.output_tokens == row.output);
      CHECK(response.usage.cached_tokens == 0);
      CHECK(response.usage.cache_write_tokens == 0);
      CHECK(response.model == row.model);
      CHECK(response.provider == "anthropic");
      CHECK(response.request_id.rfind("req_fake_", 0) == 0);
      // Priced by the requested model, claude-haiku-4-5: $1 in, $5 out per million.
      CHECK(response.cost.priced);
      CHECK(response.cost.input == Approx(row.input * 1.0e-6));
      CHECK(response.cost.output == Approx(row.output * 5.0e-6));
      const auto requests = env.server.requests();
      REQUIRE(requests.size() == 1);
      CHECK(requests[0].uri == "/v1/messages");
      CHECK(requests[0].protocol == "anthropic");
      const auto body = parse_object(requests[0].body);
      CHECK(body->has("stream") == row.stream);
    }
  }
}

TEST_CASE("thinking arrives as reasoning chunks and never in the answer", "[anthropic][stream]") {
  ProviderTestEnv env;
  const auto llm = env.anthropic();
  env.push_fixture("anthropic/stream_thinking.sse");
  ResponseStream stream = llm->get_response_stream("hey");
  std::string text, reasoning;
  int reasoning_chunks = 0;
  StreamChunk chunk;
  while (stream.next(chunk)) {
    if (chunk.kind == StreamChunk::Kind::reasoning) {
      ++reasoning_chunks;
      reasoning.append(chunk.text);
    } else {
      // The reasoning came first in the stream: no answer text before it ended.
      CHECK(reasoning == kThinkingText);
      text.append(chunk.text);
    }
  }
  CHECK(reasoning_chunks == 6);
  CHECK(reasoning == kThinkingText);
  CHECK(text == kGreetingText);
  CHECK(stream.response().content == kGreetingText);
  CHECK(stream.response().reasoning == kThinkingText);
  CHECK(stream.response().content.find("greeting without") == std::string::npos);
}

TEST_CASE("cache reads and writes count as input and are priced at their own rates", "[anthropic]") {
  ProviderTestEnv env;
  const auto llm = env.anthropic();
  fake::ScriptedResponse response;
  response.content_type = "application/json";
  response.body =
      R"({"model":"claude-haiku-4-5-20251001","id":"msg_c","type":"message","role":"assistant",)"
      R"("content":[{"type":"thinking","thinking":"Short.","signature":"c2ln"},{"type":"text","text":"Part one, "},)"
      R"({"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{"query":"x"}},)"
      R"({"type":"text","text":"part two."}],"stop_reason":"pause_turn","stop_sequence":null,)"
      R"("usage":{"input_tokens":100,"cache_creation_input_tokens":200,"cache_read_input_tokens":300,)"
      R"("output_tokens":40,"output_tokens_details":{"thinking_tokens":10}}})";
  env.server.push_response(response);
  const Response answer = llm->get_response("hi");
  CHECK(answer.content == "Part one, part two.");
  CHECK(answer.reasoning == "Short.");
  CHECK(answer.stop_reason == StopReason::end_turn);
  CHECK(answer.raw_stop_reason == "pause_turn");
  CHECK(answer.usage.input_tokens == 600);
  CHECK(answer.usage.cached_tokens == 300);
  CHECK(answer.usage.cache_write_tokens == 200);
  CHECK(answer.usage.output_tokens == 40);
  CHECK(answer.usage.reasoning_tokens == 10);
  // claude-haiku-4-5: $1 input, $0.10 cache read, $1.25 cache write, $5 output per million.
  CHECK(answer.cost.input == Approx((100 * 1.0 + 300 * 0.10 + 200 * 1.25) * 1e-6));
  CHECK(answer.cost.output == Approx(40 * 5.0 * 1e-6));
}

TEST_CASE("every stop reason is normalised and keeps its raw value", "[anthropic]") {
  ProviderTestEnv env;
  const auto llm = env.anthropic();
  struct Row { const char* raw; StopReason stop; };
  const Row rows[] = {{"end_turn", StopReason::end_turn},           {"stop_sequence", StopReason::stop_sequence},
                      {"pause_turn", StopReason::end_turn},         {"max_tokens", StopReason::max_tokens},
                      {"model_context_window_exceeded", StopReason::max_tokens},
                      {"tool_use", StopReason::tool_use},           {"refusal", StopReason::content_filter},
                      {"something_new", StopReason::unknown}};
  for (const auto& row : rows) {
    CAPTURE(row.raw);
    for (const bool stream : {false, true}) {
      if (stream) {
        env.server.push_response(sse_body(
            stream_prologue() + text_delta("ok") +
            sse_event("message_delta", fmt::format(R"({{"type":"message_delta","delta":{{"stop_reason":"{}",)"
                                                   R"("stop_sequence":null}},"usage":{{"output_tokens":2}}}})",
                                                   row.raw)) +
            sse_event("message_stop", R"({"type":"message_stop"})")));
        ResponseStream s = llm->get_response_stream("hi");
        CHECK(drain(s) == "ok");
        CHECK(s.response().stop_reason == row.stop);
        CHECK(s.response().raw_stop_reason == row.raw);
        CHECK(s.response().usage.input_tokens == 12);
        CHECK(s.response().usage.output_tokens == 2);
      } else {
        fake::ScriptedResponse response;
        response.content_type = "application/json";
        response.body = fmt::format(
            R"({{"id":"msg_s","type":"message","role":"assistant","model":"claude-haiku-4-5","content":[{{"type":"text","text":"ok"}}],)"
            R"("stop_reason":"{}","stop_sequence":null,"usage":{{"input_tokens":3,"output_tokens":2}}}})",
            row.raw);
        env.server.push_response(response);
        const Response answer = llm->get_response("hi");
        CHECK(answer.stop_reason == row.stop);
        CHECK(answer.raw_stop_reason == row.raw);
      }
    }
  }
}

TEST_CASE("message.json split at every byte offset, through the degree sign, decodes identically", "[anthropic][split]") {
  ProviderTestEnv env;
  const auto llm = env.anthropic();
  const std::string body = read_fixture("anthropic/message.json");
  const std::size_t degree = body.find("\xc2\xb0");
  REQUIRE(degree != std::string::npos);
  for (std::size_t offset = 1; offset < body.size(); ++offset) {
    fake::ScriptedResponse response;
    response.fixture = "anthropic/message.json";
    response.split_at = {offset};
    // Every body also gets a cut between the two bytes of the degree sign.
    if (offset != degree + 1) response.split_at.push_back(degree + 1);
    std::sort(response.split_at.begin(), response.split_at.end());
    env.server.push_response(std::move(response));
    const Response answer = llm->get_response("weather");
    CAPTURE(offset);
    REQUIRE(answer.content == kWeatherText);
    REQUIRE(answer.usage.output_tokens == 26);
  }
}

TEST_CASE("a stream split at every byte offset, inside 2-, 3- and 4-byte characters, decodes identically",
          "[anthropic][stream][split]") {
  ProviderTestEnv env;
  const auto llm = env.anthropic();
  const std::string thinking = "\xce\xa9mega \xe2\x86\x92 \xe2\x88\x91";             // "Ωmega → ∑"
  const std::string text_a = "Caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac ";               // "Café 日本 "
  const std::string text_b = "\xf0\x9f\x99\x82 done";                               // "🙂 done"
  const std::string body =
      sse_event("message_start",
                R"({"type":"message_start","message":{"id":"msg_split","type":"message","role":"assistant",)"
                R"("model":"claude-haiku-4-5-20251001","content":[],"stop_reason":null,"stop_sequence":null,)"
                R"("usage":{"input_tokens":5,"cache_creation_input_tokens":0,"cache_read_input_tokens":2,"output_tokens":1}}})") +
      sse_event("content_block_start",
                R"({"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}})") +
      sse_event("content_block_delta",
                R"({"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":")" + thinking +
                    R"("}})") +
      sse_event("content_block_delta",
                R"({"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"c2ln"}})") +
      sse_event("content_block_stop", R"({"type":"content_block_stop","index":0})") +
      sse_event("content_block_start",
                R"({"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}})") +
      sse_event("ping", R"({"type": "ping"})") +
      sse_event("content_block_delta",
                R"({"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":")" + text_a +
                    R"("}}     )") +
      sse_event("content_block_delta",
                R"({"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":")" + text_b + R"("}})") +
      sse_event("content_block_stop", R"({"type":"content_block_stop","index":1})") +
      sse_event("message_delta",
                R"({"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":7}})") +
      sse_event("message_stop", R"({"type":"message_stop"})");
  for (std::size_t offset = 1; offset < body.size(); ++offset) {
    fake::ScriptedResponse response = sse_body(body);
    response.split_at = {offset};
    if (offset + 5 < body.size()) response.split_at.push_back(offset + 5);
    env.server.push_response(std::move(response));
    ResponseStream stream = llm->get_response_stream("hi");
    const std::string text = drain(stream);
    CAPTURE(offset);
    REQUIRE(text == text_a + text_b);
    REQUIRE(stream.response().reasoning == thinking);
    REQUIRE(stream.response().usage.input_tokens == 7);
    REQUIRE(stream.response().usage.cached_tokens == 2);
    REQUIRE(stream.response().usage.output_tokens == 7);
    REQUIRE(stream.response().stop_reason == StopReason::end_turn);
  }
}

TEST_CASE("the recorded fixtures split into many small writes give the same answer", "[anthropic][stream][split]") {
  ProviderTestEnv env;
  const auto llm = env.anthropic();
  for (const char* fixture : {"anthropic/stream_thinking.sse", "anthropic/stream_tool_use_padded.sse"}) {
    fake::ScriptedResponse response;
    response.fixture = fixture;
    for (std::size_t offset = 3; offset < 6000; offset += 41) response.split_at.push_back(offset);
    env.server.push_response(std::move(response));
    ResponseStream stream = llm->get_response_stream("hi");
    const std::string text = drain(stream);
    CAPTURE(fixture);
    if (std::string_view(fixture).find("thinking") != std::string_view::npos) {
      CHECK(text == kGreetingText);
      CHECK(stream.response().reasoning == kThinkingText);
    } else {
      CHECK(text.empty());
      CHECK(stream.response().usage.output_tokens == 74);
    }
  }
}

TEST_CASE("an error event after HTTP 200 is a typed error with the partial answer, never a success",
          "[anthropic][stream][errors]") {
  ProviderTestEnv env;
  const auto llm = env.anthropic();

  SECTION("overloaded_error") {
    env.server.push_response(sse_body(
        stream_prologue() + text_delta("Partial ") + text_delta("answer") +
        sse_event("error", R"({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})")));
    ResponseStream stream = llm->get_response_stream("hi");
    std::string text;
    try {
      for (std::string_view piece : stream) text.append(piece);
      FAIL("no error");
    } catch (const OverloadedError& error) {
      CHECK(error.partial_content() == "Partial answer");
      CHECK(error.provider_error_type() == "overloaded_error");
      CHECK(error.provider() == "anthropic");
      CHECK(error.http_status() == 200);
      CHECK_THAT(error.what(), Catch::Contains("Overloaded"));
      CHECK(error.request_id().rfind("req_fake_", 0) == 0);
    }
    CHECK(text == "Partial answer");
  }

  struct Row { const char* type; ErrorKind kind; };
  const Row rows[] = {{"api_error", ErrorKind::server},
                      {"rate_limit_error", ErrorKind::rate_limited},
                      {"timeout_error", ErrorKind::timeout},
                      {"a_new_error_type", ErrorKind::server}};
  for (const auto& row : rows) {
    SECTION(row.type) {
      env.server.push_response(sse_body(
          stream_prologue() + text_delta("Some") +
          sse_event("error", fmt::format(R"({{"type":"error","error":{{"type":"{}","message":"went wrong"}}}})", row.type))));
      ResponseStream stream = llm->get_response_stream("hi");
      try {
        drain(stream);
        FAIL("no error");
      } catch (const Error& error) {
        CHECK(error.kind() == row.kind);
        CHECK(error.provider_error_type() == row.type);
        CHECK(error.partial_content() == "Some");
      }
    }
  }

  SECTION("an error event before any text") {
    env.server.push_response(sse_body(
        sse_event("error", R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})")));
    ResponseStream stream = llm->get_response_stream("hi");
    CHECK_THROWS_AS(drain(stream), OverloadedError);
  }
}

TEST_CASE("a stream that ends without message_stop is a connection error", "[anthropic][stream][errors]") {
  ProviderTestEnv env;
  const auto llm = env.anthropic();

  SECTION("the body ends cleanly after some text") {
    env.server.push_response(sse_body(stream_prologue() + text_delta("Cut here")));
    ResponseStream stream = llm->get_response_stream("hi");
    try {
      drain(stream);
      FAIL("no error");
    } catch (const ConnectionError& error) {
      CHECK(error.partial_content() == "Cut here");
      CHECK_THAT(error.what(), Catch::Contains("message_stop"));
    }
  }
  SECTION("the connection drops mid-fixture") {
    fake::ScriptedResponse response;
    response.fixture = "anthropic/stream_thinking.sse";
    response.cut_after = 2600;
    env.server.push_response(response);
    ResponseStream stream = llm->get_response_stream("hi");
    try {
      drain(stream);
      FAIL("no error");
    } catch (const ConnectionError& error) {
      CHECK(kGreetingText.rfind(error.partial_content(), 0) == 0);
    }
  }
}

TEST_CASE("HTTP errors become typed errors carrying Anthropic's type, message and request id", "[anthropic][errors]") {
  ProviderTestEnv env;
  const auto llm = env.anthropic();

  SECTION("429 fixture with retry-after") {
    env.push_fixture("anthropic/error_429.json", {{"retry-after", "2"}, {"x-should-retry", "true"}});
    try {
      (void)llm->get_response("hi");
      FAIL("no error");
    } catch (const RateLimitedError& error) {
      CHECK(error.http_status() == 429);
      CHECK(error.provider() == "anthropic");
      CHECK(error.provider_error_type() == "rate_limit_error");
      CHECK_THAT(error.what(), Catch::StartsWith("Anthropic 429: This request would exceed your organization's rate limit"));
      REQUIRE(error.retry_after_ms());
      CHECK(*error.retry_after_ms() == 2000);
      // The body's id wins over the fake's request-id header; both name the same request in reality.
      CHECK(error.request_id() == "req_011CYK5n67SytMUxm8WMZUWY");
    }
  }
  SECTION("400 fixture on the streaming path") {
    env.push_fixture("anthropic/error_400.json");
    try {
      ResponseStream stream = llm->get_response_stream("hi");
      drain(stream);
      FAIL("no error");
    } catch (const BadRequestError& error) {
      CHECK(error.http_status() == 400);
      CHECK(error.provider_error_type() == "invalid_request_error");
      CHECK_THAT(error.what(), Catch::Contains("unexpected `tool_use_id` found in `tool_result` blocks"));
      CHECK(error.request_id() == "req_011CYHyk9NPsBYeGbC9LuDNK");
      CHECK_FALSE(error.retry_after_ms());
    }
  }

  struct Row { int status; const char* type; ErrorKind kind; };
  const Row rows[] = {{401, "authentication_error", ErrorKind::authentication},
                      {402, "billing_error", ErrorKind::permission},
                      {403, "permission_error", ErrorKind::permission},
                      {404, "not_found_error", ErrorKind::not_found},
                      {413, "request_too_large", ErrorKind::bad_request},
                      {500, "api_error", ErrorKind::server},
                      {504, "timeout_error", ErrorKind::timeout},
                      {529, "overloaded_error", ErrorKind::overloaded},
                      // An error type we do not know falls back to the status.
                      {503, "some_future_error", ErrorKind::overloaded},
                      {502, nullptr, ErrorKind::server}};
  for (const auto& row : rows) {
    SECTION("status " + std::to_string(row.status)) {
      fake::ScriptedResponse response;
      response.status = row.status;
      if (row.type == nullptr) {
        response.content_type = "text/html";
        response.body = "<html>\r\n<body>bad gateway</body>\r\n</html>";
      } else {
        response.content_type = "application/json";
        // No request_id in this body: the id comes from the request-id header.
        response.body = fmt::format(R"({{"type":"error","error":{{"type":"{}","message":"scripted failure"}}}})", row.type);
      }
      env.server.push_response(response);
      try {
        (void)llm->get_response("hi");
        FAIL("no error");
      } catch (const Error& error) {
        CHECK(error.kind() == row.kind);
        CHECK(error.http_status() == row.status);
        CHECK(error.request_id().rfind("req_fake_", 0) == 0);
        if (row.type == nullptr) {
          CHECK_THAT(error.what(), Catch::Contains("HTTP 502") && Catch::Contains("<body>bad gateway"));
          CHECK(error.provider_error_type().empty());
        } else {
          CHECK(std::string(error.what()) == "Anthropic " + std::to_string(row.status) + ": scripted failure");
          CHECK(error.provider_error_type() == row.type);
        }
      }
    }
  }
}

TEST_CASE("the fake's own Anthropic auth answers reach the caller as typed errors", "[anthropic][errors]") {
  fake::FakeServerOptions options = ProviderTestEnv::default_options();
  options.required_api_key = "sk-ant-the-right-one";
  ProviderTestEnv env(options);
  const auto llm = env.anthropic();
  try {
    (void)llm->get_response("hi");
    FAIL("no error");
  } catch (const AuthenticationError& error) {
    CHECK(std::string(error.what()) == "Anthropic 401: invalid x-api-key");
    CHECK(error.provider_error_type() == "authentication_error");
  }
  ClientOptions right = env.anthropic_options();
  right.api_key = "sk-ant-the-right-one";
  CHECK(env.anthropic(right)->get_response("hi").content == kWeatherText);
}

TEST_CASE("headers on the wire: x-api-key and anthropic-version once each, overrides win once", "[anthropic][pipeline]") {
  ProviderTestEnv env;
  for (const bool stream : {false, true}) {
    SECTION(stream ? "stream" : "json") {
      const auto call = [&](const std::shared_ptr<LLM>& llm, const RequestOptions& request = {}) {
        env.server.clear_requests();
        if (stream) {
          ResponseStream s = llm->get_response_stream("hi", request);
          drain(s);
        } else {
          (void)llm->get_response("hi", request);
        }
        const auto recorded = env.server.requests();
        REQUIRE(recorded.size() == 1);
        return recorded[0];
      };

      const auto plain = call(env.anthropic());
      CHECK(ProviderTestEnv::only_header(plain, "x-api-key") == "sk-ant-test-0000");
      CHECK(ProviderTestEnv::only_header(plain, "anthropic-version") == "2023-06-01");
      CHECK(ProviderTestEnv::only_header(plain, "Authorization") == "<absent>");
      CHECK(ProviderTestEnv::only_header(plain, "Content-Type") == "application/json");
      CHECK(ProviderTestEnv::only_header(plain, "Accept") == (stream ? "text/event-stream" : "application/json"));

      ClientOptions newer = env.anthropic_options();
      newer.default_headers.set("anthropic-version", "2026-10-21");
      newer.default_headers.set("X-Trace-Tag", "instance-value");
      const auto llm = env.anthropic(newer);
      const auto versioned = call(llm);
      CHECK(ProviderTestEnv::only_header(versioned, "anthropic-version") == "2026-10-21");
      CHECK(ProviderTestEnv::only_header(versioned, "X-Trace-Tag") == "instance-value");

      RequestOptions request;
      request.extra_headers.set("x-trace-tag", "request-value");
      request.extra_headers.set("ANTHROPIC-VERSION", "2027-01-01");
      const auto overridden = call(llm, request);
      CHECK(ProviderTestEnv::only_header(overridden, "X-Trace-Tag") == "request-value");
      CHECK(ProviderTestEnv::only_header(overridden, "anthropic-version") == "2027-01-01");
      CHECK(ProviderTestEnv::only_header(overridden, "x-api-key") == "sk-ant-test-0000");
      bool request_spelling = false;
      for (const auto& header : overridden.headers) request_spelling |= header.name == "x-trace-tag";
      CHECK(request_spelling);

      // The dry run shows the same request with the key hidden.
      const auto resolved = llm->resolve(LLMRequest::from_prompt("hi", request), stream);
      REQUIRE(resolved.size() == 1);
      CHECK(resolved[0].url == env.server.origin() + "/v1/messages");
      CHECK(resolved[0].body == overridden.body);
      CHECK(resolved[0].auth_header == "x-api-key");
      const HeaderSet redacted = resolved[0].redacted_headers();
      REQUIRE(redacted.find("x-api-key") != nullptr);
      CHECK(redacted.find("x-api-key")->find("sk-ant") == std::string::npos);
    }
  }
}

TEST_CASE("base URL: a gateway path prefix, ANTHROPIC_BASE_URL and ANTHROPIC_API_KEY", "[anthropic][pipeline]") {
  ProviderTestEnv env;
  SECTION("option with a path prefix, with and without a trailing slash") {
    for (const char* prefix : {"/gateway/anthropic", "/gateway/anthropic/"}) {
      ClientOptions options = env.anthropic_options();
      options.base_url = env.server.origin() + prefix;
      const auto llm = env.anthropic(options);
      (void)llm->get_response("hi");
      ResponseStream stream = llm->get_response_stream("hi");
      drain(stream);
    }
    const auto recorded = env.server.requests();
    REQUIRE(recorded.size() == 4);
    for (const auto& wire : recorded) CHECK(wire.uri == "/gateway/anthropic/v1/messages");
  }
  SECTION("env vars") {
    const std::string base = env.server.origin() + "/from-env";
    std::shared_ptr<LLM> llm;
    {
      const ScopedEnv vars{{"ANTHROPIC_BASE_URL", base.c_str()}, {"ANTHROPIC_API_KEY", "sk-ant-from-env"}};
      llm = env.anthropic(ClientOptions{});
    }
    (void)llm->get_response("hi");
    const auto recorded = env.server.requests();
    REQUIRE(recorded.size() == 1);
    CHECK(recorded[0].uri == "/from-env/v1/messages");
    CHECK(ProviderTestEnv::only_header(recorded[0], "x-api-key") == "sk-ant-from-env");
  }
}

TEST_CASE("the request body: max_tokens always, system at the top, roles, sampling, stream", "[anthropic][body]") {
  ProviderTestEnv env;
  struct Row { const char* model; std::optional<int64_t> max_tokens; int64_t expected; };
  const Row rows[] = {{"claude-haiku-4-5", 123, 123},
                      {"claude-haiku-4-5", 64000, 64000},                  // the caller may ask for the cap
                      {"claude-haiku-4-5", std::nullopt, 8192},            // default: the cap, at most 8192
                      {"claude-haiku-5-5", std::nullopt, 8192},            // a 128K cap
                      {"claude-sonnet-4-5-20250929", std::nullopt, 8192},  // a dated snapshot
                      {"claude-experimental-x", std::nullopt, 8192}};      // not in the catalog
  for (const auto& row : rows) {
    CAPTURE(row.model);
    const auto llm = env.anthropic(env.anthropic_options(), row.model);
    for (const bool stream : {false, true}) {
      LLMRequest request;
      request.messages = {{Message::Role::user, "Name a colour."},
                          {Message::Role::assistant, "Blue."},
                          {Message::Role::user, "Another, \"quoted\"."}};
      request.options.system = "Be terse.";
      request.options.max_tokens = row.max_tokens;
      request.options.temperature = 0.25;
      const auto resolved = llm->resolve(request, stream);
      REQUIRE(resolved.size() == 1);
      const auto body = parse_object(resolved[0].body);
      CHECK(body->getValue<std::string>("model") == row.model);
      CHECK(body->getValue<int64_t>("max_tokens") == row.expected);
      CHECK(body->getValue<std::string>("system") == "Be terse.");
      CHECK(body->getValue<double>("temperature") == 0.25);
      CHECK_FALSE(body->has("top_p"));
      CHECK(body->has("stream") == stream);
      if (stream) CHECK(body->getValue<bool>("stream"));
      const auto messages = body->getArray("messages");
      REQUIRE(messages->size() == 3);
      CHECK(messages->getObject(0)->getValue<std::string>("role") == "user");
      CHECK(messages->getObject(1)->getValue<std::string>("role") == "assistant");
      CHECK(messages->getObject(2)->getValue<std::string>("content") == "Another, \"quoted\".");
    }
  }

  SECTION("no system prompt and top_p: no system field, top_p sent") {
    RequestOptions options;
    options.top_p = 0.5;
    (void)env.anthropic()->get_response("hi", options);
    const auto recorded = env.server.requests();
    REQUIRE(recorded.size() == 1);
    const auto body = parse_object(recorded[0].body);
    CHECK_FALSE(body->has("system"));
    CHECK(body->getValue<double>("top_p") == 0.5);
    CHECK(body->getValue<int64_t>("max_tokens") == 8192);
  }
}

TEST_CASE("JSON-object mode asks in the system prompt", "[anthropic][json]") {
  ProviderTestEnv env;
  const auto llm = env.anthropic();

  env.push_fixture("anthropic/structured_output.json");
  RequestOptions options;
  options.system = "You extract orders.";
  const JsonResponse json = llm->get_json_response("Two green teas at 5.50.", options);
  CHECK(json.json_text == kOrderJson);
  CHECK(json.value.at("product_name").as_string() == "Green Tea");
  CHECK(json.value.at("quantity").as_integer() == 2);
  auto recorded = env.server.requests();
  REQUIRE(recorded.size() == 1);
  const std::string system = parse_object(recorded[0].body)->getValue<std::string>("system");
  CHECK(system.rfind("You extract orders.\n\n", 0) == 0);
  CHECK_THAT(system, Catch::Contains("single JSON object"));

  env.server.clear_requests();
  env.push_fixture("anthropic/structured_output.json");
  (void)llm->get_json_response("Two green teas.");
  recorded = env.server.requests();
  REQUIRE(recorded.size() == 1);
  CHECK_THAT(parse_object(recorded[0].body)->getValue<std::string>("system"), Catch::StartsWith("Respond with a single JSON object"));
}

TEST_CASE("the fake speaks Anthropic on its own: auth, version header, required fields, fixtures",
          "[anthropic][fake]") {
  ProviderTestEnv env;
  Poco::Net::HTTPClientSession session("127.0.0.1", env.server.port());
  const auto post = [&](const std::vector<fake::Header>& headers, const std::string& body, Poco::Net::HTTPResponse& response) {
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, "/v1/messages", Poco::Net::HTTPMessage::HTTP_1_1);
    request.setContentType("application/json");
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    for (const auto& header : headers) request.set(header.name, header.value);
    session.sendRequest(request) << body;
    std::ostringstream out;
    Poco::StreamCopier::copyStream(session.receiveResponse(response), out);
    return out.str();
  };
  const std::string valid = R"({"model":"claude-haiku-4-5","max_tokens":64,"messages":[{"role":"user","content":"hi"}]})";
  Poco::Net::HTTPResponse response;

  std::string body = post({{"anthropic-version", "2023-06-01"}}, valid, response);
  CHECK(response.getStatus() == 401);
  auto error = parse_object(body);
  CHECK(error->getValue<std::string>("type") == "error");
  CHECK(error->getObject("error")->getValue<std::string>("type") == "authentication_error");
  CHECK(error->getValue<std::string>("request_id") == response.get("request-id"));

  body = post({{"x-api-key", "sk-ant-x"}}, valid, response);
  CHECK(response.getStatus() == 400);
  CHECK(parse_object(body)->getObject("error")->getValue<std::string>("type") == "invalid_request_error");

  body = post({{"x-api-key", "sk-ant-x"}, {"anthropic-version", "2023-06-01"}},
              R"({"model":"claude-haiku-4-5","messages":[{"role":"user","content":"hi"}]})", response);
  CHECK(response.getStatus() == 400);
  CHECK_THAT(body, Catch::Contains("max_tokens"));

  body = post({{"Authorization", "Bearer sk-ant-oauth"}, {"anthropic-version", "2026-10-21"}}, valid, response);
  CHECK(response.getStatus() == 200);
  CHECK(body == read_fixture("anthropic/message.json"));
  CHECK(response.getContentType() == "application/json");
  CHECK(response.get("request-id").rfind("req_fake_", 0) == 0);
  CHECK(response.has("anthropic-ratelimit-requests-remaining"));

  body = post({{"x-api-key", "sk-ant-x"}, {"anthropic-version", "2023-06-01"}},
              R"({"model":"claude-haiku-4-5","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hi"}]})",
              response);
  CHECK(response.getStatus() == 200);
  CHECK(response.getContentType() == "text/event-stream; charset=utf-8");
  CHECK(body == read_fixture("anthropic/message_stream.sse"));

  for (const auto& recorded : env.server.requests()) CHECK(recorded.protocol == "anthropic");
}

TEST_CASE("without fixtures the fake's built-in Messages replies decode", "[anthropic][fake]") {
  fake::FakeServerOptions options;  // no fixtures dir: built-in replies
  ProviderTestEnv env(options);
  const auto llm = env.anthropic();
  const Response answer = llm->get_response("hi");
  CHECK(answer.content == "Hello from majordomo-fake (anthropic).");
  CHECK(answer.model == "claude-haiku-4-5");
  CHECK(answer.stop_reason == StopReason::end_turn);
  CHECK(answer.usage.output_tokens == 9);
  CHECK(answer.usage.input_tokens > 0);
  ResponseStream stream = llm->get_response_stream("hi");
  CHECK(drain(stream) == "Hello from majordomo-fake (anthropic).");
  CHECK(stream.response().usage.output_tokens == 9);
  CHECK(stream.response().usage.input_tokens > 0);
  CHECK(stream.response().stop_reason == StopReason::end_turn);
}

TEST_CASE("one Anthropic LLM serves many threads at once", "[anthropic][threads]") {
  ProviderTestEnv env;
  const auto llm = env.anthropic();
  constexpr int kThreads = 6;
  constexpr int kCalls = 10;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        if ((t + i) % 2 == 0) {
          if (llm->get_response("hi").content == kWeatherText) ++ok;
        } else {
          ResponseStream stream = llm->get_response_stream("hi");
          if (drain(stream) == "Hello there!") ++ok;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(ok == kThreads * kCalls);
}
