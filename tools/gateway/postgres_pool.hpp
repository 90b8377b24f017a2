// PostgresPool: a small bounded pool of libpq connections to one postgresql:// target, for the gateway's shared limits and key table.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct pg_conn;
struct pg_result;

namespace majordomo {
class SecretValues;
}

namespace majordomo::gateway {

// The database could not be reached or refused a statement. The message names the target as it
// may be shown (no password) and libpq's reason, scrubbed of the target's secrets.
class DatabaseUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A postgresql:// URI as libpq takes it, and how it may be shown: postgresql://user@host:port/db,
// never a password (neither the user info's nor a password= parameter's).
class PostgresTarget {
 public:
  // ConfigurationError naming `key` when `uri` is not a postgresql:// URI libpq can read.
  PostgresTarget(std::string uri, std::string_view key);
  ~PostgresTarget();
  PostgresTarget(const PostgresTarget&);
  PostgresTarget& operator=(const PostgresTarget&) = delete;

  [[nodiscard]] const std::string& uri() const noexcept { return uri_; }
  [[nodiscard]] const std::string& shown() const noexcept { return shown_; }
  // `text` with every secret of the target replaced by [REDACTED].
  [[nodiscard]] std::string scrubbed(std::string text) const;
  // Connects with bounded waits (connect_timeout 5 s, tcp_user_timeout and statement_timeout 5 s)
  // and synchronous_commit off, unless the URI sets them: a stalled database holds a request for
  // seconds, not for ever. Throws DatabaseUnavailable.
  [[nodiscard]] pg_conn* connect() const;

 private:
  std::string uri_;
  std::string shown_;
  std::unique_ptr<SecretValues> secrets_;
};

// A PGresult owned for its scope.
class PgResult {
 public:
  explicit PgResult(pg_result* result) noexcept : result_(result) {}
  ~PgResult();
  PgResult(PgResult&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;
  PgResult& operator=(PgResult&&) = delete;

  [[nodiscard]] int rows() const;
  [[nodiscard]] bool null(int row, int column) const;
  [[nodiscard]] std::string text(int row, int column) const;
  [[nodiscard]] double number(int row, int column) const;  // 0 when NULL
  [[nodiscard]] int64_t whole(int row, int column) const;  // 0 when NULL

 private:
  pg_result* result_;
};

// Runs `sql` with text parameters (nullptr: SQL NULL); DatabaseUnavailable unless it succeeded.
PgResult run_sql(pg_conn* connection, const PostgresTarget& target, std::string_view sql,
                 const std::vector<const char*>& parameters = {});
// The same for a statement prepared on the connection under `name`.
PgResult run_prepared(pg_conn* connection, const PostgresTarget& target, const char* name,
                      const std::vector<const char*>& parameters);

// PQprepare of `sql` as `name` on the connection; DatabaseUnavailable when it fails.
void prepare_statement(pg_conn* connection, const PostgresTarget& target, const char* name, const char* sql);

// Up to `max_connections` connections, opened when first needed and kept. Thread-safe: a caller
// waits for a free connection for at most `wait`. A connection that broke is closed and the work
// retried once on a new one (the server restarted). After a failed connect no new attempt is made
// for `pause`: while the database is down, callers fail at once rather than each waiting out a
// connect timeout.
class PostgresPool {
 public:
  struct Options {
    std::size_t max_connections = 4;
    std::chrono::milliseconds wait{5000};
    std::chrono::milliseconds pause{1000};
  };
  // `prepare` runs on every new connection (PQprepare of its statements).
  PostgresPool(PostgresTarget target, Options options, std::function<void(pg_conn*)> prepare);
  ~PostgresPool();
  PostgresPool(const PostgresPool&) = delete;
  PostgresPool& operator=(const PostgresPool&) = delete;

  // Runs `work` on a connection. Throws DatabaseUnavailable.
  void with_connection(const std::function<void(pg_conn*)>& work);
  [[nodiscard]] const PostgresTarget& target() const noexcept { return target_; }
  // Empty while the database answers; else the last failure.
  [[nodiscard]] std::string problem() const;

 private:
  pg_conn* take();
  void give_back(pg_conn* connection, bool broken);
  void note(std::string problem);

  PostgresTarget target_;
  Options options_;
  std::function<void(pg_conn*)> prepare_;
  mutable std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<pg_conn*> idle_;
  std::size_t open_ = 0;
  std::chrono::steady_clock::time_point no_connect_before_{};
  std::string problem_;
};

}  // namespace majordomo::gateway
