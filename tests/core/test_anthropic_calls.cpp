// Anthropic through the host over loopback: catalog, thinking, cache pricing, stop reasons, splits, error events,
// the version header, the body and the fake's Messages route. Shared scenarios: test_provider_conformance.cpp.
#include "tool_call_table.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

using namespace majordomo;
using namespace majordomo::testing;

namespace {

const std::string kOrderJson = R"({"product_name": "Green Tea", "price": 5.50, "quantity": 2})";
const std::string& kWeatherText = answers::anthropic_weather;
const std::string& kThinkingText = answers::anthropic_thinking;
const std::string& kGreetingText = answers::anthropic_greeting;

std::string sse_event(std::string_view name, std::string_view data) {
  return fmt::format("event: {}\ndata: {}\n\n", name, data);
}

fake::ScriptedResponse sse_body(std::string body) { return scripted("text/event-stream; charset=utf-8", std::move(body)); }

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

TEST_CASE("the anthropic plugin declares its catalog", "[anthropic]") {
  ProviderTestEnv env;
  const PluginInfo* info = env.host.find_plugin("anthropic");
  REQUIRE(info != nullptr);
  check_cached_pricing(*info, {"claude-fable-5-2", "claude-opus-5-5", "claude-sonnet-5-5", "claude-haiku-5-5",
                               "claude-sonnet-4-5", "claude-haiku-4-5"}, true);
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
  env.server.push_response(json_body(
      R"({"model":"claude-haiku-4-5-20251001","id":"msg_c","type":"message","role":"assistant",)"
      R"("content":[{"type":"thinking","thinking":"Short.","signature":"c2ln"},{"type":"text","text":"Part one, "},)"
      R"({"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{"query":"x"}},)"
      R"({"type":"text","text":"part two."}],"stop_reason":"pause_turn","stop_sequence":null,)"
      R"("usage":{"input_tokens":100,"cache_creation_input_tokens":200,"cache_read_input_tokens":300,)"
      R"("output_tokens":40,"output_tokens_details":{"thinking_tokens":10}}})"));
  const Response answer = llm->get_response("hi");
  check_answer(answer, {.text = "Part one, part two.", .reasoning = "Short.", .input = 600, .output = 40, .cached = 300,
                        .reasoning_tokens = 10, .raw_stop = "pause_turn"});
  CHECK(answer.usage.cache_write_tokens == 200);
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
        env.server.push_response(json_body(
            fmt::format(
            R"({{"id":"msg_s","type":"message","role":"assistant","model":"claude-haiku-4-5","content":[{{"type":"text","text":"ok"}}],)"
            R"("stop_reason":"{}","stop_sequence":null,"usage":{{"input_tokens":3,"output_tokens":2}}}})",
            row.raw)));
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
  const std::string body = fixture_text("anthropic/message.json");
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
  check_every_split(env, *llm, sse_body(body), body.size(), 5,
                    {.text = text_a + text_b, .reasoning = thinking, .input = 7, .output = 7, .cached = 2});
}

TEST_CASE("the recorded fixtures split into many small writes give the same answer", "[anthropic][stream][split]") {
  ProviderTestEnv env;
  const auto llm = env.anthropic();
  const Response thinking = replay_in_pieces(env, *llm, "anthropic/stream_thinking.sse", 41);
  CHECK(thinking.content == kGreetingText);
  CHECK(thinking.reasoning == kThinkingText);
  const Response tool_use = replay_in_pieces(env, *llm, "anthropic/stream_tool_use_padded.sse", 41);
  CHECK(tool_use.content.empty());
  CHECK(tool_use.usage.output_tokens == 74);
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
    const auto error = thrown_by<OverloadedError>([&] { for (std::string_view piece : stream) text.append(piece); });
    CHECK(error.partial_content() == "Partial answer");
    CHECK(error.provider_error_type() == "overloaded_error");
    CHECK(error.provider() == "anthropic");
    CHECK(error.http_status() == 200);
    CHECK_THAT(error.what(), Catch::Contains("Overloaded"));
    CHECK(error.request_id().rfind("req_fake_", 0) == 0);
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
      const Error error = thrown_by([&] { drain(stream); });
      CHECK(error.kind() == row.kind);
      CHECK(error.provider_error_type() == row.type);
      CHECK(error.partial_content() == "Some");
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
    const auto error = thrown_by<ConnectionError>([&] { drain(stream); });
    CHECK(error.partial_content() == "Cut here");
    CHECK_THAT(error.what(), Catch::Contains("message_stop"));
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
      const auto body = resolved_body(*llm, conversation("Another, \"quoted\".", row.max_tokens, 0.25, std::nullopt), stream);
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
    return post_to_fake(session, "/v1/messages", headers, body, response);
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
  CHECK(body == fixture_text("anthropic/message.json"));
  CHECK(response.getContentType() == "application/json");
  CHECK(response.get("request-id").rfind("req_fake_", 0) == 0);
  CHECK(response.has("anthropic-ratelimit-requests-remaining"));

  body = post({{"x-api-key", "sk-ant-x"}, {"anthropic-version", "2023-06-01"}},
              R"({"model":"claude-haiku-4-5","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hi"}]})",
              response);
  CHECK(response.getStatus() == 200);
  CHECK(response.getContentType() == "text/event-stream; charset=utf-8");
  CHECK(body == fixture_text("anthropic/message_stream.sse"));

  for (const auto& recorded : env.server.requests()) CHECK(recorded.protocol == "anthropic");
}

TEST_CASE("anthropic-version is sent once and an instance or request value overrides it", "[anthropic][pipeline]") {
  ProviderTestEnv env;
  for (const bool stream : {false, true}) {
    CAPTURE(stream);
    ClientOptions newer = env.anthropic_options();
    newer.default_headers.set("anthropic-version", "2026-10-21");
    const auto llm = env.anthropic(newer);
    const auto versioned = only_request(env, [&] { ask(*llm, stream); });
    CHECK(ProviderTestEnv::only_header(versioned, "anthropic-version") == "2026-10-21");
    RequestOptions request;
    request.extra_headers.set("ANTHROPIC-VERSION", "2027-01-01");
    const auto overridden = only_request(env, [&] { ask(*llm, stream, "hi", request); });
    CHECK(ProviderTestEnv::only_header(overridden, "anthropic-version") == "2027-01-01");
    CHECK(ProviderTestEnv::only_header(overridden, "x-api-key") == "sk-ant-test-0000");
  }
}

// ---- 0.5: tools, images, reasoning, caching and continuation ----

namespace {

// The recorded body of one request sent through `llm`.
Poco::JSON::Object::Ptr sent_body(ProviderTestEnv& env, LLM& llm, const LLMRequest& request, bool stream = false) {
  const auto recorded = only_request(env, [&] {
    if (stream) {
      ResponseStream answer = llm.stream(request);
      (void)drain(answer);
    } else {
      (void)llm.complete(request);
    }
  });
  return parse_object(recorded.body);
}

std::string stringified(const Poco::JSON::Object::Ptr& object) {
  std::ostringstream out;
  object->stringify(out);
  return out.str();
}

}  // namespace

TEST_CASE("images go as image blocks: bytes and data: URLs as base64 sources, other URLs as url sources",
          "[anthropic][images]") {
  ProviderTestEnv env;
  const auto llm = env.anthropic();
  LLMRequest request;
  request.messages.push_back(Message::user("What is in these?"));
  auto& parts = request.messages.back().parts;
  parts.push_back(ContentPart::image_from_bytes(std::string("\x89PNG\r\n", 6), "image/png"));
  parts.push_back(ContentPart::image_from_url("https://example.com/cat.jpg"));
  parts.push_back(ContentPart::image_from_url("data:image/gif;base64,R0lGODlh"));
  const auto body = sent_body(env, *llm, request);
  const auto blocks = body->getArray("messages")->getObject(0)->getArray("content");
  REQUIRE(blocks);
  REQUIRE(blocks->size() == 4);
  CHECK(blocks->getObject(0)->getValue<std::string>("text") == "What is in these?");
  const auto source = [&](unsigned i) {
    CHECK(blocks->getObject(i)->getValue<std::string>("type") == "image");
    return blocks->getObject(i)->getObject("source");
  };
  CHECK(source(1)->getValue<std::string>("type") == "base64");
  CHECK(source(1)->getValue<std::string>("media_type") == "image/png");
  CHECK(source(1)->getValue<std::string>("data") == "iVBORw0K");  // the bytes, base64-encoded by the host
  CHECK(source(2)->getValue<std::string>("type") == "url");
  CHECK(source(2)->getValue<std::string>("url") == "https://example.com/cat.jpg");
  CHECK(source(3)->getValue<std::string>("type") == "base64");
  CHECK(source(3)->getValue<std::string>("media_type") == "image/gif");
  CHECK(source(3)->getValue<std::string>("data") == "R0lGODlh");
}

TEST_CASE("reasoning controls map to thinking and output_config.effort", "[anthropic][reasoning]") {
  ProviderTestEnv env;
  const auto llm = env.anthropic();
  struct Row { Thinking thinking; ReasoningEffort effort; const char* thinking_json; const char* effort_name; };
  const Row rows[] = {
      {Thinking::budget(2048), ReasoningEffort::unset, R"({"budget_tokens":2048,"type":"enabled"})", nullptr},
      {Thinking::on(), ReasoningEffort::unset, R"({"type":"adaptive"})", nullptr},
      {Thinking::off(), ReasoningEffort::unset, R"({"type":"disabled"})", nullptr},
      {Thinking{}, ReasoningEffort::minimal, nullptr, "low"},  // the API's lowest level
      {Thinking{}, ReasoningEffort::medium, nullptr, "medium"},
      {Thinking::on(), ReasoningEffort::max, R"({"type":"adaptive"})", "max"},
  };
  for (const Row& row : rows) {
    for (const bool stream : {false, true}) {
      CAPTURE(row.thinking_json, row.effort_name, stream);
      LLMRequest request = LLMRequest::from_prompt("hi");
      request.options.thinking = row.thinking;
      request.options.reasoning_effort = row.effort;
      request.options.max_tokens = 4096;
      const auto body = sent_body(env, *llm, request, stream);
      CHECK(body->has("thinking") == (row.thinking_json != nullptr));
      if (row.thinking_json != nullptr) {
        CHECK(JsonValue::parse(stringified(body->getObject("thinking"))) == JsonValue::parse(row.thinking_json));
      }
      CHECK(body->has("output_config") == (row.effort_name != nullptr));
      if (row.effort_name != nullptr) {
        CHECK(body->getObject("output_config")->getValue<std::string>("effort") == row.effort_name);
      }
    }
  }

  SECTION("effort and native structured output share one output_config") {
    LLMRequest request = LLMRequest::from_prompt("Two green teas.");
    request.format = ResponseFormat::json_schema;
    request.schema_json = R"({"type":"object","properties":{"quantity":{"type":"integer"}},"required":["quantity"]})";
    request.options.reasoning_effort = ReasoningEffort::high;
    const auto recorded = only_request(env, [&] { (void)llm->complete(request); });
    CHECK(recorded.body.find("\"output_config\"") == recorded.body.rfind("\"output_config\""));
    const auto config = parse_object(recorded.body)->getObject("output_config");
    CHECK(config->getValue<std::string>("effort") == "high");
    CHECK(config->getObject("format")->getValue<std::string>("type") == "json_schema");
  }
}

TEST_CASE("a thinking budget the API would refuse is refused before sending, naming the rule",
          "[anthropic][reasoning]") {
  ProviderTestEnv env;
  const auto llm = env.anthropic();
  LLMRequest request = LLMRequest::from_prompt("hi");
  SECTION("below 1024") {
    request.options.thinking = Thinking::budget(1023);
    const auto error = thrown_by<ConfigurationError>([&] { (void)llm->complete(request); });
    CHECK_THAT(error.what(), Catch::Contains("at least 1024") && Catch::Contains("1023"));
  }
  SECTION("not below max_tokens (the default 8192 here)") {
    request.options.thinking = Thinking::budget(8192);
    const auto error = thrown_by<ConfigurationError>([&] { (void)llm->complete(request); });
    CHECK_THAT(error.what(), Catch::Contains("below max_tokens (8192)") && Catch::Contains("raise max_tokens"));
  }
  CHECK(env.server.requests().empty());
}

TEST_CASE("prompt caching is on by default and off with prompt_cache = false", "[anthropic][cache]") {
  ProviderTestEnv env;
  const auto llm = env.anthropic();
  for (const bool stream : {false, true}) {
    CAPTURE(stream);
    LLMRequest request = LLMRequest::from_prompt("hi");
    auto body = sent_body(env, *llm, request, stream);
    REQUIRE(body->getObject("cache_control"));
    CHECK(stringified(body->getObject("cache_control")) == R"({"type":"ephemeral"})");
    request.options.prompt_cache = false;
    body = sent_body(env, *llm, request, stream);
    CHECK_FALSE(body->has("cache_control"));
  }
}

TEST_CASE("thinking blocks come back first, unchanged, in the next request's assistant turn",
          "[anthropic][continuation]") {
  ProviderTestEnv env;
  const auto llm = env.anthropic();
  SECTION("streamed thinking with a signature_delta") {
    env.push_fixture("anthropic/stream_thinking.sse");
    ResponseStream stream = llm->get_response_stream("hey");
    (void)drain(stream);
    const Response answer = stream.response();
    CHECK(answer.continuation.provider == "anthropic");
    REQUIRE(answer.continuation.items.size() == 1);
    LLMRequest next;
    next.messages = {Message::user("hey"), Message::assistant(answer), Message::user("And you?")};
    const auto assistant = sent_body(env, *llm, next)->getArray("messages")->getObject(1);
    const auto blocks = assistant->getArray("content");
    REQUIRE(blocks);
    REQUIRE(blocks->size() == 2);
    const auto thinking = blocks->getObject(0);
    CHECK(thinking->getValue<std::string>("type") == "thinking");
    CHECK(thinking->getValue<std::string>("thinking") == kThinkingText);
    CHECK(thinking->getValue<std::string>("signature").rfind("ErUBCkYIARgCIkACJWxzySUOJzOl", 0) == 0);
    CHECK(thinking->getValue<std::string>("signature").ends_with("+2b/pA=="));
    CHECK(blocks->getObject(1)->getValue<std::string>("text") == kGreetingText);
  }
  SECTION("a body's thinking and redacted_thinking blocks before its tool call") {
    env.server.push_response(json_body(
        R"({"model":"claude-sonnet-4-5","id":"msg_r","type":"message","role":"assistant","content":[)"
        R"({"type":"thinking","thinking":"Need \"weather\".","signature":"c2ln"},)"
        R"({"type":"redacted_thinking","data":"ZW5j"},)"
        R"({"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}],)"
        R"("stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":5}})"));
    LLMRequest request;
    request.messages.push_back(Message::user("Weather in Paris?"));
    request.tools.push_back(weather_tool());
    const Response answer = llm->complete(request);
    REQUIRE(answer.tool_calls.size() == 1);
    CHECK(answer.reasoning == "Need \"weather\".");
    REQUIRE(answer.continuation.items.size() == 2);
    request.messages.push_back(Message::assistant(answer));
    request.messages.push_back(Message::tool_result(answer.tool_calls[0], "18C"));
    const auto blocks = sent_body(env, *llm, request)->getArray("messages")->getObject(1)->getArray("content");
    REQUIRE(blocks);
    REQUIRE(blocks->size() == 3);
    CHECK(stringified(blocks->getObject(0)) ==
          R"({"signature":"c2ln","thinking":"Need \"weather\".","type":"thinking"})");
    CHECK(stringified(blocks->getObject(1)) == R"({"data":"ZW5j","type":"redacted_thinking"})");
    CHECK(blocks->getObject(2)->getValue<std::string>("type") == "tool_use");
    // Another Claude model (a cascade's next member) gets them too: the API drops a block the
    // model cannot read, while a tool loop without them is refused when thinking is on.
    const auto other_model = env.anthropic(env.anthropic_options(), "claude-sonnet-4-5");
    const auto to_other = sent_body(env, *other_model, request)->getArray("messages")->getObject(1)->getArray("content");
    REQUIRE(to_other);
    CHECK(to_other->size() == 3);
  }
  SECTION("an item that is not a thinking block is refused before sending") {
    Response forged;
    forged.content = "ok";
    forged.continuation = {"anthropic", {R"({"type":"text","text":"x"}],"model":"other")"}};
    LLMRequest request;
    request.messages = {Message::user("a"), Message::assistant(forged), Message::user("b")};
    const auto error = thrown_by<ConfigurationError>([&] { (void)llm->complete(request); });
    CHECK_THAT(error.what(), Catch::Contains("not an Anthropic thinking block"));
    CHECK(env.server.requests().empty());
  }
}

TEST_CASE("tool results of one round share one user message, with a user turn after them",
          "[anthropic][tools]") {
  ProviderTestEnv env;
  const auto llm = env.anthropic();
  LLMRequest request;
  request.tools.push_back(weather_tool());
  request.messages.push_back(Message::user("Paris and Rome?"));
  Message calls;
  calls.role = Message::Role::assistant;
  calls.tool_calls = {{"toolu_a", "get_weather", R"({"city":"Paris"})", ToolCallProblem::none, {}},
                      {"toolu_b", "get_weather", R"({"city":"Rome"})", ToolCallProblem::none, {}}};
  request.messages.push_back(calls);
  request.messages.push_back(Message::tool_result(calls.tool_calls[0], "18C"));
  request.messages.push_back(Message::tool_result(calls.tool_calls[1], "no such city", true));
  request.messages.push_back(Message::user("Thanks."));
  const auto messages = sent_body(env, *llm, request)->getArray("messages");
  REQUIRE(messages->size() == 3);
  const auto sent_calls = messages->getObject(1)->getArray("content");
  REQUIRE(sent_calls->size() == 2);
  CHECK(sent_calls->getObject(1)->getValue<std::string>("id") == "toolu_b");
  CHECK(stringified(sent_calls->getObject(1)->getObject("input")) == R"({"city":"Rome"})");
  const auto results = messages->getObject(2);
  CHECK(results->getValue<std::string>("role") == "user");
  const auto blocks = results->getArray("content");
  REQUIRE(blocks->size() == 3);
  CHECK(blocks->getObject(0)->getValue<std::string>("tool_use_id") == "toolu_a");
  CHECK_FALSE(blocks->getObject(0)->getValue<bool>("is_error"));
  CHECK(blocks->getObject(1)->getValue<std::string>("tool_use_id") == "toolu_b");
  CHECK(blocks->getObject(1)->getValue<std::string>("content") == "no such city");
  CHECK(blocks->getObject(1)->getValue<bool>("is_error"));
  CHECK(blocks->getObject(2)->getValue<std::string>("type") == "text");
  CHECK(blocks->getObject(2)->getValue<std::string>("text") == "Thanks.");
}

TEST_CASE("tool_choice and parallel calls map onto Anthropic's tool_choice", "[anthropic][tools]") {
  ProviderTestEnv env;
  const auto llm = env.anthropic();
  struct Row { ToolChoice choice; std::optional<bool> parallel; const char* expected; };
  const Row rows[] = {
      {ToolChoice{ToolChoice::Mode::required, {}}, std::nullopt, R"({"type":"any"})"},
      {ToolChoice::tool("get_weather"), std::nullopt, R"({"type":"tool","name":"get_weather"})"},
      {ToolChoice{ToolChoice::Mode::none, {}}, false, R"({"type":"none"})"},
      {ToolChoice{}, false, R"({"type":"auto","disable_parallel_tool_use":true})"},
      {ToolChoice{ToolChoice::Mode::required, {}}, false, R"({"type":"any","disable_parallel_tool_use":true})"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.expected);
    LLMRequest request = LLMRequest::from_prompt("Weather in Paris?");
    request.tools.push_back(weather_tool());
    request.tool_choice = row.choice;
    request.parallel_tool_calls = row.parallel;
    const auto body = sent_body(env, *llm, request);
    REQUIRE(body->getObject("tool_choice"));
    CHECK(JsonValue::parse(stringified(body->getObject("tool_choice"))) == JsonValue::parse(row.expected));
  }
}

TEST_CASE("tool input for a block that is not an open tool_use block is a parse error", "[anthropic][tools][stream]") {
  ProviderTestEnv env;
  env.server.push_response(sse_body(
      stream_prologue() +
      sse_event("content_block_delta",
                R"({"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{}"}})") +
      sse_event("message_stop", R"({"type":"message_stop"})")));
  LLMRequest request = LLMRequest::from_prompt("hi");
  request.tools.push_back(weather_tool());
  (void)thrown_by<ParseError>([&] {
    ResponseStream stream = env.anthropic()->stream(request);
    (void)drain(stream);
  });
}
