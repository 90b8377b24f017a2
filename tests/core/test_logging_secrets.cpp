// The call log holds no credential a server echoed, whatever its length, and records an answer that could not be delivered.
#include "logging_test_env.hpp"
#include "provider_test_env.hpp"

#include <majordomo/cascade.hpp>
#include <majordomo/logging.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <string>

using namespace majordomo;
using namespace majordomo::testing;

namespace {

// Delivers each answer by failing, as the CLI's printer does when stdout is closed.
class UndeliverableLLM final : public LLM {
 public:
  explicit UndeliverableLLM(std::shared_ptr<LLM> inner) : inner_(std::move(inner)) {}
  std::string_view provider() const noexcept override { return inner_->provider(); }
  std::string_view model() const noexcept override { return inner_->model(); }
  Response complete(const LLMRequest& request) override {
    Response answer = inner_->complete(request);
    throw DeliveryError("cannot write to standard output: broken pipe", answer);
  }
  ResponseStream stream(const LLMRequest& request) override { return inner_->stream(request); }
  std::vector<ResolvedRequest> resolve(const LLMRequest& request, bool stream) const override {
    return inner_->resolve(request, stream);
  }

 private:
  std::shared_ptr<LLM> inner_;
};

LoggingOptions sqlite_in(const TempDir& dir, bool bodies) {
  LoggingOptions options;
  options.target = "sqlite:" + (dir.path / "calls.db").string();
  if (bodies) options.bodies_dir = dir.path / "bodies";
  return options;
}

}  // namespace

TEST_CASE("a key echoed in request ids, error bodies and model names reaches no column or body file",
          "[logging][secrets]") {
  ProviderTestEnv env;
  TempDir dir;
  // One byte: only a whole-value or value-position match can find it.
  for (const std::string key : {"sk-log-echo-secret-9", "z"}) {
    DYNAMIC_SECTION("a key of " << key.size() << " byte(s)") {
      ClientOptions options = env.openai_options();
      options.api_key = key;
      const LoggingOptions logging = sqlite_in(dir, true);
      auto logger = std::make_shared<LoggingLLM>(env.openai(options), logging);

      env.push_fixture("openai/chat_completion.json", {{"x-request-id", key}});
      (void)logger->get_response("hi");
      auto failure = ProviderTestEnv::scripted_status(
          401, R"({"error":{"message":"Incorrect API key provided: )" + key + R"(.","type":"invalid_request_error"}})");
      failure.headers = {{"x-request-id", key}};
      env.server.push_response(failure);
      CHECK_THROWS_AS(logger->get_response("hi"), AuthenticationError);
      logger->close();

      const auto rows = read_log(logging.target, 2);
      REQUIRE(rows.size() == 2);
      CHECK(rows[0].status == "ok");
      CHECK(rows[0].provider_request_id == "[REDACTED]");
      CHECK(rows[1].status == "error");
      CHECK(rows[1].provider_request_id == "[REDACTED]");
      CHECK_THAT(rows[1].error_message, Catch::Contains("provided: [REDACTED]."));
      for (const auto& row : rows) {
        for (const std::string& file : {row.request_body_key, row.response_body_key}) {
          REQUIRE_FALSE(file.empty());
          const std::string text = read_text(*logging.bodies_dir / file);
          if (key.size() > 1) CHECK_THAT(text, !Catch::Contains(key));
          CHECK_THAT(text, !Catch::Contains("\"request_id\":\"" + key + "\""));
        }
      }
    }
  }
}

TEST_CASE("an answer the caller could not deliver is logged as an output error with its usage", "[logging]") {
  ProviderTestEnv env;
  TempDir dir;
  const LoggingOptions logging = sqlite_in(dir, false);
  auto logger = std::make_shared<LoggingLLM>(std::make_shared<UndeliverableLLM>(env.openai()), logging);
  env.push_fixture("openai/chat_completion.json");
  try {
    (void)logger->get_response("hi");
    FAIL("no error");
  } catch (const DeliveryError& error) {
    CHECK(error.answer().usage.input_tokens > 0);
  }
  logger->close();
  const auto rows = read_log(logging.target, 1);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].status == "error");
  CHECK(rows[0].error_kind == "output");
  CHECK_THAT(rows[0].error_message, Catch::Contains("broken pipe"));
  CHECK(rows[0].input_tokens > 0);
  CHECK(rows[0].output_tokens > 0);
}

TEST_CASE("a logged LLM reports the deadline of the LLM it wraps, so a cascade of logged members shares it",
          "[logging][deadline]") {
  ProviderTestEnv env;
  TempDir dir, other_dir;
  ClientOptions options = env.openai_options();
  options.timeouts.deadline = std::chrono::milliseconds(4'321);
  auto logger = std::make_shared<LoggingLLM>(env.openai(options), sqlite_in(dir, false));
  CHECK(logger->call_deadline() == std::chrono::milliseconds(4'321));
  const CascadeLLM cascade({logger, std::make_shared<LoggingLLM>(env.openai(options), sqlite_in(other_dir, false))});
  CHECK(cascade.call_deadline() == std::chrono::milliseconds(4'321));
}
