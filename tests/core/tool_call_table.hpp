// The providers that take tools, and what their recorded requests must show: the rows of the tool-call tests.
#pragma once

#include "provider_table.hpp"

#include <functional>
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

inline void check_gemini_result_request(const Poco::JSON::Object::Ptr& body, const ToolCall& call) {
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
  // The fake signs every call it makes; the signature comes back on the same part.
  CHECK_THAT(part->optValue<std::string>("thoughtSignature", ""), Catch::StartsWith("ZmFrZVNpZw"));
  const auto results = contents->getObject(2);
  CHECK(results->getValue<std::string>("role") == "user");
  const auto response = results->getArray("parts")->getObject(0)->getObject("functionResponse");
  REQUIRE(response);
  CHECK(response->getValue<std::string>("name") == "get_weather");
  CHECK(response->getObject("response")->getValue<int>("temp_c") == 21);  // a JSON object result goes as is
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
      // Gemini gives no call id here; the finishReason is STOP, turned into tool_use by the call.
      {provider_row("gemini"), check_gemini_tools_request, check_gemini_result_request,
       {{"gemini/stream_function_call_thought_signature.sse", true, {{"", "getWeather", R"({"location":"Tokyo"})"}}}}},
  };
  return rows;
}

}  // namespace majordomo::testing
