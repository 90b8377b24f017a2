// The call log for a gateway (0.6): loggers sharing one log, cancelled calls, caller labels that are never sent.
#include "logging_test_env.hpp"
#include "logging_test_setup.hpp"
#include "postgres_cluster.hpp"
#include "provider_test_env.hpp"

#include <majordomo/logging.hpp>

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace majordomo;
using namespace majordomo::testing;

namespace {

// Two loggers sharing one log at `target`: rows name each logger's own model, and the shared
// writer counts and flushes them all; the log outlives the first logger destroyed.
void check_shared_log(const std::string& target) {
  ProviderTestEnv env;
  auto first = std::make_unique<LoggingLLM>(env.openai(), logging_to(target));
  LoggingLLM second(env.anthropic(), *first);
  std::thread other([&] {
    for (int i = 0; i < 5; ++i) (void)second.get_response("Hello");
  });
  for (int i = 0; i < 5; ++i) (void)first->get_response("Hello");
  other.join();
  first->flush();
  // One queue and one writer: either logger sees the rows of both.
  CHECK(first->stats().written == 10);
  CHECK(second.stats().written == 10);
  first.reset();  // the log stays open for the logger still sharing it
  ResponseStream stream = second.get_response_stream("Hello");
  CHECK(!drain(stream).empty());
  second.flush();
  CHECK(second.stats().written == 11);
  const auto rows = read_log(target, 100);
  REQUIRE(rows.size() == 11);
  int openai = 0;
  int anthropic = 0;
  for (const LogRecord& row : rows) {
    CHECK(row.status == "ok");
    if (row.provider == "openai") {
      ++openai;
      CHECK(row.model == "gpt-4o");
      CHECK(row.api_key_hash == sha256_prefix16(kOpenAIKey));
    } else {
      ++anthropic;
      CHECK(row.provider == "anthropic");
      CHECK(row.model == "claude-haiku-4-5");
      CHECK(row.api_key_hash == sha256_prefix16("sk-ant-test-0000"));
    }
  }
  CHECK(openai == 5);
  CHECK(anthropic == 6);
  CHECK(rows.back().operation == "stream");
}

}  // namespace

TEST_CASE("loggers made with same_log_as share one SQLite log and name their own models", "[logging][threads]") {
  TempDir dir;
  check_shared_log("sqlite:" + (dir.path / "calls.db").string());
}

TEST_CASE("loggers made with same_log_as share one PostgreSQL log", "[logging][postgresql]") {
  PostgresCluster cluster;
  check_shared_log(cluster.target());
}

TEST_CASE("closing a shared log through one logger ends it for all of them", "[logging]") {
  ProviderTestEnv env;
  TempDir dir;
  const std::string target = "sqlite:" + (dir.path / "calls.db").string();
  LoggingLLM first(env.openai(), logging_to(target));
  LoggingLLM second(env.anthropic(), first);
  (void)second.get_response("Hello");
  first.close();
  (void)second.get_response("Hello");  // the call is unharmed; its row has nowhere to go
  CHECK(second.stats().written == 1);
  CHECK(second.stats().dropped == 1);
  CHECK(read_log(target, 10).size() == 1);
}

TEST_CASE("a cancelled call is logged as cancelled, a stream dropped without cancelling as abandoned", "[logging][cancel]") {
  ProviderTestEnv env;
  TempDir dir;
  const std::string target = "sqlite:" + (dir.path / "calls.db").string();
  {
    LoggingLLM logger(env.openai(), logging_to(target));
    auto cancelled = std::make_shared<CallCancellation>();
    cancelled->cancel();
    LLMRequest request = LLMRequest::from_prompt("Hello");
    request.cancellation = cancelled;
    CHECK_THROWS_AS(logger.complete(request), CancelledError);
    // A stream whose caller cancels it, then closes it without reading on.
    auto later = std::make_shared<CallCancellation>();
    request.cancellation = later;
    ResponseStream cancelled_stream = logger.stream(request);
    later->cancel();
    cancelled_stream.close();
    // A stream closed before its end without any cancellation.
    request.cancellation = nullptr;
    ResponseStream dropped = logger.stream(request);
    dropped.close();
  }
  const auto rows = read_log(target, 10);
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].status == "cancelled");
  CHECK(rows[0].error_kind == "cancelled");
  CHECK_THAT(rows[0].error_message, Catch::Contains("cancelled by its caller"));
  CHECK(rows[1].status == "cancelled");
  CHECK(rows[1].operation == "stream");
  CHECK(rows[2].status == "abandoned");
}

TEST_CASE("log_metadata labels the row without being sent, and a header sent wins over a label of its name", "[logging]") {
  ProviderTestEnv env;
  TempDir dir;
  const std::string target = "sqlite:" + (dir.path / "calls.db").string();
  {
    LoggingLLM logger(env.openai(), logging_to(target));
    LLMRequest request = LLMRequest::from_prompt("Hello");
    request.options.extra_headers.set("X-Majordomo-Call", "sent-7");
    request.log_metadata = {{"gateway_key", "team-search"}, {"x-majordomo-call", "label-only"}};
    (void)logger.complete(request);
  }
  const auto rows = read_log(target, 10);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].metadata == R"({"X-Majordomo-Call":"sent-7","gateway_key":"team-search"})");
  const auto sent = env.server.requests();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].body.find("team-search") == std::string::npos);
  for (const auto& header : sent[0].headers) {
    CHECK(header.value.find("team-search") == std::string::npos);
    CHECK(header.value.find("label-only") == std::string::npos);
  }
}
