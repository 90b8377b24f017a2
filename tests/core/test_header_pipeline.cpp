// The resolution pipeline proven at the wire: headers and URLs as the fake server recorded them.
#include "provider_test_env.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>

using namespace majordomo;
using majordomo::testing::ProviderTestEnv;
using majordomo::testing::drain;
using majordomo::testing::parse_object;

TEST_CASE("instance header overridden per request arrives once, with the per-request value", "[pipeline]") {
  ProviderTestEnv env;
  ClientOptions options = env.openai_options();
  options.default_headers.set("X-Majordomo-Feature", "instance-value");
  options.default_headers.set("X-Majordomo-User", "alice");
  const auto llm = env.openai(options);
  RequestOptions request;
  request.extra_headers.set("x-majordomo-feature", "request-value");

  for (const bool stream : {false, true}) {
    SECTION(stream ? "stream" : "json") {
      if (stream) {
        ResponseStream s = llm->get_response_stream("hi", request);
        drain(s);
      } else {
        (void)llm->get_response("hi", request);
      }
      const auto recorded = env.server.requests();
      REQUIRE(recorded.size() == 1);
      const auto& wire = recorded[0];
      CHECK(ProviderTestEnv::only_header(wire, "X-Majordomo-Feature") == "request-value");
      CHECK(ProviderTestEnv::only_header(wire, "X-Majordomo-User") == "alice");
      CHECK(ProviderTestEnv::only_header(wire, "Authorization") == "Bearer sk-test-0000");
      CHECK(ProviderTestEnv::only_header(wire, "Content-Type") == "application/json");
      CHECK(ProviderTestEnv::only_header(wire, "Accept") == (stream ? "text/event-stream" : "application/json"));
      CHECK(ProviderTestEnv::only_header(wire, "Host") == "127.0.0.1:" + std::to_string(env.server.port()));
      // The spelling on the wire is the one of the layer that won.
      bool lower_spelling = false;
      for (const auto& header : wire.headers) lower_spelling |= header.name == "x-majordomo-feature";
      CHECK(lower_spelling);

      // The dry run shows the same headers, with the key redacted.
      const auto resolved = llm->resolve(LLMRequest::from_prompt("hi", request), stream);
      REQUIRE(resolved.size() == 1);
      CHECK(resolved[0].url == env.server.origin() + "/v1/chat/completions");
      CHECK(resolved[0].body == wire.body);
      const HeaderSet redacted = resolved[0].redacted_headers();
      CHECK(*redacted.find("authorization") == "Bearer [REDACTED]");
      CHECK(*redacted.find("x-majordomo-feature") == "request-value");
      for (const auto& header : redacted) {
        CHECK(ProviderTestEnv::only_header(wire, header.name) ==
              (header_name_equals(header.name, "authorization") ? "Bearer sk-test-0000" : header.value));
        CHECK(header.value.find("sk-test") == std::string::npos);
      }
    }
  }
}

TEST_CASE("base URL: option with a path prefix, env var, and precedence between them", "[pipeline]") {
  ProviderTestEnv env;
  struct Row {
    const char* name;
    std::optional<std::string> option_path;  // appended to the server origin
    std::optional<std::string> env_path;
    const char* expected_uri;
  };
  const Row rows[] = {
      {"env var", std::nullopt, "/v1", "/v1/chat/completions"},
      {"option with gateway prefix", "/gateway/openai/v1/", std::nullopt, "/gateway/openai/v1/chat/completions"},
      {"option wins over env var", "/from-option/v1", "/from-env/v1", "/from-option/v1/chat/completions"},
  };
  for (const auto& row : rows) {
    SECTION(row.name) {
      if (row.env_path) ::setenv("OPENAI_BASE_URL", (env.server.origin() + *row.env_path).c_str(), 1);
      ClientOptions options;
      options.api_key = "sk-test-0000";
      if (row.option_path) options.base_url = env.server.origin() + *row.option_path;
      const auto llm = env.openai(options);
      ::unsetenv("OPENAI_BASE_URL");
      for (const bool stream : {false, true}) {
        if (stream) {
          ResponseStream s = llm->get_response_stream("hi");
          drain(s);
        } else {
          (void)llm->get_response("hi");
        }
      }
      const auto recorded = env.server.requests();
      REQUIRE(recorded.size() == 2);
      for (const auto& wire : recorded) CHECK(wire.uri == row.expected_uri);
    }
  }
}

TEST_CASE("the API key comes from the provider's env var when not given", "[pipeline]") {
  ProviderTestEnv env;
  ::setenv("OPENAI_API_KEY", "sk-from-env", 1);
  ClientOptions options;
  options.base_url = env.server.origin() + "/v1";
  const auto llm = env.openai(options);
  ::unsetenv("OPENAI_API_KEY");
  (void)llm->get_response("hi");
  const auto recorded = env.server.requests();
  REQUIRE(recorded.size() == 1);
  CHECK(ProviderTestEnv::only_header(recorded[0], "Authorization") == "Bearer sk-from-env");
}

TEST_CASE("an invalid per-request header fails before a byte is sent", "[pipeline]") {
  ProviderTestEnv env;
  const auto llm = env.openai();
  RequestOptions request;
  request.extra_headers.set("X-Evil", "ok\r\nX-Injected: 1");
  CHECK_THROWS_AS(llm->get_response("hi", request), ConfigurationError);
  CHECK_THROWS_AS(llm->get_response_stream("hi", request), ConfigurationError);
  CHECK(env.server.requests().empty());
}
