// `majordomo --version` and `majordomo plugin new`: what a plugin author sees first.
#include "cli_run.hpp"

#include <catch2/catch.hpp>

#include <majordomo/host.hpp>
#include <majordomo/version.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace majordomo::testing;
namespace fs = std::filesystem;

namespace {

// A fresh directory for one test case, removed with everything in it at the end.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "majordomo-plugin-new-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

TEST_CASE("majordomo --version prints the library version and the plugin ABI range, as text or one JSON object", "[cli]") {
  const majordomo::PluginAbiRange abi = majordomo::plugin_abi_range();
  CHECK(majordomo::version() == MAJORDOMO_VERSION_STRING);

  const CliRun text = run_cli({"--version"});
  CHECK(text.exit_code == 0);
  CHECK(text.out == fmt::format("majordomo {} (plugin ABI {}..{})\n", MAJORDOMO_VERSION_STRING, abi.min, abi.max));
  CHECK(text.err.empty());

  const CliRun json = run_cli({"--version", "--output", "json"});
  CHECK(json.exit_code == 0);
  CHECK(json.out.find('\n') == json.out.size() - 1);
  const auto object = parse_cli_object(json.out);
  CHECK(object->getValue<std::string>("version") == MAJORDOMO_VERSION_STRING);
  CHECK(object->getObject("plugin_abi")->getValue<uint32_t>("min") == abi.min);
  CHECK(object->getObject("plugin_abi")->getValue<uint32_t>("max") == abi.max);

  const CliRun extra = run_cli({"--version", "now"});
  CHECK(extra.exit_code == 2);
  CHECK_THAT(extra.err, Catch::Contains("--version takes no other argument"));
}

TEST_CASE("plugin new writes CMakeLists.txt, NAME_plugin.cpp and README.md: the example renamed", "[cli]") {
  TempDir temp;
  const fs::path dir = temp.path / "providers" / "my-llm";  // missing parents are created
  const CliRun run = run_cli({"plugin", "new", "my-llm", "--dir", dir.string()});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  CHECK_THAT(run.out, Catch::Contains((dir / "my-llm_plugin.cpp").string()));
  CHECK_THAT(run.out, Catch::Contains("cmake -S " + dir.string()));
  CHECK(entries(dir) == std::vector<std::string>{"CMakeLists.txt", "README.md", "my-llm_plugin.cpp"});

  const std::string cmake = read_text(dir / "CMakeLists.txt");
  CHECK_THAT(cmake, Catch::Contains("find_package(MajordomoSDK 0.4 REQUIRED)"));
  CHECK_THAT(cmake, Catch::Contains("majordomo_add_plugin(my-llm SOURCES my-llm_plugin.cpp)"));
  CHECK_THAT(cmake, Catch::Contains("project(majordomo_my_llm_plugin"));

  const std::string source = read_text(dir / "my-llm_plugin.cpp");
  CHECK_THAT(source, Catch::StartsWith("// The my-llm provider plugin, written by `majordomo plugin new`"));
  CHECK_THAT(source, Catch::Contains(R"(kProviderId = "my-llm")"));
  CHECK_THAT(source, Catch::Contains(R"(kDisplayName = "MyLlm")"));
  CHECK_THAT(source, Catch::Contains("\"MY_LLM_API_KEY\""));
  CHECK_THAT(source, Catch::Contains("\"MY_LLM_BASE_URL\""));
  CHECK_THAT(source, Catch::Contains("https://api.my-llm.example"));
  CHECK_THAT(source, Catch::Contains("MAJORDOMO_EXPORT_PROVIDER(MyLlmProvider)"));
  // Nothing of the example's identity is left: two plugins must not both claim "acme".
  CHECK(source.find("\"acme\"") == std::string::npos);
  CHECK(source.find("ACME_") == std::string::npos);
  CHECK(source.find("AcmeProvider") == std::string::npos);
  CHECK(source.find("api.acme.example") == std::string::npos);

  const std::string readme = read_text(dir / "README.md");
  CHECK_THAT(readme, Catch::StartsWith("# my-llm: a majordomo provider plugin"));
  CHECK_THAT(readme, Catch::Contains("## What to change next, in order"));
  CHECK_THAT(readme, Catch::Contains("MY_LLM_API_KEY"));
  CHECK_THAT(readme, Catch::Contains("--provider my-llm"));
}

TEST_CASE("plugin new: names that cannot start an identifier, JSON output, the default directory", "[cli]") {
  TempDir temp;
  const fs::path dir = temp.path / "nine";
  const CliRun run = run_cli({"plugin", "new", "9lives", "--dir", dir.string() + "/", "--output", "json"});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  const auto object = parse_cli_object(run.out)->getObject("plugin_new");
  CHECK(object->getValue<std::string>("provider") == "9lives");
  CHECK(object->getValue<std::string>("directory") == dir.string());
  CHECK(object->getArray("files")->size() == 3);
  const std::string source = read_text(dir / "9lives_plugin.cpp");
  CHECK_THAT(source, Catch::Contains("MAJORDOMO_EXPORT_PROVIDER(P9livesProvider)"));
  CHECK_THAT(source, Catch::Contains("\"P9LIVES_API_KEY\""));
  CHECK_THAT(source, Catch::Contains(R"(kProviderId = "9lives")"));
}

TEST_CASE("plugin new refuses an existing directory and names that are not provider ids, writing nothing", "[cli]") {
  TempDir temp;
  const fs::path taken = temp.path / "taken";
  fs::create_directory(taken);
  std::ofstream(taken / "keep.txt") << "mine";
  for (const fs::path& dir : {taken, temp.path}) {
    const CliRun run = run_cli({"plugin", "new", "fresh", "--dir", dir.string()});
    CHECK(run.exit_code == 2);
    CHECK_THAT(run.err, Catch::Contains("already exists"));
  }
  CHECK(entries(taken) == std::vector<std::string>{"keep.txt"});
  CHECK(read_text(taken / "keep.txt") == "mine");

  const std::string too_long(65, 'a');
  for (const std::string name : {"My-LLM", "a/b", "acme!", "", "über", too_long.c_str()}) {
    INFO(name);
    const fs::path dir = temp.path / "bad";
    const CliRun run = run_cli({"plugin", "new", name, "--dir", dir.string()});
    CHECK(run.exit_code == 2);
    CHECK_THAT(run.err, Catch::Contains("is not a valid provider id: use 1 to 64 of a-z 0-9 _ -"));
    CHECK_FALSE(fs::exists(dir));
  }
  const CliRun reserved = run_cli({"plugin", "new", "test", "--dir", (temp.path / "bad").string()});
  CHECK(reserved.exit_code == 2);
  CHECK_THAT(reserved.err, Catch::Contains("reserves"));
  CHECK_FALSE(fs::exists(temp.path / "bad"));

  CHECK(run_cli({"plugin", "new"}).exit_code == 2);
  CHECK(run_cli({"plugin", "new", "a", "b"}).exit_code == 2);
  CHECK(run_cli({"plugin"}).exit_code == 2);
  const CliRun unknown = run_cli({"plugin", "delete", "x"});
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.err, Catch::Contains("unknown plugin subcommand delete"));
}
