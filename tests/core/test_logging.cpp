// LoggingLLM over loopback: every call becomes one row in SQLite and PostgreSQL, with no secret in it.
#include "logging_test_env.hpp"
#include "logging_test_setup.hpp"
#include "postgres_cluster.hpp"
#include "provider_test_env.hpp"

#include <majordomo/logging.hpp>

#include <catch2/catch.hpp>

#include <Poco/Data/PostgreSQL/Connector.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/JSON/Array.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <stdlib.h>

using namespace majordomo;
using namespace majordomo::testing;

namespace {

const std::string kWrongKey = "sk-wrong-secret-5555";
const std::string kAnthropicKey = "sk-ant-test-0000";
const std::string kRequestToken = "tok-secret-7777";  // an X-Majordomo-Token header: a secret by its name

// What a row of call `index` must say, as the caller saw the call.
struct Expected {
  std::string status, error_kind, served_by, key_hash, operation, format;
  std::optional<double> total_cost;
  int64_t input_tokens = -1;  // -1: not checked
  int64_t failed_attempts = 0;
};

constexpr int kThreads = 8;
constexpr int kCallsPerThread = 125;
constexpr int kCalls = kThreads * kCallsPerThread;
constexpr int kKinds = 8;

// Eight kinds of call, 125 of each, from 8 threads, through five LoggingLLMs sharing one target:
// answers, provider errors, streams (whole, abandoned, cut mid-way), a cascade failing over from
// an overloaded member, JSON mode and structured output.
struct MixedWorkload {
  ProviderTestEnv env;                                                     // answers
  fake::FakeProviderServer strict{fixture_server_options("sk-the-right-key-0")};  // 401 for our key
  fake::FakeProviderServer cutting{fixture_server_options()};              // streams cut after "I'm"
  fake::FakeProviderServer structured{fixture_server_options()};           // a structured answer
  fake::FakeProviderServer overloaded{fixture_server_options()};           // 529: the cascade moves on
  std::vector<Expected> expected = std::vector<Expected>(kCalls);

  MixedWorkload() {
    strict.start();
    cutting.start();
    structured.start();
    overloaded.start();
    for (int i = 0; i < kCalls / kKinds; ++i) {
      fake::ScriptedResponse busy;
      busy.status = 529;
      busy.content_type = "application/json";
      busy.body = R"({"error":{"message":"The server is overloaded","type":"overloaded_error","param":null,"code":null}})";
      overloaded.push_response(busy);
      fake::ScriptedResponse cut;
      cut.fixture = "openai/chat_completion_stream.sse";
      cut.cut_after = 700;
      cutting.push_response(cut);
      fake::ScriptedResponse answer;
      answer.fixture = "openai/structured_output.json";
      structured.push_response(answer);
    }
  }

  ClientOptions openai_at(const fake::FakeProviderServer& server, std::string key) const {
    ClientOptions options;
    options.api_key = std::move(key);
    options.base_url = server.origin() + "/v1";
    options.default_headers.set("X-Majordomo-Team", "search");
    return options;
  }

  // openai (always 529, overloaded) then anthropic (answers): every call fails over once.
  std::shared_ptr<LLM> cascade() const {
    std::vector<CascadeMember> members(2);
    members[0].provider = "openai";
    members[0].model = "gpt-4o";
    members[0].api_key = kOpenAIKey;
    members[0].base_url = overloaded.origin() + "/v1";
    members[1].provider = "anthropic";
    members[1].model = "claude-haiku-4-5";
    members[1].api_key = kAnthropicKey;
    members[1].base_url = env.server.origin();
    ClientOptions shared;
    shared.default_headers.set("X-Majordomo-Team", "search");
    return env.host.get_cascade(std::move(members), shared);
  }

  void run(const std::string& target, const std::optional<std::filesystem::path>& bodies) {
    LoggingOptions options;
    options.target = target;
    options.bodies_dir = bodies;
    options.overflow = LogOverflow::block;  // this test counts rows: none may be dropped
    auto openai = env.openai(openai_at(env.server, kOpenAIKey));
    std::vector<std::shared_ptr<LoggingLLM>> loggers = {
        std::make_shared<LoggingLLM>(openai, options),
        std::make_shared<LoggingLLM>(env.openai(openai_at(strict, kWrongKey)), options),
        std::make_shared<LoggingLLM>(cascade(), options),
        std::make_shared<LoggingLLM>(env.openai(openai_at(cutting, kOpenAIKey)), options),
        std::make_shared<LoggingLLM>(env.openai(openai_at(structured, kOpenAIKey)), options)};
    LoggingLLM& answers = *loggers[0];
    LoggingLLM& refused = *loggers[1];
    LoggingLLM& failover = *loggers[2];
    LoggingLLM& cut = *loggers[3];
    LoggingLLM& schema = *loggers[4];
    const std::string openai_hash = sha256_prefix16(kOpenAIKey);

    const auto call = [&](int index) {
      Expected& e = expected[static_cast<std::size_t>(index)];
      RequestOptions request;
      request.extra_headers.set("X-Majordomo-Call", std::to_string(index));
      request.extra_headers.set("X-Majordomo-Token", kRequestToken);
      e.operation = "complete";
      e.format = "text";
      e.key_hash = openai_hash;
      try {
        switch (index % kKinds) {
          case 0: {
            const Response response = answers.get_response("Hello", request);
            e.status = "ok";
            e.served_by = "openai:gpt-4o";
            e.total_cost = response.cost.total;
            e.input_tokens = response.usage.input_tokens;
            break;
          }
          case 1:
            e.key_hash = sha256_prefix16(kWrongKey);
            (void)refused.get_response("Hello", request);
            break;
          case 2: {
            e.operation = "stream";
            ResponseStream stream = answers.get_response_stream("Hello", request);
            testing::drain(stream);
            e.status = "ok";
            e.served_by = "openai:gpt-4o";
            e.total_cost = stream.response().cost.total;
            e.input_tokens = stream.response().usage.input_tokens;
            break;
          }
          case 3: {
            e.operation = "stream";
            ResponseStream stream = answers.get_response_stream("Hello", request);
            (void)stream.next_text();
            e.status = "abandoned";
            break;  // destroyed unfinished
          }
          case 4: {
            const Response response = failover.get_response("Hello", request);
            e.status = "ok";
            e.served_by = "anthropic:claude-haiku-4-5";
            e.key_hash = sha256_prefix16(kAnthropicKey);
            e.total_cost = response.cost.total;
            e.input_tokens = response.usage.input_tokens;
            e.failed_attempts = 1;
            break;
          }
          case 5: {
            e.operation = "stream";
            ResponseStream stream = cut.get_response_stream("Hello", request);
            testing::drain(stream);
            break;
          }
          case 6:
            e.format = "json_object";  // the provider answered, the caller's JSON check failed
            (void)answers.get_json_response("Hello", request);
            break;
          case 7: {
            e.format = "json_schema";
            const JsonResponse response = schema.get_json_schema_response("Weather?", kLocationSchema, "weather", request);
            e.status = "ok";
            e.served_by = "openai:gpt-4o";
            e.total_cost = response.response.cost.total;
            e.input_tokens = response.response.usage.input_tokens;
            break;
          }
        }
      } catch (const Error& error) {
        e.status = "error";
        e.error_kind = std::string(to_string(error.kind()));
      }
    };

    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int j = 0; j < kCallsPerThread; ++j) call(t * kCallsPerThread + j);
      });
    }
    for (auto& thread : threads) thread.join();
    for (auto& logger : loggers) {
      logger->close();
      const LoggingStats stats = logger->stats();
      INFO(stats.last_error);
      CHECK(stats.dropped == 0);
      CHECK(stats.failed == 0);
      CHECK(stats.written == stats.recorded);
    }
  }

  // Every call's row, with the fields the caller can vouch for.
  void check_rows(const std::vector<LogRecord>& rows) const {
    REQUIRE(rows.size() == static_cast<std::size_t>(kCalls));
    std::set<std::string> ids;
    std::map<int, const LogRecord*> by_call;
    for (const auto& row : rows) {
      ids.insert(row.request_id);
      const auto metadata = testing::parse_object(row.metadata);
      REQUIRE(metadata->has("X-Majordomo-Call"));
      CHECK(metadata->getValue<std::string>("X-Majordomo-Team") == "search");
      CHECK_FALSE(metadata->has("X-Majordomo-Token"));
      by_call[std::stoi(metadata->getValue<std::string>("X-Majordomo-Call"))] = &row;
    }
    CHECK(ids.size() == static_cast<std::size_t>(kCalls));
    REQUIRE(by_call.size() == static_cast<std::size_t>(kCalls));
    std::map<std::string, int> statuses;
    for (const auto& [index, row] : by_call) {
      const Expected& e = expected[static_cast<std::size_t>(index)];
      INFO("call " << index << " of kind " << index % kKinds);
      ++statuses[row->status];
      CHECK(row->status == e.status);
      CHECK(row->error_kind == e.error_kind);
      CHECK(row->served_by == e.served_by);
      CHECK(row->api_key_hash == e.key_hash);
      CHECK(row->operation == e.operation);
      CHECK(row->format == e.format);
      CHECK(row->failed_attempt_count == e.failed_attempts);
      CHECK(row->created_at.size() == 24);
      if (e.total_cost) {
        REQUIRE(row->total_cost.has_value());
        CHECK(*row->total_cost == Approx(*e.total_cost));
        CHECK(*e.total_cost > 0);
      }
      if (e.input_tokens >= 0) CHECK(row->input_tokens == e.input_tokens);
      if (e.failed_attempts > 0) {
        Poco::JSON::Parser parser;
        const auto history = parser.parse(row->failed_attempts).extract<Poco::JSON::Array::Ptr>();
        REQUIRE(history->size() == 1);
        const auto attempt = history->getObject(0);
        CHECK(attempt->getValue<std::string>("provider") == "openai");
        CHECK(attempt->getValue<std::string>("model") == "gpt-4o");
        CHECK(attempt->getValue<std::string>("kind") == "overloaded");
        CHECK(attempt->getValue<int>("http_status") == 529);
      }
      for (const std::string* text : {&row->error_message, &row->metadata, &row->failed_attempts, &row->warnings,
                                      &row->provider_request_id, &row->served_by}) {
        for (const std::string& secret : {kOpenAIKey, kWrongKey, kAnthropicKey, kRequestToken}) {
          CHECK(text->find(secret) == std::string::npos);
        }
      }
    }
    CHECK(statuses["ok"] == 4 * kCalls / kKinds);
    CHECK(statuses["error"] == 3 * kCalls / kKinds);
    CHECK(statuses["abandoned"] == kCalls / kKinds);
  }

  // Each provider request carried the caller's extra headers exactly as given, through the
  // cascade's members too.
  void check_forwarding() const {
    CHECK(overloaded.requests().size() == static_cast<std::size_t>(kCalls / kKinds));
    for (const auto& request : overloaded.requests()) {
      CHECK(ProviderTestEnv::only_header(request, "X-Majordomo-Token") == kRequestToken);
    }
    const auto requests = env.server.requests();
    CHECK(requests.size() == 5 * kCalls / kKinds);  // kinds 0, 2, 3, 4 and 6
    for (const auto& request : requests) {
      CHECK(ProviderTestEnv::only_header(request, "X-Majordomo-Token") == kRequestToken);
      CHECK(ProviderTestEnv::only_header(request, "X-Majordomo-Call") != "<absent>");
    }
  }
};

void check_no_secret_in(const std::string& text, const std::string& where) {
  for (const std::string& secret : {kOpenAIKey, kWrongKey, kAnthropicKey, kRequestToken}) {
    INFO(where);
    CHECK(text.find(secret) == std::string::npos);
  }
}

// The one number a query answers, asked of the database directly (not through read_log).
int64_t query_count(const std::string& connector, const std::string& connection, const std::string& sql) {
  static std::once_flag once;
  std::call_once(once, [] {
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::PostgreSQL::Connector::registerConnector();
  });
  Poco::Data::Session session(connector, connection);
  int64_t count = 0;
  session << sql, Poco::Data::Keywords::into(count), Poco::Data::Keywords::now;
  return count;
}

constexpr const char* kCountRows = "SELECT COUNT(*) FROM majordomo_calls";
// The failover history as docs/architecture.md shows how to query it.
constexpr const char* kCountSqliteFailovers =
    "SELECT COUNT(*) FROM majordomo_calls, json_each(majordomo_calls.failed_attempts) AS a "
    "WHERE json_extract(a.value, '$.provider') = 'openai' AND json_extract(a.value, '$.kind') = 'overloaded'";
constexpr const char* kCountPostgresFailovers =
    "SELECT COUNT(*) FROM majordomo_calls, jsonb_array_elements(failed_attempts) AS a "
    "WHERE a->>'provider' = 'openai' AND a->>'kind' = 'overloaded'";

}  // namespace

TEST_CASE("1000 calls from 8 threads become exactly 1000 SQLite rows and body pairs without a secret", "[logging][threads]") {
  TempDir dir;
  const std::filesystem::path bodies = dir.path / "bodies";
  const std::string db = (dir.path / "calls.db").string();
  MixedWorkload workload;
  workload.run("sqlite:" + db, bodies);

  CHECK(query_count("SQLite", db, kCountRows) == kCalls);
  CHECK(query_count("SQLite", db, kCountSqliteFailovers) == kCalls / kKinds);
  const std::vector<LogRecord> rows = read_log("sqlite:" + db, 5000);
  workload.check_rows(rows);
  workload.check_forwarding();

  // The database file itself holds no credential, in any column.
  for (const auto& file : {db, db + "-wal"}) {
    if (std::filesystem::exists(file)) check_no_secret_in(read_text(file), file);
  }
  // One request/response pair per row, named by the row, with credentials redacted.
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(bodies)) {
    ++files;
    check_no_secret_in(read_text(entry.path()), entry.path().string());
    // Prompts and answers are readable by their owner only.
    CHECK((entry.status().permissions() & std::filesystem::perms::all) ==
          (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
  }
  CHECK(files == 2 * static_cast<std::size_t>(kCalls));
  for (const auto& row : rows) {
    REQUIRE(row.request_body_key == row.request_id + ".request.json");
    REQUIRE(row.response_body_key == row.request_id + ".response.json");
    const auto request = testing::parse_object(read_text(bodies / row.request_body_key));
    const auto response = testing::parse_object(read_text(bodies / row.response_body_key));
    CHECK(request->getValue<std::string>("request_id") == row.request_id);
    CHECK(response->getValue<std::string>("status") == row.status);
    REQUIRE(request->has("headers"));
    bool saw_auth = false;
    const auto headers = request->getArray("headers");
    for (std::size_t i = 0; i < headers->size(); ++i) {
      const auto header = headers->getObject(static_cast<unsigned>(i));
      const std::string name = header->getValue<std::string>("name");
      if (header_name_equals(name, "Authorization") || header_name_equals(name, "x-api-key")) {
        saw_auth = true;
        CHECK(header->getValue<std::string>("value").find("[REDACTED]") != std::string::npos);
      }
    }
    CHECK(saw_auth);
  }
}

TEST_CASE("1000 calls from 8 threads become exactly 1000 PostgreSQL rows", "[logging][postgresql][threads]") {
  PostgresCluster cluster;
  MixedWorkload workload;
  workload.run(cluster.target(), std::nullopt);
  CHECK(query_count("PostgreSQL", cluster.connection(), kCountRows) == kCalls);
  CHECK(query_count("PostgreSQL", cluster.connection(), kCountPostgresFailovers) == kCalls / kKinds);
  workload.check_rows(read_log(cluster.target(), 5000));
  workload.check_forwarding();
}

// Under LeakSanitizer this is also the test that every connection lost in the outage is freed
// (Poco 1.11's session leaked each one; the sink is on libpq since, docs/decisions.md).
TEST_CASE("a PostgreSQL outage costs the rows written during it, never the writer", "[logging][postgresql]") {
  PostgresCluster cluster;
  ProviderTestEnv env;
  LoggingLLM logger(env.openai(), logging_to(cluster.target()));
  env.push_fixture("openai/chat_completion.json");
  (void)logger.get_response("before");
  logger.flush();
  CHECK(logger.stats().written == 1);
  cluster.shut_down();
  // Each batch now fails, and so does the reconnect after it; the next batch must find no
  // session and try to open one again, not use the one that is gone.
  for (int i = 0; i < 3; ++i) {
    env.push_fixture("openai/chat_completion.json");
    CHECK_FALSE(logger.get_response("during").content.empty());  // the calls themselves go on
    logger.flush();
  }
  const LoggingStats stats = logger.stats();
  CHECK(stats.recorded == 4);
  CHECK(stats.written == 1);
  CHECK(stats.failed == 3);
  CHECK_THAT(stats.last_error, Catch::Contains("call log"));
}

TEST_CASE("loggers in several processes share one PostgreSQL table, created once", "[logging][postgresql]") {
  PostgresCluster cluster;
  ProviderTestEnv env;
  // Loggers opened at the same moment stand for processes starting together.
  std::vector<std::thread> starters;
  std::vector<std::unique_ptr<LoggingLLM>> loggers(4);
  for (std::size_t i = 0; i < loggers.size(); ++i) {
    starters.emplace_back([&, i] {
      loggers[i] = std::make_unique<LoggingLLM>(env.openai(), logging_to(cluster.target()));
    });
  }
  for (auto& starter : starters) starter.join();
  for (auto& logger : loggers) {
    REQUIRE(logger);
    (void)logger->get_response("Hello");
    logger->close();
  }
  const auto rows = read_log(cluster.target(), 10);
  REQUIRE(rows.size() == 4);
  CHECK(rows[0].status == "ok");
  CHECK(rows[0].total_cost.has_value());
  CHECK(rows[0].metadata == "{}");
}
