// CallDeadline: the one end point of a whole call (Timeouts::deadline), shared by its attempts, waits and members; and the error of a call its caller cancelled.
#pragma once

#include <majordomo/errors.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace majordomo {

class CallDeadline {
 public:
  using Clock = std::chrono::steady_clock;

  // Starts now. `own` is the LLM's Timeouts::deadline (zero or negative: none); `from_caller` is
  // LLMRequest::deadline, the end a middleware set (a cascade member's share). The earlier wins.
  CallDeadline(std::chrono::milliseconds own, std::optional<Clock::time_point> from_caller);

  bool bounded() const noexcept { return end_.has_value(); }
  bool passed() const noexcept { return end_ && Clock::now() >= *end_; }
  // passed() read from the coarse monotonic clock: up to a clock tick (a few ms) late, at a
  // fifth of the cost. For the checks between a stream's events, where a read per event showed
  // in profiles and a tick late is harmless (each wait of the plugin's ends at the deadline).
  bool passed_coarse() const noexcept;
  // Whole milliseconds left, rounded up so that a bounded, unexpired call never reads 0 (which
  // mj_call_params.time_left_ms takes for "no deadline"); 0 when unbounded or passed.
  int64_t time_left_ms() const noexcept;
  // Whether a wait of `wait` started now would end at or past the deadline.
  bool ends_within(std::chrono::milliseconds wait) const noexcept;
  std::optional<Clock::time_point> end() const noexcept { return end_; }

  // "its deadline of 5 s (ClientOptions::timeouts.deadline, CLI --timeout)", or for a share set by
  // the caller "the 2.5 s its caller gave it (...)": what the timeout messages name.
  std::string describe() const;

 private:
  std::optional<Clock::time_point> end_;
  std::chrono::milliseconds budget_{0};
  bool from_caller_ = false;
};

// "5 s", "2.5 s", "0.04 s": a duration for messages.
std::string seconds_text(std::chrono::milliseconds duration);

// Throws TimeoutError: `what` ran out of `deadline` ("<what> passed <describe()><cause>"), with
// `failed_attempts` as its history and the text received so far.
[[noreturn]] void throw_deadline_passed(const CallDeadline& deadline, std::string provider, std::string_view what,
                                        std::string_view cause, std::vector<FailedAttempt> failed_attempts,
                                        std::string partial_content = {}, std::string request_id = {},
                                        std::vector<AttemptRecord> records = {});

// (0.6) Throws CancelledError: "the <provider> call was cancelled by its caller (CallCancellation::cancel)
// <when>", with `failed_attempts` as its history and what arrived so far.
[[noreturn]] void throw_call_cancelled(std::string provider, std::string_view when,
                                       std::vector<FailedAttempt> failed_attempts, std::string partial_content = {},
                                       std::string request_id = {}, std::vector<AttemptRecord> records = {});

}  // namespace majordomo
