// Response-head tests over loopback: interim heads, pieces, malformed heads (MJ_ERR_PROTOCOL), first_byte bounding the whole head.
#include "test_servers.hpp"
#include "transport_test_support.hpp"

#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/http.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

using namespace majordomo::sdk;
using namespace majordomo::test;
using namespace std::chrono_literals;

TEST_CASE("interim 1xx heads are skipped, LF-only line endings are accepted", "[transport][head]") {
  RawServer server([](Poco::Net::StreamSocket& socket, int) {
    if (!read_request(socket)) return;
    send_all(socket, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n");
    send_all(socket, "HTTP/1.1 200 OK\nContent-Length: 5\nX-Request-Id:  padded \t\n\n\"one\"");
    read_request(socket);
  });
  HttpTransport transport(quick_config());
  auto exchange = post(transport, server.url());
  CHECK(exchange->status() == 200);
  CHECK(exchange->header("x-request-id") == "padded");
  CHECK(exchange->header("link").empty());  // the interim head's headers are gone
  CHECK(read_body(*exchange) == "\"one\"");
  exchange.reset();
  CHECK(transport.idle_connections() == 1);
}

TEST_CASE("a head that arrives in many small pieces is reassembled", "[transport][head]") {
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n";
  RawServer server([&](Poco::Net::StreamSocket& socket, int) {
    if (!read_request(socket)) return;
    socket.setNoDelay(true);
    for (const char c : head) send_all(socket, std::string(1, c));
    send_all(socket, "\"one\"");
    read_request(socket);
  });
  HttpTransport transport(quick_config());
  auto exchange = post(transport, server.url());
  CHECK(exchange->status() == 200);
  CHECK(exchange->header("content-type") == "application/json");
  CHECK(read_body(*exchange) == "\"one\"");
}

TEST_CASE("Connection: close from the server keeps the connection out of the pool", "[transport][head]") {
  RawServer server(answers_once("HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 2\r\n\r\n{}"));
  HttpTransport transport(quick_config());
  auto exchange = post(transport, server.url());
  CHECK(read_body(*exchange) == "{}");
  CHECK(exchange->body_complete());
  exchange.reset();
  CHECK(transport.idle_connections() == 0);
}

TEST_CASE("malformed response heads are protocol errors that quote nothing", "[transport][head]") {
  const auto [head, what] = GENERATE(table<std::string, std::string>({
      {"HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\nContent-Length: 0\r\n\r\n", "folded"},
      {"HTTP/1.1 200 OK\r\nnocolonhere\r\n\r\n", "without a colon"},
      {"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", "invalid character in a header name"},
      {"HTTP/1.1 200 OK\r\nX-Name : x\r\n\r\n", "invalid character in a header name"},
      {"HTTP/1.1 200 OK\r\n: x\r\n\r\n", "invalid character in a header name"},
      {"HTTP/1.1 2x0 OK\r\n\r\n", "status code"},
      {"SPDY/3 200 OK\r\n\r\n", "status line"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 12abc\r\n\r\n", "Content-Length"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", "conflicting Content-Length"},
      {"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "invalid Content-Length"},
      {"HTTP/1.1 20 OK\r\n\r\n", "status line"},
      {"HTTP/1.1 200 OK\r\nX-Big: " + std::string(20000, 'v') + "\r\n\r\n", "larger than"},
  }));
  RawServer server(answers_once(head));
  INFO(head.substr(0, 60));
  HttpTransport transport(quick_config());
  const ProviderError error = expect_error([&] { post(transport, server.url()); });
  CHECK(error.kind() == MJ_ERR_PROTOCOL);  // deterministic: never retried (0.3)
  CHECK_THAT(error.what(), Catch::Contains("malformed HTTP response") && Catch::Contains(what));
  CHECK_THAT(error.what(), !Catch::Contains("vvvv") && !Catch::Contains("folded\r"));
  CHECK(transport.idle_connections() == 0);
}

TEST_CASE("a server that closes in the middle of the head is a connection error", "[transport][head]") {
  RawServer server([](Poco::Net::StreamSocket& socket, int) {
    if (!read_request(socket)) return;
    send_all(socket, "HTTP/1.1 200 OK\r\nContent-Le");
    socket.close();
  });
  HttpTransport transport(quick_config());
  const ProviderError error = expect_error([&] { post(transport, server.url()); });
  CHECK(error.kind() == MJ_ERR_CONNECTION);
  CHECK_THAT(error.what(), Catch::Contains("in the middle of the response head"));
}


TEST_CASE("first_byte bounds the whole head: a head trickled a byte at a time ends there", "[transport][head][timeout]") {
  // Each byte comes well within first_byte of the one before: a timeout restarted by every read
  // would never fire, and only the total timeout (30 s here) would end the exchange.
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Padding: " + std::string(60, 'p') +
                           "\r\nContent-Length: 2\r\n\r\n{}";
  std::atomic<int> sent{0};
  RawServer server([&](Poco::Net::StreamSocket& socket, int) {
    if (!read_request(socket)) return;
    socket.setNoDelay(true);
    // Paces the trickle (the scenario itself, not synchronisation); ends when the client has gone.
    for (const char c : head) {
      send_all(socket, std::string(1, c));
      sent.fetch_add(1);
      std::this_thread::sleep_for(200ms);
    }
  });
  TransportConfig config = quick_config();
  config.first_byte_timeout = 1s;
  HttpTransport transport(config);
  const auto start = std::chrono::steady_clock::now();
  const ProviderError error = expect_error([&] { post(transport, server.url()); });
  const auto waited = std::chrono::steady_clock::now() - start;
  CHECK(error.kind() == MJ_ERR_TIMEOUT);
  CHECK_THAT(error.what(), Catch::Contains("no response head") && Catch::Contains("1000 ms (first_byte timeout") &&
                               Catch::Contains("--first-byte-timeout"));
  CHECK(sent.load() < static_cast<int>(head.size()));  // it ended before the head was complete
  CHECK(waited < 6s);
}

TEST_CASE("an endless run of interim 1xx heads ends at first_byte", "[transport][head][timeout]") {
  RawServer server([](Poco::Net::StreamSocket& socket, int) {
    if (!read_request(socket)) return;
    // Bounded: about 2 s of interim heads at most, far past the client's 500 ms.
    for (int i = 0; i < 200; ++i) {
      send_all(socket, "HTTP/1.1 100 Continue\r\n\r\n");
      std::this_thread::sleep_for(10ms);
    }
  });
  TransportConfig config = quick_config();
  config.first_byte_timeout = 500ms;
  HttpTransport transport(config);
  const ProviderError error = expect_error([&] { post(transport, server.url()); });
  CHECK(error.kind() == MJ_ERR_TIMEOUT);
  CHECK_THAT(error.what(), Catch::Contains("first_byte timeout"));
}

TEST_CASE("bad chunk framing is a protocol error, a body cut mid-chunk stays a connection error", "[transport][head]") {
  const std::string long_line(5000, 'x');  // past the 4096-byte bound on extension and trailer lines
  const auto [body, kind, says] = GENERATE_REF(table<std::string, int32_t, std::string>({
      {"zz\r\nhello\r\n0\r\n\r\n", MJ_ERR_PROTOCOL, "chunked body framing"},     // not a hex size
      {"5\r\nhelloXX0\r\n\r\n", MJ_ERR_PROTOCOL, "chunked body framing"},        // no CRLF after the data
      {"ffffffffffffffffff\r\n", MJ_ERR_PROTOCOL, "chunked body framing"},       // size overflows 64 bits
      {"\r\n5\r\nhello\r\n0\r\n\r\n", MJ_ERR_PROTOCOL, "chunked body framing"},  // empty size line
      // A '\r' inside the digits used to be skipped: "a\rb" read as 0xab.
      {"a\rb\r\n" + std::string(0xab, 'y') + "\r\n0\r\n\r\n", MJ_ERR_PROTOCOL, "byte 0x62 in a chunk size line"},
      {"5x\r\nhello\r\n0\r\n\r\n", MJ_ERR_PROTOCOL, "byte 0x78 in a chunk size line"},
      {"5\r\r\nhello\r\n0\r\n\r\n", MJ_ERR_PROTOCOL, "byte 0x0d in a chunk size line"},
      {"5;" + long_line + "\r\nhello\r\n0\r\n\r\n", MJ_ERR_PROTOCOL, "chunk extension longer than 4096 bytes"},
      {"5\r\nhello\r\n0\r\nX-T: " + long_line + "\r\n\r\n", MJ_ERR_PROTOCOL, "chunked trailer line longer than 4096 bytes"},
      {"a\r\nhello", MJ_ERR_CONNECTION, ""},                                       // closed in the middle of a chunk
  }));
  RawServer server([body = body](Poco::Net::StreamSocket& socket, int) {
    if (!read_request(socket)) return;
    send_all(socket, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body);
    socket.shutdownSend();
    read_request(socket);
  });
  INFO(body);
  HttpTransport transport(quick_config());
  auto exchange = post(transport, server.url());
  const ProviderError error = expect_error([&] { read_body(*exchange); });
  CHECK(error.kind() == kind);
  CHECK_THAT(error.what(), Catch::Contains(says));
  CHECK_FALSE(exchange->body_complete());
}
