// The PostgreSQL call log's sink on its own: a pre-0.5 table read and migrated, rows read back exactly, a refused batch, a restart.
#include "postgres_cluster.hpp"

#include <majordomo/errors.hpp>
#include <majordomo/logging.hpp>

#include <Poco/Data/PostgreSQL/Connector.h>
#include <Poco/Data/Session.h>

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

using namespace majordomo;
using namespace majordomo::testing;

namespace {

// trust authentication ignores it; it is here to be looked for in every message.
constexpr const char* kPassword = "pw-sink-secret-4417";

std::string target_of(const PostgresCluster& cluster) {
  return fmt::format("postgresql://test:{}@127.0.0.1:{}/postgres", kPassword, cluster.port());
}

// Asked of the database directly, not through the sink under test.
Poco::Data::Session session_of(const PostgresCluster& cluster) {
  static std::once_flag once;
  std::call_once(once, [] { Poco::Data::PostgreSQL::Connector::registerConnector(); });
  return Poco::Data::Session("PostgreSQL", cluster.connection());
}

int64_t count_of(const PostgresCluster& cluster, const std::string& sql) {
  Poco::Data::Session session = session_of(cluster);
  int64_t count = 0;
  session << sql, Poco::Data::Keywords::into(count), Poco::Data::Keywords::now;
  return count;
}

// The table as majordomo 0.4 made it (core/sql/postgresql.sql before tool_calls and request_extras).
constexpr const char* kTableOf0_4 = R"(CREATE TABLE majordomo_calls (
  id BIGSERIAL PRIMARY KEY, request_id TEXT NOT NULL UNIQUE, created_at TIMESTAMPTZ NOT NULL,
  provider TEXT NOT NULL, model TEXT NOT NULL, served_by TEXT NOT NULL, response_model TEXT NOT NULL,
  alias TEXT NOT NULL, operation TEXT NOT NULL, format TEXT NOT NULL, status TEXT NOT NULL,
  error_kind TEXT NOT NULL, error_message TEXT NOT NULL, http_status BIGINT NOT NULL,
  response_time_s DOUBLE PRECISION NOT NULL, input_tokens BIGINT NOT NULL, output_tokens BIGINT NOT NULL,
  cached_tokens BIGINT NOT NULL, cache_write_tokens BIGINT NOT NULL, reasoning_tokens BIGINT NOT NULL,
  input_cost DOUBLE PRECISION, output_cost DOUBLE PRECISION, total_cost DOUBLE PRECISION,
  stop_reason TEXT NOT NULL, attempts BIGINT NOT NULL, failed_attempt_count BIGINT NOT NULL,
  failed_attempts JSONB NOT NULL, warnings JSONB NOT NULL, api_key_hash TEXT NOT NULL,
  metadata JSONB NOT NULL, request_body_key TEXT NOT NULL, response_body_key TEXT NOT NULL,
  provider_request_id TEXT NOT NULL))";

constexpr const char* kRowOf0_4 = R"(INSERT INTO majordomo_calls (request_id, created_at, provider, model,
  served_by, response_model, alias, operation, format, status, error_kind, error_message, http_status,
  response_time_s, input_tokens, output_tokens, cached_tokens, cache_write_tokens, reasoning_tokens,
  input_cost, output_cost, total_cost, stop_reason, attempts, failed_attempt_count, failed_attempts,
  warnings, api_key_hash, metadata, request_body_key, response_body_key, provider_request_id)
  VALUES ('old-1', '2025-11-02T08:09:10.250Z', 'openai', 'gpt-4o', 'openai:gpt-4o', 'gpt-4o-2024', '',
  'complete', 'text', 'ok', '', '', 0, 0.5, 10, 20, 0, 0, 0, NULL, NULL, NULL, 'stop', 1, 0, '[]', '[]',
  'abcd', '{}', '', '', 'req-1'))";

// A row whose every field differs from its type's default, with text a database might bend.
LogRecord full_row(const std::string& request_id) {
  LogRecord row;
  row.request_id = request_id;
  row.created_at = "2026-01-31T12:00:00.123Z";
  row.provider = "anthropic";
  row.model = "claude-sonnet";
  row.served_by = "anthropic:claude-sonnet";
  row.response_model = "claude-sonnet-20250101";
  row.alias = "smart";
  row.operation = "stream";
  row.format = "json_schema";
  row.status = "error";
  row.error_kind = "rate_limited";
  row.error_message = "quota 'exceeded' \\ for \"you\": é 日本 🙂\nsecond line";
  row.http_status = 429;
  row.response_time_s = 0.1 + 0.2;  // 0.30000000000000004: must come back as the same double
  row.input_tokens = 9'007'199'254'740'993;  // above 2^53: must not pass through a double
  row.output_tokens = 2;
  row.cached_tokens = 3;
  row.cache_write_tokens = 4;
  row.reasoning_tokens = 5;
  row.input_cost = 1e-7;
  row.output_cost = std::nullopt;  // unpriced: NULL, not 0
  row.total_cost = 123456.789012345;
  row.stop_reason = "max_tokens";
  row.attempts = 3;
  row.failed_attempt_count = 2;
  row.failed_attempts = R"([{"kind":"overloaded","provider":"openai"}])";
  row.warnings = R"(["a warning"])";
  row.api_key_hash = "0123456789abcdef";
  row.metadata = R"({"x-majordomo-team":"blue"})";
  row.request_body_key = request_id + ".request.json";
  row.response_body_key = request_id + ".response.json";
  row.provider_request_id = "msg_01";
  row.tool_calls = R"([{"arguments_bytes":2,"id":"t1","name":"get_weather","problem":""}])";
  row.request_extras = R"({"tools":["get_weather"]})";
  return row;
}

void check_same(const LogRecord& read, const LogRecord& written) {
  CHECK(read.request_id == written.request_id);
  CHECK(read.created_at == written.created_at);
  CHECK(read.provider == written.provider);
  CHECK(read.model == written.model);
  CHECK(read.served_by == written.served_by);
  CHECK(read.response_model == written.response_model);
  CHECK(read.alias == written.alias);
  CHECK(read.operation == written.operation);
  CHECK(read.format == written.format);
  CHECK(read.status == written.status);
  CHECK(read.error_kind == written.error_kind);
  CHECK(read.error_message == written.error_message);
  CHECK(read.http_status == written.http_status);
  CHECK(read.response_time_s == written.response_time_s);
  CHECK(read.input_tokens == written.input_tokens);
  CHECK(read.output_tokens == written.output_tokens);
  CHECK(read.cached_tokens == written.cached_tokens);
  CHECK(read.cache_write_tokens == written.cache_write_tokens);
  CHECK(read.reasoning_tokens == written.reasoning_tokens);
  CHECK(read.input_cost == written.input_cost);
  CHECK(read.output_cost == written.output_cost);
  CHECK(read.total_cost == written.total_cost);
  CHECK(read.stop_reason == written.stop_reason);
  CHECK(read.attempts == written.attempts);
  CHECK(read.failed_attempt_count == written.failed_attempt_count);
  // JSONB keeps the value, not the spelling: these are written as PostgreSQL prints them.
  CHECK(read.failed_attempts == R"([{"kind": "overloaded", "provider": "openai"}])");
  CHECK(read.warnings == R"(["a warning"])");
  CHECK(read.api_key_hash == written.api_key_hash);
  CHECK(read.metadata == R"({"x-majordomo-team": "blue"})");
  CHECK(read.request_body_key == written.request_body_key);
  CHECK(read.response_body_key == written.response_body_key);
  CHECK(read.provider_request_id == written.provider_request_id);
  CHECK(read.tool_calls == R"([{"id": "t1", "name": "get_weather", "problem": "", "arguments_bytes": 2}])");
  CHECK(read.request_extras == R"({"tools": ["get_weather"]})");
}

std::string message_of_write(LogSink& sink, const std::vector<LogRecord>& rows) {
  try {
    sink.write(rows);
  } catch (const std::exception& error) {
    return error.what();
  }
  return "<no error>";
}

}  // namespace

TEST_CASE("a PostgreSQL log made before 0.5 reads as it is, then gains the 0.5 columns when a sink opens it", "[logging][postgresql]") {
  PostgresCluster cluster;
  {
    Poco::Data::Session session = session_of(cluster);
    session << kTableOf0_4, Poco::Data::Keywords::now;
    session << kRowOf0_4, Poco::Data::Keywords::now;
  }
  const std::vector<LogRecord> old_rows = read_log(target_of(cluster), 10);
  REQUIRE(old_rows.size() == 1);
  CHECK(old_rows[0].request_id == "old-1");
  CHECK(old_rows[0].created_at == "2025-11-02T08:09:10.250Z");
  CHECK(old_rows[0].response_time_s == 0.5);
  CHECK_FALSE(old_rows[0].total_cost.has_value());
  CHECK(old_rows[0].tool_calls == "[]");
  CHECK(old_rows[0].request_extras == "{}");

  std::unique_ptr<LogSink> sink = open_log_sink(target_of(cluster));
  CHECK(count_of(cluster, "SELECT COUNT(*) FROM information_schema.columns WHERE table_name = 'majordomo_calls' "
                          "AND column_name IN ('tool_calls', 'request_extras')") == 2);
  const LogRecord written = full_row("new-1");
  sink->write({written});
  const std::vector<LogRecord> rows = read_log(target_of(cluster), 10);
  REQUIRE(rows.size() == 2);  // oldest first
  CHECK(rows[0].request_id == "old-1");
  CHECK(rows[0].tool_calls == "[]");
  CHECK(rows[0].request_extras == "{}");
  check_same(rows[1], written);
  // A second sink finds the table complete and changes nothing.
  std::unique_ptr<LogSink> again = open_log_sink(target_of(cluster));
  CHECK(count_of(cluster, "SELECT COUNT(*) FROM majordomo_calls") == 2);
}

// On Poco 1.11 (the sink before 0.6) the refused insert after a good one freed a PGresult twice.
TEST_CASE("a batch the PostgreSQL log refuses is stored not at all, and the sink takes the next batch", "[logging][postgresql]") {
  PostgresCluster cluster;
  std::unique_ptr<LogSink> sink = open_log_sink(target_of(cluster));
  LogRecord bad = full_row("bad-1");
  bad.metadata = "not json";
  const std::string refused = message_of_write(*sink, {full_row("good-1"), bad});
  CHECK_THAT(refused, Catch::Contains("writing to the call log"));
  CHECK_THAT(refused, Catch::Contains("invalid input syntax for type json"));
  CHECK_THAT(refused, !Catch::Contains(kPassword));
  CHECK(count_of(cluster, "SELECT COUNT(*) FROM majordomo_calls") == 0);
  // The same connection, its failed transaction rolled back (the writer would reconnect; a sink
  // need not).
  sink->write({full_row("good-1"), full_row("good-2")});
  // A request id already stored is refused by the table's UNIQUE, the batch with it.
  CHECK_THAT(message_of_write(*sink, {full_row("good-3"), full_row("good-1")}), Catch::Contains("duplicate key"));
  const std::vector<LogRecord> rows = read_log(target_of(cluster), 10);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].request_id == "good-1");
  CHECK(rows[1].request_id == "good-2");
}

// On Poco 1.11 LeakSanitizer reported the connection the restart broke (35 703 bytes, 38 allocations).
TEST_CASE("a PostgreSQL sink whose server restarted fails its writes until it reconnects, and frees what it lost", "[logging][postgresql]") {
  PostgresCluster cluster;
  std::unique_ptr<LogSink> sink = open_log_sink(target_of(cluster));
  sink->write({full_row("before")});
  cluster.suspend();
  CHECK_THAT(message_of_write(*sink, {full_row("during")}), Catch::Contains("writing to the call log"));
  try {
    sink->reconnect();
    FAIL("reconnected to a server that is down");
  } catch (const ConfigurationError& error) {
    CHECK_THAT(error.what(), Catch::Contains("cannot open the call log"));
    CHECK_THAT(error.what(), !Catch::Contains(kPassword));
  }
  // Still down: the write's own attempt to open fails, and says so.
  CHECK_THAT(message_of_write(*sink, {full_row("during")}), Catch::Contains("cannot open the call log"));
  cluster.resume();
  sink->write({full_row("after")});
  const std::vector<LogRecord> rows = read_log(target_of(cluster), 10);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].request_id == "before");
  CHECK(rows[1].request_id == "after");
  // LeakSanitizer checks at exit that the connection the restart broke was finished.
}
