// Lazy TLS: plain http never maps libssl; https without libmajordomo-tls.so is a configuration error naming where it looked.
// A binary of its own: it must not link Poco NetSSL, and the module search runs once per process.
#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/http.hpp>

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>

#include <catch2/catch.hpp>

#include <stdlib.h>

#include <fstream>
#include <string>
#include <thread>

using namespace majordomo::sdk;

namespace {

// Points the search at a file that does not exist before any test runs (the default would be
// this build's module, which the test must not find).
const bool module_hidden = [] {
  setenv("MAJORDOMO_TLS_MODULE", "/nonexistent/majordomo-test/libmajordomo-tls.so", 1);
  return true;
}();

bool mapped(const std::string& name) {
  std::ifstream maps("/proc/self/maps");
  for (std::string line; std::getline(maps, line);) {
    if (line.find(name) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("plain http loads no TLS library, https without the module names the places searched", "[tls][lazy]") {
  REQUIRE(module_hidden);
  // One request, one canned answer: the shared test servers link NetSSL, which this binary must not.
  Poco::Net::ServerSocket listener(Poco::Net::SocketAddress("127.0.0.1", 0));
  std::thread server([&listener] {
    Poco::Net::StreamSocket socket = listener.acceptConnection();
    std::string request;
    char buffer[4096];
    while (request.find("\r\n\r\n{}") == std::string::npos) {
      const int n = socket.receiveBytes(buffer, sizeof(buffer));
      if (n <= 0) return;
      request.append(buffer, static_cast<std::size_t>(n));
    }
    const std::string answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
    socket.sendBytes(answer.data(), static_cast<int>(answer.size()));
  });
  HttpTransport transport(TransportConfig{});
  HttpRequestSpec spec;
  const std::string url = "http://127.0.0.1:" + std::to_string(listener.address().port()) + "/";
  spec.url = url;
  spec.body = "{}";
  std::string body;
  transport.send(spec)->read_all(body);
  server.join();
  CHECK(body == "{}");
  CHECK_FALSE(mapped("libssl"));
  CHECK_FALSE(mapped("libPocoNetSSL"));

  spec.url = "https://127.0.0.1:1/v1?key=sk-secret";
  for (int attempt = 0; attempt < 2; ++attempt) {  // the failed search is remembered, and says so again
    try {
      transport.send(spec);
      FAIL("expected a ProviderError");
    } catch (const ProviderError& error) {
      CHECK(error.kind() == MJ_ERR_CONFIGURATION);
      CHECK_THAT(error.what(), Catch::Contains("https needs libmajordomo-tls.so") &&
                                   Catch::Contains("/nonexistent/majordomo-test/libmajordomo-tls.so (absent)") &&
                                   Catch::Contains("MAJORDOMO_TLS_MODULE") && !Catch::Contains("sk-secret"));
    }
  }
}
