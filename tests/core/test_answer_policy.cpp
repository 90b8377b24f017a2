// Answers that end badly: fail_on_truncation raises truncated, a failed finish reason raises server.
#include "provider_test_env.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace majordomo;
using majordomo::testing::ProviderTestEnv;
using majordomo::testing::drain;

namespace {

// Runs one call to its end and returns the error it raised (nullopt when it succeeded), with the
// text a stream delivered before the error.
struct Ending {
  std::optional<ErrorDetails> error;
  std::string delivered;
  Response response;
};

Ending run(LLM& llm, bool stream, const RequestOptions& options) {
  Ending ending;
  try {
    if (stream) {
      ResponseStream answer = llm.get_response_stream("hi", options);
      for (std::string_view piece : answer) ending.delivered.append(piece);
      ending.response = answer.response();
    } else {
      ending.response = llm.get_response("hi", options);
    }
  } catch (const Error& error) {
    ending.error = error.details();
  }
  return ending;
}

}  // namespace

TEST_CASE("fail_on_truncation turns an answer cut at the output cap into a truncated error", "[policy]") {
  struct Row {
    const char* fixture;
    bool stream;
    bool responses_api;
  };
  const Row rows[] = {{"openai/chat_completion_length.json", false, false},
                      {"openai/stream_length_truncated.sse", true, false},
                      {"openai/responses_incomplete.json", false, true},
                      {"openai/responses_stream_incomplete.sse", true, true}};
  for (const auto& row : rows) {
    DYNAMIC_SECTION(row.fixture) {
      ProviderTestEnv env;
      ClientOptions options = env.openai_options();
      if (row.responses_api) options.provider_options["api"] = "responses";
      const auto llm = env.openai(options);

      // Without the option the cut answer is returned as it is, marked max_tokens.
      env.push_fixture(row.fixture);
      const Ending plain = run(*llm, row.stream, {});
      REQUIRE_FALSE(plain.error);
      CHECK(plain.response.stop_reason == StopReason::max_tokens);

      RequestOptions strict;
      strict.fail_on_truncation = true;
      env.push_fixture(row.fixture);
      const Ending cut = run(*llm, row.stream, strict);
      REQUIRE(cut.error);
      CHECK(cut.error->kind == ErrorKind::truncated);
      CHECK(cut.error->partial_content == plain.response.content);
      CHECK(cut.error->provider == "openai");
      CHECK(cut.error->provider_error_type == plain.response.raw_stop_reason);
      if (row.stream) CHECK(cut.delivered == plain.response.content);
      // The same request would be cut again: not retried.
      CHECK(env.server.requests().size() == 2);
    }
  }
}

TEST_CASE("a whole answer is unaffected by fail_on_truncation", "[policy]") {
  ProviderTestEnv env;
  RequestOptions strict;
  strict.fail_on_truncation = true;
  env.push_fixture("openai/chat_completion.json");
  const Ending whole = run(*env.openai(), false, strict);
  REQUIRE_FALSE(whole.error);
  CHECK(whole.response.stop_reason == StopReason::end_turn);
}

TEST_CASE("a cascade moves on from a failed finish reason but not from a truncated answer", "[policy][cascade]") {
  ProviderTestEnv env;
  ClientOptions shared;
  shared.base_url = env.server.origin();
  shared.retry.max_attempts = 1;
  std::vector<CascadeMember> members = parse_cascade_members("deepseek:deepseek-flash,cohere:command-a-03-2025");
  members[0].api_key = "sk-ds-test-0000";
  members[1].api_key = "co-test-0000";
  const auto cascade = env.host.get_cascade(members, shared);

  const auto ending_with = [](const std::string& finish_reason) {
    return R"({"id":"d1","object":"chat.completion","model":"deepseek-flash","choices":[{"index":0,"message":)"
           R"({"role":"assistant","content":"Half an ans"},"finish_reason":")" +
           finish_reason + R"("}],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}})";
  };

  SECTION("insufficient_system_resource: the next member answers") {
    env.server.push_response(ProviderTestEnv::scripted_status(
        200, ending_with("insufficient_system_resource"), "/chat/completions"));
    env.push_fixture("cohere/chat.json");
    const Response response = cascade->get_response("hi");
    CHECK(response.served_by == "cohere:command-a-03-2025");
    REQUIRE(response.failed_attempts.size() == 1);
    CHECK(response.failed_attempts[0].provider == "deepseek");
    CHECK(response.failed_attempts[0].kind == ErrorKind::server);
    CHECK(env.server.requests().size() == 2);
  }
  SECTION("length with fail_on_truncation: the caller gets truncated, no other member is asked") {
    env.server.push_response(ProviderTestEnv::scripted_status(
        200, ending_with("length"), "/chat/completions"));
    RequestOptions strict;
    strict.fail_on_truncation = true;
    try {
      (void)cascade->get_response("hi", strict);
      FAIL("no error");
    } catch (const TruncatedError& error) {
      CHECK(error.partial_content() == "Half an ans");
    }
    CHECK(env.server.requests().size() == 1);
  }
}
