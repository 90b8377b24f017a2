// Chat-style message turns for request bodies (see chat_messages.hpp).
#include <majordomo/sdk/chat_messages.hpp>
#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/str.hpp>

#include <fmt/format.h>

#include <cstddef>
#include <string>

namespace majordomo::sdk {
inline namespace v1 {

void append_chat_turns(JsonWriter& json, const mj_request& request, bool first) {
  std::string& body = json.out();
  for (std::size_t i = 0; i < request.message_count; ++i) {
    const mj_message& message = request.messages[i];
    if (!first) body.push_back(',');
    first = false;
    switch (message.role) {
      case MJ_ROLE_USER: json.raw(R"({"role":"user","content":)"); break;
      case MJ_ROLE_ASSISTANT: json.raw(R"({"role":"assistant","content":)"); break;
      default:
        throw ProviderError(MJ_ERR_CONFIGURATION,
                            fmt::format("message {} has unknown role {}", i, message.role));
    }
    json.string(view(message.content)).raw("}");
  }
}

}  // namespace v1
}  // namespace majordomo::sdk
