// DeepSeek through the host over loopback: fixtures as JSON and stream, reasoning, splits, errors, wire headers.
#include "provider_test_env.hpp"
#include "scoped_env.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <cstdlib>
#include <string>

using namespace majordomo;
using majordomo::testing::ProviderTestEnv;
using majordomo::testing::ScopedEnv;
using majordomo::testing::drain;
using majordomo::testing::parse_object;

namespace {

const std::string kGreeting = "Hello! How can I assist you today?";
const std::string kBodyReasoning =
    "Okay, the user wrote \"hello\". That's pretty straightforward. I should respond in a friendly "
    "and welcoming manner. Maybe say \"Hello! How can I assist you today?\" to prompt them to ask for "
    "help. Keep it open-ended so they feel comfortable to ask anything. Let me check for any typos and "
    "make sure the tone is right. Yep, that sounds good. Send it off.";
const std::string kStreamText = "Hello! How can I help you today?";
const std::string kStreamReasoning = "Okay, the user said \"hi\". I should greet them back warmly.";
const std::string kRiverJson =
    "{\n    \"question\": \"Which is the longest river in the world?\",\n    \"answer\": \"The Nile River\"\n}";

}  // namespace

TEST_CASE("every DeepSeek fixture replays with content, reasoning, usage and stop reason", "[deepseek]") {
  ProviderTestEnv env;
  const auto llm = env.deepseek();
  struct Row {
    const char* fixture;
    bool stream;
    std::string content, reasoning, model;
    int64_t input, output, cached, reasoning_tokens;
  };
  const Row rows[] = {
      {"deepseek/chat_completion.json", false, kGreeting, kBodyReasoning, "deepseek-reasoner", 6, 92, 0, 81},
      {"deepseek/structured_output.json", false, kRiverJson, "", "deepseek-chat", 88, 24, 64, 0},
      {"deepseek/chat_completion_stream.sse", true, kStreamText, kStreamReasoning, "deepseek-reasoner", 6, 27, 0, 16},
  };
  for (const auto& row : rows) {
    SECTION(row.fixture) {
      env.push_fixture(row.fixture);
      Response response;
      if (row.stream) {
        ResponseStream stream = llm->get_response_stream("hello");
        CHECK(drain(stream) == row.content);
        response = stream.response();
      } else {
        response = llm->get_response("hello");
      }
      CHECK(response.content == row.content);
      CHECK(response.reasoning == row.reasoning);
      CHECK(response.model == row.model);
      CHECK(response.stop_reason == StopReason::end_turn);
      CHECK(response.raw_stop_reason == "stop");
      CHECK(response.usage.input_tokens == row.input);
      CHECK(response.usage.output_tokens == row.output);
      CHECK(response.usage.cached_tokens == row.cached);
      CHECK(response.usage.reasoning_tokens == row.reasoning_tokens);
      CHECK(response.provider == "deepseek");
      CHECK(response.cost.priced);
      CHECK(response.cost.total > 0);
      const auto requests = env.server.requests();
      REQUIRE(requests.size() == 1);
      CHECK(requests[0].uri == "/chat/completions");
      CHECK(requests[0].protocol == "deepseek");
      const auto body = parse_object(requests[0].body);
      CHECK(body->getValue<std::string>("model") == "deepseek-flash");
      CHECK(body->has("stream") == row.stream);
    }
  }
}

TEST_CASE("DeepSeek reasoning streams as reasoning chunks, never in the answer", "[deepseek][stream]") {
  ProviderTestEnv env;
  const auto llm = env.deepseek(env.deepseek_options(), "deepseek-v4-pro");
  env.push_fixture("deepseek/chat_completion_stream.sse");
  ResponseStream stream = llm->get_response_stream("hi");
  std::string text, reasoning;
  StreamChunk chunk;
  while (stream.next(chunk)) {
    if (chunk.kind == StreamChunk::Kind::reasoning) {
      CHECK(text.empty());  // all reasoning precedes the answer in this recording
      reasoning.append(chunk.text);
    } else {
      text.append(chunk.text);
    }
  }
  CHECK(reasoning == kStreamReasoning);
  CHECK(text == kStreamText);
  CHECK(stream.response().content == kStreamText);
  CHECK(stream.response().reasoning == kStreamReasoning);
}

TEST_CASE("a DeepSeek body after queue-wait blank lines, and finish reasons", "[deepseek]") {
  ProviderTestEnv env;
  const auto llm = env.deepseek();
  const auto body_with = [](std::string_view finish_reason) {
    return std::string(R"({"id":"u1","object":"chat.completion","model":"deepseek-flash","choices":[{"index":0,)"
                       R"("message":{"role":"assistant","content":"Partial"},"finish_reason":")") +
           std::string(finish_reason) +
           R"("}],"usage":{"prompt_tokens":4,"completion_tokens":2,"total_tokens":6,"prompt_cache_hit_tokens":3,"prompt_cache_miss_tokens":1}})";
  };

  SECTION("blank lines before the JSON body are skipped") {
    fake::ScriptedResponse response;
    response.content_type = "application/json";
    response.body = "\n\n\n \r\n" + body_with("stop");
    env.server.push_response(response);
    const Response answer = llm->get_response("hi");
    CHECK(answer.content == "Partial");
    CHECK(answer.usage.cached_tokens == 3);
    CHECK(answer.stop_reason == StopReason::end_turn);
  }
  struct FinishRow { const char* raw; StopReason stop; };
  const FinishRow finishes[] = {{"length", StopReason::max_tokens},
                                {"content_filter", StopReason::content_filter}};
  for (const auto& row : finishes) {
    SECTION(row.raw) {
      fake::ScriptedResponse response;
      response.content_type = "application/json";
      response.body = body_with(row.raw);
      env.server.push_response(response);
      const Response answer = llm->get_response("hi");
      CHECK(answer.content == "Partial");
      CHECK(answer.stop_reason == row.stop);
      CHECK(answer.raw_stop_reason == row.raw);
    }
  }
  SECTION("insufficient_system_resource ends the answer as failed: a server error keeping the text") {
    fake::ScriptedResponse response;
    response.content_type = "application/json";
    response.body = body_with("insufficient_system_resource");
    env.server.push_response(response);
    try {
      (void)llm->get_response("hi");
      FAIL("no error");
    } catch (const ServerError& error) {
      CHECK(error.partial_content() == "Partial");
      CHECK(error.provider_error_type() == "insufficient_system_resource");
      CHECK(error.provider() == "deepseek");
      CHECK_THAT(error.what(), Catch::Contains("ended the answer as failed"));
    }
  }
  SECTION("a body of only blank lines is a parse error") {
    fake::ScriptedResponse response;
    response.content_type = "application/json";
    response.body = "\n\n\n";
    env.server.push_response(response);
    CHECK_THROWS_AS(llm->get_response("hi"), ParseError);
  }
}

TEST_CASE("DeepSeek streams split at every byte offset decode identically", "[deepseek][stream]") {
  ProviderTestEnv env;
  const auto llm = env.deepseek(env.deepseek_options(), "deepseek-v4-pro");
  // Reasoning and answer with 2-, 3- and 4-byte UTF-8 characters, keep-alive comments while
  // queued, usage on the last content chunk as DeepSeek sends it.
  const std::string thought = "D\xc3\xa9j\xc3\xa0 \xe6\x80\x9d";
  const std::string text_a = "Gr\xc3\xbc\xc3\x9f \xe4\xbd\xa0\xe5\xa5\xbd ";
  const std::string text_b = "\xf0\x9f\x98\x80!";
  const std::string prefix = R"(data: {"id":"d1","object":"chat.completion.chunk","model":"deepseek-v4-pro","choices":[{"index":0,"delta":)";
  const std::string body =
      ": keep-alive\n\n"
      ": keep-alive\n\n" +
      prefix + R"({"role":"assistant","content":null,"reasoning_content":""},"finish_reason":null}],"usage":null})" "\n\n" +
      prefix + R"({"content":null,"reasoning_content":")" + thought + R"("},"finish_reason":null}],"usage":null})" "\n\n" +
      prefix + R"({"content":")" + text_a + R"(","reasoning_content":null},"finish_reason":null}],"usage":null})" "\n\n" +
      prefix + R"({"content":")" + text_b + R"(","reasoning_content":null},"finish_reason":null}],"usage":null})" "\n\n" +
      prefix + R"({"content":"","reasoning_content":null},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":8,"total_tokens":17,"prompt_tokens_details":{"cached_tokens":5},"completion_tokens_details":{"reasoning_tokens":3},"prompt_cache_hit_tokens":5,"prompt_cache_miss_tokens":4}})" "\n\n"
      "data: [DONE]\n\n";
  for (std::size_t offset = 1; offset < body.size(); ++offset) {
    fake::ScriptedResponse response;
    response.body = body;
    response.content_type = "text/event-stream";
    response.split_at = {offset};
    if (offset + 5 < body.size()) response.split_at.push_back(offset + 5);
    env.server.push_response(std::move(response));
    ResponseStream stream = llm->get_response_stream("hi");
    const std::string text = drain(stream);
    CAPTURE(offset);
    REQUIRE(text == text_a + text_b);
    const Response& answer = stream.response();
    REQUIRE(answer.reasoning == thought);
    REQUIRE(answer.usage.input_tokens == 9);
    REQUIRE(answer.usage.output_tokens == 8);
    REQUIRE(answer.usage.cached_tokens == 5);
    REQUIRE(answer.usage.reasoning_tokens == 3);
    REQUIRE(answer.stop_reason == StopReason::end_turn);
  }
}

TEST_CASE("DeepSeek HTTP errors become typed errors with DeepSeek's type", "[deepseek][errors]") {
  ProviderTestEnv env;
  const auto llm = env.deepseek();

  SECTION("429") {
    env.push_fixture("deepseek/error_429.json");
    try {
      (void)llm->get_response("hi");
      FAIL("no error");
    } catch (const RateLimitedError& error) {
      CHECK(error.http_status() == 429);
      CHECK(error.provider() == "deepseek");
      // `code` says invalid_request_error even here; `type` is the telling tag.
      CHECK(error.provider_error_type() == "rate_limit_error");
      CHECK_THAT(error.what(), Catch::Contains("Your current concurrency is 26"));
    }
  }
  SECTION("400 on the streaming path") {
    env.push_fixture("deepseek/error_400.json");
    try {
      ResponseStream stream = llm->get_response_stream("hi");
      drain(stream);
      FAIL("no error");
    } catch (const BadRequestError& error) {
      CHECK(error.http_status() == 400);
      CHECK(error.provider_error_type() == "invalid_request_error");
      CHECK_THAT(error.what(), Catch::Contains("maximum context length is 131072 tokens"));
    }
  }
  SECTION("an empty key is refused by the host before anything is sent") {
    ClientOptions options = env.deepseek_options();
    options.api_key = "";
    CHECK_THROWS_AS(env.deepseek(options), ConfigurationError);
    CHECK(env.server.requests().empty());
  }
}

TEST_CASE("DeepSeek request body: max_tokens, system, sampling, JSON mode, schema in the prompt", "[deepseek][body]") {
  ProviderTestEnv env;
  const auto llm = env.deepseek();
  LLMRequest request;
  request.messages = {{Message::Role::user, "Name a colour."},
                      {Message::Role::assistant, "Blue."},
                      {Message::Role::user, "Another."}};
  request.options.system = "Be terse.";
  request.options.max_tokens = 321;
  request.options.temperature = 0.5;
  request.options.top_p = 0.25;
  for (const bool stream : {false, true}) {
    const auto resolved = llm->resolve(request, stream);
    REQUIRE(resolved.size() == 1);
    CHECK(resolved[0].url == env.server.origin() + "/chat/completions");
    const auto body = parse_object(resolved[0].body);
    CHECK(body->getValue<int64_t>("max_tokens") == 321);
    CHECK_FALSE(body->has("max_completion_tokens"));
    CHECK(body->getValue<double>("temperature") == 0.5);
    CHECK(body->getValue<double>("top_p") == 0.25);
    CHECK_FALSE(body->has("response_format"));
    CHECK(body->has("stream") == stream);
    const auto messages = body->getArray("messages");
    REQUIRE(messages->size() == 4);
    CHECK(messages->getObject(0)->getValue<std::string>("role") == "system");
    CHECK(messages->getObject(0)->getValue<std::string>("content") == "Be terse.");
    CHECK(messages->getObject(2)->getValue<std::string>("role") == "assistant");
  }

  SECTION("JSON mode: json_object plus the word JSON in the system prompt") {
    env.push_fixture("deepseek/structured_output.json");
    const JsonResponse json = llm->get_json_response("Longest river? Give question and answer.");
    CHECK(json.json_text == kRiverJson);
    CHECK(json.value.at("answer").as_string() == "The Nile River");
    const auto recorded = env.server.requests();
    REQUIRE(recorded.size() == 1);
    const auto body = parse_object(recorded[0].body);
    CHECK(body->getObject("response_format")->getValue<std::string>("type") == "json_object");
    const auto system = body->getArray("messages")->getObject(0);
    CHECK(system->getValue<std::string>("role") == "system");
    CHECK_THAT(system->getValue<std::string>("content"), Catch::Contains("JSON"));
  }
  SECTION("JSON schema: the schema goes into the system prompt, the format stays json_object") {
    LLMRequest schema_request = LLMRequest::from_prompt("Longest river?");
    schema_request.options.system = "You answer quizzes.";
    schema_request.format = ResponseFormat::json_schema;
    schema_request.schema_name = "Quiz";
    schema_request.schema_json = R"({"type":"object","properties":{"answer":{"type":"string"}},"required":["answer"]})";
    const auto resolved = llm->resolve(schema_request, false);
    REQUIRE(resolved.size() == 1);
    const auto body = parse_object(resolved[0].body);
    CHECK(body->getObject("response_format")->getValue<std::string>("type") == "json_object");
    CHECK_FALSE(body->getObject("response_format")->has("json_schema"));
    const std::string system = body->getArray("messages")->getObject(0)->getValue<std::string>("content");
    CHECK(system.rfind("You answer quizzes.", 0) == 0);
    CHECK_THAT(system, Catch::Contains(schema_request.schema_json));
  }
}

TEST_CASE("DeepSeek on the wire: auth once, header layers, gateway header, base URLs", "[deepseek][pipeline]") {
  ProviderTestEnv env;

  SECTION("auth once, default_headers under per-request extra_headers, gateway header with a custom base") {
    ClientOptions options = env.deepseek_options();
    options.default_headers.set("X-Trace-Tag", "instance-value");
    options.default_headers.set("X-Team", "search");
    const auto llm = env.deepseek(options);
    RequestOptions request;
    request.extra_headers.set("x-trace-tag", "request-value");
    for (const bool stream : {false, true}) {
      env.server.clear_requests();
      if (stream) {
        ResponseStream s = llm->get_response_stream("hi", request);
        drain(s);
      } else {
        (void)llm->get_response("hi", request);
      }
      const auto recorded = env.server.requests();
      REQUIRE(recorded.size() == 1);
      const auto& wire = recorded[0];
      CHECK(ProviderTestEnv::only_header(wire, "Authorization") == "Bearer sk-ds-test-0000");
      CHECK(ProviderTestEnv::only_header(wire, "X-Trace-Tag") == "request-value");
      CHECK(ProviderTestEnv::only_header(wire, "X-Team") == "search");
      CHECK(ProviderTestEnv::only_header(wire, "x-majordomo-provider") == "deepseek");
      CHECK(ProviderTestEnv::only_header(wire, "Content-Type") == "application/json");
      CHECK(wire.protocol == "deepseek");
    }
  }
  SECTION("the gateway header is absent with the default base URL") {
    ClientOptions options;
    options.api_key = "sk-ds-test-0000";
    const auto llm = env.deepseek(options);
    const auto resolved = llm->resolve(LLMRequest::from_prompt("hi"), false);
    REQUIRE(resolved.size() == 1);
    CHECK(resolved[0].url == "https://api.deepseek.com/chat/completions");
    CHECK(resolved[0].headers.find("x-majordomo-provider") == nullptr);
    CHECK(*resolved[0].redacted_headers().find("authorization") == "Bearer [REDACTED]");
  }
  SECTION("a caller's own x-majordomo-provider wins over the gateway header") {
    ClientOptions options = env.deepseek_options();
    options.default_headers.set("X-Majordomo-Provider", "deepseek-eu");
    (void)env.deepseek(options)->get_response("hi");
    RequestOptions request;
    request.extra_headers.set("x-majordomo-provider", "deepseek-us");
    (void)env.deepseek()->get_response("hi", request);
    const auto recorded = env.server.requests();
    REQUIRE(recorded.size() == 2);
    CHECK(ProviderTestEnv::only_header(recorded[0], "x-majordomo-provider") == "deepseek-eu");
    CHECK(ProviderTestEnv::only_header(recorded[1], "x-majordomo-provider") == "deepseek-us");
  }
  SECTION("a gateway path prefix, with and without a trailing slash") {
    for (const char* prefix : {"/gateway/deepseek", "/gateway/deepseek/"}) {
      ClientOptions options = env.deepseek_options();
      options.base_url = env.server.origin() + prefix;
      const auto llm = env.deepseek(options);
      (void)llm->get_response("hi");
      ResponseStream stream = llm->get_response_stream("hi");
      drain(stream);
    }
    const auto recorded = env.server.requests();
    REQUIRE(recorded.size() == 4);
    for (const auto& wire : recorded) {
      CHECK(wire.uri == "/gateway/deepseek/chat/completions");
      CHECK(wire.protocol == "deepseek");
    }
  }
  SECTION("DEEPSEEK_BASE_URL and DEEPSEEK_API_KEY") {
    const std::string base = env.server.origin() + "/from-env";
    std::shared_ptr<LLM> llm;
    {
      const ScopedEnv vars{{"DEEPSEEK_BASE_URL", base.c_str()}, {"DEEPSEEK_API_KEY", "sk-ds-from-env"}};
      llm = env.deepseek(ClientOptions{});
    }
    (void)llm->get_response("hi");
    const auto recorded = env.server.requests();
    REQUIRE(recorded.size() == 1);
    CHECK(recorded[0].uri == "/from-env/chat/completions");
    CHECK(ProviderTestEnv::only_header(recorded[0], "Authorization") == "Bearer sk-ds-from-env");
  }
}

TEST_CASE("the fake routes OpenAI and DeepSeek apart on a shared path", "[deepseek][fake]") {
  ProviderTestEnv env;
  (void)env.openai()->get_response("hi");
  ClientOptions options = env.deepseek_options();
  options.base_url = env.server.origin() + "/v1";
  options.default_headers.set("x-majordomo-provider", "elsewhere");  // neither header nor path says DeepSeek
  (void)env.deepseek(options)->get_response("hi");  // but the model does
  const auto recorded = env.server.requests();
  REQUIRE(recorded.size() == 2);
  CHECK(recorded[0].protocol == "openai");
  CHECK(recorded[1].protocol == "deepseek");
}
