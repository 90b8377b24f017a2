// CallCancellation: ends calls from another thread (a client that went away, a Stop button). (0.6)
#pragma once

#include <majordomo/export.hpp>

#include <chrono>
#include <memory>

namespace majordomo {

// A flag one thread raises to end the calls that carry it (LLMRequest::cancellation), wherever
// they are: before their first attempt, connecting, sending, waiting for the provider's next byte
// or sleeping before a retry. Share it with std::make_shared and keep a shared_ptr on the thread
// that cancels, so the object outlives every cancel().
//
// What callers may rely on:
//  - cancel() is thread-safe, idempotent and never blocks: call it from any thread, at any time,
//    also before the call starts (the call then sends nothing) or after it ended (no effect);
//  - a call whose cancellation fires ends with CancelledError (ErrorKind::cancelled), in
//    complete() or in the ResponseStream's next(), whose message says the caller cancelled it;
//    partial_content and the records keep what arrived, and the last attempt's record ends as
//    cancelled. It is never retried, and a cascade does not fail over on it;
//  - its connection is closed, never returned to the pool. With a plugin built on the 0.6 SDK
//    (mj_call_params.cancel_fd) that happens at once, even while the plugin waits for a silent
//    server; a plugin built before 0.6 is stopped between two of its events (docs/reliability.md);
//  - one object may be shared by several calls (all end together); it cannot be reset.
class MAJORDOMO_API CallCancellation {
 public:
  CallCancellation();
  ~CallCancellation();
  CallCancellation(const CallCancellation&) = delete;
  CallCancellation& operator=(const CallCancellation&) = delete;

  // Raises the flag and wakes every wait of the calls that carry it.
  void cancel() noexcept;
  [[nodiscard]] bool cancelled() const noexcept;
  // Sleeps for `duration` or until cancel(), whichever comes first; returns cancelled(). What a
  // provider-bound LLM's retry backoff sleeps in; an application's RetryPolicy::wait may use it too.
  bool wait_for(std::chrono::milliseconds duration) const;
  // A descriptor that becomes readable (POLLIN) at cancel() and stays readable, for code that waits
  // in poll() (what plugins receive as mj_call_params.cancel_fd); -1 when the system could not make
  // one (the flag and wait_for work without it). Owned by this object: never read, write or close it.
  [[nodiscard]] int descriptor() const noexcept;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace majordomo
