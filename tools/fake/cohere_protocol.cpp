// Cohere Chat v2 as the fake server speaks it: Bearer auth, fixture replay, built-in replies.
#include "provider_protocol.hpp"

#include "json_text.hpp"
#include "schema_example.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <optional>
#include <string>

namespace majordomo::fake {
namespace {

constexpr std::string_view chat_fixture = "cohere/chat.json";
constexpr std::string_view chat_stream_fixture = "cohere/chat_stream.sse";
constexpr std::string_view chat_path = "/v2/chat";
// What the built-in replies say, in the pieces the built-in stream sends them.
constexpr auto built_in_pieces = built_in_reply_pieces(" (cohere).");
constexpr int built_in_output_tokens = 9;

// Cohere's error bodies are an id and a message, nothing else (PROTOCOLS.md §5.4).
ScriptedResponse cohere_error(const RecordedRequest& request, int status, std::string_view message) {
  ScriptedResponse response;
  response.status = status;
  response.content_type = "application/json";
  response.body = fmt::format(R"({{"id":"00000000-0000-4000-9000-{:012}","message":{}}})", request.seq,
                              json_quote(message));
  return response;
}

std::string built_in_id(const RecordedRequest& request) {
  return fmt::format("00000000-0000-4000-8000-{:012}", request.seq);
}

std::string built_in_usage(const RecordedRequest& request) {
  const int input = estimated_prompt_tokens(request);
  return fmt::format(R"({{"billed_units":{{"input_tokens":{},"output_tokens":{}}},"tokens":{{"input_tokens":{},"output_tokens":{}}}}})",
                     input, built_in_output_tokens, input + 64, built_in_output_tokens);
}

ScriptedResponse built_in_chat(const RecordedRequest& request) {
  const std::string text = joined(built_in_pieces);
  ScriptedResponse response;
  response.content_type = "application/json";
  response.body = fmt::format(
      R"({{"id":"{}","message":{{"role":"assistant","content":[{{"type":"text","text":{}}}]}},"finish_reason":"COMPLETE","usage":{}}})",
      built_in_id(request), json_quote(text), built_in_usage(request));
  return response;
}

ScriptedResponse built_in_stream(const RecordedRequest& request) {
  const auto event = [](std::string_view type, const std::string& data) {
    return fmt::format("event: {}\ndata: {}\n\n", type, data);
  };
  ScriptedResponse response;
  response.content_type = "text/event-stream";
  response.body = event("message-start",
                        fmt::format(R"({{"id":"{}","type":"message-start","delta":{{"message":{{"role":"assistant","content":[],"tool_plan":"","tool_calls":[],"citations":[]}}}}}})",
                                    built_in_id(request)));
  response.body += event("content-start",
                         R"({"type":"content-start","index":0,"delta":{"message":{"content":{"type":"text","text":""}}}})");
  for (auto piece : built_in_pieces) {
    response.body += event("content-delta",
                           fmt::format(R"({{"type":"content-delta","index":0,"delta":{{"message":{{"content":{{"text":{}}}}}}}}})",
                                       json_quote(piece)));
  }
  response.body += event("content-end", R"({"type":"content-end","index":0})");
  response.body += event("message-end",
                         fmt::format(R"({{"type":"message-end","delta":{{"finish_reason":"COMPLETE","usage":{}}}}})",
                                     built_in_usage(request)));
  response.body += "data: [DONE]\n\n";
  return response;
}

// The call the fake makes for a request with tools: of the first tool listed, with arguments
// generated from its schema. Cohere has no named tool choice (majordomo lists only the named tool).
struct PlannedCall {
  std::string name;
  std::string arguments;  // compact JSON text
};

// A call unless tool_choice is NONE or the conversation ends with a tool result (then it answers).
std::optional<PlannedCall> planned_call(const Poco::JSON::Object& body) {
  const auto tools = body.getArray("tools");
  if (tools.isNull() || tools->size() == 0) return std::nullopt;
  if (body.optValue<std::string>("tool_choice", "") == "NONE") return std::nullopt;
  if (const auto messages = body.getArray("messages"); !messages.isNull() && messages->size() > 0) {
    const auto last = messages->getObject(static_cast<unsigned>(messages->size() - 1));
    if (!last.isNull() && last->optValue<std::string>("role", "") == "tool") return std::nullopt;
  }
  const auto tool = tools->getObject(0);
  const auto function = tool.isNull() ? nullptr : tool->getObject("function");
  if (function.isNull()) return std::nullopt;
  return PlannedCall{function->optValue<std::string>("name", ""), schema_example(function->get("parameters"))};
}

// A tool plan and then the call, as Cohere answers with tools (PROTOCOLS.md §5.2, §5.3): the
// plan in `message.tool_plan` or tool-plan-delta events, the call in `message.tool_calls` or
// tool-call-start/delta/end events, finish_reason TOOL_CALL.
ScriptedResponse tool_call_reply(const RecordedRequest& request, const PlannedCall& call, bool stream) {
  const std::string plan = fmt::format("I will use the {} tool.", call.name);
  const std::string call_id = fmt::format("{}_fake{}", call.name, request.seq);
  ScriptedResponse response;
  if (!stream) {
    response.content_type = "application/json";
    response.body = fmt::format(
        R"({{"id":"{}","message":{{"role":"assistant","tool_plan":{},"tool_calls":[{{"id":{},"type":"function",)"
        R"("function":{{"name":{},"arguments":{}}}}}]}},"finish_reason":"TOOL_CALL","usage":{}}})",
        built_in_id(request), json_quote(plan), json_quote(call_id), json_quote(call.name), json_quote(call.arguments),
        built_in_usage(request));
    return response;
  }
  const auto event = [](std::string_view type, const std::string& data) {
    return fmt::format("event: {}\ndata: {}\n\n", type, data);
  };
  // Pieces split inside the text, as real streams split it.
  const auto halves = [](std::string_view text) {
    const std::size_t half = text.size() / 2;
    return std::array<std::string_view, 2>{text.substr(0, half), text.substr(half)};
  };
  response.content_type = "text/event-stream";
  response.body = event("message-start",
                        fmt::format(R"({{"type":"message-start","id":"{}","delta":{{"message":{{"role":"assistant"}}}}}})",
                                    built_in_id(request)));
  for (const std::string_view piece : halves(plan)) {
    response.body += event("tool-plan-delta",
                           fmt::format(R"({{"type":"tool-plan-delta","delta":{{"message":{{"tool_plan":{}}}}}}})",
                                       json_quote(piece)));
  }
  response.body += event("tool-call-start",
                         fmt::format(R"({{"type":"tool-call-start","index":0,"delta":{{"message":{{"tool_calls":)"
                                     R"({{"id":{},"type":"function","function":{{"name":{},"arguments":""}}}}}}}}}})",
                                     json_quote(call_id), json_quote(call.name)));
  for (const std::string_view piece : halves(call.arguments)) {
    response.body += event("tool-call-delta",
                           fmt::format(R"({{"type":"tool-call-delta","index":0,"delta":{{"message":{{"tool_calls":)"
                                       R"({{"function":{{"arguments":{}}}}}}}}}}})",
                                       json_quote(piece)));
  }
  response.body += event("tool-call-end", R"({"type":"tool-call-end","index":0})");
  response.body += event("message-end",
                         fmt::format(R"({{"type":"message-end","delta":{{"finish_reason":"TOOL_CALL","usage":{}}}}})",
                                     built_in_usage(request)));
  response.body += "data: [DONE]\n\n";
  return response;
}

class CohereProtocol final : public PostRoutedProtocol {
public:
  CohereProtocol() : PostRoutedProtocol("cohere", chat_path) {}

  // The scheme name is matched case-insensitively; Cohere's docs write "bearer" (PROTOCOLS.md §0.2).
  std::optional<ScriptedResponse> check_auth(const RecordedRequest& request,
                                             const FakeServerOptions& options) const override {
    const std::string_view key = bearer_key(request);
    if (key.empty()) return cohere_error(request, 401, "no api key supplied");
    if (!options.required_api_key.empty() && key != options.required_api_key) {
      return cohere_error(request, 401, "invalid api token");
    }
    return std::nullopt;
  }

  ScriptedResponse default_response(const RecordedRequest& request, const FakeServerOptions& options) const override {
    bool stream = false;
    std::optional<PlannedCall> call;
    try {
      const auto body = body_object(request);
      stream = is_true(*body, "stream");
      call = planned_call(*body);
    } catch (const Poco::Exception&) {
      return cohere_error(request, 400, "invalid request: the body is not valid JSON");
    }
    if (call) return tool_call_reply(request, *call, stream);
    const std::string_view fixture = stream ? chat_stream_fixture : chat_fixture;
    if (fixture_exists(options, fixture)) return fixture_reply(fixture);
    return stream ? built_in_stream(request) : built_in_chat(request);
  }
};

}  // namespace

std::unique_ptr<ProviderProtocol> make_cohere_protocol() { return std::make_unique<CohereProtocol>(); }

}  // namespace majordomo::fake
