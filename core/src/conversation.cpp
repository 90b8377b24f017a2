// The conversation model's constructors (conversation.hpp).
#include <majordomo/conversation.hpp>
#include <majordomo/response.hpp>

#include <utility>

namespace majordomo {

ContentPart ContentPart::from_text(std::string text) {
  ContentPart part;
  part.text = std::move(text);
  return part;
}

ContentPart ContentPart::image_from_url(std::string url) {
  ContentPart part;
  part.kind = Kind::image_url;
  part.text = std::move(url);
  return part;
}

ContentPart ContentPart::image_from_bytes(std::string bytes, std::string media_type) {
  ContentPart part;
  part.kind = Kind::image_data;
  part.data = std::move(bytes);
  part.media_type = std::move(media_type);
  return part;
}

std::string_view to_string(ToolCallProblem problem) noexcept {
  switch (problem) {
    case ToolCallProblem::none: return "none";
    case ToolCallProblem::unparsable: return "unparsable";
    case ToolCallProblem::schema_mismatch: return "schema_mismatch";
    case ToolCallProblem::cut_off: return "cut_off";
    case ToolCallProblem::unknown_tool: return "unknown_tool";
  }
  return "unknown";
}

Message Message::user(std::string text) {
  Message message;
  message.content = std::move(text);
  return message;
}

Message Message::system(std::string text) {
  Message message;
  message.role = Role::system;
  message.content = std::move(text);
  return message;
}

Message Message::assistant(const Response& answer) {
  Message message;
  message.role = Role::assistant;
  message.content = answer.content;
  message.tool_calls.reserve(answer.tool_calls.size());
  for (const ToolCall& call : answer.tool_calls) {
    // The history carries the call as made; the host's findings about it stay in the Response. A
    // call whose arguments are not one JSON object (cut off, unparsable) goes back with {}, the
    // only form every provider takes, so that the application can answer it with an error result.
    const bool whole = call.problem != ToolCallProblem::unparsable && call.problem != ToolCallProblem::cut_off;
    message.tool_calls.push_back(ToolCall{call.id, call.name, whole ? call.arguments : "{}", ToolCallProblem::none, {}});
  }
  message.continuation = answer.continuation;  // with the provider and model asked, also without items
  return message;
}

Message Message::tool_result(const ToolCall& call, std::string result, bool is_error) {
  Message message;
  message.role = Role::tool;
  message.content = std::move(result);
  message.tool_call_id = call.id;
  message.tool_name = call.name;
  message.is_error = is_error;
  return message;
}

}  // namespace majordomo
