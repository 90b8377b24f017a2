// majordomo serve: runs the gateway until SIGTERM or SIGINT (drain, exit 0); SIGHUP reloads its configuration.
#include "commands.hpp"
#include "safe_output.hpp"

#include "gateway_server.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <malloc.h>
#include <pthread.h>
#include <sys/resource.h>
#include <thread>

namespace majordomo::cli {
namespace {

gateway::GatewayConfig configuration(const Arguments& args) {
  gateway::GatewayConfig config = gateway::read_gateway_config(*args.config_file);
  if (args.listen) {
    (void)gateway::parse_listen_address(*args.listen, "--listen");
    config.listen = *args.listen;
  }
  // --plugin-dir directories are searched before the file's plugin_dirs.
  std::vector<std::filesystem::path> dirs(args.plugin_dirs.begin(), args.plugin_dirs.end());
  dirs.insert(dirs.end(), config.plugin_dirs.begin(), config.plugin_dirs.end());
  config.plugin_dirs = std::move(dirs);
  return config;
}

// Written whole or not at all (a rename), so a script polling for it never reads half a number.
void write_port_file(const std::string& path, uint16_t port) {
  const std::string partial = path + ".partial";
  {
    std::ofstream out(partial, std::ios::trunc);
    out << port << '\n';
    if (!out) throw UsageError{fmt::format("--port-file: cannot write {}", path)};
  }
  std::filesystem::rename(partial, path);
}

// glibc gives each new thread its own malloc arena, up to 8 per CPU: with one thread per
// connection, each arena keeps the peak of the requests that ran on it. One per CPU (measured
// in docs/benchmarks-gateway.md: ~1 MiB less RSS with 32 connections on 2 CPUs, no throughput
// change); an operator's MALLOC_ARENA_MAX still wins.
void bound_malloc_arenas() {
#ifdef M_ARENA_MAX  // glibc's
  if (std::getenv("MALLOC_ARENA_MAX") != nullptr) return;
  const unsigned cpus = std::thread::hardware_concurrency();
  if (cpus > 0) (void)mallopt(M_ARENA_MAX, static_cast<int>(cpus));
#endif
}

// A client connection holds its socket, its call's cancellation (an eventfd) and, while a call
// runs, an upstream socket: about three descriptors. The soft limit is often 1024 (systemd's
// default) while the hard one is far higher. Raised to the hard one, up to 65 536 (some 20 000
// connections' worth; a container's "unlimited" hard limit is no reason to go further). A
// refusal leaves the limit as it was.
void raise_descriptor_limit() {
  constexpr rlim_t kMost = 65'536;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  const rlim_t wanted = std::min(limit.rlim_max, kMost);
  if (limit.rlim_cur >= wanted) return;
  limit.rlim_cur = wanted;
  (void)::setrlimit(RLIMIT_NOFILE, &limit);
}

}  // namespace

int run_serve(const Arguments& args) {
  if (!args.config_file) throw UsageError{"serve needs --config FILE (its keys are in docs/gateway.md)"};
  bound_malloc_arenas();  // before the server's threads exist
  raise_descriptor_limit();
  // Blocked before any thread exists, so that every thread inherits the mask and only the
  // sigwait below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  gateway::GatewayServer server(configuration(args), [&args] { return configuration(args); });
  server.start();
  if (args.port_file) write_port_file(*args.port_file, server.port());
  print_message(fmt::format("serve: listening on {} (SIGTERM or Ctrl-C stops, SIGHUP reloads)", server.origin()));
  for (;;) {
    int signal = 0;
    if (sigwait(&signals, &signal) != 0) continue;
    if (signal == SIGHUP) {
      const std::string problem = server.reload();
      print_message(problem.empty() ? std::string("serve: configuration reloaded")
                                    : fmt::format("serve: reload refused, the running configuration stays: {}", problem));
      continue;
    }
    print_message("serve: stopping: finishing the requests in flight");
    server.shutdown();
    print_message("serve: stopped");
    return 0;
  }
}

}  // namespace majordomo::cli
