// The CLI's call log: ask --log (SQLite and PostgreSQL), --log-bodies, and majordomo logs.
#include "../core/logging_test_env.hpp"
#include "../core/postgres_cluster.hpp"
#include "cli_fake_env.hpp"
#include "cli_run.hpp"
#include "fake_server.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Array.h>

#include <filesystem>
#include <iterator>
#include <string>
#include <vector>

using namespace majordomo::testing;

namespace {

constexpr const char* kKey = "sk-cli-log-secret-5678";

// The fake server, and `majordomo ask` pointed at it with a key and a metadata header.
struct AskEnv : majordomo::testing::CliFakeEnv {
  AskEnv() : CliFakeEnv(kKey, majordomo::testing::kFeatureHeaderOptions) {}
};

}  // namespace

TEST_CASE("ask --log records every call and logs prints them as a table and as JSON", "[cli][logging]") {
  AskEnv env;
  TempDir dir;
  const std::string target = "sqlite:" + (dir.path / "calls.db").string();
  const std::string bodies = (dir.path / "bodies").string();

  const auto answered = run_cli(env.ask({"--log", target, "--log-bodies", bodies, "Hello"}));
  REQUIRE(answered.exit_code == 0);
  const auto streamed = run_cli(env.ask({"--log", target, "--stream", "Hello"}));
  REQUIRE(streamed.exit_code == 0);
  const auto failed = run_cli({"ask", "--provider", "openai", "--model", "gpt-4o", "--base-url",
                                    "http://127.0.0.1:1/v1", "--api-key", kKey, "--log", target, "Hello"});
  REQUIRE(failed.exit_code == 1);
  CHECK(failed.err.find("warning") == std::string::npos);  // the row itself was stored

  const auto json = run_cli({"logs", "--db", target, "--output", "json"});
  INFO(json.err);
  REQUIRE(json.exit_code == 0);
  CHECK(json.out.find(kKey) == std::string::npos);
  const auto rows = parse_cli_object(json.out)->getArray("rows");
  REQUIRE(rows->size() == 3);
  const auto first = rows->getObject(0);
  CHECK(first->getValue<std::string>("status") == "ok");
  CHECK(first->getValue<std::string>("operation") == "complete");
  CHECK(first->getValue<std::string>("served_by") == "openai:gpt-4o");
  CHECK(first->getValue<int>("input_tokens") == 19);
  CHECK(first->getValue<double>("total_cost") > 0);
  CHECK(first->getValue<std::string>("api_key_hash") == sha256_prefix16(kKey));
  // The per-request header replaced the instance one of the same name, as on the wire.
  CHECK(first->getObject("metadata")->getValue<std::string>("x-majordomo-feature") == "request");
  CHECK(rows->getObject(1)->getValue<std::string>("operation") == "stream");
  CHECK(rows->getObject(1)->getValue<std::string>("status") == "ok");
  const auto last = rows->getObject(2);
  CHECK(last->getValue<std::string>("status") == "error");
  CHECK(last->getValue<std::string>("error_kind") == "connection");
  CHECK(last->get("total_cost").isEmpty());
  // The provider layer retried the refused connection: each retry is in the row's history.
  const auto history = last->getArray("failed_attempts");
  CHECK(history->size() >= 1);
  for (std::size_t i = 0; i < history->size(); ++i) {
    CHECK(history->getObject(static_cast<unsigned>(i))->getValue<std::string>("kind") == "connection");
    CHECK(history->getObject(static_cast<unsigned>(i))->getValue<std::string>("provider") == "openai");
  }

  // One request/response pair for the call that asked for bodies, with the key redacted.
  const std::string request_key = first->getValue<std::string>("request_body_key");
  REQUIRE(!request_key.empty());
  const std::string request_body = read_text(std::filesystem::path(bodies) / request_key);
  CHECK(request_body.find("Bearer [REDACTED]") != std::string::npos);
  CHECK(request_body.find(kKey) == std::string::npos);
  CHECK(read_text(std::filesystem::path(bodies) / first->getValue<std::string>("response_body_key"))
            .find("Hello! How can I assist you today?") != std::string::npos);
  CHECK(std::distance(std::filesystem::directory_iterator(bodies), std::filesystem::directory_iterator()) == 2);

  const auto table = run_cli({"logs", "--db", target, "--last", "2"});
  REQUIRE(table.exit_code == 0);
  CHECK_THAT(table.out, Catch::Contains("status"));
  CHECK_THAT(table.out, Catch::Contains("connection"));
  CHECK_THAT(table.out, Catch::Contains("2 row(s)"));
  CHECK(table.out.find(kKey) == std::string::npos);
}

TEST_CASE("ask --log postgresql:// records the call and logs reads it back", "[cli][logging][postgresql]") {
  PostgresCluster cluster;
  AskEnv env;
  const auto answered = run_cli(env.ask({"--log", cluster.target(), "Hello"}));
  INFO(answered.err);
  REQUIRE(answered.exit_code == 0);
  const auto json = run_cli({"logs", "--db", cluster.target(), "--output", "json", "--last", "5"});
  INFO(json.err);
  REQUIRE(json.exit_code == 0);
  const auto rows = parse_cli_object(json.out)->getArray("rows");
  REQUIRE(rows->size() == 1);
  CHECK(rows->getObject(0)->getValue<std::string>("status") == "ok");
  CHECK(rows->getObject(0)->getValue<std::string>("api_key_hash") == sha256_prefix16(kKey));
  CHECK(rows->getObject(0)->getValue<std::string>("created_at").size() == 24);
}

TEST_CASE("unusable log targets and flags exit 2 and send nothing", "[cli][logging]") {
  AskEnv env;
  TempDir dir;
  const auto no_log = run_cli({"logs", "--db", "sqlite:" + (dir.path / "none.db").string()});
  CHECK(no_log.exit_code == 2);
  CHECK_THAT(no_log.err, Catch::Contains("no call log"));
  const auto bad_target = run_cli(env.ask({"--log", "mysql://db/x", "Hello"}));
  CHECK(bad_target.exit_code == 2);
  CHECK_THAT(bad_target.err, Catch::Contains("use sqlite:PATH or postgresql://"));
  const auto bodies_alone = run_cli(env.ask({"--log-bodies", dir.path.string(), "Hello"}));
  CHECK(bodies_alone.exit_code == 2);
  CHECK_THAT(bodies_alone.err, Catch::Contains("--log-bodies needs --log"));
  const auto zero = run_cli({"logs", "--last", "0"});
  CHECK(zero.exit_code == 2);
  CHECK(env.server.requests().empty());
  // A dry run sends nothing, so it logs nothing.
  const std::string dry_target = "sqlite:" + (dir.path / "dry.db").string();
  const auto dry = run_cli(env.ask({"--log", dry_target, "--dry-run", "Hello"}));
  CHECK(dry.exit_code == 0);
  CHECK_FALSE(std::filesystem::exists(dir.path / "dry.db"));
}
