// HTTPS against the fake server with openssl-made test CAs: right CA, wrong CA, wrong host name.
#include "provider_test_env.hpp"
#include "test_pki.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

using namespace majordomo;
using majordomo::testing::ProviderTestEnv;
using majordomo::testing::TestPki;
using majordomo::testing::tls_fake_options;


TEST_CASE("HTTPS: the right CA passes, a wrong CA and a wrong host name fail", "[tls]") {
  const TestPki pki;
  SECTION("certificate for localhost") {
    ProviderTestEnv env(tls_fake_options(pki, "localhost"));
    REQUIRE(env.server.origin().rfind("https://", 0) == 0);
    ClientOptions options = env.openai_options();
    options.base_url = "https://localhost:" + std::to_string(env.server.port()) + "/v1";

    options.tls.ca_file = pki.file("ca.pem");
    CHECK(env.openai(options)->get_response("hi").content == "Hello! How can I assist you today?");
    ResponseStream stream = env.openai(options)->get_response_stream("hi");
    std::string text;
    for (std::string_view piece : stream) text.append(piece);
    CHECK_FALSE(text.empty());

    options.tls.ca_file = pki.file("other-ca.pem");
    try {
      (void)env.openai(options)->get_response("hi");
      FAIL("no error");
    } catch (const ConnectionError& error) {
      CHECK_THAT(error.what(), Catch::Contains("ca_file") || Catch::Contains("certificate"));
    }

    options.tls.verify = false;
    CHECK_NOTHROW(env.openai(options)->get_response("hi"));
  }
  SECTION("certificate for another host name") {
    ProviderTestEnv env(tls_fake_options(pki, "otherhost"));
    ClientOptions options = env.openai_options();
    options.base_url = "https://localhost:" + std::to_string(env.server.port()) + "/v1";
    options.tls.ca_file = pki.file("ca.pem");
    CHECK_THROWS_AS(env.openai(options)->get_response("hi"), ConnectionError);
  }
}
