// libpq for the gateway: postgresql:// targets shown without secrets, results owned, and a small bounded connection pool.
#include "postgres_pool.hpp"

#include "secret_values.hpp"

#include <majordomo/errors.hpp>

#include <fmt/format.h>

#include "libpq_functions.hpp"

#include <cstdlib>

namespace majordomo::gateway {
namespace {

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\t')) text.pop_back();
  return text;
}

// libpq's multi-line messages ("…failed: Connection refused\n\tIs the server running…") as one line,
// so that a log line stays one line.
std::string one_line(std::string text) {
  text = trimmed(std::move(text));
  std::string out;
  out.reserve(text.size());
  bool space = false;
  for (const char c : text) {
    if (c == '\n' || c == '\t' || c == '\r' || c == ' ') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

}  // namespace

PostgresTarget::PostgresTarget(std::string uri, std::string_view key)
    : uri_(std::move(uri)), secrets_(std::make_unique<SecretValues>()) {
  secrets_->add_url_userinfo(uri_);
  if (!uri_.starts_with("postgresql://") && !uri_.starts_with("postgres://")) {
    throw_configuration_error(fmt::format("{}: must be a postgresql://user@host:port/dbname URI", key));
  }
  char* problem = nullptr;
  PQconninfoOption* options = libpq().conninfo_parse(uri_.c_str(), &problem);
  if (options == nullptr) {
    std::string reason = problem != nullptr ? one_line(problem) : std::string("out of memory");
    libpq().freemem(problem);
    throw_configuration_error(fmt::format("{}: is not a PostgreSQL URI libpq can read: {}", key, scrubbed(reason)));
  }
  std::string user, host, port, dbname;
  for (const PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
    if (option->val == nullptr) continue;
    const std::string_view name = option->keyword;
    if (name == "user") user = option->val;
    if (name == "host" || (name == "hostaddr" && host.empty())) host = option->val;
    if (name == "port") port = option->val;
    if (name == "dbname") dbname = option->val;
    // Every value that is a credential is scrubbed from libpq's messages wherever it shows.
    if (name == "password" || name == "sslpassword") secrets_->add(option->val);
  }
  libpq().conninfo_free(options);
  // Built from the parts, so no password (user info or parameter) can be in it.
  shown_ = fmt::format("postgresql://{}{}{}{}{}/{}", user, user.empty() ? "" : "@", host, port.empty() ? "" : ":",
                       port, dbname);
}

PostgresTarget::~PostgresTarget() = default;

PostgresTarget::PostgresTarget(const PostgresTarget& other)
    : uri_(other.uri_), shown_(other.shown_), secrets_(std::make_unique<SecretValues>(*other.secrets_)) {}

std::string PostgresTarget::scrubbed(std::string text) const {
  secrets_->scrub(text);
  return text;
}

pg_conn* PostgresTarget::connect() const {
  // Earlier keywords are defaults: the URI (expanded from "dbname") overrides them.
  // synchronous_commit=off: a counter increment need not wait for the disk; a database crash may
  // lose the last fraction of a second of counts, which a rate limit can afford.
  const char* const keywords[] = {"connect_timeout", "tcp_user_timeout", "options", "application_name", "dbname",
                                  nullptr};
  const char* const values[] = {"5", "5000", "-c statement_timeout=5000 -c synchronous_commit=off", "majordomo-gateway", uri_.c_str(),
                                nullptr};
  PGconn* connection = libpq().connectdb_params(keywords, values, 1);
  if (connection != nullptr && libpq().status(connection) == CONNECTION_OK) {
    // NOTICEs ("relation … already exists, skipping") would go to stderr, between the access log's lines.
    libpq().set_notice_processor(connection, [](void*, const char*) {}, nullptr);
    return connection;
  }
  const std::string reason = connection == nullptr ? "out of memory" : one_line(libpq().error_message(connection));
  libpq().finish(connection);
  throw DatabaseUnavailable(fmt::format("{}: {}", shown_, scrubbed(reason)));
}

PgResult::~PgResult() { libpq().clear(result_); }

int PgResult::rows() const { return libpq().ntuples(result_); }

bool PgResult::null(int row, int column) const { return libpq().getisnull(result_, row, column) != 0; }

std::string PgResult::text(int row, int column) const {
  const LibpqFunctions& pq = libpq();
  return std::string(pq.getvalue(result_, row, column), static_cast<std::size_t>(pq.getlength(result_, row, column)));
}

double PgResult::number(int row, int column) const {
  return null(row, column) ? 0.0 : std::strtod(libpq().getvalue(result_, row, column), nullptr);
}

int64_t PgResult::whole(int row, int column) const {
  return null(row, column) ? 0 : std::strtoll(libpq().getvalue(result_, row, column), nullptr, 10);
}

namespace {

PgResult checked(pg_conn* connection, const PostgresTarget& target, PGresult* result) {
  const ExecStatusType status = libpq().result_status(result);
  if (result != nullptr && (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)) return PgResult(result);
  const LibpqFunctions& pq = libpq();
  const std::string reason = one_line(result != nullptr ? pq.result_error_message(result) : pq.error_message(connection));
  libpq().clear(result);
  throw DatabaseUnavailable(fmt::format("{}: {}", target.shown(), target.scrubbed(reason)));
}

}  // namespace

PgResult run_sql(pg_conn* connection, const PostgresTarget& target, std::string_view sql,
                 const std::vector<const char*>& parameters) {
  const std::string statement(sql);
  if (parameters.empty()) return checked(connection, target, libpq().exec(connection, statement.c_str()));
  return checked(connection, target,
                 libpq().exec_params(connection, statement.c_str(), static_cast<int>(parameters.size()), nullptr,
                                     parameters.data(), nullptr, nullptr, 0));
}

PgResult run_prepared(pg_conn* connection, const PostgresTarget& target, const char* name,
                      const std::vector<const char*>& parameters) {
  return checked(connection, target,
                 libpq().exec_prepared(connection, name, static_cast<int>(parameters.size()), parameters.data(),
                                       nullptr, nullptr, 0));
}

void prepare_statement(pg_conn* connection, const PostgresTarget& target, const char* name, const char* sql) {
  PGresult* result = libpq().prepare(connection, name, sql, 0, nullptr);
  if (result != nullptr && libpq().result_status(result) == PGRES_COMMAND_OK) {
    libpq().clear(result);
    return;
  }
  const LibpqFunctions& pq = libpq();
  const std::string reason = one_line(result != nullptr ? pq.result_error_message(result) : pq.error_message(connection));
  libpq().clear(result);
  throw DatabaseUnavailable(fmt::format("{}: cannot prepare {}: {}", target.shown(), name, target.scrubbed(reason)));
}

// ---- PostgresPool ----

PostgresPool::PostgresPool(PostgresTarget target, Options options, std::function<void(pg_conn*)> prepare)
    : target_(std::move(target)), options_(options), prepare_(std::move(prepare)) {}

PostgresPool::~PostgresPool() {
  for (pg_conn* connection : idle_) libpq().finish(connection);
}

pg_conn* PostgresPool::take() {
  std::unique_lock lock(mutex_);
  const auto deadline = std::chrono::steady_clock::now() + options_.wait;
  for (;;) {
    if (!idle_.empty()) {
      pg_conn* connection = idle_.back();
      idle_.pop_back();
      return connection;
    }
    if (open_ < options_.max_connections) {
      if (std::chrono::steady_clock::now() < no_connect_before_) throw DatabaseUnavailable(problem_);
      ++open_;
      lock.unlock();
      pg_conn* connection = nullptr;
      try {
        connection = target_.connect();
        if (prepare_) prepare_(connection);
        return connection;
      } catch (const std::exception& error) {
        libpq().finish(connection);
        lock.lock();
        --open_;
        no_connect_before_ = std::chrono::steady_clock::now() + options_.pause;
        problem_ = error.what();
        returned_.notify_one();
        throw DatabaseUnavailable(problem_);
      }
    }
    if (returned_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= options_.max_connections) {
      throw DatabaseUnavailable(fmt::format("{}: all {} connections stayed busy for {} ms", target_.shown(),
                                            options_.max_connections, options_.wait.count()));
    }
  }
}

void PostgresPool::give_back(pg_conn* connection, bool broken) {
  if (broken) libpq().finish(connection);
  const std::lock_guard lock(mutex_);
  if (broken) {
    --open_;
  } else {
    idle_.push_back(connection);
  }
  returned_.notify_one();
}

void PostgresPool::note(std::string problem) {
  const std::lock_guard lock(mutex_);
  problem_ = std::move(problem);
}

void PostgresPool::with_connection(const std::function<void(pg_conn*)>& work) {
  for (int attempt = 0;; ++attempt) {
    pg_conn* connection = take();
    try {
      work(connection);
    } catch (const DatabaseUnavailable& error) {
      // A connection that broke (or was left inside a failed transaction) is not reused.
      const LibpqFunctions& pq = libpq();
      const bool broken = pq.status(connection) != CONNECTION_OK || pq.transaction_status(connection) != PQTRANS_IDLE;
      give_back(connection, broken);
      if (broken && attempt == 0) continue;  // the server may have restarted: once more, on a new connection
      note(error.what());
      throw;
    } catch (...) {
      give_back(connection, libpq().transaction_status(connection) != PQTRANS_IDLE);
      throw;
    }
    give_back(connection, false);
    const std::lock_guard lock(mutex_);
    problem_.clear();
    return;
  }
}

std::string PostgresPool::problem() const {
  const std::lock_guard lock(mutex_);
  return problem_;
}

}  // namespace majordomo::gateway
