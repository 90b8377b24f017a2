// The call log's PostgreSQL sink on libpq: schema and its migrations, batched inserts, reads; every connection and result owned.
#include "log_sink_postgres.hpp"

#include "log_schema.hpp"
#include "log_sql.hpp"

#include <majordomo/errors.hpp>

#include <fmt/format.h>

#include <libpq-fe.h>

#include <array>
#include <charconv>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace majordomo::log_sink_postgres {
namespace {

using log_sql::kColumnCount;
using log_sql::kColumns;
using log_targets::Dialect;
using log_targets::LogTarget;

// Owners, so that no path forgets one: every connection is finished, broken or not (Poco 1.11,
// which this sink was written on before, skipped PQfinish for a connection the server had broken
// and so leaked one per outage: docs/decisions.md), and every result is cleared.
struct FinishConnection {
  void operator()(PGconn* connection) const noexcept { PQfinish(connection); }
};
struct ClearResult {
  void operator()(PGresult* result) const noexcept { PQclear(result); }
};
using Connection = std::unique_ptr<PGconn, FinishConnection>;
using Result = std::unique_ptr<PGresult, ClearResult>;

// The insert's name on each connection, where it is prepared once: a row then costs one round
// trip and no parse.
constexpr const char* kInsertName = "majordomo_insert_call";

// libpq's messages end in a newline; some have a second line ("…failed: Connection refused\n\tIs
// the server running…"), kept as libpq wrote it.
std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\t')) text.pop_back();
  return text;
}

std::string scrubbed(const LogTarget& target, std::string text) {
  target.secrets.scrub(text);  // short ones where they stand as values ("password=x")
  return text;
}

// libpq's own message names the problem (refused, unknown host, bad password).
Connection connect(const LogTarget& target) {
  Connection connection(PQconnectdb(target.connection.c_str()));
  if (!connection) throw std::runtime_error("out of memory");
  if (PQstatus(connection.get()) != CONNECTION_OK) throw std::runtime_error(trimmed(PQerrorMessage(connection.get())));
  return connection;
}

// Owns `raw` and returns it when the statement succeeded; otherwise throws libpq's message.
Result succeeded(PGconn* connection, PGresult* raw) {
  Result result(raw);
  const ExecStatusType status = PQresultStatus(result.get());
  if (result && (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)) return result;
  std::string message = trimmed(result ? PQresultErrorMessage(result.get()) : "");
  // A lost connection may leave the result without a message of its own.
  if (message.empty()) message = trimmed(PQerrorMessage(connection));
  if (message.empty()) message = fmt::format("the server answered {}", PQresStatus(status));
  throw std::runtime_error(message);
}

Result run(PGconn* connection, const std::string& sql) { return succeeded(connection, PQexec(connection, sql.c_str())); }

// The columns majordomo_calls has now (none when it does not exist yet).
std::vector<std::string> table_columns(PGconn* connection) {
  const Result result =
      run(connection, "SELECT column_name FROM information_schema.columns WHERE table_name = 'majordomo_calls' "
          "AND table_schema = current_schema()");
  std::vector<std::string> names;
  for (int row = 0; row < PQntuples(result.get()); ++row) names.emplace_back(PQgetvalue(result.get(), row, 0));
  return names;
}

// The insert's parameters for one row, in log_sql::kColumns order, all in text format: the row's
// own texts in place, numbers formatted here (shortest text that reads back as the same double),
// NULL for a cost that is not known. Valid while the row lives; never moved, so its pointers hold.
class InsertParameters {
 public:
  explicit InsertParameters(const LogRecord& row) {
    text(row.request_id);
    text(row.created_at);
    text(row.provider);
    text(row.model);
    text(row.served_by);
    text(row.response_model);
    text(row.alias);
    text(row.operation);
    text(row.format);
    text(row.status);
    text(row.error_kind);
    text(row.error_message);
    whole(row.http_status);
    number(row.response_time_s);
    whole(row.input_tokens);
    whole(row.output_tokens);
    whole(row.cached_tokens);
    whole(row.cache_write_tokens);
    whole(row.reasoning_tokens);
    cost(row.input_cost);
    cost(row.output_cost);
    cost(row.total_cost);
    text(row.stop_reason);
    whole(row.attempts);
    whole(row.failed_attempt_count);
    text(row.failed_attempts);
    text(row.warnings);
    text(row.api_key_hash);
    text(row.metadata);
    text(row.request_body_key);
    text(row.response_body_key);
    text(row.provider_request_id);
    text(row.tool_calls);
    text(row.request_extras);
    if (next_ != kColumnCount) throw std::logic_error("the insert's parameters do not match log_sql::kColumns");
  }
  InsertParameters(const InsertParameters&) = delete;
  InsertParameters& operator=(const InsertParameters&) = delete;

  const char* const* values() const noexcept { return values_.data(); }

 private:
  void text(const std::string& value) { values_.at(next_++) = value.c_str(); }
  void whole(int64_t value) { formatted(fmt::format("{}", value)); }
  void number(double value) { formatted(fmt::format("{}", value)); }
  void cost(const std::optional<double>& value) {
    if (value) {
      number(*value);
    } else {
      values_.at(next_++) = nullptr;  // SQL NULL
    }
  }
  void formatted(std::string value) {
    numbers_.at(next_) = std::move(value);
    values_.at(next_) = numbers_[next_].c_str();
    ++next_;
  }

  std::array<const char*, kColumnCount> values_{};
  std::array<std::string, kColumnCount> numbers_;  // indexed by column, like values_
  std::size_t next_ = 0;
};

class PostgresSink final : public LogSink {
 public:
  explicit PostgresSink(LogTarget target)
      : target_(std::move(target)), insert_(log_sql::insert_sql(Dialect::postgresql)) {
    open();
  }

  // The batch in one transaction.
  void write(const std::vector<LogRecord>& rows) override {
    try {
      if (!connection_) open();  // a reconnect that failed left no connection: try again with this batch
      PGconn* connection = connection_.get();
      run(connection, "BEGIN");
      for (const auto& row : rows) {
        const InsertParameters parameters(row);
        succeeded(connection, PQexecPrepared(connection, kInsertName, static_cast<int>(kColumnCount),
                                             parameters.values(), nullptr, nullptr, 0));
      }
      run(connection, "COMMIT");
    } catch (const std::exception& error) {
      leave_failed_transaction();
      throw std::runtime_error(
          fmt::format("writing to the call log {} failed: {}", target_.shown, scrubbed(target_, error.what())));
    }
  }

  void reconnect() override {
    connection_.reset();
    open();
  }

 private:
  // Connects and brings the table up to this version's schema; on any failure no connection is
  // kept (the one being opened is finished) and the next write() opens again.
  void open() {
    connection_.reset();
    try {
      Connection connection = connect(target_);
      PGconn* raw = connection.get();
      // "already exists, skipping" notices of the schema script would land on stderr.
      run(raw, "SET client_min_messages TO warning");
      run(raw, "BEGIN");
      const std::vector<std::string> present = table_columns(raw);
      for (const auto& statement : log_sql::statements_of(log_schema::postgresql)) {
        if (log_sql::adds_present_column(statement, present)) continue;
        run(raw, statement);
      }
      run(raw, "COMMIT");
      succeeded(raw, PQprepare(raw, kInsertName, insert_.c_str(), 0, nullptr));
      connection_ = std::move(connection);
    } catch (const std::exception& error) {
      throw_configuration_error(
          fmt::format("cannot open the call log {}: {}", target_.shown, scrubbed(target_, error.what())));
    }
  }

  // After a failed write: a connection the server broke is finished now; a live one rolls its
  // transaction back so that it can take the next batch. Errors here change nothing: reconnect()
  // starts over.
  void leave_failed_transaction() noexcept {
    if (!connection_) return;
    if (PQstatus(connection_.get()) != CONNECTION_OK) {
      connection_.reset();
      return;
    }
    if (PQtransactionStatus(connection_.get()) != PQTRANS_IDLE) {
      const Result rolled_back(PQexec(connection_.get(), "ROLLBACK"));
    }
  }

  LogTarget target_;
  std::string insert_;
  Connection connection_;
};

int column_of(std::string_view name) {
  for (std::size_t i = 0; i < kColumnCount; ++i) {
    if (kColumns[i] == name) return static_cast<int>(i);
  }
  throw std::logic_error(fmt::format("{} is not a column of log_sql::kColumns", name));
}

std::string_view cell(const PGresult* result, int row, int column) {
  return {PQgetvalue(result, row, column), static_cast<std::size_t>(PQgetlength(result, row, column))};
}

// A number column as text, read without the C locale's help (from_chars ignores LC_NUMERIC).
template <class Number>
Number number_at(const PGresult* result, int row, int column) {
  if (PQgetisnull(result, row, column) != 0) return Number{};
  const std::string_view text = cell(result, row, column);
  Number value{};
  const auto [stop, problem] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (problem != std::errc() || stop != text.data() + text.size()) {
    throw std::runtime_error(fmt::format("column {} holds '{}', which is not a number", PQfname(result, column), text));
  }
  return value;
}

}  // namespace

std::unique_ptr<LogSink> open_sink(LogTarget target) { return std::make_unique<PostgresSink>(std::move(target)); }

std::vector<LogRecord> newest_rows(const LogTarget& target, std::size_t count) {
  const Connection connection = connect(target);
  PGconn* raw = connection.get();
  const Result found = run(raw,
                           "SELECT count(*) FROM information_schema.columns WHERE table_name = 'majordomo_calls' AND "
                           "table_schema = current_schema() AND "
                           "column_name = 'request_extras'");
  const bool has_0_5_columns = PQntuples(found.get()) > 0 && number_at<int64_t>(found.get(), 0, 0) > 0;
  const Result result = run(raw, log_sql::select_sql(Dialect::postgresql, count, has_0_5_columns));
  const PGresult* rows = result.get();
  if (PQnfields(rows) != static_cast<int>(kColumnCount)) throw std::logic_error("the select's columns are not log_sql::kColumns");
  std::vector<LogRecord> out;
  out.reserve(static_cast<std::size_t>(PQntuples(rows)));
  for (int at = 0; at < PQntuples(rows); ++at) {
    // NULL reads as the empty value of the field's type, except for the costs.
    const auto text = [&](std::string_view column) { return std::string(cell(rows, at, column_of(column))); };
    const auto whole = [&](std::string_view column) { return number_at<int64_t>(rows, at, column_of(column)); };
    const auto number = [&](std::string_view column) { return number_at<double>(rows, at, column_of(column)); };
    const auto cost = [&](std::string_view column) -> std::optional<double> {
      if (PQgetisnull(rows, at, column_of(column)) != 0) return std::nullopt;
      return number(column);
    };
    LogRecord row;
    row.request_id = text("request_id");
    row.created_at = text("created_at");
    row.provider = text("provider");
    row.model = text("model");
    row.served_by = text("served_by");
    row.response_model = text("response_model");
    row.alias = text("alias");
    row.operation = text("operation");
    row.format = text("format");
    row.status = text("status");
    row.error_kind = text("error_kind");
    row.error_message = text("error_message");
    row.http_status = whole("http_status");
    row.response_time_s = number("response_time_s");
    row.input_tokens = whole("input_tokens");
    row.output_tokens = whole("output_tokens");
    row.cached_tokens = whole("cached_tokens");
    row.cache_write_tokens = whole("cache_write_tokens");
    row.reasoning_tokens = whole("reasoning_tokens");
    row.input_cost = cost("input_cost");
    row.output_cost = cost("output_cost");
    row.total_cost = cost("total_cost");
    row.stop_reason = text("stop_reason");
    row.attempts = whole("attempts");
    row.failed_attempt_count = whole("failed_attempt_count");
    row.failed_attempts = text("failed_attempts");
    row.warnings = text("warnings");
    row.api_key_hash = text("api_key_hash");
    row.metadata = text("metadata");
    row.request_body_key = text("request_body_key");
    row.response_body_key = text("response_body_key");
    row.provider_request_id = text("provider_request_id");
    row.tool_calls = text("tool_calls");
    row.request_extras = text("request_extras");
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace majordomo::log_sink_postgres
