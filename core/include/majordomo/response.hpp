// Response, Usage, Cost and StopReason: what every call returns.
#pragma once

#include <majordomo/export.hpp>
#include <majordomo/errors.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace majordomo {

struct Usage {
  int64_t input_tokens = 0;        // all prompt tokens, cached ones included
  int64_t output_tokens = 0;       // reasoning tokens included
  int64_t cached_tokens = 0;       // prompt tokens served from the provider's cache
  int64_t cache_write_tokens = 0;
  int64_t reasoning_tokens = 0;
};

// USD, from the plugin's catalog prices. `priced` is false when the model is not in the catalog
// (e.g. a self-hosted model): the amounts are then 0 and must not be read as "free".
struct Cost {
  double input = 0;
  double output = 0;
  double total = 0;
  bool priced = false;
};

enum class StopReason {
  unknown = 0,
  end_turn = 1,
  max_tokens = 2,
  stop_sequence = 3,
  tool_use = 4,
  content_filter = 5,
  // The provider ended the answer as failed. A provider-bound LLM never returns it: it raises
  // ServerError instead (docs/providers.md); kept so values match the ABI's MJ_STOP_* numbers.
  error = 6,
};
[[nodiscard]] MAJORDOMO_API std::string_view to_string(StopReason reason) noexcept;

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
};

}  // namespace majordomo
