// Writing a request's turns in the {"role","content"} message form that Chat-style APIs share.
#pragma once

#include <majordomo/sdk/requires_cxx20.hpp>

#include <majordomo/plugin.h>
#include <majordomo/sdk/json_writer.hpp>

namespace majordomo::sdk {
inline namespace v1 {

// Appends {"role":"user"|"assistant","content":"…"} for each of request.messages, separated by
// commas, and a leading comma unless `first` (a system message may already open the array).
// Roles other than user and assistant are an MJ_ERR_CONFIGURATION naming the message's index.
void append_chat_turns(JsonWriter& json, const mj_request& request, bool first);

}  // namespace v1
}  // namespace majordomo::sdk
