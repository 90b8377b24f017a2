// RetryPolicy: when and how long the provider-bound LLM waits before resending a failed request.
#pragma once

#include <majordomo/export.hpp>
#include <majordomo/errors.hpp>

#include <chrono>
#include <functional>
#include <optional>

namespace majordomo {

// Owned by exactly one layer: the provider-bound LLM (ClientOptions::retry). Cascades and logging
// never retry, so one failed request is resent at most max_attempts - 1 times however the layers
// nest. Obligations of the provider-bound LLM that applies it:
//  - a stream is retried only while no chunk has reached the caller; after that its error ends it;
//  - every retried attempt is recorded as a FailedAttempt (with the wait that followed it) in the
//    Response or ErrorDetails, and Response::attempts counts the requests sent;
//  - configuration, bad_request, authentication and every other non-transient kind fail at once.
struct MAJORDOMO_API RetryPolicy {
  // Requests in all, the first one included; 1 turns retrying off.
  int max_attempts = 3;
  // Backoff before retry n (n = 1, 2, …): min(max_delay, base_delay × 2^(n-1)) × a random factor
  // in [0.75, 1] so that many clients do not come back in step.
  std::chrono::milliseconds base_delay{500};
  std::chrono::milliseconds max_delay{8'000};
  // rate_limited and overloaded (HTTP 429, 529, streamed "overloaded") fail at once by default so
  // that a cascade moves on to its next member. When true they are retried too, waiting what the
  // provider asked for (retry-after-ms, retry-after in seconds or as an HTTP date; the plugins
  // read those) instead of the backoff. A rate_limited error whose provider_error_type is
  // "insufficient_quota" is never retried: waiting does not refill a quota.
  bool retry_rate_limited = false;
  // A provider's wait hint above this is not waited for: the error is raised at once instead.
  // Also applies to hints on the transient kinds below.
  std::chrono::milliseconds max_retry_after{60'000};
  // Waits between attempts; empty: sleeps on the calling thread. Tests and applications that
  // need to interrupt the wait supply their own; it may throw (e.g. CancelledError) to stop
  // retrying, and that exception reaches the caller. Called from any thread that makes a call.
  std::function<void(std::chrono::milliseconds)> wait;

  // The transient kinds: timeout and connection, and HTTP 408, 500, 502, 503 and 504 whatever
  // kind the plugin gave them (a 503 is "overloaded" but usually passes within seconds) except
  // plugin: a plugin that failed on such an answer would fail the same way again.
  bool is_transient(const ErrorDetails& error) const noexcept;
  // How long to wait before attempt `failed_attempts + 1`, or nothing when the error must be
  // raised: not retryable, attempts used up, or a provider hint above max_retry_after.
  // `jitter` in [0, 1] picks the point in the backoff's random range (1: the full delay).
  std::optional<std::chrono::milliseconds> delay_before_retry(const ErrorDetails& error,
                                                              int failed_attempts,
                                                              double jitter) const;
};

}  // namespace majordomo
