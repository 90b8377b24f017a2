// Errors that say what happened, over loopback: redirects, unrequested encodings, IPv6 names, empty ports, DNS failures, many headers.
#include "test_servers.hpp"
#include "transport_test_support.hpp"

#include <majordomo/plugin.h>
#include <majordomo/sdk/call.hpp>
#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/http.hpp>

#include <catch2/catch.hpp>

#include <mutex>
#include <string>
#include <vector>

using namespace majordomo::sdk;
using namespace majordomo::test;

namespace {

// Decodes nothing: these tests end before any decoding, or check that it was never reached.
class UnreachedDecoder final : public ResponseDecoder {
 public:
  std::string_view request_id_header() const override { return "x-request-id"; }
  void on_body(std::string_view, EventSink& sink) override { sink.text("decoded"); }
  bool on_event(const SseEvent&, EventSink& sink) override {
    sink.text("decoded");
    return true;
  }
  void on_stream_end(bool, EventSink&) override {}
  [[noreturn]] void on_error_status(const HttpExchange& exchange, std::string_view) override {
    throw ProviderError(MJ_ERR_SERVER, "decoder reached", exchange.status());
  }
};

// Records the body its error decoder was given.
class BodyEchoDecoder final : public ResponseDecoder {
 public:
  explicit BodyEchoDecoder(std::string& seen) : seen_(seen) {}
  void on_body(std::string_view, EventSink&) override {}
  bool on_event(const SseEvent&, EventSink&) override { return true; }
  void on_stream_end(bool, EventSink&) override {}
  [[noreturn]] void on_error_status(const HttpExchange& exchange, std::string_view body) override {
    seen_ = std::string(body);
    throw ProviderError(MJ_ERR_SERVER, "decoded", exchange.status());
  }

 private:
  std::string& seen_;
};

// An answer with `status` whose three body bytes are in a Content-Encoding nobody asked for.
std::string encoded_answer(int status, const std::string& encoding) {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: application/json\r\nContent-Encoding: " +
         encoding + "\r\nContent-Length: 3\r\n\r\n\x1f\x8b\x08";
}

}  // namespace

TEST_CASE("a redirect names its status and Location and is not followed", "[transport][errors]") {
  const int status = GENERATE(301, 302, 307, 308);
  RawServer server(answers_once("HTTP/1.1 " + std::to_string(status) +
                           " Moved\r\nLocation: https://api.example.test/v2/chat\x1b[2J\r\nX-Request-Id: req-r\r\n"
                           "Content-Length: 0\r\n\r\n"));
  HttpTransport transport(quick_config());
  const std::string url = server.url();
  const ProviderError error = expect_error(
      [&] { HttpCall call(transport, call_params(url, false), std::make_unique<UnreachedDecoder>()); });
  CHECK(error.kind() == MJ_ERR_BAD_REQUEST);  // the base URL is wrong: resending cannot help
  CHECK(error.http_status() == status);
  CHECK(error.request_id() == "req-r");
  CHECK_THAT(error.what(), Catch::Contains("HTTP " + std::to_string(status)) &&
                               Catch::Contains("https://api.example.test/v2/chat") &&
                               Catch::Contains("not followed") && Catch::Contains("base URL"));
  CHECK_THAT(error.what(), !Catch::Contains("\x1b"));  // a server's bytes are escaped
  CHECK(server.connections() == 1);                   // nothing was sent anywhere else
}

TEST_CASE("an unrequested Content-Encoding on an answer is a protocol error naming it", "[transport][errors]") {
  const auto [encoding, status] = GENERATE(table<std::string, int>({{"gzip", 200}, {"br", 200}, {"x-custom", 201}}));
  RawServer server(answers_once(encoded_answer(status, encoding)));
  HttpTransport transport(quick_config());
  const std::string url = server.url();
  const ProviderError error = expect_error(
      [&] { HttpCall call(transport, call_params(url, true), std::make_unique<UnreachedDecoder>()); });
  CHECK(error.kind() == MJ_ERR_PROTOCOL);
  CHECK_THAT(error.what(), Catch::Contains("Content-Encoding '" + encoding + "'") && Catch::Contains("not asked for"));
}

TEST_CASE("an error status with an unrequested Content-Encoding is decoded from its status", "[transport][errors]") {
  // A gzipped 429 or 503 refused as a protocol error would never be retried and lose its
  // Retry-After: the decoder gets the status and headers, and a body saying why none is shown.
  const auto [encoding, status] = GENERATE(table<std::string, int>({{"gzip", 429}, {"br", 503}, {"x-custom", 500}}));
  RawServer server(answers_once(encoded_answer(status, encoding)));
  HttpTransport transport(quick_config());
  const std::string url = server.url();
  std::string seen_body;
  HttpCall call(transport, call_params(url, false), std::make_unique<BodyEchoDecoder>(seen_body));
  const ProviderError error = expect_error([&] {
    mj_event event{};
    call.next(event);
  });
  CHECK(error.kind() == MJ_ERR_SERVER);  // the decoder's, not MJ_ERR_PROTOCOL
  CHECK(error.http_status() == status);
  CHECK(seen_body == "(body in " + encoding + ", not shown)");
}

TEST_CASE("Content-Encoding: identity is no encoding", "[transport][errors]") {
  RawServer server(answers_once("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: Identity\r\n"
                           "Content-Length: 2\r\n\r\n{}"));
  HttpTransport transport(quick_config());
  const std::string url = server.url();
  HttpCall call(transport, call_params(url, false), std::make_unique<UnreachedDecoder>());
  mj_event event{};
  REQUIRE(call.next(event));
  CHECK(event.type == MJ_EVENT_TEXT);
}

TEST_CASE("IPv6 hosts keep their brackets in messages and in the Host header", "[transport][errors]") {
  HttpTransport transport(quick_config());
  SECTION("in messages") {
    // Port 1 on the loopback: refused, or unreachable where IPv6 is off; either names the origin.
    const ProviderError error = expect_error([&] { post(transport, "http://[::1]:1/v1"); });
    CHECK(error.kind() == MJ_ERR_CONNECTION);
    CHECK_THAT(error.what(), Catch::Contains("http://[::1]:1") && !Catch::Contains("http://::1"));
  }
  SECTION("in the Host header and the absolute-form target sent to a proxy") {
    HeadRecordingServer proxy(kOkEmptyObject);
    HttpTransport proxied(quick_config());  // after the server: its pooled connection closes first
    HttpRequestSpec spec;
    const std::string url = "http://[::1]:8080/v1/chat";
    const std::string proxy_url = proxy.url("");
    spec.url = url;
    spec.body = "{}";
    spec.proxy = proxy_url;
    auto exchange = proxied.send(spec);
    CHECK(read_body(*exchange) == "{}");
    CHECK_THAT(proxy.head(), Catch::StartsWith("POST http://[::1]:8080/v1/chat HTTP/1.1\r\n") &&
                         Catch::Contains("\r\nHost: [::1]:8080\r\n"));
  }
}

TEST_CASE("an empty port or an unbracketed IPv6 address is a configuration error before any I/O", "[transport][errors]") {
  HttpTransport transport(quick_config());
  SECTION("empty port") {
    for (const char* url : {"http://127.0.0.1:", "http://127.0.0.1:/v1", "https://[::1]:/v1", "http://localhost:?q"}) {
      INFO(url);
      const ProviderError error = expect_error([&] { post(transport, url); });
      CHECK(error.kind() == MJ_ERR_CONFIGURATION);
      CHECK_THAT(error.what(), Catch::Contains("port after ':' is empty"));
    }
  }
  SECTION("unbracketed IPv6") {
    const ProviderError error = expect_error([&] { post(transport, "http://::1:1/"); });
    CHECK(error.kind() == MJ_ERR_CONFIGURATION);
    CHECK_THAT(error.what(), Catch::Contains("brackets"));
  }
  CHECK(transport.connections_opened() == 0);
}

TEST_CASE("a host name that does not resolve is a clear connection error", "[transport][errors]") {
  HttpTransport transport(quick_config());
  // .invalid never resolves (RFC 6761), and the SDK does not even ask a resolver for it.
  const ProviderError error = expect_error([&] { post(transport, "http://no-such-host.invalid/v1"); });
  CHECK(error.kind() == MJ_ERR_CONNECTION);
  CHECK_THAT(error.what(), Catch::Contains("cannot resolve host no-such-host.invalid") &&
                               Catch::Contains("base URL"));
}

TEST_CASE("twenty thousand request headers go out in linear time, a repeated name once", "[transport][errors]") {
  constexpr int kCount = 20'000;
  std::vector<std::string> names;
  std::vector<std::string> values;
  names.reserve(kCount + 1);
  values.reserve(kCount + 1);
  for (int i = 0; i < kCount; ++i) {
    names.push_back("X-Header-" + std::to_string(i));
    values.push_back("v" + std::to_string(i));
  }
  names.push_back("x-header-7");  // replaces the eighth one
  values.push_back("last");
  std::vector<mj_header> headers;
  for (std::size_t i = 0; i < names.size(); ++i) {
    headers.push_back({{names[i].data(), names[i].size()}, {values[i].data(), values[i].size()}});
  }
  HeadRecordingServer server(kOkEmptyObject);
  HttpTransport transport(quick_config());
  auto exchange = post(transport, server.url(), "{}", headers);
  CHECK(read_body(*exchange) == "{}");
  const std::string head = server.head();
  std::size_t lines = 0;
  for (std::size_t at = head.find("\r\nX-Header-"); at != std::string::npos; at = head.find("\r\nX-Header-", at + 2))
    ++lines;
  CHECK(lines == kCount - 1);  // X-Header-7 went out once, under the later spelling
  CHECK_THAT(head, Catch::Contains("\r\nx-header-7: last\r\n") && !Catch::Contains(": v7\r\n") &&
                       Catch::Contains("\r\nX-Header-19999: v19999\r\n"));
}
