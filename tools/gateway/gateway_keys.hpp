// Gateway keys: who a request comes from (by the SHA-256 of its key), which models it may use, and its rate and budget limits.
#pragma once

#include "gateway_config.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace majordomo::gateway {

// Looks keys up by hash; the key text is hashed once and never kept. Immutable: a SIGHUP reload
// builds a new table.
class KeyTable {
 public:
  explicit KeyTable(const GatewayConfig& config);
  // The key's entry, or nullptr when the text is no known key.
  [[nodiscard]] const GatewayKey* find(std::string_view key_text) const;
  [[nodiscard]] bool anonymous() const noexcept { return anonymous_; }
  // Whether `key` may ask for `model` (the name as the client wrote it).
  [[nodiscard]] static bool allows(const GatewayKey& key, std::string_view model);

 private:
  struct DigestHash {
    std::size_t operator()(const std::array<uint8_t, 32>& digest) const noexcept;
  };
  std::unordered_map<std::array<uint8_t, 32>, GatewayKey, DigestHash> by_digest_;
  bool anonymous_ = false;
};

// Why a request may not go ahead now, and when it may.
struct LimitRefusal {
  std::string message;
  int64_t retry_after_s = 1;
};

// Per-key request rate (a token bucket refilled continuously, a minute's worth of burst) and
// spend per UTC day. Keyed by key name, so the counts survive a reload that keeps the name.
// Counts are this process's own: docs/gateway.md says how several processes share a budget.
// Thread-safe.
class KeyLimits {
 public:
  using Clock = std::chrono::steady_clock;
  // Takes one request from the key's rate, or says why not. Checks the day's spend first.
  [[nodiscard]] std::optional<LimitRefusal> admit(const GatewayKey& key);
  // Adds what a call cost to the key's day.
  void charge(const GatewayKey& key, double usd);
  // The key's spend today (UTC), for tests and metrics.
  [[nodiscard]] double spent_today(std::string_view key_name) const;

 private:
  struct KeyState {
    double tokens = -1;  // < 0: not started (a full bucket)
    Clock::time_point refilled{};
    int64_t day = -1;    // days since the epoch, UTC, of `spent`
    double spent = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::string, KeyState, std::less<>> states_;
};

}  // namespace majordomo::gateway
