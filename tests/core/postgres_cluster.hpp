// A throwaway PostgreSQL cluster for tests: Debian's initdb and postgres on 127.0.0.1, stopped by PID.
#pragma once

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

namespace majordomo::testing {

// Starts a private cluster in a temp dir (trust auth, user "test", fsync off) on a free loopback
// port, running postgres as a child of this process so it is stopped by its PID. initdb refuses
// to run as root, so as root both run as the "postgres" user that Debian's package creates.
class PostgresCluster {
 public:
  PostgresCluster() {
    const std::filesystem::path bin = find_bin_dir();
    resolve_user();
    char dir_template[] = "/tmp/majordomo-pg-XXXXXX";
    if (mkdtemp(dir_template) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = dir_template;
    if (as_root_ && chown(dir_.c_str(), uid_, gid_) != 0) {
      throw std::runtime_error(fmt::format("cannot hand {} to the postgres user", dir_.string()));
    }
    const std::string data = (dir_ / "data").string();
    const std::string initdb_log = (dir_ / "initdb.log").string();
    const int status = wait_for(spawn({(bin / "initdb").string(), "-D", data, "-U", "test", "-A", "trust",
                                       "--no-sync", "-E", "UTF8", "--locale=C"},
                                      initdb_log, -1));
    if (status != 0) throw std::runtime_error("initdb failed:\n" + read_file(initdb_log));
    port_ = free_port();
    bin_ = bin;
    start_server();
  }

  ~PostgresCluster() { stop(); }
  PostgresCluster(const PostgresCluster&) = delete;
  PostgresCluster& operator=(const PostgresCluster&) = delete;

  uint16_t port() const { return port_; }
  // Stops the server now (a database outage, for the tests that need one); idempotent.
  void shut_down() { stop(); }
  // An outage that ends: suspend() stops the server and keeps its data, resume() starts it again
  // on the same port (waiting until it accepts connections).
  void suspend() { stop_server(); }
  void resume() {
    if (pid_ < 0 && !dir_.empty()) start_server();
  }
  std::string target() const { return fmt::format("postgresql://test@127.0.0.1:{}/postgres", port_); }
  std::string connection() const { return fmt::format("host=127.0.0.1 port={} user=test dbname=postgres", port_); }

 private:
  void start_server() {
    const std::string data = (dir_ / "data").string();
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0) throw std::runtime_error("pipe failed");
    pid_ = spawn({(bin_ / "postgres").string(), "-D", data, "-p", std::to_string(port_), "-k", dir_.string(),
                  "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
                  "-c", "full_page_writes=off", "-c", "lc_messages=C"},
                 {}, pipe_fds[1]);
    close(pipe_fds[1]);
    log_fd_ = pipe_fds[0];
    // The server says when it accepts connections; reading its log blocks until then.
    std::string log;
    for (std::string line; read_line(line);) {
      log += line + "\n";
      if (line.find("database system is ready to accept connections") != std::string::npos) break;
    }
    if (log.find("ready to accept connections") == std::string::npos) {
      stop();
      throw std::runtime_error("postgres did not start:\n" + log);
    }
    // Keep reading so that the server never blocks on a full log pipe.
    drain_ = std::thread([this] {
      for (std::string line; read_line(line);) {
      }
    });
  }

  static std::filesystem::path find_bin_dir() {
    std::vector<std::filesystem::path> candidates;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", error)) {
      if (std::filesystem::exists(entry.path() / "bin" / "initdb")) candidates.push_back(entry.path() / "bin");
    }
    if (candidates.empty()) {
      throw std::runtime_error("no /usr/lib/postgresql/*/bin/initdb: install the postgresql package (scripts/setup.sh)");
    }
    std::sort(candidates.begin(), candidates.end(), [](const auto& a, const auto& b) {
      return std::atoi(a.parent_path().filename().c_str()) < std::atoi(b.parent_path().filename().c_str());
    });
    return candidates.back();
  }

  void resolve_user() {
    if (geteuid() != 0) return;
    const passwd* user = getpwnam("postgres");
    if (user == nullptr) throw std::runtime_error("running as root needs the postgres user (the postgresql package creates it)");
    as_root_ = true;
    uid_ = user->pw_uid;
    gid_ = user->pw_gid;
  }

  static uint16_t free_port() {
    Poco::Net::ServerSocket probe(Poco::Net::SocketAddress("127.0.0.1", 0));
    const uint16_t port = probe.address().port();
    probe.close();
    return port;
  }

  // fork + exec with only async-signal-safe calls in the child; output to a file or a pipe.
  pid_t spawn(const std::vector<std::string>& args, const std::string& log_file, int log_fd) const {
    std::vector<char*> argv;
    for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      int fd = log_fd;
      if (fd < 0) fd = open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd < 0) _exit(126);
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      // The server must not keep the test's sockets and pipes (fake servers, pooled connections)
      // open after the test closed them.
      close_range(3, ~0U, 0);
      if (as_root_ && (setgid(gid_) != 0 || setuid(uid_) != 0)) _exit(126);
      execv(argv[0], argv.data());
      _exit(127);
    }
    return pid;
  }

  static int wait_for(pid_t pid) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
      if (errno != EINTR) return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  bool read_line(std::string& line) {
    line.clear();
    char c = 0;
    for (;;) {
      const ssize_t got = read(log_fd_, &c, 1);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return !line.empty();
      if (c == '\n') return true;
      line += c;
    }
  }

  static std::string read_file(const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

  void stop_server() {
    if (pid_ > 0) {
      kill(pid_, SIGINT);  // "fast" shutdown: ends sessions, then the server exits
      wait_for(pid_);
      pid_ = -1;
    }
    if (drain_.joinable()) drain_.join();
    if (log_fd_ >= 0) {
      close(log_fd_);
      log_fd_ = -1;
    }
  }

  void stop() {
    stop_server();
    if (!dir_.empty()) {
      std::error_code error;
      std::filesystem::remove_all(dir_, error);
      dir_.clear();
    }
  }

  std::filesystem::path dir_;
  std::filesystem::path bin_;
  bool as_root_ = false;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
  int log_fd_ = -1;
  std::thread drain_;
};

}  // namespace majordomo::testing
