// HTTPS against the fake server with openssl-made test CAs: right CA, wrong CA, wrong host name.
#include "provider_test_env.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

using namespace majordomo;
using majordomo::testing::ProviderTestEnv;
namespace fs = std::filesystem;

namespace {

void run(const std::string& command) {
  const int status = std::system((command + " >/dev/null 2>&1").c_str());
  if (status != 0) FAIL("command failed: " << command);
}

// A CA and two server certificates it signed: one for localhost/127.0.0.1, one for otherhost;
// and an unrelated second CA.
struct TestPki {
  fs::path dir;
  TestPki() {
    char pattern[] = "/tmp/majordomo-pki-XXXXXX";
    dir = ::mkdtemp(pattern);
    const std::string d = dir.string();
    for (const char* ca : {"ca", "other-ca"}) {
      run(fmt_cmd("openssl req -x509 -newkey rsa:2048 -nodes -keyout {d}/{ca}.key -out {d}/{ca}.pem "
                  "-days 2 -subj /CN={ca}", d, ca));
    }
    make_server("localhost", "DNS:localhost,IP:127.0.0.1");
    make_server("otherhost", "DNS:otherhost");
  }
  ~TestPki() { fs::remove_all(dir); }

  void make_server(const std::string& name, const std::string& san) {
    const std::string d = dir.string();
    std::ofstream(dir / (name + ".ext")) << "subjectAltName=" << san << "\nextendedKeyUsage=serverAuth\n";
    run("openssl req -newkey rsa:2048 -nodes -keyout " + d + "/" + name + ".key -out " + d + "/" + name +
        ".csr -subj /CN=" + name);
    run("openssl x509 -req -in " + d + "/" + name + ".csr -CA " + d + "/ca.pem -CAkey " + d +
        "/ca.key -CAcreateserial -out " + d + "/" + name + ".pem -days 2 -extfile " + d + "/" + name + ".ext");
  }

  static std::string fmt_cmd(std::string pattern, const std::string& d, const std::string& ca) {
    for (std::string::size_type p; (p = pattern.find("{d}")) != std::string::npos;) pattern.replace(p, 3, d);
    for (std::string::size_type p; (p = pattern.find("{ca}")) != std::string::npos;) pattern.replace(p, 4, ca);
    return pattern;
  }
  std::string file(const std::string& name) const { return (dir / name).string(); }
};

fake::FakeServerOptions tls_server(const TestPki& pki, const std::string& cert) {
  fake::FakeServerOptions options = ProviderTestEnv::default_options();
  options.tls_cert_file = pki.file(cert + ".pem");
  options.tls_key_file = pki.file(cert + ".key");
  return options;
}

}  // namespace

TEST_CASE("HTTPS: the right CA passes, a wrong CA and a wrong host name fail", "[tls]") {
  const TestPki pki;
  SECTION("certificate for localhost") {
    ProviderTestEnv env(tls_server(pki, "localhost"));
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
      env.openai(options)->get_response("hi");
      FAIL("no error");
    } catch (const ConnectionError& error) {
      CHECK_THAT(error.what(), Catch::Contains("ca_file") || Catch::Contains("certificate"));
    }

    options.tls.verify = false;
    CHECK_NOTHROW(env.openai(options)->get_response("hi"));
  }
  SECTION("certificate for another host name") {
    ProviderTestEnv env(tls_server(pki, "otherhost"));
    ClientOptions options = env.openai_options();
    options.base_url = "https://localhost:" + std::to_string(env.server.port()) + "/v1";
    options.tls.ca_file = pki.file("ca.pem");
    CHECK_THROWS_AS(env.openai(options)->get_response("hi"), ConnectionError);
  }
}
