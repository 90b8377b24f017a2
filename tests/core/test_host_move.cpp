// Host is movable: the target takes the plugins over, and the moved-from Host is empty but safe to call.
#include "plugin_dirs.hpp"

#include <majordomo/majordomo.hpp>

#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

using namespace majordomo;

static_assert(std::is_nothrow_move_constructible_v<Host>);
static_assert(std::is_nothrow_move_assignable_v<Host>);
static_assert(!std::is_copy_constructible_v<Host>);

namespace {

HostOptions echo_only() {
  HostOptions options = testing::only_plugin_dirs({MAJORDOMO_TEST_GOOD_PLUGIN_DIR});
  options.use_env_catalog = false;
  return options;
}

ClientOptions echo_key() {
  ClientOptions options;
  options.api_key = "echo-secret";
  return options;
}

// The message of the ConfigurationError `call` throws ("" when it does not throw).
template <class Call>
std::string configuration_error(Call call) {
  try {
    call();
  } catch (const ConfigurationError& error) {
    return error.what();
  }
  return "";
}

void check_moved_from(const Host& host) {
  CHECK(host.plugins().empty());
  CHECK(host.skipped().empty());
  CHECK(host.search_path().empty());
  CHECK(host.find_plugin("echo") == nullptr);
  CHECK(host.aliases().empty());
  CHECK(host.supported_providers().empty());
  CHECK_THAT(configuration_error([&] { (void)host.get_llm_instance("echo", "echo-1", echo_key()); }),
             Catch::Contains("get_llm_instance on a moved-from Host"));
  CHECK_THAT(configuration_error([&] { (void)host.get_cascade(parse_cascade_members("echo:echo-1")); }),
             Catch::Contains("get_cascade on a moved-from Host"));
  CHECK_THAT(configuration_error([&] { (void)host.get_alias("fast"); }), Catch::Contains("moved-from Host"));
  CHECK_THAT(configuration_error([&] { (void)host.alias_members("fast"); }), Catch::Contains("moved-from Host"));
  CHECK_THAT(configuration_error([&] { (void)host.supported_models("echo"); }), Catch::Contains("moved-from Host"));
  CHECK_THAT(configuration_error([&] { (void)host.model_pricing("echo", "echo-1"); }),
             Catch::Contains("moved-from Host"));
}

}  // namespace

TEST_CASE("a moved Host keeps its plugins and LLMs, and the moved-from one is empty and safe", "[host][move]") {
  Host first(echo_only());
  REQUIRE(first.find_plugin("echo") != nullptr);
  const std::shared_ptr<LLM> before = first.get_llm_instance("echo", "echo-1", echo_key());

  Host second(std::move(first));
  check_moved_from(first);  // NOLINT(bugprone-use-after-move): the moved-from state is the contract
  REQUIRE(second.find_plugin("echo") != nullptr);
  CHECK(second.supported_models("echo") == std::vector<std::string>{"echo-1"});
  CHECK(before->get_response("made before the move").content == "made before the move");
  CHECK(second.get_llm_instance("echo", "echo-1", echo_key())->get_response("after").content == "after");

  // Assigning a Host to a moved-from one makes it usable again; the target's old state goes.
  first = std::move(second);
  check_moved_from(second);  // NOLINT(bugprone-use-after-move)
  CHECK(first.get_llm_instance("echo", "echo-1", echo_key())->get_response("again").content == "again");

  Host other(echo_only());
  const std::shared_ptr<LLM> from_other = other.get_llm_instance("echo", "echo-1", echo_key());
  other = std::move(first);  // `other`'s own plugins stay loaded while from_other lives
  CHECK(from_other->get_response("still loaded").content == "still loaded");
  CHECK(other.find_plugin("echo") != nullptr);
  CHECK(before->get_response("still answering").content == "still answering");
}
