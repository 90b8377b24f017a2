// RetryPolicy decisions: which errors are retried and how long to wait before the next attempt.
#include <majordomo/retry.hpp>

#include <algorithm>
#include <cmath>

namespace majordomo {

bool RetryPolicy::is_transient(const ErrorDetails& error) const noexcept {
  if (error.kind == ErrorKind::timeout || error.kind == ErrorKind::connection) return true;
  // A plugin that failed on a 5xx answer keeps the status, but resending runs the same faulty
  // code again: only the kinds a service produces are retried by status.
  if (error.kind == ErrorKind::plugin) return false;
  // A server that breaks framing once breaks it the same way again.
  if (error.kind == ErrorKind::protocol) return false;
  switch (error.http_status) {
    case 408: case 500: case 502: case 503: case 504: return true;
    default: return false;
  }
}

std::optional<std::chrono::milliseconds> RetryPolicy::delay_before_retry(const ErrorDetails& error,
                                                                         int failed_attempts,
                                                                         double jitter) const {
  if (failed_attempts >= max_attempts) return std::nullopt;
  const bool rate_kind = error.kind == ErrorKind::rate_limited || error.kind == ErrorKind::overloaded;
  if (error.kind == ErrorKind::rate_limited && error.provider_error_type == "insufficient_quota") {
    return std::nullopt;
  }
  if (!is_transient(error) && !(rate_kind && retry_rate_limited)) return std::nullopt;
  if (error.retry_after_ms && *error.retry_after_ms >= 0) {
    const std::chrono::milliseconds hint(*error.retry_after_ms);
    if (hint > max_retry_after) return std::nullopt;
    return hint;
  }
  // base × 2^(n-1), computed in double so a large n cannot overflow before the cap.
  const double exponential =
      static_cast<double>(base_delay.count()) * std::pow(2.0, std::max(0, failed_attempts - 1));
  const double capped = std::min(exponential, static_cast<double>(max_delay.count()));
  const double factor = 0.75 + 0.25 * std::clamp(jitter, 0.0, 1.0);
  return std::chrono::milliseconds(std::llround(capped * factor));
}

}  // namespace majordomo
