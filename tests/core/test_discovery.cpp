// Plugin discovery with real .so files: good, not-a-plugin, ABI out of range, duplicate, truncated.
#include "plugin_dirs.hpp"
#include "plugin_library.hpp"

#include <majordomo/majordomo.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

using namespace majordomo;
namespace fs = std::filesystem;

namespace {

using testing::expect_skipped;
using testing::skipped_file;
const auto only = testing::only_plugin_dirs;

ClientOptions echo_key() {
  ClientOptions options;
  options.api_key = "echo-secret";
  return options;
}

}  // namespace

TEST_CASE("a good plugin directory loads every plugin with its metadata", "[discovery]") {
  const Host host(only({MAJORDOMO_TEST_GOOD_PLUGIN_DIR, MAJORDOMO_TEST_PLUGIN_DIR}));
  CHECK(host.skipped().empty());
  const PluginInfo* echo = host.find_plugin("echo");
  REQUIRE(echo != nullptr);
  CHECK(echo->display_name == "Echo (test)");
  CHECK(echo->version == "9.9.9");
  CHECK(echo->abi_version == 1);
  CHECK(echo->api_key_env == "ECHO_TEST_API_KEY");
  REQUIRE(echo->models.size() == 1);
  CHECK(echo->models[0].id == "echo-1");
  CHECK(echo->models[0].priced());
  const PluginInfo* openai = host.find_plugin("openai");
  REQUIRE(openai != nullptr);
  CHECK(openai->default_base_url == "https://api.openai.com/v1");
  CHECK(openai->api_key_env == "OPENAI_API_KEY");
  CHECK_FALSE(openai->models.empty());
}

TEST_CASE("every skipped file is reported with its reason", "[discovery]") {
  // The build's plugin dir comes first, so its openai wins over the duplicate in the bad dir.
  const Host host(only({MAJORDOMO_TEST_PLUGIN_DIR, MAJORDOMO_TEST_BAD_PLUGIN_DIR}));
  REQUIRE(host.find_plugin("openai") != nullptr);
  CHECK(host.find_plugin("openai")->path.parent_path() == fs::path(MAJORDOMO_TEST_PLUGIN_DIR));

  const auto& duplicate = expect_skipped(host, "libmajordomo-test_echo_as_openai.so", SkipReason::duplicate_provider);
  CHECK_THAT(duplicate.message, Catch::Contains("'openai' is already provided by"));

  const auto& future = expect_skipped(host, "libmajordomo-test_future_abi.so", SkipReason::abi_out_of_range);
  CHECK_THAT(future.message, Catch::Contains("plugin ABI 2..2"));
  CHECK_THAT(future.message, Catch::Contains("this host speaks 1..1"));
  CHECK_THAT(future.message, Catch::Contains("rebuild the plugin"));

  const auto& library = expect_skipped(host, "libtest_not_a_plugin.so", SkipReason::not_a_plugin);
  CHECK_THAT(library.message, Catch::Contains("majordomo_plugin_entry"));

  const auto& truncated = expect_skipped(host, "libmajordomo-truncated.so", SkipReason::failed_to_load);
  CHECK_THAT(truncated.message, Catch::Contains("truncated or corrupt ELF"));

  (void)expect_skipped(host, "README.txt", SkipReason::not_a_plugin);

  const auto& incomplete = expect_skipped(host, "libmajordomo-test_incomplete_table.so", SkipReason::invalid_metadata);
  CHECK_THAT(incomplete.message, Catch::Contains("incomplete"));

  CHECK(host.skipped().size() == 6);
}

TEST_CASE("the ELF check refuses truncated files and accepts complete ones", "[discovery]") {
  CHECK(elf_problem(fs::path(MAJORDOMO_TEST_PLUGIN_DIR) / "libmajordomo-openai.so").empty());
  CHECK_THAT(elf_problem(fs::path(MAJORDOMO_TEST_BAD_PLUGIN_DIR) / "libmajordomo-truncated.so"),
             Catch::StartsWith("truncated or corrupt ELF"));
  CHECK(elf_problem(fs::path(MAJORDOMO_TEST_BAD_PLUGIN_DIR) / "README.txt") == "not an ELF shared object");
}

TEST_CASE("search order: explicit dirs, then MAJORDOMO_PLUGIN_PATH, then the build tree's dir", "[discovery]") {
  ::setenv("MAJORDOMO_PLUGIN_PATH", MAJORDOMO_TEST_GOOD_PLUGIN_DIR ":/nonexistent/majordomo-plugins", 1);
  HostOptions options;
  options.plugin_dirs = {MAJORDOMO_TEST_BAD_PLUGIN_DIR};
  const Host host(options);
  ::unsetenv("MAJORDOMO_PLUGIN_PATH");
  const auto& path = host.search_path();
  REQUIRE(path.size() == 4);
  CHECK(path[0] == fs::path(MAJORDOMO_TEST_BAD_PLUGIN_DIR));
  CHECK(path[1] == fs::path(MAJORDOMO_TEST_GOOD_PLUGIN_DIR));
  CHECK(path[2] == fs::path("/nonexistent/majordomo-plugins"));
  // This test binary runs from the build tree, so the build's plugins are found with no flag.
  CHECK(path[3] == fs::path(MAJORDOMO_TEST_PLUGIN_DIR));
  // The bad dir came first, so its "openai" (an echo build) won this time.
  REQUIRE(host.find_plugin("openai") != nullptr);
  CHECK(host.find_plugin("openai")->path.parent_path() == fs::path(MAJORDOMO_TEST_BAD_PLUGIN_DIR));
  CHECK(host.find_plugin("echo") != nullptr);
  const auto* missing = skipped_file(host, "majordomo-plugins");
  REQUIRE(missing != nullptr);
  CHECK_THAT(missing->message, Catch::Contains("does not exist"));
}

TEST_CASE("an LLM keeps its plugin loaded after the host is gone", "[discovery][lifetime]") {
  std::shared_ptr<LLM> llm;
  {
    const Host host(only({MAJORDOMO_TEST_GOOD_PLUGIN_DIR}));
    llm = host.get_llm_instance("echo", "echo-1", echo_key());
  }
  const Response response = llm->get_response("hello plugin world");
  CHECK(response.content == "hello plugin world");
  CHECK(response.provider == "echo");
  CHECK(response.request_id == "echo-request");
  CHECK(response.stop_reason == StopReason::end_turn);
  CHECK(response.raw_stop_reason == "done");
  CHECK(response.usage.input_tokens == 3);
  CHECK(response.cost.priced);
  CHECK(response.cost.input == Approx(3e-6));
  CHECK(response.cost.output == Approx(6e-6));

  ResponseStream stream = llm->get_response_stream("one two");
  std::vector<std::string> pieces;
  for (std::string_view piece : stream) pieces.emplace_back(piece);
  CHECK(pieces == std::vector<std::string>{"one ", "two"});
  CHECK(stream.finished());
  CHECK(stream.response().content == "one two");
}

TEST_CASE("instance creation fails before any I/O on bad configuration", "[discovery]") {
  const Host host(only({MAJORDOMO_TEST_GOOD_PLUGIN_DIR}));
  SECTION("unknown provider names the loaded ones") {
    try {
      (void)host.get_llm_instance("nosuch", "m");
      FAIL("no error");
    } catch (const ConfigurationError& error) {
      CHECK_THAT(error.what(), Catch::Contains("unknown provider 'nosuch'"));
      CHECK_THAT(error.what(), Catch::Contains("echo"));
    }
  }
  SECTION("missing API key names the env var") {
    ::unsetenv("ECHO_TEST_API_KEY");
    try {
      (void)host.get_llm_instance("echo", "echo-1");
      FAIL("no error");
    } catch (const ConfigurationError& error) {
      CHECK_THAT(error.what(), Catch::Contains("ECHO_TEST_API_KEY"));
    }
  }
  SECTION("the auth header given in default_headers replaces the key") {
    ClientOptions options;
    options.default_headers.set("x-echo-key", "from-gateway");
    CHECK_NOTHROW(host.get_llm_instance("echo", "echo-1", options));
  }
  SECTION("a key with a newline is refused without echoing it") {
    ClientOptions options;
    options.api_key = "sk-abc\n";
    try {
      (void)host.get_llm_instance("echo", "echo-1", options);
      FAIL("no error");
    } catch (const ConfigurationError& error) {
      CHECK_THAT(error.what(), !Catch::Contains("sk-abc"));
    }
  }
  SECTION("an invalid default header is refused") {
    ClientOptions options = echo_key();
    options.default_headers.set("X-Bad", "a\r\nInjected: 1");
    CHECK_THROWS_AS(host.get_llm_instance("echo", "echo-1", options), ConfigurationError);
  }
}

TEST_CASE("resolve shows the request with plugin, default and per-request headers layered", "[discovery]") {
  const Host host(only({MAJORDOMO_TEST_GOOD_PLUGIN_DIR}));
  ClientOptions options = echo_key();
  options.base_url = "http://127.0.0.1:1/gateway/";
  options.default_headers.set("X-Echo-Version", "2");
  options.default_headers.set("X-Majordomo-Feature", "instance");
  const auto llm = host.get_llm_instance("echo", "echo-1", options);
  RequestOptions request;
  request.extra_headers.set("x-majordomo-feature", "request");
  const auto resolved = llm->resolve(LLMRequest::from_prompt("hi", request), false);
  REQUIRE(resolved.size() == 1);
  CHECK(resolved[0].url == "http://127.0.0.1:1/gateway/echo");
  CHECK(*resolved[0].headers.find("X-Echo-Key") == "echo-secret");
  CHECK(*resolved[0].headers.find("x-echo-version") == "2");
  CHECK(*resolved[0].headers.find("X-MAJORDOMO-FEATURE") == "request");
  CHECK(resolved[0].headers.size() == 3);
  const HeaderSet redacted = resolved[0].redacted_headers();
  CHECK(*redacted.find("X-Echo-Key") == "[REDACTED]");
  CHECK(*redacted.find("x-majordomo-feature") == "request");

  SECTION("an invalid per-request header fails before the plugin is called") {
    RequestOptions bad;
    bad.extra_headers.set("X-Bad Name", "v");
    CHECK_THROWS_AS(llm->get_response("hi", bad), ConfigurationError);
  }
  SECTION("a prompt that is not UTF-8 is a bad_request error") {
    CHECK_THROWS_AS(llm->get_response("\xff\xfe"), BadRequestError);
  }
}
