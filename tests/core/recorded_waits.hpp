// Retry waits recorded instead of slept, so that a test sees which waits a call started, and how long each was.
#pragma once

#include <majordomo/retry.hpp>

#include <chrono>
#include <mutex>
#include <vector>

namespace majordomo::testing {

struct RecordedWaits {
  std::mutex mutex;
  std::vector<std::chrono::milliseconds> waits;

  // `base` with its wait replaced by the recording.
  RetryPolicy policy(RetryPolicy base = {}) {
    base.wait = [this](std::chrono::milliseconds wait) {
      const std::lock_guard lock(mutex);
      waits.push_back(wait);
    };
    return base;
  }
};

}  // namespace majordomo::testing
