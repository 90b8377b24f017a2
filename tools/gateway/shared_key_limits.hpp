// SharedKeyLimits: per-key request rate and daily spend counted in PostgreSQL, so that several gateway processes enforce one limit.
#pragma once

#include "gateway_keys.hpp"
#include "postgres_pool.hpp"

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace majordomo::gateway {

// What a limited call meets while the database cannot be reached.
enum class SharedLimitsFailure {
  refuse,  // 503: no key with a limit is served unchecked (the default)
  local,   // this process's own counts stand in (each process then allows the full limit)
};

// The rate is a fixed window per UTC minute: one INSERT … ON CONFLICT DO UPDATE per admitted
// request, which also reads the day's spend (one round trip). Spend is added at the end of each
// call. Tables are created at start under an advisory lock. Keys without limits never touch the
// database. Thread-safe.
class SharedKeyLimits final : public KeyLimits {
 public:
  // Connects and creates the tables; a ConfigurationError naming "shared_limits" when it cannot.
  // `report` receives one line when the database stops answering and one when it answers again.
  SharedKeyLimits(const std::string& target, SharedLimitsFailure on_failure,
                  std::function<void(std::string_view)> report, PostgresPool::Options pool_options = {});

  [[nodiscard]] std::optional<LimitRefusal> admit(const GatewayKey& key) override;
  void charge(const GatewayKey& key, double usd) override;
  // Throws DatabaseUnavailable when the database cannot say.
  [[nodiscard]] double spent_today(std::string_view key_name) const override;
  [[nodiscard]] std::string problem() const override;

  // The requests a key may make per window: requests_per_minute rounded down, at least 1.
  [[nodiscard]] static int64_t requests_per_window(double requests_per_minute);

 private:
  void database_failed(const DatabaseUnavailable& error);
  void database_answered();
  void delete_old_windows(pg_conn* connection);

  std::unique_ptr<PostgresPool> pool_;
  SharedLimitsFailure on_failure_;
  std::function<void(std::string_view)> report_;
  LocalKeyLimits local_;  // SharedLimitsFailure::local, while the database is down
  std::atomic<bool> down_{false};
  std::atomic<int64_t> next_cleanup_s_{0};
  // Spend that could not be added (the database was down), by key name: added with the key's next charge.
  std::mutex unsent_mutex_;
  std::map<std::string, double, std::less<>> unsent_;
};

}  // namespace majordomo::gateway
