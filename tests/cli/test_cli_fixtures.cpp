// Every recorded fixture of every provider through `majordomo ask`, whole and with writes split inside characters.
//
// The oracle is the library: the per-provider call tests pin each fixture's content, usage and stop
// reason or error; here the CLI must print exactly what the library returned for the same bytes.
#include "cli_run.hpp"
#include "fake_server.hpp"

#include <majordomo/majordomo.hpp>

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

using namespace majordomo;
using majordomo::testing::parse_cli_object;
using majordomo::testing::run_cli;

namespace {

struct ProviderRoute {
  std::string id, model, key, base_suffix;
};

const std::vector<ProviderRoute>& routes() {
  static const std::vector<ProviderRoute> all = {
      {"openai", "gpt-4o", "sk-fixture-openai", "/v1"},
      {"anthropic", "claude-haiku-4-5", "sk-ant-fixture", ""},
      {"gemini", "gemini-2.5-flash", "AIza-fixture", ""},
      {"deepseek", "deepseek-flash", "sk-ds-fixture", ""},
      {"cohere", "command-a-03-2025", "co-fixture", ""},
  };
  return all;
}

// The fixtures of one provider, sorted, relative to the fixtures dir ("openai/responses.json").
std::vector<std::string> fixtures_of(const std::string& provider) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(MAJORDOMO_TEST_FIXTURES) / provider)) {
    const auto ext = entry.path().extension();
    if (ext == ".json" || ext == ".sse") names.push_back(provider + "/" + entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Write boundaries just before every UTF-8 continuation byte, so that each multi-byte character
// arrives in two or more reads; fixtures without one are cut every 16 bytes instead.
std::vector<size_t> split_offsets(const std::string& fixture) {
  std::ifstream in(std::filesystem::path(MAJORDOMO_TEST_FIXTURES) / fixture, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<size_t> offsets;
  for (size_t i = 1; i < bytes.size(); ++i) {
    if ((static_cast<unsigned char>(bytes[i]) & 0xC0) == 0x80) offsets.push_back(i);
  }
  if (offsets.empty()) {
    for (size_t i = 16; i < bytes.size(); i += 16) offsets.push_back(i);
  }
  return offsets;
}

// What one call produced, in the terms the CLI prints.
struct Outcome {
  std::optional<Response> response;
  std::optional<ErrorDetails> error;
};

Outcome call_library(LLM& llm, bool stream) {
  Outcome outcome;
  try {
    if (stream) {
      ResponseStream answer = llm.get_response_stream("fixture");
      for (std::string_view piece : answer) (void)piece;
      outcome.response = answer.response();
    } else {
      outcome.response = llm.get_response("fixture");
    }
  } catch (const Error& error) {
    outcome.error = error.details();
  }
  return outcome;
}

bool uses_responses_api(const std::string& fixture) {
  return fixture.rfind("openai/responses", 0) == 0;
}

// Every fixture of one provider, whole and split inside characters, through the CLI and the
// library. One test case per provider keeps each under ctest's timeout on a loaded machine.
void replay_fixtures_of(const std::string& provider_id) {
  const auto found = std::find_if(routes().begin(), routes().end(),
                                  [&](const ProviderRoute& r) { return r.id == provider_id; });
  REQUIRE(found != routes().end());
  const ProviderRoute& route = *found;
  fake::FakeServerOptions server_options;
  server_options.fixtures_dir = MAJORDOMO_TEST_FIXTURES;
  fake::FakeProviderServer server(server_options);
  server.start();
  HostOptions host_options;
  host_options.plugin_dirs = {MAJORDOMO_TEST_PLUGIN_DIR};
  host_options.use_env_path = false;
  host_options.use_default_dir = false;
  const Host host(host_options);

  {
    for (const auto& fixture : fixtures_of(route.id)) {
      for (const bool split : {false, true}) {
        DYNAMIC_SECTION(fixture << (split ? " split inside characters" : "")) {
          const bool stream = fixture.size() > 4 && fixture.compare(fixture.size() - 4, 4, ".sse") == 0;
          fake::ScriptedResponse scripted;
          scripted.fixture = fixture;
          if (split) scripted.split_at = split_offsets(fixture);

          ClientOptions options;
          options.api_key = route.key;
          options.base_url = server.origin() + route.base_suffix;
          std::vector<std::string> args = {"ask", "--provider", route.id, "--model", route.model,
                                           "--base-url", *options.base_url, "--api-key", route.key,
                                           "--output", "json"};
          if (uses_responses_api(fixture)) {
            options.provider_options["api"] = "responses";
            args.insert(args.end(), {"--api", "responses"});
          }
          if (stream) args.push_back("--stream");
          args.push_back("fixture");

          server.push_response(scripted);
          const auto llm = host.get_llm_instance(route.id, route.model, options);
          const Outcome expected = call_library(*llm, stream);

          server.push_response(scripted);
          const auto run = run_cli(args);
          INFO("stderr: " << run.err);
          REQUIRE_FALSE(run.out.empty());
          const auto printed = parse_cli_object(run.out);

          if (expected.error) {
            CHECK(run.exit_code == 1);
            const auto error = printed->getObject("error");
            REQUIRE(error);
            CHECK(error->getValue<std::string>("kind") == std::string(to_string(expected.error->kind)));
            if (expected.error->http_status != 0) {
              CHECK(error->getValue<int>("http_status") == expected.error->http_status);
            }
            CHECK(printed->optValue<std::string>("partial_content", "") == expected.error->partial_content);
          } else {
            const Response& response = *expected.response;
            CHECK(run.exit_code == 0);
            CHECK(printed->getValue<std::string>("content") == response.content);
            CHECK(printed->optValue<std::string>("reasoning", "") == response.reasoning);
            CHECK(printed->getValue<std::string>("stop_reason") == std::string(to_string(response.stop_reason)));
            CHECK(printed->getValue<std::string>("raw_stop_reason") == response.raw_stop_reason);
            CHECK(printed->getValue<std::string>("model") == response.model);
            const auto usage = printed->getObject("usage");
            REQUIRE(usage);
            CHECK(usage->getValue<int64_t>("input_tokens") == response.usage.input_tokens);
            CHECK(usage->getValue<int64_t>("output_tokens") == response.usage.output_tokens);
            CHECK(usage->getValue<int64_t>("cached_tokens") == response.usage.cached_tokens);
            CHECK(usage->getValue<int64_t>("cache_write_tokens") == response.usage.cache_write_tokens);
            CHECK(usage->getValue<int64_t>("reasoning_tokens") == response.usage.reasoning_tokens);
          }
          CHECK(server.requests().size() == 2);
        }
      }
    }
  }
}

}  // namespace

TEST_CASE("every openai fixture replays through majordomo ask as the library decodes it", "[cli][fixtures]") {
  replay_fixtures_of("openai");
}
TEST_CASE("every anthropic fixture replays through majordomo ask as the library decodes it", "[cli][fixtures]") {
  replay_fixtures_of("anthropic");
}
TEST_CASE("every gemini fixture replays through majordomo ask as the library decodes it", "[cli][fixtures]") {
  replay_fixtures_of("gemini");
}
TEST_CASE("every deepseek fixture replays through majordomo ask as the library decodes it", "[cli][fixtures]") {
  replay_fixtures_of("deepseek");
}
TEST_CASE("every cohere fixture replays through majordomo ask as the library decodes it", "[cli][fixtures]") {
  replay_fixtures_of("cohere");
}

TEST_CASE("the fixture replay covers every provider directory", "[cli][fixtures]") {
  // A provider added to the fixtures without a route here would be silently untested.
  std::vector<std::string> dirs;
  for (const auto& entry : std::filesystem::directory_iterator(MAJORDOMO_TEST_FIXTURES)) {
    if (entry.is_directory()) dirs.push_back(entry.path().filename().string());
  }
  for (const auto& dir : dirs) {
    INFO(dir);
    CHECK(std::any_of(routes().begin(), routes().end(), [&](const ProviderRoute& r) { return r.id == dir; }));
  }
  for (const auto& route : routes()) CHECK_FALSE(fixtures_of(route.id).empty());
}
