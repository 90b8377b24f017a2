// Per-key rate windows and daily spend in PostgreSQL: the tables, the one-round-trip admission, the charge, and the failure policy.
#include "shared_key_limits.hpp"

#include <majordomo/errors.hpp>

#include <fmt/format.h>

#include "libpq_functions.hpp"

#include <chrono>
#include <cmath>

namespace majordomo::gateway {
namespace {

// Created in one transaction under the same advisory lock as the call log's DDL, so that several
// processes may start together. Columns only ever grow.
constexpr std::string_view kTables = R"sql(
BEGIN;
SELECT pg_advisory_xact_lock(7342105601);
CREATE TABLE IF NOT EXISTS majordomo_gateway_rate (
  key_name TEXT NOT NULL,
  window_start TIMESTAMPTZ NOT NULL,
  requests BIGINT NOT NULL,
  PRIMARY KEY (key_name, window_start)
);
CREATE TABLE IF NOT EXISTS majordomo_gateway_spend (
  key_name TEXT NOT NULL,
  day DATE NOT NULL,
  usd DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (key_name, day)
);
COMMIT;
)sql";

// $1 key name, $2 requests per window (NULL: no rate), $3 USD per day (NULL: no budget).
// Reads the day's spend and, when the budget is not used up, counts the request in the current
// minute's window unless the window is full (the WHERE of DO UPDATE: no row comes back then, and
// the count stays at the limit). Returns the spend, the new count (NULL: not counted), and the
// seconds left in the window and in the UTC day, all on the database's clock, which every
// process shares.
constexpr const char* kAdmit = R"sql(
WITH clock AS (
  SELECT now() AS at, floor(extract(epoch FROM now()))::bigint AS epoch_s
), budget AS (
  SELECT COALESCE((SELECT s.usd FROM majordomo_gateway_spend s, clock
                    WHERE s.key_name = $1 AND s.day = (clock.at AT TIME ZONE 'UTC')::date), 0) AS spent
), counted AS (
  INSERT INTO majordomo_gateway_rate AS r (key_name, window_start, requests)
  SELECT $1, to_timestamp(clock.epoch_s - clock.epoch_s % 60), 1 FROM clock, budget
   WHERE $2::bigint IS NOT NULL AND ($3::float8 IS NULL OR budget.spent < $3::float8)
  ON CONFLICT (key_name, window_start) DO UPDATE SET requests = r.requests + 1 WHERE r.requests < $2::bigint
  RETURNING r.requests
)
SELECT budget.spent, (SELECT requests FROM counted), 60 - clock.epoch_s % 60, 86400 - clock.epoch_s % 86400
  FROM clock, budget
)sql";

// $1 key name, $2 USD.
constexpr const char* kCharge = R"sql(
INSERT INTO majordomo_gateway_spend AS s (key_name, day, usd)
VALUES ($1, (now() AT TIME ZONE 'UTC')::date, $2::float8)
ON CONFLICT (key_name, day) DO UPDATE SET usd = s.usd + EXCLUDED.usd
)sql";

constexpr const char* kSpentToday = R"sql(
SELECT COALESCE((SELECT usd FROM majordomo_gateway_spend
                  WHERE key_name = $1 AND day = (now() AT TIME ZONE 'UTC')::date), 0)
)sql";

// Windows are needed only while current; older ones are deleted now and then by whichever
// process comes first.
constexpr const char* kDeleteOldWindows =
    "DELETE FROM majordomo_gateway_rate WHERE window_start < now() - interval '10 minutes'";

int64_t steady_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

SharedKeyLimits::SharedKeyLimits(const std::string& target, SharedLimitsFailure on_failure,
                                 std::function<void(std::string_view)> report, PostgresPool::Options pool_options)
    : on_failure_(on_failure), report_(std::move(report)) {
  PostgresTarget parsed(target, "shared_limits");
  // The tables first, on a connection of their own: the pool's connections prepare statements
  // over them as they open.
  try {
    const std::unique_ptr<pg_conn, void (*)(pg_conn*)> connection(parsed.connect(), libpq().finish);
    (void)run_sql(connection.get(), parsed, kTables);
  } catch (const DatabaseUnavailable& error) {
    throw_configuration_error(fmt::format("shared_limits: cannot create the limit tables in {}", error.what()));
  }
  const PostgresTarget shown = parsed;
  pool_ = std::make_unique<PostgresPool>(std::move(parsed), pool_options, [shown](pg_conn* connection) {
    prepare_statement(connection, shown, "majordomo_admit", kAdmit);
    prepare_statement(connection, shown, "majordomo_charge", kCharge);
    prepare_statement(connection, shown, "majordomo_spent_today", kSpentToday);
  });
}

int64_t SharedKeyLimits::requests_per_window(double requests_per_minute) {
  return std::max<int64_t>(1, static_cast<int64_t>(std::floor(requests_per_minute)));
}

std::optional<LimitRefusal> SharedKeyLimits::admit(const GatewayKey& key) {
  if (!key.requests_per_minute && !key.usd_per_day) return std::nullopt;
  const std::string rate = key.requests_per_minute ? std::to_string(requests_per_window(*key.requests_per_minute)) : "";
  const std::string budget = key.usd_per_day ? fmt::format("{}", *key.usd_per_day) : "";
  double spent = 0;
  bool counted = false;
  int64_t window_left_s = 60, day_left_s = 86'400;
  try {
    pool_->with_connection([&](pg_conn* connection) {
      const PgResult result = run_prepared(connection, pool_->target(), "majordomo_admit",
                                           {key.name.c_str(), key.requests_per_minute ? rate.c_str() : nullptr,
                                            key.usd_per_day ? budget.c_str() : nullptr});
      spent = result.number(0, 0);
      counted = !result.null(0, 1);
      window_left_s = result.whole(0, 2);
      day_left_s = result.whole(0, 3);
      delete_old_windows(connection);
    });
  } catch (const DatabaseUnavailable& error) {
    database_failed(error);
    if (on_failure_ == SharedLimitsFailure::local) return local_.admit(key);
    return LimitRefusal{fmt::format("the gateway cannot check the limits of key '{}': the database they are shared "
                                    "in does not answer, and keys with limits are refused until it does "
                                    "(shared_limits_on_failure)",
                                    key.name),
                        5, 503, "limits_unavailable"};
  }
  database_answered();
  if (key.usd_per_day && spent >= *key.usd_per_day) {
    return LimitRefusal{fmt::format("gateway key '{}' has used its budget of {} USD for today (UTC); it renews at "
                                    "midnight UTC",
                                    key.name, *key.usd_per_day),
                        std::max<int64_t>(1, day_left_s), 429, "limit"};
  }
  if (key.requests_per_minute && !counted) {
    return LimitRefusal{fmt::format("gateway key '{}' is over its rate of {} requests per minute (counted per UTC "
                                    "minute across every gateway process); retry after the time in Retry-After",
                                    key.name, requests_per_window(*key.requests_per_minute)),
                        std::max<int64_t>(1, window_left_s), 429, "limit"};
  }
  return std::nullopt;
}

void SharedKeyLimits::delete_old_windows(pg_conn* connection) {
  const int64_t now = steady_seconds();
  int64_t due = next_cleanup_s_.load();
  if (now < due || !next_cleanup_s_.compare_exchange_strong(due, now + 600)) return;
  try {
    (void)run_sql(connection, pool_->target(), kDeleteOldWindows);
  } catch (const DatabaseUnavailable&) {
    // Old windows only take space; the next cleanup deletes them.
  }
}

void SharedKeyLimits::charge(const GatewayKey& key, double usd) {
  if (!key.usd_per_day || !(usd > 0) || !std::isfinite(usd)) return;
  double amount = usd;
  {
    const std::lock_guard lock(unsent_mutex_);
    if (const auto found = unsent_.find(key.name); found != unsent_.end()) {
      amount += found->second;
      unsent_.erase(found);
    }
  }
  const std::string text = fmt::format("{}", amount);
  try {
    pool_->with_connection([&](pg_conn* connection) {
      (void)run_prepared(connection, pool_->target(), "majordomo_charge", {key.name.c_str(), text.c_str()});
    });
    database_answered();
  } catch (const DatabaseUnavailable& error) {
    database_failed(error);
    // Kept, and added when the database answers again: an outage does not erase spend.
    const std::lock_guard lock(unsent_mutex_);
    unsent_[key.name] += amount;
  }
  if (on_failure_ == SharedLimitsFailure::local) local_.charge(key, usd);
}

double SharedKeyLimits::spent_today(std::string_view key_name) const {
  const std::string name(key_name);
  double spent = 0;
  pool_->with_connection([&](pg_conn* connection) {
    spent = run_prepared(connection, pool_->target(), "majordomo_spent_today", {name.c_str()}).number(0, 0);
  });
  return spent;
}

std::string SharedKeyLimits::problem() const {
  if (!down_.load()) return {};
  const std::string problem = pool_->problem();
  return fmt::format("shared_limits: {}", problem.empty() ? "the database does not answer" : problem);
}

void SharedKeyLimits::database_failed(const DatabaseUnavailable& error) {
  if (down_.exchange(true) || !report_) return;
  report_(fmt::format("shared_limits: the database does not answer ({}); keys with limits are {}", error.what(),
                      on_failure_ == SharedLimitsFailure::refuse ? "refused (503) until it does"
                                                                 : "counted by this process alone until it does"));
}

void SharedKeyLimits::database_answered() {
  if (down_.exchange(false) && report_) report_("shared_limits: the database answers again");
}

}  // namespace majordomo::gateway
