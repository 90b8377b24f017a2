// The providers that take tools, and what their recorded requests must show: the rows of the tool-call tests.
#pragma once

#include "provider_table.hpp"

#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace majordomo::testing {

// A function the tool-loop tests offer: one required string, one optional enum.
inline ToolDefinition weather_tool() {
  ToolDefinition tool;
  tool.name = "get_weather";
  tool.description = "The current weather in a city";
  tool.parameters_json =
      R"({"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["c","f"]}},)"
      R"("required":["city"]})";
  return tool;
}

// What a stream delivered of its tool calls, rebuilt from the chunks alone.
struct StreamedCalls {
  std::vector<std::string> arguments;  // per call, the start's text and every piece after it
  std::vector<bool> ended;
};

inline Response drain_answer(ResponseStream stream, StreamedCalls* seen = nullptr) {
  StreamChunk chunk;
  while (stream.next(chunk)) {
    if (seen == nullptr) continue;
    switch (chunk.kind) {
      case StreamChunk::Kind::tool_call_start:
        REQUIRE(chunk.tool_index == seen->arguments.size());
        REQUIRE(chunk.tool_index == stream.response().tool_calls.size() - 1);
        seen->arguments.emplace_back(chunk.text);
        seen->ended.push_back(false);
        break;
      case StreamChunk::Kind::tool_call_arguments:
        REQUIRE(chunk.tool_index < seen->arguments.size());
        seen->arguments[chunk.tool_index].append(chunk.text);
        break;
      case StreamChunk::Kind::tool_call_end:
        REQUIRE(chunk.tool_index < seen->ended.size());
        seen->ended[chunk.tool_index] = true;
        break;
      default:
        break;
    }
  }
  return stream.response();
}

inline Response ask_answer(LLM& llm, const LLMRequest& request, bool stream) {
  return stream ? drain_answer(llm.stream(request)) : llm.complete(request);
}

inline LLMRequest weather_request() {
  LLMRequest request;
  request.messages.push_back(Message::user("What is the weather in Paris?"));
  request.tools.push_back(weather_tool());
  return request;
}


// A member that refuses connections: the cascade moves on to the next one.
inline CascadeMember dead_member(const ProviderRow& row) {
  CascadeMember member;
  member.provider = row.id;
  member.model = row.model;
  member.api_key = row.api_key;
  member.base_url = "http://127.0.0.1:1" + row.version_path;
  member.provider_options = row.provider_options;
  return member;
}

inline CascadeMember live_member(const ProviderRow& row, const ProviderTestEnv& env) {
  CascadeMember member = dead_member(row);
  member.base_url = env.server.origin() + row.version_path;
  return member;
}

// A call the model made, as a fixture records it.
struct ExpectedCall {
  std::string id{}, name{}, arguments_json{};  // arguments compared as JSON values
};

// A recorded tool-call fixture and the calls in it (read off the file by hand).
struct ToolFixture {
  std::string file{};
  bool stream = false;
  std::vector<ExpectedCall> calls{};
  StopReason stop = StopReason::tool_use;
  std::string text{};  // the answer text beside the calls
  // What the host finds wrong with every call; unset: none for get_weather, unknown_tool for
  // other names. A cut_off call's arguments_json is the exact text received, not JSON.
  std::optional<ToolCallProblem> problem{};
};

struct ToolRow {
  ProviderRow provider;  // from provider_rows() (provider_row(name))
  // Checks the first request of the loop (tools listed) and the second (the call and its
  // result in the provider's own shape); throws through Catch's CHECK/REQUIRE.
  std::function<void(const Poco::JSON::Object::Ptr& body)> check_tools_request;
  std::function<void(const Poco::JSON::Object::Ptr& body, const ToolCall& call)> check_result_request;
  std::vector<ToolFixture> fixtures;
  // The second request when the call came from another provider (after a fail-over), where that
  // differs: no continuation data of this provider's. Unset: check_result_request.
  std::function<void(const Poco::JSON::Object::Ptr& body, const ToolCall& call)> check_foreign_result_request{};
};

// OpenAI Chat Completions and its compatible servers (DeepSeek): tools nested under `function`,
// the call in the assistant message's `tool_calls` with its arguments as a string, the result as
// a `tool` message.
inline void check_chat_tools_request(const Poco::JSON::Object::Ptr& body) {
  const auto tools = body->getArray("tools");
  REQUIRE(tools);
  REQUIRE(tools->size() == 1);
  const auto function = tools->getObject(0)->getObject("function");
  CHECK(tools->getObject(0)->getValue<std::string>("type") == "function");
  CHECK(function->getValue<std::string>("name") == "get_weather");
  CHECK(function->getValue<std::string>("description") == "The current weather in a city");
  CHECK(function->getObject("parameters")->getValue<std::string>("type") == "object");
}

inline void check_chat_result_request(const Poco::JSON::Object::Ptr& body, const ToolCall& call) {
  const auto messages = body->getArray("messages");
  REQUIRE(messages);
  REQUIRE(messages->size() == 3);
  const auto assistant = messages->getObject(1);
  CHECK(assistant->getValue<std::string>("role") == "assistant");
  CHECK(assistant->isNull("content"));
  const auto sent = assistant->getArray("tool_calls")->getObject(0);
  CHECK(sent->getValue<std::string>("id") == call.id);
  CHECK(sent->getObject("function")->getValue<std::string>("name") == call.name);
  CHECK(JsonValue::parse(sent->getObject("function")->getValue<std::string>("arguments")) ==
        JsonValue::parse(call.arguments));
  const auto result = messages->getObject(2);
  CHECK(result->getValue<std::string>("role") == "tool");
  CHECK(result->getValue<std::string>("tool_call_id") == call.id);
  CHECK(result->getValue<std::string>("content") == R"({"temp_c":21})");
}

// DeepSeek: the Chat Completions shape, and the reasoning the call came with back on the
// assistant message: in thinking mode (the fake's default) DeepSeek needs it in every later
// request once a turn made calls.
inline void check_deepseek_result_request(const Poco::JSON::Object::Ptr& body, const ToolCall& call) {
  check_chat_result_request(body, call);
  const auto assistant = body->getArray("messages")->getObject(1);
  CHECK(assistant->optValue<std::string>("reasoning_content", "(absent)") ==
        "The user asks about the weather; the tool can tell.");
}

// A call another provider made comes with no reasoning of DeepSeek's to send back.
inline void check_deepseek_foreign_result_request(const Poco::JSON::Object::Ptr& body, const ToolCall& call) {
  check_chat_result_request(body, call);
  CHECK_FALSE(body->getArray("messages")->getObject(1)->has("reasoning_content"));
}

// Anthropic Messages: tools with input_schema; the call as a tool_use block of the assistant's
// content with its input as an object; the result as a tool_result block of a user message.
inline void check_anthropic_tools_request(const Poco::JSON::Object::Ptr& body) {
  const auto tools = body->getArray("tools");
  REQUIRE(tools);
  REQUIRE(tools->size() == 1);
  const auto tool = tools->getObject(0);
  CHECK(tool->getValue<std::string>("name") == "get_weather");
  CHECK(tool->getValue<std::string>("description") == "The current weather in a city");
  CHECK(tool->getObject("input_schema")->getValue<std::string>("type") == "object");
  CHECK_FALSE(tool->has("type"));  // a client tool has no type; server tools do
  CHECK_FALSE(body->has("tool_choice"));  // auto, the API's default
  REQUIRE(body->getObject("cache_control"));
  CHECK(body->getObject("cache_control")->getValue<std::string>("type") == "ephemeral");
}

inline void check_anthropic_result_request(const Poco::JSON::Object::Ptr& body, const ToolCall& call) {
  const auto messages = body->getArray("messages");
  REQUIRE(messages);
  REQUIRE(messages->size() == 3);
  const auto assistant = messages->getObject(1);
  CHECK(assistant->getValue<std::string>("role") == "assistant");
  const auto blocks = assistant->getArray("content");
  REQUIRE(blocks);
  REQUIRE(blocks->size() == 1);
  const auto tool_use = blocks->getObject(0);
  CHECK(tool_use->getValue<std::string>("type") == "tool_use");
  CHECK(tool_use->getValue<std::string>("id") == call.id);
  CHECK(tool_use->getValue<std::string>("name") == call.name);
  REQUIRE(tool_use->getObject("input"));  // an object, not the arguments' text
  std::ostringstream input;
  tool_use->getObject("input")->stringify(input);
  CHECK(JsonValue::parse(input.str()) == JsonValue::parse(call.arguments));
  const auto result = messages->getObject(2);
  CHECK(result->getValue<std::string>("role") == "user");
  const auto results = result->getArray("content");
  REQUIRE(results);
  REQUIRE(results->size() == 1);
  const auto block = results->getObject(0);
  CHECK(block->getValue<std::string>("type") == "tool_result");
  CHECK(block->getValue<std::string>("tool_use_id") == call.id);
  CHECK(block->getValue<std::string>("content") == R"({"temp_c":21})");
  CHECK_FALSE(block->getValue<bool>("is_error"));
}

// Cohere Chat v2: tools as in Chat Completions (no per-tool strict, `strict_tools` only when asked,
// `tool_choice` left out for auto); the assistant message carries the answer's tool plan back and
// no `content` beside its calls; a JSON object result is the tool message's content string.
inline void check_cohere_tools_request(const Poco::JSON::Object::Ptr& body) {
  check_chat_tools_request(body);
  CHECK_FALSE(body->has("strict_tools"));
  CHECK_FALSE(body->has("tool_choice"));
  CHECK_FALSE(body->has("response_format"));
}

// `plan`: the tool_plan the assistant turn must carry ("": none, as for a call another provider made).
inline void check_cohere_result_shape(const Poco::JSON::Object::Ptr& body, const ToolCall& call,
                                      const std::string& plan) {
  const auto messages = body->getArray("messages");
  REQUIRE(messages);
  REQUIRE(messages->size() == 3);
  const auto assistant = messages->getObject(1);
  CHECK(assistant->getValue<std::string>("role") == "assistant");
  CHECK_FALSE(assistant->has("content"));
  CHECK(assistant->has("tool_plan") == !plan.empty());
  CHECK(assistant->optValue<std::string>("tool_plan", "") == plan);
  const auto sent = assistant->getArray("tool_calls")->getObject(0);
  CHECK(sent->getValue<std::string>("id") == call.id);
  CHECK(sent->getValue<std::string>("type") == "function");
  CHECK(sent->getObject("function")->getValue<std::string>("name") == call.name);
  CHECK(JsonValue::parse(sent->getObject("function")->getValue<std::string>("arguments")) ==
        JsonValue::parse(call.arguments));
  const auto result = messages->getObject(2);
  CHECK(result->getValue<std::string>("role") == "tool");
  CHECK(result->getValue<std::string>("tool_call_id") == call.id);
  CHECK(result->getValue<std::string>("content") == R"({"temp_c":21})");
}

// The plan the fake's answer made, round-tripped as a continuation item.
inline void check_cohere_result_request(const Poco::JSON::Object::Ptr& body, const ToolCall& call) {
  check_cohere_result_shape(body, call, "I will use the get_weather tool.");
}

inline void check_cohere_foreign_result_request(const Poco::JSON::Object::Ptr& body, const ToolCall& call) {
  check_cohere_result_shape(body, call, "");
}

// Gemini: the tools as functionDeclarations with parameters in its Schema dialect (upper-case
// type names), the call as a functionCall part of the model turn with its args as an object and
// the thoughtSignature it came with, the result as a functionResponse part of a user turn.
inline void check_gemini_tools_request(const Poco::JSON::Object::Ptr& body) {
  const auto tools = body->getArray("tools");
  REQUIRE(tools);
  REQUIRE(tools->size() == 1);
  const auto declarations = tools->getObject(0)->getArray("functionDeclarations");
  REQUIRE(declarations);
  REQUIRE(declarations->size() == 1);
  const auto function = declarations->getObject(0);
  CHECK(function->getValue<std::string>("name") == "get_weather");
  CHECK(function->getValue<std::string>("description") == "The current weather in a city");
  const auto parameters = function->getObject("parameters");
  REQUIRE(parameters);
  CHECK(parameters->getValue<std::string>("type") == "OBJECT");
  CHECK(parameters->getObject("properties")->getObject("city")->getValue<std::string>("type") == "STRING");
  CHECK_FALSE(body->has("toolConfig"));  // auto is the service's default
}

// `signature`: what the call's part must carry back: the fake's (it signs every call it makes),
// or, for a call another provider made, none or Gemini 3's documented placeholder.
template <typename SignatureMatcher>
void check_gemini_result_shape(const Poco::JSON::Object::Ptr& body, const ToolCall& call,
                               const SignatureMatcher& signature) {
  const auto contents = body->getArray("contents");
  REQUIRE(contents);
  REQUIRE(contents->size() == 3);
  const auto model = contents->getObject(1);
  CHECK(model->getValue<std::string>("role") == "model");
  const auto model_parts = model->getArray("parts");
  REQUIRE(model_parts->size() == 1);  // the call only: the answer had no text
  const auto part = model_parts->getObject(0);
  const auto sent = part->getObject("functionCall");
  REQUIRE(sent);
  CHECK(sent->getValue<std::string>("name") == call.name);
  CHECK(sent->has("id") == !call.id.empty());
  if (!call.id.empty()) CHECK(sent->getValue<std::string>("id") == call.id);
  std::ostringstream args;
  sent->getObject("args")->stringify(args);  // an object, not the arguments' text
  CHECK(JsonValue::parse(args.str()) == JsonValue::parse(call.arguments));
  CHECK_THAT(part->optValue<std::string>("thoughtSignature", ""), signature);
  const auto results = contents->getObject(2);
  CHECK(results->getValue<std::string>("role") == "user");
  const auto response = results->getArray("parts")->getObject(0)->getObject("functionResponse");
  REQUIRE(response);
  CHECK(response->getValue<std::string>("name") == "get_weather");
  CHECK(response->getObject("response")->getValue<int>("temp_c") == 21);  // a JSON object result goes as is
  CHECK(response->has("id") == !call.id.empty());
}

inline void check_gemini_result_request(const Poco::JSON::Object::Ptr& body, const ToolCall& call) {
  check_gemini_result_shape(body, call, Catch::StartsWith("ZmFrZVNpZw"));
}

// gemini-2.5 checks no signatures: a call another provider made goes without one.
inline void check_gemini_foreign_result_request(const Poco::JSON::Object::Ptr& body, const ToolCall& call) {
  check_gemini_result_shape(body, call, Catch::Equals(""));
}

// OpenAI's Responses API: flat tools with `strict` always sent, encrypted reasoning asked for only
// from a model that reasons (store is false); the call goes back as a function_call item and its
// result as a function_call_output item, both in `input`.
inline void check_responses_tools_request(const Poco::JSON::Object::Ptr& body) {
  const auto tools = body->getArray("tools");
  REQUIRE(tools);
  REQUIRE(tools->size() == 1);
  const auto tool = tools->getObject(0);
  CHECK(tool->getValue<std::string>("type") == "function");
  CHECK_FALSE(tool->has("function"));
  CHECK(tool->getValue<std::string>("name") == "get_weather");
  CHECK(tool->getValue<std::string>("description") == "The current weather in a city");
  CHECK(tool->getObject("parameters")->getValue<std::string>("type") == "object");
  CHECK(tool->getValue<bool>("strict") == false);
  // The row's gpt-4o does not reason, and answers a request for encrypted reasoning with a 400.
  CHECK_FALSE(body->has("include"));
  CHECK(body->getValue<bool>("store") == false);
}

inline void check_responses_result_request(const Poco::JSON::Object::Ptr& body, const ToolCall& call) {
  const auto input = body->getArray("input");
  REQUIRE(input);
  REQUIRE(input->size() == 3);
  CHECK(input->getObject(0)->getValue<std::string>("role") == "user");
  const auto sent = input->getObject(1);
  CHECK(sent->getValue<std::string>("type") == "function_call");
  CHECK(sent->getValue<std::string>("call_id") == call.id);
  CHECK(sent->getValue<std::string>("name") == call.name);
  CHECK(JsonValue::parse(sent->getValue<std::string>("arguments")) == JsonValue::parse(call.arguments));
  const auto result = input->getObject(2);
  CHECK(result->getValue<std::string>("type") == "function_call_output");
  CHECK(result->getValue<std::string>("call_id") == call.id);
  CHECK(result->getValue<std::string>("output") == R"({"temp_c":21})");
  CHECK_FALSE(body->has("messages"));
}

inline const std::vector<ToolRow>& tool_rows() {
  static const std::vector<ToolRow> rows = {
      {provider_row("openai"), check_chat_tools_request, check_chat_result_request,
       {{"openai/chat_completion_tool_calls.json", false,
         {{"call_Y6qJ7ofLgOrBnMD5WbVAeiRV", "GetWeatherArgs", R"({"city":"Edinburgh","country":"UK","units":"c"})"}}},
        {"openai/stream_parallel_tool_calls.sse", true,
         {{"call_JMW1whyEaYG438VE1OIflxA2", "GetWeatherArgs", R"({"city":"Edinburgh","country":"GB","units":"c"})"},
          {"call_DNYTawLBoN8fj3KN6qU9N1Ou", "get_stock_price", R"({"ticker":"AAPL","exchange":"NASDAQ"})"}}}}},
      {provider_row("deepseek"), check_chat_tools_request, check_deepseek_result_request, {},
       check_deepseek_foreign_result_request},
      // The recorded calls name a `location`, where weather_tool() requires `city`.
      {provider_row("anthropic"), check_anthropic_tools_request, check_anthropic_result_request,
       {{"anthropic/message_text_and_tool_use.json", false,
         {{"toolu_01LRanfq6DmHn1yDTB4d1SAh", "get_weather", R"({"location":"San Francisco, CA","units":"f"})"}},
         StopReason::tool_use,
         "I'll get the weather for each of those cities. Let me start by checking San Francisco.",
         ToolCallProblem::schema_mismatch},
        {"anthropic/stream_tool_use_padded.sse", true,
         {{"toolu_018acGYLtfR52q9yDbWaEdQZ", "get_weather", R"({"location":"San Francisco, CA","units":"f"})"}},
         StopReason::tool_use, "", ToolCallProblem::schema_mismatch},
        {"anthropic/stream_max_tokens_partial_tool_input.sse", true,
         {{"toolu_01EKqbqmZrGRXy18eN7m9kvY", "make_file",
           "{\"filename\": \"taxes.txt\", \"lines_of_text\": [\n\"# COMPREHENSIVE TAX GUIDE FOR INDIVIDUALS WITH "
           "MULTIPLE W-2s\",\n\"\",\n\"## INTRODUCTION\",\n\"\",\n\"Filing taxes"}},
         StopReason::max_tokens,
         "I'll create a comprehensive tax guide for someone with multiple W2s and save it in a file called "
         "taxes.txt. Let me do that for you now.",
         ToolCallProblem::cut_off},
        {"anthropic/stream_thinking.sse", true, {}, StopReason::end_turn,
         "Hello! I'm Assistant, an AI here to help you. How can I assist you today? Feel free to ask questions or "
         "let me know what you're looking for, and I'll do my best to help.",
         std::nullopt}}},
      // Read off the fixtures: a tool plan and two streamed calls; a reasoning model's thinking
      // block and two whole calls. Neither has answer text.
      {provider_row("cohere"), check_cohere_tools_request, check_cohere_result_request,
       {{"cohere/chat_stream_tool_plan_and_calls.sse", true,
         {{"query_daily_sales_report_j3f0adww9pmr", "query_daily_sales_report", R"({"day":"2023-09-29"})"},
          {"query_product_catalog_c66nf11r6s8g", "query_product_catalog", R"({"category":"Electronics"})"}}},
        {"cohere/chat_tool_calls_thinking.json", false,
         {{"query_daily_sales_report_hgxxmkby3wta", "query_daily_sales_report", R"({"day":"2023-09-29"})"},
          {"query_product_catalog_rpg0z5h8yyz2", "query_product_catalog", R"({"category":"Electronics"})"}}}},
       check_cohere_foreign_result_request},
      // Gemini gives no call id here; the finishReason is STOP, turned into tool_use by the call.
      {provider_row("gemini"), check_gemini_tools_request, check_gemini_result_request,
       {{"gemini/stream_function_call_thought_signature.sse", true, {{"", "getWeather", R"({"location":"Tokyo"})"}}}},
       check_gemini_foreign_result_request},
      // One recorded stream; asked for without streaming, the fake serves its terminal Response.
      {provider_row("openai-responses"), check_responses_tools_request, check_responses_result_request,
       {{"openai/responses_stream_function_call.sse", true,
         {{"call_0UFGPwrziw5rbinYp7rthrTb", "get_weather_at_location", R"({"location":"San Francisco, CA"})"}}},
        {"openai/responses_stream_function_call.sse", false,
         {{"call_0UFGPwrziw5rbinYp7rthrTb", "get_weather_at_location", R"({"location":"San Francisco, CA"})"}}}}},
  };
  return rows;
}

}  // namespace majordomo::testing
