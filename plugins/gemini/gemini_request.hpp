// Gemini request pieces of the 0.5 conversation: contents from turns, tools and toolConfig, thinkingConfig, thought signatures.
#pragma once

#include <majordomo/plugin.h>
#include <majordomo/sdk/json_writer.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace majordomo::gemini {

// Writes the value of "contents" (the array, brackets included): from the request's turns when
// the host sent them, else from its ABI v1 messages, as the plugin did before 0.5.
void append_contents(sdk::JsonWriter& json, const mj_request& request);

// Writes `,"tools":[…],"toolConfig":{…}` when the request lists tools; nothing otherwise.
void append_tool_fields(sdk::JsonWriter& json, const mj_request& request);

// The thinkingConfig object for the request's reasoning controls as JSON text, or empty when the
// request sets none. Throws MJ_ERR_UNSUPPORTED for a combination Gemini cannot express.
std::string thinking_config(const mj_request& request, std::string_view model);

// The continuation items this plugin emits (docs/providers.md, "Tools, images and reasoning
// (0.5)"): one per thoughtSignature the answer carried, as compact JSON,
//   {"call":I,"thoughtSignature":"…"}  on the answer's I-th functionCall part (I = tool_index),
//   {"text":true,"thoughtSignature":"…"} on a text part (or a part of a signature alone).
// Keyed by the call's number rather than a part position, because the model turn is rebuilt from
// the host's neutral turn (joined text, then the calls), whose part positions differ from the
// answer's.
std::string call_signature_item(std::size_t call_index, std::string_view signature);
std::string text_signature_item(std::string_view signature);

// Most calls one answer may make before decoding stops with MJ_ERR_PARSE.
inline constexpr std::size_t kMaxToolCalls = 1024;

}  // namespace majordomo::gemini
