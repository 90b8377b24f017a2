// `ask`'s conversation flags read into an LLMRequest: the neutral messages file, tools, images and reasoning.
#include "conversation_arguments.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <utility>

namespace majordomo::cli {
namespace {

// Larger than any provider takes for one image (OpenAI 20 MB, Anthropic 5 MB), so the provider
// gives its own answer between the two; a file past it is surely a mistake.
constexpr std::uintmax_t kMaxImageBytes = 20u << 20;
constexpr std::uintmax_t kMaxJsonFileBytes = 16u << 20;

std::string read_file(const std::string& path, std::string_view flag, std::uintmax_t max_bytes) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) throw UsageError{fmt::format("{} {}: is a directory", flag, path)};
  const std::uintmax_t size = std::filesystem::file_size(path, error);
  if (error) throw UsageError{fmt::format("{} {}: cannot open the file", flag, path)};
  if (size > max_bytes) {
    throw UsageError{fmt::format("{} {}: the file has {} bytes, more than the {} this flag takes", flag, path, size,
                                 max_bytes)};
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError{fmt::format("{} {}: cannot open the file", flag, path)};
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw UsageError{fmt::format("{} {}: cannot read the file", flag, path)};
  return text;
}

JsonValue parse_file(const std::string& path, std::string_view flag) {
  const std::string text = read_file(path, flag, kMaxJsonFileBytes);
  try {
    return JsonValue::parse(text);
  } catch (const Error& error) {
    throw UsageError{fmt::format("{} {}: not JSON ({})", flag, path, error.details().message)};
  }
}

// A member that must be a string when present; `fallback` when absent.
std::string string_member(const JsonValue& object, std::string_view name, const std::string& where,
                          std::string fallback = {}) {
  const JsonValue* value = object.find(name);
  if (value == nullptr || value->is_null()) return fallback;
  if (!value->is_string()) throw UsageError{fmt::format("{}: \"{}\" must be a string", where, name)};
  return value->as_string();
}

// "content": a string, a JSON value (tool results: sent as its JSON text), or an array of
// {"type":"text","text"} and {"type":"image","source":PATH_OR_URL} parts.
void read_content(const JsonValue& message, majordomo::Message& out, const std::string& where) {
  const JsonValue* content = message.find("content");
  if (content == nullptr || content->is_null()) return;
  if (content->is_string()) {
    out.content = content->as_string();
    return;
  }
  if (out.role == majordomo::Message::Role::tool) {  // a JSON result
    out.content = content->to_json();
    return;
  }
  if (!content->is_array()) throw UsageError{fmt::format("{}: \"content\" must be a string or an array of parts", where)};
  for (std::size_t i = 0; i < content->size(); ++i) {
    const JsonValue& part = content->at(i);
    const std::string part_where = fmt::format("{} part {}", where, i);
    if (!part.is_object()) throw UsageError{fmt::format("{}: a part must be an object", part_where)};
    const std::string type = string_member(part, "type", part_where);
    if (type == "text") {
      out.parts.push_back(majordomo::ContentPart::from_text(string_member(part, "text", part_where)));
    } else if (type == "image") {
      out.parts.push_back(image_part(string_member(part, "source", part_where), part_where));
    } else {
      throw UsageError{fmt::format("{}: part type '{}' is not known; use text or image", part_where,
                                   type.substr(0, 32))};
    }
  }
}

void read_continuation(const JsonValue& message, majordomo::Message& out, const std::string& where);

void read_tool_calls(const JsonValue& message, majordomo::Message& out, const std::string& where) {
  read_continuation(message, out, where);  // an answer without calls may carry some too
  const JsonValue* calls = message.find("tool_calls");
  if (calls == nullptr || calls->is_null()) return;
  if (!calls->is_array()) throw UsageError{fmt::format("{}: \"tool_calls\" must be an array", where)};
  for (std::size_t i = 0; i < calls->size(); ++i) {
    const JsonValue& call = calls->at(i);
    const std::string call_where = fmt::format("{} tool call {}", where, i);
    if (!call.is_object()) throw UsageError{fmt::format("{}: must be an object", call_where)};
    majordomo::ToolCall parsed;
    parsed.id = string_member(call, "id", call_where);
    parsed.name = string_member(call, "name", call_where);
    // As --output json prints them: the parsed object (its JSON text is also taken).
    const JsonValue* arguments = call.find("arguments");
    if (arguments == nullptr || arguments->is_null()) {
      parsed.arguments = "{}";
    } else if (arguments->is_string()) {
      parsed.arguments = arguments->as_string();
    } else {
      parsed.arguments = arguments->to_json();
    }
    out.tool_calls.push_back(std::move(parsed));
  }
}

void read_continuation(const JsonValue& message, majordomo::Message& out, const std::string& where) {
  if (const JsonValue* continuation = message.find("continuation"); continuation != nullptr && !continuation->is_null()) {
    if (!continuation->is_object()) throw UsageError{fmt::format("{}: \"continuation\" must be an object", where)};
    out.continuation.provider = string_member(*continuation, "provider", where);
    out.continuation.model = string_member(*continuation, "model", where);
    if (const JsonValue* items = continuation->find("items"); items != nullptr && items->is_array()) {
      for (const JsonValue& item : items->as_array()) {
        if (!item.is_string()) throw UsageError{fmt::format("{}: continuation items are strings", where)};
        out.continuation.items.push_back(item.as_string());
      }
    }
  }
}

majordomo::Message read_message(const JsonValue& message, const std::string& where) {
  if (!message.is_object()) throw UsageError{fmt::format("{}: a message must be a JSON object", where)};
  majordomo::Message out;
  const std::string role = string_member(message, "role", where);
  if (role == "user") out.role = majordomo::Message::Role::user;
  else if (role == "assistant") out.role = majordomo::Message::Role::assistant;
  else if (role == "system") out.role = majordomo::Message::Role::system;
  else if (role == "tool") out.role = majordomo::Message::Role::tool;
  else throw UsageError{fmt::format("{}: \"role\" must be system, user, assistant or tool", where)};
  read_content(message, out, where);
  read_tool_calls(message, out, where);
  out.tool_call_id = string_member(message, "tool_call_id", where);
  out.tool_name = string_member(message, "name", where);
  if (const JsonValue* error = message.find("is_error"); error != nullptr && error->is_bool()) {
    out.is_error = error->as_bool();
  }
  return out;
}

majordomo::ReasoningEffort parse_effort(std::string_view text) {
  if (text == "minimal") return majordomo::ReasoningEffort::minimal;
  if (text == "low") return majordomo::ReasoningEffort::low;
  if (text == "medium") return majordomo::ReasoningEffort::medium;
  if (text == "high") return majordomo::ReasoningEffort::high;
  if (text == "max") return majordomo::ReasoningEffort::max;
  throw UsageError{"--reasoning-effort takes minimal, low, medium, high or max"};
}

majordomo::Thinking parse_thinking(std::string_view text) {
  if (text == "off") return majordomo::Thinking::off();
  if (text == "on") return majordomo::Thinking::on();
  int64_t tokens = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), tokens);
  if (error != std::errc() || end != text.data() + text.size() || tokens <= 0) {
    throw UsageError{"--thinking takes off, on or a positive number of tokens (the budget)"};
  }
  return majordomo::Thinking::budget(tokens);
}

majordomo::ToolChoice parse_tool_choice(const std::string& text) {
  if (text == "auto") return {};
  if (text == "none") return majordomo::ToolChoice{majordomo::ToolChoice::Mode::none, {}};
  if (text == "required") return majordomo::ToolChoice{majordomo::ToolChoice::Mode::required, {}};
  return majordomo::ToolChoice::tool(text);
}

}  // namespace

majordomo::ContentPart image_part(std::string_view source, std::string_view flag) {
  if (source.starts_with("https://") || source.starts_with("http://") || source.starts_with("data:")) {
    return majordomo::ContentPart::image_from_url(std::string(source));
  }
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 5> kTypes{{
      {".png", "image/png"}, {".jpg", "image/jpeg"}, {".jpeg", "image/jpeg"}, {".gif", "image/gif"},
      {".webp", "image/webp"}}};
  std::string extension = std::filesystem::path(source).extension().string();
  for (char& c : extension) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  for (const auto& [suffix, type] : kTypes) {
    if (extension == suffix) {
      return majordomo::ContentPart::image_from_bytes(read_file(std::string(source), flag, kMaxImageBytes),
                                                      std::string(type));
    }
  }
  throw UsageError{fmt::format("{} {}: give an https:// URL, or a .png, .jpg, .jpeg, .gif or .webp file", flag,
                               source.substr(0, 256))};
}

std::vector<majordomo::Message> read_messages_file(const std::string& path) {
  const JsonValue document = parse_file(path, "--messages");
  if (!document.is_array()) throw UsageError{fmt::format("--messages {}: must be a JSON array of messages", path)};
  std::vector<majordomo::Message> messages;
  messages.reserve(document.size());
  for (std::size_t i = 0; i < document.size(); ++i) {
    messages.push_back(read_message(document.at(i), fmt::format("--messages {}: message {}", path, i)));
  }
  return messages;
}

std::vector<majordomo::ToolDefinition> read_tools_file(const std::string& path) {
  const JsonValue document = parse_file(path, "--tools");
  if (!document.is_array()) throw UsageError{fmt::format("--tools {}: must be a JSON array of tools", path)};
  std::vector<majordomo::ToolDefinition> tools;
  for (std::size_t i = 0; i < document.size(); ++i) {
    const JsonValue& tool = document.at(i);
    const std::string where = fmt::format("--tools {}: tool {}", path, i);
    if (!tool.is_object()) throw UsageError{fmt::format("{}: must be a JSON object", where)};
    majordomo::ToolDefinition definition;
    definition.name = string_member(tool, "name", where);
    definition.description = string_member(tool, "description", where);
    if (const JsonValue* parameters = tool.find("parameters"); parameters != nullptr && !parameters->is_null()) {
      if (!parameters->is_object()) throw UsageError{fmt::format("{}: \"parameters\" must be a JSON Schema object", where)};
      definition.parameters_json = parameters->to_json();
    }
    if (const JsonValue* strict = tool.find("strict"); strict != nullptr && strict->is_bool()) {
      definition.strict = strict->as_bool();
    }
    tools.push_back(std::move(definition));
  }
  return tools;
}

void apply_conversation_arguments(const Arguments& args, majordomo::LLMRequest& request) {
  request.messages.clear();
  if (args.messages_file) request.messages = read_messages_file(*args.messages_file);
  if (!args.positional.empty()) {
    majordomo::Message prompt = majordomo::Message::user(args.positional[0]);
    for (const std::string& image : args.images) prompt.parts.push_back(image_part(image, "--image"));
    request.messages.push_back(std::move(prompt));
  } else if (!args.images.empty()) {
    throw UsageError{"--image goes with the PROMPT it illustrates; give a PROMPT"};
  }
  if (args.tools_file) request.tools = read_tools_file(*args.tools_file);
  if (args.tool_choice) request.tool_choice = parse_tool_choice(*args.tool_choice);
  if (args.reasoning_effort) request.options.reasoning_effort = parse_effort(*args.reasoning_effort);
  if (args.thinking) request.options.thinking = parse_thinking(*args.thinking);
  request.options.prompt_cache = !args.no_prompt_cache;
}

}  // namespace majordomo::cli
