// HttpTransport TLS tests: a throwaway CA, right CA passes, wrong CA and host-name mismatch fail, keep-alive over TLS.
#include "test_servers.hpp"

#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/http.hpp>

#include <catch2/catch.hpp>

using majordomo::sdk::HttpRequestSpec;
using majordomo::sdk::HttpTransport;
using majordomo::sdk::ProviderError;
using majordomo::sdk::TransportConfig;
using majordomo::test::LoopbackHttpServer;
using majordomo::test::server_tls_context;
using majordomo::test::test_pki;

namespace {

LoopbackHttpServer::Handler ok_handler() {
  return [](Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& response) {
    response.setContentType("application/json");
    response.setContentLength(12);
    response.send() << "{\"tls\":true}";
  };
}

TransportConfig tls_config(const std::string& ca_file) {
  TransportConfig config;
  config.ca_file = ca_file;
  config.connect_timeout = std::chrono::seconds(10);
  config.first_byte_timeout = std::chrono::seconds(10);
  return config;
}

std::string fetch(HttpTransport& transport, const std::string& url) {
  HttpRequestSpec spec;
  spec.url = url;
  spec.body = "{}";
  auto exchange = transport.send(spec);
  std::string body;
  exchange->read_all(body);
  return body;
}

ProviderError fetch_error(HttpTransport& transport, const std::string& url) {
  try {
    fetch(transport, url);
  } catch (const ProviderError& error) {
    return error;
  }
  FAIL("expected a ProviderError");
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("TLS: the right CA verifies the server, by name and by IP", "[tls]") {
  const auto& pki = test_pki();
  LoopbackHttpServer server(ok_handler(), server_tls_context(pki.server_cert, pki.server_key));
  HttpTransport transport(tls_config(pki.ca));
  CHECK(fetch(transport, server.url("/", "localhost")) == "{\"tls\":true}");
  CHECK(fetch(transport, server.url("/", "localhost")) == "{\"tls\":true}");
  CHECK(transport.connections_opened() == 1);  // keep-alive over TLS
  CHECK(fetch(transport, server.url("/", "127.0.0.1")) == "{\"tls\":true}");
}

TEST_CASE("TLS: a server certificate from another CA is rejected", "[tls]") {
  const auto& pki = test_pki();
  LoopbackHttpServer server(ok_handler(), server_tls_context(pki.server_cert, pki.server_key));
  HttpTransport transport(tls_config(pki.other_ca));
  const ProviderError error = fetch_error(transport, server.url("/", "localhost"));
  CHECK(error.kind() == MJ_ERR_CONNECTION);
  CHECK_THAT(error.what(), Catch::Contains("TLS certificate verification failed for localhost") &&
                               Catch::Contains("tls.ca_file"));
}

TEST_CASE("TLS: a certificate for another host name is rejected, also on loopback", "[tls]") {
  const auto& pki = test_pki();
  LoopbackHttpServer server(ok_handler(), server_tls_context(pki.otherhost_cert, pki.otherhost_key));
  HttpTransport transport(tls_config(pki.ca));
  const ProviderError error = fetch_error(transport, server.url("/", "localhost"));
  CHECK(error.kind() == MJ_ERR_CONNECTION);
  CHECK_THAT(error.what(), Catch::Contains("localhost"));
}

TEST_CASE("TLS: verification can be switched off", "[tls]") {
  const auto& pki = test_pki();
  LoopbackHttpServer server(ok_handler(), server_tls_context(pki.otherhost_cert, pki.otherhost_key));
  TransportConfig config = tls_config("");
  config.verify_tls = false;
  HttpTransport transport(config);
  CHECK(fetch(transport, server.url("/", "localhost")) == "{\"tls\":true}");
}

TEST_CASE("TLS: an unreadable CA file is a configuration error", "[tls]") {
  HttpTransport transport(tls_config("/nonexistent/ca.pem"));
  const ProviderError error = fetch_error(transport, "https://localhost:1/");
  CHECK(error.kind() == MJ_ERR_CONFIGURATION);
  CHECK_THAT(error.what(), Catch::Contains("/nonexistent/ca.pem"));
}
