// Real squid (forward proxy) and nginx (API gateway) started on 127.0.0.1 for tests, each in its own temp dir, stopped by PID.
#pragma once

#include "test_pki.hpp"

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>

#include <fmt/format.h>

#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace majordomo::testing {

// A port nothing listens on at the moment: bound once by the kernel's choice, then released.
inline uint16_t free_loopback_port() {
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
  const uint16_t port = socket.address().port();
  socket.close();
  return port;
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Waits until `ready` holds, checking every few milliseconds for at most `limit`. A readiness
// poll for a daemon's port or log line, not a sleep standing in for synchronisation.
inline bool wait_until(const std::function<bool()>& ready, std::chrono::milliseconds limit = std::chrono::seconds(15)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!ready()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// A daemon process in the foreground of a fresh temp dir; the destructor stops it by its PID
// (SIGTERM, then waits for it) and removes the dir.
class LoopbackDaemon {
 public:
  LoopbackDaemon(const LoopbackDaemon&) = delete;
  LoopbackDaemon& operator=(const LoopbackDaemon&) = delete;
  ~LoopbackDaemon() {
    stop();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  uint16_t port() const noexcept { return port_; }
  const std::filesystem::path& dir() const noexcept { return dir_; }

  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 protected:
  explicit LoopbackDaemon(const char* name) {
    std::string pattern = fmt::format("/tmp/majordomo-{}-XXXXXX", name);
    dir_ = ::mkdtemp(pattern.data());
    port_ = free_loopback_port();
  }

  // Starts `argv` with stdout and stderr in <dir>/stderr.log and waits until the port accepts.
  void start(const std::vector<std::string>& argv) {
    if (!std::filesystem::exists(argv[0]))
      throw std::runtime_error(fmt::format("{} is not installed: run scripts/setup.sh", argv[0]));
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    const std::string log = (dir_ / "stderr.log").string();
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    // The test process's sockets (the fake server's listener, pooled client connections) must not
    // live on in the daemon, where they would keep connections open that a test expects closed.
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    const int failed = ::posix_spawn(&pid_, argv[0].c_str(), &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (failed != 0) throw std::runtime_error(fmt::format("cannot start {}", argv[0]));
    const bool up = wait_until([&] {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return true;  // it exited: reported below
      }
      try {
        Poco::Net::StreamSocket probe;
        probe.connect(Poco::Net::SocketAddress("127.0.0.1", port_), Poco::Timespan(1, 0));
        return true;
      } catch (const Poco::Exception&) {
        return false;
      }
    });
    if (!up || pid_ <= 0) {
      stop();
      throw std::runtime_error(fmt::format("{} did not start on port {}: {}", argv[0], port_,
                                           read_file(dir_ / "stderr.log") + read_file(dir_ / "error.log") +
                                               read_file(dir_ / "cache.log")));
    }
  }

  std::filesystem::path dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

// An htpasswd password hash (Apache MD5), which squid's basic_ncsa_auth checks.
inline std::string apr1_hash(const std::string& password) {
  const std::string command = "openssl passwd -apr1 '" + password + "'";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot run openssl passwd");
  char line[256] = {};
  const bool read = std::fgets(line, sizeof(line), pipe) != nullptr;
  if (::pclose(pipe) != 0 || !read) throw std::runtime_error("openssl passwd -apr1 failed");
  std::string hash(line);
  while (!hash.empty() && (hash.back() == '\n' || hash.back() == '\r')) hash.pop_back();
  return hash;
}

// squid as a corporate forward proxy: no cache, only loopback clients, CONNECT to any port,
// optionally Basic authentication against an htpasswd file (basic_ncsa_auth). Run as root, squid
// drops to its `proxy` user, so the dir is handed to that user.
class SquidProxy : public LoopbackDaemon {
 public:
  struct Options {
    std::string user;      // set: Basic authentication required, this user
    std::string password;
  };

  explicit SquidProxy(Options options = {}) : LoopbackDaemon("squid") {
    const std::string d = dir_.string();
    std::string auth;
    if (!options.user.empty()) {
      std::ofstream(dir_ / "htpasswd") << options.user << ':' << apr1_hash(options.password) << '\n';
      auth = fmt::format(
          "auth_param basic program /usr/lib/squid/basic_ncsa_auth {}/htpasswd\n"
          "auth_param basic children 1 startup=1 idle=1\n"
          "acl authenticated proxy_auth REQUIRED\n"
          "http_access allow localhost authenticated\n",
          d);
    } else {
      auth = "http_access allow localhost\n";
    }
    std::ofstream(dir_ / "squid.conf") << fmt::format(
        "http_port 127.0.0.1:{port}\n"
        "visible_hostname majordomo-test\n"
        "pid_filename {d}/squid.pid\n"
        "cache_log {d}/cache.log\n"
        "access_log stdio:{d}/access.log\n"
        "cache deny all\n"
        "cache_mem 8 MB\n"
        "coredump_dir {d}\n"
        "netdb_filename none\n"
        "shutdown_lifetime 0 seconds\n"
        "{auth}"
        "http_access deny all\n",
        fmt::arg("port", port_), fmt::arg("d", d), fmt::arg("auth", auth));
    if (::geteuid() == 0) {
      if (const passwd* proxy_user = ::getpwnam("proxy"); proxy_user != nullptr) {
        for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_))
          [[maybe_unused]] const int ignored = ::chown(entry.path().c_str(), proxy_user->pw_uid, proxy_user->pw_gid);
        [[maybe_unused]] const int ignored = ::chown(dir_.c_str(), proxy_user->pw_uid, proxy_user->pw_gid);
      }
    }
    start({"/usr/sbin/squid", "-N", "-f", (dir_ / "squid.conf").string()});
  }

  std::string url() const { return fmt::format("http://127.0.0.1:{}", port_); }
  // squid logs a CONNECT when its tunnel closes: close pooled connections before looking for it.
  std::string access_log() const { return read_file(dir_ / "access.log"); }
  // Waits for a line of the access log containing `text` (squid logs a transaction as it ends).
  bool logged(const std::string& text) const {
    return wait_until([&] { return access_log().find(text) != std::string::npos; });
  }
};

// nginx as an API gateway: /gateway/<provider>/ is forwarded to `upstream` with the prefix
// stripped, a header added (X-Gateway: nginx), nothing buffered (server-sent events flow).
// One process (master_process off), so its PID is the one to stop; it never changes user.
class NginxGateway : public LoopbackDaemon {
 public:
  NginxGateway(const std::string& upstream, const std::vector<std::string>& providers) : LoopbackDaemon("nginx") {
    const std::string d = dir_.string();
    std::string locations;
    for (const auto& provider : providers) {
      locations += fmt::format(
          "    location /gateway/{provider}/ {{\n"
          "      proxy_pass {upstream}/;\n"
          "      proxy_http_version 1.1;\n"
          "      proxy_set_header Connection \"\";\n"
          "      proxy_set_header X-Gateway nginx;\n"
          "      proxy_buffering off;\n"
          "      proxy_request_buffering off;\n"
          "    }}\n",
          fmt::arg("provider", provider), fmt::arg("upstream", upstream));
    }
    std::ofstream(dir_ / "nginx.conf") << fmt::format(
        "daemon off;\n"
        "master_process off;\n"
        "pid {d}/nginx.pid;\n"
        "error_log {d}/error.log warn;\n"
        "events {{ worker_connections 64; }}\n"
        "http {{\n"
        "  access_log {d}/access.log;\n"
        "  client_body_temp_path {d}/body;\n"
        "  proxy_temp_path {d}/proxy;\n"
        "  fastcgi_temp_path {d}/fastcgi;\n"
        "  uwsgi_temp_path {d}/uwsgi;\n"
        "  scgi_temp_path {d}/scgi;\n"
        "  server {{\n"
        "    listen 127.0.0.1:{port};\n"
        "{locations}"
        "  }}\n"
        "}}\n",
        fmt::arg("d", d), fmt::arg("port", port_), fmt::arg("locations", locations));
    start({"/usr/sbin/nginx", "-p", d, "-e", (dir_ / "error.log").string(), "-c", (dir_ / "nginx.conf").string()});
  }

  std::string url() const { return fmt::format("http://127.0.0.1:{}", port_); }
};

}  // namespace majordomo::testing
