// The Anthropic Messages shape, request side: a /v1/messages body read into the neutral request.
#include "anthropic_messages_shape.hpp"
#include "shape_json.hpp"

#include <majordomo/sdk/json_writer.hpp>

#include <fmt/format.h>

#include <limits>

namespace majordomo::gateway::anthropic_messages {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

constexpr int64_t kMaxInt = std::numeric_limits<int64_t>::max();

std::string missing(const FieldPath& path) { return fmt::format("{}: Field required", path.str()); }

bool valid_tool_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// A block's type, required on every block.
std::string_view block_type(object block, const FieldPath& path) {
  element value;
  if (!find_member(block, "type", value)) refuse(path / "type", missing(path / "type"));
  return read_string(value, path / "type");
}

// The item the anthropic plugin hands out for a thinking block, written the same way, so that
// the block goes back to Anthropic byte for byte as the plugin would replay its own.
std::string thinking_item(std::string_view thinking, std::string_view signature) {
  std::string item;
  sdk::JsonWriter json(item);
  json.raw(R"({"type":"thinking","thinking":)").string(thinking).raw(R"(,"signature":)").string(signature).raw("}");
  return item;
}

std::string redacted_thinking_item(std::string_view data) {
  std::string item;
  sdk::JsonWriter json(item);
  json.raw(R"({"type":"redacted_thinking","data":)").string(data).raw("}");
  return item;
}

// One request's reading state.
class RequestReader {
 public:
  ClientRequest read(std::string_view body);

 private:
  void read_field(std::string_view key, element value);
  void read_system(element value);
  void read_messages(element value);
  void read_user(element content, const FieldPath& path);
  void read_assistant(element content, const FieldPath& path);
  void read_tool_result(object block, const FieldPath& path, std::vector<ContentPart>& images);
  ContentPart read_image(object block, const FieldPath& path);
  std::string read_text_block(object block, const FieldPath& path);
  void read_tool_use(object block, const FieldPath& path, Message& out);
  void read_thinking_block(object block, std::string_view type, const FieldPath& path, Message& out);
  void read_tools(element value);
  void read_tool_choice(element value);
  void read_thinking(element value);
  void read_output_config(element value);
  void read_cache_control(element value, const FieldPath& path);

  ClientRequest out_;
  bool has_model_ = false;
  bool has_messages_ = false;
  bool has_max_tokens_ = false;
  bool cache_marked_ = false;
};

ClientRequest RequestReader::read(std::string_view body) {
  const object root = parse_body(body);
  for (const auto [key, value] : root) read_field(key, value);
  if (!has_model_) refuse(field("model"), missing(field("model")));
  if (!has_messages_) refuse(field("messages"), missing(field("messages")));
  if (!has_max_tokens_) refuse(field("max_tokens"), missing(field("max_tokens")));
  if (out_.request.tool_choice.mode != ToolChoice::Mode::automatic && out_.request.tools.empty()) {
    refuse(field("tool_choice"), "tool_choice: a tool choice needs tools: add tools or remove tool_choice");
  }
  // Anthropic caches only where the client marks it; the neutral switch is on or off for all.
  out_.request.options.prompt_cache = cache_marked_;
  return std::move(out_);
}

void RequestReader::read_field(std::string_view key, element value) {
  const FieldPath path = field(key);
  if (key == "model") {
    out_.model = std::string(read_string(value, path));
    if (out_.model.empty()) refuse(path, "model: name a model");
    has_model_ = true;
  } else if (key == "messages") {
    read_messages(value);
  } else if (key == "max_tokens") {
    out_.request.options.max_tokens = read_integer(value, path, 1, kMaxInt);
    has_max_tokens_ = true;
  } else if (value.is_null()) {
    // null is every optional field's default
  } else if (key == "system") {
    read_system(value);
  } else if (key == "stream") {
    out_.stream = read_bool(value, path);
  } else if (key == "temperature") {
    out_.request.options.temperature = read_number(value, path, 0, 1);
  } else if (key == "top_p") {
    out_.request.options.top_p = read_number(value, path, 0, 1);
  } else if (key == "tools") {
    read_tools(value);
  } else if (key == "tool_choice") {
    read_tool_choice(value);
  } else if (key == "thinking") {
    read_thinking(value);
  } else if (key == "output_config") {
    read_output_config(value);
  } else if (key == "cache_control") {
    read_cache_control(value, path);
  } else if (key == "metadata") {
    (void)read_object(value, path);  // user_id labels the call
  } else if (key == "service_tier") {
    (void)read_string(value, path);  // capacity, not the answer
  } else if (key == "stop_sequences") {
    if (read_array(value, path).size() != 0) refuse_unsupported(path, "remove the stop sequences and cut the answer yourself");
  } else if (key == "top_k") {
    refuse_unsupported(path, "remove top_k and use temperature or top_p");
  } else if (key == "container" || key == "mcp_servers" || key == "context_management" || key == "documents" ||
             key == "inference_geo") {
    refuse_unsupported(path, "remove it: the gateway has no equivalent");
  } else {
    refuse_unknown(path);
  }
}

void RequestReader::read_cache_control(element value, const FieldPath& path) {
  if (value.is_null()) return;
  (void)read_object(value, path);
  cache_marked_ = true;
}

// The system prompt goes in RequestOptions::system, which the host puts before everything else
// whatever the order of the body's fields. Blocks are joined with a blank line.
void RequestReader::read_system(element value) {
  const FieldPath path = field("system");
  std::string_view text;
  if (value.get(text) == simdjson::SUCCESS) {
    if (!text.empty()) out_.request.options.system = std::string(text);
    return;
  }
  array blocks;
  if (value.get(blocks) != simdjson::SUCCESS) refuse_type(path, value, "a string or an array of text blocks");
  std::string joined;
  std::size_t i = 0;
  for (const element item : blocks) {
    const FieldPath block_path = path[i++];
    const object block = read_object(item, block_path);
    if (block_type(block, block_path) != "text") {
      refuse(block_path / "type", fmt::format("{}: the system prompt takes text blocks only", (block_path / "type").str()));
    }
    if (i > 1) joined.append("\n\n");
    joined.append(read_text_block(block, block_path));
  }
  if (!joined.empty()) out_.request.options.system = std::move(joined);
}

std::string RequestReader::read_text_block(object block, const FieldPath& path) {
  std::string text;
  bool has_text = false;
  for (const auto [key, member] : block) {
    if (key == "type") continue;
    if (key == "text") {
      text = std::string(read_string(member, path / key));
      has_text = true;
    } else if (key == "cache_control") {
      read_cache_control(member, path / key);
    } else if (key == "citations") {
      if (!member.is_null()) refuse_unsupported(path / key, "remove the citations");
    } else {
      refuse_unknown(path / key);
    }
  }
  if (!has_text) refuse(path / "text", missing(path / "text"));
  return text;
}

void RequestReader::read_messages(element value) {
  const FieldPath path = field("messages");
  const array messages = read_array(value, path);
  if (messages.size() == 0) refuse(path, "messages: at least one message is required");
  out_.request.messages.reserve(out_.request.messages.size() + messages.size());
  std::size_t i = 0;
  for (const element item : messages) {
    const FieldPath message_path = path[i++];
    const object message = read_object(item, message_path);
    std::string_view role;
    element content;
    bool has_content = false;
    for (const auto [key, member] : message) {
      if (key == "role") {
        role = read_string(member, message_path / key);
      } else if (key == "content") {
        content = member;
        has_content = true;
      } else {
        refuse_unknown(message_path / key);
      }
    }
    if (role.empty()) refuse(message_path / "role", missing(message_path / "role"));
    if (!has_content) refuse(message_path / "content", missing(message_path / "content"));
    if (role == "user") {
      read_user(content, message_path / "content");
    } else if (role == "assistant") {
      read_assistant(content, message_path / "content");
    } else {
      refuse(message_path / "role",
             fmt::format("{}: Input should be 'user' or 'assistant' (the system prompt goes in the top-level "
                         "'system' field)", (message_path / "role").str()));
    }
  }
  has_messages_ = true;
}

// A user message: its tool_result blocks become tool messages, then the rest one user message
// (Anthropic wants the results first; the images of results follow them there, since the
// neutral model takes images in user messages only).
void RequestReader::read_user(element content, const FieldPath& path) {
  std::string_view text;
  if (content.get(text) == simdjson::SUCCESS) {
    out_.request.messages.push_back(Message::user(std::string(text)));
    return;
  }
  array blocks;
  if (content.get(blocks) != simdjson::SUCCESS) refuse_type(path, content, "a string or an array of content blocks");
  if (blocks.size() == 0) refuse(path, fmt::format("{}: a user message needs at least one block", path.str()));
  std::vector<ContentPart> parts;
  std::size_t i = 0;
  for (const element item : blocks) {
    const FieldPath block_path = path[i++];
    const object block = read_object(item, block_path);
    const std::string_view type = block_type(block, block_path);
    if (type == "text") {
      parts.push_back(ContentPart::from_text(read_text_block(block, block_path)));
    } else if (type == "image") {
      parts.push_back(read_image(block, block_path));
    } else if (type == "tool_result") {
      read_tool_result(block, block_path, parts);
    } else if (type == "document" || type == "search_result") {
      refuse_unsupported(block_path / "type", "send the document's text as a text block");
    } else {
      refuse(block_path / "type", fmt::format("{}: a user message takes text, image and tool_result blocks; '{}' is "
                                              "not one of them", (block_path / "type").str(), type));
    }
  }
  if (parts.empty()) return;  // tool results only
  Message& user = out_.request.messages.emplace_back();
  user.role = Message::Role::user;
  if (parts.size() == 1 && parts[0].kind == ContentPart::Kind::text) {
    user.content = std::move(parts[0].text);
  } else {
    user.parts = std::move(parts);
  }
}

ContentPart RequestReader::read_image(object block, const FieldPath& path) {
  element source_value;
  bool has_source = false;
  for (const auto [key, member] : block) {
    if (key == "type") continue;
    if (key == "source") {
      source_value = member;
      has_source = !member.is_null();
    } else if (key == "cache_control") {
      read_cache_control(member, path / key);
    } else {
      refuse_unknown(path / key);
    }
  }
  const FieldPath source_path = path / "source";
  if (!has_source) refuse(source_path, missing(source_path));
  const object source = read_object(source_value, source_path);
  const std::string_view type = block_type(source, source_path);
  std::string_view media_type, data, url;
  for (const auto [key, member] : source) {
    if (key == "type") continue;
    if (type == "base64" && key == "media_type") {
      media_type = read_string(member, source_path / key);
    } else if (type == "base64" && key == "data") {
      data = read_string(member, source_path / key);
    } else if (type == "url" && key == "url") {
      url = read_string(member, source_path / key);
    } else {
      refuse_unknown(source_path / key);
    }
  }
  if (type == "url") {
    check_image_url(url, source_path / "url");
    return ContentPart::image_from_url(std::string(url));
  }
  if (type != "base64") refuse_unsupported(source_path / "type", "send the image as a base64 or url source");
  if (media_type != "image/png" && media_type != "image/jpeg" && media_type != "image/gif" &&
      media_type != "image/webp") {
    refuse(source_path / "media_type", fmt::format("{}: Input should be 'image/jpeg', 'image/png', 'image/gif' or "
                                                   "'image/webp'", (source_path / "media_type").str()));
  }
  if (data.empty()) refuse(source_path / "data", missing(source_path / "data"));
  // As a data: URL the base64 text travels as it is; every plugin takes that form.
  return ContentPart::image_from_url(data_url(media_type, data));
}

void RequestReader::read_tool_result(object block, const FieldPath& path, std::vector<ContentPart>& images) {
  Message result;
  result.role = Message::Role::tool;
  for (const auto [key, member] : block) {
    const FieldPath member_path = path / key;
    if (key == "type") continue;
    if (key == "tool_use_id") {
      result.tool_call_id = std::string(read_string(member, member_path));
    } else if (key == "is_error") {
      result.is_error = !member.is_null() && read_bool(member, member_path);
    } else if (key == "cache_control") {
      read_cache_control(member, member_path);
    } else if (key == "content") {
      std::string_view text;
      if (member.is_null() || member.get(text) == simdjson::SUCCESS) {
        result.content = std::string(text);
        continue;
      }
      std::size_t i = 0;
      for (const element item : read_array(member, member_path)) {
        const FieldPath part_path = member_path[i++];
        const object part = read_object(item, part_path);
        const std::string_view type = block_type(part, part_path);
        if (type == "text") {
          result.content.append(read_text_block(part, part_path));
        } else if (type == "image") {
          images.push_back(read_image(part, part_path));
        } else {
          refuse_unsupported(part_path / "type", "return text and image blocks only");
        }
      }
    } else {
      refuse_unknown(member_path);
    }
  }
  if (result.tool_call_id.empty()) refuse(path / "tool_use_id", missing(path / "tool_use_id"));
  out_.request.messages.push_back(std::move(result));
}

void RequestReader::read_assistant(element content, const FieldPath& path) {
  Message& out = out_.request.messages.emplace_back();
  out.role = Message::Role::assistant;
  std::string_view text;
  if (content.get(text) == simdjson::SUCCESS) {
    out.content = std::string(text);
    return;
  }
  array blocks;
  if (content.get(blocks) != simdjson::SUCCESS) refuse_type(path, content, "a string or an array of content blocks");
  std::size_t i = 0;
  for (const element item : blocks) {
    const FieldPath block_path = path[i++];
    const object block = read_object(item, block_path);
    const std::string_view type = block_type(block, block_path);
    if (type == "text") {
      out.content.append(read_text_block(block, block_path));
    } else if (type == "tool_use") {
      read_tool_use(block, block_path, out);
    } else if (type == "thinking" || type == "redacted_thinking") {
      read_thinking_block(block, type, block_path, out);
    } else if (type == "server_tool_use" || type.ends_with("_tool_result")) {
      refuse_unsupported(block_path / "type", "leave server tool blocks out of the history");
    } else {
      refuse(block_path / "type", fmt::format("{}: an assistant message takes text, tool_use, thinking and "
                                              "redacted_thinking blocks; '{}' is not one of them",
                                              (block_path / "type").str(), type));
    }
  }
}

void RequestReader::read_tool_use(object block, const FieldPath& path, Message& out) {
  ToolCall& call = out.tool_calls.emplace_back();
  bool has_input = false;
  for (const auto [key, member] : block) {
    const FieldPath member_path = path / key;
    if (key == "type") continue;
    if (key == "id") {
      call.id = std::string(read_string(member, member_path));
    } else if (key == "name") {
      call.name = std::string(read_string(member, member_path));
    } else if (key == "input") {
      (void)read_object(member, member_path);
      call.arguments = minified(member);
      has_input = true;
    } else if (key == "cache_control") {
      read_cache_control(member, member_path);
    } else {
      refuse_unknown(member_path);
    }
  }
  if (call.id.empty()) refuse(path / "id", missing(path / "id"));
  if (call.name.empty()) refuse(path / "name", missing(path / "name"));
  if (!has_input) refuse(path / "input", missing(path / "input"));
}

// Thinking goes back to Anthropic only, as the plugin's own continuation item. A block without a
// signature cannot be checked by Anthropic (it is the gateway's echo of another provider's
// reasoning, written without one) and is left out.
void RequestReader::read_thinking_block(object block, std::string_view type, const FieldPath& path, Message& out) {
  std::string_view thinking, signature, data;
  for (const auto [key, member] : block) {
    const FieldPath member_path = path / key;
    if (key == "type") continue;
    if (type == "thinking" && key == "thinking") {
      thinking = read_string(member, member_path);
    } else if (type == "thinking" && key == "signature") {
      signature = read_string(member, member_path);
    } else if (type == "redacted_thinking" && key == "data") {
      data = read_string(member, member_path);
    } else {
      refuse_unknown(member_path);
    }
  }
  if (type == "thinking" && signature.empty()) return;
  if (type == "redacted_thinking" && data.empty()) refuse(path / "data", missing(path / "data"));
  out.continuation.provider = "anthropic";
  out.continuation.items.push_back(type == "thinking" ? thinking_item(thinking, signature)
                                                      : redacted_thinking_item(data));
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
    if (find_member(tool, "type", type) && read_string(type, tool_path / "type") != "custom") {
      refuse_unsupported(tool_path / "type", "declare custom tools with an input_schema (server and Anthropic-defined "
                                             "tools are not available through the gateway)");
    }
    ToolDefinition& definition = out_.request.tools.emplace_back();
    bool has_schema = false;
    for (const auto [key, member] : tool) {
      const FieldPath member_path = tool_path / key;
      if (key == "type" || member.is_null()) continue;
      if (key == "name") {
        definition.name = std::string(read_string(member, member_path));
      } else if (key == "description") {
        definition.description = std::string(read_string(member, member_path));
      } else if (key == "input_schema") {
        (void)read_object(member, member_path);
        definition.parameters_json = minified(member);
        has_schema = true;
      } else if (key == "strict") {
        definition.strict = read_bool(member, member_path);
      } else if (key == "cache_control") {
        read_cache_control(member, member_path);
      } else {
        refuse_unknown(member_path);
      }
    }
    if (!valid_tool_name(definition.name)) {
      refuse(tool_path / "name", fmt::format("{}: a tool name is 1 to 64 of a-z, A-Z, 0-9, '_' and '-'",
                                             (tool_path / "name").str()));
    }
    if (!has_schema) refuse(tool_path / "input_schema", missing(tool_path / "input_schema"));
  }
}

void RequestReader::read_tool_choice(element value) {
  const FieldPath path = field("tool_choice");
  const object choice = read_object(value, path);
  const std::string_view type = block_type(choice, path);
  ToolChoice& out = out_.request.tool_choice;
  for (const auto [key, member] : choice) {
    const FieldPath member_path = path / key;
    if (key == "type") continue;
    if (key == "name" && type == "tool") {
      out.name = std::string(read_string(member, member_path));
    } else if (key == "disable_parallel_tool_use" && type != "none") {
      if (!member.is_null()) out_.request.parallel_tool_calls = !read_bool(member, member_path);
    } else {
      refuse_unknown(member_path);
    }
  }
  if (type == "auto") {
    out.mode = ToolChoice::Mode::automatic;
  } else if (type == "any") {
    out.mode = ToolChoice::Mode::required;
  } else if (type == "none") {
    out.mode = ToolChoice::Mode::none;
  } else if (type == "tool") {
    if (out.name.empty()) refuse(path / "name", missing(path / "name"));
    out.mode = ToolChoice::Mode::named;
  } else {
    refuse(path / "type", fmt::format("tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none', not '{}'",
                                      type));
  }
}

void RequestReader::read_thinking(element value) {
  const FieldPath path = field("thinking");
  const object thinking = read_object(value, path);
  const std::string_view type = block_type(thinking, path);
  std::optional<int64_t> budget;
  for (const auto [key, member] : thinking) {
    if (key == "type") continue;
    if (key == "budget_tokens" && type == "enabled") {
      budget = read_integer(member, path / key, 1, kMaxInt);
    } else {
      refuse_unknown(path / key);
    }
  }
  Thinking& out = out_.request.options.thinking;
  if (type == "enabled") {
    if (!budget) refuse(path / "budget_tokens", missing(path / "budget_tokens"));
    out = Thinking::budget(*budget);
  } else if (type == "disabled") {
    out = Thinking::off();
  } else if (type == "adaptive") {
    out = Thinking::on();
  } else {
    refuse(path / "type", fmt::format("thinking.type: Input should be 'enabled', 'disabled' or 'adaptive', not '{}'",
                                      type));
  }
}

void RequestReader::read_output_config(element value) {
  const FieldPath path = field("output_config");
  for (const auto [key, member] : read_object(value, path)) {
    const FieldPath member_path = path / key;
    if (member.is_null()) continue;
    if (key == "effort") {
      const std::string_view effort = read_string(member, member_path);
      ReasoningEffort& out = out_.request.options.reasoning_effort;
      if (effort == "low") {
        out = ReasoningEffort::low;
      } else if (effort == "medium") {
        out = ReasoningEffort::medium;
      } else if (effort == "high") {
        out = ReasoningEffort::high;
      } else if (effort == "max") {
        out = ReasoningEffort::max;
      } else {
        refuse(member_path, "output_config.effort: Input should be 'low', 'medium', 'high' or 'max'");
      }
    } else if (key == "format") {
      const object format = read_object(member, member_path);
      if (block_type(format, member_path) != "json_schema") {
        refuse(member_path / "type", "output_config.format.type: Input should be 'json_schema'");
      }
      for (const auto [format_key, format_member] : format) {
        if (format_key == "type") continue;
        if (format_key != "schema") refuse_unknown(member_path / format_key);
        (void)read_object(format_member, member_path / format_key);
        out_.request.schema_json = minified(format_member);
      }
      if (out_.request.schema_json.empty()) refuse(member_path / "schema", missing(member_path / "schema"));
      out_.request.format = ResponseFormat::json_schema;
    } else {
      refuse_unknown(member_path);
    }
  }
}

}  // namespace

ClientRequest read_request(std::string_view body) {
  RequestReader reader;
  return reader.read(body);
}

}  // namespace majordomo::gateway::anthropic_messages
