// Faulty plugins never take the host down: discovery skips them with one plain reason, calls fail with kind plugin.
#include "plugin_dirs.hpp"
#include "provider_test_env.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

using namespace majordomo;
using majordomo::testing::ProviderTestEnv;
namespace fs = std::filesystem;

namespace {

using testing::expect_skipped;
using testing::skipped_file;

HostOptions faulty_and_real() {
  return testing::only_plugin_dirs({MAJORDOMO_TEST_FAULTY_PLUGIN_DIR, MAJORDOMO_TEST_PLUGIN_DIR});
}

// The raw plugin throws, on request, from the function its `fault` option names.
ClientOptions raw_fault(const std::string& where) {
  ClientOptions options = ProviderTestEnv::single_attempt();
  options.retry.max_attempts = 3;  // a plugin fault must not be retried even when retrying is on
  options.api_key = "sk-raw-secret-123";
  options.provider_options["fault"] = where;
  return options;
}

// The SDK plugin talks to the fake server; its path is OpenAI's, so the fake answers it.
ClientOptions sdk_fault(const ProviderTestEnv& env, const std::string& where) {
  ClientOptions options;
  options.base_url = env.server.origin() + "/v1";
  options.default_headers.set("Authorization", "Bearer test-key");
  options.provider_options["fault"] = where;
  return options;
}

}  // namespace

TEST_CASE("discovery skips each faulty file with one plain reason and loads everything else", "[faults]") {
  ::unsetenv("MAJORDOMO_TEST_CONSTRUCTOR_RAN");
  const Host host(faulty_and_real());
  for (const char* provider : {"raw-faults", "sdk-faults", "openai", "anthropic", "gemini", "deepseek", "cohere"}) {
    INFO(provider);
    CHECK(host.find_plugin(provider) != nullptr);
  }
  const std::map<std::string, std::pair<SkipReason, std::string>> expected = {
      {"libmajordomo-test_fault_entry.so",
       {SkipReason::plugin_fault, "its entry point threw instead of answering: the entry point exploded"}},
      {"libmajordomo-test_fault_info.so",
       {SkipReason::plugin_fault, "it could not describe itself: its provider description (info()) threw: "
                                  "the catalog file is missing"}},
      {"libtest_constructor_marker.so",
       {SkipReason::not_a_plugin, "a shared library that does not export majordomo_plugin_entry"}},
      {"libz.so.1", {SkipReason::not_a_plugin, "a versioned library name; plugins are named *.so"}},
      {"libmajordomo-openai.so.1", {SkipReason::not_a_plugin, "a versioned library name; plugins are named *.so"}},
  };
  CHECK(host.skipped().size() == expected.size());
  for (const auto& [file, reason] : expected) {
    INFO(file);
    const SkippedPlugin* skipped = skipped_file(host, file);
    REQUIRE(skipped != nullptr);
    CHECK(skipped->reason == reason.first);
    CHECK(skipped->message == reason.second);
  }
  for (const auto& skipped : host.skipped()) {
    CHECK_THAT(skipped.message, !Catch::Contains("boost") && !Catch::Contains("Bad file descriptor") &&
                                    !Catch::Contains("dlerror"));
  }
  // The library that is not a plugin was recognised from its symbol table: it was never loaded.
  CHECK(std::getenv("MAJORDOMO_TEST_CONSTRUCTOR_RAN") == nullptr);
}

TEST_CASE("malformed metadata skips that plugin only, and result 2 without a reason is a refusal", "[faults]") {
  const Host host(testing::only_plugin_dirs({MAJORDOMO_TEST_MALFORMED_PLUGIN_DIR, MAJORDOMO_TEST_PLUGIN_DIR}));
  CHECK(host.find_plugin("openai") != nullptr);
  REQUIRE(host.skipped().size() == 2);
  const auto& oversized = expect_skipped(host, "libmajordomo-test_raw_oversized_id.so", SkipReason::invalid_metadata);
  CHECK_THAT(oversized.message, Catch::Contains("oversized string"));
  const auto& refusal = expect_skipped(host, "libmajordomo-test_raw_old_refusal.so", SkipReason::abi_out_of_range);
  CHECK_THAT(refusal.message, Catch::StartsWith("it speaks plugin ABI 7..7"));
}

namespace {

// The error of type `Error` that asking the raw-faults plugin, told to commit `fault`, ends in.
template <class Error>
Error error_of_call(const Host& host, const char* fault) {
  auto llm = host.get_llm_instance("raw-faults", "raw-1", raw_fault(fault));
  try {
    (void)llm->get_response("hello");
  } catch (const Error& error) {
    return error;
  }
  FAIL("no error");
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("strings that break mj_str's contract in an event or a status do not reach the caller", "[faults]") {
  const Host host(faulty_and_real());
  SECTION("an event: the call fails with kind plugin") {
    const auto error = error_of_call<PluginError>(host, "null_text");
    CHECK_THAT(error.what(), Catch::Contains("call_next") && Catch::Contains("null string"));
  }
  SECTION("a status: the error is still reported, without the broken field") {
    const auto error = error_of_call<RateLimitedError>(host, "null_status");
    CHECK(error.http_status() == 429);
    CHECK_THAT(error.what(), Catch::Contains("slow down"));
    CHECK(error.details().request_id.empty());
  }
}

TEST_CASE("the dynamic loader's refusals are short sentences without library internals", "[faults]") {
  // A sound plugin file that needs a library nobody has: the ELF checks pass, the loader refuses it.
  HostOptions options;
  options.plugin_dirs = {MAJORDOMO_TEST_NEEDY_PLUGIN_DIR};
  options.use_env_path = false;
  options.use_default_dir = false;
  const Host host(options);
  REQUIRE(host.skipped().size() == 1);
  CHECK(host.skipped()[0].reason == SkipReason::failed_to_load);
  CHECK(host.skipped()[0].message == "it needs libtest_absent.so, which the dynamic loader cannot find");
}

TEST_CASE("a plugin that throws through the C ABI fails that call with kind plugin and the host goes on", "[faults]") {
  const Host host(faulty_and_real());
  SECTION("each function that throws is named, the key never shown, nothing retried") {
    for (const auto& [fault, function] : std::vector<std::pair<std::string, std::string>>{
             {"create", "instance_create"}, {"build", "request_build"}, {"open", "call_open"}, {"next", "call_next"}}) {
      INFO(fault);
      try {
        auto llm = host.get_llm_instance("raw-faults", "raw-1", raw_fault(fault));
        (void)llm->get_response("hello");
        FAIL("no error");
      } catch (const PluginError& error) {
        CHECK(error.kind() == ErrorKind::plugin);
        CHECK(error.provider() == "raw-faults");
        CHECK_THAT(error.what(), Catch::Contains("the raw-faults plugin (") &&
                                     Catch::Contains("libmajordomo-test_raw_faults.so") &&
                                     Catch::Contains("the plugin ABI in " + function) &&
                                     Catch::Contains("raw plugin failure") && !Catch::Contains("sk-raw-secret-123"));
        CHECK(error.details().failed_attempts.empty());
        CHECK(error.partial_content() == (fault == "next" ? "raw answer" : ""));
      }
    }
  }
  SECTION("a stream ends with the typed error after the text that reached the caller") {
    auto llm = host.get_llm_instance("raw-faults", "raw-1", raw_fault("next"));
    ResponseStream stream = llm->get_response_stream("hello");
    CHECK(stream.next_text() == std::optional<std::string_view>("raw answer"));
    // Its table is sized for call_ready (0.6) but holds NULL there: the host asks nothing.
    CHECK_FALSE(stream.ready());
    CHECK_THROWS_AS(stream.next_text(), PluginError);
  }
  SECTION("faults where nothing is left to report to are absorbed") {
    // call_close throws after a complete answer; instance_destroy throws when the LLM goes away.
    CHECK(host.get_llm_instance("raw-faults", "raw-1", raw_fault("close"))->get_response("hi").content ==
          "raw answer");
    { auto doomed = host.get_llm_instance("raw-faults", "raw-1", raw_fault("destroy")); }
    // status_release throws: the error it released is still reported as the plugin said.
    auto limited = host.get_llm_instance("raw-faults", "raw-1", raw_fault("status"));
    CHECK_THROWS_AS(limited->get_response("hi"), RateLimitedError);
  }
  // Still standing: the real plugins answer.
  ProviderTestEnv env;
  ClientOptions options = env.openai_options();
  CHECK_FALSE(host.get_llm_instance("openai", "gpt-4o", options)->get_response("still there?").content.empty());
}

TEST_CASE("an SDK plugin's own exceptions become kind plugin, keeping the HTTP status it read", "[faults]") {
  ProviderTestEnv env;
  const Host host(faulty_and_real());
  const auto fails_with_plugin = [&](const std::string& fault, std::string_view expected) {
    INFO(fault);
    env.server.clear_requests();
    try {
      auto llm = host.get_llm_instance("sdk-faults", "faulty-1", sdk_fault(env, fault));
      (void)llm->get_response("hello");
      FAIL("no error");
    } catch (const PluginError& error) {
      CHECK_THAT(error.what(), Catch::Contains("the sdk-faults plugin (") && Catch::Contains(std::string(expected)) &&
                                   Catch::Contains("this is a bug in the plugin"));
      return error.details();
    }
    return ErrorDetails{};
  };
  fails_with_plugin("constructor", "the plugin's constructor threw: constructor failure");
  fails_with_plugin("build", "build() threw: build failure");
  fails_with_plugin("open", "open() threw: open failure");
  CHECK(env.server.requests().empty());  // open() failed before anything was sent: not a connection error

  env.server.push_response(ProviderTestEnv::scripted_status(200, R"({"answer":"ok"})"));
  fails_with_plugin("decoder", "the response decoder threw: decoder failure");
  CHECK(env.server.requests().size() == 1);

  // A 503 is transient and would be retried (a retry would get the fake's own 200 and succeed); a
  // plugin that fails on it is not retried, and the status stays.
  env.server.push_response(ProviderTestEnv::scripted_status(503, R"({"error":{}})"));
  const ErrorDetails details =
      fails_with_plugin("error_decoder", "the error decoder threw on an HTTP 503 answer: error decoder failure");
  CHECK(details.http_status == 503);
  CHECK(env.server.requests().size() == 1);
  CHECK(details.failed_attempts.empty());

  // The destructor throws when the instance goes; nothing is left to report to, and nothing breaks.
  env.server.clear_requests();
  env.server.push_response(ProviderTestEnv::scripted_status(200, R"({"answer":"ok"})"));
  {
    auto llm = host.get_llm_instance("sdk-faults", "faulty-1", sdk_fault(env, "destructor"));
    CHECK_FALSE(llm->get_response("hello").content.empty());
  }
  CHECK(env.server.requests().size() == 1);
}

TEST_CASE("a cascade moves past a faulty plugin to the next member and records why", "[faults][cascade]") {
  ProviderTestEnv env;
  const Host host(faulty_and_real());
  CascadeMember faulty;
  faulty.provider = "raw-faults";
  faulty.model = "raw-1";
  faulty.provider_options["fault"] = "open";
  CascadeMember openai;
  openai.provider = "openai";
  openai.model = "gpt-4o";
  openai.base_url = env.server.origin() + "/v1";
  openai.api_key = "sk-test-0000";
  auto cascade = host.get_cascade({faulty, openai}, ProviderTestEnv::single_attempt());
  const Response answer = cascade->get_response("who answers?");
  CHECK(answer.served_by == "openai:gpt-4o");
  REQUIRE(answer.failed_attempts.size() == 1);
  CHECK(answer.failed_attempts[0].provider == "raw-faults");
  CHECK(answer.failed_attempts[0].kind == ErrorKind::plugin);
}
