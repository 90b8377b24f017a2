// The OpenAI Chat Completions shape, request side: a /v1/chat/completions body read into the neutral request.
#include "openai_chat_shape.hpp"
#include "shape_json.hpp"

#include <fmt/format.h>

#include <array>
#include <limits>

namespace majordomo::gateway::openai_chat {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

constexpr int64_t kMaxInt = std::numeric_limits<int64_t>::max();

// Labels of the call that do not change the answer: accepted and ignored.
constexpr std::array<std::string_view, 7> kIgnoredFields{
    "user", "metadata", "store", "service_tier", "safety_identifier", "prompt_cache_key", "prompt_cache_retention"};

bool one_of(std::string_view key, const auto& names) {
  for (const std::string_view name : names) {
    if (key == name) return true;
  }
  return false;
}

// "Remedy" texts of the fields refused because they have no neutral form.
std::string_view unsupported_remedy(std::string_view key) {
  if (key == "n") return "ask for one choice (n = 1) and send several requests for more";
  if (key == "stop") return "remove the stop sequences and cut the answer yourself";
  if (key == "logprobs" || key == "top_logprobs") return "remove it: the gateway cannot return log probabilities";
  if (key == "logit_bias") return "remove it: the gateway has no token biases";
  if (key == "presence_penalty" || key == "frequency_penalty") return "remove it or set it to 0";
  if (key == "seed") return "remove it: the gateway cannot pass a sampling seed";
  if (key == "audio" || key == "modalities") return "ask for text output only";
  if (key == "prediction") return "remove it: the gateway has no predicted outputs";
  if (key == "web_search_options") return "remove it: the gateway has no web search";
  if (key == "functions" || key == "function_call") return "use tools and tool_choice instead";
  if (key == "verbosity") return "remove it and ask for the length you want in the prompt";
  return "remove it";
}

// Whether a refusable field's value changes anything: null, false, 0, {} and [] do not.
bool is_inert(std::string_view key, element value) {
  if (value.is_null()) return true;
  bool flag = true;
  if (value.get(flag) == simdjson::SUCCESS) return !flag && key != "n";
  double number = 1;
  if (value.get(number) == simdjson::SUCCESS) return key == "n" ? number == 1 : number == 0 && key != "seed";
  array items;
  if (value.get(items) == simdjson::SUCCESS) {
    if (key != "modalities") return items.size() == 0;
    for (const element item : items) {
      std::string_view name;
      if (item.get(name) != simdjson::SUCCESS || name != "text") return false;
    }
    return true;
  }
  object members;
  if (value.get(members) == simdjson::SUCCESS) return members.size() == 0 && key != "web_search_options";
  return false;
}

bool valid_tool_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// One request's reading state.
class RequestReader {
 public:
  ClientRequest read(std::string_view body);

 private:
  void read_field(std::string_view key, element value);
  void read_messages(element value);
  void read_message(object message, const FieldPath& path);
  void read_user(object message, const FieldPath& path);
  void read_assistant(object message, const FieldPath& path);
  void read_user_part(object part, const FieldPath& path, Message& out);
  void read_tool_calls(element value, const FieldPath& path, Message& out);
  void read_tools(element value);
  void read_tool_choice(element value);
  void read_response_format(element value);
  void read_stream_options(element value);
  void read_reasoning_effort(element value);

  ClientRequest out_;
  bool has_model_ = false;
  bool has_messages_ = false;
  bool conversation_started_ = false;
  std::optional<int64_t> max_tokens_;
  std::optional<int64_t> max_completion_tokens_;
};

// A message's text: a string, or an array of text parts (assistant messages also take refusal
// parts, whose text is what the model said).
std::string read_text_content(element value, const FieldPath& path, bool assistant) {
  std::string_view text;
  if (value.get(text) == simdjson::SUCCESS) return std::string(text);
  array parts;
  if (value.get(parts) != simdjson::SUCCESS) refuse_type(path, value, "a string or an array of text parts");
  std::string joined;
  std::size_t i = 0;
  for (const element item : parts) {
    const FieldPath part_path = path[i++];
    const object part = read_object(item, part_path);
    std::string_view type;
    std::string_view piece;
    for (const auto [key, member] : part) {
      if (key == "type") {
        type = read_string(member, part_path / "type");
      } else if (key == "text" || (assistant && key == "refusal")) {
        piece = read_string(member, part_path / key);
      } else {
        refuse_unknown(part_path / key);
      }
    }
    if (type != "text" && !(assistant && type == "refusal")) {
      refuse(part_path / "type", fmt::format("Invalid value for '{}': this message takes text parts only{}.",
                                             (part_path / "type").str(), assistant ? " (and refusal parts)" : ""));
    }
    joined.append(piece);
  }
  return joined;
}

ClientRequest RequestReader::read(std::string_view body) {
  const object root = parse_body(body);
  for (const auto [key, value] : root) read_field(key, value);
  if (!has_model_) refuse(field("model"), "Missing required parameter: 'model'.");
  if (!has_messages_) refuse(field("messages"), "Missing required parameter: 'messages'.");
  if (max_tokens_ && max_completion_tokens_ && *max_tokens_ != *max_completion_tokens_) {
    refuse(field("max_tokens"), "max_tokens and max_completion_tokens differ: send only max_completion_tokens.");
  }
  if (max_completion_tokens_) {
    out_.request.options.max_tokens = max_completion_tokens_;
  } else if (max_tokens_) {
    out_.request.options.max_tokens = max_tokens_;
  }
  if (out_.request.tool_choice.mode != ToolChoice::Mode::automatic && out_.request.tools.empty()) {
    refuse(field("tool_choice"), "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are "
                                 "specified.");
  }
  if (!out_.stream) out_.include_usage = false;
  return std::move(out_);
}

void RequestReader::read_field(std::string_view key, element value) {
  const FieldPath path = field(key);
  if (key == "model") {
    out_.model = std::string(read_string(value, path));
    if (out_.model.empty()) refuse(path, "Invalid value for 'model': name a model.");
    has_model_ = true;
  } else if (key == "messages") {
    read_messages(value);
  } else if (value.is_null() || one_of(key, kIgnoredFields)) {
    // null is every optional field's default; labels of the call change nothing
  } else if (key == "stream") {
    out_.stream = read_bool(value, path);
  } else if (key == "stream_options") {
    read_stream_options(value);
  } else if (key == "max_tokens") {
    max_tokens_ = read_integer(value, path, 1, kMaxInt);
  } else if (key == "max_completion_tokens") {
    max_completion_tokens_ = read_integer(value, path, 1, kMaxInt);
  } else if (key == "temperature") {
    out_.request.options.temperature = read_number(value, path, 0, 2);
  } else if (key == "top_p") {
    out_.request.options.top_p = read_number(value, path, 0, 1);
  } else if (key == "reasoning_effort") {
    read_reasoning_effort(value);
  } else if (key == "tools") {
    read_tools(value);
  } else if (key == "tool_choice") {
    read_tool_choice(value);
  } else if (key == "parallel_tool_calls") {
    out_.request.parallel_tool_calls = read_bool(value, path);
  } else if (key == "response_format") {
    read_response_format(value);
  } else if (one_of(key, std::array<std::string_view, 14>{"n", "stop", "logprobs", "top_logprobs", "logit_bias",
                                                         "presence_penalty", "frequency_penalty", "seed", "audio",
                                                         "modalities", "prediction", "web_search_options",
                                                         "functions", "function_call"}) ||
             key == "verbosity") {
    if (!is_inert(key, value)) refuse_unsupported(path, unsupported_remedy(key));
  } else {
    refuse_unknown(path);
  }
}

void RequestReader::read_stream_options(element value) {
  const FieldPath path = field("stream_options");
  for (const auto [key, member] : read_object(value, path)) {
    if (key == "include_usage") {
      out_.include_usage = member.is_null() ? false : read_bool(member, path / key);
    } else if (key == "include_obfuscation") {
      // padding against length side channels: the gateway sends none, which changes no answer
      if (!member.is_null()) (void)read_bool(member, path / key);
    } else {
      refuse_unknown(path / key);
    }
  }
}

void RequestReader::read_reasoning_effort(element value) {
  const FieldPath path = field("reasoning_effort");
  const std::string_view effort = read_string(value, path);
  RequestOptions& options = out_.request.options;
  if (effort == "none") {
    options.thinking = Thinking::off();  // the host's "thinking off" is OpenAI's effort none
  } else if (effort == "minimal") {
    options.reasoning_effort = ReasoningEffort::minimal;
  } else if (effort == "low") {
    options.reasoning_effort = ReasoningEffort::low;
  } else if (effort == "medium") {
    options.reasoning_effort = ReasoningEffort::medium;
  } else if (effort == "high") {
    options.reasoning_effort = ReasoningEffort::high;
  } else if (effort == "xhigh") {
    options.reasoning_effort = ReasoningEffort::max;
  } else {
    refuse(path, fmt::format("Invalid value for 'reasoning_effort': '{}'. Supported values are: 'none', 'minimal', "
                             "'low', 'medium', 'high' and 'xhigh'.", effort));
  }
}

void RequestReader::read_messages(element value) {
  const FieldPath path = field("messages");
  const array messages = read_array(value, path);
  if (messages.size() == 0) {
    refuse(path, "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array "
                 "instead.");
  }
  out_.request.messages.reserve(messages.size());
  std::size_t i = 0;
  for (const element item : messages) {
    const FieldPath message_path = path[i++];
    read_message(read_object(item, message_path), message_path);
  }
  if (!conversation_started_) {
    refuse(path, "'messages' holds only system or developer messages: add a user message.");
  }
  has_messages_ = true;
}

void RequestReader::read_message(object message, const FieldPath& path) {
  element role_value;
  if (!find_member(message, "role", role_value)) refuse(path / "role", fmt::format("Missing required parameter: "
                                                                                   "'{}'.", (path / "role").str()));
  const std::string_view role = read_string(role_value, path / "role");
  if (role == "user") return read_user(message, path);
  if (role == "assistant") return read_assistant(message, path);
  if (role == "system" || role == "developer") {
    if (conversation_started_) {
      refuse(path / "role", fmt::format("A {} message at '{}' comes after the conversation started; the gateway "
                                        "takes system and developer messages only before the first user, assistant "
                                        "or tool message: move it to the start.", role, path.str()));
    }
    Message& out = out_.request.messages.emplace_back();
    out.role = Message::Role::system;
    for (const auto [key, member] : message) {
      if (key == "content") {
        out.content = read_text_content(member, path / key, false);
      } else if (key != "role" && key != "name") {
        refuse_unknown(path / key);
      }
    }
    return;
  }
  if (role == "tool") {
    conversation_started_ = true;
    Message& out = out_.request.messages.emplace_back();
    out.role = Message::Role::tool;
    for (const auto [key, member] : message) {
      if (key == "content") {
        out.content = read_text_content(member, path / key, false);
      } else if (key == "tool_call_id") {
        out.tool_call_id = std::string(read_string(member, path / key));
      } else if (key != "role") {
        refuse_unknown(path / key);
      }
    }
    if (out.tool_call_id.empty()) {
      refuse(path / "tool_call_id", fmt::format("Missing required parameter: '{}'.", (path / "tool_call_id").str()));
    }
    return;
  }
  if (role == "function") refuse_unsupported(path / "role", "send function results as role 'tool' messages");
  refuse(path / "role", fmt::format("Invalid value for '{}': '{}'. Supported values are: 'system', 'developer', "
                                    "'user', 'assistant' and 'tool'.", (path / "role").str(), role));
}

void RequestReader::read_user(object message, const FieldPath& path) {
  conversation_started_ = true;
  Message& out = out_.request.messages.emplace_back();
  out.role = Message::Role::user;
  bool has_content = false;
  for (const auto [key, member] : message) {
    const FieldPath member_path = path / key;
    if (key == "content") {
      has_content = true;
      std::string_view text;
      if (member.get(text) == simdjson::SUCCESS) {
        out.content = std::string(text);
        continue;
      }
      array parts;
      if (member.get(parts) != simdjson::SUCCESS) refuse_type(member_path, member, "a string or an array of parts");
      out.parts.reserve(parts.size());
      std::size_t i = 0;
      for (const element part : parts) {
        const FieldPath part_path = member_path[i++];
        read_user_part(read_object(part, part_path), part_path, out);
      }
    } else if (key != "role" && key != "name") {
      refuse_unknown(member_path);
    }
  }
  if (!has_content) refuse(path / "content", fmt::format("Missing required parameter: '{}'.",
                                                         (path / "content").str()));
}

void RequestReader::read_user_part(object part, const FieldPath& path, Message& out) {
  element type_value;
  if (!find_member(part, "type", type_value)) {
    refuse(path / "type", fmt::format("Missing required parameter: '{}'.", (path / "type").str()));
  }
  const std::string_view type = read_string(type_value, path / "type");
  if (type == "input_audio" || type == "file") {
    refuse_unsupported(path / "type", "send text and images (image_url) only");
  }
  if (type != "text" && type != "image_url") {
    refuse(path / "type", fmt::format("Invalid value for '{}': '{}'. Supported values are: 'text' and 'image_url'.",
                                      (path / "type").str(), type));
  }
  ContentPart& piece = out.parts.emplace_back();
  bool has_value = false;
  for (const auto [key, member] : part) {
    const FieldPath member_path = path / key;
    if (key == "type") continue;
    if (type == "text" && key == "text") {
      piece.text = std::string(read_string(member, member_path));
      has_value = true;
    } else if (type == "image_url" && key == "image_url") {
      piece.kind = ContentPart::Kind::image_url;
      for (const auto [image_key, image_member] : read_object(member, member_path)) {
        const FieldPath image_path = member_path / image_key;
        if (image_key == "url") {
          const std::string_view url = read_string(image_member, image_path);
          check_image_url(url, image_path);
          piece.text = std::string(url);
          has_value = true;
        } else if (image_key == "detail") {
          // The neutral request has no detail level: only the provider's default ("auto") is honest.
          if (!image_member.is_null() && read_string(image_member, image_path) != "auto") {
            refuse_unsupported(image_path, "remove 'detail' or set it to 'auto'");
          }
        } else {
          refuse_unknown(image_path);
        }
      }
    } else {
      refuse_unknown(member_path);
    }
  }
  if (!has_value) {
    const FieldPath image_url = path / "image_url";
    const FieldPath missing = type == "text" ? path / "text" : image_url / "url";
    refuse(missing, fmt::format("Missing required parameter: '{}'.", missing.str()));
  }
}

void RequestReader::read_assistant(object message, const FieldPath& path) {
  conversation_started_ = true;
  Message& out = out_.request.messages.emplace_back();
  out.role = Message::Role::assistant;
  std::string_view reasoning;
  std::string_view refusal;
  for (const auto [key, member] : message) {
    const FieldPath member_path = path / key;
    if (key == "role" || key == "name" || key == "annotations" || member.is_null()) continue;
    if (key == "content") {
      out.content = read_text_content(member, member_path, true);
    } else if (key == "tool_calls") {
      read_tool_calls(member, member_path, out);
    } else if (key == "refusal") {
      refusal = read_string(member, member_path);
    } else if (key == "reasoning_content") {
      reasoning = read_string(member, member_path);
    } else if (key == "audio") {
      refuse_unsupported(member_path, "send the assistant's turn as text");
    } else if (key == "function_call") {
      refuse_unsupported(member_path, "send calls as tool_calls");
    } else {
      refuse_unknown(member_path);
    }
  }
  // A refusal is what the model said when it had no content: keep it as the turn's text.
  if (out.content.empty()) out.content = std::string(refusal);
  // DeepSeek's thinking mode wants the reasoning of a turn that made calls back: it goes as the
  // deepseek plugin's continuation item, which only DeepSeek receives.
  if (!reasoning.empty() && !out.tool_calls.empty()) {
    out.continuation.provider = "deepseek";
    out.continuation.items.push_back(fmt::format("reasoning_content:{}", reasoning));
  }
}

void RequestReader::read_tool_calls(element value, const FieldPath& path, Message& out) {
  const array calls = read_array(value, path);
  out.tool_calls.reserve(calls.size());
  std::size_t i = 0;
  for (const element item : calls) {
    const FieldPath call_path = path[i++];
    ToolCall& call = out.tool_calls.emplace_back();
    bool has_function = false;
    for (const auto [key, member] : read_object(item, call_path)) {
      const FieldPath member_path = call_path / key;
      if (key == "id") {
        call.id = std::string(read_string(member, member_path));
      } else if (key == "type") {
        if (read_string(member, member_path) != "function") {
          refuse(member_path, fmt::format("Invalid value for '{}': only 'function' calls are supported.",
                                          member_path.str()));
        }
      } else if (key == "function") {
        has_function = true;
        for (const auto [function_key, function_member] : read_object(member, member_path)) {
          const FieldPath function_path = member_path / function_key;
          if (function_key == "name") {
            call.name = std::string(read_string(function_member, function_path));
          } else if (function_key == "arguments") {
            call.arguments = std::string(read_string(function_member, function_path));
          } else {
            refuse_unknown(function_path);
          }
        }
      } else {
        refuse_unknown(member_path);
      }
    }
    if (!has_function || call.name.empty()) {
      refuse(call_path / "function" / "name", fmt::format("Missing required parameter: '{}'.",
                                                          (call_path / "function" / "name").str()));
    }
    if (call.arguments.empty()) call.arguments = "{}";
    if (!is_json_object(call.arguments)) {
      refuse(call_path / "function" / "arguments",
             fmt::format("Invalid '{}': the arguments must be one JSON object, as the model wrote them.",
                         (call_path / "function" / "arguments").str()));
    }
  }
}

void RequestReader::read_tools(element value) {
  const FieldPath path = field("tools");
  const array tools = read_array(value, path);
  out_.request.tools.reserve(tools.size());
  std::size_t i = 0;
  for (const element item : tools) {
    const FieldPath tool_path = path[i++];
    const object tool = read_object(item, tool_path);
    element type;
    if (find_member(tool, "type", type) && read_string(type, tool_path / "type") != "function") {
      refuse_unsupported(tool_path / "type", "declare function tools only (type 'function')");
    }
    ToolDefinition& definition = out_.request.tools.emplace_back();
    bool has_function = false;
    for (const auto [key, member] : tool) {
      if (key == "type") continue;
      if (key != "function") refuse_unknown(tool_path / key);
      has_function = true;
      const FieldPath function_path = tool_path / "function";
      for (const auto [function_key, function_member] : read_object(member, function_path)) {
        const FieldPath member_path = function_path / function_key;
        if (function_member.is_null()) continue;
        if (function_key == "name") {
          definition.name = std::string(read_string(function_member, member_path));
        } else if (function_key == "description") {
          definition.description = std::string(read_string(function_member, member_path));
        } else if (function_key == "parameters") {
          (void)read_object(function_member, member_path);
          definition.parameters_json = minified(function_member);
        } else if (function_key == "strict") {
          definition.strict = read_bool(function_member, member_path);
        } else {
          refuse_unknown(member_path);
        }
      }
    }
    if (!has_function || !valid_tool_name(definition.name)) {
      refuse(tool_path / "function" / "name",
             fmt::format("Invalid '{}': a tool name is 1 to 64 of a-z, A-Z, 0-9, '_' and '-'.",
                         (tool_path / "function" / "name").str()));
    }
  }
}

void RequestReader::read_tool_choice(element value) {
  const FieldPath path = field("tool_choice");
  ToolChoice& choice = out_.request.tool_choice;
  std::string_view mode;
  if (value.get(mode) == simdjson::SUCCESS) {
    if (mode == "auto") {
      choice.mode = ToolChoice::Mode::automatic;
    } else if (mode == "none") {
      choice.mode = ToolChoice::Mode::none;
    } else if (mode == "required") {
      choice.mode = ToolChoice::Mode::required;
    } else {
      refuse(path, fmt::format("Invalid value for 'tool_choice': '{}'. Supported values are: 'none', 'auto' and "
                               "'required', or a function object.", mode));
    }
    return;
  }
  const object named = read_object(value, path);
  element type;
  if (!find_member(named, "type", type) || read_string(type, path / "type") != "function") {
    refuse_unsupported(path / "type", "name a function: {\"type\":\"function\",\"function\":{\"name\":…}}");
  }
  for (const auto [key, member] : named) {
    if (key == "type") continue;
    if (key != "function") refuse_unknown(path / key);
    for (const auto [function_key, function_member] : read_object(member, path / key)) {
      if (function_key != "name") refuse_unknown(path / key / function_key);
      choice.name = std::string(read_string(function_member, path / key / function_key));
    }
  }
  if (choice.name.empty()) refuse(path / "function" / "name", "Missing required parameter: 'tool_choice.function.name'.");
  choice.mode = ToolChoice::Mode::named;
}

void RequestReader::read_response_format(element value) {
  const FieldPath path = field("response_format");
  const object format = read_object(value, path);
  element type_value;
  if (!find_member(format, "type", type_value)) refuse(path / "type", "Missing required parameter: "
                                                                       "'response_format.type'.");
  const std::string_view type = read_string(type_value, path / "type");
  LLMRequest& request = out_.request;
  if (type != "text" && type != "json_object" && type != "json_schema") {
    refuse(path / "type", fmt::format("Invalid value for 'response_format.type': '{}'. Supported values are: "
                                      "'text', 'json_object' and 'json_schema'.", type));
  }
  request.format = type == "text" ? ResponseFormat::text
                                  : (type == "json_object" ? ResponseFormat::json_object : ResponseFormat::json_schema);
  for (const auto [key, member] : format) {
    if (key == "type") continue;
    if (key != "json_schema" || type != "json_schema") refuse_unknown(path / key);
    const FieldPath schema_path = path / key;
    for (const auto [schema_key, schema_member] : read_object(member, schema_path)) {
      const FieldPath member_path = schema_path / schema_key;
      if (schema_member.is_null()) continue;
      if (schema_key == "name") {
        request.schema_name = std::string(read_string(schema_member, member_path));
      } else if (schema_key == "schema") {
        (void)read_object(schema_member, member_path);
        request.schema_json = minified(schema_member);
      } else if (schema_key == "strict") {
        // The host checks every answer against the schema whatever strict says (docs/gateway.md).
        (void)read_bool(schema_member, member_path);
      } else if (schema_key == "description") {
        (void)read_string(schema_member, member_path);  // a note for the model; the neutral request has none
      } else {
        refuse_unknown(member_path);
      }
    }
  }
  if (type == "json_schema" && (request.schema_name.empty() || request.schema_json.empty())) {
    refuse(path / "json_schema", "Missing required parameter: 'response_format.json_schema' needs 'name' and "
                                 "'schema'.");
  }
}

}  // namespace

ClientRequest read_request(std::string_view body) {
  RequestReader reader;
  return reader.read(body);
}

}  // namespace majordomo::gateway::openai_chat
