// Table-driven tests of the resolution pipeline: base-URL precedence, URL joins, header layers.
#include "resolution.hpp"
#include "scoped_env.hpp"

#include <majordomo/errors.hpp>
#include <majordomo/headers.hpp>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <optional>
#include <string>

using namespace majordomo;
using namespace majordomo::resolution;

namespace {

using majordomo::testing::ScopedEnv;

constexpr const char* kEnv = "MAJORDOMO_TEST_BASE_URL";

}  // namespace

TEST_CASE("base URL precedence: option > env var > plugin default", "[resolution]") {
  struct Row {
    const char* name;
    std::optional<std::string> option;
    std::optional<std::string> env;
    std::string expected;
    BaseUrlSource source;
    bool is_default;
  };
  const Row rows[] = {
      {"default only", std::nullopt, std::nullopt, "https://api.example.com/v1", BaseUrlSource::plugin_default, true},
      {"env wins over default", std::nullopt, "http://127.0.0.1:8080/v1", "http://127.0.0.1:8080/v1", BaseUrlSource::environment, false},
      {"empty env is ignored", std::nullopt, "", "https://api.example.com/v1", BaseUrlSource::plugin_default, true},
      {"option wins over env", "http://gw.local/openai/v1/", "http://127.0.0.1:8080/v1", "http://gw.local/openai/v1", BaseUrlSource::option, false},
      {"option equal to default is still the default", "https://api.example.com/v1/", std::nullopt, "https://api.example.com/v1", BaseUrlSource::option, true},
      {"trailing slashes stripped", "http://h:1/p///", std::nullopt, "http://h:1/p", BaseUrlSource::option, false},
      {"upper-case scheme accepted", "HTTP://h:1", std::nullopt, "HTTP://h:1", BaseUrlSource::option, false},
  };
  for (const auto& row : rows) {
    SECTION(row.name) {
      ScopedEnv env{{kEnv, row.env ? row.env->c_str() : nullptr}};
      const auto endpoint = resolve_base_url(row.option, kEnv, "https://api.example.com/v1/", "test");
      CHECK(endpoint.base_url == row.expected);
      CHECK(endpoint.source == row.source);
      CHECK(endpoint.is_default == row.is_default);
    }
  }
}

TEST_CASE("malformed base URLs are configuration errors naming their source", "[resolution]") {
  struct Row {
    const char* name;
    std::optional<std::string> option;
    std::optional<std::string> env;
    const char* fragment;
  };
  const Row rows[] = {
      {"no scheme", "api.example.com/v1", std::nullopt, "the base_url option"},
      {"ftp scheme", "ftp://h/v1", std::nullopt, "http:// or https://"},
      {"no host", "http:///v1", std::nullopt, "with a host"},
      {"space inside", "http://h/v 1", std::nullopt, "white space"},
      {"newline inside", "http://h/v1\n", std::nullopt, "control character"},
      {"query", "http://h/v1?key=secret", std::nullopt, "query or fragment"},
      {"user info", "https://user:secret@gw.example/v1", std::nullopt, "must not carry user info"},
      {"user info with bad scheme", "ftp://u:secret@h/v1", std::nullopt, "http:// or https://"},
      {"bad env var", std::nullopt, "not a url", "$MAJORDOMO_TEST_BASE_URL"},
  };
  for (const auto& row : rows) {
    SECTION(row.name) {
      ScopedEnv env{{kEnv, row.env ? row.env->c_str() : nullptr}};
      try {
        resolve_base_url(row.option, kEnv, "https://api.example.com/v1", "test");
        FAIL("no error");
      } catch (const ConfigurationError& error) {
        CHECK_THAT(error.what(), Catch::Contains(row.fragment));
        CHECK_THAT(error.what(), !Catch::Contains("secret"));
        CHECK(error.kind() == ErrorKind::configuration);
      }
    }
  }
}

TEST_CASE("URL joins put exactly one slash between base and path", "[resolution]") {
  struct Row { const char* base; const char* path; const char* expected; };
  const Row rows[] = {
      {"http://h/v1", "/chat/completions", "http://h/v1/chat/completions"},
      {"http://h/v1/", "/chat/completions", "http://h/v1/chat/completions"},
      {"http://h/v1//", "//chat/completions", "http://h/v1/chat/completions"},
      {"http://h/v1", "chat/completions", "http://h/v1/chat/completions"},
      {"http://h", "/v1beta/models/m:generateContent?alt=sse", "http://h/v1beta/models/m:generateContent?alt=sse"},
      {"http://h/gateway/deepseek", "/chat/completions", "http://h/gateway/deepseek/chat/completions"},
      {"http://h/v1", "", "http://h/v1"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.base, row.path);
    CHECK(join_url(row.base, row.path) == row.expected);
  }
}

TEST_CASE("header layers: provider < default_headers < extra_headers, case-insensitive", "[resolution]") {
  // Each row: three layers and the one header of that name expected on the wire.
  struct Row {
    const char* name;
    HeaderSet provider, defaults, extras;
    Header expected;
  };
  const Row rows[] = {
      {"provider only", {{"Authorization", "Bearer k"}}, {}, {}, {"Authorization", "Bearer k"}},
      {"default overrides provider", {{"anthropic-version", "2023-06-01"}}, {{"Anthropic-Version", "2026-10-21"}}, {}, {"Anthropic-Version", "2026-10-21"}},
      {"extra overrides default", {}, {{"X-Majordomo-Feature", "search"}}, {{"x-majordomo-feature", "override"}}, {"x-majordomo-feature", "override"}},
      {"extra overrides provider auth", {{"Authorization", "Bearer k"}}, {}, {{"AUTHORIZATION", "Bearer other"}}, {"AUTHORIZATION", "Bearer other"}},
      {"all three", {{"X-A", "1"}}, {{"x-a", "2"}}, {{"X-a", "3"}}, {"X-a", "3"}},
  };
  for (const auto& row : rows) {
    SECTION(row.name) {
      HeaderSet merged = row.provider;
      merged.merge(row.defaults);
      merged.merge(row.extras);
      std::size_t count = 0;
      for (const auto& header : merged) {
        if (header_name_equals(header.name, row.expected.name)) {
          ++count;
          CHECK(header.name == row.expected.name);
          CHECK(header.value == row.expected.value);
        }
      }
      CHECK(count == 1);
    }
  }
}

TEST_CASE("invalid header names and values are rejected before any I/O", "[resolution]") {
  struct Row { const char* name; Header header; const char* fragment; };
  const Row rows[] = {
      {"space in name", {"X Bad", "v"}, "not a valid HTTP token"},
      {"colon in name", {"X:Bad", "v"}, "not a valid HTTP token"},
      {"empty name", {"", "v"}, "empty name"},
      {"non-ASCII name", {"X-Ünicode", "v"}, "not a valid HTTP token"},
      {"CR in value", {"X-A", "a\rb"}, "CR character at byte 1"},
      {"LF in value", {"X-A", "a\nInjected: yes"}, "LF character"},
      {"NUL in value", {"X-A", std::string("a\0b", 3)}, "NUL character"},
      {"DEL in value", {"X-A", "a\x7f"}, "control character"},
      {"framing header", {"Content-Length", "10"}, "owns message framing"},
      {"mis-split line with a key", {"Authorization Bearer sk-live-123", "v"}, "'Authorization…'"},
      {"connection header", {"connection", "close"}, "owns message framing"},
  };
  for (const auto& row : rows) {
    SECTION(row.name) {
      HeaderSet headers;
      headers.set(row.header.name, row.header.value);
      try {
        validate_headers(headers, "per-request extra_headers", "openai");
        FAIL("no error");
      } catch (const ConfigurationError& error) {
        CHECK_THAT(error.what(), Catch::Contains(row.fragment));
        CHECK_THAT(error.what(), Catch::Contains("per-request extra_headers"));
        CHECK_THAT(error.what(), !Catch::Contains("Injected"));
        CHECK_THAT(error.what(), !Catch::Contains("sk-live"));
      }
    }
  }
  SECTION("tabs and UTF-8 in values are fine") {
    HeaderSet headers{{"X-Note", "caf\xc3\xa9\tok"}, {"X-Majordomo-Trace", "abc-123"}};
    CHECK_NOTHROW(validate_headers(headers, "default_headers", "openai"));
  }
}

TEST_CASE("provider layer: auth scheme, required headers, gateway headers only off the default URL", "[resolution]") {
  const mj_header required[] = {{{"anthropic-version", 17}, {"2023-06-01", 10}}};
  const mj_header gateway[] = {{{"x-majordomo-provider", 20}, {"test", 4}}};
  mj_provider_info info{};
  info.struct_size = sizeof(info);
  info.auth_scheme = MJ_AUTH_HEADER;
  info.auth_header = {"x-api-key", 9};
  info.required_headers = required;
  info.required_header_count = 1;
  info.gateway_headers = gateway;
  info.gateway_header_count = 1;

  ResolvedEndpoint official{"https://api.example.com", BaseUrlSource::plugin_default, true};
  ResolvedEndpoint custom{"http://127.0.0.1:1/gw", BaseUrlSource::option, false};

  const HeaderSet at_default = provider_headers(info, "sk-1", official);
  CHECK(*at_default.find("X-API-KEY") == "sk-1");
  CHECK(*at_default.find("anthropic-version") == "2023-06-01");
  CHECK_FALSE(at_default.contains("x-majordomo-provider"));

  const HeaderSet at_gateway = provider_headers(info, "sk-1", custom);
  CHECK(*at_gateway.find("x-majordomo-provider") == "test");

  info.auth_scheme = MJ_AUTH_BEARER;
  CHECK(*provider_headers(info, "sk-2", official).find("authorization") == "Bearer sk-2");
  CHECK_FALSE(provider_headers(info, "", official).contains("authorization"));
}

TEST_CASE("secrets are recognised and redacted", "[resolution]") {
  CHECK(is_secret_header("Authorization"));
  CHECK(is_secret_header("x-api-key"));
  CHECK(is_secret_header("X-Goog-Api-Key"));
  CHECK(is_secret_header("X-Custom-Token"));
  CHECK(is_secret_header("X-Vendor-Auth", "x-vendor-auth"));
  CHECK_FALSE(is_secret_header("X-Majordomo-Feature"));
  CHECK_FALSE(is_secret_header("anthropic-version"));
  CHECK(redacted_value("Authorization", "Bearer sk-live-123") == "Bearer [REDACTED]");
  CHECK(redacted_value("x-api-key", "sk-live-123") == "[REDACTED]");
  CHECK(redact_url("https://h/v1beta/models/m:generateContent?alt=sse&key=AIza123") ==
        "https://h/v1beta/models/m:generateContent?alt=sse&key=[REDACTED]");
  CHECK(redact_url("https://h/x?KEY=abc&b=1") == "https://h/x?KEY=[REDACTED]&b=1");
  CHECK(redact_url("https://h/x") == "https://h/x");
  CHECK(redact_url("https://user:pw@h:8/x?key=k") == "https://[REDACTED]@h:8/x?key=[REDACTED]");
}

TEST_CASE("HeaderSet keeps one header per name and the winning spelling", "[resolution]") {
  HeaderSet headers;
  headers.set("X-Custom-Case", "1");
  headers.set("x-custom-case", "2");
  REQUIRE(headers.size() == 1);
  CHECK(headers.begin()->name == "x-custom-case");
  CHECK(headers.begin()->value == "2");
  CHECK(headers.erase("X-CUSTOM-CASE"));
  CHECK(headers.empty());
}

TEST_CASE("a base URL with an empty port is a configuration error", "[resolution]") {
  for (const char* url : {"http://127.0.0.1:", "http://127.0.0.1:/v1", "https://[::1]:/v1"}) {
    INFO(url);
    try {
      resolve_base_url(std::string(url), "", "", "openai");
      FAIL("expected a configuration error");
    } catch (const ConfigurationError& error) {
      CHECK_THAT(error.what(), Catch::Contains("empty port") && !Catch::Contains("127.0.0.1"));
    }
  }
  CHECK(resolve_base_url(std::string("http://127.0.0.1:8080/v1"), "", "", "openai").base_url ==
        "http://127.0.0.1:8080/v1");
}

TEST_CASE("HeaderSet stays linear with twenty thousand headers, one value per name", "[headers]") {
  // Quadratic set() or merge() would take minutes here; linear ones take milliseconds.
  constexpr int kCount = 20'000;
  HeaderSet headers;
  for (int i = 0; i < kCount; ++i) headers.set("X-Header-" + std::to_string(i), "v" + std::to_string(i));
  HeaderSet later;
  for (int i = 0; i < kCount; i += 2) later.set("x-header-" + std::to_string(i), "later");
  headers.merge(later);
  CHECK(headers.size() == kCount);
  REQUIRE(headers.find("X-HEADER-0") != nullptr);
  CHECK(*headers.find("X-HEADER-0") == "later");
  CHECK(*headers.find("x-header-1") == "v1");
  CHECK(headers.find("x-header-20000") == nullptr);
  CHECK(headers.erase("X-Header-5"));
  CHECK_FALSE(headers.contains("x-header-5"));
  CHECK(*headers.find("X-Header-19999") == "v19999");  // positions after the erased one still right
  // The spelling of the layer that won is the one kept.
  const auto first = headers.begin();
  CHECK(first->name == "x-header-0");
}
