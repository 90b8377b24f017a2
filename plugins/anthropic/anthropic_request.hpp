// The Anthropic plugin's 0.5 request pieces: conversation turns as Messages content blocks, tools, reasoning, caching.
#pragma once
#include <majordomo/plugin.h>
#include <majordomo/sdk/json_writer.hpp>

#include <cstdint>
#include <string_view>

namespace majordomo::anthropic {

namespace sdk = majordomo::sdk;

// `"messages":[…]` from the request's turns (or, from a host older than 0.5, its text messages).
// Tool turns become user messages of tool_result blocks, consecutive ones merged into one.
void append_messages(sdk::JsonWriter& json, const mj_request& request);

// `thinking` from MJ_THINKING_*; a budget must be at least 1024 and below `max_tokens`.
void append_thinking(sdk::JsonWriter& json, const mj_request& request, int64_t max_tokens);

// `output_config` with the effort level and/or the structured-output schema (already rewritten for
// output_config), one object; nothing when neither is set.
void append_output_config(sdk::JsonWriter& json, const mj_request& request, std::string_view output_schema);

// `tool_choice` then `tools`. This order keeps a request's body from ending the way a forced-tool
// structured request ends (kForcedToolChoice in anthropic_plugin.cpp), which the decoder keys on.
void append_tool_fields(sdk::JsonWriter& json, const mj_request& request);

// Whether a continuation item is one thinking or redacted_thinking block, one JSON object and
// nothing else: only such text is placed in a body as it is.
bool is_thinking_block(std::string_view item);

}  // namespace majordomo::anthropic
