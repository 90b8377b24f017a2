// CallCancellation over loopback: calls blocked on a silent server, a stream between chunks, a backoff wait, a cascade, before and after the call.
#include "provider_test_env.hpp"
#include "stalling_server.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

using namespace majordomo;
using namespace std::chrono_literals;
using majordomo::testing::ProviderTestEnv;
using majordomo::testing::StallingServer;

namespace {

// Every bounded wait of these tests: far longer than any run needs, far shorter than the ctest
// timeout, so that a cancellation that does not wake a wait fails the test instead of hanging it.
constexpr auto kPatience = 30s;

// OpenAI options against `origin` whose own timeouts would end a stalled call only after a minute:
// a call that ends sooner ended because it was cancelled.
ClientOptions patient_openai_at(const std::string& origin) {
  ClientOptions options;
  options.api_key = "sk-test-0000";
  options.base_url = origin + "/v1";
  options.timeouts.first_byte = 60s;
  options.timeouts.idle = 60s;
  options.retry.max_attempts = 1;
  return options;
}

// A request that carries `cancellation`.
LLMRequest cancellable(const std::shared_ptr<CallCancellation>& cancellation) {
  LLMRequest request = LLMRequest::from_prompt("hi");
  request.cancellation = cancellation;
  return request;
}

// Cancels `cancellation` from its own thread once `ready` returns true (a bounded wait on the
// server); joined by the destructor.
class CancelLater {
 public:
  template <class Ready>
  CancelLater(std::shared_ptr<CallCancellation> cancellation, Ready ready)
      : thread_([cancellation = std::move(cancellation), ready = std::move(ready)]() mutable {
          ready();
          cancellation->cancel();
        }) {}
  ~CancelLater() { thread_.join(); }
  CancelLater(const CancelLater&) = delete;
  CancelLater& operator=(const CancelLater&) = delete;

 private:
  std::thread thread_;
};

// Runs `call`, which must throw CancelledError, and returns it.
template <class Call>
CancelledError expect_cancelled(Call&& call) {
  try {
    call();
  } catch (const CancelledError& error) {
    return error;
  }
  FAIL("the call did not end with a CancelledError");
  throw std::logic_error("unreachable");
}

void check_ended_as_cancelled(const CancelledError& error) {
  CHECK(error.kind() == ErrorKind::cancelled);
  CHECK(error.provider() == "openai");
  CHECK_THAT(error.what(), Catch::Contains("cancelled by its caller") && Catch::Contains("CallCancellation::cancel"));
  REQUIRE_FALSE(error.details().records.empty());
  CHECK(error.details().records.back().error == ErrorKind::cancelled);
}

}  // namespace

TEST_CASE("a call waiting for a silent server is cancelled from another thread and its connection closed",
          "[cancel][threads]") {
  const bool stream = GENERATE(false, true);
  INFO("stream " << stream);
  StallingServer server(StallingServer::Mode::silent);
  ProviderTestEnv env;
  const auto llm = env.openai(patient_openai_at(server.origin()));
  auto cancellation = std::make_shared<CallCancellation>();
  const CancelledError error = [&] {
    CancelLater later(cancellation, [&] { server.wait_for_requests(1, kPatience); });
    return expect_cancelled([&] {
      if (stream) {
        ResponseStream answer = llm->stream(cancellable(cancellation));
        (void)majordomo::testing::drain(answer);
      } else {
        (void)llm->complete(cancellable(cancellation));
      }
    });
  }();
  check_ended_as_cancelled(error);
  // The plugin stopped waiting for the head: the message is the transport's, kept in the record.
  CHECK_THAT(error.details().records.back().message, Catch::Contains("waiting for the response head"));
  CHECK(error.details().failed_attempts.empty());
  CHECK(server.wait_for_closed(1, kPatience));
  CHECK(server.connections() == 1);
}

TEST_CASE("a stream between two chunks is cancelled from another thread, keeping the text so far",
          "[cancel][threads]") {
  StallingServer server(StallingServer::Mode::first_chunk);
  ProviderTestEnv env;
  const auto llm = env.openai(patient_openai_at(server.origin()));
  auto cancellation = std::make_shared<CallCancellation>();
  ResponseStream answer = llm->stream(cancellable(cancellation));
  const auto first = answer.next_text();
  REQUIRE(first);
  CHECK(*first == StallingServer::kFirstChunk);
  // The next chunk never comes: the caller waits in next() until the other thread cancels.
  const CancelledError error = [&] {
    CancelLater later(cancellation, [] {});
    return expect_cancelled([&] { (void)answer.next_text(); });
  }();
  check_ended_as_cancelled(error);
  CHECK(error.partial_content() == StallingServer::kFirstChunk);
  CHECK(server.wait_for_closed(1, kPatience));
}

TEST_CASE("a stream of keep-alive comments is cancelled from another thread", "[cancel][threads]") {
  StallingServer server(StallingServer::Mode::keep_alive);
  ProviderTestEnv env;
  const auto llm = env.openai(patient_openai_at(server.origin()));
  auto cancellation = std::make_shared<CallCancellation>();
  ResponseStream answer = llm->stream(cancellable(cancellation));
  const CancelledError error = [&] {
    CancelLater later(cancellation, [] {});
    return expect_cancelled([&] { (void)majordomo::testing::drain(answer); });
  }();
  check_ended_as_cancelled(error);
  CHECK(server.wait_for_closed(1, kPatience));
}

TEST_CASE("a cancellation wakes the backoff wait before a retry", "[cancel][threads][retry]") {
  StallingServer server(StallingServer::Mode::unavailable);
  ProviderTestEnv env;
  ClientOptions options = patient_openai_at(server.origin());
  options.retry.max_attempts = 3;
  options.retry.base_delay = 60s;  // a wait nobody cancels outlasts the test's ctest timeout
  options.retry.max_delay = 60s;
  const auto llm = env.openai(options);
  auto cancellation = std::make_shared<CallCancellation>();
  const CancelledError error = [&] {
    CancelLater later(cancellation, [&] { server.wait_for_requests(1, kPatience); });
    return expect_cancelled([&] { (void)llm->complete(cancellable(cancellation)); });
  }();
  CHECK(error.kind() == ErrorKind::cancelled);
  CHECK_THAT(error.what(), Catch::Contains("cancelled by its caller"));
  // Whether cancel() came during the 503 attempt or during the wait after it, no retry was sent.
  CHECK(server.requests() == 1);
  REQUIRE(error.details().records.size() == 1);
  const AttemptRecord& record = error.details().records.back();
  if (record.error == ErrorKind::overloaded || record.error == ErrorKind::server) {
    // Cancelled during the wait: the attempt is the 503 and it waited less than it meant to.
    CHECK(record.http_status == 503);
    CHECK(record.waited_ms < 60'000);
    REQUIRE(error.details().failed_attempts.size() == 1);
    CHECK(error.details().failed_attempts.front().waited_ms == record.waited_ms);
  } else {
    CHECK(record.error == ErrorKind::cancelled);
  }
}

TEST_CASE("CallCancellation::wait_for returns at cancel() from another thread", "[cancel][threads]") {
  auto cancellation = std::make_shared<CallCancellation>();
  CHECK_FALSE(cancellation->wait_for(1ms));
  CHECK(cancellation->descriptor() >= 0);
  bool woken = false;
  {
    CancelLater later(cancellation, [] {});
    woken = cancellation->wait_for(kPatience);
  }
  CHECK(woken);
  CHECK(cancellation->cancelled());
  cancellation->cancel();  // idempotent
  CHECK(cancellation->cancelled());
}

TEST_CASE("a call cancelled before it starts sends nothing", "[cancel]") {
  ProviderTestEnv env;
  const auto llm = env.openai();
  auto cancellation = std::make_shared<CallCancellation>();
  cancellation->cancel();
  const bool stream = GENERATE(false, true);
  INFO("stream " << stream);
  const CancelledError error = expect_cancelled([&] {
    if (stream) {
      (void)llm->stream(cancellable(cancellation));
    } else {
      (void)llm->complete(cancellable(cancellation));
    }
  });
  CHECK_THAT(error.what(), Catch::Contains("before its first attempt"));
  CHECK(error.details().records.empty());
  CHECK(env.server.requests().empty());
}

TEST_CASE("a cascade does not fail over on a cancelled member", "[cancel][threads][cascade]") {
  StallingServer silent(StallingServer::Mode::silent);
  ProviderTestEnv env;  // would answer, if the cascade moved on
  std::vector<CascadeMember> members{
      majordomo::testing::member_at("openai", "gpt-4o", silent.origin() + "/v1", "sk-test-0000"),
      majordomo::testing::member_at("openai", "gpt-4o-mini", env.server.origin() + "/v1", "sk-test-0000")};
  ClientOptions shared;
  shared.timeouts.first_byte = 60s;
  shared.retry.max_attempts = 1;
  const auto cascade = env.host.get_cascade(std::move(members), shared);
  auto cancellation = std::make_shared<CallCancellation>();
  const CancelledError error = [&] {
    CancelLater later(cancellation, [&] { silent.wait_for_requests(1, kPatience); });
    return expect_cancelled([&] { (void)cascade->complete(cancellable(cancellation)); });
  }();
  CHECK(error.kind() == ErrorKind::cancelled);
  CHECK(error.details().failed_attempts.empty());
  CHECK(env.server.requests().empty());
  CHECK(silent.wait_for_closed(1, kPatience));
}

TEST_CASE("cancelling after a call ended changes nothing", "[cancel]") {
  ProviderTestEnv env;
  const auto llm = env.openai();
  auto cancellation = std::make_shared<CallCancellation>();
  const Response answer = llm->complete(cancellable(cancellation));
  ResponseStream stream = llm->stream(cancellable(cancellation));
  const std::string streamed = majordomo::testing::drain(stream);
  cancellation->cancel();
  CHECK_FALSE(answer.content.empty());
  CHECK_FALSE(streamed.empty());
  CHECK(stream.finished());
  CHECK(stream.response().content == streamed);
  CHECK_FALSE(stream.next_text());
  // The LLM goes on answering calls that carry another (or no) cancellation.
  CHECK_FALSE(llm->get_response("again").content.empty());
}
