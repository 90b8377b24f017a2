// Anthropic Messages as the fake server speaks it: x-api-key auth, version header, fixture replay, built-in replies.
#include "provider_protocol.hpp"

#include "json_text.hpp"
#include "schema_example.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

namespace majordomo::fake {
namespace {

constexpr std::string_view message_fixture = "anthropic/message.json";
constexpr std::string_view message_stream_fixture = "anthropic/message_stream.sse";
// What the built-in replies say, in the pieces the built-in stream sends them.
constexpr auto built_in_pieces = built_in_reply_pieces(" (anthropic).");
constexpr int built_in_output_tokens = 9;

// The real API sends compact error bodies with the request id inside (PROTOCOLS.md §3.4).
ScriptedResponse anthropic_error(const RecordedRequest& request, int status, std::string_view type,
                                 std::string_view message) {
  ScriptedResponse response;
  response.status = status;
  response.content_type = "application/json";
  response.body = fmt::format(R"({{"type":"error","error":{{"type":{},"message":{}}},"request_id":"req_fake_{}"}})",
                              json_quote(type), json_quote(message), request.seq);
  return response;
}

// The key from x-api-key, or from `Authorization: Bearer` (OAuth-style tokens and SDK 1.x use it).
std::string_view presented_key(const RecordedRequest& request) {
  if (const std::string* api_key = find_header(request, "x-api-key"); api_key != nullptr) {
    if (const std::string_view key = trim_blanks(*api_key); !key.empty()) return key;
  }
  return bearer_key(request);
}

struct MessagesRequest {
  std::string model;
  bool stream = false;
  // Structured output: the JSON answer (output_config.format, or the input of a forced tool call)
  // and, for a forced tool call, the tool's name. A request with tools that the model would call
  // (plan_tool_use) is answered the same way: a tool_use block of that tool.
  std::string json_answer;
  std::string forced_tool;
};

// The answer's content block (without the stream's empty start) and stop reason.
struct AnswerShape {
  std::string block;        // the content block of the non-streaming message
  std::string start_block;  // the content_block_start block
  std::string delta_type;   // text_delta or input_json_delta
  std::string delta_field;  // text or partial_json
  std::string stop_reason;
  std::vector<std::string> pieces;
};

std::vector<std::string> split_ascii_safe(const std::string& text, std::size_t size) {
  std::vector<std::string> pieces;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = std::min(text.size(), start + size);
    while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) ++end;
    pieces.push_back(text.substr(start, end - start));
    start = end;
  }
  return pieces;
}

AnswerShape answer_shape(const RecordedRequest& request, const MessagesRequest& messages) {
  AnswerShape shape;
  if (!messages.forced_tool.empty()) {
    const std::string id = fmt::format("toolu_fake{:016}", request.seq);
    shape.block = fmt::format(R"({{"type":"tool_use","id":"{}","name":{},"input":{}}})", id,
                              json_quote(messages.forced_tool), messages.json_answer);
    shape.start_block = fmt::format(R"({{"type":"tool_use","id":"{}","name":{},"input":{{}}}})", id,
                                    json_quote(messages.forced_tool));
    shape.delta_type = "input_json_delta";
    shape.delta_field = "partial_json";
    // With tool_choice {type: tool} the API ends the turn at the call (PROTOCOLS.md §3.2), and the
    // first fragment of the input is often empty (§3.3).
    shape.stop_reason = "tool_use";
    shape.pieces.push_back("");
    for (auto& piece : split_ascii_safe(messages.json_answer, 9)) shape.pieces.push_back(std::move(piece));
    return shape;
  }
  std::string text = messages.json_answer;
  if (text.empty()) {
    for (auto piece : built_in_pieces) shape.pieces.emplace_back(piece);
    for (const auto& piece : shape.pieces) text += piece;
  } else {
    shape.pieces = split_ascii_safe(text, 9);
  }
  shape.block = fmt::format(R"({{"type":"text","text":{}}})", json_quote(text));
  shape.start_block = R"({"type":"text","text":""})";
  shape.delta_type = "text_delta";
  shape.delta_field = "text";
  shape.stop_reason = "end_turn";
  return shape;
}

int input_tokens_for(const RecordedRequest& request) { return estimated_prompt_tokens(request); }

std::string built_in_id(const RecordedRequest& request) { return fmt::format("msg_fake{:016}", request.seq); }

ScriptedResponse built_in_message(const RecordedRequest& request, const MessagesRequest& messages) {
  const AnswerShape shape = answer_shape(request, messages);
  ScriptedResponse response;
  response.content_type = "application/json";
  response.body = fmt::format(
      R"({{"model":{},"id":"{}","type":"message","role":"assistant","content":[{}],)"
      R"("stop_reason":"{}","stop_sequence":null,"usage":{{"input_tokens":{},"cache_creation_input_tokens":0,)"
      R"("cache_read_input_tokens":0,"output_tokens":{},"service_tier":"standard"}}}})",
      json_quote(messages.model), built_in_id(request), shape.block, shape.stop_reason, input_tokens_for(request),
      messages.json_answer.empty() ? built_in_output_tokens : static_cast<int>(shape.pieces.size()));
  return response;
}

ScriptedResponse built_in_stream(const RecordedRequest& request, const MessagesRequest& messages) {
  const auto event = [](std::string_view name, const std::string& data) {
    return fmt::format("event: {}\ndata: {}\n\n", name, data);
  };
  ScriptedResponse response;
  response.content_type = "text/event-stream; charset=utf-8";
  std::string& body = response.body;
  body += event("message_start",
                fmt::format(R"({{"type":"message_start","message":{{"id":"{}","type":"message","role":"assistant",)"
                            R"("model":{},"content":[],"stop_reason":null,"stop_sequence":null,"usage":{{"input_tokens":{},)"
                            R"("cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}}}}}})",
                            built_in_id(request), json_quote(messages.model), input_tokens_for(request)));
  const AnswerShape shape = answer_shape(request, messages);
  body += event("content_block_start",
                fmt::format(R"({{"type":"content_block_start","index":0,"content_block":{}}})", shape.start_block));
  body += event("ping", R"({"type": "ping"})");
  for (const auto& piece : shape.pieces) {
    body += event("content_block_delta",
                  fmt::format(R"({{"type":"content_block_delta","index":0,"delta":{{"type":"{}","{}":{}}}}})",
                              shape.delta_type, shape.delta_field, json_quote(piece)));
  }
  body += event("content_block_stop", R"({"type":"content_block_stop","index":0})");
  body += event("message_delta",
                fmt::format(R"({{"type":"message_delta","delta":{{"stop_reason":"{}","stop_sequence":null}},)"
                            R"("usage":{{"output_tokens":{}}}}})",
                            shape.stop_reason,
                            messages.json_answer.empty() ? built_in_output_tokens : static_cast<int>(shape.pieces.size())));
  body += event("message_stop", R"({"type":"message_stop"})");
  return response;
}

// RFC 3339, as the anthropic-ratelimit-*-reset headers carry it.
std::string rfc3339_in_one_minute() {
  const std::time_t at = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() + std::chrono::minutes(1));
  std::tm utc{};
  gmtime_r(&at, &utc);
  char text[32];
  const size_t size = std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return std::string(text, size);
}

class AnthropicProtocol final : public PostRoutedProtocol {
public:
  AnthropicProtocol() : PostRoutedProtocol("anthropic", "/v1/messages") {}

  std::optional<ScriptedResponse> check_auth(const RecordedRequest& request,
                                             const FakeServerOptions& options) const override {
    const std::string_view key = presented_key(request);
    if (key.empty() || (!options.required_api_key.empty() && key != options.required_api_key)) {
      return anthropic_error(request, 401, "authentication_error", "invalid x-api-key");
    }
    // [?] PROTOCOLS.md §6.4: what the real API answers without the version header is a guess.
    const std::string* version = find_header(request, "anthropic-version");
    if (version == nullptr || trim_blanks(*version).empty()) {
      return anthropic_error(request, 400, "invalid_request_error", "anthropic-version: header is required");
    }
    return std::nullopt;
  }

  ScriptedResponse default_response(const RecordedRequest& request, const FakeServerOptions& options) const override {
    MessagesRequest messages;
    try {
      const auto object = body_object(request);
      // The fields the real API requires; a client that forgets max_tokens must see it fail here too.
      const auto model = object->get("model");
      if (!model.isString()) return anthropic_error(request, 400, "invalid_request_error", "model: Field required");
      messages.model = model.extract<std::string>();
      if (!object->get("max_tokens").isInteger()) {
        return anthropic_error(request, 400, "invalid_request_error", "max_tokens: Field required");
      }
      if (object->getArray("messages").isNull()) {
        return anthropic_error(request, 400, "invalid_request_error", "messages: Field required");
      }
      messages.stream = is_true(*object, "stream");
      if (auto refusal = read_structured(request, *object, messages)) return *refusal;
      if (messages.forced_tool.empty()) plan_tool_use(*object, messages);
    } catch (const Poco::Exception&) {
      return anthropic_error(request, 400, "invalid_request_error",
                             "There was an error parsing the body of your request: it is not valid JSON");
    }

    const std::string_view fixture = messages.stream ? message_stream_fixture : message_fixture;
    if (messages.json_answer.empty() && fixture_exists(options, fixture)) {
      ScriptedResponse response = fixture_reply(fixture);
      if (messages.stream) response.content_type = "text/event-stream; charset=utf-8";
      return response;
    }
    return messages.stream ? built_in_stream(request, messages) : built_in_message(request, messages);
  }

  // output_config.format (PROTOCOLS.md §3.1) or a forced tool call: the answer fits the schema,
  // as the real service constrains it. A malformed structured request gets the service's 400.
  static std::optional<ScriptedResponse> read_structured(const RecordedRequest& request,
                                                         const Poco::JSON::Object& object,
                                                         MessagesRequest& messages) {
    if (const auto config = object.getObject("output_config")) {
      if (const auto format = config->getObject("format")) {
        if (format->optValue<std::string>("type", "") != "json_schema" || !format->getObject("schema")) {
          return anthropic_error(request, 400, "invalid_request_error",
                                 "output_config.format: json_schema format needs a schema object");
        }
        messages.json_answer = schema_example(format->get("schema"));
      }
    }
    const auto choice = object.getObject("tool_choice");
    if (!choice || choice->optValue<std::string>("type", "") != "tool") return std::nullopt;
    const std::string name = choice->optValue<std::string>("name", "");
    if (const auto tools = object.getArray("tools")) {
      for (const auto& tool : *tools) {
        if (tool.type() != typeid(Poco::JSON::Object::Ptr)) continue;
        const auto entry = tool.extract<Poco::JSON::Object::Ptr>();
        if (entry->optValue<std::string>("name", "") != name) continue;
        if (!entry->getObject("input_schema")) {
          return anthropic_error(request, 400, "invalid_request_error", "tools.0.input_schema: Field required");
        }
        messages.forced_tool = name;
        messages.json_answer = schema_example(entry->get("input_schema"));
        return std::nullopt;
      }
    }
    return anthropic_error(request, 400, "invalid_request_error",
                           fmt::format("tool_choice names the tool '{}', which is not in tools", name));
  }

  // A request with tools, whose tool_choice allows a call and whose last message is not the
  // application's tool results, gets a call of the first tool (tool_choice any or auto; a named
  // tool was planned by read_structured), its input made from the tool's input_schema.
  static void plan_tool_use(const Poco::JSON::Object& object, MessagesRequest& messages) {
    const auto tools = object.getArray("tools");
    if (tools.isNull() || tools->size() == 0) return;
    if (const auto choice = object.getObject("tool_choice"); !choice.isNull()) {
      if (choice->optValue<std::string>("type", "") == "none") return;
    }
    if (last_message_has_tool_result(object)) return;
    const auto first = tools->getObject(0);
    if (first.isNull() || !first->getObject("input_schema")) return;
    messages.forced_tool = first->optValue<std::string>("name", "");
    if (messages.forced_tool.empty()) return;
    messages.json_answer = schema_example(first->get("input_schema"));
  }

  static bool last_message_has_tool_result(const Poco::JSON::Object& object) {
    const auto list = object.getArray("messages");
    if (list.isNull() || list->size() == 0) return false;
    const auto last = list->getObject(static_cast<unsigned>(list->size() - 1));
    if (last.isNull() || last->optValue<std::string>("role", "") != "user") return false;
    const auto content = last->getArray("content");
    if (content.isNull()) return false;  // a string: plain text
    for (unsigned i = 0; i < content->size(); ++i) {
      const auto block = content->getObject(i);
      if (!block.isNull() && block->optValue<std::string>("type", "") == "tool_result") return true;
    }
    return false;
  }

  std::vector<Header> standard_headers(const RecordedRequest& request,
                                       std::chrono::milliseconds /*handling_time*/) const override {
    const std::string reset = rfc3339_in_one_minute();
    return {
        {"request-id", fmt::format("req_fake_{}", request.seq)},
        {"anthropic-ratelimit-requests-limit", "4000"},
        {"anthropic-ratelimit-requests-remaining", "3999"},
        {"anthropic-ratelimit-requests-reset", reset},
        {"anthropic-ratelimit-tokens-limit", "2000000"},
        {"anthropic-ratelimit-tokens-remaining", "1999000"},
        {"anthropic-ratelimit-tokens-reset", reset},
    };
  }
};

}  // namespace

std::unique_ptr<ProviderProtocol> make_anthropic_protocol() { return std::make_unique<AnthropicProtocol>(); }

}  // namespace majordomo::fake
