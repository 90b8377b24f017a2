// Cohere Chat v2 conversations (0.5): turns, tools, thinking and tool plans in requests; tool calls in answers.
#pragma once

#include <majordomo/plugin.h>
#include <majordomo/sdk/call.hpp>
#include <majordomo/sdk/json_writer.hpp>

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace majordomo::cohere {

// The continuation item that carries an answer's tool plan back into the assistant message it
// belongs to: this prefix, then the plan's text byte for byte (docs/providers.md).
inline constexpr std::string_view kToolPlanItemPrefix = "tool_plan:";

// More calls than any model makes in one answer: a server sending more is broken or hostile.
inline constexpr std::size_t kMaxToolCalls = 1024;
// A tool plan is a sentence or two; a stream that grows one past this is broken or hostile.
inline constexpr std::size_t kMaxToolPlanBytes = std::size_t{1} << 20;

// ---- Requests ----

// The conversation as `messages` values after the system message (`first`: none was written).
// Turns (0.5) are written in Cohere's shape; a request without them as ABI v1 text messages.
void append_messages(sdk::JsonWriter& json, const mj_request& request, bool first);

// `tools`, `strict_tools` and `tool_choice`, or an MJ_ERR_UNSUPPORTED for what Cohere cannot
// take (parallel calls off, mixed strictness, response_format beside tools).
void append_tool_fields(sdk::JsonWriter& json, const mj_request& request);

// `thinking`, or an MJ_ERR_UNSUPPORTED for a reasoning effort. `model_thinks` is false for a
// catalog model without reasoning: thinking off is then what it does already and is not sent.
void append_thinking_field(sdk::JsonWriter& json, const mj_request& request, bool model_thinks);

// ---- Answers ----

// One element of `message.tool_calls` (a body), or the call of a tool-call-start or
// tool-call-delta event. Views point into the parser's string buffer.
struct ToolCallPiece {
  std::string_view id{}, name{}, arguments{};
  bool has_name = false;
};

simdjson::error_code read_tool_call_piece(simdjson::ondemand::value& value, ToolCallPiece& piece);

// The tool calls and the tool plan of one answer, numbered densely from 0 whatever indices the
// server uses, turned into events.
class ToolCallEvents {
 public:
  // A body's call, whole: START and END.
  void whole_call(const ToolCallPiece& piece, sdk::EventSink& sink);
  // Stream events, by the server's index.
  void start(int64_t server_index, const ToolCallPiece& piece, sdk::EventSink& sink);
  void arguments(int64_t server_index, std::string_view piece, sdk::EventSink& sink);
  void end(int64_t server_index, sdk::EventSink& sink);
  // The answer ended: END for every open call unless the output cap cut it (`cut_off`: the host
  // then reports the call as cut off), and the tool plan as one continuation item.
  void finish(bool cut_off, sdk::EventSink& sink);

  void add_plan(std::string_view piece);

 private:
  std::size_t call_for(int64_t server_index, std::string_view what) const;
  int32_t new_call(int64_t server_index);

  std::vector<int64_t> server_indices_;  // the server's index of each call, in start order
  std::vector<bool> ended_;
  std::string plan_item_;                // kToolPlanItemPrefix + the plan; alive until drained
  bool has_plan_ = false;
};

}  // namespace majordomo::cohere
