// The call's deadline (mj_call_params.time_left_ms) and the total timeout over loopback: heads, streams of keep-alive comments, signals, slow readers of a large body.
#include "test_servers.hpp"
#include "transport_test_support.hpp"

#include <majordomo/plugin.h>
#include <majordomo/sdk/call.hpp>
#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/http.hpp>
#include <majordomo/sdk/plugin.hpp>

#include <catch2/catch.hpp>

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

using namespace majordomo::sdk;
using namespace majordomo::test;
using namespace std::chrono_literals;

namespace {

// A server that answers with an SSE head and then only `: keep-alive` comments, every 50 ms,
// until the client leaves (at most 20 s of them).
RawServer::Script keep_alive_comments() {
  return [](Poco::Net::StreamSocket& socket, int) {
    if (!read_request(socket)) return;
    send_all(socket, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n");
    for (int i = 0; i < 400; ++i) {
      send_all(socket, "f\r\n: keep-alive\n\n\r\n");
      std::this_thread::sleep_for(50ms);  // paces the comments; not synchronisation
    }
  };
}

// A server that reads the request and never answers (until the client leaves).
RawServer::Script never_answers() {
  return [](Poco::Net::StreamSocket& socket, int) {
    if (!read_request(socket)) return;
    read_request(socket);
  };
}

}  // namespace

TEST_CASE("the call's deadline ends a stream of keep-alive comments, whatever the instance timeouts", "[transport][deadline]") {
  RawServer server(keep_alive_comments());
  const std::string url = server.url();
  mj_call_params params = call_params(url, true);
  params.time_left_ms = 700;
  const auto start = std::chrono::steady_clock::now();
  // idle 10 s and total 30 s: neither would end it soon
  const ProviderError error = error_of_call(quick_config(), params);
  const auto waited = std::chrono::steady_clock::now() - start;
  CHECK(error.kind() == MJ_ERR_TIMEOUT);
  CHECK_THAT(error.what(), Catch::Contains("deadline") && Catch::Contains("700 ms") &&
                               Catch::Contains("ClientOptions::timeouts.deadline") && Catch::Contains("--timeout"));
  CHECK(waited >= 600ms);
  CHECK(waited < 6s);
}

TEST_CASE("the total timeout ends a stream of keep-alive comments", "[transport][deadline]") {
  RawServer server(keep_alive_comments());
  TransportConfig config = quick_config();
  config.total_timeout = 700ms;
  const std::string url = server.url();
  const ProviderError error = error_of_call(config, call_params(url, true));
  CHECK(error.kind() == MJ_ERR_TIMEOUT);
  CHECK_THAT(error.what(), Catch::Contains("700 ms (total timeout)"));
}

TEST_CASE("the call's deadline bounds the wait for the head, in call_open", "[transport][deadline]") {
  RawServer server(never_answers());
  const std::string url = server.url();
  mj_call_params params = call_params(url, false);
  params.time_left_ms = 400;
  const auto start = std::chrono::steady_clock::now();
  const ProviderError error = error_opening_call(quick_config(), params);
  CHECK(error.kind() == MJ_ERR_TIMEOUT);
  CHECK_THAT(error.what(), Catch::Contains("deadline") && Catch::Contains("400 ms"));
  CHECK(std::chrono::steady_clock::now() - start < 6s);
}

TEST_CASE("a deadline longer than the total timeout leaves the total in charge", "[transport][deadline]") {
  RawServer server(never_answers());
  TransportConfig config = quick_config();
  config.total_timeout = 300ms;
  const std::string url = server.url();
  mj_call_params params = call_params(url, false);
  params.time_left_ms = 20'000;
  const ProviderError error = error_opening_call(config, params);
  CHECK(error.kind() == MJ_ERR_TIMEOUT);
  CHECK_THAT(error.what(), Catch::Contains("300 ms (total timeout)"));
}

TEST_CASE("time_left_ms is ignored when the host's struct does not reach it", "[transport][deadline]") {
  // A 0.2 host's mj_call_params ends after `proxy`: whatever lies beyond is not the deadline.
  RawServer server(answers_once("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"));
  HttpTransport transport(quick_config());
  const std::string url = server.url();
  mj_call_params params = call_params(url, false);
  params.struct_size = MJ_FIELD_END(mj_call_params, proxy);
  params.time_left_ms = 1;  // would time out at once if it were read
  HttpCall call(transport, params, std::make_unique<TextDecoder>());
  mj_event event{};
  REQUIRE(call.next(event));
  CHECK(event.type == MJ_EVENT_TEXT);
}

namespace {

struct GlueProvider {
  static const mj_provider_info& info() {
    static const mj_provider_info provider{};
    return provider;
  }
  explicit GlueProvider(const mj_instance_config&) {}
  majordomo::sdk::Prepared build(const mj_request&) { return {}; }
  std::unique_ptr<majordomo::sdk::Call> open(const mj_call_params&) { return nullptr; }
};

}  // namespace

TEST_CASE("the export glue tells the host it reads time_left_ms", "[transport][deadline]") {
  mj_host_offer offer{};
  offer.struct_size = sizeof(offer);
  offer.abi_min = 1;
  offer.abi_max = 1;
  mj_plugin_answer answer{};
  answer.struct_size = sizeof(answer);
  REQUIRE(majordomo::sdk::Exporter<GlueProvider>::entry(&offer, &answer) == MJ_ENTRY_ACCEPTED);
  CHECK(answer.call_params_size == sizeof(mj_call_params));
  CHECK(answer.call_params_size >= MJ_FIELD_END(mj_call_params, time_left_ms));
  CHECK(answer.call_params_size >= MJ_FIELD_END(mj_call_params, cancel_fd));  // 0.6
}

namespace {

std::atomic<int> interruptions{0};
extern "C" void count_interruption(int) { interruptions.fetch_add(1); }

}  // namespace

TEST_CASE("signals during a read do not stretch the wait past its budget", "[transport][deadline]") {
  // Without SA_RESTART every signal ends the blocked recv with EINTR; a retry with a fresh
  // socket timeout each time would let a steady stream of signals stretch the wait.
  struct sigaction action{};
  action.sa_handler = count_interruption;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;
  struct sigaction previous{};
  REQUIRE(sigaction(SIGUSR1, &action, &previous) == 0);
  RawServer server(never_answers());
  TransportConfig config = quick_config();
  config.first_byte_timeout = 600ms;
  HttpTransport transport(config);
  std::atomic<bool> done{false};
  const pthread_t reader = pthread_self();
  std::thread signaller([&] {
    // Every 20 ms for at most 10 s; stops as soon as the request ended.
    for (int i = 0; i < 500 && !done.load(); ++i) {
      pthread_kill(reader, SIGUSR1);
      std::this_thread::sleep_for(20ms);
    }
  });
  const auto start = std::chrono::steady_clock::now();
  const ProviderError error = expect_error([&] { post(transport, server.url()); });
  const auto waited = std::chrono::steady_clock::now() - start;
  done.store(true);
  signaller.join();
  sigaction(SIGUSR1, &previous, nullptr);
  CHECK(error.kind() == MJ_ERR_TIMEOUT);
  CHECK_THAT(error.what(), Catch::Contains("600 ms (first_byte timeout"));
  CHECK(interruptions.load() > 0);
  CHECK(waited < 3s);
}

namespace {

// A server that reads the request a little at a time through a small receive buffer, so that each
// of the client's writes gets only a few bytes out, until the test says the client is done (the
// kernel would go on delivering what the client's closed socket still holds) or ~20 s passed.
RawServer::Script slow_reader(const std::atomic<bool>& done) {
  return [&done](Poco::Net::StreamSocket& socket, int) {
    socket.setReceiveBufferSize(4096);
    socket.setReceiveTimeout(Poco::Timespan(10, 0));
    char buffer[256];
    for (int i = 0; i < 1000 && !done.load(); ++i) {
      try {
        if (socket.receiveBytes(buffer, sizeof buffer) <= 0) return;  // the client left
      } catch (const Poco::Exception&) {
        return;
      }
      std::this_thread::sleep_for(20ms);  // paces the reads; not synchronisation
    }
  };
}

}  // namespace

TEST_CASE("a server that reads a large body slowly cannot keep the send past the total timeout", "[transport][deadline]") {
  // Each write used to get the full send timeout afresh: a peer that took a few bytes inside each
  // kept the client sending for as long as it liked.
  std::atomic<bool> done{false};
  RawServer server(slow_reader(done));
  TransportConfig config = quick_config();
  config.total_timeout = 1s;
  HttpTransport transport(config);
  const std::string body(8u << 20, 'x');  // more than the loopback socket buffers hold
  const auto start = std::chrono::steady_clock::now();
  const ProviderError error = expect_error([&] { post(transport, server.url(), body); });
  const auto waited = std::chrono::steady_clock::now() - start;
  done.store(true);
  CHECK(error.kind() == MJ_ERR_TIMEOUT);
  CHECK_THAT(error.what(), Catch::Contains("1000 ms (total timeout)"));
  CHECK(waited >= 900ms);
  CHECK(waited < 3s);
}

TEST_CASE("a server that reads a large body slowly cannot keep the send past the call's deadline", "[transport][deadline]") {
  std::atomic<bool> done{false};
  RawServer server(slow_reader(done));
  const std::string url = server.url();
  const std::string body(8u << 20, 'x');
  mj_call_params params = call_params(url, false, body);
  params.time_left_ms = 1000;
  const auto start = std::chrono::steady_clock::now();
  const ProviderError error = error_opening_call(quick_config(), params);  // idle 10 s: the old per-write timeout
  const auto waited = std::chrono::steady_clock::now() - start;
  done.store(true);
  CHECK(error.kind() == MJ_ERR_TIMEOUT);
  CHECK_THAT(error.what(), Catch::Contains("deadline"));
  CHECK(waited < 3s);
}
