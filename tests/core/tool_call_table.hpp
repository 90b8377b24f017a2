// The providers that take tools, and what their recorded requests must show: the rows of the tool-call tests.
#pragma once

#include "provider_table.hpp"

#include <functional>
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
};

struct ToolRow {
  ProviderRow provider;  // from provider_rows() (provider_row(name))
  // Checks the first request of the loop (tools listed) and the second (the call and its
  // result in the provider's own shape); throws through Catch's CHECK/REQUIRE.
  std::function<void(const Poco::JSON::Object::Ptr& body)> check_tools_request;
  std::function<void(const Poco::JSON::Object::Ptr& body, const ToolCall& call)> check_result_request;
  std::vector<ToolFixture> fixtures;
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

// OpenAI's Responses API: flat tools with `strict` always sent, encrypted reasoning asked for (store
// is false); the call goes back as a function_call item and its result as a function_call_output
// item, both in `input`.
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
  const auto include = body->getArray("include");
  REQUIRE(include);
  REQUIRE(include->size() == 1);
  CHECK(include->getElement<std::string>(0) == "reasoning.encrypted_content");
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
      {provider_row("deepseek"), check_chat_tools_request, check_chat_result_request, {}},
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
