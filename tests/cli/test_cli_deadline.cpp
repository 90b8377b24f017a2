// `majordomo ask --timeout`: the whole call, retries and cascade members included, ends by its deadline.
#include "../core/stalling_server.hpp"
#include "cli_run.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

using majordomo::testing::run_cli;
using majordomo::testing::StallingServer;

TEST_CASE("ask --timeout 5 against a server that never answers or only sends keep-alives ends within 6 s",
          "[cli][deadline]") {
  const auto mode = GENERATE(StallingServer::Mode::silent, StallingServer::Mode::keep_alive);
  const bool stream = GENERATE(false, true);
  const bool cascade = GENERATE(false, true);
  INFO((mode == StallingServer::Mode::silent ? "silent" : "keep-alive") << (stream ? " --stream" : " json")
                                                                       << (cascade ? " cascade" : ""));
  StallingServer server(mode);
  std::vector<std::string> args = {"ask"};
  if (cascade) {
    args.insert(args.end(), {"--cascade", "openai:gpt-4o,openai:gpt-4o-mini"});
  } else {
    args.insert(args.end(), {"--provider", "openai", "--model", "gpt-4o"});
  }
  args.insert(args.end(), {"--base-url", server.origin() + "/v1", "--api-key", "sk-cli-deadline-0000", "--timeout",
                           "5", "--output", "json"});
  if (stream) args.push_back("--stream");
  args.push_back("Hello");

  // The deadline bounds the call; the CLI's own start-up and exit (slow under ASan on a busy
  // machine) come on top. A dry run of the same command, which sends nothing, measures them.
  std::vector<std::string> dry_run = args;
  dry_run.insert(dry_run.end() - 1, "--dry-run");
  const auto dry_start = std::chrono::steady_clock::now();
  REQUIRE(run_cli(dry_run).exit_code == 0);
  const auto start_up = std::chrono::steady_clock::now() - dry_start;

  const auto start = std::chrono::steady_clock::now();
  const majordomo::testing::CliRun result = run_cli(args);
  const auto took = std::chrono::steady_clock::now() - start;
  INFO(result.err);
  CHECK(took < std::chrono::seconds(6) + start_up);
  CHECK(result.exit_code != 0);
  const auto error = majordomo::testing::parse_cli_object(result.out)->getObject("error");
  REQUIRE(error);
  CHECK(error->getValue<std::string>("kind") == "timeout");
  CHECK_THAT(error->getValue<std::string>("message"), Catch::Contains("--timeout"));
}
