// Gemini through the host over loopback: every fixture as JSON and stream, splits, typed errors, wire checks.
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

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

using namespace majordomo;
using majordomo::testing::ProviderTestEnv;
using majordomo::testing::ScopedEnv;
using majordomo::testing::drain;
using majordomo::testing::parse_object;

namespace {

// Expected values below were read off the fixture files by hand, not produced by our decoder.
const std::string kJaText =
    "\xe4\xbb\x8a\xe6\x97\xa5\xe3\x81\xae\xe6\x9d\xb1\xe4\xba\xac\xe3\x81\xae\xe5\xa4\xa9\xe6\xb0\x97"  // 今日の東京の天気
    "\xe3\x81\xaf\xe6\x9b\x87\xe3\x82\x8a\xe3\x81\xa7\xe3\x80\x81\xe6\xb0\x97\xe6\xb8\xa9\xe3\x81\xaf"  // は曇りで、気温は
    "22\xe5\xba\xa6\xe3\x81\xa7\xe3\x81\x99\xe3\x80\x82\n";                                             // 22度です。
const std::string kRecipesPrefix = "[\n  {\n    \"recipeName\": \"Chocolate Chip Cookies\",";
const std::string kTetrisPrefix = "Okay, let's create a Tetris game in Python for the console!";
const std::string kTetrisSuffix = ", hold functionality, sound, high scores, etc.";

std::string read_fixture(const std::string& relative) {
  std::ifstream in(std::string(MAJORDOMO_TEST_FIXTURES) + "/" + relative, std::ios::binary);
  REQUIRE(in);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

fake::ScriptedResponse sse_body(std::string body) {
  fake::ScriptedResponse response;
  response.content_type = "text/event-stream";
  response.body = std::move(body);
  return response;
}

fake::ScriptedResponse json_body(std::string body, int status = 200) {
  fake::ScriptedResponse response;
  response.status = status;
  response.content_type = "application/json";
  response.body = std::move(body);
  return response;
}

// One stream chunk as Gemini frames it: data line, CRLF blank line, no event name.
std::string chunk(std::string_view json) { return fmt::format("data: {}\r\n\r\n", json); }

std::string starts(const std::string& text, std::size_t size) { return text.substr(0, size); }

}  // namespace

TEST_CASE("the gemini plugin declares its endpoint, header auth and catalog", "[gemini]") {
  ProviderTestEnv env;
  const PluginInfo* info = env.host.find_plugin("gemini");
  REQUIRE(info != nullptr);
  CHECK(info->display_name == "Google Gemini");
  CHECK(info->default_base_url == "https://generativelanguage.googleapis.com");
  CHECK(info->api_key_env == "GEMINI_API_KEY");
  CHECK(info->base_url_env == "GOOGLE_GEMINI_BASE_URL");
  for (const char* id : {"gemini-4-argon", "gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite"}) {
    CAPTURE(id);
    const ModelInfo* model = info->find_model(id);
    REQUIRE(model != nullptr);
    CHECK(model->priced());
    CHECK(model->cached_input_usd_per_mtok > 0);
    CHECK(model->cached_input_usd_per_mtok < model->input_usd_per_mtok);
    CHECK(model->max_output_tokens > 0);
  }
  // gemini-2.5-flash, ≤200K tier: $0.30 in, $2.50 out, $0.03 cached.
  const ModelInfo* flash = info->find_model("gemini-2.5-flash");
  REQUIRE(flash != nullptr);
  CHECK(flash->input_usd_per_mtok == Approx(0.30));
  CHECK(flash->output_usd_per_mtok == Approx(2.50));
  CHECK(flash->cached_input_usd_per_mtok == Approx(0.03));
  // gemini-4-argon at its standard price (from 2026-12-01), not the introductory half price.
  const ModelInfo* argon = info->find_model("gemini-4-argon");
  REQUIRE(argon != nullptr);
  CHECK(argon->input_usd_per_mtok == Approx(4.00));
  CHECK(argon->output_usd_per_mtok == Approx(20.00));
  CHECK(argon->cached_input_usd_per_mtok == Approx(0.20));
  CHECK(argon->max_output_tokens == 65'536);
  // Shut down before 2026-11-25, so no longer listed.
  for (const char* id : {"gemini-3-pro-preview", "gemini-2.0-flash", "gemini-2.0-flash-lite"}) {
    CAPTURE(id);
    CHECK(info->find_model(id) == nullptr);
  }
}

TEST_CASE("every Gemini fixture replays with content, usage, stop reason, model and response id", "[gemini]") {
  ProviderTestEnv env;
  const auto llm = env.gemini();
  struct Expected {
    const char* fixture;
    bool stream;
    std::string prefix;  // the whole content, or its start when it is long
    std::size_t content_size;
    StopReason stop;
    int64_t input, output, reasoning;
    const char* response_id;
  };
  const Expected rows[] = {
      {"gemini/generate_content.json", false, "Hello!", 6, StopReason::end_turn, 3, 2 + 17, 17,
       "FugfaZasF6ra2roP_9i9KQ"},
      {"gemini/structured_output.json", false, kRecipesPrefix, 495, StopReason::end_turn, 10, 143 + 528, 528,
       "mQ9haJL8M4KMz7IPv7uKmQc"},
      {"gemini/stream_generate_content.sse", true, kTetrisPrefix, 19149, StopReason::end_turn, 4, 5947 + 2042, 2042,
       "IZI2acSKMoWl0-kPmYj2yQc"},
      {"gemini/stream_multibyte_ja.sse", true, kJaText, kJaText.size(), StopReason::end_turn, 138, 15, 0,
       "45I2aaWZBumm2roPm8HR0Ao"},
      {"gemini/stream_function_call_thought_signature.sse", true, "", 0, StopReason::tool_use, 83, 14 + 104, 104,
       "qpc2afWVFJK4vr0Pq6WiyAU"},
  };
  for (const auto& row : rows) {
    SECTION(row.fixture) {
      env.push_fixture(row.fixture);
      Response response;
      if (row.stream) {
        ResponseStream stream = llm->get_response_stream("Hi");
        const std::string streamed = drain(stream);
        response = stream.response();
        CHECK(streamed == response.content);
      } else {
        response = llm->get_response("Hi");
      }
      CHECK(starts(response.content, row.prefix.size()) == row.prefix);
      CHECK(response.content.size() == row.content_size);
      CHECK(response.reasoning.empty());
      CHECK(response.stop_reason == row.stop);
      CHECK(response.raw_stop_reason == "STOP");
      CHECK(response.usage.input_tokens == row.input);
      CHECK(response.usage.output_tokens == row.output);
      CHECK(response.usage.reasoning_tokens == row.reasoning);
      CHECK(response.usage.cached_tokens == 0);
      CHECK(response.model == "gemini-2.5-flash");
      CHECK(response.provider == "gemini");
      CHECK(response.request_id == row.response_id);
      // gemini-2.5-flash: $0.30 in, $2.50 out per million; thinking is billed as output.
      CHECK(response.cost.priced);
      CHECK(response.cost.input == Approx(row.input * 0.30e-6));
      CHECK(response.cost.output == Approx(row.output * 2.50e-6));
      const auto requests = env.server.requests();
      REQUIRE(requests.size() == 1);
      CHECK(requests[0].protocol == "gemini");
      CHECK(requests[0].uri == (row.stream ? "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
                                           : "/v1beta/models/gemini-2.5-flash:generateContent"));
    }
  }
  SECTION("the long stream's end and its chunk count") {
    env.push_fixture("gemini/stream_generate_content.sse");
    ResponseStream stream = llm->get_response_stream("Tetris");
    int chunks = 0;
    StreamChunk piece;
    while (stream.next(piece)) ++chunks;
    CHECK(chunks == 123);
    const std::string& content = stream.response().content;
    REQUIRE(content.size() >= kTetrisSuffix.size());
    CHECK(content.substr(content.size() - kTetrisSuffix.size()) == kTetrisSuffix);
  }
}

TEST_CASE("thought parts go to reasoning, never to the answer", "[gemini]") {
  ProviderTestEnv env;
  const auto llm = env.gemini();
  SECTION("json") {
    env.server.push_response(json_body(
        R"({"candidates":[{"content":{"parts":[{"text":"Pondering cookies.","thought":true},)"
        R"({"thought":true,"text":" Two kinds."},{"text":"Chocolate chip"},{"text":" and oatmeal."}],"role":"model"},)"
        R"("finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":7,"candidatesTokenCount":5,)"
        R"("thoughtsTokenCount":11,"cachedContentTokenCount":4,"totalTokenCount":23},"modelVersion":"gemini-2.5-pro",)"
        R"("responseId":"r1"})"));
    const Response answer = llm->get_response("Two cookies?");
    CHECK(answer.content == "Chocolate chip and oatmeal.");
    CHECK(answer.reasoning == "Pondering cookies. Two kinds.");
    CHECK(answer.usage.input_tokens == 7);
    CHECK(answer.usage.cached_tokens == 4);
    CHECK(answer.usage.output_tokens == 16);
    CHECK(answer.usage.reasoning_tokens == 11);
    CHECK(answer.model == "gemini-2.5-pro");
    // Priced by the requested model, gemini-2.5-flash: 3 uncached at $0.30, 4 cached at $0.03.
    CHECK(answer.cost.input == Approx((3 * 0.30 + 4 * 0.03) * 1e-6));
  }
  SECTION("stream") {
    env.server.push_response(sse_body(
        chunk(R"({"candidates": [{"content": {"parts": [{"text": "Thinking...","thought": true}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 5,"thoughtsTokenCount": 9},"modelVersion": "gemini-2.5-flash","responseId": "s1"})") +
        chunk(R"({"candidates": [{"content": {"parts": [{"text": "Answer"}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 5,"candidatesTokenCount": 1,"thoughtsTokenCount": 9},"modelVersion": "gemini-2.5-flash","responseId": "s1"})") +
        chunk(R"({"candidates": [{"content": {"parts": [{"text": " here."}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 5,"candidatesTokenCount": 3,"thoughtsTokenCount": 9},"modelVersion": "gemini-2.5-flash","responseId": "s1"})")));
    ResponseStream stream = llm->get_response_stream("hi");
    std::string text, reasoning;
    StreamChunk piece;
    while (stream.next(piece)) {
      (piece.kind == StreamChunk::Kind::reasoning ? reasoning : text).append(piece.text);
    }
    CHECK(reasoning == "Thinking...");
    CHECK(text == "Answer here.");
    CHECK(stream.response().usage.output_tokens == 12);
    CHECK(stream.response().usage.reasoning_tokens == 9);
    CHECK(stream.response().request_id == "s1");
  }
}

TEST_CASE("the Japanese stream split at every byte offset, CRLF included, decodes identically", "[gemini][stream][split]") {
  ProviderTestEnv env;
  const auto llm = env.gemini();
  const std::string body = read_fixture("gemini/stream_multibyte_ja.sse");
  REQUIRE(body.find("\r\n\r\n") != std::string::npos);
  for (std::size_t offset = 1; offset < body.size(); ++offset) {
    fake::ScriptedResponse response;
    response.fixture = "gemini/stream_multibyte_ja.sse";
    response.split_at = {offset};
    env.server.push_response(std::move(response));
    ResponseStream stream = llm->get_response_stream("weather");
    const std::string text = drain(stream);
    CAPTURE(offset);
    REQUIRE(text == kJaText);
    REQUIRE(stream.response().usage.output_tokens == 15);
    REQUIRE(stream.response().stop_reason == StopReason::end_turn);
  }
}

TEST_CASE("finish reasons are normalised and keep their raw value", "[gemini]") {
  ProviderTestEnv env;
  const auto llm = env.gemini();
  struct Row { const char* raw; StopReason stop; };
  const Row rows[] = {{"STOP", StopReason::end_turn},
                      {"MAX_TOKENS", StopReason::max_tokens},
                      {"SAFETY", StopReason::content_filter},
                      {"RECITATION", StopReason::content_filter},
                      {"BLOCKLIST", StopReason::content_filter},
                      {"PROHIBITED_CONTENT", StopReason::content_filter},
                      {"SPII", StopReason::content_filter},
                      {"IMAGE_SAFETY", StopReason::content_filter},
                      {"MALFORMED_FUNCTION_CALL", StopReason::error},
                      {"OTHER", StopReason::unknown},
                      {"LANGUAGE", StopReason::unknown},
                      {"SOMETHING_NEW", StopReason::unknown}};
  for (const auto& row : rows) {
    CAPTURE(row.raw);
    const std::string json = fmt::format(
        R"({{"candidates":[{{"content":{{"parts":[{{"text":"ok"}}],"role":"model"}},"finishReason":"{}","index":0}}],)"
        R"("usageMetadata":{{"promptTokenCount":2,"candidatesTokenCount":1}},"modelVersion":"gemini-2.5-flash","responseId":"f"}})",
        row.raw);
    if (row.stop == StopReason::error) {
      // The provider ended the turn as failed: a typed error keeping the text, JSON and stream.
      env.server.push_response(json_body(json));
      try {
        (void)llm->get_response("hi");
        FAIL("no error");
      } catch (const ServerError& error) {
        CHECK(error.provider_error_type() == row.raw);
        CHECK(error.partial_content() == "ok");
      }
      env.server.push_response(sse_body(chunk(json)));
      ResponseStream failed = llm->get_response_stream("hi");
      CHECK_THROWS_AS(drain(failed), ServerError);
      continue;
    }
    env.server.push_response(json_body(json));
    const Response answer = llm->get_response("hi");
    CHECK(answer.content == "ok");
    CHECK(answer.stop_reason == row.stop);
    CHECK(answer.raw_stop_reason == row.raw);
    env.server.push_response(sse_body(chunk(json)));
    ResponseStream stream = llm->get_response_stream("hi");
    CHECK(drain(stream) == "ok");
    CHECK(stream.response().stop_reason == row.stop);
    CHECK(stream.response().raw_stop_reason == row.raw);
  }

  SECTION("MAX_TOKENS during thinking: content without parts") {
    env.server.push_response(json_body(
        R"({"candidates":[{"content":{"role":"model"},"finishReason":"MAX_TOKENS","index":0}],)"
        R"("usageMetadata":{"promptTokenCount":4,"thoughtsTokenCount":30},"modelVersion":"gemini-2.5-flash","responseId":"m"})"));
    const Response answer = llm->get_response("hi");
    CHECK(answer.content.empty());
    CHECK(answer.stop_reason == StopReason::max_tokens);
    CHECK(answer.usage.output_tokens == 30);
  }
  SECTION("a blocked prompt: no candidates, promptFeedback.blockReason") {
    env.server.push_response(json_body(
        R"({"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"},"usageMetadata":{"promptTokenCount":9,"totalTokenCount":9},)"
        R"("modelVersion":"gemini-2.5-flash","responseId":"b"})"));
    const Response answer = llm->get_response("hi");
    CHECK(answer.content.empty());
    CHECK(answer.stop_reason == StopReason::content_filter);
    CHECK(answer.raw_stop_reason == "PROHIBITED_CONTENT");
    CHECK(answer.usage.input_tokens == 9);
  }
}

TEST_CASE("a Gemini stream ends with its body after a finishReason, one that never started or was cut is an error",
          "[gemini][stream][errors]") {
  ProviderTestEnv env;
  const auto llm = env.gemini();
  SECTION("the body ends before any finishReason: a cut answer, never a success") {
    env.server.push_response(sse_body(
        chunk(R"({"candidates": [{"content": {"parts": [{"text": "Partial"}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 2,"candidatesTokenCount": 1},"modelVersion": "gemini-2.5-flash","responseId": "p"})")));
    ResponseStream stream = llm->get_response_stream("hi");
    try {
      drain(stream);
      FAIL("no error");
    } catch (const ConnectionError& error) {
      CHECK(error.partial_content() == "Partial");
      CHECK_THAT(error.what(), Catch::Contains("before a finishReason"));
    }
  }
  SECTION("an empty event stream") {
    env.server.push_response(sse_body(""));
    ResponseStream stream = llm->get_response_stream("hi");
    CHECK_THROWS_AS(drain(stream), ConnectionError);
  }
  SECTION("the connection drops inside an event") {
    fake::ScriptedResponse response;
    response.fixture = "gemini/stream_generate_content.sse";
    response.cut_after = 2000;
    env.server.push_response(response);
    ResponseStream stream = llm->get_response_stream("hi");
    try {
      drain(stream);
      FAIL("no error");
    } catch (const ConnectionError& error) {
      CHECK(error.partial_content().rfind(kTetrisPrefix, 0) == 0);
    }
  }
  SECTION("an error object in a 200 chunk") {
    env.server.push_response(sse_body(
        chunk(R"({"candidates": [{"content": {"parts": [{"text": "Some"}],"role": "model"},"index": 0}]})") +
        chunk(R"({"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}})")));
    ResponseStream stream = llm->get_response_stream("hi");
    try {
      drain(stream);
      FAIL("no error");
    } catch (const OverloadedError& error) {
      CHECK(error.partial_content() == "Some");
      CHECK(error.provider_error_type() == "UNAVAILABLE");
      CHECK_THAT(error.what(), Catch::Contains("The model is overloaded."));
    }
  }
}

TEST_CASE("HTTP errors become typed errors with Gemini's status, message and RetryInfo", "[gemini][errors]") {
  ProviderTestEnv env;
  const auto llm = env.gemini();

  SECTION("429 fixture: RetryInfo.retryDelay 26s") {
    env.push_fixture("gemini/error_429.json");
    try {
      (void)llm->get_response("hi");
      FAIL("no error");
    } catch (const RateLimitedError& error) {
      CHECK(error.http_status() == 429);
      CHECK(error.provider() == "gemini");
      CHECK(error.provider_error_type() == "RESOURCE_EXHAUSTED");
      CHECK_THAT(error.what(), Catch::StartsWith("Gemini 429: You exceeded your current quota"));
      REQUIRE(error.retry_after_ms());
      CHECK(*error.retry_after_ms() == 26000);
    }
  }
  SECTION("400 fixture on the streaming path: API_KEY_INVALID is an authentication error") {
    env.push_fixture("gemini/error_400.json");
    try {
      ResponseStream stream = llm->get_response_stream("hi");
      drain(stream);
      FAIL("no error");
    } catch (const AuthenticationError& error) {
      CHECK(error.http_status() == 400);
      CHECK(error.provider_error_type() == "INVALID_ARGUMENT");
      CHECK(std::string(error.what()) == "Gemini 400: API key not valid. Please pass a valid API key.");
      CHECK_FALSE(error.retry_after_ms());
    }
  }
  SECTION("a retryDelay with a fraction, and a header when the body has none") {
    env.server.push_response(json_body(
        R"({"error":{"code":429,"message":"slow down","status":"RESOURCE_EXHAUSTED","details":[)"
        R"({"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"1.5s"}]}})", 429));
    try {
      (void)llm->get_response("hi");
      FAIL("no error");
    } catch (const RateLimitedError& error) {
      REQUIRE(error.retry_after_ms());
      CHECK(*error.retry_after_ms() == 1500);
    }
    fake::ScriptedResponse response = json_body(R"({"error":{"code":429,"message":"slow","status":"RESOURCE_EXHAUSTED"}})", 429);
    response.headers = {{"retry-after", "3"}};
    env.server.push_response(response);
    try {
      (void)llm->get_response("hi");
      FAIL("no error");
    } catch (const RateLimitedError& error) {
      REQUIRE(error.retry_after_ms());
      CHECK(*error.retry_after_ms() == 3000);
    }
  }

  struct Row { int status; const char* canonical; ErrorKind kind; };
  const Row rows[] = {{400, "INVALID_ARGUMENT", ErrorKind::bad_request},
                      {400, "FAILED_PRECONDITION", ErrorKind::bad_request},
                      {401, "UNAUTHENTICATED", ErrorKind::authentication},
                      {403, "PERMISSION_DENIED", ErrorKind::permission},
                      {404, "NOT_FOUND", ErrorKind::not_found},
                      {500, "INTERNAL", ErrorKind::server},
                      {503, "UNAVAILABLE", ErrorKind::overloaded},
                      {504, "DEADLINE_EXCEEDED", ErrorKind::timeout},
                      // A status we do not know falls back to the HTTP status.
                      {502, "SOMETHING_NEW", ErrorKind::server},
                      {502, nullptr, ErrorKind::server}};
  for (const auto& row : rows) {
    SECTION(fmt::format("status {} {}", row.status, row.canonical ? row.canonical : "html")) {
      fake::ScriptedResponse response;
      response.status = row.status;
      if (row.canonical == nullptr) {
        response.content_type = "text/html";
        response.body = "<html>\r\n<body>bad gateway</body>\r\n</html>";
      } else {
        response.content_type = "application/json";
        response.body = fmt::format(R"({{"error":{{"code":{},"message":"scripted failure","status":"{}"}}}})",
                                    row.status, row.canonical);
      }
      env.server.push_response(response);
      try {
        (void)llm->get_response("hi");
        FAIL("no error");
      } catch (const Error& error) {
        CHECK(error.kind() == row.kind);
        CHECK(error.http_status() == row.status);
        if (row.canonical == nullptr) {
          CHECK_THAT(error.what(), Catch::Contains("HTTP 502") && Catch::Contains("<body>bad gateway"));
          CHECK(error.provider_error_type().empty());
        } else {
          CHECK(std::string(error.what()) == fmt::format("Gemini {}: scripted failure", row.status));
          CHECK(error.provider_error_type() == row.canonical);
        }
      }
    }
  }
}

TEST_CASE("the fake's own Gemini auth answers reach the caller as typed errors", "[gemini][errors]") {
  fake::FakeServerOptions options = ProviderTestEnv::default_options();
  options.required_api_key = "AIza-the-right-one";
  ProviderTestEnv env(options);
  try {
    (void)env.gemini()->get_response("hi");
    FAIL("no error");
  } catch (const AuthenticationError& error) {
    CHECK(error.http_status() == 400);
    CHECK(std::string(error.what()) == "Gemini 400: API key not valid. Please pass a valid API key.");
  }
  ClientOptions right = env.gemini_options();
  right.api_key = "AIza-the-right-one";
  CHECK(env.gemini(right)->get_response("hi").content == "Hello!");
}

TEST_CASE("headers on the wire: x-goog-api-key once, never ?key=, overrides win once", "[gemini][pipeline]") {
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

      const auto plain = call(env.gemini());
      CHECK(ProviderTestEnv::only_header(plain, "x-goog-api-key") == "AIza-test-0000");
      CHECK(ProviderTestEnv::only_header(plain, "Authorization") == "<absent>");
      CHECK(ProviderTestEnv::only_header(plain, "Content-Type") == "application/json");
      CHECK(ProviderTestEnv::only_header(plain, "Accept") == (stream ? "text/event-stream" : "application/json"));
      CHECK(plain.uri.find("key=") == std::string::npos);
      CHECK(plain.uri.find("/models/gemini-2.5-flash:") != std::string::npos);
      CHECK((plain.uri.find("alt=sse") != std::string::npos) == stream);

      ClientOptions layered = env.gemini_options();
      layered.default_headers.set("X-Trace-Tag", "instance-value");
      const auto llm = env.gemini(layered);
      CHECK(ProviderTestEnv::only_header(call(llm), "X-Trace-Tag") == "instance-value");

      RequestOptions request;
      request.extra_headers.set("x-trace-tag", "request-value");
      const auto overridden = call(llm, request);
      CHECK(ProviderTestEnv::only_header(overridden, "X-Trace-Tag") == "request-value");
      CHECK(ProviderTestEnv::only_header(overridden, "x-goog-api-key") == "AIza-test-0000");

      // The dry run shows the same request with the key hidden.
      const auto resolved = llm->resolve(LLMRequest::from_prompt("hi", request), stream);
      REQUIRE(resolved.size() == 1);
      CHECK(resolved[0].url == env.server.origin() + overridden.uri);
      CHECK(resolved[0].body == overridden.body);
      CHECK(resolved[0].auth_header == "x-goog-api-key");
      const HeaderSet redacted = resolved[0].redacted_headers();
      REQUIRE(redacted.find("x-goog-api-key") != nullptr);
      CHECK(*redacted.find("x-goog-api-key") == "[REDACTED]");
    }
  }
}

TEST_CASE("base URL: a gateway path prefix, GOOGLE_GEMINI_BASE_URL and GEMINI_API_KEY", "[gemini][pipeline]") {
  ProviderTestEnv env;
  SECTION("option with a path prefix, with and without a trailing slash") {
    for (const char* prefix : {"/gateway/gemini", "/gateway/gemini/"}) {
      ClientOptions options = env.gemini_options();
      options.base_url = env.server.origin() + prefix;
      const auto llm = env.gemini(options);
      (void)llm->get_response("hi");
      ResponseStream stream = llm->get_response_stream("hi");
      drain(stream);
    }
    const auto recorded = env.server.requests();
    REQUIRE(recorded.size() == 4);
    for (std::size_t i = 0; i < recorded.size(); ++i) {
      CHECK(recorded[i].uri == (i % 2 == 0 ? "/gateway/gemini/v1beta/models/gemini-2.5-flash:generateContent"
                                           : "/gateway/gemini/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"));
    }
  }
  SECTION("env vars") {
    const std::string base = env.server.origin() + "/from-env";
    std::shared_ptr<LLM> llm;
    {
      const ScopedEnv vars{{"GOOGLE_GEMINI_BASE_URL", base.c_str()}, {"GEMINI_API_KEY", "AIza-from-env"}};
      llm = env.gemini(ClientOptions{});
    }
    (void)llm->get_response("hi");
    const auto recorded = env.server.requests();
    REQUIRE(recorded.size() == 1);
    CHECK(recorded[0].uri == "/from-env/v1beta/models/gemini-2.5-flash:generateContent");
    CHECK(ProviderTestEnv::only_header(recorded[0], "x-goog-api-key") == "AIza-from-env");
  }
}

TEST_CASE("the request body: contents with user/model roles, systemInstruction, generationConfig", "[gemini][body]") {
  ProviderTestEnv env;
  const auto llm = env.gemini();
  for (const bool stream : {false, true}) {
    CAPTURE(stream);
    LLMRequest request;
    request.messages = {{Message::Role::user, "Name a colour."},
                        {Message::Role::assistant, "Blue."},
                        {Message::Role::user, "Another, \"quoted\"."}};
    request.options.system = "Be terse.";
    request.options.max_tokens = 123;
    request.options.temperature = 0.25;
    request.options.top_p = 0.5;
    const auto resolved = llm->resolve(request, stream);
    REQUIRE(resolved.size() == 1);
    const auto body = parse_object(resolved[0].body);
    CHECK_FALSE(body->has("model"));
    CHECK_FALSE(body->has("stream"));
    const auto contents = body->getArray("contents");
    REQUIRE(contents->size() == 3);
    CHECK(contents->getObject(0)->getValue<std::string>("role") == "user");
    CHECK(contents->getObject(1)->getValue<std::string>("role") == "model");
    CHECK(contents->getObject(2)->getArray("parts")->getObject(0)->getValue<std::string>("text") == "Another, \"quoted\".");
    CHECK(body->getObject("systemInstruction")->getArray("parts")->getObject(0)->getValue<std::string>("text") ==
          "Be terse.");
    const auto config = body->getObject("generationConfig");
    REQUIRE(config);
    CHECK(config->getValue<double>("temperature") == 0.25);
    CHECK(config->getValue<double>("topP") == 0.5);
    CHECK(config->getValue<int64_t>("maxOutputTokens") == 123);
    CHECK_FALSE(config->has("responseMimeType"));
  }

  SECTION("nothing set: no systemInstruction, no generationConfig") {
    const auto resolved = llm->resolve(LLMRequest::from_prompt("hi"), false);
    REQUIRE(resolved.size() == 1);
    const auto body = parse_object(resolved[0].body);
    CHECK_FALSE(body->has("systemInstruction"));
    CHECK_FALSE(body->has("generationConfig"));
  }
  SECTION("a model id outside the unreserved characters is percent-encoded; models/ is dropped") {
    const auto odd = env.gemini(env.gemini_options(), "tunedModels/my model?x");
    CHECK(odd->resolve(LLMRequest::from_prompt("hi"), false)[0].url ==
          env.server.origin() + "/v1beta/models/tunedModels%2Fmy%20model%3Fx:generateContent");
    const auto prefixed = env.gemini(env.gemini_options(), "models/gemini-2.5-pro");
    CHECK(prefixed->resolve(LLMRequest::from_prompt("hi"), true)[0].url ==
          env.server.origin() + "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse");
  }
}

TEST_CASE("JSON-object mode uses responseMimeType", "[gemini][json]") {
  ProviderTestEnv env;
  const auto llm = env.gemini();
  env.push_fixture("gemini/structured_output.json");
  const JsonResponse json = llm->get_json_response("Two cookie recipes.");
  REQUIRE(json.value.size() == 2);
  CHECK(json.value.at(1).at("recipeName").as_string() == "Oatmeal Raisin Cookies");
  auto recorded = env.server.requests();
  REQUIRE(recorded.size() == 1);
  CHECK(parse_object(recorded[0].body)->getObject("generationConfig")->getValue<std::string>("responseMimeType") ==
        "application/json");
}

TEST_CASE("the fake speaks Gemini on its own: key header or query, alt=sse, fixtures", "[gemini][fake]") {
  ProviderTestEnv env;
  Poco::Net::HTTPClientSession session("127.0.0.1", env.server.port());
  const auto post = [&](const std::string& uri, const std::vector<fake::Header>& headers, const std::string& body,
                        Poco::Net::HTTPResponse& response) {
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, uri, Poco::Net::HTTPMessage::HTTP_1_1);
    request.setContentType("application/json");
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    for (const auto& header : headers) request.set(header.name, header.value);
    session.sendRequest(request) << body;
    std::ostringstream out;
    Poco::StreamCopier::copyStream(session.receiveResponse(response), out);
    return out.str();
  };
  const std::string valid = R"({"contents":[{"role":"user","parts":[{"text":"hi"}]}]})";
  const std::string generate = "/v1beta/models/gemini-2.5-flash:generateContent";
  Poco::Net::HTTPResponse response;

  std::string body = post(generate, {}, valid, response);
  CHECK(response.getStatus() == 403);
  CHECK(parse_object(body)->getObject("error")->getValue<std::string>("status") == "PERMISSION_DENIED");

  body = post(generate + "?key=AIza-query", {}, valid, response);
  CHECK(response.getStatus() == 200);
  CHECK(body == read_fixture("gemini/generate_content.json"));

  body = post(generate, {{"x-goog-api-key", "AIza-x"}}, R"({"generationConfig":{}})", response);
  CHECK(response.getStatus() == 400);
  CHECK_THAT(body, Catch::Contains("contents"));

  body = post("/v1beta/models/gemini-2.5-flash:streamGenerateContent", {{"x-goog-api-key", "AIza-x"}}, valid, response);
  CHECK(response.getStatus() == 400);

  body = post("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", {{"x-goog-api-key", "AIza-x"}}, valid,
              response);
  CHECK(response.getStatus() == 200);
  CHECK(response.getContentType() == "text/event-stream");
  CHECK(body == read_fixture("gemini/stream_generate_content.sse"));

  for (const auto& recorded : env.server.requests()) CHECK(recorded.protocol == "gemini");
}

TEST_CASE("without fixtures the fake's built-in Gemini replies decode", "[gemini][fake]") {
  fake::FakeServerOptions options;  // no fixtures dir: built-in replies
  ProviderTestEnv env(options);
  const auto llm = env.gemini();
  const Response answer = llm->get_response("hi");
  CHECK(answer.content == "Hello from majordomo-fake (gemini).");
  CHECK(answer.model == "gemini-2.5-flash");
  CHECK(answer.stop_reason == StopReason::end_turn);
  CHECK(answer.usage.output_tokens == 9);
  CHECK(answer.usage.input_tokens > 0);
  CHECK(answer.request_id.rfind("fakeResp", 0) == 0);
  ResponseStream stream = llm->get_response_stream("hi");
  CHECK(drain(stream) == "Hello from majordomo-fake (gemini).");
  CHECK(stream.response().usage.output_tokens == 9);
  CHECK(stream.response().stop_reason == StopReason::end_turn);
}
