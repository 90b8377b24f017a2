// majordomo-fake: run the fake provider server from the command line, for scripts and offline development.
#include "fake_server.hpp"
#include "misbehaving_server.hpp"

#include <majordomo/version.hpp>

#include <fmt/format.h>

#include <pthread.h>
#include <unistd.h>

#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace {

constexpr int exit_usage = 2;

constexpr std::string_view usage_text = R"(Usage: majordomo-fake [options]

A fake LLM provider server on loopback: it speaks the wire protocols of OpenAI Chat
Completions and Responses, Anthropic Messages, Gemini generateContent, DeepSeek and Cohere v2
chat, replays recorded fixtures, records every request and can be scripted over HTTP.

Options:
  --host H             address to bind (default 127.0.0.1; only loopback unless you say otherwise)
  --port N             port to listen on (default 0: an ephemeral port)
  --port-file FILE     write the port number to FILE once listening (written atomically)
  --fixtures DIR       fixtures directory (default: $MAJORDOMO_FIXTURES, else the installed set in
                       <prefix>/share/majordomo/fixtures, else (run from the build tree) the
                       build's shared fixture set, else built-in responses)
  --no-fixtures        always use the built-in generated responses
  --record FILE        append one JSON line per received request to FILE
  --tls-cert F         serve HTTPS with this PEM certificate (needs --tls-key)
  --tls-key F          the certificate's PEM private key
  --api-key KEY        accept only this API key (default: any non-empty key)
  --misbehave NAME     instead, answer every provider route with one misbehaviour (a hostile
                       server for tests; 0.3); --misbehave list prints them
  --version            print the version and exit
  --help               show this help

Control API: GET /_fake/health, GET|DELETE /_fake/requests, POST /_fake/responses (JSON script).
Stops cleanly on SIGINT or SIGTERM.
)";

struct CommandLine {
  majordomo::fake::FakeServerOptions options;
  std::optional<std::filesystem::path> fixtures_flag;
  bool no_fixtures = false;
  std::filesystem::path port_file;
  bool help = false;
  bool version = false;
  std::string misbehave;  // empty: the well-behaved fake
};

[[noreturn]] void usage_error(const std::string& message) {
  std::cerr << "majordomo-fake: " << message << "\nRun 'majordomo-fake --help' for the options.\n";
  std::exit(exit_usage);
}

uint16_t parse_port(std::string_view text) {
  unsigned value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value > 65535) {
    usage_error(fmt::format("--port needs a number from 0 to 65535, got '{}'", text));
  }
  return static_cast<uint16_t>(value);
}

CommandLine parse_command_line(int argc, char** argv) {
  CommandLine command_line;
  auto& options = command_line.options;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::optional<std::string> inline_value;
    if (const auto equals = arg.find('='); arg.substr(0, 2) == "--" && equals != std::string_view::npos) {
      inline_value = std::string(arg.substr(equals + 1));
      arg = arg.substr(0, equals);
    }
    const auto value = [&]() -> std::string {
      if (inline_value) return *inline_value;
      if (i + 1 >= argc) usage_error(fmt::format("{} needs a value", arg));
      return argv[++i];
    };
    const auto no_value = [&] {
      if (inline_value) usage_error(fmt::format("{} takes no value", arg));
    };
    if (arg == "--help" || arg == "-h") { no_value(); command_line.help = true; }
    else if (arg == "--version") { no_value(); command_line.version = true; }
    else if (arg == "--host") options.host = value();
    else if (arg == "--port") options.port = parse_port(value());
    else if (arg == "--port-file") command_line.port_file = value();
    else if (arg == "--fixtures") command_line.fixtures_flag = value();
    else if (arg == "--no-fixtures") { no_value(); command_line.no_fixtures = true; }
    else if (arg == "--record") options.record_file = value();
    else if (arg == "--tls-cert") options.tls_cert_file = value();
    else if (arg == "--tls-key") options.tls_key_file = value();
    else if (arg == "--api-key") options.required_api_key = value();
    else if (arg == "--misbehave") command_line.misbehave = value();
    else usage_error(fmt::format("unknown option '{}'", arg));
  }
  if (options.host.empty()) usage_error("--host must not be empty");
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    usage_error("--tls-cert and --tls-key go together");
  }
  if (command_line.no_fixtures && command_line.fixtures_flag) usage_error("--fixtures and --no-fixtures exclude each other");
  if (!command_line.misbehave.empty() && command_line.misbehave != "list" &&
      !majordomo::fake::is_misbehaviour(command_line.misbehave)) {
    usage_error(fmt::format("unknown misbehaviour '{}'; --misbehave list prints them", command_line.misbehave));
  }
  if (!command_line.misbehave.empty() && !options.tls_cert_file.empty()) usage_error("--misbehave serves plain http only, without --tls-cert");
  return command_line;
}

// The running executable (resolved by the kernel: a relative argv[0] or a symlink do not matter).
std::filesystem::path own_executable() {
  std::error_code error;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) exe.clear();
  return exe;
}

bool in_build_tree(const std::filesystem::path& exe) {
  std::error_code error;
  const std::filesystem::path root = std::filesystem::weakly_canonical(MAJORDOMO_BUILD_ROOT, error);
  if (error || exe.empty()) return false;
  const std::filesystem::path relative = exe.lexically_relative(root);
  return !relative.empty() && *relative.begin() != "..";
}

// An explicit choice that does not exist is an error; the defaults silently fall back. The
// installed fixtures are found relative to this executable (<bindir>/../share/majordomo/fixtures),
// so an installed tree works from any prefix and after being moved; the source tree's set is
// used only by a binary that runs from the build tree.
std::filesystem::path choose_fixtures(const CommandLine& command_line) {
  std::error_code error;
  if (command_line.no_fixtures) return {};
  if (command_line.fixtures_flag) {
    if (!std::filesystem::is_directory(*command_line.fixtures_flag, error)) {
      usage_error(fmt::format("--fixtures {}: not a directory", command_line.fixtures_flag->string()));
    }
    return *command_line.fixtures_flag;
  }
  if (const char* from_env = std::getenv("MAJORDOMO_FIXTURES"); from_env != nullptr && *from_env != '\0') {
    if (!std::filesystem::is_directory(from_env, error)) {
      usage_error(fmt::format("MAJORDOMO_FIXTURES={}: not a directory", from_env));
    }
    return from_env;
  }
  const std::filesystem::path exe = own_executable();
  if (!exe.empty()) {
    const std::filesystem::path installed = (exe.parent_path() / MAJORDOMO_INSTALLED_FIXTURES_FROM_BINDIR).lexically_normal();
    if (std::filesystem::is_directory(installed, error)) return installed;
  }
  if (in_build_tree(exe) && std::filesystem::is_directory(MAJORDOMO_DEFAULT_FIXTURES, error)) return MAJORDOMO_DEFAULT_FIXTURES;
  return {};
}

// Written under a temporary name and renamed, so that a script polling for the file never reads half of it.
void write_port_file(const std::filesystem::path& path, uint16_t port) {
  const std::filesystem::path temporary = path.string() + fmt::format(".tmp{}", ::getpid());
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << port << '\n';
    if (!out.flush()) throw std::runtime_error("cannot write " + temporary.string());
  }
  std::filesystem::rename(temporary, path);
}

// Starts either server and writes the port file; false, with the reason on stderr, when one fails.
template <class Server>
bool start_serving(Server& server, const CommandLine& command_line) {
  try {
    server.start();
    if (!command_line.port_file.empty()) write_port_file(command_line.port_file, server.port());
  } catch (const std::exception& error) {
    std::cerr << error.what() << '\n';
    return false;
  }
  return true;
}

// --misbehave: the raw-socket hostile server instead of the fake provider (see misbehaving_server.hpp).
int serve_misbehaving(const CommandLine& command_line, sigset_t& stop_signals) {
  majordomo::fake::MisbehavingServerOptions options;
  options.misbehaviour = command_line.misbehave;
  options.host = command_line.options.host;
  options.port = command_line.options.port;
  options.log_requests = true;
  majordomo::fake::MisbehavingServer server(options);
  if (!start_serving(server, command_line)) return 1;
  std::cout << "majordomo-fake misbehaving (" << options.misbehaviour << ") on " << server.origin() << std::endl;
  int received = 0;
  sigwait(&stop_signals, &received);
  server.stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CommandLine command_line = parse_command_line(argc, argv);
  if (command_line.help) {
    std::cout << usage_text;
    return 0;
  }
  if (command_line.version) {
    std::cout << "majordomo-fake " << MAJORDOMO_VERSION_STRING << '\n';
    return 0;
  }
  if (command_line.misbehave == "list") {
    for (const auto& misbehaviour : majordomo::fake::misbehaviours()) {
      std::cout << fmt::format("{:<24} {}\n", misbehaviour.name, misbehaviour.summary);
    }
    return 0;
  }
  command_line.options.fixtures_dir = choose_fixtures(command_line);

  // Blocked before any server thread exists, so every thread inherits the mask and sigwait below
  // is the only place these signals are delivered.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  if (!command_line.misbehave.empty()) return serve_misbehaving(command_line, stop_signals);
  majordomo::fake::FakeProviderServer server(command_line.options);
  if (!start_serving(server, command_line)) return 1;
  const auto& fixtures = command_line.options.fixtures_dir;
  std::cerr << "majordomo-fake: "
            << (fixtures.empty() ? std::string("built-in responses (no fixtures dir)") : "fixtures from " + fixtures.string())
            << '\n';
  std::cout << "majordomo-fake listening on " << server.origin() << std::endl;

  int received = 0;
  sigwait(&stop_signals, &received);
  std::cerr << "majordomo-fake: " << (received == SIGINT ? "SIGINT" : "SIGTERM") << ", stopping\n";
  server.stop();
  return 0;
}
