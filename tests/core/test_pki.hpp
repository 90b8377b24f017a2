// A throw-away PKI made with openssl for TLS tests: a CA, server certificates it signed, an unrelated CA.
#pragma once

#include "provider_test_env.hpp"

#include <catch2/catch.hpp>

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace majordomo::testing {

inline void run_command(const std::string& command) {
  const int status = std::system((command + " >/dev/null 2>&1").c_str());
  if (status != 0) FAIL("command failed: " << command);
}

// A CA and two server certificates it signed: one for localhost/127.0.0.1, one for otherhost;
// and an unrelated second CA.
struct TestPki {
  std::filesystem::path dir;
  TestPki() {
    char pattern[] = "/tmp/majordomo-pki-XXXXXX";
    dir = ::mkdtemp(pattern);
    const std::string d = dir.string();
    for (const char* ca : {"ca", "other-ca"}) {
      run_command(fmt_cmd("openssl req -x509 -newkey rsa:2048 -nodes -keyout {d}/{ca}.key -out {d}/{ca}.pem "
                  "-days 2 -subj /CN={ca}", d, ca));
    }
    make_server("localhost", "DNS:localhost,IP:127.0.0.1");
    make_server("otherhost", "DNS:otherhost");
  }
  ~TestPki() { std::filesystem::remove_all(dir); }

  void make_server(const std::string& name, const std::string& san) {
    const std::string d = dir.string();
    std::ofstream(dir / (name + ".ext")) << "subjectAltName=" << san << "\nextendedKeyUsage=serverAuth\n";
    run_command("openssl req -newkey rsa:2048 -nodes -keyout " + d + "/" + name + ".key -out " + d + "/" + name +
        ".csr -subj /CN=" + name);
    run_command("openssl x509 -req -in " + d + "/" + name + ".csr -CA " + d + "/ca.pem -CAkey " + d +
        "/ca.key -CAcreateserial -out " + d + "/" + name + ".pem -days 2 -extfile " + d + "/" + name + ".ext");
  }

  static std::string fmt_cmd(std::string pattern, const std::string& d, const std::string& ca) {
    for (std::string::size_type p; (p = pattern.find("{d}")) != std::string::npos;) pattern.replace(p, 3, d);
    for (std::string::size_type p; (p = pattern.find("{ca}")) != std::string::npos;) pattern.replace(p, 4, ca);
    return pattern;
  }
  std::string file(const std::string& name) const { return (dir / name).string(); }
};

// The fake provider server on HTTPS with one of the PKI's server certificates ("localhost" names
// localhost and 127.0.0.1, "otherhost" neither).
inline fake::FakeServerOptions tls_fake_options(const TestPki& pki, const std::string& cert = "localhost") {
  fake::FakeServerOptions options = ProviderTestEnv::default_options();
  options.tls_cert_file = pki.file(cert + ".pem");
  options.tls_key_file = pki.file(cert + ".key");
  return options;
}

}  // namespace majordomo::testing
