// Call records over loopback: one record per attempt, carried through retries, cascades and the call log.
#include "logging_test_env.hpp"
#include "provider_test_env.hpp"

#include <majordomo/layers.hpp>
#include <majordomo/logging.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

using namespace majordomo;
using majordomo::testing::ProviderTestEnv;
using majordomo::testing::TempDir;
using majordomo::testing::read_text;
using majordomo::testing::sha256_prefix16;

namespace {

const std::string kBusy = R"({"error":{"message":"busy","type":"server_error","param":null,"code":null}})";

// Waits recorded instead of slept.
ClientOptions retrying(ClientOptions options, std::vector<std::chrono::milliseconds>& waits) {
  options.retry.max_attempts = 3;
  options.retry.wait = [&waits](std::chrono::milliseconds wait) { waits.push_back(wait); };
  return options;
}

const std::string* header_value(const SentRequest& request, std::string_view name) {
  return request.headers.find(name);
}

// A middleware of the caller's own that overrides only complete(): everything else is forwarded.
class CountingLLM final : public ForwardingLLM {
 public:
  using ForwardingLLM::ForwardingLLM;
  Response complete(const LLMRequest& request) override {
    ++calls;
    return ForwardingLLM::complete(request);
  }
  std::atomic<int> calls{0};
};

// An LLM whose dry run must never be needed: the call log reads records, not resolve().
class NoDryRunLLM final : public ForwardingLLM {
 public:
  using ForwardingLLM::ForwardingLLM;
  std::vector<ResolvedRequest> resolve(const LLMRequest&, bool) const override {
    ++resolves;
    throw_configuration_error("this LLM has no dry run");
  }
  mutable std::atomic<int> resolves{0};
};

}  // namespace

TEST_CASE("a retried call carries one record per attempt, sharing the request as sent", "[records]") {
  ProviderTestEnv env;
  env.server.push_response(ProviderTestEnv::scripted_status(503, kBusy, "/chat/completions"));
  std::vector<std::chrono::milliseconds> waits;
  const Response response = env.openai(retrying(env.openai_options(), waits))->get_response("Hello records");

  REQUIRE(response.records.size() == 2);
  const AttemptRecord& failed = response.records[0];
  const AttemptRecord& answered = response.records[1];
  CHECK(failed.provider == "openai");
  CHECK(failed.model == "gpt-4o");
  CHECK(failed.operation == CallOperation::complete);
  REQUIRE(failed.error.has_value());
  CHECK(*failed.error == ErrorKind::overloaded);
  CHECK(failed.http_status == 503);
  CHECK(failed.message.find("busy") != std::string::npos);
  REQUIRE(waits.size() == 1);
  CHECK(failed.waited_ms == waits[0].count());
  CHECK_FALSE(answered.error.has_value());
  CHECK(answered.usage.input_tokens == response.usage.input_tokens);
  CHECK(answered.usage.output_tokens == response.usage.output_tokens);
  CHECK(answered.cost.total == response.cost.total);
  CHECK(answered.stop_reason == response.stop_reason);
  CHECK(answered.request_id == response.request_id);

  // A retry resends the same bytes: one SentRequest for both attempts, exactly what arrived.
  REQUIRE(failed.request != nullptr);
  CHECK(failed.request == answered.request);
  const SentRequest& sent = *answered.request;
  CHECK(sent.method == "POST");
  CHECK(sent.url == env.server.origin() + "/v1/chat/completions");
  const auto received = env.server.requests();
  REQUIRE(received.size() == 2);
  CHECK(sent.body == received.back().body);
  const std::string* authorization = header_value(sent, "Authorization");
  REQUIRE(authorization != nullptr);
  CHECK(authorization->find("sk-test-0000") == std::string::npos);
  CHECK(answered.api_key_hash == sha256_prefix16("sk-test-0000"));
  CHECK(response.failed_attempts.size() == 1);  // the older history is still there
}

TEST_CASE("a record redacts a credential wherever the request carried it, and keeps gateway metadata", "[records]") {
  ProviderTestEnv env;
  RequestOptions options;
  options.extra_headers.set("X-Majordomo-Feature", "records");
  options.extra_headers.set("Authorization", "Bearer sk-per-request-9999");
  // A prompt that quotes the key: the body as recorded must not.
  const Response response = env.openai()->get_response("my key is sk-per-request-9999", options);
  REQUIRE(response.records.size() == 1);
  const AttemptRecord& record = response.records.back();
  REQUIRE(record.request != nullptr);
  CHECK(record.request->body.find("sk-per-request-9999") == std::string::npos);
  CHECK(record.request->body.find("[REDACTED]") != std::string::npos);
  CHECK(record.api_key_hash == sha256_prefix16("sk-per-request-9999"));
  const std::string* feature = record.metadata.find("x-majordomo-feature");
  REQUIRE(feature != nullptr);
  CHECK(*feature == "records");
  CHECK(redact_credentials(record, "echo sk-per-request-9999 and sk-test-0000") ==
        "echo [REDACTED] and [REDACTED]");
}

TEST_CASE("a cascade passes on every member's records, in order, for an answer and for an error", "[records]") {
  ProviderTestEnv env;
  const std::vector<CascadeMember> members = {
      majordomo::testing::member_at("openai", "gpt-4o", env.server.origin() + "/v1", "sk-test-0000"),
      majordomo::testing::member_at("anthropic", "claude-haiku-4-5", env.server.origin(), "sk-ant-test-0000")};
  const auto cascade = env.host.get_cascade(members, ProviderTestEnv::single_attempt());

  SECTION("the second member answers") {
    env.server.push_response(ProviderTestEnv::scripted_status(500, kBusy, "/chat/completions"));
    const Response response = cascade->get_response("hi");
    REQUIRE(response.records.size() == 2);
    CHECK(response.records[0].provider == "openai");
    CHECK(response.records[0].error == ErrorKind::server);
    CHECK(response.records[1].provider == "anthropic");
    CHECK_FALSE(response.records[1].error.has_value());
    CHECK(response.records[1].api_key_hash == sha256_prefix16("sk-ant-test-0000"));
  }
  SECTION("every member fails") {
    env.server.push_response(ProviderTestEnv::scripted_status(500, kBusy, "/chat/completions"));
    env.server.push_response(ProviderTestEnv::scripted_status(529, R"({"type":"error","error":{"type":"overloaded_error","message":"busy"}})",
                                                              "/v1/messages"));
    try {
      (void)cascade->get_response("hi");
      FAIL("the cascade answered");
    } catch (const Error& error) {
      const auto& records = error.details().records;
      REQUIRE(records.size() == 2);
      CHECK(records[0].provider == "openai");
      CHECK(records[1].provider == "anthropic");
      CHECK(records[1].error == ErrorKind::overloaded);
      CHECK(records[1].http_status == 529);
    }
  }
}

TEST_CASE("an answer refused by its check keeps its usage in the record, and a cascade moves on", "[records]") {
  ProviderTestEnv env;  // its OpenAI route answers text that is not JSON
  fake::FakeProviderServer json_server{ProviderTestEnv::default_options()};
  json_server.start();
  majordomo::testing::answer_next_with(json_server, "openai/structured_output.json");
  std::vector<CascadeMember> members = {
      majordomo::testing::member_at("openai", "gpt-4o", env.server.origin() + "/v1"),
      majordomo::testing::member_at("openai", "gpt-4o-mini", json_server.origin() + "/v1")};
  ClientOptions shared = ProviderTestEnv::single_attempt();
  shared.api_key = "sk-test-0000";
  // A middleware that forwards only complete(): the check still reaches the cascade (it travels
  // with the request), so the fail-over on a refused answer survives the extra layer.
  const auto counting = std::make_shared<CountingLLM>(env.host.get_cascade(std::move(members), shared));
  const JsonResponse parsed = counting->get_json_response("Weather?");
  CHECK(counting->calls == 1);
  CHECK(parsed.response.served_by == "openai:gpt-4o-mini");
  REQUIRE(parsed.response.records.size() == 2);
  const AttemptRecord& refused = parsed.response.records[0];
  CHECK(refused.error == ErrorKind::parse);
  CHECK(refused.usage.output_tokens > 0);  // the refused answer was paid for
  CHECK_FALSE(parsed.response.records[1].error.has_value());
}

TEST_CASE("the call log reads records: no dry run, and the body file holds the request as sent", "[records][logging]") {
  ProviderTestEnv env;
  TempDir dir;
  const std::string target = "sqlite:" + (dir.path / "calls.db").string();
  LoggingOptions options;
  options.target = target;
  options.bodies_dir = dir.path / "bodies";
  RequestOptions request_options;
  request_options.extra_headers.set("X-Majordomo-Feature", "log");
  const auto inner = std::make_shared<NoDryRunLLM>(env.openai());
  {
    const auto logged = layered(inner, {logging_layer(options)});
    const Response response = logged->get_response("Hello log", request_options);
    REQUIRE(response.records.size() == 1);
  }
  CHECK(inner->resolves == 0);
  const auto rows = read_log(target, 10);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].status == "ok");
  CHECK(rows[0].operation == "complete");
  CHECK(rows[0].api_key_hash == sha256_prefix16("sk-test-0000"));
  CHECK(rows[0].metadata == R"({"X-Majordomo-Feature":"log"})");
  const std::string request_file = read_text(dir.path / "bodies" / rows[0].request_body_key);
  const auto received = env.server.requests();
  REQUIRE(received.size() == 1);
  const auto parsed = majordomo::testing::parse_object(request_file);
  CHECK(parsed->getValue<std::string>("body") == received[0].body);
  CHECK(parsed->getValue<std::string>("url") == env.server.origin() + "/v1/chat/completions");
  CHECK(request_file.find("sk-test-0000") == std::string::npos);
  // The response file: the answer in the CLI's shape and every attempt's outcome.
  const auto answer = majordomo::testing::parse_object(read_text(dir.path / "bodies" / rows[0].response_body_key));
  CHECK(answer->getObject("response")->getValue<std::string>("content").size() > 0);
  const auto records = answer->getArray("records");
  REQUIRE(records->size() == 1);
  CHECK(records->getObject(0)->isNull("error"));
  CHECK(records->getObject(0)->getValue<std::string>("api_key_hash") == sha256_prefix16("sk-test-0000"));
}

TEST_CASE("an abandoned stream's attempt is recorded as cancelled, in the response and the call log", "[records][logging]") {
  ProviderTestEnv env;
  TempDir dir;
  LoggingOptions options;
  options.target = "sqlite:" + (dir.path / "calls.db").string();
  options.bodies_dir = dir.path / "bodies";
  {
    const auto logged = layered(env.openai(), {logging_layer(options)});
    ResponseStream stream = logged->get_response_stream("Hello");
    REQUIRE(stream.next_text().has_value());
    stream.close();
    REQUIRE(stream.response().records.size() == 1);
    CHECK(stream.response().records[0].error == ErrorKind::cancelled);
  }
  const auto rows = read_log(options.target, 10);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].status == "abandoned");
  CHECK(rows[0].api_key_hash == sha256_prefix16("sk-test-0000"));
  const auto answer = majordomo::testing::parse_object(read_text(dir.path / "bodies" / rows[0].response_body_key));
  const auto records = answer->getArray("records");
  REQUIRE(records->size() == 1);
  REQUIRE_FALSE(records->getObject(0)->isNull("error"));
  CHECK(records->getObject(0)->getObject("error")->getValue<std::string>("kind") == "cancelled");
}

TEST_CASE("layered applies layers innermost first and refuses a null LLM or layer result", "[records]") {
  ProviderTestEnv env;
  std::shared_ptr<CountingLLM> first, second;
  const auto llm = layered(env.openai(), {
      [&](std::shared_ptr<LLM> inner) { return first = std::make_shared<CountingLLM>(std::move(inner)); },
      [&](std::shared_ptr<LLM> inner) { return second = std::make_shared<CountingLLM>(std::move(inner)); }});
  CHECK(llm == second);
  CHECK(second->inner() == first);
  (void)llm->get_response("hi");
  CHECK(first->calls == 1);
  CHECK(second->calls == 1);
  CHECK_THROWS_AS(layered(nullptr, {}), ConfigurationError);
  CHECK_THROWS_WITH(layered(env.openai(), {[](std::shared_ptr<LLM>) { return std::shared_ptr<LLM>(); }}),
                    Catch::Contains("layer 1"));
  CHECK_THROWS_AS(ForwardingLLM(nullptr), ConfigurationError);
}
