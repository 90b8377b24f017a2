// OpenAI through the host over loopback: every fixture as JSON and stream, splits, typed errors.
#include "provider_test_env.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Object.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

using namespace majordomo;
using majordomo::testing::ProviderTestEnv;
using majordomo::testing::drain;
using majordomo::testing::parse_object;

namespace {

const std::string kWeatherText =
    "I'm unable to provide real-time weather updates. To get the current weather in San "
    "Francisco, I recommend checking a reliable weather website or a weather app.";
const std::string kLocationJson = R"({"city":"San Francisco","temperature":65,"units":"f"})";

struct Expected {
  const char* fixture;
  bool stream;
  std::string content;
  StopReason stop;
  const char* raw_stop;
  int64_t input, output;
};

}  // namespace

TEST_CASE("every OpenAI success fixture replays with content, usage and stop reason", "[openai]") {
  ProviderTestEnv env;
  const auto llm = env.openai();
  const Expected rows[] = {
      {"openai/chat_completion.json", false, "Hello! How can I assist you today?", StopReason::end_turn, "stop", 19, 10},
      {"openai/chat_completion_length.json", false, "{\"", StopReason::max_tokens, "length", 79, 1},
      {"openai/chat_completion_tool_calls.json", false, "", StopReason::tool_use, "tool_calls", 76, 24},
      {"openai/structured_output.json", false, kLocationJson, StopReason::end_turn, "stop", 79, 14},
      {"openai/chat_completion_stream.sse", true, kWeatherText, StopReason::end_turn, "stop", 14, 30},
      {"openai/stream_length_truncated.sse", true, "{\"", StopReason::max_tokens, "length", 79, 1},
      {"openai/stream_n3_choices.sse", true, kLocationJson, StopReason::end_turn, "stop", 79, 42},
      {"openai/stream_parallel_tool_calls.sse", true, "", StopReason::tool_use, "tool_calls", 149, 60},
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
      CHECK(response.stop_reason == row.stop);
      CHECK(response.raw_stop_reason == row.raw_stop);
      CHECK(response.usage.input_tokens == row.input);
      CHECK(response.usage.output_tokens == row.output);
      CHECK(response.provider == "openai");
      CHECK(response.request_id.rfind("req_fake_", 0) == 0);
      CHECK(response.cost.priced);
      CHECK(response.cost.total == Approx(response.cost.input + response.cost.output));
      CHECK(response.cost.total > 0);
      CHECK(response.response_time.count() > 0);
      const auto requests = env.server.requests();
      REQUIRE(requests.size() == 1);
      CHECK(requests[0].uri == "/v1/chat/completions");
      const bool streamed = requests[0].body.find("\"stream\":true") != std::string::npos;
      CHECK(streamed == row.stream);
    }
  }
}

TEST_CASE("the model the provider names is reported, and the JSON path parses structured output", "[openai]") {
  ProviderTestEnv env;
  const auto llm = env.openai();
  env.push_fixture("openai/structured_output.json");
  const JsonResponse json = llm->get_json_response("Where? Answer in JSON.");
  CHECK(json.json_text == kLocationJson);
  CHECK(json.value.at("city").as_string() == "San Francisco");
  CHECK(json.response.model == "gpt-4o-2024-08-06");
  const auto requests = env.server.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].body.find(R"("response_format":{"type":"json_object"})") != std::string::npos);

  SECTION("a non-JSON answer is a parse error that keeps the raw text") {
    env.push_fixture("openai/chat_completion.json");
    try {
      (void)llm->get_json_response("Where?");
      FAIL("no error");
    } catch (const ParseError& error) {
      CHECK(error.partial_content() == "Hello! How can I assist you today?");
    }
  }
}

TEST_CASE("streams split at every byte offset, inside multi-byte characters, decode identically", "[openai][stream]") {
  ProviderTestEnv env;
  const auto llm = env.openai();
  // Our own stream with 2-, 3- and 4-byte UTF-8 characters, CRLF line ends and a comment line.
  const std::string text_a = "Caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac ";
  const std::string text_b = "\xf0\x9f\x99\x82 done";
  const std::string body =
      ": keep-alive\r\n\r\n"
      "data: {\"id\":\"c1\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\r\n\r\n"
      "data: {\"id\":\"c1\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + text_a + "\"},\"finish_reason\":null}]}\r\n\r\n"
      "data: {\"id\":\"c1\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + text_b + "\"},\"finish_reason\":null}]}\r\n\r\n"
      "data: {\"id\":\"c1\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\r\n\r\n"
      "data: {\"id\":\"c1\",\"model\":\"gpt-4o\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":7,\"total_tokens\":12,\"prompt_tokens_details\":{\"cached_tokens\":2}}}\r\n\r\n"
      "data: [DONE]\r\n\r\n";
  for (std::size_t offset = 1; offset < body.size(); ++offset) {
    fake::ScriptedResponse response;
    response.body = body;
    response.content_type = "text/event-stream";
    response.split_at = {offset};
    if (offset + 7 < body.size()) response.split_at.push_back(offset + 7);
    env.server.push_response(std::move(response));
    ResponseStream stream = llm->get_response_stream("hi");
    const std::string text = drain(stream);
    CAPTURE(offset);
    REQUIRE(text == text_a + text_b);
    REQUIRE(stream.response().usage.cached_tokens == 2);
    REQUIRE(stream.response().stop_reason == StopReason::end_turn);
  }
}

TEST_CASE("the recorded stream fixture split into many writes gives the same answer", "[openai][stream]") {
  ProviderTestEnv env;
  const auto llm = env.openai();
  fake::ScriptedResponse response;
  response.fixture = "openai/chat_completion_stream.sse";
  for (std::size_t offset = 3; offset < 6000; offset += 97) response.split_at.push_back(offset);
  env.server.push_response(std::move(response));
  ResponseStream stream = llm->get_response_stream("weather");
  CHECK(drain(stream) == kWeatherText);
  CHECK(stream.response().usage.output_tokens == 30);
}

TEST_CASE("HTTP errors become typed errors carrying the provider's message", "[openai][errors]") {
  ProviderTestEnv env;
  const auto llm = env.openai();

  SECTION("429 with retry-after") {
    env.push_fixture("openai/error_429.json", {{"retry-after", "2"}, {"x-request-id", "req_limited"}});
    try {
      (void)llm->get_response("hi");
      FAIL("no error");
    } catch (const RateLimitedError& error) {
      CHECK(error.http_status() == 429);
      CHECK(error.provider() == "openai");
      CHECK(error.provider_error_type() == "rate_limit_exceeded");
      CHECK_THAT(error.what(), Catch::Contains("Rate limit reached for gpt-4o"));
      REQUIRE(error.retry_after_ms());
      CHECK(*error.retry_after_ms() == 2000);
      CHECK(error.request_id() == "req_limited");
    }
  }
  SECTION("400 on the streaming path too") {
    env.push_fixture("openai/error_400.json");
    try {
      ResponseStream stream = llm->get_response_stream("hi");
      drain(stream);
      FAIL("no error");
    } catch (const BadRequestError& error) {
      CHECK(error.http_status() == 400);
      CHECK(error.provider_error_type() == "unsupported_parameter");
      CHECK_THAT(error.what(), Catch::Contains("Unsupported parameter"));
    }
  }
  struct StatusRow { int status; ErrorKind kind; };
  const StatusRow statuses[] = {{401, ErrorKind::authentication}, {403, ErrorKind::permission},
                                {404, ErrorKind::not_found},      {500, ErrorKind::server},
                                {502, ErrorKind::server},         {503, ErrorKind::overloaded}};
  for (const auto& row : statuses) {
    SECTION("status " + std::to_string(row.status)) {
      fake::ScriptedResponse response;
      response.status = row.status;
      response.body = row.status == 502 ? "<html>bad gateway</html>"
                                        : R"({"error":{"message":"scripted failure","type":"server_error","param":null,"code":null}})";
      response.content_type = row.status == 502 ? "text/html" : "application/json";
      env.server.push_response(response);
      try {
        (void)llm->get_response("hi");
        FAIL("no error");
      } catch (const Error& error) {
        CHECK(error.kind() == row.kind);
        CHECK(error.http_status() == row.status);
        CHECK_THAT(error.what(), Catch::Contains(std::to_string(row.status)));
      }
    }
  }
}

TEST_CASE("stream failures after some text keep the text and never look like success", "[openai][stream][errors]") {
  ProviderTestEnv env;
  const auto llm = env.openai();

  SECTION("mid-stream error event after HTTP 200") {
    fake::ScriptedResponse response;
    response.content_type = "text/event-stream";
    response.body =
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Partial \"},\"finish_reason\":null}]}\n\n"
        "data: {\"error\":{\"message\":\"The server had an error\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n";
    env.server.push_response(response);
    ResponseStream stream = llm->get_response_stream("hi");
    std::string text;
    try {
      for (std::string_view piece : stream) text.append(piece);
      FAIL("no error");
    } catch (const ServerError& error) {
      CHECK(error.partial_content() == "Partial ");
      CHECK_THAT(error.what(), Catch::Contains("The server had an error"));
      // The error event has no id of its own: the response's request id is kept.
      CHECK(error.request_id().rfind("req_fake_", 0) == 0);
    }
    CHECK(text == "Partial ");
  }
  SECTION("connection cut mid-stream") {
    fake::ScriptedResponse response;
    response.fixture = "openai/chat_completion_stream.sse";
    response.cut_after = 1500;
    env.server.push_response(response);
    ResponseStream stream = llm->get_response_stream("hi");
    try {
      drain(stream);
      FAIL("no error");
    } catch (const ConnectionError& error) {
      CHECK_FALSE(error.partial_content().empty());
      CHECK(kWeatherText.rfind(error.partial_content(), 0) == 0);
    }
  }
}

TEST_CASE("timeouts are typed and the connection is not reused half-read", "[openai][timeouts]") {
  ProviderTestEnv env;
  ClientOptions options = env.openai_options();
  options.timeouts.first_byte = std::chrono::milliseconds(200);
  options.timeouts.idle = std::chrono::milliseconds(200);
  const auto llm = env.openai(options);

  SECTION("no response head in time") {
    fake::ScriptedResponse response;
    response.fixture = "openai/chat_completion.json";
    response.stall_before_head = std::chrono::milliseconds(30'000);
    env.server.push_response(response);
    CHECK_THROWS_AS(llm->get_response("hi"), TimeoutError);
  }
  SECTION("silence in the middle of a stream") {
    fake::ScriptedResponse response;
    response.fixture = "openai/chat_completion_stream.sse";
    response.stall_after = 800;
    response.stall_for = std::chrono::milliseconds(30'000);
    env.server.push_response(response);
    ResponseStream stream = llm->get_response_stream("hi");
    try {
      drain(stream);
      FAIL("no error");
    } catch (const TimeoutError& error) {
      CHECK_THAT(error.what(), Catch::Contains("idle"));
    }
  }
  // After either failure the next request gets a clean connection and succeeds.
  env.push_fixture("openai/chat_completion.json");
  CHECK(llm->get_response("again").content == "Hello! How can I assist you today?");
}

TEST_CASE("an abandoned stream releases its connection and the next call works", "[openai][stream]") {
  ProviderTestEnv env;
  const auto llm = env.openai();
  {
    env.push_fixture("openai/chat_completion_stream.sse");
    ResponseStream stream = llm->get_response_stream("hi");
    REQUIRE(stream.next_text());
  }
  env.push_fixture("openai/chat_completion.json");
  CHECK(llm->get_response("again").content == "Hello! How can I assist you today?");
  CHECK(env.server.requests().size() == 2);
}

TEST_CASE("close() on a stream releases it early and keeps what arrived", "[openai][stream]") {
  ProviderTestEnv env;
  const auto llm = env.openai();
  env.push_fixture("openai/chat_completion_stream.sse");
  ResponseStream stream = llm->get_response_stream("hi");
  const auto first = stream.next_text();
  REQUIRE(first);
  const std::string first_text(*first);  // the view ends with the next call on the stream
  stream.close();
  CHECK(stream.finished());
  CHECK_FALSE(stream.next_text());
  CHECK(stream.response().content == first_text);
  env.push_fixture("openai/chat_completion.json");
  CHECK(llm->get_response("again").content == "Hello! How can I assist you today?");
}

TEST_CASE("a provider message that echoes a credential is scrubbed", "[openai][errors][secrets]") {
  ProviderTestEnv env;
  ClientOptions options = env.openai_options();
  options.default_headers.set("X-Gateway-Token", "gw-token-98765");
  const auto llm = env.openai(options);
  RequestOptions request;
  request.extra_headers.set("X-Request-Secret", "per-request-secret-1");
  fake::ScriptedResponse response;
  response.status = 401;
  response.content_type = "application/json";
  response.body = R"({"error":{"message":"Incorrect API key provided: sk-test-0000 (gateway token gw-token-98765, per-request-secret-1).","type":"invalid_request_error","param":null,"code":"invalid_api_key"}})";
  env.server.push_response(response);
  try {
    (void)llm->get_response("hi", request);
    FAIL("no error");
  } catch (const AuthenticationError& error) {
    const std::string message = error.what();
    CHECK_THAT(message, Catch::Contains("Incorrect API key provided: [REDACTED]"));
    CHECK(message.find("sk-test-0000") == std::string::npos);
    CHECK(message.find("gw-token-98765") == std::string::npos);
    CHECK(message.find("per-request-secret-1") == std::string::npos);
  }
}

TEST_CASE("JSON-schema requests splice a checked schema and refuse a broken one", "[openai][schema]") {
  ProviderTestEnv env;
  const auto llm = env.openai();
  LLMRequest request = LLMRequest::from_prompt("Where?");
  request.format = ResponseFormat::json_schema;
  request.schema_name = "Location";
  request.schema_json = R"({"type":"object","properties":{"city":{"type":"string"}},"required":["city"]})";
  const auto resolved = llm->resolve(request, false);
  REQUIRE(resolved.size() == 1);
  CHECK(resolved[0].body.find(R"("json_schema":{"name":"Location")") != std::string::npos);
  // Made strict (sdk/schema_dialects.hpp): the object closed, its properties all required.
  CHECK(resolved[0].body.find(R"("schema":{"type":"object","properties":{"city":{"type":"string"}},)"
                              R"("required":["city"],"additionalProperties":false})") != std::string::npos);

  for (const char* bad : {R"({"type":"object"}},"model":"x","y":{)", "[1,2]", "not json", ""}) {
    CAPTURE(bad);
    request.schema_json = bad;
    CHECK_THROWS_AS(llm->complete(request), ConfigurationError);
  }
  CHECK(env.server.requests().empty());
}

TEST_CASE("one LLM serves many threads at once", "[openai][threads]") {
  ProviderTestEnv env;
  const auto llm = env.openai();
  constexpr int kThreads = 8;
  constexpr int kCalls = 15;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        if ((t + i) % 2 == 0) {
          if (llm->get_response("hi").content == "Hello! How can I assist you today?") ++ok;
        } else {
          ResponseStream stream = llm->get_response_stream("hi");
          if (drain(stream) == kWeatherText) ++ok;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(ok == kThreads * kCalls);
  CHECK(env.server.requests().size() == static_cast<std::size_t>(kThreads * kCalls));
}
