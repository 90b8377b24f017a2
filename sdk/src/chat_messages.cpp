// Chat-style message turns for request bodies (see chat_messages.hpp).
#include <majordomo/sdk/chat_messages.hpp>
#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/str.hpp>
#include <majordomo/sdk/turns.hpp>

#include <fmt/format.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace majordomo::sdk {
inline namespace v1 {

void append_chat_user_content(JsonWriter& json, const mj_turn& turn) {
  if (text_only(turn)) {
    json.string(joined_text(turn));
    return;
  }
  json.begin_array();
  for (std::size_t i = 0; i < turn.part_count; ++i) {
    const mj_part part = part_at(turn, i);
    json.begin_object();
    if (part.type == MJ_PART_TEXT) {
      json.key("type").string("text").key("text").string(view(part.text));
    } else if (part.type == MJ_PART_IMAGE_URL || part.type == MJ_PART_IMAGE_DATA) {
      json.key("type").string("image_url").key("image_url").begin_object().key("url").string(image_url(part));
      json.end_object();
    } else {
      throw ProviderError(MJ_ERR_UNSUPPORTED, fmt::format("content part type {} is not known to this plugin", part.type));
    }
    json.end_object();
  }
  json.end_array();
}

namespace {

// The reasoning an assistant turn made its calls after, from the items the codec emitted with
// the answer (DeepSeek needs it back in every later request of the conversation).
void append_reasoning_content(JsonWriter& json, const mj_turn& turn, std::size_t index) {
  const std::size_t count = turn.continuation != nullptr ? turn.continuation_count : 0;
  std::string reasoning;
  for (std::size_t i = 0; i < count; ++i) {
    const std::string_view item = view(turn.continuation[i]);
    // Items come back only from this plugin's answers; anything else would go out unchecked.
    if (!item.starts_with(kReasoningContentItemPrefix)) {
      throw ProviderError(MJ_ERR_CONFIGURATION,
                          fmt::format("continuation item {} of message {} is not a reasoning_content item: pass "
                                      "back the items of the Response unchanged",
                                      i, index));
    }
    reasoning.append(item.substr(kReasoningContentItemPrefix.size()));
  }
  if (!reasoning.empty()) json.key("reasoning_content").string(reasoning);
}

void append_chat_turn(JsonWriter& json, const mj_turn& turn, std::size_t index, const ChatTurnOptions& options) {
  json.begin_object();
  switch (turn.role) {
    case MJ_ROLE_USER:
      json.key("role").string("user").key("content");
      append_chat_user_content(json, turn);
      break;
    case MJ_ROLE_ASSISTANT: {
      json.key("role").string("assistant").key("content");
      const std::string text = joined_text(turn);
      // A turn of tool calls only has null content, as the APIs answer it.
      if (text.empty() && turn.tool_call_count > 0) {
        json.null();
      } else {
        json.string(text);
      }
      if (options.reasoning_content) append_reasoning_content(json, turn, index);
      if (turn.tool_call_count > 0) {
        json.key("tool_calls").begin_array();
        for (std::size_t c = 0; c < turn.tool_call_count; ++c) {
          const mj_tool_call call = tool_call_at(turn, c);
          json.begin_object().key("id").string(view(call.id)).key("type").string("function");
          json.key("function").begin_object().key("name").string(view(call.name));
          json.key("arguments").string(view(call.arguments)).end_object().end_object();
        }
        json.end_array();
      }
      break;
    }
    case MJ_ROLE_TOOL:
      json.key("role").string("tool").key("tool_call_id").string(view(turn.tool_call_id));
      json.key("content").string(joined_text(turn));
      break;
    default:
      throw ProviderError(MJ_ERR_CONFIGURATION, fmt::format("turn {} has unknown role {}", index, turn.role));
  }
  json.end_object();
}

void append_chat_turns_with(JsonWriter& json, const mj_request& request, const ChatTurnOptions& options) {
  if (has_turns(request)) {
    for (std::size_t i = 0; i < request.turn_count; ++i) append_chat_turn(json, turn_at(request, i), i, options);
    return;
  }
  for (std::size_t i = 0; i < request.message_count; ++i) {
    const mj_message& message = request.messages[i];
    std::string_view role;
    switch (message.role) {
      case MJ_ROLE_USER: role = "user"; break;
      case MJ_ROLE_ASSISTANT: role = "assistant"; break;
      default:
        throw ProviderError(MJ_ERR_CONFIGURATION,
                            fmt::format("message {} has unknown role {}", i, message.role));
    }
    json.begin_object().key("role").string(role).key("content").string(view(message.content)).end_object();
  }
}

}  // namespace

void append_chat_turns(JsonWriter& json, const mj_request& request) {
  append_chat_turns_with(json, request, ChatTurnOptions{});
}

void append_chat_turns(JsonWriter& json, const mj_request& request, bool first) {
  append_chat_turns(json, request, first, ChatTurnOptions{});
}

void append_chat_turns(JsonWriter& json, const mj_request& request, bool first, const ChatTurnOptions& options) {
  if (json.in_scope()) {  // the caller's array scope places the commas; `first` says nothing more
    append_chat_turns_with(json, request, options);
    return;
  }
  json.resume_array(!first);  // an array the caller opened by hand
  append_chat_turns_with(json, request, options);
  json.suspend_array();
}

}  // namespace v1
}  // namespace majordomo::sdk
