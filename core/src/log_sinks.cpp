// The call log's SQLite and PostgreSQL sinks on Poco::Data: schema, inserts and reads (libmajordomo-logsinks.so in a shared build).
#include <majordomo/logging.hpp>

#include "log_schema.hpp"
#include "log_sinks_module.hpp"
#include "log_targets.hpp"

#include <Poco/Data/PostgreSQL/Connector.h>
#include <Poco/Data/RecordSet.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>
#include <Poco/Nullable.h>

#include <fmt/format.h>

#include <libpq-fe.h>

#include <algorithm>
#include <filesystem>
#include <iterator>
#include <mutex>
#include <optional>
#include <vector>

namespace majordomo {
namespace {

using namespace Poco::Data::Keywords;
using log_targets::Dialect;
using log_targets::LogTarget;
using log_targets::parse_target;

// The columns of majordomo_calls that a row fills, in insert and select order.
constexpr std::string_view kColumns[] = {
    "request_id", "created_at", "provider", "model", "served_by", "response_model", "alias",
    "operation", "format", "status", "error_kind", "error_message", "http_status", "response_time_s",
    "input_tokens", "output_tokens", "cached_tokens", "cache_write_tokens", "reasoning_tokens",
    "input_cost", "output_cost", "total_cost", "stop_reason", "attempts", "failed_attempt_count",
    "failed_attempts", "warnings", "api_key_hash", "metadata", "request_body_key", "response_body_key",
    "provider_request_id", "tool_calls", "request_extras"};

bool is_json_column(std::string_view column) {
  return column == "failed_attempts" || column == "warnings" || column == "metadata" || column == "tool_calls" ||
         column == "request_extras";
}

void register_connectors() {
  static std::once_flag once;
  std::call_once(once, [] {
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::PostgreSQL::Connector::registerConnector();
  });
}


// A database error's text without the target's password (libpq may echo connection details).
std::string database_error(const LogTarget& target, const std::exception& error) {
  std::string text = error.what();
  if (const auto* poco = dynamic_cast<const Poco::Exception*>(&error)) text = poco->displayText();
  target.secrets.scrub(text);  // short ones where they stand as values ("password=x")
  return text;
}

// Connects with libpq alone first: its message says what is wrong (Poco's says "PostgreSQL"), and
// Poco 1.11 leaks the connection object of a failed connect, which this way happens only in a race.
void probe_postgresql(const LogTarget& target) {
  PGconn* connection = PQconnectdb(target.connection.c_str());
  std::string problem;
  if (connection == nullptr) {
    problem = "out of memory";
  } else if (PQstatus(connection) != CONNECTION_OK) {
    problem = PQerrorMessage(connection);
    while (!problem.empty() && (problem.back() == '\n' || problem.back() == ' ')) problem.pop_back();
  }
  PQfinish(connection);
  if (!problem.empty()) throw std::runtime_error(problem);
}

// The schema file split into statements (the files have no ';' inside literals).
std::vector<std::string> statements_of(std::string_view script) {
  std::vector<std::string> out;
  std::string current;
  std::size_t at = 0;
  while (at < script.size()) {
    std::size_t end = script.find('\n', at);
    if (end == std::string_view::npos) end = script.size();
    std::string_view line = script.substr(at, end - at);
    at = end + 1;
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string_view::npos || line.substr(first, 2) == "--") continue;
    for (char c : line) {
      if (c == ';') {
        out.push_back(current);
        current.clear();
      } else {
        current += c;
      }
    }
    current += '\n';
  }
  if (current.find_first_not_of(" \t\r\n") != std::string::npos) out.push_back(current);
  return out;
}

std::string insert_sql(Dialect dialect) {
  std::string names, values;
  for (std::size_t i = 0; i < std::size(kColumns); ++i) {
    const std::string_view column = kColumns[i];
    if (i > 0) {
      names += ", ";
      values += ", ";
    }
    names += column;
    if (dialect == Dialect::sqlite) {
      values += '?';
    } else {
      values += fmt::format("${}", i + 1);
      if (is_json_column(column)) values += "::jsonb";
      if (column == "created_at") values += "::timestamptz";
    }
  }
  return fmt::format("INSERT INTO majordomo_calls ({}) VALUES ({})", names, values);
}

// The 0.5 columns: a log written only by an older majordomo lacks them until a 0.5 writer opens
// it, and reading it must still work (the rows then read "[]" and "{}").
bool added_in_0_5(std::string_view column) { return column == "tool_calls" || column == "request_extras"; }

std::string select_sql(Dialect dialect, std::size_t count, bool has_0_5_columns) {
  std::string names;
  for (std::size_t i = 0; i < std::size(kColumns); ++i) {
    const std::string_view column = kColumns[i];
    if (i > 0) names += ", ";
    if (!has_0_5_columns && added_in_0_5(column)) {
      names += fmt::format("'{}' AS {}", column == "tool_calls" ? "[]" : "{}", column);
      continue;
    }
    if (dialect == Dialect::postgresql && column == "created_at") {
      names += "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS created_at";
    } else if (dialect == Dialect::postgresql && is_json_column(column)) {
      names += fmt::format("{0}::text AS {0}", column);
    } else {
      names += column;
    }
  }
  return fmt::format("SELECT {} FROM majordomo_calls ORDER BY id DESC LIMIT {}", names, count);
}

constexpr std::size_t kSqliteOpenTimeoutSeconds = 5;

class DatabaseSink final : public LogSink {
 public:
  explicit DatabaseSink(LogTarget target) : target_(std::move(target)), insert_(insert_sql(target_.dialect)) {
    open();
  }

  void write(const std::vector<LogRecord>& rows) override {
    try {
      if (!session_) open();  // a reconnect that failed left no session: try again with this batch
      session_->begin();
      Poco::Data::Statement insert(*session_);
      insert << insert_;
      bind(insert);
      for (const auto& row : rows) {
        current_ = row;
        input_cost_ = nullable(row.input_cost);
        output_cost_ = nullable(row.output_cost);
        total_cost_ = nullable(row.total_cost);
        insert.execute();
      }
      session_->commit();
    } catch (const std::exception& error) {
      try {
        if (session_ && session_->isTransaction()) session_->rollback();
      } catch (const std::exception&) {
        // The connection is gone; reconnect() starts over.
      }
      throw std::runtime_error(fmt::format("writing to the call log {} failed: {}", target_.shown,
                                           database_error(target_, error)));
    }
  }

  void reconnect() override {
    session_.reset();
    open();
  }

 private:
  static Poco::Nullable<double> nullable(const std::optional<double>& value) {
    return value ? Poco::Nullable<double>(*value) : Poco::Nullable<double>();
  }

  void open() {
    register_connectors();
    try {
      if (target_.dialect == Dialect::sqlite) {
        // Poco retries a failed open until its login timeout (60 s by default) runs out.
        const auto dir = std::filesystem::absolute(target_.connection).parent_path();
        std::error_code error;
        if (!std::filesystem::is_directory(dir, error)) {
          throw std::runtime_error(fmt::format("the directory {} does not exist; create it first", dir.string()));
        }
        session_.emplace("SQLite", target_.connection, kSqliteOpenTimeoutSeconds);
        // Wait for other writers (several processes may share the file) instead of failing.
        session_->setConnectionTimeout(10);
        *session_ << "PRAGMA journal_mode=WAL", now;
      } else {
        probe_postgresql(target_);
        session_.emplace("PostgreSQL", target_.connection);
        // "already exists, skipping" notices of the schema script would land on stderr.
        *session_ << "SET client_min_messages TO warning", now;
      }
      session_->begin();
      const auto script = target_.dialect == Dialect::sqlite ? log_schema::sqlite : log_schema::postgresql;
      const std::vector<std::string> present =
          target_.dialect == Dialect::postgresql ? postgresql_columns() : std::vector<std::string>{};
      for (const auto& statement : statements_of(script)) {
        // ALTER TABLE takes an exclusive lock before it looks for the column: on a shared log
        // every start would queue behind readers and stall every writer. Only a missing column
        // is added.
        if (adds_present_column(statement, present)) continue;
        *session_ << statement, now;
      }
      if (target_.dialect == Dialect::sqlite) add_missing_sqlite_columns();
      session_->commit();
    } catch (const std::exception& error) {
      session_.reset();
      throw_configuration_error(fmt::format("cannot open the call log {}: {}", target_.shown,
                                            database_error(target_, error)));
    }
  }

  // The columns majordomo_calls has now (none when it does not exist yet).
  std::vector<std::string> postgresql_columns() {
    Poco::Data::Statement select(*session_);
    select << "SELECT column_name FROM information_schema.columns WHERE table_name = 'majordomo_calls'", now;
    Poco::Data::RecordSet columns(select);
    std::vector<std::string> names;
    for (std::size_t row = 0; row < columns.rowCount(); ++row) names.push_back(columns.value(0, row).convert<std::string>());
    return names;
  }

  static bool adds_present_column(std::string_view statement, const std::vector<std::string>& present) {
    constexpr std::string_view kAdd = "ALTER TABLE majordomo_calls ADD COLUMN IF NOT EXISTS ";
    const auto first = statement.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos || statement.substr(first, kAdd.size()) != kAdd) return false;
    const std::string_view rest = statement.substr(first + kAdd.size());
    const std::string_view column = rest.substr(0, rest.find(' '));
    return std::find(present.begin(), present.end(), column) != present.end();
  }

  // A file made by an older majordomo lacks the columns added since (0.5); SQLite's ALTER TABLE
  // has no IF NOT EXISTS, so the table's columns are read first.
  void add_missing_sqlite_columns() {
    Poco::Data::Statement select(*session_);
    select << "PRAGMA table_info(majordomo_calls)", now;
    Poco::Data::RecordSet columns(select);
    std::vector<std::string> names;
    for (std::size_t row = 0; row < columns.rowCount(); ++row) names.push_back(columns.value("name", row).convert<std::string>());
    const std::pair<std::string_view, std::string_view> added[] = {{"tool_calls", "'[]'"}, {"request_extras", "'{}'"}};
    for (const auto& [name, empty] : added) {
      if (std::find(names.begin(), names.end(), name) != names.end()) continue;
      *session_ << fmt::format("ALTER TABLE majordomo_calls ADD COLUMN {} TEXT NOT NULL DEFAULT {}", name, empty), now;
    }
  }

  // Binds the statement's placeholders to current_ and the cost holders, in kColumns order.
  void bind(Poco::Data::Statement& insert) {
    LogRecord& r = current_;
    insert, use(r.request_id), use(r.created_at), use(r.provider), use(r.model), use(r.served_by),
        use(r.response_model), use(r.alias), use(r.operation), use(r.format), use(r.status),
        use(r.error_kind), use(r.error_message), use(r.http_status), use(r.response_time_s),
        use(r.input_tokens), use(r.output_tokens), use(r.cached_tokens), use(r.cache_write_tokens),
        use(r.reasoning_tokens), use(input_cost_), use(output_cost_), use(total_cost_),
        use(r.stop_reason), use(r.attempts), use(r.failed_attempt_count), use(r.failed_attempts),
        use(r.warnings), use(r.api_key_hash), use(r.metadata), use(r.request_body_key),
        use(r.response_body_key), use(r.provider_request_id), use(r.tool_calls), use(r.request_extras);
  }

  LogTarget target_;
  std::string insert_;
  std::optional<Poco::Data::Session> session_;
  LogRecord current_;
  Poco::Nullable<double> input_cost_, output_cost_, total_cost_;
};

template <class T>
T column_value(Poco::Data::RecordSet& rows, std::string_view column) {
  const std::string name(column);
  if (rows.isNull(name)) return T{};
  return rows[name].convert<T>();
}

std::unique_ptr<LogSink> open_database_sink(std::string_view target) {
  return std::make_unique<DatabaseSink>(parse_target(target));
}

std::vector<LogRecord> read_database_log(std::string_view text, std::size_t count) {
  const LogTarget target = parse_target(text);
  register_connectors();
  std::vector<LogRecord> out;
  if (target.dialect == Dialect::sqlite) {
    std::error_code error;
    if (!std::filesystem::is_regular_file(target.connection, error)) {
      throw_configuration_error(fmt::format("no call log at {}: the file does not exist (log calls with "
                                            "`majordomo ask --log {}` first)",
                                            target.shown, target.shown));
    }
  }
  try {
    if (target.dialect == Dialect::postgresql) probe_postgresql(target);
    Poco::Data::Session session(target.dialect == Dialect::sqlite ? "SQLite" : "PostgreSQL", target.connection,
                                kSqliteOpenTimeoutSeconds);
    bool has_0_5_columns = false;
    {
      Poco::Data::Statement probe(session);
      probe << (target.dialect == Dialect::sqlite
                    ? "SELECT count(*) FROM pragma_table_info('majordomo_calls') WHERE name = 'request_extras'"
                    : "SELECT count(*) FROM information_schema.columns WHERE table_name = 'majordomo_calls' AND "
                      "column_name = 'request_extras'"),
          now;
      Poco::Data::RecordSet found(probe);
      has_0_5_columns = found.moveFirst() && found.value(0).convert<int64_t>() > 0;
    }
    Poco::Data::Statement select(session);
    select << select_sql(target.dialect, count, has_0_5_columns), now;
    Poco::Data::RecordSet rows(select);
    for (bool more = rows.moveFirst(); more; more = rows.moveNext()) {
      LogRecord row;
      row.request_id = column_value<std::string>(rows, "request_id");
      row.created_at = column_value<std::string>(rows, "created_at");
      row.provider = column_value<std::string>(rows, "provider");
      row.model = column_value<std::string>(rows, "model");
      row.served_by = column_value<std::string>(rows, "served_by");
      row.response_model = column_value<std::string>(rows, "response_model");
      row.alias = column_value<std::string>(rows, "alias");
      row.operation = column_value<std::string>(rows, "operation");
      row.format = column_value<std::string>(rows, "format");
      row.status = column_value<std::string>(rows, "status");
      row.error_kind = column_value<std::string>(rows, "error_kind");
      row.error_message = column_value<std::string>(rows, "error_message");
      row.http_status = column_value<int64_t>(rows, "http_status");
      row.response_time_s = column_value<double>(rows, "response_time_s");
      row.input_tokens = column_value<int64_t>(rows, "input_tokens");
      row.output_tokens = column_value<int64_t>(rows, "output_tokens");
      row.cached_tokens = column_value<int64_t>(rows, "cached_tokens");
      row.cache_write_tokens = column_value<int64_t>(rows, "cache_write_tokens");
      row.reasoning_tokens = column_value<int64_t>(rows, "reasoning_tokens");
      for (auto [column, cost] : {std::pair{"input_cost", &row.input_cost}, std::pair{"output_cost", &row.output_cost},
                                  std::pair{"total_cost", &row.total_cost}}) {
        if (!rows.isNull(column)) *cost = rows[column].convert<double>();
      }
      row.stop_reason = column_value<std::string>(rows, "stop_reason");
      row.attempts = column_value<int64_t>(rows, "attempts");
      row.failed_attempt_count = column_value<int64_t>(rows, "failed_attempt_count");
      row.failed_attempts = column_value<std::string>(rows, "failed_attempts");
      row.warnings = column_value<std::string>(rows, "warnings");
      row.api_key_hash = column_value<std::string>(rows, "api_key_hash");
      row.metadata = column_value<std::string>(rows, "metadata");
      row.request_body_key = column_value<std::string>(rows, "request_body_key");
      row.response_body_key = column_value<std::string>(rows, "response_body_key");
      row.provider_request_id = column_value<std::string>(rows, "provider_request_id");
      row.tool_calls = column_value<std::string>(rows, "tool_calls");
      row.request_extras = column_value<std::string>(rows, "request_extras");
      out.push_back(std::move(row));
    }
  } catch (const Error&) {
    throw;
  } catch (const std::exception& error) {
    throw_configuration_error(fmt::format("cannot read the call log {}: {}", target.shown,
                                          database_error(target, error)));
  }
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace

namespace log_sinks {

const LogSinksApi& database_sinks() {
  static const LogSinksApi api{kApiVersion,        sizeof(LogSinksApi), MAJORDOMO_VERSION_STRING,
                               sizeof(LogRecord), &open_database_sink, &read_database_log};
  return api;
}

}  // namespace log_sinks
}  // namespace majordomo

#ifdef MAJORDOMO_LOG_SINKS_AS_MODULE
// The module's entry (core/cmake/log_sinks_module.map exports nothing else).
extern "C" __attribute__((visibility("default"))) const majordomo::log_sinks::LogSinksApi* majordomo_log_sinks_v1(
    std::size_t caller_struct_size) noexcept {
  const majordomo::log_sinks::LogSinksApi& api = majordomo::log_sinks::database_sinks();
  return caller_struct_size <= api.struct_size ? &api : nullptr;
}
#endif
