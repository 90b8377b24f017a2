// HttpTransport through a forward proxy, with loopback servers in the proxy's place: request forms, credentials, pool keys, typed refusals.
#include "test_servers.hpp"
#include "transport_test_support.hpp"

#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/http.hpp>

#include <catch2/catch.hpp>

#include <mutex>
#include <string>
#include <vector>

using namespace majordomo::sdk;
using namespace majordomo::test;

namespace {

// What the server in the proxy's place saw of each request.
struct Seen {
  std::string target;
  std::string proxy_authorization;
};

ProviderError send_expecting_error(HttpTransport& transport, const std::string& url, const std::string& proxy) {
  return expect_error([&] { post_via(transport, url, proxy); });
}

}  // namespace

TEST_CASE("through a proxy: absolute-form targets, Basic credentials, pools apart from direct connections", "[transport][proxy]") {
  std::mutex mutex;
  std::vector<Seen> seen;
  LoopbackHttpServer server([&](Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
    request.stream().ignore(std::numeric_limits<std::streamsize>::max());
    {
      std::lock_guard lock(mutex);
      seen.push_back({request.getURI(), request.get("Proxy-Authorization", "<absent>")});
    }
    response.setContentType("application/json");
    response.setContentLength(2);
    response.send() << "{}";
  });
  HttpTransport transport(TransportConfig{});
  const auto send = [&](const std::string& url, const std::string& proxy) {
    auto exchange = post_via(transport, url, proxy);
    read_body(*exchange);
    return exchange->status();
  };
  const std::string proxy = "http://127.0.0.1:" + std::to_string(server.port());
  // "p@ss word" percent-encoded; Basic carries it decoded: base64("ops:p@ss word").
  const std::string with_user = "http://ops:p%40ss%20word@127.0.0.1:" + std::to_string(server.port());

  CHECK(send(server.url("/v1/direct"), "") == 200);
  CHECK(send("http://api.example.test:8080/v1/chat?x=1", proxy) == 200);
  CHECK(send("http://api.example.test:8080/v1/chat?x=1", proxy) == 200);
  CHECK(send("http://api.example.test/v1/chat", with_user) == 200);
  REQUIRE(seen.size() == 4);
  CHECK(seen[0].target == "/v1/direct");
  CHECK(seen[1].target == "http://api.example.test:8080/v1/chat?x=1");
  CHECK(seen[1].proxy_authorization == "<absent>");
  CHECK(seen[3].target == "http://api.example.test/v1/chat");
  CHECK(seen[3].proxy_authorization == "Basic b3BzOnBAc3Mgd29yZA==");
  // Direct, proxied, and proxied with other credentials: three pools; the second proxied request
  // reused its connection.
  CHECK(transport.connections_opened() == 3);
}

TEST_CASE("a proxy's 407 is an authentication error, a refused CONNECT a connection error, both naming the proxy", "[transport][proxy]") {
  RawServer server([](Poco::Net::StreamSocket& socket, int) {
    const auto request = read_request(socket);
    if (!request) return;
    const bool tunnel = request->head.rfind("CONNECT api.example.test:443 HTTP/1.1\r\n", 0) == 0;
    const bool authorised = request->head.find("Proxy-Authorization: Basic dTpyaWdodA==\r\n") != std::string::npos;
    if (!authorised) {
      send_all(socket, "HTTP/1.1 407 Proxy Authentication Required\r\n"
                       "Proxy-Authenticate: Basic realm=\"corp\"\r\nContent-Length: 0\r\n\r\n");
    } else if (tunnel) {
      send_all(socket, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
    }
  });
  HttpTransport transport(TransportConfig{});
  std::string address = server.url();  // "http://127.0.0.1:PORT/"
  address = address.substr(7, address.size() - 8);
  const std::string wrong = "http://u:wrong-pw@" + address;

  ProviderError plain = send_expecting_error(transport, "http://api.example.test/v1", wrong);
  CHECK(plain.kind() == MJ_ERR_AUTHENTICATION);
  CHECK(plain.http_status() == 407);
  CHECK_THAT(plain.what(), Catch::Contains("proxy http://u:[REDACTED]@" + address));
  CHECK_THAT(plain.what(), !Catch::Contains("wrong-pw"));

  ProviderError tunnel = send_expecting_error(transport, "https://api.example.test/v1", wrong);
  CHECK(tunnel.kind() == MJ_ERR_AUTHENTICATION);
  CHECK_THAT(tunnel.what(), !Catch::Contains("wrong-pw"));

  ProviderError refused = send_expecting_error(transport, "https://api.example.test/v1", "http://u:right@" + address);
  CHECK(refused.kind() == MJ_ERR_CONNECTION);
  CHECK_THAT(refused.what(), Catch::Contains("refused to open a tunnel to api.example.test:443 (HTTP 403)"));
  CHECK_THAT(refused.what(), Catch::Contains("NO_PROXY"));
}

TEST_CASE("a proxy URL the transport cannot use is a configuration error that hides the password", "[transport][proxy]") {
  HttpTransport transport(TransportConfig{});
  for (const char* proxy : {"socks5://u:pw-123456@127.0.0.1:1080", "https://u:pw-123456@127.0.0.1:3128",
                            "http://u:pw-123456@127.0.0.1:3128/path", "http://u:pw-123456@:3128",
                            "http://u:pw%zz@127.0.0.1:3128"}) {
    const ProviderError error = send_expecting_error(transport, "http://api.example.test/v1", proxy);
    CHECK(error.kind() == MJ_ERR_CONFIGURATION);
    CHECK_THAT(error.what(), Catch::Contains("proxy URL") && !Catch::Contains("pw-123456"));
  }
  CHECK(transport.connections_opened() == 0);
}
