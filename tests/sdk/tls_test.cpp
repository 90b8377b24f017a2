// HttpTransport TLS tests: a throwaway CA, right CA passes, wrong CA and host-name mismatch fail, keep-alive over TLS.
#include "test_servers.hpp"
#include "transport_test_support.hpp"

#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/http.hpp>

#include <catch2/catch.hpp>

using namespace majordomo::sdk;
using namespace majordomo::test;

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
  return read_body(*post(transport, url));
}

ProviderError fetch_error(HttpTransport& transport, const std::string& url) {
  return expect_error([&] { fetch(transport, url); });
}

// The error a fetch from a server showing `cert` over TLS ends in, for a client trusting `ca`.
ProviderError error_from_server(const std::string& cert, const std::string& key, const std::string& ca) {
  LoopbackHttpServer server(ok_handler(), server_tls_context(cert, key));
  HttpTransport transport(tls_config(ca));
  return fetch_error(transport, server.url("/", "localhost"));
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
  const ProviderError error = error_from_server(pki.server_cert, pki.server_key, pki.other_ca);
  CHECK(error.kind() == MJ_ERR_CONNECTION);
  CHECK_THAT(error.what(), Catch::Contains("TLS certificate verification failed for localhost") &&
                               Catch::Contains("tls.ca_file"));
}

TEST_CASE("TLS: a certificate for another host name is rejected, also on loopback", "[tls]") {
  const auto& pki = test_pki();
  const ProviderError error = error_from_server(pki.otherhost_cert, pki.otherhost_key, pki.ca);
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
