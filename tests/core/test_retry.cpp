// RetryPolicy: its decisions, and the provider-bound LLM applying it over loopback (waits recorded, not slept).
#include "provider_test_env.hpp"
#include "recorded_waits.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <ctime>
#include <mutex>
#include <string>
#include <vector>

using namespace majordomo;
using namespace std::chrono_literals;
using majordomo::testing::ProviderTestEnv;
using majordomo::testing::RecordedWaits;
using majordomo::testing::drain;

namespace {

ErrorDetails error_of(ErrorKind kind, int http_status, std::optional<int64_t> retry_after_ms = {}) {
  ErrorDetails details;
  details.kind = kind;
  details.http_status = http_status;
  details.retry_after_ms = retry_after_ms;
  return details;
}

// The fake with an OpenAI instance whose retry waits are recorded.
struct RetryEnv : ProviderTestEnv {
  RecordedWaits recorded;

  ClientOptions options(RetryPolicy policy = {}) {
    ClientOptions out = openai_options();
    out.retry = recorded.policy(std::move(policy));
    return out;
  }
  std::shared_ptr<LLM> llm(RetryPolicy policy = {}) { return openai(options(std::move(policy))); }
};

fake::ScriptedResponse failure(int status, std::string body = R"({"error":{"message":"scripted","type":"server_error","param":null,"code":null}})") {
  return ProviderTestEnv::scripted_status(status, std::move(body), "/chat/completions");
}

// OpenAI's recorded stream, cut after `bytes` of its body.
fake::ScriptedResponse cut_stream(std::size_t bytes) {
  fake::ScriptedResponse cut;
  cut.fixture = "openai/chat_completion_stream.sse";
  cut.cut_after = bytes;
  return cut;
}

}  // namespace

TEST_CASE("the policy retries transient kinds with jittered exponential backoff and fails fast on rate limits",
          "[retry]") {
  const RetryPolicy policy;
  CHECK(policy.max_attempts == 3);
  // Backoff: base × 2^(n-1), times a factor in [0.75, 1].
  CHECK(policy.delay_before_retry(error_of(ErrorKind::server, 500), 1, 1.0) == 500ms);
  CHECK(policy.delay_before_retry(error_of(ErrorKind::server, 500), 1, 0.0) == 375ms);
  CHECK(policy.delay_before_retry(error_of(ErrorKind::overloaded, 503), 2, 1.0) == 1000ms);
  CHECK(policy.delay_before_retry(error_of(ErrorKind::timeout, 0), 2, 0.0) == 750ms);
  CHECK(policy.delay_before_retry(error_of(ErrorKind::connection, 0), 1, 1.0) == 500ms);
  for (const int status : {408, 500, 502, 503, 504}) {
    INFO(status);
    CHECK(policy.delay_before_retry(error_of(ErrorKind::server, status), 1, 1.0).has_value());
  }
  // Attempts used up.
  CHECK_FALSE(policy.delay_before_retry(error_of(ErrorKind::server, 500), 3, 1.0));
  // Not transient, or rate limits while retry_rate_limited is off.
  for (const auto& error : {error_of(ErrorKind::rate_limited, 429), error_of(ErrorKind::overloaded, 529),
                            error_of(ErrorKind::overloaded, 200), error_of(ErrorKind::server, 501),
                            error_of(ErrorKind::bad_request, 400), error_of(ErrorKind::configuration, 0),
                            error_of(ErrorKind::cancelled, 0), error_of(ErrorKind::authentication, 401)}) {
    INFO(to_string(error.kind) << " " << error.http_status);
    CHECK_FALSE(policy.delay_before_retry(error, 1, 1.0));
  }

  RetryPolicy capped;
  capped.max_attempts = 10;
  capped.max_delay = 2000ms;
  CHECK(capped.delay_before_retry(error_of(ErrorKind::server, 500), 9, 1.0) == 2000ms);

  RetryPolicy rate;
  rate.retry_rate_limited = true;
  CHECK(rate.delay_before_retry(error_of(ErrorKind::rate_limited, 429, 200), 1, 0.0) == 200ms);
  CHECK(rate.delay_before_retry(error_of(ErrorKind::overloaded, 529), 1, 1.0) == 500ms);
  CHECK_FALSE(rate.delay_before_retry(error_of(ErrorKind::rate_limited, 429, 61'000), 1, 1.0));
  ErrorDetails quota = error_of(ErrorKind::rate_limited, 429, 10);
  quota.provider_error_type = "insufficient_quota";
  CHECK_FALSE(rate.delay_before_retry(quota, 1, 1.0));
  // A transient error's hint replaces the backoff too.
  CHECK(policy.delay_before_retry(error_of(ErrorKind::overloaded, 503, 1500), 1, 0.0) == 1500ms);
}

TEST_CASE("a 503-twice-then-200 member is called exactly 3 times, alone and inside a cascade", "[retry]") {
  RetryEnv env;
  RecordedWaits& recorded = env.recorded;
  env.server.push_response(failure(503));
  env.server.push_response(failure(503));

  Response response;
  SECTION("alone") { response = env.llm()->get_response("hi"); }
  SECTION("inside a cascade") {
    const auto cascade = std::make_shared<CascadeLLM>(
        std::vector<std::shared_ptr<LLM>>{env.llm(), env.anthropic()});
    response = cascade->get_response("hi");
    CHECK(response.served_by == "openai:gpt-4o");
  }
  CHECK(response.content == "Hello! How can I assist you today?");
  CHECK(env.server.requests().size() == 3);
  CHECK(response.attempts == 3);
  REQUIRE(response.failed_attempts.size() == 2);
  REQUIRE(recorded.waits.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    const FailedAttempt& attempt = response.failed_attempts[i];
    CHECK(attempt.provider == "openai");
    CHECK(attempt.model == "gpt-4o");
    CHECK(attempt.kind == ErrorKind::overloaded);
    CHECK(attempt.http_status == 503);
    CHECK(attempt.waited_ms == recorded.waits[i].count());
  }
  // The jittered backoff: 500 ms × [0.75, 1], then 1000 ms × [0.75, 1].
  CHECK(response.failed_attempts[0].waited_ms >= 375);
  CHECK(response.failed_attempts[0].waited_ms <= 500);
  CHECK(response.failed_attempts[1].waited_ms >= 750);
  CHECK(response.failed_attempts[1].waited_ms <= 1000);
}

TEST_CASE("three failures exhaust the attempts: the error carries the two retried ones", "[retry]") {
  RetryEnv env;
  for (int i = 0; i < 4; ++i) env.server.push_response(failure(500));
  try {
    (void)env.llm()->get_response("hi");
    FAIL("no error");
  } catch (const ServerError& error) {
    CHECK(error.http_status() == 500);
    REQUIRE(error.details().failed_attempts.size() == 2);
    CHECK(error.details().failed_attempts[1].kind == ErrorKind::server);
  }
  CHECK(env.server.requests().size() == 3);
  CHECK(env.server.pending_responses() == 1);
}

TEST_CASE("a 429 with retry-after-ms is honoured only when retrying rate limits is on", "[retry]") {
  RetryEnv env;
  RecordedWaits& recorded = env.recorded;
  RetryPolicy policy;
  policy.retry_rate_limited = true;
  ClientOptions options = env.options(policy);
  fake::ScriptedResponse limited;
  limited.fixture = "openai/error_429.json";
  limited.headers = {{"retry-after-ms", "200"}};

  SECTION("on") {
    env.server.push_response(limited);
    const Response response = env.openai(options)->get_response("hi");
    CHECK(env.server.requests().size() == 2);
    CHECK(response.attempts == 2);
    REQUIRE(response.failed_attempts.size() == 1);
    CHECK(response.failed_attempts[0].kind == ErrorKind::rate_limited);
    CHECK(response.failed_attempts[0].waited_ms == 200);
    REQUIRE(recorded.waits.size() == 1);
    CHECK(recorded.waits[0] == 200ms);
  }
  SECTION("retry-after in seconds") {
    limited.headers = {{"retry-after", "2"}};
    env.server.push_response(limited);
    const Response response = env.openai(options)->get_response("hi");
    REQUIRE(response.failed_attempts.size() == 1);
    CHECK(response.failed_attempts[0].waited_ms == 2000);
  }
  SECTION("a hint above the cap is not waited for") {
    limited.headers = {{"retry-after", "3600"}};
    env.server.push_response(limited);
    CHECK_THROWS_AS(env.openai(options)->get_response("hi"), RateLimitedError);
    CHECK(env.server.requests().size() == 1);
    CHECK(recorded.waits.empty());
  }
  SECTION("off (the default): fails fast so a cascade can move on") {
    env.server.push_response(limited);
    try {
      (void)env.llm()->get_response("hi");
      FAIL("no error");
    } catch (const RateLimitedError& error) {
      CHECK(error.retry_after_ms() == 200);
      CHECK(error.details().failed_attempts.empty());
    }
    CHECK(env.server.requests().size() == 1);
    CHECK(recorded.waits.empty());
  }
  SECTION("insufficient_quota is never retried") {
    env.server.push_response(failure(
        429, R"({"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}})"));
    CHECK_THROWS_AS(env.openai(options)->get_response("hi"), RateLimitedError);
    CHECK(env.server.requests().size() == 1);
    CHECK(recorded.waits.empty());
  }
}

TEST_CASE("a stream is retried before its first chunk and never after it", "[retry]") {
  RetryEnv env;
  const auto llm = env.llm();

  SECTION("a 502 when the stream opens") {
    env.server.push_response(failure(502));
    ResponseStream stream = llm->get_response_stream("hi");
    CHECK_FALSE(drain(stream).empty());
    CHECK(stream.response().attempts == 2);
    CHECK(env.server.requests().size() == 2);
  }
  SECTION("the connection drops before any text") {
    env.server.push_response(cut_stream(0));
    ResponseStream stream = llm->get_response_stream("hi");
    CHECK_FALSE(drain(stream).empty());
    REQUIRE(stream.response().failed_attempts.size() == 1);
    CHECK(stream.response().failed_attempts[0].kind == ErrorKind::connection);
    CHECK(env.server.requests().size() == 2);
  }
  SECTION("the connection drops after some text") {
    env.server.push_response(cut_stream(1500));
    ResponseStream stream = llm->get_response_stream("hi");
    std::string text;
    try {
      for (std::string_view piece : stream) text.append(piece);
      FAIL("no error");
    } catch (const ConnectionError& error) {
      CHECK_FALSE(text.empty());
      CHECK(error.partial_content() == text);
    }
    CHECK(env.server.requests().size() == 1);
    CHECK(env.recorded.waits.empty());
  }
}

TEST_CASE("errors a retry cannot fix are raised at once", "[retry]") {
  RetryEnv env;
  const auto llm = env.llm();
  SECTION("bad request") {
    env.push_fixture("openai/error_400.json");
    CHECK_THROWS_AS(llm->get_response("hi"), BadRequestError);
    CHECK(env.server.requests().size() == 1);
  }
  SECTION("a bad header: nothing is sent") {
    RequestOptions request;
    request.extra_headers.set("Bad Name", "x");
    CHECK_THROWS_AS(llm->get_response("hi", request), ConfigurationError);
    CHECK(env.server.requests().empty());
  }
  CHECK(env.recorded.waits.empty());
}

TEST_CASE("a retry policy that cannot work is a configuration error", "[retry]") {
  ProviderTestEnv env;
  ClientOptions options = env.openai_options();
  options.retry.max_attempts = 0;
  CHECK_THROWS_WITH(env.openai(options), Catch::Contains("retry.max_attempts must be at least 1"));
  options = env.openai_options();
  options.retry.base_delay = -1ms;
  CHECK_THROWS_AS(env.openai(options), ConfigurationError);
}

TEST_CASE("a wait that throws stops retrying with that exception", "[retry]") {
  ProviderTestEnv env;
  ClientOptions options = env.openai_options();
  options.retry = RetryPolicy{};
  options.retry.wait = [](std::chrono::milliseconds) {
    ErrorDetails details;
    details.kind = ErrorKind::cancelled;
    details.message = "shutting down";
    throw_error(std::move(details));
  };
  env.server.push_response(failure(503));
  CHECK_THROWS_AS(env.openai(options)->get_response("hi"), CancelledError);
  CHECK(env.server.requests().size() == 1);
}

TEST_CASE("each plugin's retry hint reaches the policy: retry-after-ms, retry-after, Gemini's RetryInfo", "[retry]") {
  RetryEnv env;
  RetryPolicy policy;
  policy.retry_rate_limited = true;
  struct Row {
    const char* provider;
    std::vector<fake::Header> headers;
    int64_t expected_ms;
  };
  const Row rows[] = {
      {"openai", {{"retry-after-ms", "250"}}, 250},
      {"anthropic", {{"retry-after", "3"}}, 3000},
      {"gemini", {}, 26'000},  // "retryDelay": "26s" in the fixture's body
      {"deepseek", {{"retry-after", "1.5"}}, 1500},
      {"cohere", {{"retry-after", "4"}}, 4000},
  };
  for (const Row& row : rows) {
    DYNAMIC_SECTION(row.provider) {
      const std::string provider = row.provider;
      env.push_fixture(provider + "/error_429.json", row.headers);
      std::shared_ptr<LLM> llm;
      const auto with_policy = [&](ClientOptions options) {
        options.retry = env.recorded.policy(policy);
        return options;
      };
      if (provider == "openai") llm = env.openai(with_policy(env.openai_options()));
      if (provider == "anthropic") llm = env.anthropic(with_policy(env.anthropic_options()));
      if (provider == "gemini") llm = env.gemini(with_policy(env.gemini_options()));
      if (provider == "deepseek") llm = env.deepseek(with_policy(env.deepseek_options()));
      if (provider == "cohere") llm = env.cohere(with_policy(env.cohere_options()));
      const Response response = llm->get_response("hi");
      REQUIRE(response.failed_attempts.size() == 1);
      CHECK(response.failed_attempts[0].kind == ErrorKind::rate_limited);
      CHECK(response.failed_attempts[0].waited_ms == row.expected_ms);
      CHECK(env.server.requests().size() == 2);
    }
  }
  SECTION("retry-after as an HTTP date") {
    // 50 s ahead, whole seconds: the wait is what is left of them when the answer is read, far
    // above the backoff (at most 500 ms) it would be without the hint.
    const auto when = std::chrono::system_clock::now() + 50s;
    const std::time_t seconds = std::chrono::system_clock::to_time_t(when);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char date[64];
    std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &utc);
    env.push_fixture("openai/error_429.json", {{"retry-after", date}});
    const Response response = env.llm(policy)->get_response("hi");
    REQUIRE(response.failed_attempts.size() == 1);
    CHECK(response.failed_attempts[0].waited_ms > 1'000);
    CHECK(response.failed_attempts[0].waited_ms <= 50'000);
  }
}
