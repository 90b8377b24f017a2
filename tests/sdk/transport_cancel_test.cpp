// mj_call_params.cancel_fd (0.6) over loopback: a call waiting for a head or for the next body byte ends at once with MJ_ERR_CANCELLED; without the flag the field is not read.
#include "test_servers.hpp"
#include "transport_test_support.hpp"

#include <majordomo/plugin.h>
#include <majordomo/sdk/call.hpp>
#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/http.hpp>

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <thread>

using namespace majordomo::sdk;
using namespace majordomo::test;

namespace {

// The host's side of a cancellation: a pipe whose read end becomes readable at cancel().
class CancelPipe {
 public:
  CancelPipe() { REQUIRE(::pipe2(fds_, O_CLOEXEC) == 0); }
  ~CancelPipe() {
    ::close(fds_[0]);
    ::close(fds_[1]);
  }
  CancelPipe(const CancelPipe&) = delete;
  CancelPipe& operator=(const CancelPipe&) = delete;

  int watched() const noexcept { return fds_[0]; }
  void cancel() {
    const char byte = 'c';
    REQUIRE(::write(fds_[1], &byte, 1) == 1);
  }
  // Params that hand the read end to the plugin, as a 0.6 host does.
  void hand_to(mj_call_params& params) const {
    params.flags |= MJ_CALL_CANCEL_FD;
    params.cancel_fd = fds_[0];
  }

 private:
  int fds_[2] = {-1, -1};
};

// Reads the request, opens `gate` (the test then cancels), and holds the connection silently.
RawServer::Script silent_after_request(Gate& gate) {
  return [&gate](Poco::Net::StreamSocket& socket, int) {
    if (!read_request(socket)) return;
    gate.open();
    read_request(socket);  // returns when the client closes
  };
}

}  // namespace

TEST_CASE("a call waiting for the response head ends with MJ_ERR_CANCELLED once its descriptor is readable",
          "[transport][cancel]") {
  Gate request_read;
  RawServer server(silent_after_request(request_read));
  const std::string url = server.url();
  mj_call_params params = call_params(url, false);
  CancelPipe cancel;
  cancel.hand_to(params);
  std::thread canceller([&] {
    request_read.wait();
    cancel.cancel();
  });
  // first_byte 10 s: a wait the cancellation did not wake would end as a timeout.
  const ProviderError error = error_opening_call(quick_config(), params);
  canceller.join();
  CHECK(error.kind() == MJ_ERR_CANCELLED);
  CHECK_THAT(error.what(), Catch::Contains("cancelled by its caller") &&
                               Catch::Contains("waiting for the response head"));
}

TEST_CASE("a stream waiting for its next byte ends with MJ_ERR_CANCELLED", "[transport][cancel]") {
  RawServer server(answers_once("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                                "Transfer-Encoding: chunked\r\n\r\n"));
  const std::string url = server.url();
  mj_call_params params = call_params(url, true);
  CancelPipe cancel;
  cancel.hand_to(params);
  HttpTransport transport(quick_config());
  HttpCall call(transport, params, std::make_unique<TextDecoder>());
  std::thread canceller([&] { cancel.cancel(); });
  const ProviderError error = drain_to_error(call);
  canceller.join();
  CHECK(error.kind() == MJ_ERR_CANCELLED);
  CHECK_THAT(error.what(), Catch::Contains("reading the response body"));
  // The connection is closed, never pooled.
  CHECK(transport.idle_connections() == 0);
}

TEST_CASE("a call already cancelled does not connect", "[transport][cancel]") {
  RawServer server(answers_once("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
  const std::string url = server.url();
  mj_call_params params = call_params(url, false);
  CancelPipe cancel;
  cancel.hand_to(params);
  cancel.cancel();
  const ProviderError error = error_opening_call(quick_config(), params);
  CHECK(error.kind() == MJ_ERR_CANCELLED);
}

TEST_CASE("cancel_fd is read only under MJ_CALL_CANCEL_FD: zero (stdin) or a readable descriptor without the flag is ignored",
          "[transport][cancel]") {
  RawServer server(answers_once("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\nok"));
  const std::string url = server.url();
  mj_call_params params = call_params(url, false);
  CancelPipe cancel;
  cancel.cancel();  // readable: a call that watched it would end at once
  params.cancel_fd = GENERATE(true, false) ? cancel.watched() : 0;
  HttpTransport transport(quick_config());
  HttpCall call(transport, params, std::make_unique<TextDecoder>());
  mj_event event{};
  REQUIRE(call.next(event));
  CHECK(event.type == MJ_EVENT_TEXT);
  CHECK(std::string(event.text.data, event.text.size) == "ok");
}
