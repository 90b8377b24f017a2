// The call log's sinks (libmajordomo-logsinks.so in a shared build): SQLite on Poco::Data here, PostgreSQL on libpq in log_sink_postgres.cpp.
#include <majordomo/logging.hpp>

#include "log_schema.hpp"
#include "log_sink_postgres.hpp"
#include "log_sinks_module.hpp"
#include "log_sql.hpp"
#include "log_targets.hpp"

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>
#include <Poco/Nullable.h>

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <optional>
#include <vector>

namespace majordomo {
namespace {

using namespace Poco::Data::Keywords;
using log_targets::Dialect;
using log_targets::LogTarget;
using log_targets::parse_target;

void register_connector() {
  static std::once_flag once;
  std::call_once(once, [] { Poco::Data::SQLite::Connector::registerConnector(); });
}

// A database error's text without the target's password (libpq may echo connection details).
std::string database_error(const LogTarget& target, const std::exception& error) {
  std::string text = error.what();
  if (const auto* poco = dynamic_cast<const Poco::Exception*>(&error)) text = poco->displayText();
  target.secrets.scrub(text);  // short ones where they stand as values ("password=x")
  return text;
}

constexpr std::size_t kSqliteOpenTimeoutSeconds = 5;

class SqliteSink final : public LogSink {
 public:
  explicit SqliteSink(LogTarget target)
      : target_(std::move(target)), insert_(log_sql::insert_sql(Dialect::sqlite)) {
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
        // The file cannot be used now; reconnect() starts over.
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
    register_connector();
    try {
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
      session_->begin();
      for (const auto& statement : log_sql::statements_of(log_schema::sqlite)) *session_ << statement, now;
      add_missing_columns();
      session_->commit();
    } catch (const std::exception& error) {
      session_.reset();
      throw_configuration_error(fmt::format("cannot open the call log {}: {}", target_.shown,
                                            database_error(target_, error)));
    }
  }

  // A file made by an older majordomo lacks the columns added since (0.5); SQLite's ALTER TABLE
  // has no IF NOT EXISTS, so the table's columns are read first.
  void add_missing_columns() {
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

  // Binds the statement's placeholders to current_ and the cost holders, in log_sql::kColumns order.
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

// The newest `count` rows of a SQLite log, newest first.
std::vector<LogRecord> newest_sqlite_rows(const LogTarget& target, std::size_t count) {
  register_connector();
  Poco::Data::Session session("SQLite", target.connection, kSqliteOpenTimeoutSeconds);
  bool has_0_5_columns = false;
  {
    Poco::Data::Statement probe(session);
    probe << "SELECT count(*) FROM pragma_table_info('majordomo_calls') WHERE name = 'request_extras'", now;
    Poco::Data::RecordSet found(probe);
    has_0_5_columns = found.moveFirst() && found.value(0).convert<int64_t>() > 0;
  }
  Poco::Data::Statement select(session);
  select << log_sql::select_sql(Dialect::sqlite, count, has_0_5_columns), now;
  Poco::Data::RecordSet rows(select);
  std::vector<LogRecord> out;
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
  return out;
}

std::unique_ptr<LogSink> open_database_sink(std::string_view text) {
  LogTarget target = parse_target(text);
  if (target.dialect == Dialect::postgresql) return log_sink_postgres::open_sink(std::move(target));
  return std::make_unique<SqliteSink>(std::move(target));
}

std::vector<LogRecord> read_database_log(std::string_view text, std::size_t count) {
  const LogTarget target = parse_target(text);
  if (target.dialect == Dialect::sqlite) {
    std::error_code error;
    if (!std::filesystem::is_regular_file(target.connection, error)) {
      throw_configuration_error(fmt::format("no call log at {}: the file does not exist (log calls with "
                                            "`majordomo ask --log {}` first)",
                                            target.shown, target.shown));
    }
  }
  std::vector<LogRecord> out;
  try {
    out = target.dialect == Dialect::postgresql ? log_sink_postgres::newest_rows(target, count)
                                                : newest_sqlite_rows(target, count);
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
