// CallCancellation: an atomic flag, a condition variable for sleepers and an eventfd for plugins that poll.
#include <majordomo/cancellation.hpp>

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace majordomo {

struct CallCancellation::State {
  std::atomic<bool> raised{false};
  mutable std::mutex mutex;  // orders raising the flag with sleepers starting to wait
  mutable std::condition_variable woken;
  // Readable once cancel() wrote to it, and for good: nobody ever reads the count back. Made up
  // front, so cancel() only writes (no allocation, no failure to report).
  int event_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
};

CallCancellation::CallCancellation() : state_(std::make_unique<State>()) {}

CallCancellation::~CallCancellation() {
  if (state_->event_fd >= 0) ::close(state_->event_fd);
}

void CallCancellation::cancel() noexcept {
  State& state = *state_;
  if (state.raised.exchange(true)) return;
  if (state.event_fd >= 0) {
    const std::uint64_t one = 1;
    // The counter cannot overflow from one write; EINTR cannot happen on a non-blocking eventfd.
    [[maybe_unused]] const auto written = ::write(state.event_fd, &one, sizeof(one));
  }
  try {
    // Taking the lock makes sure a sleeper that saw the flag down is already waiting.
    const std::lock_guard lock(state.mutex);
  } catch (...) {  // a mutex that cannot be locked: sleepers still wake at their timeout
  }
  state.woken.notify_all();
}

bool CallCancellation::cancelled() const noexcept { return state_->raised.load(); }

bool CallCancellation::wait_for(std::chrono::milliseconds duration) const {
  State& state = *state_;
  std::unique_lock lock(state.mutex);
  return state.woken.wait_for(lock, duration, [&] { return state.raised.load(); });
}

int CallCancellation::descriptor() const noexcept { return state_->event_fd; }

}  // namespace majordomo
