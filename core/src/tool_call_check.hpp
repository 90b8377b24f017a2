// Checking the tool calls of an answer: arguments parsed, matched to the tool's schema, cut-off calls named.
#pragma once

#include "request_turns.hpp"

#include <majordomo/response.hpp>

#include <vector>

namespace majordomo {

// Sets ToolCall::problem and problem_detail on every call of `response` that needs it: arguments
// that are not one JSON object (or, when the answer stopped at max_tokens inside them, cut_off),
// a tool the request did not list, arguments that break the tool's schema. Empty arguments
// become "{}". `ended[i]` says whether call i's end was seen. Also makes the stop reason tool_use
// for an answer with calls that the provider ended as a plain end of turn (Gemini's STOP).
void check_tool_calls(Response& response, const std::vector<bool>& ended, const ToolSchemas* tools);

}  // namespace majordomo
