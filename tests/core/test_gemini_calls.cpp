// Gemini through the host over loopback: catalog, thought parts, splits, finish reasons, in-band and RetryInfo
// errors, the body and the fake's Gemini route. Shared scenarios: test_provider_conformance.cpp.
#include "provider_table.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace majordomo;
using namespace majordomo::testing;

namespace {

const std::string kTetrisSuffix = ", hold functionality, sound, high scores, etc.";

fake::ScriptedResponse sse_body(std::string body) { return scripted("text/event-stream", std::move(body)); }

// One stream chunk as Gemini frames it: data line, CRLF blank line, no event name.
std::string chunk(std::string_view json) { return fmt::format("data: {}\r\n\r\n", json); }

}  // namespace

TEST_CASE("the gemini plugin declares its catalog", "[gemini]") {
  ProviderTestEnv env;
  const PluginInfo* info = env.host.find_plugin("gemini");
  REQUIRE(info != nullptr);
  check_cached_pricing(*info, {"gemini-4-argon", "gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite"}, false);
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

TEST_CASE("the long Gemini stream ends as recorded, in its 123 chunks", "[gemini]") {
  ProviderTestEnv env;
  const auto llm = env.gemini();
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
  const std::string body = fixture_text("gemini/stream_multibyte_ja.sse");
  REQUIRE(body.find("\r\n\r\n") != std::string::npos);
  fake::ScriptedResponse response;
  response.fixture = "gemini/stream_multibyte_ja.sse";
  check_every_split(env, *llm, response, body.size(), 0, {.text = answers::gemini_ja, .output = 15});
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
      const auto error = thrown_by<ServerError>([&] { (void)llm->get_response("hi"); });
      CHECK(error.provider_error_type() == row.raw);
      CHECK(error.partial_content() == "ok");
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
    const auto error = thrown_by<ConnectionError>([&] { drain(stream); });
    CHECK(error.partial_content() == "Partial");
    CHECK_THAT(error.what(), Catch::Contains("before a finishReason"));
  }
  SECTION("an empty event stream") {
    env.server.push_response(sse_body(""));
    ResponseStream stream = llm->get_response_stream("hi");
    CHECK_THROWS_AS(drain(stream), ConnectionError);
  }
  SECTION("an error object in a 200 chunk") {
    env.server.push_response(sse_body(
        chunk(R"({"candidates": [{"content": {"parts": [{"text": "Some"}],"role": "model"},"index": 0}]})") +
        chunk(R"({"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}})")));
    ResponseStream stream = llm->get_response_stream("hi");
    const auto error = thrown_by<OverloadedError>([&] { drain(stream); });
    CHECK(error.partial_content() == "Some");
    CHECK(error.provider_error_type() == "UNAVAILABLE");
    CHECK_THAT(error.what(), Catch::Contains("The model is overloaded."));
  }
}

TEST_CASE("HTTP errors become typed errors with Gemini's status, message and RetryInfo", "[gemini][errors]") {
  ProviderTestEnv env;
  const auto llm = env.gemini();

  SECTION("a retryDelay with a fraction, and a header when the body has none") {
    env.server.push_response(json_body(
        R"({"error":{"code":429,"message":"slow down","status":"RESOURCE_EXHAUSTED","details":[)"
        R"({"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"1.5s"}]}})", 429));
    const auto fraction = thrown_by<RateLimitedError>([&] { (void)llm->get_response("hi"); });
    REQUIRE(fraction.retry_after_ms());
    CHECK(*fraction.retry_after_ms() == 1500);
    fake::ScriptedResponse response = json_body(R"({"error":{"code":429,"message":"slow","status":"RESOURCE_EXHAUSTED"}})", 429);
    response.headers = {{"retry-after", "3"}};
    env.server.push_response(response);
    const auto header = thrown_by<RateLimitedError>([&] { (void)llm->get_response("hi"); });
    REQUIRE(header.retry_after_ms());
    CHECK(*header.retry_after_ms() == 3000);
  }
}

TEST_CASE("the request body: contents with user/model roles, systemInstruction, generationConfig", "[gemini][body]") {
  ProviderTestEnv env;
  const auto llm = env.gemini();
  for (const bool stream : {false, true}) {
    CAPTURE(stream);
    const auto body = resolved_body(*llm, conversation("Another, \"quoted\".", 123, 0.25, 0.5), stream);
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
    const auto body = resolved_body(*llm, LLMRequest::from_prompt("hi"), false);
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
                        Poco::Net::HTTPResponse& response) { return post_to_fake(session, uri, headers, body, response); };
  const std::string valid = R"({"contents":[{"role":"user","parts":[{"text":"hi"}]}]})";
  const std::string generate = "/v1beta/models/gemini-2.5-flash:generateContent";
  Poco::Net::HTTPResponse response;

  std::string body = post(generate, {}, valid, response);
  CHECK(response.getStatus() == 403);
  CHECK(parse_object(body)->getObject("error")->getValue<std::string>("status") == "PERMISSION_DENIED");

  body = post(generate + "?key=AIza-query", {}, valid, response);
  CHECK(response.getStatus() == 200);
  CHECK(body == fixture_text("gemini/generate_content.json"));

  body = post(generate, {{"x-goog-api-key", "AIza-x"}}, R"({"generationConfig":{}})", response);
  CHECK(response.getStatus() == 400);
  CHECK_THAT(body, Catch::Contains("contents"));

  body = post("/v1beta/models/gemini-2.5-flash:streamGenerateContent", {{"x-goog-api-key", "AIza-x"}}, valid, response);
  CHECK(response.getStatus() == 400);

  body = post("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", {{"x-goog-api-key", "AIza-x"}}, valid,
              response);
  CHECK(response.getStatus() == 200);
  CHECK(response.getContentType() == "text/event-stream");
  CHECK(body == fixture_text("gemini/stream_generate_content.sse"));

  for (const auto& recorded : env.server.requests()) CHECK(recorded.protocol == "gemini");
}

TEST_CASE("without fixtures the fake's built-in Gemini reply carries a response id of its own", "[gemini][fake]") {
  ProviderTestEnv env(fake::FakeServerOptions{});  // no fixtures dir: built-in replies
  CHECK(env.gemini()->get_response("hi").request_id.rfind("fakeResp", 0) == 0);
}
