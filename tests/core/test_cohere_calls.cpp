// Cohere v2 through the host over loopback: the long chat answer, splits, stream failures, the body, JSON modes, and (0.5) images, thinking, tool plans and tool choice.
// Shared scenarios: test_provider_conformance.cpp; the tool loop and fixtures: test_tool_calls.cpp.
#include "provider_table.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <string>
#include <string_view>
#include <vector>

using namespace majordomo;
using namespace majordomo::testing;

namespace {

const std::string kGatsby = R"({"title":"The Great Gatsby","author":"F. Scott Fitzgerald","publication_year":1925})";

}  // namespace

TEST_CASE("the long Cohere chat answer keeps its paragraphs and dashes", "[cohere]") {
  ProviderTestEnv env;
  const auto llm = env.cohere();
  env.push_fixture("cohere/chat.json");
  const Response response = llm->get_response("What are LLMs?");
  CHECK(response.content.rfind("LLMs stand for Large Language Models, which are a type of neural network model", 0) == 0);
  CHECK_THAT(response.content, Catch::Contains("\n\n1. GPT-3 (Generative Pre-trained Transformer 3) \xe2\x80\x94 An open-source LLM"));
  CHECK_THAT(response.content, Catch::EndsWith("exploring their applications in various domains."));
  CHECK(response.usage.input_tokens == 5);
  CHECK(response.usage.output_tokens == 418);
  CHECK(response.stop_reason == StopReason::end_turn);
}

TEST_CASE("Cohere streams split at every byte offset decode identically", "[cohere][stream]") {
  ProviderTestEnv env;
  const auto llm = env.cohere();
  const std::string thought = "Hmm \xc3\xa9\xe6\x80\x9d";
  const std::string text_a = "Gr\xc3\xbc\xc3\x9f \xe4\xbd\xa0\xe5\xa5\xbd ";
  const std::string text_b = "\xf0\x9f\x98\x80!";
  const std::string body =
      "event: message-start\ndata: {\"id\":\"m1\",\"type\":\"message-start\",\"delta\":{\"message\":{\"role\":\"assistant\",\"content\":[]}}}\n\n"
      "event: content-start\ndata: {\"type\":\"content-start\",\"index\":0,\"delta\":{\"message\":{\"content\":{\"type\":\"thinking\",\"thinking\":\"\"}}}}\n\n"
      "event: content-delta\ndata: {\"type\":\"content-delta\",\"index\":0,\"delta\":{\"message\":{\"content\":{\"thinking\":\"" + thought + "\"}}}}\n\n"
      "event: content-end\ndata: {\"type\":\"content-end\",\"index\":0}\n\n"
      "event: content-delta\ndata: {\"type\":\"content-delta\",\"index\":1,\"delta\":{\"message\":{\"content\":{\"text\":\"" + text_a + "\"}}}}\n\n"
      "event: debug\ndata: {\"type\":\"debug\",\"delta\":{\"message\":{\"content\":{\"text\":\"ignored\"}}}}\n\n"
      "event: content-delta\ndata: {\"type\":\"content-delta\",\"index\":1,\"delta\":{\"message\":{\"content\":{\"text\":\"" + text_b + "\"}}}}\n\n"
      "event: message-end\ndata: {\"type\":\"message-end\",\"delta\":{\"finish_reason\":\"MAX_TOKENS\",\"usage\":{\"billed_units\":{\"input_tokens\":7.0,\"output_tokens\":4.0},\"tokens\":{\"input_tokens\":70.0,\"output_tokens\":4.0}}}}\n\n"
      "data: [DONE]\n\n";
  // Hitting the cap is a normal end with stop reason max_tokens (failing on truncation is an
  // opt-in of a later version).
  check_every_split(env, *llm, scripted("text/event-stream", body), body.size(), 5,
                    {.text = text_a + text_b, .reasoning = thought, .input = 7, .output = 4, .stop = StopReason::max_tokens});
}

TEST_CASE("Cohere stream failures become typed errors", "[cohere][errors]") {
  ProviderTestEnv env;
  const auto llm = env.cohere();

  SECTION("finish_reason ERROR with an error string after some text") {
    env.server.push_response(scripted("text/event-stream",
        "event: content-delta\ndata: {\"type\":\"content-delta\",\"index\":0,\"delta\":{\"message\":{\"content\":{\"text\":\"Partial \"}}}}\n\n"
        "event: message-end\ndata: {\"type\":\"message-end\",\"delta\":{\"finish_reason\":\"ERROR\",\"error\":\"internal failure\"}}\n\n"
        "data: [DONE]\n\n"));
    ResponseStream stream = llm->get_response_stream("hi");
    const auto error = thrown_by<ServerError>([&] { drain(stream); });
    CHECK(error.partial_content() == "Partial ");
    CHECK_THAT(error.what(), Catch::Contains("internal failure"));
  }
  SECTION("[DONE] without message-end is an unfinished answer, not a success") {
    env.server.push_response(scripted("text/event-stream",
        "event: content-delta\ndata: {\"type\":\"content-delta\",\"index\":0,\"delta\":{\"message\":{\"content\":{\"text\":\"Partial \"}}}}\n\n"
        "data: [DONE]\n\n"));
    ResponseStream stream = llm->get_response_stream("hi");
    const auto error = thrown_by<ConnectionError>([&] { drain(stream); });
    CHECK(error.partial_content() == "Partial ");
  }
}

TEST_CASE("Cohere request body: system message, max_tokens, p, JSON mode and schema", "[cohere][body]") {
  ProviderTestEnv env;
  const auto llm = env.cohere();
  const LLMRequest request = conversation("Another.", 77, 0.5, 0.25);
  for (const bool stream : {false, true}) {
    const auto body = resolved_body(*llm, request, stream, env.server.origin() + "/v2/chat");
    CHECK(body->getValue<std::string>("model") == "command-a-03-2025");
    CHECK(body->getValue<int64_t>("max_tokens") == 77);
    CHECK(body->getValue<double>("temperature") == 0.5);
    CHECK(body->getValue<double>("p") == 0.25);
    CHECK_FALSE(body->has("top_p"));
    CHECK(body->has("stream") == stream);
    check_system_then_conversation(body);
  }

  SECTION("JSON mode") {
    env.push_fixture("cohere/structured_output.json");
    const JsonResponse json = llm->get_json_response("A book, as JSON.");
    CHECK(json.json_text == kGatsby);
    CHECK(json.value.at("publication_year").as_integer() == 1925);
    const auto recorded = env.server.requests();
    REQUIRE(recorded.size() == 1);
    const auto format = parse_object(recorded[0].body)->getObject("response_format");
    CHECK(format->getValue<std::string>("type") == "json_object");
    CHECK_FALSE(format->has("json_schema"));
  }
  SECTION("JSON schema") {
    LLMRequest schema_request = LLMRequest::from_prompt("A book.");
    schema_request.format = ResponseFormat::json_schema;
    schema_request.schema_name = "Book";
    schema_request.schema_json = R"({"type":"object","properties":{"title":{"type":"string"}},"required":["title"]})";
    const auto resolved = llm->resolve(schema_request, false);
    REQUIRE(resolved.size() == 1);
    CHECK(resolved[0].body.find(R"("response_format":{"type":"json_object","json_schema":)" + schema_request.schema_json +
                                "}") != std::string::npos);
  }
}

// ---- (0.5) Conversations: images, thinking, tool plans, tool choice ----

namespace {

ToolDefinition cohere_tool(std::string name, bool strict = false) {
  ToolDefinition tool;
  tool.name = std::move(name);
  tool.description = "A test tool";
  tool.parameters_json = R"({"type":"object","properties":{"city":{"type":"string"}},"required":["city"]})";
  tool.strict = strict;
  return tool;
}

LLMRequest cohere_tool_request(std::vector<ToolDefinition> tools) {
  LLMRequest request = LLMRequest::from_prompt("What is the weather in Paris?");
  request.tools = std::move(tools);
  return request;
}

// The body the fake recorded for the only request sent.
Poco::JSON::Object::Ptr only_body(ProviderTestEnv& env) {
  const auto recorded = env.server.requests();
  REQUIRE(recorded.size() == 1);
  return parse_object(recorded[0].body);
}

}  // namespace

TEST_CASE("Cohere images go to the vision model as image_url blocks, and text-only models refuse them", "[cohere][images]") {
  ProviderTestEnv env;
  LLMRequest request = LLMRequest::from_prompt("What is this?");
  request.messages[0].parts.push_back(ContentPart::image_from_bytes("\x89PNG", "image/png"));
  request.messages[0].parts.push_back(ContentPart::image_from_url("https://example.com/cat.jpg"));
  SECTION("vision model") {
    const Response answer = env.cohere(env.cohere_options(), "command-a-vision-07-2025")->complete(request);
    CHECK_FALSE(answer.content.empty());  // the fixture or the built-in text: not the point here
    const auto content = only_body(env)->getArray("messages")->getObject(0)->getArray("content");
    REQUIRE(content);
    REQUIRE(content->size() == 3);
    CHECK(content->getObject(0)->getValue<std::string>("type") == "text");
    CHECK(content->getObject(0)->getValue<std::string>("text") == "What is this?");
    CHECK(content->getObject(1)->getValue<std::string>("type") == "image_url");
    CHECK(content->getObject(1)->getObject("image_url")->getValue<std::string>("url") == "data:image/png;base64,iVBORw==");
    CHECK(content->getObject(2)->getObject("image_url")->getValue<std::string>("url") == "https://example.com/cat.jpg");
  }
  SECTION("Command A has no vision: refused before sending, naming the model") {
    const auto error = thrown_by<UnsupportedError>([&] { (void)env.cohere()->complete(request); });
    CHECK_THAT(error.what(), Catch::Contains("command-a-03-2025") && Catch::Contains("images"));
    CHECK(env.server.requests().empty());
  }
}

TEST_CASE("Cohere thinking is off, on or a token budget, and a reasoning effort is refused", "[cohere][reasoning]") {
  ProviderTestEnv env;
  const auto reasoner = env.cohere(env.cohere_options(), "command-a-reasoning-08-2025");
  LLMRequest request = LLMRequest::from_prompt("Think.");
  SECTION("off") {
    request.options.thinking = Thinking::off();
    (void)reasoner->complete(request);
    const auto thinking = only_body(env)->getObject("thinking");
    REQUIRE(thinking);
    CHECK(thinking->getValue<std::string>("type") == "disabled");
    CHECK_FALSE(thinking->has("token_budget"));
  }
  SECTION("on, the budget left to Cohere") {
    request.options.thinking = Thinking::on();
    (void)reasoner->complete(request);
    const auto thinking = only_body(env)->getObject("thinking");
    REQUIRE(thinking);
    CHECK(thinking->getValue<std::string>("type") == "enabled");
    CHECK_FALSE(thinking->has("token_budget"));
  }
  SECTION("a budget") {
    request.options.thinking = Thinking::budget(2048);
    (void)reasoner->complete(request);
    const auto thinking = only_body(env)->getObject("thinking");
    REQUIRE(thinking);
    CHECK(thinking->getValue<std::string>("type") == "enabled");
    CHECK(thinking->getValue<int64_t>("token_budget") == 2048);
  }
  SECTION("off for a model without reasoning is what it does already: nothing is sent") {
    request.options.thinking = Thinking::off();
    (void)env.cohere()->complete(request);
    CHECK_FALSE(only_body(env)->has("thinking"));
  }
  SECTION("a reasoning effort") {
    request.options.reasoning_effort = ReasoningEffort::high;
    const auto error = thrown_by<UnsupportedError>([&] { (void)reasoner->complete(request); });
    CHECK_THAT(error.what(), Catch::Contains("reasoning effort") && Catch::Contains("thinking"));
    CHECK(env.server.requests().empty());
  }
}

TEST_CASE("a Cohere tool plan comes back in the assistant message that made the calls", "[cohere][tools]") {
  ProviderTestEnv env;
  const auto llm = env.cohere();
  const std::string plan =
      "I will use the query_daily_sales_report tool to find the sales summary for 29th September 2023. I will also "
      "use the query_product_catalog tool to find the details of the products in the Electronics category.";
  env.push_fixture("cohere/chat_stream_tool_plan_and_calls.sse");
  LLMRequest request = cohere_tool_request({cohere_tool("query_daily_sales_report"), cohere_tool("query_product_catalog")});
  ResponseStream stream = llm->stream(request);
  (void)drain(stream);
  const Response first = stream.response();
  REQUIRE(first.tool_calls.size() == 2);
  CHECK(first.continuation.provider == "cohere");
  REQUIRE(first.continuation.items.size() == 1);
  CHECK(first.continuation.items[0] == "tool_plan:" + plan);

  request.messages.push_back(Message::assistant(first));
  request.messages.push_back(Message::tool_result(first.tool_calls[0], R"({"total_sales":3500})"));
  request.messages.push_back(Message::tool_result(first.tool_calls[1], "Laptop, Phone"));
  const Response second = llm->complete(request);
  CHECK_FALSE(second.content.empty());
  CHECK(second.continuation.empty());

  const auto recorded = env.server.requests();
  REQUIRE(recorded.size() == 2);
  const auto messages = parse_object(recorded[1].body)->getArray("messages");
  REQUIRE(messages->size() == 4);
  const auto assistant = messages->getObject(1);
  CHECK(assistant->getValue<std::string>("tool_plan") == plan);
  CHECK_FALSE(assistant->has("content"));
  CHECK(assistant->getArray("tool_calls")->size() == 2);
  CHECK(messages->getObject(2)->getValue<std::string>("content") == R"({"total_sales":3500})");
  // Text that is not a JSON object goes as a text block, as Cohere asks.
  const auto block = messages->getObject(3)->getArray("content");
  REQUIRE(block);
  CHECK(block->getObject(0)->getValue<std::string>("type") == "text");
  CHECK(block->getObject(0)->getValue<std::string>("text") == "Laptop, Phone");
}

TEST_CASE("Cohere tool choice, strictness, parallel calls and response_format beside tools", "[cohere][tools]") {
  ProviderTestEnv env;
  const auto llm = env.cohere();
  LLMRequest request = cohere_tool_request({cohere_tool("get_weather"), cohere_tool("get_time")});
  SECTION("none") {
    request.tool_choice.mode = ToolChoice::Mode::none;
    const Response answer = llm->complete(request);
    CHECK(answer.tool_calls.empty());
    CHECK(only_body(env)->getValue<std::string>("tool_choice") == "NONE");
  }
  SECTION("required") {
    request.tool_choice.mode = ToolChoice::Mode::required;
    const Response answer = llm->complete(request);
    REQUIRE(answer.tool_calls.size() == 1);
    CHECK(answer.tool_calls[0].name == "get_weather");
    CHECK(answer.stop_reason == StopReason::tool_use);
    CHECK(only_body(env)->getValue<std::string>("tool_choice") == "REQUIRED");
  }
  SECTION("a named tool: REQUIRED with only that tool listed") {
    request.tool_choice = ToolChoice::tool("get_time");
    const Response answer = llm->complete(request);
    REQUIRE(answer.tool_calls.size() == 1);
    CHECK(answer.tool_calls[0].name == "get_time");
    const auto body = only_body(env);
    CHECK(body->getValue<std::string>("tool_choice") == "REQUIRED");
    REQUIRE(body->getArray("tools")->size() == 1);
    CHECK(body->getArray("tools")->getObject(0)->getObject("function")->getValue<std::string>("name") == "get_time");
  }
  SECTION("every tool strict") {
    request.tools[0].strict = request.tools[1].strict = true;
    request.parallel_tool_calls = true;  // Cohere's default: nothing to send
    (void)llm->complete(request);
    const auto body = only_body(env);
    CHECK(body->getValue<bool>("strict_tools"));
    CHECK_FALSE(body->has("parallel_tool_calls"));
  }
  SECTION("refusals before sending") {
    std::string expected;
    SECTION("mixed strictness") {
      request.tools[0].strict = true;
      expected = "strict";
    }
    SECTION("parallel calls off") {
      request.parallel_tool_calls = false;
      expected = "parallel";
    }
    SECTION("a JSON response format beside tools") {
      request.format = ResponseFormat::json_object;
      expected = "response format";
    }
    const auto error = thrown_by<UnsupportedError>([&] { (void)llm->complete(request); });
    CHECK_THAT(error.what(), Catch::Contains(expected));
    CHECK(env.server.requests().empty());
  }
}

TEST_CASE("a Cohere stream cut by MAX_TOKENS inside a call leaves it cut off, and hostile tool events are parse errors",
          "[cohere][tools][stream]") {
  ProviderTestEnv env;
  const auto llm = env.cohere();
  const auto event = [](std::string_view type, std::string_view data) {
    return fmt::format("event: {}\ndata: {}\n\n", type, data);
  };
  const std::string start = event(
      "tool-call-start",
      R"({"type":"tool-call-start","index":4,"delta":{"message":{"tool_calls":{"id":"c1","type":"function","function":{"name":"get_weather","arguments":""}}}}})");
  const std::string piece = event(
      "tool-call-delta",
      R"({"type":"tool-call-delta","index":4,"delta":{"message":{"tool_calls":{"function":{"arguments":"{\"city\":\"Pa"}}}}})");
  SECTION("cut off") {
    env.server.push_response(scripted(
        "text/event-stream",
        start + piece +
            event("message-end", R"({"type":"message-end","delta":{"finish_reason":"MAX_TOKENS","usage":{"tokens":{"input_tokens":3,"output_tokens":5}}}})") +
            "data: [DONE]\n\n"));
    ResponseStream stream = llm->stream(cohere_tool_request({cohere_tool("get_weather")}));
    (void)drain(stream);
    const Response answer = stream.response();
    REQUIRE(answer.tool_calls.size() == 1);
    CHECK(answer.tool_calls[0].id == "c1");  // the server's index 4 is call 0
    CHECK(answer.tool_calls[0].arguments == "{\"city\":\"Pa");
    CHECK(answer.tool_calls[0].problem == ToolCallProblem::cut_off);
    CHECK(answer.stop_reason == StopReason::max_tokens);
  }
  SECTION("arguments for a call never started") {
    env.server.push_response(scripted("text/event-stream", piece + "data: [DONE]\n\n"));
    ResponseStream stream = llm->stream(cohere_tool_request({cohere_tool("get_weather")}));
    const auto error = thrown_by<ParseError>([&] { (void)drain(stream); });
    CHECK_THAT(error.what(), Catch::Contains("never started"));
  }
  SECTION("a call started twice") {
    env.server.push_response(scripted("text/event-stream", start + start + "data: [DONE]\n\n"));
    ResponseStream stream = llm->stream(cohere_tool_request({cohere_tool("get_weather")}));
    const auto error = thrown_by<ParseError>([&] { (void)drain(stream); });
    CHECK_THAT(error.what(), Catch::Contains("twice"));
  }
}
