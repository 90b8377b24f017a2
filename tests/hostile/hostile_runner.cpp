// The hostile-server suite: one misbehaviour of majordomo-fake against every provider in JSON and stream mode, through the real CLI.
//   hostile_runner --cli PATH --plugin-dir DIR --pending FILE [--jobs N] SCENARIO
//   hostile_runner --list
// Exit 0: every case passed; 1: a case failed or a listed case passed (a stale entry); 77: only
// cases listed in the pending file failed
// (ctest reports the test as skipped, with the reasons on its output).
#include "cli_process.hpp"
#include "output_checks.hpp"
#include "scenarios.hpp"

#include "misbehaving_server.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

namespace {

using namespace majordomo::hostile;
using namespace std::chrono_literals;

constexpr int exit_pending = 77;
// A call may end this much after its --timeout, counted from the first connection the server
// accepted for it (so that the CLI's start-up on a loaded machine does not count; its exit, with
// the leak check, does); issue 9 asks `--timeout 5` to end within 6 s.
constexpr auto timeout_margin = 1500ms;
// Past its timeout plus this, a run is killed and reported as hung.
constexpr auto hang_limit = 4s;

struct Settings {
  std::string cli;
  std::string plugin_dir;
  std::string pending_file;
  unsigned jobs = 0;  // 0: 2 CLIs at a time, 6 for the scenarios that mostly wait
  std::string scenario;
};

struct PendingEntry {
  std::string scenario, provider, mode, reason;
};

struct CaseResult {
  std::string name;                  // "openai/stream"
  std::vector<std::string> failures;
  std::chrono::milliseconds elapsed{0};
  const PendingEntry* pending = nullptr;
};

[[noreturn]] void usage(const std::string& message) {
  std::cerr << "hostile_runner: " << message
            << "\nusage: hostile_runner --cli PATH --plugin-dir DIR --pending FILE [--jobs N] SCENARIO | --list\n";
  std::exit(2);
}

std::vector<PendingEntry> read_pending(const std::string& path) {
  std::vector<PendingEntry> entries;
  std::ifstream in(path);
  if (!in) usage("cannot read the pending file " + path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto bar = line.find('|');
    std::istringstream fields(line.substr(0, bar));
    PendingEntry entry;
    fields >> entry.scenario >> entry.provider >> entry.mode;
    if (entry.mode.empty() || bar == std::string::npos) usage("pending file line without 'SCENARIO PROVIDER MODE | reason': " + line);
    entry.reason = line.substr(bar + 1);
    entry.reason.erase(0, entry.reason.find_first_not_of(' '));
    entries.push_back(std::move(entry));
  }
  return entries;
}

const PendingEntry* find_pending(const std::vector<PendingEntry>& entries, const std::string& scenario,
                                 const std::string& provider, const std::string& mode) {
  const auto matches = [](const std::string& pattern, const std::string& value) { return pattern == "*" || pattern == value; };
  for (const auto& entry : entries) {
    if (matches(entry.scenario, scenario) && matches(entry.provider, provider) && matches(entry.mode, mode)) return &entry;
  }
  return nullptr;
}

std::string random_text(std::mt19937_64& random, size_t length) {
  static constexpr char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
  std::string out;
  for (size_t i = 0; i < length; ++i) out += alphabet[random() % (sizeof alphabet - 1)];
  return out;
}

std::string seconds_text(std::chrono::milliseconds value) { return fmt::format("{:g}", value.count() / 1000.0); }

std::vector<std::string> child_environment(const std::string& home) {
  std::vector<std::string> env = {"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + home, "LANG=C.UTF-8", "MAJORDOMO_PLUGIN_PATH="};
  for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"}) {
    if (const char* value = std::getenv(name)) env.push_back(std::string(name) + "=" + value);
  }
  return env;
}

// Every check issue 9 asks of one run; returns what broke, empty when nothing did.
std::vector<std::string> check_run(const Scenario& scenario, const Expectation& expected, const ProcessResult& run,
                                   const std::vector<std::pair<std::string, std::string>>& secrets, size_t requests,
                                   std::chrono::milliseconds call_time) {
  std::vector<std::string> broke;
  if (run.killed_for_hanging) {
    broke.push_back(fmt::format("hung: still running {} s after --timeout {}, killed", seconds_text(run.elapsed),
                                seconds_text(scenario.timeout)));
  } else if (run.signal != 0) {
    broke.push_back(fmt::format("killed by signal {}", run.signal));
  } else if (run.exit_code >= 128) {
    broke.push_back(fmt::format("exit code {} (a signal)", run.exit_code));
  } else if (call_time > scenario.timeout + timeout_margin) {
    broke.push_back(fmt::format("took {} s from its first connection with --timeout {}", seconds_text(call_time),
                                seconds_text(scenario.timeout)));
  }
  for (const auto& [what, secret] : secrets) {
    if (run.out.find(secret) != std::string::npos) broke.push_back(what + " is on stdout");
    if (run.err.find(secret) != std::string::npos) broke.push_back(what + " is on stderr");
  }
  if (const auto at = control_character_at(run.err)) {
    broke.push_back(fmt::format("stderr holds control byte 0x{:02x} (terminal injection)", static_cast<unsigned char>(run.err[*at])));
  }
  if (run.err.find("\nmajordomo: note: all good") != std::string::npos || run.err.rfind("majordomo: note: all good", 0) == 0) {
    broke.push_back("stderr holds the server's forged 'majordomo: note: all good' line");
  }
  if (run.err.find("runtime error:") != std::string::npos || run.err.find("Sanitizer") != std::string::npos) {
    broke.push_back("a sanitizer reported an error");
  }
  if (const auto at = invalid_utf8_at(run.out)) broke.push_back(fmt::format("stdout is not valid UTF-8 (at byte {})", *at));

  Poco::JSON::Object::Ptr object;
  try {
    Poco::JSON::Parser parser;
    object = parser.parse(run.out).extract<Poco::JSON::Object::Ptr>();
  } catch (const std::exception&) {
    broke.push_back("stdout is not one JSON object");
  }
  const Poco::JSON::Object::Ptr error = object ? object->getObject("error") : nullptr;
  const std::string kind = error ? error->optValue<std::string>("kind", "") : "";
  const std::string message = error ? error->optValue<std::string>("message", "") : "";
  const std::string outcome = error ? fmt::format("kind {} ({})", kind, printable_excerpt(message, 160))
                                    : fmt::format("exit {}", run.exit_code);

  const bool empty_success = expected.empty_success_too && run.exit_code == 0 && object && !error &&
                             object->optValue<std::string>("content", "x").empty();
  if (expected.success) {
    if (run.exit_code != 0) broke.push_back(fmt::format("expected an answer, got exit {} with {}", run.exit_code, outcome));
    else if (object && object->optValue<std::string>("content", "") != expected.content) {
      broke.push_back(fmt::format("content is '{}', expected '{}'", printable_excerpt(object->optValue<std::string>("content", ""), 80),
                                  expected.content));
    }
  } else if (!empty_success) {
    const std::string wanted = expected.kinds.empty() ? std::string("an error") : fmt::format("kind {}", fmt::join(expected.kinds, " or "));
    if (run.exit_code != 1) broke.push_back(fmt::format("expected exit 1 with {}, got exit {}", wanted, run.exit_code));
    if (object && !error) broke.push_back(fmt::format("expected {}, got an answer", wanted));
    if (error && !expected.kinds.empty() && std::find(expected.kinds.begin(), expected.kinds.end(), kind) == expected.kinds.end()) {
      broke.push_back(fmt::format("expected {}, got {}", wanted, outcome));
    }
    for (const auto& group : expected.message_has) {
      const bool found = std::any_of(group.begin(), group.end(), [&](const std::string& part) { return contains_ignoring_case(message, part); });
      if (error && !found) broke.push_back(fmt::format("the message does not name '{}': {}", fmt::join(group, "' or '"), printable_excerpt(message, 200)));
    }
  }
  if (expected.requests && requests != *expected.requests) {
    broke.push_back(fmt::format("the server received {} requests, expected {} (deterministic: no retry)", requests, *expected.requests));
  } else if (!expected.requests && requests > expected.max_requests) {
    broke.push_back(fmt::format("the server received {} requests, at most {} expected", requests, expected.max_requests));
  }
  if (!broke.empty()) {
    broke.push_back(fmt::format("[stdout: {}] [stderr: {}]", printable_excerpt(run.out), printable_excerpt(run.err)));
  }
  return broke;
}

int run_scenario(const Settings& settings, const Scenario& scenario) {
  const std::vector<PendingEntry> pending = read_pending(settings.pending_file);
  majordomo::fake::MisbehavingServerOptions options;
  options.misbehaviour = scenario.name;
  // The endless misbehaviours outlive no run by much: a hung client is killed at hang_limit.
  options.endless_for = scenario.timeout + hang_limit + 2s;
  majordomo::fake::MisbehavingServer server(options);
  server.start();

  char home_template[] = "/tmp/majordomo-hostile-XXXXXX";
  const char* home = ::mkdtemp(home_template);
  if (home == nullptr) throw std::runtime_error("mkdtemp failed");
  const std::vector<std::string> environment = child_environment(home);

  struct Case {
    const ProviderCase* provider;
    bool stream;
  };
  std::vector<Case> cases;
  for (const auto& provider : provider_cases()) {
    for (const bool stream : {false, true}) cases.push_back({&provider, stream});
  }
  std::vector<CaseResult> results(cases.size());
  std::atomic<size_t> next{0};
  std::mutex print_mutex;
  const auto worker = [&](uint64_t seed) {
    std::mt19937_64 random(seed);
    for (size_t index = next++; index < cases.size(); index = next++) {
      const Case& c = cases[index];
      const std::string mode = c.stream ? "stream" : "json";
      const std::string segment = fmt::format("case-{}", index);
      const std::string key = fmt::format("sk-hostile-{}-{}", index, random_text(random, 20));
      const std::string password = random_text(random, 5);  // short: scrubbed whatever its length
      const std::string basic = base64("hostile:" + password);
      std::vector<std::string> argv = {settings.cli, "ask", "--provider", c.provider->provider, "--model", c.provider->model};
      argv.insert(argv.end(), c.provider->extra_args.begin(), c.provider->extra_args.end());
      argv.insert(argv.end(), {"--base-url", server.origin() + "/" + segment + c.provider->base_path, "--api-key", key,
                               "--timeout", seconds_text(scenario.timeout), "--output", "json", "--plugin-dir", settings.plugin_dir,
                               "--proxy", scenario.via_proxy ? fmt::format("http://hostile:{}@127.0.0.1:{}", password, server.port()) : ""});
      if (c.stream) argv.push_back("--stream");
      const std::filesystem::path log_dir = std::filesystem::path(home) / segment;
      if (scenario.check_call_log) {
        std::filesystem::create_directories(log_dir);
        argv.insert(argv.end(), {"--log", "sqlite:" + (log_dir / "calls.sqlite").string(), "--log-bodies", (log_dir / "bodies").string()});
      }
      const auto extra = scenario.extra_args(c.stream);
      argv.insert(argv.end(), extra.begin(), extra.end());
      argv.push_back("Say hello.");

      const ProcessResult run = run_process(argv, environment, scenario.timeout + hang_limit);
      const auto seen = server.requests();
      size_t requests = 0;
      auto call_started = run.ended;
      for (const auto& request : seen) {
        if (request.first_segment != segment) continue;
        ++requests;
        call_started = std::min(call_started, request.accepted_at);
      }
      if (requests == 0) call_started = run.started;
      const auto call_time = std::chrono::duration_cast<std::chrono::milliseconds>(run.ended - call_started);
      std::vector<std::pair<std::string, std::string>> secrets = {{"the API key", key}};
      if (scenario.via_proxy) {
        secrets.emplace_back("the proxy password", password);
        secrets.emplace_back("the proxy's Basic credentials", basic);
      }
      CaseResult& result = results[index];
      std::vector<std::string> in_log;
      if (scenario.check_call_log) {
        std::error_code error;
        for (const auto& entry : std::filesystem::recursive_directory_iterator(log_dir, error)) {
          if (!entry.is_regular_file()) continue;
          std::ifstream file(entry.path(), std::ios::binary);
          const std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
          for (const auto& [what, secret] : secrets) {
            if (bytes.find(secret) != std::string::npos) {
              in_log.push_back(fmt::format("{} is in the call log's {}", what, entry.path().filename().string()));
            }
          }
        }
      }
      result.name = c.provider->label + "/" + mode;
      result.elapsed = run.elapsed;
      result.failures = check_run(scenario, scenario.expect(*c.provider, c.stream, server.origin()), run, secrets, requests, call_time);
      result.failures.insert(result.failures.begin(), in_log.begin(), in_log.end());
      result.pending = find_pending(pending, scenario.name, c.provider->label, mode);
      const std::lock_guard lock(print_mutex);
      if (result.failures.empty()) {
        std::cout << fmt::format("{} {} {} ({} s){}\n", result.pending ? "PASSES NOW" : "PASS", scenario.name, result.name,
                                 seconds_text(result.elapsed), result.pending ? ": remove it from tests/hostile/pending.txt" : "");
      } else {
        std::cout << fmt::format("{} {} {} ({} s): {}\n", result.pending ? "PENDING" : "FAIL", scenario.name, result.name,
                                 seconds_text(result.elapsed), fmt::join(result.failures, "; "));
        if (result.pending) std::cout << "  pending because: " << result.pending->reason << '\n';
      }
      std::cout.flush();
    }
  };
  std::vector<std::thread> workers;
  const uint64_t base_seed = std::random_device{}();
  const unsigned jobs = settings.jobs > 0 ? settings.jobs : scenario.mostly_waiting ? 6 : 2;
  for (unsigned i = 0; i < jobs; ++i) workers.emplace_back(worker, base_seed + i);
  for (auto& thread : workers) thread.join();
  server.stop();
  std::filesystem::remove_all(home);

  const auto failed = std::count_if(results.begin(), results.end(), [](const CaseResult& r) { return !r.failures.empty() && !r.pending; });
  const auto pending_failed = std::count_if(results.begin(), results.end(), [](const CaseResult& r) { return !r.failures.empty() && r.pending; });
  // A listed case that passes is a stale entry: it would hide the next regression of that case.
  const auto stale = std::count_if(results.begin(), results.end(), [](const CaseResult& r) { return r.failures.empty() && r.pending; });
  std::cout << fmt::format("{}: {} cases, {} failed, {} pending, {} stale pending entries\n", scenario.name,
                           results.size(), failed, pending_failed, stale);
  if (failed > 0 || stale > 0) return 1;
  return pending_failed > 0 ? exit_pending : 0;
}

}  // namespace

int main(int argc, char** argv) {
  Settings settings;
  bool list = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&] {
      if (i + 1 >= argc) usage(arg + " needs a value");
      return std::string(argv[++i]);
    };
    if (arg == "--cli") settings.cli = value();
    else if (arg == "--plugin-dir") settings.plugin_dir = value();
    else if (arg == "--pending") settings.pending_file = value();
    else if (arg == "--jobs") settings.jobs = static_cast<unsigned>(std::stoul(value()));
    else if (arg == "--list") list = true;
    else if (!arg.empty() && arg[0] != '-' && settings.scenario.empty()) settings.scenario = arg;
    else usage("unexpected argument '" + arg + "'");
  }
  if (list) {
    for (const auto& scenario : scenarios()) std::cout << scenario.name << '\n';
    return 0;
  }
  if (const char* jobs = std::getenv("MAJORDOMO_HOSTILE_JOBS")) settings.jobs = static_cast<unsigned>(std::atoi(jobs));
  if (settings.cli.empty() || settings.plugin_dir.empty() || settings.pending_file.empty() || settings.scenario.empty()) {
    usage("--cli, --plugin-dir, --pending and a scenario are needed");
  }
  const auto& all = scenarios();
  const auto scenario = std::find_if(all.begin(), all.end(), [&](const Scenario& s) { return s.name == settings.scenario; });
  if (scenario == all.end()) usage("unknown scenario '" + settings.scenario + "' (--list shows them)");
  if (!majordomo::fake::is_misbehaviour(scenario->name)) usage("majordomo-fake has no misbehaviour '" + scenario->name + "'");
  try {
    return run_scenario(settings, *scenario);
  } catch (const std::exception& error) {
    std::cerr << "hostile_runner: " << error.what() << '\n';
    return 1;
  }
}
