// OpenAI Chat Completions as the fake server speaks it: Bearer auth, fixture replay, built-in replies.
#include "provider_protocol.hpp"

#include "json_text.hpp"
#include "openai_wire.hpp"
#include "schema_example.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>

namespace majordomo::fake {
namespace {

constexpr std::string_view chat_completion_fixture = "openai/chat_completion.json";
constexpr std::string_view chat_stream_fixture = "openai/chat_completion_stream.sse";
// What the built-in replies say, in the pieces the built-in stream sends them.
constexpr auto built_in_pieces = built_in_reply_pieces(".");
constexpr int built_in_completion_tokens = 7;

// Shows enough of a wrong key to recognise it, the way the real API does.
std::string redact(std::string_view key) {
  if (key.size() <= 8) return std::string(key.size(), '*');
  return fmt::format("{}{}{}", key.substr(0, 3), std::string(key.size() - 7, '*'), key.substr(key.size() - 4));
}

using ChatRequest = ChatCompletionsBody;
constexpr std::string_view default_model = "gpt-4o-mini";

std::string built_in_usage(int prompt_tokens) {
  return fmt::format(
      R"({{"prompt_tokens":{},"completion_tokens":{},"total_tokens":{},)"
      R"("prompt_tokens_details":{{"cached_tokens":0,"audio_tokens":0}},)"
      R"("completion_tokens_details":{{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}})",
      prompt_tokens, built_in_completion_tokens, prompt_tokens + built_in_completion_tokens);
}

ScriptedResponse built_in_completion(const RecordedRequest& request, const ChatRequest& chat) {
  const std::string text = joined(built_in_pieces);
  ScriptedResponse response;
  response.content_type = "application/json";
  response.body = fmt::format(
      "{{\n  \"id\": \"chatcmpl-fake{}\",\n  \"object\": \"chat.completion\",\n  \"created\": {},\n  \"model\": {},\n"
      "  \"choices\": [\n    {{\n      \"index\": 0,\n      \"message\": {{\n        \"role\": \"assistant\",\n"
      "        \"content\": {},\n        \"refusal\": null,\n        \"annotations\": []\n      }},\n"
      "      \"logprobs\": null,\n      \"finish_reason\": \"stop\"\n    }}\n  ],\n  \"usage\": {},\n"
      "  \"service_tier\": \"default\",\n  \"system_fingerprint\": null\n}}\n",
      request.seq, unix_now(), json_quote(chat.model), json_quote(text), built_in_usage(estimated_prompt_tokens(request)));
  return response;
}

ScriptedResponse built_in_stream(const RecordedRequest& request, const ChatRequest& chat) {
  const std::string prefix = fmt::format(
      R"({{"id":"chatcmpl-fake{}","object":"chat.completion.chunk","created":{},"model":{},"service_tier":"default","system_fingerprint":null,)",
      request.seq, unix_now(), json_quote(chat.model));
  // Newer responses carry "usage":null on every chunk but the usage chunk when usage was asked for.
  const std::string usage_field = chat.include_usage ? R"(,"usage":null)" : "";
  const auto chunk = [&](std::string_view delta, std::string_view finish_reason) {
    return fmt::format(R"(data: {}"choices":[{{"index":0,"delta":{},"logprobs":null,"finish_reason":{}}}]{}}})"
                       "\n\n",
                       prefix, delta, finish_reason, usage_field);
  };
  ScriptedResponse response;
  response.content_type = "text/event-stream; charset=utf-8";
  response.body = chunk(R"({"role":"assistant","content":"","refusal":null})", "null");
  for (auto piece : built_in_pieces) response.body += chunk(fmt::format(R"({{"content":{}}})", json_quote(piece)), "null");
  response.body += chunk("{}", R"("stop")");
  if (chat.include_usage) {
    response.body += fmt::format("data: {}\"choices\":[],\"usage\":{}}}\n\n", prefix, built_in_usage(estimated_prompt_tokens(request)));
  }
  response.body += "data: [DONE]\n\n";
  return response;
}

class OpenAIProtocol final : public OpenAIFamilyProtocol {
public:
  OpenAIProtocol() : OpenAIFamilyProtocol("openai", "/chat/completions", OpenAIErrorLayout::chat) {}

  ScriptedResponse default_response(const RecordedRequest& request, const FakeServerOptions& options) const override {
    const std::optional<ChatRequest> chat = read_chat_completions_body(request, default_model);
    if (!chat) return openai_invalid_json(OpenAIErrorLayout::chat);
    if (chat->tool_call) {
      return chat_tool_call_reply(request, *chat, "chatcmpl-fake", built_in_usage(estimated_prompt_tokens(request)));
    }
    const std::string_view fixture = chat->stream ? chat_stream_fixture : chat_completion_fixture;
    if (fixture_exists(options, fixture)) return fixture_reply(fixture);
    return chat->stream ? built_in_stream(request, *chat) : built_in_completion(request, *chat);
  }
};

// The call to answer with (ChatCompletionsBody::tool_call), from tools, tool_choice and the last message.
std::optional<PlannedToolCall> planned_tool_call(const Poco::JSON::Object& body) {
  const auto tools = body.getArray("tools");
  if (tools.isNull() || tools->size() == 0) return std::nullopt;
  if (const auto messages = body.getArray("messages"); !messages.isNull() && messages->size() > 0) {
    const auto last = messages->getObject(static_cast<unsigned>(messages->size() - 1));
    if (!last.isNull() && last->optValue<std::string>("role", "") == "tool") return std::nullopt;
  }
  std::string wanted;
  if (body.has("tool_choice")) {
    const Poco::Dynamic::Var choice = body.get("tool_choice");
    if (choice.isString() && choice.toString() == "none") return std::nullopt;
    if (const auto named = body.getObject("tool_choice"); !named.isNull()) {
      if (const auto function = named->getObject("function"); !function.isNull()) {
        wanted = function->optValue<std::string>("name", "");
      }
    }
  }
  for (unsigned i = 0; i < tools->size(); ++i) {
    const auto tool = tools->getObject(i);
    const auto function = tool.isNull() ? nullptr : tool->getObject("function");
    if (function.isNull()) continue;
    const std::string name = function->optValue<std::string>("name", "");
    if (!wanted.empty() && name != wanted) continue;
    return PlannedToolCall{name, schema_example(function->get("parameters"))};
  }
  return std::nullopt;
}

}  // namespace

std::optional<ChatCompletionsBody> read_chat_completions_body(const RecordedRequest& request,
                                                              std::string_view default_model) {
  ChatCompletionsBody chat;
  try {
    const auto object = body_object(request);
    chat.model = string_or(object, "model", std::string(default_model));
    chat.stream = is_true(*object, "stream");
    if (const auto stream_options = object->getObject("stream_options"); !stream_options.isNull()) {
      chat.include_usage = is_true(*stream_options, "include_usage");
    }
    chat.tool_call = planned_tool_call(*object);
    if (const auto thinking = object->getObject("thinking"); !thinking.isNull()) {
      chat.thinking_disabled = thinking->optValue<std::string>("type", "") == "disabled";
    }
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
  return chat;
}

ScriptedResponse chat_tool_call_reply(const RecordedRequest& request, const ChatCompletionsBody& chat,
                                      std::string_view id_prefix, std::string_view usage_json,
                                      std::string_view reasoning) {
  const PlannedToolCall& call = *chat.tool_call;
  const std::string call_id = fmt::format("call_fake{}", request.seq);
  ScriptedResponse response;
  if (!chat.stream) {
    const std::string reasoning_field =
        reasoning.empty() ? std::string() : fmt::format(R"("reasoning_content":{},)", json_quote(reasoning));
    response.content_type = "application/json";
    response.body = fmt::format(
        R"({{"id":"{}{}","object":"chat.completion","created":{},"model":{},"choices":[{{"index":0,"message":)"
        R"({{"role":"assistant","content":null,{}"tool_calls":[{{"id":"{}","type":"function","function":)"
        R"({{"name":{},"arguments":{}}}}}],"refusal":null,"annotations":[]}},"logprobs":null,)"
        R"("finish_reason":"tool_calls"}}],"usage":{}}})" "\n",
        id_prefix, request.seq, unix_now(), json_quote(chat.model), reasoning_field, call_id, json_quote(call.name),
        json_quote(call.arguments), usage_json);
    return response;
  }
  const std::string prefix = fmt::format(R"({{"id":"{}{}","object":"chat.completion.chunk","created":{},"model":{},)",
                                         id_prefix, request.seq, unix_now(), json_quote(chat.model));
  const auto chunk = [&](std::string_view delta, std::string_view finish_reason) {
    return fmt::format("data: {}\"choices\":[{{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":{}}}]}}\n\n",
                       prefix, delta, finish_reason);
  };
  response.content_type = "text/event-stream; charset=utf-8";
  response.body.clear();
  // The reasoning in two deltas, as a thinking model streams it before the call.
  const std::size_t reasoning_half = reasoning.size() / 2;
  for (const std::string_view piece : {reasoning.substr(0, reasoning_half), reasoning.substr(reasoning_half)}) {
    if (piece.empty()) continue;
    const std::string_view role = response.body.empty() ? R"("role":"assistant",)" : "";
    response.body +=
        chunk(fmt::format(R"({{{}"content":null,"reasoning_content":{}}})", role, json_quote(piece)), "null");
  }
  response.body += chunk(fmt::format(R"({{"role":"assistant","content":null,"tool_calls":[{{"index":0,"id":"{}",)"
                                     R"("type":"function","function":{{"name":{},"arguments":""}}}}]}})",
                                     call_id, json_quote(call.name)),
                         "null");
  // Two pieces, split inside the JSON text, as real streams split it.
  const std::size_t half = call.arguments.size() / 2;
  for (const std::string_view piece : {std::string_view(call.arguments).substr(0, half),
                                       std::string_view(call.arguments).substr(half)}) {
    response.body += chunk(fmt::format(R"({{"tool_calls":[{{"index":0,"function":{{"arguments":{}}}}}]}})",
                                       json_quote(piece)),
                           "null");
  }
  response.body += chunk("{}", R"("tool_calls")");
  if (chat.include_usage) response.body += fmt::format("data: {}\"choices\":[],\"usage\":{}}}\n\n", prefix, usage_json);
  response.body += "data: [DONE]\n\n";
  return response;
}

ScriptedResponse openai_error(int status, std::string_view message, std::string_view type,
                              std::optional<std::string_view> code, OpenAIErrorLayout layout) {
  ScriptedResponse response;
  response.status = status;
  response.content_type = "application/json";
  const std::string code_json = code ? json_quote(*code) : std::string("null");
  if (layout == OpenAIErrorLayout::chat) {
    response.body = fmt::format(
        "{{\n    \"error\": {{\n        \"message\": {},\n        \"type\": {},\n        \"param\": null,\n"
        "        \"code\": {}\n    }}\n}}\n",
        json_quote(message), json_quote(type), code_json);
  } else {
    response.body = fmt::format(
        "{{\n  \"error\": {{\n    \"message\": {},\n    \"type\": {},\n    \"param\": null,\n"
        "    \"code\": {}\n  }}\n}}",
        json_quote(message), json_quote(type), code_json);
  }
  return response;
}

ScriptedResponse openai_invalid_json(OpenAIErrorLayout layout) {
  return openai_error(400,
                      "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
                      "using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was "
                      "sent was not valid JSON.)",
                      "invalid_request_error", std::nullopt, layout);
}

std::optional<ScriptedResponse> check_openai_auth(const RecordedRequest& request, const FakeServerOptions& options,
                                                  OpenAIErrorLayout layout) {
  const std::string_view key = bearer_key(request);
  if (key.empty()) {
    return openai_error(401,
                        "You didn't provide an API key. You need to provide your API key in an Authorization "
                        "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                        "invalid_request_error", "invalid_api_key", layout);
  }
  if (!options.required_api_key.empty() && key != options.required_api_key) {
    return openai_error(401, fmt::format("Incorrect API key provided: {}.", redact(key)), "invalid_request_error",
                        "invalid_api_key", layout);
  }
  return std::nullopt;
}

std::vector<Header> openai_standard_headers(const RecordedRequest& request, std::chrono::milliseconds handling_time) {
  return {
      {"x-request-id", fmt::format("req_fake_{}", request.seq)},
      {"openai-processing-ms", std::to_string(handling_time.count())},
      {"openai-version", "2020-10-01"},
      {"x-ratelimit-limit-requests", "10000"},
      {"x-ratelimit-limit-tokens", "30000000"},
      {"x-ratelimit-remaining-requests", "9999"},
      {"x-ratelimit-remaining-tokens", "29999000"},
      {"x-ratelimit-reset-requests", "6ms"},
      {"x-ratelimit-reset-tokens", "2ms"},
  };
}

std::unique_ptr<ProviderProtocol> make_openai_protocol() { return std::make_unique<OpenAIProtocol>(); }

}  // namespace majordomo::fake
