// Response limits over loopback: one SSE line, one event's data, a whole body, an error body; memory stays bounded whatever the server pushes.
#include "test_servers.hpp"
#include "transport_test_support.hpp"

#include <majordomo/plugin.h>
#include <majordomo/sdk/call.hpp>
#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/http.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdint>
#include <limits>
#include <string>

using namespace majordomo::sdk;
using namespace majordomo::test;

namespace {

constexpr std::size_t kMiB = std::size_t{1} << 20;

// An SSE head, `prefix`, then `piece` over and over (until-close body) until `total` bytes or
// until the client has gone; `sent` counts what left.
RawServer::Script endless_stream(std::string prefix, std::string piece, std::size_t total,
                                 std::atomic<std::size_t>& sent) {
  return [prefix = std::move(prefix), piece = std::move(piece), total, &sent](Poco::Net::StreamSocket& socket, int) {
    if (!read_request(socket)) return;
    send_all(
        socket, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n" + prefix);
    for (std::size_t at = 0; at < total; at += piece.size()) {
      const int n = socket.sendBytes(piece.data(), static_cast<int>(piece.size()));
      if (n <= 0) return;
      sent.fetch_add(static_cast<std::size_t>(n));
    }
  };
}

}  // namespace

TEST_CASE("a 400 MB SSE line fails after the default 4 MiB, memory stays bounded", "[transport][limits]") {
  std::atomic<std::size_t> sent{0};
  RawServer server(endless_stream("data: ", std::string(64 * 1024, 'x'), 400 * kMiB, sent));
  const std::string url = server.url();
  const ProviderError error = error_of_call(quick_config(), call_params(url, true));
  // What the server got out is what the client read plus what the socket buffers hold: far
  // below the 400 MB it would push if the client kept reading.
  CHECK(sent.load() < 48 * kMiB);
  CHECK(error.kind() == MJ_ERR_PARSE);
  CHECK_THAT(error.what(), Catch::Contains("an SSE line over 4194304 bytes") &&
                               Catch::Contains("ClientOptions::limits.max_event_bytes") &&
                               Catch::Contains("--max-event-bytes"));
}

TEST_CASE("an event's data and the lines after an unfinished event are bounded by max_event_bytes", "[transport][limits]") {
  struct Case {
    const char* name;
    std::string prefix;  // what the stream starts with
    std::string piece;   // then this, over and over
    const char* message;
  };
  const Case cases[] = {
      // Lines of 1 KiB: each well under the line limit, together far over it.
      {"a run of data lines without a blank line counts as one event's data", "",
       "data: " + std::string(1018, 'y') + "\n", "an SSE event with data over 65536 bytes"},
      {"comment lines after an unfinished event are bounded too", "event: x\ndata: 1\n",
       ": " + std::string(1000, 'c') + "\n", "add up to over 131072 bytes"},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      std::atomic<std::size_t> sent{0};
      RawServer server(endless_stream(c.prefix, c.piece, 64 * kMiB, sent));
      TransportConfig config = quick_config();
      config.max_event_bytes = 64 * 1024;
      const std::string url = server.url();
      const ProviderError error = error_of_call(config, call_params(url, true));
      CHECK(error.kind() == MJ_ERR_PARSE);
      CHECK_THAT(error.what(), Catch::Contains(c.message));
      CHECK(sent.load() < 48 * kMiB);
    }
  }
}

TEST_CASE("events under the limit pass, the limit comes from the instance config", "[transport][limits]") {
  mj_instance_config config{};
  config.struct_size = sizeof(config);
  config.max_event_bytes = 2048;
  config.max_body_bytes = 100;
  const TransportConfig read = TransportConfig::from(config);
  CHECK(read.max_event_bytes == 2048);
  CHECK(read.max_body_bytes == 100);
  // A 0.2 host's struct ends before the limits: the defaults hold.
  config.struct_size = MJ_INSTANCE_CONFIG_V1_SIZE;
  const TransportConfig old = TransportConfig::from(config);
  CHECK(old.max_event_bytes == std::size_t{4} << 20);
  CHECK(old.max_body_bytes == std::size_t{64} << 20);

  std::atomic<std::size_t> sent{0};
  const std::string event = "data: " + std::string(2000, 'z') + "\n\n";
  RawServer server(endless_stream("", event, event.size() * 3, sent));
  config.struct_size = sizeof(config);
  // A stream's events each pass max_event_bytes; together they may keep up to max_body_bytes.
  config.max_body_bytes = event.size() * 3;
  HttpTransport transport(TransportConfig::from(config));
  const std::string url = server.url();
  HttpCall call(transport, call_params(url, true), std::make_unique<TextDecoder>());
  mj_event out{};
  int texts = 0;
  while (call.next(out)) texts += out.type == MJ_EVENT_TEXT ? 1 : 0;
  CHECK(texts == 3);
}

TEST_CASE("max_body_bytes bounds a JSON body and names its option", "[transport][limits]") {
  RawServer server(answers_once("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n" +
                                std::string(5000, 'b')));
  TransportConfig config = quick_config();
  config.max_body_bytes = 4096;
  const std::string url = server.url();
  const ProviderError error = error_of_call(config, call_params(url, false));
  CHECK(error.kind() == MJ_ERR_PARSE);
  CHECK_THAT(error.what(), Catch::Contains("larger than 4096 bytes") &&
                               Catch::Contains("ClientOptions::limits.max_body_bytes") &&
                               Catch::Contains("--max-body-bytes"));
}

TEST_CASE("body reads never trust Content-Length for memory and honour their limit", "[transport][limits]") {
  // Claims five gigabytes, sends 100 KiB, and keeps the connection open until the client leaves.
  RawServer server(answers_once("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 5000000000\r\n\r\n" +
                                std::string(100 * 1024, 'x')));
  HttpTransport transport(quick_config());
  SECTION("read_all fails before reading or reserving") {
    auto exchange = post(transport, server.url());
    std::string body;
    const ProviderError error = expect_error([&] { exchange->read_all(body); });
    CHECK(error.kind() == MJ_ERR_PARSE);
    CHECK_THAT(error.what(), Catch::Contains("response body larger than 67108864 bytes"));
    CHECK(body.capacity() < (1u << 20));
    exchange.reset();
    CHECK(transport.idle_connections() == 0);
  }
  SECTION("read_up_to keeps the first bytes and leaves the rest") {
    auto exchange = post(transport, server.url());
    std::string body;
    CHECK(exchange->read_up_to(body, HttpExchange::kMaxErrorBodySize));
    CHECK(body == std::string(HttpExchange::kMaxErrorBodySize, 'x'));
    CHECK(body.capacity() < (2u << 20));  // grown with the bytes received, not the length claimed
    exchange.reset();
    CHECK(transport.idle_connections() == 0);  // its unread rest would poison the next exchange
  }
}

TEST_CASE("read_all's limit applies to chunked bodies, a body of exactly the limit is fine", "[transport][limits]") {
  LoopbackHttpServer server([](Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
    request.stream().ignore(std::numeric_limits<std::streamsize>::max());
    response.setChunkedTransferEncoding(true);
    std::ostream& out = response.send();
    for (int i = 0; i < 5; ++i) {
      out << std::string(1000, 'a');
      out.flush();
    }
  });
  HttpTransport transport(quick_config());
  {
    auto exchange = post(transport, server.url());
    std::string body;
    const ProviderError error = expect_error([&] { exchange->read_all(body, 4999); });
    CHECK(error.kind() == MJ_ERR_PARSE);
    CHECK_THAT(error.what(), Catch::Contains("larger than 4999 bytes"));
  }
  CHECK(transport.idle_connections() == 0);
  auto exchange = post(transport, server.url());
  std::string body;
  exchange->read_all(body, 5000);
  CHECK(body == std::string(5000, 'a'));
  CHECK(exchange->body_complete());
}
