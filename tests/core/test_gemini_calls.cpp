// Gemini through the host over loopback: catalog, thought parts, splits, finish reasons, in-band and RetryInfo
// errors, the body, the fake's Gemini route, and (0.5) tools, images, thinking and thought signatures.
// Shared scenarios: test_provider_conformance.cpp; the tool loop and the fixture: test_tool_calls.cpp.
#include "provider_table.hpp"
#include "tool_call_table.hpp"

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

// ---------------------------------------------------------------------------------------------
// 0.5: tools, images and reasoning controls (docs/providers.md, "Tools, images and reasoning")
// ---------------------------------------------------------------------------------------------

namespace {

// The whole answer of a stream, read to its end.
Response collected(ResponseStream stream) {
  StreamChunk chunk;
  while (stream.next(chunk)) {
  }
  return stream.response();
}

// The body of the last request the fake received.
Poco::JSON::Object::Ptr last_body(const ProviderTestEnv& env) {
  const auto recorded = env.server.requests();
  REQUIRE_FALSE(recorded.empty());
  return parse_object(recorded.back().body);
}

ToolDefinition time_tool() {
  ToolDefinition tool;
  tool.name = "get_time";
  tool.description = "The local time in a city";
  tool.parameters_json = R"({"type":"object","properties":{"city":{"type":"string"}},"required":["city"]})";
  return tool;
}

LLMRequest tools_request() {
  LLMRequest request;
  request.messages.push_back(Message::user("Weather and time in Paris?"));
  request.tools = {weather_tool(), time_tool()};
  return request;
}

// The generationConfig.thinkingConfig the request was sent with.
Poco::JSON::Object::Ptr sent_thinking(const ProviderTestEnv& env) {
  const auto config = last_body(env)->getObject("generationConfig");
  REQUIRE(config);
  const auto thinking = config->getObject("thinkingConfig");
  REQUIRE(thinking);
  CHECK_FALSE(thinking->has("includeThoughts"));  // as before 0.5: no thought summaries asked for
  return thinking;
}

}  // namespace

TEST_CASE("images: bytes as inlineData, https URLs as fileData, base64 data: URLs decoded", "[gemini][images]") {
  ProviderTestEnv env;
  const auto llm = env.gemini();
  LLMRequest request;
  request.messages.push_back(Message::user("What are these?"));
  auto& parts = request.messages.back().parts;
  parts.push_back(ContentPart::image_from_bytes("\x89PNG", "image/png"));
  parts.push_back(ContentPart::image_from_url("https://example.com/cat.JPG?size=large"));
  parts.push_back(ContentPart::image_from_url("https://example.com/render"));
  parts.push_back(ContentPart::image_from_url("data:image/webp;base64,UklGRg=="));
  for (const bool stream : {false, true}) {
    CAPTURE(stream);
    const Response answer = stream ? collected(llm->stream(request)) : llm->complete(request);
    CHECK_FALSE(answer.content.empty());
    const auto sent = last_body(env)->getArray("contents")->getObject(0)->getArray("parts");
    REQUIRE(sent->size() == 5);
    CHECK(sent->getObject(0)->getValue<std::string>("text") == "What are these?");
    const auto bytes = sent->getObject(1)->getObject("inlineData");
    REQUIRE(bytes);
    CHECK(bytes->getValue<std::string>("mimeType") == "image/png");
    CHECK(bytes->getValue<std::string>("data") == "iVBORw==");  // the host's base64 of the 4 bytes
    const auto url = sent->getObject(2)->getObject("fileData");
    REQUIRE(url);
    CHECK(url->getValue<std::string>("fileUri") == "https://example.com/cat.JPG?size=large");
    CHECK(url->getValue<std::string>("mimeType") == "image/jpeg");  // from the extension
    const auto bare = sent->getObject(3)->getObject("fileData");
    REQUIRE(bare);
    CHECK_FALSE(bare->has("mimeType"));  // nothing to tell it by: the service finds out
    const auto decoded = sent->getObject(4)->getObject("inlineData");
    REQUIRE(decoded);
    CHECK(decoded->getValue<std::string>("mimeType") == "image/webp");
    CHECK(decoded->getValue<std::string>("data") == "UklGRg==");
  }

  SECTION("an http URL or a data: URL not in base64 is refused before sending, naming the remedy") {
    const std::size_t before = env.server.requests().size();
    for (const char* url : {"http://example.com/cat.png", "data:image/svg+xml,%3Csvg%3E"}) {
      CAPTURE(url);
      LLMRequest refused;
      refused.messages.push_back(Message::user("What is this?"));
      refused.messages.back().parts.push_back(ContentPart::image_from_url(url));
      const auto error = thrown_by<UnsupportedError>([&] { (void)llm->complete(refused); });
      CHECK_THAT(error.what(), Catch::Contains("bytes"));
    }
    CHECK(env.server.requests().size() == before);
  }
  SECTION("Gemma takes no images: refused naming the model") {
    const auto gemma = env.gemini(env.gemini_options(), "gemma-3-27b-it");
    const auto error = thrown_by<UnsupportedError>([&] { (void)gemma->complete(request); });
    CHECK_THAT(error.what(), Catch::Contains("gemma-3-27b-it") && Catch::Contains("images"));
  }
}

TEST_CASE("thinking and effort map to thinkingConfig: budget, -1 for on, 0 for off, thinkingLevel", "[gemini][reasoning]") {
  ProviderTestEnv env;
  LLMRequest request = LLMRequest::from_prompt("Think.");
  SECTION("thinking controls on a 2.5 model are budgets") {
    const auto llm = env.gemini();
    request.options.thinking = Thinking::budget(1024);
    (void)llm->complete(request);
    CHECK(sent_thinking(env)->getValue<int64_t>("thinkingBudget") == 1024);
    request.options.thinking = Thinking::on();
    (void)llm->complete(request);
    CHECK(sent_thinking(env)->getValue<int64_t>("thinkingBudget") == -1);
    request.options.thinking = Thinking::off();
    (void)collected(llm->stream(request));
    CHECK(sent_thinking(env)->getValue<int64_t>("thinkingBudget") == 0);
    CHECK_FALSE(sent_thinking(env)->has("thinkingLevel"));

    request.options.thinking = {};
    request.options.reasoning_effort = ReasoningEffort::high;
    const auto error = thrown_by<UnsupportedError>([&] { (void)llm->complete(request); });
    CHECK_THAT(error.what(), Catch::Contains("gemini-2.5-flash") && Catch::Contains("thinking budget"));
    CHECK(env.server.requests().size() == 3);
  }
  SECTION("an effort on Gemini 3 and later is a thinkingLevel; max is high") {
    const auto llm = env.gemini(env.gemini_options(), "gemini-3-flash-preview");
    const std::vector<std::pair<ReasoningEffort, std::string>> levels = {
        {ReasoningEffort::minimal, "minimal"}, {ReasoningEffort::low, "low"}, {ReasoningEffort::medium, "medium"},
        {ReasoningEffort::high, "high"}, {ReasoningEffort::max, "high"}};
    for (const auto& [effort, level] : levels) {
      CAPTURE(level);
      request.options.reasoning_effort = effort;
      (void)llm->complete(request);
      CHECK(sent_thinking(env)->getValue<std::string>("thinkingLevel") == level);
      CHECK_FALSE(sent_thinking(env)->has("thinkingBudget"));
    }
    // "On" goes with a level (which turns thinking on anyway); off or a budget contradicts it.
    request.options.thinking = Thinking::on();
    (void)llm->complete(request);
    CHECK(sent_thinking(env)->getValue<std::string>("thinkingLevel") == "high");
    CHECK_FALSE(sent_thinking(env)->has("thinkingBudget"));
    const std::size_t sent = env.server.requests().size();
    for (const Thinking thinking : {Thinking::off(), Thinking::budget(512)}) {
      request.options.thinking = thinking;
      const auto error = thrown_by<UnsupportedError>([&] { (void)llm->complete(request); });
      CHECK_THAT(error.what(), Catch::Contains("not both"));
    }
    CHECK(env.server.requests().size() == sent);
  }
}

TEST_CASE("a call's thoughtSignature comes back on its functionCall part, a text's on the text", "[gemini][tools]") {
  ProviderTestEnv env;
  const auto llm = env.gemini();
  LLMRequest request = tools_request();
  for (const bool stream : {false, true}) {
    CAPTURE(stream);
    const std::string answer =
        R"({"candidates":[{"content":{"parts":[{"text":"Checking.","thoughtSignature":"dGV4dFNpZw=="},)"
        R"({"functionCall":{"id":"fc-1","name":"get_weather","args":{"city": "Paris"}},"thoughtSignature":"Y2FsbFNpZw=="}],)"
        R"("role":"model"},"finishReason":"STOP","index":0}],"modelVersion":"gemini-2.5-flash"})";
    env.server.push_response(stream ? sse_body(chunk(answer)) : json_body(answer));
    const Response first = stream ? collected(llm->stream(request)) : llm->complete(request);
    CHECK(first.content == "Checking.");
    REQUIRE(first.tool_calls.size() == 1);
    CHECK(first.tool_calls[0].id == "fc-1");
    CHECK(first.tool_calls[0].arguments == R"({"city":"Paris"})");  // compact JSON text of args
    CHECK(first.stop_reason == StopReason::tool_use);
    CHECK(first.continuation.provider == "gemini");
    CHECK(first.continuation.items == std::vector<std::string>{R"({"text":true,"thoughtSignature":"dGV4dFNpZw=="})",
                                                                R"({"call":0,"thoughtSignature":"Y2FsbFNpZw=="})"});

    LLMRequest next = request;
    next.messages.push_back(Message::assistant(first));
    next.messages.push_back(Message::tool_result(first.tool_calls[0], "sunny"));
    const Response second = stream ? collected(llm->stream(next)) : llm->complete(next);
    CHECK(second.tool_calls.empty());
    const auto contents = last_body(env)->getArray("contents");
    REQUIRE(contents->size() == 3);
    const auto model = contents->getObject(1)->getArray("parts");
    REQUIRE(model->size() == 2);
    CHECK(model->getObject(0)->getValue<std::string>("text") == "Checking.");
    CHECK(model->getObject(0)->getValue<std::string>("thoughtSignature") == "dGV4dFNpZw==");
    CHECK(model->getObject(1)->getObject("functionCall")->getValue<std::string>("id") == "fc-1");
    CHECK(model->getObject(1)->getValue<std::string>("thoughtSignature") == "Y2FsbFNpZw==");
    const auto result = contents->getObject(2)->getArray("parts")->getObject(0)->getObject("functionResponse");
    CHECK(result->getValue<std::string>("id") == "fc-1");
    CHECK(result->getObject("response")->getValue<std::string>("result") == "sunny");  // text is wrapped
  }

  SECTION("continuation data the plugin did not write is refused naming the item") {
    Message assistant;
    assistant.role = Message::Role::assistant;
    assistant.tool_calls.push_back(ToolCall{"", "get_weather", R"({"city":"Paris"})", ToolCallProblem::none, {}});
    SECTION("not JSON") { assistant.continuation = Continuation{"gemini", {"opaque"}}; }
    SECTION("a call the turn lacks") { assistant.continuation = Continuation{"gemini", {R"({"call":3,"thoughtSignature":"x"})"}}; }
    request.messages.push_back(assistant);
    request.messages.push_back(Message::tool_result(assistant.tool_calls[0], "sunny"));
    const std::size_t before = env.server.requests().size();
    const auto error = thrown_by<ConfigurationError>([&] { (void)llm->complete(request); });
    CHECK_THAT(error.what(), Catch::Contains("continuation item 0"));
    CHECK(env.server.requests().size() == before);
  }
}

TEST_CASE("parallel calls without ids decode in order, and their results share one user content", "[gemini][tools]") {
  ProviderTestEnv env;
  const auto llm = env.gemini();
  LLMRequest request = tools_request();
  const std::string first_chunk =
      R"({"candidates":[{"content":{"parts":[{"functionCall":{"name":"get_weather","args":{"city":"Paris"}}}],"role":"model"},"index":0}]})";
  const std::string second_chunk =
      R"({"candidates":[{"content":{"parts":[{"functionCall":{"name":"get_time"}}],"role":"model"},"finishReason":"STOP","index":0}]})";
  env.server.push_response(sse_body(chunk(first_chunk) + chunk(second_chunk)));
  const Response first = collected(llm->stream(request));
  REQUIRE(first.tool_calls.size() == 2);
  CHECK(first.tool_calls[0].name == "get_weather");
  CHECK(first.tool_calls[0].id.empty());
  CHECK(first.tool_calls[1].name == "get_time");
  CHECK(first.tool_calls[1].arguments == "{}");  // no args: an empty object
  CHECK(first.tool_calls[1].problem == ToolCallProblem::schema_mismatch);  // city is required
  CHECK(first.stop_reason == StopReason::tool_use);
  CHECK(first.continuation.empty());  // nothing signed

  request.messages.push_back(Message::assistant(first));
  request.messages.push_back(Message::tool_result(first.tool_calls[1], "the time is unknown", true));
  request.messages.push_back(Message::tool_result(first.tool_calls[0], R"({"temp_c":21})"));
  const Response second = llm->complete(request);
  CHECK(second.tool_calls.empty());
  const auto contents = last_body(env)->getArray("contents");
  REQUIRE(contents->size() == 3);  // user, model, one user content with both results
  const auto model = contents->getObject(1)->getArray("parts");
  REQUIRE(model->size() == 2);
  CHECK_FALSE(model->getObject(0)->has("thoughtSignature"));
  CHECK_FALSE(model->getObject(0)->getObject("functionCall")->has("id"));
  const auto results = contents->getObject(2);
  CHECK(results->getValue<std::string>("role") == "user");
  const auto parts = results->getArray("parts");
  REQUIRE(parts->size() == 2);
  const auto failed = parts->getObject(0)->getObject("functionResponse");
  CHECK(failed->getValue<std::string>("name") == "get_time");
  CHECK(failed->getObject("response")->getValue<std::string>("error") == "the time is unknown");
  const auto answered = parts->getObject(1)->getObject("functionResponse");
  CHECK(answered->getValue<std::string>("name") == "get_weather");
  CHECK(answered->getObject("response")->getValue<int>("temp_c") == 21);
}

TEST_CASE("a functionCall without a name, args that are no object, or over 1024 calls are parse errors",
          "[gemini][tools][errors]") {
  ProviderTestEnv env;
  const auto llm = env.gemini();
  const auto answer_with = [](const std::string& parts) {
    return R"({"candidates":[{"content":{"parts":[)" + parts + R"(],"role":"model"},"finishReason":"STOP","index":0}]})";
  };
  std::string many;
  for (int i = 0; i <= 1024; ++i) many += std::string(i > 0 ? "," : "") + R"({"functionCall":{"name":"get_weather"}})";
  for (const std::string& parts : {std::string(R"({"functionCall":{"args":{}}})"),
                                   std::string(R"({"functionCall":{"name":"get_weather","args":"Paris"}})"), many}) {
    env.server.push_response(json_body(answer_with(parts)));
    (void)thrown_by<ParseError>([&] { (void)llm->complete(tools_request()); });
  }
  // 1024 calls are still an answer.
  many.erase(many.rfind(','));
  env.server.push_response(json_body(answer_with(many)));
  CHECK(llm->complete(tools_request()).tool_calls.size() == 1024);
}

TEST_CASE("tool_choice: none is NONE, required is ANY, a named tool is ANY with allowedFunctionNames", "[gemini][tools]") {
  ProviderTestEnv env;
  const auto llm = env.gemini();
  LLMRequest request = tools_request();
  const auto calling_config = [&] {
    const auto config = last_body(env)->getObject("toolConfig");
    REQUIRE(config);
    return config->getObject("functionCallingConfig");
  };
  SECTION("none: no call") {
    request.tool_choice.mode = ToolChoice::Mode::none;
    const Response answer = llm->complete(request);
    CHECK(answer.tool_calls.empty());
    CHECK(calling_config()->getValue<std::string>("mode") == "NONE");
  }
  SECTION("required: a call of the first tool") {
    request.tool_choice.mode = ToolChoice::Mode::required;
    const Response answer = collected(llm->stream(request));
    REQUIRE(answer.tool_calls.size() == 1);
    CHECK(answer.tool_calls[0].name == "get_weather");
    CHECK(calling_config()->getValue<std::string>("mode") == "ANY");
    CHECK_FALSE(calling_config()->has("allowedFunctionNames"));
  }
  SECTION("named: a call of that tool") {
    request.tool_choice = ToolChoice::tool("get_time");
    const Response answer = llm->complete(request);
    REQUIRE(answer.tool_calls.size() == 1);
    CHECK(answer.tool_calls[0].name == "get_time");
    CHECK(answer.tool_calls[0].problem == ToolCallProblem::none);
    CHECK(calling_config()->getValue<std::string>("mode") == "ANY");
    const auto allowed = calling_config()->getArray("allowedFunctionNames");
    REQUIRE(allowed);
    REQUIRE(allowed->size() == 1);
    CHECK(allowed->getElement<std::string>(0) == "get_time");
  }
  SECTION("parallel calls off: Gemini has no switch, refused before sending") {
    request.parallel_tool_calls = false;
    const auto error = thrown_by<UnsupportedError>([&] { (void)llm->complete(request); });
    CHECK_THAT(error.what(), Catch::Contains("parallel"));
    CHECK(env.server.requests().empty());
  }
}

TEST_CASE("the fake answers Gemini functions with a signed functionCall, and a functionResponse with text",
          "[gemini][fake][tools]") {
  ProviderTestEnv env;
  Poco::Net::HTTPClientSession session("127.0.0.1", env.server.port());
  Poco::Net::HTTPResponse response;
  const std::vector<fake::Header> key = {{"x-goog-api-key", "AIza-x"}};
  const std::string generate = "/v1beta/models/gemini-2.5-flash:generateContent";
  const std::string tools =
      R"("tools":[{"functionDeclarations":[{"name":"first"},{"name":"lookup","parameters":{"type":"OBJECT",)"
      R"("properties":{"q":{"type":"STRING"}},"required":["q"]}}]}])";
  const std::string ask = R"({"contents":[{"role":"user","parts":[{"text":"hi"}]}],)";

  // Named by allowedFunctionNames: that function, with arguments that fit its parameters.
  std::string body = post_to_fake(
      session, generate, key,
      ask + tools + R"(,"toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["lookup"]}}})",
      response);
  REQUIRE(response.getStatus() == 200);
  const auto candidate = parse_object(body)->getArray("candidates")->getObject(0);
  CHECK(candidate->getValue<std::string>("finishReason") == "STOP");
  const auto part = candidate->getObject("content")->getArray("parts")->getObject(0);
  CHECK(part->getObject("functionCall")->getValue<std::string>("name") == "lookup");
  CHECK(part->getObject("functionCall")->getObject("args")->has("q"));
  CHECK_FALSE(part->getObject("functionCall")->has("id"));
  CHECK_FALSE(part->getValue<std::string>("thoughtSignature").empty());

  // Streamed: one CRLF-framed chunk with the first function, which has no parameters.
  body = post_to_fake(session, "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", key, ask + tools + "}",
                      response);
  CHECK(response.getContentType() == "text/event-stream");
  REQUIRE(body.starts_with("data: "));
  REQUIRE(body.ends_with("\r\n\r\n"));
  const auto streamed = parse_object(body.substr(6, body.size() - 10))->getArray("candidates")->getObject(0);
  const auto call = streamed->getObject("content")->getArray("parts")->getObject(0)->getObject("functionCall");
  CHECK(call->getValue<std::string>("name") == "first");
  CHECK(call->getObject("args")->size() == 0);

  // Mode NONE, or a last content that answers a call: text.
  for (const std::string& request :
       {ask + tools + R"(,"toolConfig":{"functionCallingConfig":{"mode":"NONE"}}})",
        R"({"contents":[{"role":"user","parts":[{"text":"hi"}]},{"role":"model","parts":[{"functionCall":{"name":"first","args":{}}}]},)"
        R"({"role":"user","parts":[{"functionResponse":{"name":"first","response":{"ok":true}}}]}],)" + tools + "}"}) {
    body = post_to_fake(session, generate, key, request, response);
    CHECK(response.getStatus() == 200);
    CHECK(body == fixture_text("gemini/generate_content.json"));
  }
}
