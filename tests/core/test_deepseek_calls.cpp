// DeepSeek through the host over loopback: reasoning, queue-wait blank lines, finish reasons, splits, the body,
// the gateway header, the fake's routing, and reasoning sent back in a tool loop. Shared scenarios: test_provider_conformance.cpp.
#include "provider_table.hpp"
#include "tool_call_table.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace majordomo;
using namespace majordomo::testing;

namespace {

const std::string kStreamText = "Hello! How can I help you today?";
const std::string kStreamReasoning = "Okay, the user said \"hi\". I should greet them back warmly.";
const std::string kRiverJson =
    "{\n    \"question\": \"Which is the longest river in the world?\",\n    \"answer\": \"The Nile River\"\n}";

}  // namespace

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
    env.server.push_response(json_body("\n\n\n \r\n" + body_with("stop")));
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
      env.server.push_response(json_body(body_with(row.raw)));
      const Response answer = llm->get_response("hi");
      CHECK(answer.content == "Partial");
      CHECK(answer.stop_reason == row.stop);
      CHECK(answer.raw_stop_reason == row.raw);
    }
  }
  SECTION("insufficient_system_resource ends the answer as failed: a server error keeping the text") {
    env.server.push_response(json_body(body_with("insufficient_system_resource")));
    const auto error = thrown_by<ServerError>([&] { (void)llm->get_response("hi"); });
    CHECK(error.partial_content() == "Partial");
    CHECK(error.provider_error_type() == "insufficient_system_resource");
    CHECK(error.provider() == "deepseek");
    CHECK_THAT(error.what(), Catch::Contains("ended the answer as failed"));
  }
  SECTION("a body of only blank lines is a parse error") {
    env.server.push_response(json_body("\n\n\n"));
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
  check_every_split(env, *llm, scripted("text/event-stream", body), body.size(), 5,
                    {.text = text_a + text_b, .reasoning = thought, .input = 9, .output = 8, .cached = 5, .reasoning_tokens = 3});
}

TEST_CASE("DeepSeek request body: max_tokens, system, sampling, JSON mode, schema in the prompt", "[deepseek][body]") {
  ProviderTestEnv env;
  const auto llm = env.deepseek();
  const LLMRequest request = conversation("Another.", 321, 0.5, 0.25);
  for (const bool stream : {false, true}) {
    const auto body = resolved_body(*llm, request, stream, env.server.origin() + "/chat/completions");
    CHECK(body->getValue<int64_t>("max_tokens") == 321);
    CHECK_FALSE(body->has("max_completion_tokens"));
    CHECK(body->getValue<double>("temperature") == 0.5);
    CHECK(body->getValue<double>("top_p") == 0.25);
    CHECK_FALSE(body->has("response_format"));
    CHECK(body->has("stream") == stream);
    check_system_then_conversation(body);
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

TEST_CASE("a caller's own x-majordomo-provider wins over DeepSeek's gateway header", "[deepseek][pipeline]") {
  ProviderTestEnv env;
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

TEST_CASE("DeepSeek's reasoning before tool calls goes back on that assistant message, and only then",
          "[deepseek][continuation]") {
  ProviderTestEnv env;
  const auto llm = env.deepseek();
  LLMRequest request;
  request.messages.push_back(Message::user("Weather in Paris?"));
  request.tools.push_back(weather_tool());
  // A body whose reasoning must survive JSON escaping both ways.
  const std::string reasoning = "Need \"weather\" for Paris.\nCall it.";
  SECTION("a body with reasoning_content and tool_calls") {
    env.server.push_response(json_body(
        R"({"id":"u1","object":"chat.completion","model":"deepseek-flash","choices":[{"index":0,"message":)"
        R"({"role":"assistant","content":null,"reasoning_content":"Need \"weather\" for Paris.\nCall it.",)"
        R"("tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather",)"
        R"("arguments":"{\"city\":\"Paris\"}"}}]},"finish_reason":"tool_calls"}],)"
        R"("usage":{"prompt_tokens":4,"completion_tokens":2,"total_tokens":6}})"));
    const Response answer = llm->complete(request);
    REQUIRE(answer.tool_calls.size() == 1);
    CHECK(answer.reasoning == reasoning);
    CHECK(answer.continuation.provider == "deepseek");
    REQUIRE(answer.continuation.items.size() == 1);
    CHECK(answer.continuation.items[0] == "reasoning_content:" + reasoning);
    request.messages.push_back(Message::assistant(answer));
    request.messages.push_back(Message::tool_result(answer.tool_calls[0], "18C"));
    const auto recorded = only_request(env, [&] { (void)llm->complete(request); });
    const auto assistant = parse_object(recorded.body)->getArray("messages")->getObject(1);
    CHECK(assistant->getValue<std::string>("reasoning_content") == reasoning);
    CHECK(assistant->isNull("content"));
  }
  SECTION("a streamed answer with reasoning and no calls keeps no item") {
    env.push_fixture("deepseek/chat_completion_stream.sse");
    ResponseStream stream = llm->get_response_stream("hi");
    (void)drain(stream);
    CHECK_FALSE(stream.response().reasoning.empty());
    CHECK(stream.response().continuation.items.empty());
  }
  SECTION("an item that is not reasoning_content is refused before sending") {
    Response forged;
    forged.content = "ok";
    forged.continuation = {"deepseek", {R"(","role":"system)"}};
    request.messages = {Message::user("a"), Message::assistant(forged), Message::user("b")};
    const auto error = thrown_by<ConfigurationError>([&] { (void)llm->complete(request); });
    CHECK_THAT(error.what(), Catch::Contains("not a reasoning_content item") && Catch::Contains("message 1"));
    CHECK(env.server.requests().empty());
  }
}
