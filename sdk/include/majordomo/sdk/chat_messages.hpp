// Writing a request's turns in the {"role","content"} message form that Chat-style APIs share.
#pragma once

#include <majordomo/sdk/requires_cxx20.hpp>

#include <majordomo/plugin.h>
#include <majordomo/sdk/json_writer.hpp>

#include <string_view>

namespace majordomo::sdk {
inline namespace v1 {

// Appends {"role":"user"|"assistant","content":"…"} for each of request.messages as values of the
// array scope the writer is in (0.4; JsonWriter::begin_array() places the commas). Roles other
// than user and assistant are an MJ_ERR_CONFIGURATION naming the message's index.
// (0.5) A request with turns (turns.hpp) is written from them instead, in the Chat Completions
// shape: user content as a string, or text and image_url parts (inline images as data: URLs);
// assistant turns with tool_calls ({"id","type":"function","function":{"name","arguments"}}) and
// null content when they have no text; tool turns as {"role":"tool","tool_call_id","content"}.
void append_chat_turns(JsonWriter& json, const mj_request& request);

// (0.5) A user turn's `content` as a value: a string when the turn is all text, else an array of
// {"type":"text","text"} and {"type":"image_url","image_url":{"url"}} parts (inline images as
// data: URLs). A part type this SDK does not know is an MJ_ERR_UNSUPPORTED.
void append_chat_user_content(JsonWriter& json, const mj_turn& turn);

// The same into an array written by hand: the turns separated by commas, and a leading comma
// unless `first` (a system message may already open the array). Inside a scope, as above.
void append_chat_turns(JsonWriter& json, const mj_request& request, bool first);

// (0.5) The continuation item a Chat Completions answer with tool calls carries its reasoning in
// (ChatCompletionsFlavour::reasoning_continuation): these bytes, then the reasoning text as sent.
inline constexpr std::string_view kReasoningContentItemPrefix = "reasoning_content:";

// (0.5) What only some servers take back in an assistant turn.
struct ChatTurnOptions {
  // DeepSeek's thinking-mode tool loop: an assistant turn's kReasoningContentItemPrefix items go
  // back, joined, as its `reasoning_content`; any other continuation item is MJ_ERR_CONFIGURATION
  // naming the turn. Off: continuation items are not written.
  bool reasoning_content = false;
};

// append_chat_turns(json, request, first) with `options`.
void append_chat_turns(JsonWriter& json, const mj_request& request, bool first, const ChatTurnOptions& options);

}  // namespace v1
}  // namespace majordomo::sdk
