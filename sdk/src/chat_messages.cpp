// Chat-style message turns for request bodies (see chat_messages.hpp).
#include <majordomo/sdk/chat_messages.hpp>
#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/str.hpp>

#include <fmt/format.h>

#include <cstddef>
#include <string_view>

namespace majordomo::sdk {
inline namespace v1 {

void append_chat_turns(JsonWriter& json, const mj_request& request) {
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

void append_chat_turns(JsonWriter& json, const mj_request& request, bool first) {
  if (json.in_scope()) {  // the caller's array scope places the commas; `first` says nothing more
    append_chat_turns(json, request);
    return;
  }
  json.resume_array(!first);  // an array the caller opened by hand
  append_chat_turns(json, request);
  json.suspend_array();
}

}  // namespace v1
}  // namespace majordomo::sdk
