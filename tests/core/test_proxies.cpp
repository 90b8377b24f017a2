// Provider calls through a real squid forward proxy (plain, CONNECT, Basic auth) and a real nginx API gateway.
#include "loopback_daemons.hpp"
#include "scoped_env.hpp"
#include "provider_test_env.hpp"
#include "test_pki.hpp"

#include <catch2/catch.hpp>

#include <stdlib.h>

#include <functional>
#include <map>
#include <optional>
#include <string>

using namespace majordomo;
using majordomo::testing::drain;
using majordomo::testing::NginxGateway;
using majordomo::testing::ProviderTestEnv;
using majordomo::testing::SquidProxy;
using majordomo::testing::TestPki;
using majordomo::testing::tls_fake_options;

namespace {

// Sets (or unsets) environment variables for one scope and puts the old values back.
using majordomo::testing::ScopedEnv;

// No proxy variable of the machine running the tests may leak into them.
ScopedEnv clean_proxy_env() {
  return ScopedEnv{{"http_proxy", nullptr}, {"HTTP_PROXY", nullptr}, {"https_proxy", nullptr},
                   {"HTTPS_PROXY", nullptr}, {"all_proxy", nullptr}, {"ALL_PROXY", nullptr},
                   {"no_proxy", nullptr}, {"NO_PROXY", nullptr}};
}

const std::string kAnswer = "Hello! How can I assist you today?";

}  // namespace

TEST_CASE("a plain http provider call goes through squid in absolute form", "[proxy]") {
  const ScopedEnv env_guard = clean_proxy_env();
  SquidProxy squid;
  ProviderTestEnv env;
  ClientOptions options = env.openai_options();

  SECTION("proxy from the option") {
    options.proxy = squid.url();
    const auto llm = env.openai(options);
    CHECK(llm->get_response("hi").content == kAnswer);
    ResponseStream stream = llm->get_response_stream("hi");
    CHECK_FALSE(drain(stream).empty());
    const auto recorded = env.server.requests();
    REQUIRE(recorded.size() == 2);
    // squid forwards the origin form and marks the hop.
    CHECK(recorded[0].uri == "/v1/chat/completions");
    CHECK(ProviderTestEnv::only_header(recorded[0], "Via").find("majordomo-test") != std::string::npos);
    CHECK(ProviderTestEnv::only_header(recorded[0], "Authorization") == "Bearer sk-test-0000");
    CHECK(squid.logged(fmt::format("POST {}/v1/chat/completions", env.server.origin())));
  }
  SECTION("proxy from http_proxy, which an https_proxy does not replace for an http URL") {
    const ScopedEnv proxy_env{{"http_proxy", squid.url().c_str()}, {"https_proxy", "http://127.0.0.1:1"}};
    const auto llm = env.openai(options);
    CHECK(llm->resolve(LLMRequest::from_prompt("hi"), false).at(0).proxy == squid.url());
    CHECK(llm->get_response("hi").content == kAnswer);
    CHECK(squid.logged("TCP_MISS/200"));
  }
  SECTION("HTTP_PROXY in upper case is ignored, as CGI servers fill it from a request header") {
    const ScopedEnv proxy_env{{"HTTP_PROXY", "http://127.0.0.1:1"}};
    const auto llm = env.openai(options);
    CHECK(llm->resolve(LLMRequest::from_prompt("hi"), false).at(0).proxy.empty());
    CHECK(llm->get_response("hi").content == kAnswer);
  }
}

TEST_CASE("an https provider call goes through a CONNECT tunnel with TLS to the origin", "[proxy][tls]") {
  const ScopedEnv env_guard = clean_proxy_env();
  const TestPki pki;
  SquidProxy squid;
  ProviderTestEnv env(tls_fake_options(pki));
  ClientOptions options = env.openai_options();
  options.base_url = fmt::format("https://localhost:{}/v1", env.server.port());
  options.tls.ca_file = pki.file("ca.pem");

  SECTION("the right CA: JSON and stream arrive") {
    const ScopedEnv proxy_env{{"HTTPS_PROXY", squid.url().c_str()}};
    {
      const auto llm = env.openai(options);
      CHECK(llm->get_response("hi").content == kAnswer);
      ResponseStream stream = llm->get_response_stream("hi");
      CHECK_FALSE(drain(stream).empty());
    }  // the instance and its pooled tunnel are gone: squid logs the CONNECT
    REQUIRE(env.server.requests().size() == 2);
    CHECK(env.server.requests()[0].uri == "/v1/chat/completions");
    // Inside the tunnel squid sees nothing but the CONNECT: no Via, no request line.
    CHECK(ProviderTestEnv::only_header(env.server.requests()[0], "Via") == "<absent>");
    CHECK(squid.logged(fmt::format("CONNECT localhost:{}", env.server.port())));
  }
  SECTION("the origin's certificate is checked against the origin's name, not the proxy's") {
    ProviderTestEnv other(tls_fake_options(pki, "otherhost"));
    options.proxy = squid.url();
    options.base_url = fmt::format("https://localhost:{}/v1", other.server.port());
    try {
      (void)env.openai(options)->get_response("hi");
      FAIL("no error");
    } catch (const ConnectionError& error) {
      CHECK_THAT(error.what(), Catch::Contains("does not name this host") && Catch::Contains("localhost"));
    }
    CHECK(other.server.requests().empty());
  }
}

TEST_CASE("NO_PROXY and no_proxy bypass the proxy for matching hosts", "[proxy]") {
  const ScopedEnv env_guard = clean_proxy_env();
  ProviderTestEnv env;
  ClientOptions options = env.openai_options();
  const std::string dead_proxy = fmt::format("http://127.0.0.1:{}", majordomo::testing::free_loopback_port());

  SECTION("environment") {
    const ScopedEnv proxy_env{{"http_proxy", dead_proxy.c_str()}, {"NO_PROXY", "example.com, 127.0.0.1"}};
    const auto llm = env.openai(options);
    CHECK(llm->resolve(LLMRequest::from_prompt("hi"), false).at(0).proxy.empty());
    CHECK(llm->get_response("hi").content == kAnswer);
  }
  SECTION("option, with a port") {
    options.proxy = dead_proxy;
    options.no_proxy = fmt::format("127.0.0.1:{}", env.server.port());
    CHECK(env.openai(options)->get_response("hi").content == kAnswer);
  }
  SECTION("an empty no_proxy option overrides NO_PROXY") {
    const ScopedEnv proxy_env{{"NO_PROXY", "*"}};
    options.proxy = dead_proxy;
    options.no_proxy = "";
    CHECK_THROWS_AS(env.openai(options)->get_response("hi"), ConnectionError);
  }
  SECTION("an empty proxy option means none, whatever the environment says") {
    const ScopedEnv proxy_env{{"http_proxy", dead_proxy.c_str()}};
    options.proxy = "";
    CHECK(env.openai(options)->get_response("hi").content == kAnswer);
  }
  CHECK(env.server.requests().size() <= 1);
}

TEST_CASE("a proxy that wants credentials: 407 is an authentication error naming the proxy", "[proxy]") {
  const ScopedEnv env_guard = clean_proxy_env();
  SquidProxy squid({"alice", "s3cret-pass"});
  ProviderTestEnv env;
  const std::string with_password = fmt::format("http://alice:s3cret-pass@127.0.0.1:{}", squid.port());
  const std::string wrong_password = fmt::format("http://alice:wrong-pass@127.0.0.1:{}", squid.port());
  const std::string shown = fmt::format("http://alice:[REDACTED]@127.0.0.1:{}", squid.port());

  const auto expect_407 = [&](const std::function<void()>& call, const std::string& name) {
    try {
      call();
      FAIL("no error");
    } catch (const AuthenticationError& error) {
      CHECK_THAT(error.what(), Catch::Contains(name));
      CHECK_THAT(error.what(), Catch::Contains("407"));
      CHECK_THAT(error.what(), Catch::Contains("http://user:password@host:port"));
      CHECK_THAT(error.what(), !Catch::Contains("pass@") && !Catch::Contains("wrong-pass"));
    }
  };

  SECTION("plain http") {
    ClientOptions options = env.openai_options();
    options.proxy = squid.url();
    expect_407([&] { (void)env.openai(options)->get_response("hi"); }, squid.url());
    options.proxy = wrong_password;
    expect_407([&] { (void)env.openai(options)->get_response("hi"); }, shown);
    CHECK(env.server.requests().empty());
    options.proxy = with_password;
    const auto llm = env.openai(options);
    CHECK(llm->resolve(LLMRequest::from_prompt("hi"), false).at(0).proxy == shown);
    CHECK(llm->get_response("hi").content == kAnswer);
    CHECK(squid.logged("TCP_MISS/200 "));
    CHECK(squid.access_log().find(" alice ") != std::string::npos);
    // The proxy's credentials are the proxy's: the provider never sees them.
    CHECK(ProviderTestEnv::only_header(env.server.requests().at(0), "Proxy-Authorization") == "<absent>");
  }
  SECTION("https through CONNECT") {
    const TestPki pki;
    ProviderTestEnv tls_env(tls_fake_options(pki));
    ClientOptions options = tls_env.openai_options();
    options.base_url = fmt::format("https://localhost:{}/v1", tls_env.server.port());
    options.tls.ca_file = pki.file("ca.pem");
    options.proxy = wrong_password;
    expect_407([&] { (void)tls_env.openai(options)->get_response("hi"); }, shown);
    options.proxy = with_password;
    CHECK(tls_env.openai(options)->get_response("hi").content == kAnswer);
    CHECK(ProviderTestEnv::only_header(tls_env.server.requests().at(0), "Proxy-Authorization") == "<absent>");
  }
}

TEST_CASE("a proxy nobody listens on is a connection error naming the proxy", "[proxy]") {
  const ScopedEnv env_guard = clean_proxy_env();
  ProviderTestEnv env;
  ClientOptions options = env.openai_options();
  const uint16_t port = majordomo::testing::free_loopback_port();
  options.proxy = fmt::format("http://bob:hunter2-secret@127.0.0.1:{}", port);
  try {
    (void)env.openai(options)->get_response("hi");
    FAIL("no error");
  } catch (const ConnectionError& error) {
    CHECK_THAT(error.what(), Catch::Contains(fmt::format("proxy http://bob:[REDACTED]@127.0.0.1:{}", port)));
    CHECK_THAT(error.what(), Catch::Contains("NO_PROXY"));
    CHECK_THAT(error.what(), !Catch::Contains("hunter2"));
  }
  CHECK(env.server.requests().empty());
}

TEST_CASE("an unsupported proxy URL is a configuration error before any I/O", "[proxy]") {
  const ScopedEnv env_guard = clean_proxy_env();
  ProviderTestEnv env;
  ClientOptions options = env.openai_options();
  for (const char* bad : {"socks5://127.0.0.1:1080", "https://127.0.0.1:3128", "http://:3128", "http://proxy:0",
                          "http://proxy:3128/path"}) {
    options.proxy = bad;
    CHECK_THROWS_AS(env.openai(options), ConfigurationError);
  }
  const ScopedEnv proxy_env{{"http_proxy", "socks5h://u:topsecret@127.0.0.1:1080"}};
  options.proxy.reset();
  try {
    env.openai(options);
    FAIL("no error");
  } catch (const ConfigurationError& error) {
    CHECK_THAT(error.what(), Catch::Contains("$http_proxy") && Catch::Contains("SOCKS"));
    CHECK_THAT(error.what(), !Catch::Contains("topsecret"));
  }
  CHECK(env.server.requests().empty());
}

TEST_CASE("nginx as an API gateway: every provider, JSON and stream, headers once with the request's value", "[proxy][gateway]") {
  const ScopedEnv env_guard = clean_proxy_env();
  ProviderTestEnv env;
  const std::vector<std::string> providers = {"openai", "anthropic", "gemini", "deepseek", "cohere"};
  NginxGateway nginx(env.server.origin(), providers);
  // The part of each base URL below the gateway prefix, as the plugins' paths expect it.
  const std::map<std::string, std::string> suffix = {{"openai", "/v1"}};

  for (const auto& provider : providers) {
    ClientOptions options = provider == "openai"      ? env.openai_options()
                            : provider == "anthropic" ? env.anthropic_options()
                            : provider == "gemini"    ? env.gemini_options()
                            : provider == "deepseek"  ? env.deepseek_options()
                                                      : env.cohere_options();
    const auto it = suffix.find(provider);
    options.base_url = nginx.url() + "/gateway/" + provider + (it == suffix.end() ? "" : it->second);
    options.default_headers.set("X-Majordomo-Tenant", "instance-tenant");
    options.default_headers.set("X-Majordomo-Team", "core");
    const auto llm = env.host.get_llm_instance(provider, provider == "openai"      ? "gpt-4o"
                                                         : provider == "anthropic" ? "claude-haiku-4-5"
                                                         : provider == "gemini"    ? "gemini-2.5-flash"
                                                         : provider == "deepseek"  ? "deepseek-flash"
                                                                                   : "command-a-03-2025",
                                               options);
    RequestOptions request;
    request.extra_headers.set("x-majordomo-tenant", "request-tenant");
    for (const bool stream : {false, true}) {
      INFO(provider << (stream ? " stream" : " json"));
      env.server.clear_requests();
      if (stream) {
        ResponseStream s = llm->get_response_stream("hi", request);
        CHECK_FALSE(drain(s).empty());
      } else {
        CHECK_FALSE(llm->get_response("hi", request).content.empty());
      }
      const auto recorded = env.server.requests();
      REQUIRE(recorded.size() == 1);
      CHECK(recorded[0].protocol == provider);
      // nginx stripped its prefix and added its own header; ours arrive once each.
      CHECK(recorded[0].uri.find("/gateway/") == std::string::npos);
      CHECK(ProviderTestEnv::only_header(recorded[0], "X-Gateway") == "nginx");
      CHECK(ProviderTestEnv::only_header(recorded[0], "X-Majordomo-Tenant") == "request-tenant");
      CHECK(ProviderTestEnv::only_header(recorded[0], "X-Majordomo-Team") == "core");
    }
  }

  SECTION("a stream's events pass the gateway while the provider is still sending") {
    ClientOptions options = env.openai_options();
    options.base_url = nginx.url() + "/gateway/openai/v1";
    fake::ScriptedResponse held;
    held.fixture = "openai/chat_completion_stream.sse";
    held.stall_after = 600;  // the first events, then the provider goes quiet for a long time
    held.stall_for = std::chrono::milliseconds(60'000);
    env.server.push_response(held);
    ResponseStream stream = env.openai(options)->get_response_stream("hi");
    // Answered only if nginx passes events on as they come (proxy_buffering off).
    CHECK(stream.next_text());
    stream.close();
  }
}
