// Proxy resolution without I/O: NO_PROXY matching, option/environment precedence, URL checks, redaction.
#include "resolution.hpp"

#include <majordomo/errors.hpp>
#include <majordomo/majordomo.hpp>

#include <catch2/catch.hpp>

#include <stdlib.h>

#include <optional>
#include <string>

using majordomo::ClientOptions;
using majordomo::ConfigurationError;
using majordomo::Host;
using majordomo::HostOptions;
using majordomo::resolution::no_proxy_matches;
using majordomo::resolution::resolve_proxy;

namespace {

// The proxy variables this file sets, cleared before and after each case.
struct ProxyEnvReset {
  ProxyEnvReset() { clear(); }
  ~ProxyEnvReset() { clear(); }
  static void clear() {
    for (const char* name : {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
                             "no_proxy", "NO_PROXY"})
      ::unsetenv(name);
  }
};

}  // namespace

TEST_CASE("NO_PROXY entries match hosts, domains, ports and address ranges", "[proxy]") {
  CHECK(no_proxy_matches("*", "api.openai.com", 443));
  CHECK(no_proxy_matches("openai.com", "openai.com", 443));
  CHECK(no_proxy_matches("openai.com", "api.openai.com", 443));
  CHECK(no_proxy_matches(".openai.com", "api.openai.com", 443));
  CHECK(no_proxy_matches("*.openai.com", "api.openai.com", 443));
  CHECK(no_proxy_matches(" example.com , OpenAI.com ", "API.openai.com", 443));
  CHECK_FALSE(no_proxy_matches("openai.com", "notopenai.com", 443));
  CHECK_FALSE(no_proxy_matches("openai.com", "openai.com.evil.net", 443));
  CHECK_FALSE(no_proxy_matches("", "openai.com", 443));
  CHECK_FALSE(no_proxy_matches("*.", "openai.com", 443));

  CHECK(no_proxy_matches("gateway.corp:8443", "gateway.corp", 8443));
  CHECK_FALSE(no_proxy_matches("gateway.corp:8443", "gateway.corp", 443));

  CHECK(no_proxy_matches("127.0.0.1", "127.0.0.1", 80));
  CHECK(no_proxy_matches("10.0.0.0/8", "10.1.2.3", 80));
  CHECK_FALSE(no_proxy_matches("10.0.0.0/8", "11.1.2.3", 80));
  CHECK(no_proxy_matches("::1", "::1", 80));
  CHECK(no_proxy_matches("[::1]:8080", "[::1]", 8080));
  CHECK(no_proxy_matches("fd00::/8", "fd12::1", 80));
  // An IP entry is no domain suffix: 1.1 does not match 10.1.1.1.
  CHECK_FALSE(no_proxy_matches("1.1", "10.1.1.1", 80));
  // Loopback gets no special treatment: it goes through the proxy unless listed.
  CHECK_FALSE(no_proxy_matches("example.com", "localhost", 80));
  CHECK_FALSE(no_proxy_matches("example.com", "127.0.0.1", 80));
}

TEST_CASE("proxy precedence: option, then the scheme's variable, then ALL_PROXY, minus NO_PROXY", "[proxy]") {
  const ProxyEnvReset reset;
  const std::optional<std::string> unset;
  CHECK(resolve_proxy(unset, unset, "https://api.openai.com/v1", "openai").url.empty());

  ::setenv("ALL_PROXY", "all.corp:3128", 1);
  CHECK(resolve_proxy(unset, unset, "https://api.openai.com/v1", "openai").url == "http://all.corp:3128");
  ::setenv("HTTPS_PROXY", "http://upper.corp:3128", 1);
  CHECK(resolve_proxy(unset, unset, "https://api.openai.com/v1", "openai").url == "http://upper.corp:3128");
  ::setenv("https_proxy", "http://lower.corp:3128", 1);
  const auto from_env = resolve_proxy(unset, unset, "https://api.openai.com/v1", "openai");
  CHECK(from_env.url == "http://lower.corp:3128");
  CHECK(from_env.source == "$https_proxy");
  // An http base URL takes http_proxy (or ALL_PROXY), never the https variables.
  CHECK(resolve_proxy(unset, unset, "http://localhost:8080/v1", "openai").url == "http://all.corp:3128");
  ::setenv("http_proxy", "http://plain.corp", 1);
  CHECK(resolve_proxy(unset, unset, "http://localhost:8080/v1", "openai").url == "http://plain.corp:1080");

  const auto from_option =
      resolve_proxy(std::string("http://u:p%40ss@Opt.Corp:8080/"), unset, "https://api.openai.com/v1", "openai");
  CHECK(from_option.url == "http://u:p%40ss@opt.corp:8080");
  CHECK(from_option.redacted == "http://u:[REDACTED]@opt.corp:8080");
  CHECK(from_option.source == "the proxy option (--proxy)");
  // A user name without a password may be a token: hidden whole.
  CHECK(resolve_proxy(std::string("http://tok-123@opt.corp:8080"), unset, "https://api.openai.com/v1", "openai")
            .redacted == "http://[REDACTED]@opt.corp:8080");
  CHECK(resolve_proxy(std::string(), unset, "https://api.openai.com/v1", "openai").url.empty());

  ::setenv("NO_PROXY", "openai.com", 1);
  CHECK(resolve_proxy(unset, unset, "https://api.openai.com/v1", "openai").url.empty());
  ::setenv("no_proxy", "example.com", 1);  // lower case wins over NO_PROXY
  CHECK_FALSE(resolve_proxy(unset, unset, "https://api.openai.com/v1", "openai").url.empty());
  CHECK(resolve_proxy(unset, std::string("*"), "https://api.openai.com/v1", "openai").url.empty());
  CHECK_FALSE(resolve_proxy(unset, std::string(), "https://api.openai.com/v1", "openai").url.empty());
}

TEST_CASE("a proxy URL the transport cannot use is refused with its source and the remedy", "[proxy]") {
  const ProxyEnvReset reset;
  const std::optional<std::string> unset;
  const auto message = [&](const std::string& proxy) -> std::string {
    try {
      resolve_proxy(proxy, unset, "https://api.openai.com/v1", "openai");
    } catch (const ConfigurationError& error) {
      return error.what();
    }
    return "<accepted>";
  };
  CHECK_THAT(message("socks5://u:hunter22@127.0.0.1:1080"), Catch::Contains("SOCKS") && !Catch::Contains("hunter22"));
  CHECK_THAT(message("https://proxy.corp:443"), Catch::Contains("CONNECT") && Catch::Contains("--proxy"));
  CHECK_THAT(message("ftp://proxy.corp"), Catch::Contains("ftp"));
  CHECK_THAT(message("http://proxy.corp:99999"), Catch::Contains("port"));
  CHECK_THAT(message("http://proxy.corp/path"), Catch::Contains("path"));
  CHECK_THAT(message("http://"), Catch::Contains("no host"));
  CHECK_THAT(message("http://proxy corp"), Catch::Contains("white space"));
  CHECK(message("http://[::1]:3128") == "<accepted>");
  // A broken variable is reported even for a host NO_PROXY exempts.
  ::setenv("https_proxy", "socks5://proxy.corp", 1);
  ::setenv("NO_PROXY", "*", 1);
  CHECK_THROWS_AS(resolve_proxy(unset, unset, "https://api.openai.com/v1", "openai"), ConfigurationError);
}

TEST_CASE("a plugin built before proxy support is refused for proxied use only", "[proxy][discovery]") {
  const ProxyEnvReset reset;
  HostOptions host_options;
  host_options.plugin_dirs = {MAJORDOMO_TEST_PRE_PROXY_PLUGIN_DIR, MAJORDOMO_TEST_GOOD_PLUGIN_DIR};
  host_options.use_env_path = false;
  host_options.use_default_dir = false;
  const Host host(host_options);
  REQUIRE(host.find_plugin("echo-old") != nullptr);
  ClientOptions options;
  options.api_key = "echo-secret";
  options.proxy = "http://ops:pw-77@127.0.0.1:3128";
  // The SDK's glue says the current echo plugin reads the proxy.
  CHECK_NOTHROW(host.get_llm_instance("echo", "echo-1", options));
  try {
    (void)host.get_llm_instance("echo-old", "echo-1", options);
    FAIL("no error");
  } catch (const ConfigurationError& error) {
    CHECK_THAT(error.what(), Catch::Contains("without proxy support") && Catch::Contains("rebuild"));
    CHECK_THAT(error.what(), Catch::Contains("http://ops:[REDACTED]@127.0.0.1:3128") && !Catch::Contains("pw-77"));
  }
  // Direct use is unaffected: no proxy, or its host exempt.
  options.no_proxy = "127.0.0.1";
  CHECK(host.get_llm_instance("echo-old", "echo-1", options)->get_response("hello there").content == "hello there");
  options.no_proxy.reset();
  options.proxy = "";
  CHECK(host.get_llm_instance("echo-old", "echo-1", options)->get_response("hello").content == "hello");
}
