// Response: what every call returns (Usage, Cost, StopReason and the call records are in call_record.hpp).
#pragma once

#include <majordomo/export.hpp>
#include <majordomo/call_record.hpp>
#include <majordomo/conversation.hpp>
#include <majordomo/errors.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace majordomo {

struct Response {
  std::string content;             // the answer
  std::string reasoning;           // reasoning/thinking text, when the provider returns it
  Usage usage;
  Cost cost;
  std::chrono::duration<double> response_time{};  // from send to the last byte
  StopReason stop_reason = StopReason::unknown;
  std::string raw_stop_reason;     // the provider's own value, e.g. "length"
  std::string provider;
  std::string model;               // the model the provider says answered (falls back to the requested one)
  std::string request_id;

  // Filled by middleware (empty/defaults for a bare provider-bound LLM):
  std::string served_by;     // "provider:model" of the cascade member that answered
  std::string alias;         // the catalog alias the caller asked for, when one was used
  int attempts = 1;          // requests sent to the serving provider, retries included
  std::vector<FailedAttempt> failed_attempts;  // retries and failovers before this answer, in order
  std::vector<std::string> warnings;           // e.g. a deprecated model id replaced
  // (0.4) Every request the call sent, in order (retries, then each cascade member's), the last
  // one the request that produced this answer. Filled by the provider-bound LLM; middleware
  // passes them on and prepends its own history (call_record.hpp).
  std::vector<AttemptRecord> records;
  // (0.5) The calls the model made, in order (stop reason tool_use). Each call's arguments were
  // checked: a problem is reported on the call (ToolCall::problem), never dropped.
  std::vector<ToolCall> tool_calls;
  // (0.5) What the provider needs back to continue the conversation (Message::assistant copies it).
  Continuation continuation;
};

}  // namespace majordomo
