// Shared limits, the key table and the call log in a throwaway PostgreSQL: one limit across several limit objects, the budget, an unreachable database, key rows, /readyz through an outage.
#include "gateway_test_env.hpp"
#include "key_table.hpp"
#include "postgres_cluster.hpp"
#include "postgres_pool.hpp"
#include "shared_key_limits.hpp"

#include <majordomo/majordomo.hpp>

#include <catch2/catch.hpp>

#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

using namespace majordomo;
using namespace majordomo::gateway;
using namespace majordomo::testing;

namespace {

constexpr std::string_view kPassword = "s3cret-pg-password-77";

// The cluster trusts every connection, so a password in the target is accepted and ignored: the
// tests check that it never shows.
std::string target_with_password(const PostgresCluster& cluster) {
  return fmt::format("postgresql://test:{}@127.0.0.1:{}/postgres", kPassword, cluster.port());
}

GatewayKey limited_key(std::string name, std::optional<double> rate, std::optional<double> budget) {
  GatewayKey key;
  key.name = std::move(name);
  key.requests_per_minute = rate;
  key.usd_per_day = budget;
  return key;
}

// Runs `attempt` (given a fresh key name) until the database counted all of its requests in one
// rate window, at most 3 times: a window that rolls over mid-attempt lets more requests through,
// rightly. The database's clock decides (it starts the windows), not this process's. `attempt`
// keeps what it saw; the caller checks the last round's.
void within_one_window(const PostgresCluster& cluster, const std::function<void(const std::string&)>& attempt) {
  const PostgresTarget target(cluster.target(), "test");
  for (int round = 0; round < 3; ++round) {
    const std::string name = fmt::format("key-{}-{}", ::getpid(), round);
    attempt(name);
    const std::unique_ptr<pg_conn, void (*)(pg_conn*)> connection(target.connect(), &PQfinish);
    const PgResult windows = run_sql(connection.get(), target,
                                     "SELECT count(DISTINCT window_start) FROM majordomo_gateway_rate WHERE key_name = $1",
                                     {name.c_str()});
    if (windows.whole(0, 0) <= 1) return;
  }
  FAIL("three rounds each crossed a rate window's end");
}

void exec(const PostgresCluster& cluster, const std::string& sql) {
  const PostgresTarget target(cluster.target(), "test");
  const std::unique_ptr<pg_conn, void (*)(pg_conn*)> connection(target.connect(), &PQfinish);
  (void)run_sql(connection.get(), target, sql);
}

}  // namespace

TEST_CASE("gateway shared limits: two limit objects over one database allow the rate once between them, then 429 to the window's end", "[gateway][postgres]") {
  PostgresCluster cluster;
  SharedKeyLimits first(target_with_password(cluster), SharedLimitsFailure::refuse, {});
  SharedKeyLimits second(target_with_password(cluster), SharedLimitsFailure::refuse, {});
  int admitted = 0;
  std::optional<LimitRefusal> last;
  within_one_window(cluster, [&](const std::string& name) {
    const GatewayKey key = limited_key(name, 5, std::nullopt);
    admitted = 0;
    last.reset();
    for (int i = 0; i < 10; ++i) {
      auto refusal = (i % 2 == 0 ? first : second).admit(key);
      if (!refusal) ++admitted;
      else last = std::move(refusal);
    }
  });
  CHECK(admitted == 5);
  REQUIRE(last.has_value());
  CHECK(last->status == 429);
  CHECK(last->retry_after_s >= 1);
  CHECK(last->retry_after_s <= 60);
  CHECK_THAT(last->message, Catch::Matchers::Contains("5 requests per minute"));
  // A key without limits never needs the database.
  CHECK_FALSE(first.admit(limited_key("free", std::nullopt, std::nullopt)).has_value());
  CHECK(SharedKeyLimits::requests_per_window(0.5) == 1);
  CHECK(SharedKeyLimits::requests_per_window(90.9) == 90);
}

TEST_CASE("gateway shared limits: concurrent requests from many threads on two limit objects are admitted exactly up to the rate", "[gateway][postgres]") {
  PostgresCluster cluster;
  SharedKeyLimits first(cluster.target(), SharedLimitsFailure::refuse, {});
  SharedKeyLimits second(cluster.target(), SharedLimitsFailure::refuse, {});
  std::atomic<int> admitted{0};
  within_one_window(cluster, [&](const std::string& name) {
    const GatewayKey key = limited_key(name, 25, std::nullopt);
    admitted = 0;
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 10; ++i) {
          if (!(t % 2 == 0 ? first : second).admit(key)) admitted.fetch_add(1);
        }
      });
    }
    for (auto& thread : threads) thread.join();
  });
  CHECK(admitted.load() == 25);
}

TEST_CASE("gateway shared limits: spend charged through one limit object is seen by the other, which refuses once the budget is used", "[gateway][postgres]") {
  PostgresCluster cluster;
  SharedKeyLimits first(cluster.target(), SharedLimitsFailure::refuse, {});
  SharedKeyLimits second(cluster.target(), SharedLimitsFailure::refuse, {});
  const GatewayKey key = limited_key("budgeted", 1000, 1.0);
  CHECK_FALSE(first.admit(key).has_value());
  first.charge(key, 0.6);
  CHECK_FALSE(second.admit(key).has_value());
  second.charge(key, 0.5);
  CHECK(first.spent_today("budgeted") == Approx(1.1));
  const auto refused = first.admit(key);
  REQUIRE(refused.has_value());
  CHECK(refused->status == 429);
  CHECK_THAT(refused->message, Catch::Matchers::Contains("budget of 1 USD"));
  CHECK(refused->retry_after_s >= 1);
  CHECK(refused->retry_after_s <= 86'400);
  // The refused request was not counted against the rate.
  CHECK(second.spent_today("budgeted") == Approx(1.1));
}

TEST_CASE("gateway shared limits: an unreachable database refuses limited keys with 503 by default, or falls back to local counts, never showing the password", "[gateway][postgres]") {
  PostgresCluster cluster;
  std::vector<std::string> reports;
  std::mutex reports_mutex;
  const auto report = [&](std::string_view line) {
    const std::lock_guard lock(reports_mutex);
    reports.emplace_back(line);
  };
  PostgresPool::Options quick;
  quick.pause = std::chrono::milliseconds(0);
  SharedKeyLimits refusing(target_with_password(cluster), SharedLimitsFailure::refuse, report, quick);
  SharedKeyLimits local(target_with_password(cluster), SharedLimitsFailure::local, {}, quick);
  const GatewayKey key = limited_key("outage", 2, 10.0);
  CHECK_FALSE(refusing.admit(key).has_value());
  CHECK_FALSE(local.admit(key).has_value());
  CHECK(refusing.problem().empty());

  cluster.shut_down();
  const auto refused = refusing.admit(key);
  REQUIRE(refused.has_value());
  CHECK(refused->status == 503);
  CHECK(refused->retry_after_s >= 1);
  CHECK_THAT(refused->message, Catch::Matchers::Contains("shared_limits_on_failure"));
  const std::string problem = refusing.problem();
  CHECK_THAT(problem, Catch::Matchers::Contains("postgresql://test@127.0.0.1:"));
  CHECK(problem.find(kPassword) == std::string::npos);
  // A charge that cannot be written is kept, not thrown at the caller.
  refusing.charge(key, 0.25);
  {
    const std::lock_guard lock(reports_mutex);
    REQUIRE(reports.size() == 1);  // one line for the outage, not one per request
    CHECK_THAT(reports[0], Catch::Matchers::Contains("refused (503)"));
    CHECK(reports[0].find(kPassword) == std::string::npos);
  }
  // "local": this process's own bucket stands in (a full bucket of 2, then 429).
  CHECK_FALSE(local.admit(key).has_value());
  CHECK_FALSE(local.admit(key).has_value());
  const auto over = local.admit(key);
  REQUIRE(over.has_value());
  CHECK(over->status == 429);
}

TEST_CASE("gateway shared limits: a target that cannot be reached at start stops the start with a message naming shared_limits and no password", "[gateway][postgres]") {
  // A loopback port nothing listens on.
  Poco::Net::ServerSocket probe(Poco::Net::SocketAddress("127.0.0.1", 0));
  const std::string port_text = std::to_string(probe.address().port());
  probe.close();
  const std::string target = fmt::format("postgresql://test:{}@127.0.0.1:{}/postgres", kPassword, port_text);
  try {
    SharedKeyLimits limits(target, SharedLimitsFailure::refuse, {});
    FAIL("the start went ahead");
  } catch (const ConfigurationError& error) {
    const std::string message = error.what();
    CHECK_THAT(message, Catch::Matchers::Contains("shared_limits"));
    CHECK(message.find(kPassword) == std::string::npos);
  }
  CHECK_THROWS_AS(parse_gateway_key(JsonValue::parse(R"({"name": "x"})"), "src", "where"), ConfigurationError);
}

TEST_CASE("gateway key table: rows are read as keys, a bad row is refused by its name, a row clashing with the file's keys is left out", "[gateway][postgres]") {
  PostgresCluster cluster;
  GatewayKey file_key;
  file_key.name = "file-key";
  file_key.sha256 = sha256_of("mjk-file-key");
  // The first read creates the table.
  CHECK(read_key_table(cluster.target(), {file_key}).keys.empty());
  exec(cluster, fmt::format("INSERT INTO majordomo_gateway_keys (name, sha256, models, requests_per_minute, usd_per_day) "
                            "VALUES ('good', '{}', ARRAY['openai/*'], 30, 2.5), ('plain', '{}', DEFAULT, NULL, NULL), "
                            "('bad-row', 'not-hex', DEFAULT, NULL, NULL), ('file-key', '{}', DEFAULT, NULL, NULL), "
                            "('same-hash', '{}', DEFAULT, NULL, NULL)",
                            hex_sha256("mjk-good"), hex_sha256("mjk-plain"), hex_sha256("mjk-other"),
                            hex_sha256("mjk-file-key")));
  const KeyTableRows rows = read_key_table(cluster.target(), {file_key});
  REQUIRE(rows.keys.size() == 2);
  CHECK(rows.keys[0].name == "good");
  CHECK(rows.keys[0].sha256 == sha256_of("mjk-good"));
  CHECK(rows.keys[0].models == std::vector<std::string>{"openai/*"});
  CHECK(rows.keys[0].requests_per_minute == 30);
  CHECK(rows.keys[0].usd_per_day == 2.5);
  CHECK(rows.keys[1].name == "plain");
  CHECK(rows.keys[1].models.empty());
  CHECK_FALSE(rows.keys[1].requests_per_minute.has_value());
  REQUIRE(rows.refused.size() == 3);
  CHECK_THAT(rows.refused[0], Catch::Matchers::Contains("majordomo_gateway_keys['bad-row'].sha256: must be 64 hexadecimal"));
  CHECK_THAT(rows.refused[1], Catch::Matchers::Contains("['file-key']: has the name of a key in gateway_keys"));
  CHECK_THAT(rows.refused[2], Catch::Matchers::Contains("['same-hash']: has the hash of key 'file-key'"));
  for (const std::string& message : rows.refused) CHECK(message.find(hex_sha256("mjk-file-key")) == std::string::npos);
}

TEST_CASE("gateway with shared limits: a limited key is 503 naming the problem while the database is down, /readyz says why", "[gateway][postgres]") {
  PostgresCluster cluster;
  const std::string keys = fmt::format(R"([{{"name": "team-a", "sha256": "{}", "requests_per_minute": 100}},
      {{"name": "free", "sha256": "{}"}}])",
                                       hex_sha256(kGatewayKey), hex_sha256(kOtherGatewayKey));
  GatewayTestEnv env(keys, fmt::format(R"("shared_limits": "{}")", target_with_password(cluster)));
  CHECK(env.post("/v1/chat/completions", chat_body("openai/gpt-4o")).status == 200);
  CHECK(env.send("GET", "/readyz").status == 200);

  cluster.shut_down();
  const GatewayReply refused = env.post("/v1/chat/completions", chat_body("openai/gpt-4o"));
  CHECK(refused.status == 503);
  CHECK(std::stoi(refused.header("retry-after")) >= 1);
  CHECK_THAT(JsonValue::parse(refused.body).at("error").at("message").as_string(),
             Catch::Matchers::Contains("database they are shared in does not answer"));
  CHECK(refused.body.find(kPassword) == std::string::npos);
  // A key without limits is served: it needs no database.
  CHECK(env.send("POST", "/v1/chat/completions", chat_body("openai/gpt-4o"),
                 {{"X-Majordomo-Key", std::string(kOtherGatewayKey)}})
            .status == 200);
  const GatewayReply ready = env.send("GET", "/readyz");
  CHECK(ready.status == 503);
  CHECK_THAT(ready.body, Catch::Matchers::Contains("shared_limits: postgresql://test@127.0.0.1:"));
  CHECK(ready.body.find(kPassword) == std::string::npos);
  CHECK(env.access_log().find(kPassword) == std::string::npos);
  CHECK_THAT(env.send("GET", "/metrics").body,
             Catch::Matchers::Contains(R"(reason="limits_unavailable"} 1)"));
}

TEST_CASE("gateway with a PostgreSQL call log: /readyz is 503 while the log's database is down and 200 again once rows are written", "[gateway][postgres]") {
  PostgresCluster cluster;
  GatewayTestEnv env({}, fmt::format(R"("log": "{}")", target_with_password(cluster)));
  // The log's writer works on its own thread: the gateway's own reports are asked until they say
  // what is awaited, for at most 10 s (a bounded wait on an answer, not a guess at a duration).
  const auto ask_until = [&](const std::string& path, const std::function<bool(const GatewayReply&)>& done) {
    GatewayReply reply;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    do {
      reply = env.send("GET", path);
      if (done(reply)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    } while (std::chrono::steady_clock::now() < until);
    return reply;
  };
  const auto readyz_becomes = [&](int status) {
    return ask_until("/readyz", [status](const GatewayReply& reply) { return reply.status == status; });
  };
  const auto rows_written = [&](int count) {
    const std::string line = fmt::format(R"(majordomo_gateway_log_rows_total{{outcome="written"}} {})", count);
    return ask_until("/metrics", [&line](const GatewayReply& reply) { return reply.body.find(line) != std::string::npos; })
               .body.find(line) != std::string::npos;
  };
  CHECK(env.post("/v1/chat/completions", chat_body("openai/gpt-4o")).status == 200);
  // Stored before the outage begins, so that no statement is under way when the server stops.
  REQUIRE(rows_written(1));
  CHECK(env.send("GET", "/readyz").status == 200);

  cluster.suspend();
  // Calls are still answered while their rows cannot be stored.
  CHECK(env.post("/v1/chat/completions", chat_body("openai/gpt-4o")).status == 200);
  const GatewayReply down = readyz_becomes(503);
  CHECK(down.status == 503);
  CHECK_THAT(down.body, Catch::Matchers::Contains("the call log:"));
  CHECK(down.body.find(kPassword) == std::string::npos);

  cluster.resume();
  // The outage is over once a row is written again: the next call's row reconnects the writer.
  CHECK(env.post("/v1/chat/completions", chat_body("openai/gpt-4o")).status == 200);
  const GatewayReply up = readyz_becomes(200);
  CHECK(up.status == 200);
  CHECK(up.body == "ready\n");
  CHECK(rows_written(2));
  CHECK_THAT(env.send("GET", "/metrics").body, Catch::Matchers::Contains(R"(majordomo_gateway_log_rows_total{outcome="failed"} 1)"));
}

TEST_CASE("gateway configuration: shared_limits, shared_limits_on_failure and key_table are checked by key", "[gateway]") {
  const auto parse = [](std::string_view extra) {
    return parse_gateway_config(fmt::format(R"({{"providers": {{"openai": {{"api_key": "sk-x"}}}}, {}}})", extra), "g.json");
  };
  CHECK_THROWS_WITH(parse(R"("allow_anonymous": true, "shared_limits": "mysql://x")"),
                    Catch::Matchers::Contains("g.json: shared_limits: must be a postgresql://"));
  CHECK_THROWS_WITH(parse(R"("allow_anonymous": true, "shared_limits_on_failure": "refuse")"),
                    Catch::Matchers::Contains("shared_limits_on_failure: applies only with shared_limits"));
  CHECK_THROWS_WITH(parse(R"("allow_anonymous": true, "shared_limits": "postgresql://h/db", "shared_limits_on_failure": "open")"),
                    Catch::Matchers::Contains("must be \"refuse\""));
  CHECK_THROWS_WITH(parse(R"("allow_anonymous": true, "key_table": "postgresql://h/db")"),
                    Catch::Matchers::Contains("allow_anonymous: cannot be true with a key_table"));
  CHECK_THROWS_WITH(parse(R"("key_table": "postgresql://u:pw-in-uri-999@h/db?no_such_parameter=1")"),
                    !Catch::Matchers::Contains("pw-in-uri-999"));
  const GatewayConfig table_only = parse(R"("key_table": "postgresql://u@h/db", "shared_limits": "postgresql://u@h/db",
                                            "shared_limits_on_failure": "local")");
  CHECK(table_only.keys.empty());
  CHECK(table_only.key_table == "postgresql://u@h/db");
  CHECK_FALSE(table_only.shared_limits_refuse);
}
