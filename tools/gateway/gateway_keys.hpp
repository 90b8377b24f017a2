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

// Looks keys up by hash: the table holds no key text. Each thread keeps the last text it hashed
// with its digest, so that a keep-alive client's key is hashed once, not per request; the
// gateway wipes it when the thread's connection ends (forget_thread_key), so a key outlives its
// connection no more than the connection's own buffers hold it. Immutable: a SIGHUP reload
// builds a new table.
class KeyTable {
 public:
  explicit KeyTable(const GatewayConfig& config);
  // The key's entry, or nullptr when the text is no known key.
  [[nodiscard]] const GatewayKey* find(std::string_view key_text) const;
  [[nodiscard]] bool anonymous() const noexcept { return anonymous_; }
  // Whether `key` may ask for `model` (the name as the client wrote it).
  [[nodiscard]] static bool allows(const GatewayKey& key, std::string_view model);
  // Wipes this thread's last key text and digest (find() keeps them).
  static void forget_thread_key() noexcept;

 private:
  struct LastKey {
    std::string text;
    std::array<uint8_t, 32> digest{};
  };
  static LastKey& last_key() noexcept;
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
  int status = 429;  // 503: the limits could not be checked (shared limits, database unreachable)
  std::string code = "limit";  // the refusal's reason in metrics: "limit" or "limits_unavailable"
};

// Per-key request rate and spend per UTC day, keyed by key name, so the counts survive a reload
// that keeps the name. Thread-safe. LocalKeyLimits counts in this process; SharedKeyLimits
// (shared_key_limits.hpp) in PostgreSQL, for several processes behind one load balancer.
class KeyLimits {
 public:
  virtual ~KeyLimits() = default;
  // Takes one request from the key's rate, or says why not. Checks the day's spend first.
  [[nodiscard]] virtual std::optional<LimitRefusal> admit(const GatewayKey& key) = 0;
  // Adds what a call cost to the key's day.
  virtual void charge(const GatewayKey& key, double usd) = 0;
  // The key's spend today (UTC), for tests and metrics.
  [[nodiscard]] virtual double spent_today(std::string_view key_name) const = 0;
  // Empty while the limits can be checked; else why not (for /readyz).
  [[nodiscard]] virtual std::string problem() const { return {}; }
};

// This process's own counts: a token bucket refilled continuously (a minute's worth of burst) and
// the day's spend.
class LocalKeyLimits final : public KeyLimits {
 public:
  using Clock = std::chrono::steady_clock;
  [[nodiscard]] std::optional<LimitRefusal> admit(const GatewayKey& key) override;
  void charge(const GatewayKey& key, double usd) override;
  [[nodiscard]] double spent_today(std::string_view key_name) const override;

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
