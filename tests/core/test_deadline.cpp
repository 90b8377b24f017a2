// Timeouts::deadline over loopback: one end for a whole call, its attempts, its waits and a cascade's members.
#include "provider_test_env.hpp"
#include "recorded_waits.hpp"
#include "stalling_server.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace majordomo;
using namespace std::chrono_literals;
using majordomo::testing::ProviderTestEnv;
using majordomo::testing::RecordedWaits;
using majordomo::testing::StallingServer;
using Clock = std::chrono::steady_clock;

namespace {

// OpenAI options against `origin` with a whole-call deadline and three attempts.
ClientOptions openai_at(const std::string& origin, std::chrono::milliseconds deadline, RecordedWaits& waits) {
  ClientOptions options;
  options.api_key = "sk-test-0000";
  options.base_url = origin + "/v1";
  options.timeouts.deadline = deadline;
  options.retry = waits.policy();
  return options;
}

// A middleware that records the deadline each call's request carries, then forwards it.
class DeadlineRecorder final : public LLM {
 public:
  explicit DeadlineRecorder(std::shared_ptr<LLM> inner) : inner_(std::move(inner)) {}
  std::string_view provider() const noexcept override { return inner_->provider(); }
  std::string_view model() const noexcept override { return inner_->model(); }
  std::chrono::milliseconds call_deadline() const noexcept override { return inner_->call_deadline(); }
  Response complete(const LLMRequest& request) override {
    record(request);
    return inner_->complete(request);
  }
  ResponseStream stream(const LLMRequest& request) override {
    record(request);
    return inner_->stream(request);
  }
  std::vector<ResolvedRequest> resolve(const LLMRequest& request, bool stream) const override {
    return inner_->resolve(request, stream);
  }

  std::optional<Clock::time_point> deadline;  // of the last call
  Clock::time_point called_at;

 private:
  void record(const LLMRequest& request) {
    called_at = Clock::now();
    deadline = request.deadline;
  }
  std::shared_ptr<LLM> inner_;
};

// Runs `call`, which must throw TimeoutError, and returns it with how long the call took.
template <class Call>
std::pair<TimeoutError, Clock::duration> expect_timeout(Call&& call) {
  const auto start = Clock::now();
  try {
    call();
  } catch (const TimeoutError& error) {
    return {error, Clock::now() - start};
  }
  FAIL("the call did not end with a TimeoutError");
  throw std::logic_error("unreachable");
}

std::string drain_text(ResponseStream stream) { return majordomo::testing::drain(stream); }

// An OpenAI instance with a 1.5 s deadline against a server that stalls in `mode`.
struct StalledCall {
  StallingServer server;
  ProviderTestEnv env;
  RecordedWaits waits;
  std::shared_ptr<LLM> llm;

  explicit StalledCall(StallingServer::Mode mode)
      : server(mode), llm(env.openai(openai_at(server.origin(), 1500ms, waits))) {}

  // Asks once, as JSON or as a stream; returns the timeout the call ended in and how long it took.
  std::pair<TimeoutError, Clock::duration> timeout(bool stream) {
    return expect_timeout([&] {
      if (stream) {
        (void)drain_text(llm->get_response_stream("hi"));
      } else {
        (void)llm->get_response("hi");
      }
    });
  }
};

}  // namespace

TEST_CASE("a server that never answers: the call ends at its deadline as a timeout that names it, JSON and stream",
          "[deadline]") {
  StalledCall call(StallingServer::Mode::silent);
  const bool stream = GENERATE(false, true);
  INFO("stream " << stream);
  const auto [error, took] = call.timeout(stream);
  CHECK(took < 6s);
  CHECK(error.kind() == ErrorKind::timeout);
  CHECK(error.provider() == "openai");
  CHECK_THAT(error.what(), Catch::Contains("deadline of 1.5 s") && Catch::Contains("ClientOptions::timeouts.deadline") &&
                               Catch::Contains("--timeout"));
  // The attempt the deadline ended is kept; nothing was retried past it.
  REQUIRE_FALSE(error.details().failed_attempts.empty());
  CHECK(error.details().failed_attempts.back().kind == ErrorKind::timeout);
  CHECK(call.waits.waits.empty());
  CHECK(call.server.connections() == 1);
}

TEST_CASE("a stream of keep-alive comments ends at the deadline, JSON and stream", "[deadline]") {
  StalledCall call(StallingServer::Mode::keep_alive);
  const bool stream = GENERATE(false, true);
  INFO("stream " << stream);
  const auto [error, took] = call.timeout(stream);
  CHECK(took < 6s);
  CHECK_THAT(error.what(), Catch::Contains("ClientOptions::timeouts.deadline"));
  CHECK(call.server.connections() == 1);
}

TEST_CASE("a backoff wait that would end past the deadline is not started", "[deadline][retry]") {
  ProviderTestEnv env;
  env.server.push_response(ProviderTestEnv::scripted_status(
      503, R"({"error":{"message":"busy","type":"server_error","param":null,"code":null}})", "/chat/completions"));
  RecordedWaits waits;
  ClientOptions options = openai_at(env.server.origin(), 3s, waits);
  options.retry.base_delay = 10s;
  options.retry.max_delay = 10s;
  const auto [error, took] = expect_timeout([&] { (void)env.openai(options)->get_response("hi"); });
  CHECK(waits.waits.empty());
  CHECK(env.server.requests().size() == 1);
  CHECK_THAT(error.what(), Catch::Contains("wait before attempt 2 would end past it") &&
                               Catch::Contains("deadline of 3 s"));
  REQUIRE(error.details().failed_attempts.size() == 1);
  CHECK(error.details().failed_attempts[0].http_status == 503);
  CHECK(took < 3s);  // it did not sit out the wait or the deadline

  // A wait that fits is taken as before.
  env.server.push_response(ProviderTestEnv::scripted_status(
      503, R"({"error":{"message":"busy","type":"server_error","param":null,"code":null}})", "/chat/completions"));
  options.retry.base_delay = 20ms;
  const Response response = env.openai(options)->get_response("hi");
  CHECK(response.attempts == 2);
  CHECK(waits.waits.size() == 1);
}

TEST_CASE("each attempt carries the time left to a plugin that reads it, and never to an older one", "[deadline]") {
  Host host(majordomo::testing::only_plugin_dirs(
      {MAJORDOMO_TEST_GOOD_PLUGIN_DIR, MAJORDOMO_TEST_PRE_PROXY_PLUGIN_DIR}));
  ClientOptions options;
  options.api_key = "echo-key-0000";
  options.retry.max_attempts = 1;

  options.timeouts.deadline = 60s;
  const std::string left = host.get_llm_instance("echo", "echo-1", options)->get_response("time left?").content;
  const long long millis = std::stoll(left);
  CHECK(millis > 0);
  CHECK(millis <= 60'000);

  // A request deadline (a cascade's share) earlier than the LLM's own wins.
  LLMRequest request = LLMRequest::from_prompt("time left?");
  request.deadline = Clock::now() + 5s;
  const long long share = std::stoll(host.get_llm_instance("echo", "echo-1", options)->complete(request).content);
  CHECK(share > 0);
  CHECK(share <= 5'000);

  options.timeouts.deadline = 0ms;  // no deadline
  CHECK(host.get_llm_instance("echo", "echo-1", options)->get_response("time left?").content == "0");
  options.timeouts.deadline = 60s;  // a plugin built before 0.3 is not sent the field
  CHECK(host.get_llm_instance("echo-old", "echo-1", options)->get_response("time left?").content == "0");
}

TEST_CASE("between events the host stops a stream at the deadline, for a plugin that cannot see it", "[deadline]") {
  Host host(majordomo::testing::only_plugin_dirs({MAJORDOMO_TEST_PRE_PROXY_PLUGIN_DIR}));
  ClientOptions options;
  options.api_key = "echo-key-0000";
  options.timeouts.deadline = 300ms;
  const auto start = Clock::now();
  ResponseStream stream = host.get_llm_instance("echo-old", "echo-1", options)->get_response_stream("one two three");
  StreamChunk chunk;
  REQUIRE(stream.next(chunk));  // the META event is not a chunk: this is "one "
  CHECK(chunk.text == "one ");
  // The caller takes its time; the plugin has more events ready.
  while (Clock::now() < start + 400ms) std::this_thread::sleep_for(10ms);
  try {
    while (stream.next(chunk)) {
    }
    FAIL("the stream outlived its deadline");
  } catch (const TimeoutError& error) {
    CHECK(error.partial_content() == "one ");
    CHECK_THAT(error.what(), Catch::Contains("deadline of 0.3 s"));
  }
}

TEST_CASE("a cascade gives each member the time left divided by the members left", "[deadline][cascade]") {
  ProviderTestEnv env;
  RecordedWaits waits;
  ClientOptions options = openai_at(env.server.origin(), 3s, waits);
  options.retry.max_attempts = 1;
  env.server.push_response(ProviderTestEnv::scripted_status(
      503, R"({"error":{"message":"busy","type":"server_error","param":null,"code":null}})", "/chat/completions"));
  const auto first = std::make_shared<DeadlineRecorder>(env.openai(options));
  const auto second = std::make_shared<DeadlineRecorder>(env.openai(options));
  auto cascade = std::make_shared<CascadeLLM>(std::vector<std::shared_ptr<LLM>>{first, second});
  CHECK(cascade->call_deadline() == 3s);

  const auto before = Clock::now();
  const Response response = cascade->get_response("hi");
  CHECK(response.served_by == "openai:gpt-4o");
  REQUIRE(response.failed_attempts.size() == 1);
  REQUIRE(first->deadline.has_value());
  REQUIRE(second->deadline.has_value());
  // The first of two members: half of the 3 s, counted from the cascade's start.
  CHECK(*first->deadline >= before + 1500ms);
  CHECK(*first->deadline <= first->called_at + 1500ms);
  // The last member: all that is left, i.e. the cascade's own end.
  CHECK(*second->deadline >= before + 3s);
  CHECK(*second->deadline <= second->called_at + 3s);

  // A deadline the caller sets bounds the cascade instead of its members' own.
  LLMRequest request = LLMRequest::from_prompt("hi");
  request.deadline = Clock::now() + 1s;
  (void)cascade->complete(request);
  CHECK(*first->deadline <= *request.deadline);
  CHECK(*first->deadline <= first->called_at + 500ms);
}

// Needs the transport branch (the SDK ending an attempt at mj_call_params.time_left_ms): without
// it the first member runs to its own total timeout and the second is never tried.
TEST_CASE("a cascade of two silent members: each gets its share and the call ends by the deadline",
          "[deadline][cascade][needs-transport-branch]") {
  StallingServer server(StallingServer::Mode::silent);
  ProviderTestEnv env;
  RecordedWaits waits;
  ClientOptions options = openai_at(server.origin(), 2s, waits);
  options.retry.max_attempts = 1;
  auto cascade = std::make_shared<CascadeLLM>(
      std::vector<std::shared_ptr<LLM>>{env.openai(options), env.openai(options)});
  const bool stream = GENERATE(false, true);
  INFO("stream " << stream);
  const auto [error, took] = expect_timeout([&] {
    if (stream) {
      (void)drain_text(cascade->get_response_stream("hi"));
    } else {
      (void)cascade->get_response("hi");
    }
  });
  CHECK(took < 6s);
  CHECK_THAT(error.what(), Catch::Contains("ClientOptions::timeouts.deadline"));
  CHECK(server.connections() == 2);
  // The first member ended at its share, not at the whole deadline.
  bool share_named = false;
  for (const FailedAttempt& attempt : error.details().failed_attempts) {
    share_named = share_named || attempt.message.find("its caller gave it") != std::string::npos;
  }
  CHECK(share_named);
}
