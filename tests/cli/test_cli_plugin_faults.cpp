// The CLI over a directory of faulty plugins: `majordomo plugins` exits 0 with one reason per file; real providers answer.
#include "cli_run.hpp"
#include "fake_server.hpp"

#include <catch2/catch.hpp>

#include <string>

using majordomo::testing::parse_cli_object;
using majordomo::testing::run_cli;

TEST_CASE("majordomo plugins survives a directory of faulty plugins and names each fault", "[cli][faults]") {
  const auto listing = run_cli({"plugins", "--plugin-dir", MAJORDOMO_TEST_FAULTY_PLUGIN_DIR, "--output", "json"});
  REQUIRE(listing.exit_code == 0);
  const auto object = parse_cli_object(listing.out);
  const auto skipped = object->getArray("skipped");
  REQUIRE(skipped->size() == 5);
  for (std::size_t i = 0; i < skipped->size(); ++i) {
    const auto entry = skipped->getObject(static_cast<unsigned>(i));
    const std::string message = entry->getValue<std::string>("message");
    INFO(entry->getValue<std::string>("path") << ": " << message);
    CHECK_FALSE(message.empty());
    CHECK(message.find('\n') == std::string::npos);
    CHECK_THAT(message, !Catch::Contains("boost") && !Catch::Contains("Bad file descriptor"));
  }
  // The faulty directory's loadable plugins and the build's real ones are all listed.
  std::string providers;
  const auto plugins = object->getArray("plugins");
  for (std::size_t i = 0; i < plugins->size(); ++i) {
    providers += plugins->getObject(static_cast<unsigned>(i))->getValue<std::string>("provider") + " ";
  }
  CHECK_THAT(providers, Catch::Contains("raw-faults") && Catch::Contains("sdk-faults") && Catch::Contains("openai") &&
                            Catch::Contains("anthropic"));

  const auto text = run_cli({"plugins", "--plugin-dir", MAJORDOMO_TEST_FAULTY_PLUGIN_DIR});
  REQUIRE(text.exit_code == 0);
  CHECK_THAT(text.out, Catch::Contains("plugin fault") && Catch::Contains("the entry point exploded") &&
                           Catch::Contains("the catalog file is missing") &&
                           Catch::Contains("a versioned library name"));
}

TEST_CASE("with the faulty plugins loaded, a real provider answers and a faulty one fails with kind plugin",
          "[cli][faults]") {
  majordomo::fake::FakeProviderServer server{majordomo::fake::FakeServerOptions{}};
  server.start();
  const auto answer = run_cli({"ask", "--plugin-dir", MAJORDOMO_TEST_FAULTY_PLUGIN_DIR, "--provider", "openai",
                               "--model", "gpt-4o", "--base-url", server.origin() + "/v1", "--api-key",
                               "sk-cli-0000", "--output", "json", "Still answering?"});
  REQUIRE(answer.exit_code == 0);
  CHECK_FALSE(parse_cli_object(answer.out)->getValue<std::string>("content").empty());

  const auto fault = run_cli({"ask", "--plugin-dir", MAJORDOMO_TEST_FAULTY_PLUGIN_DIR, "--provider", "raw-faults",
                              "--model", "raw-1", "--option", "fault=open", "--output", "json", "Hello?"});
  CHECK(fault.exit_code == 1);
  const auto error = parse_cli_object(fault.out)->getObject("error");
  CHECK(error->getValue<std::string>("kind") == "plugin");
  CHECK_THAT(error->getValue<std::string>("message"), Catch::Contains("raw-faults plugin"));
}
