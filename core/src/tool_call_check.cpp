// Checking the tool calls of an answer (tool_call_check.hpp).
#include "tool_call_check.hpp"

#include <majordomo/errors.hpp>
#include <majordomo/json_value.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <exception>

namespace majordomo {
namespace {

void check_one(ToolCall& call, bool cut_here, bool ended, const ToolSchemas* tools) {
  if (cut_here && !ended) {
    // The cap hit before the call's end: whatever arrived, even text that parses or nothing at
    // all, is not the whole call.
    call.problem = ToolCallProblem::cut_off;
    call.problem_detail = "the answer reached max_tokens inside this call's arguments; raise max_tokens";
    return;
  }
  if (call.arguments.empty()) call.arguments = "{}";
  JsonValue value;
  try {
    value = JsonValue::parse(call.arguments);
  } catch (const Error& error) {
    call.problem = cut_here ? ToolCallProblem::cut_off : ToolCallProblem::unparsable;
    call.problem_detail = cut_here ? "the answer reached max_tokens inside this call's arguments; raise max_tokens"
                                   : fmt::format("the arguments are not JSON: {}", error.details().message);
    return;
  }
  if (!value.is_object()) {
    call.problem = ToolCallProblem::unparsable;
    call.problem_detail = "the arguments are JSON but not an object";
    return;
  }
  const auto found = tools == nullptr ? std::vector<std::string>::const_iterator{}
                                      : std::find(tools->names.begin(), tools->names.end(), call.name);
  if (tools == nullptr || found == tools->names.end()) {
    call.problem = ToolCallProblem::unknown_tool;
    call.problem_detail = "the request listed no tool of this name";
    return;
  }
  const JsonSchema& schema = tools->schemas[static_cast<std::size_t>(found - tools->names.begin())];
  std::string violations;
  try {
    violations = schema.violations_of(value);
  } catch (const std::exception& error) {
    violations = fmt::format("the arguments could not be checked ({})", error.what());
  }
  if (!violations.empty()) {
    call.problem = ToolCallProblem::schema_mismatch;
    call.problem_detail = fmt::format("the arguments do not match the tool's parameters schema ({})", violations);
  }
}

}  // namespace

void check_tool_calls(Response& response, const std::vector<bool>& ended, const ToolSchemas* tools) {
  if (response.tool_calls.empty()) return;
  const bool stopped_at_cap = response.stop_reason == StopReason::max_tokens;
  for (std::size_t i = 0; i < response.tool_calls.size(); ++i) {
    // Only the call being written when the cap hit can be cut; one the plugin ended is whole.
    const bool was_ended = i < ended.size() && ended[i];
    const bool cut_here = stopped_at_cap && (!was_ended || i + 1 == response.tool_calls.size());
    check_one(response.tool_calls[i], cut_here, was_ended, tools);
  }
  if (response.stop_reason == StopReason::end_turn || response.stop_reason == StopReason::unknown) {
    response.stop_reason = StopReason::tool_use;
  }
}

}  // namespace majordomo
