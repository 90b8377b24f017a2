// CallDeadline: the one end point of a whole call, and the timeout error that names it and its option.
#include "call_deadline.hpp"

#include <fmt/format.h>

#include <utility>

#include <time.h>

namespace majordomo {

CallDeadline::CallDeadline(std::chrono::milliseconds own, std::optional<Clock::time_point> from_caller) {
  const Clock::time_point start = Clock::now();
  if (own.count() > 0) {
    end_ = start + own;
    budget_ = own;
  }
  if (from_caller && (!end_ || *from_caller < *end_)) {
    end_ = *from_caller;
    budget_ = std::chrono::round<std::chrono::milliseconds>(*from_caller - start);
    from_caller_ = true;
  }
}

bool CallDeadline::passed_coarse() const noexcept {
  if (!end_) return false;
  // steady_clock is CLOCK_MONOTONIC; the coarse clock is the same clock as of the last tick, so
  // it never reads later than steady_clock would.
#ifdef CLOCK_MONOTONIC_COARSE
  timespec now{};
  if (::clock_gettime(CLOCK_MONOTONIC_COARSE, &now) != 0) return passed();
  return Clock::time_point(std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec)) >= *end_;
#else
  return passed();
#endif
}

int64_t CallDeadline::time_left_ms() const noexcept {
  if (!end_) return 0;
  const auto left = *end_ - Clock::now();
  if (left <= Clock::duration::zero()) return 0;
  return std::chrono::ceil<std::chrono::milliseconds>(left).count();
}

bool CallDeadline::ends_within(std::chrono::milliseconds wait) const noexcept {
  return end_ && Clock::now() + wait >= *end_;
}

std::string CallDeadline::describe() const {
  constexpr std::string_view option = "ClientOptions::timeouts.deadline, CLI --timeout";
  if (from_caller_) {
    return fmt::format("the {} its caller gave it (a cascade shares its deadline, {}, among its members)",
                       seconds_text(budget_), option);
  }
  return fmt::format("its deadline of {} ({})", seconds_text(budget_), option);
}

std::string seconds_text(std::chrono::milliseconds duration) {
  return fmt::format("{:g} s", static_cast<double>(duration.count()) / 1000.0);
}

void throw_deadline_passed(const CallDeadline& deadline, std::string provider, std::string_view what,
                           std::string_view cause, std::vector<FailedAttempt> failed_attempts,
                           std::string partial_content, std::string request_id,
                           std::vector<AttemptRecord> records) {
  ErrorDetails details;
  details.kind = ErrorKind::timeout;
  details.provider = std::move(provider);
  details.message = fmt::format("{} ran out of {}{}; raise the deadline or check the server", what,
                                deadline.describe(), cause);
  details.failed_attempts = std::move(failed_attempts);
  details.partial_content = std::move(partial_content);
  details.request_id = std::move(request_id);
  details.records = std::move(records);
  throw_error(std::move(details));
}

void throw_call_cancelled(std::string provider, std::string_view when, std::vector<FailedAttempt> failed_attempts,
                          std::string partial_content, std::string request_id, std::vector<AttemptRecord> records) {
  ErrorDetails details;
  details.kind = ErrorKind::cancelled;
  details.message = fmt::format("the {} call was cancelled by its caller (CallCancellation::cancel) {}", provider, when);
  details.provider = std::move(provider);
  details.failed_attempts = std::move(failed_attempts);
  details.partial_content = std::move(partial_content);
  details.request_id = std::move(request_id);
  details.records = std::move(records);
  throw_error(std::move(details));
}

}  // namespace majordomo
