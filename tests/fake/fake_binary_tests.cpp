// Tests of the majordomo-fake binary as a child process: the listening line, the port file, signals, flags.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

extern char** environ;

namespace {

const std::string binary = std::string(MAJORDOMO_TEST_BUILD_DIR) + "/bin/majordomo-fake";

// A child with its stdout on a pipe and its stderr discarded; killed by its pid if a test fails early.
class FakeProcess {
public:
  explicit FakeProcess(std::vector<std::string> args) {
    int pipe_ends[2];
    REQUIRE(pipe(pipe_ends) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_ends[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, pipe_ends[0]);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    args.insert(args.begin(), binary);
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    const int spawned = posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(pipe_ends[1]);
    stdout_ = pipe_ends[0];
    REQUIRE(spawned == 0);
  }
  ~FakeProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (stdout_ >= 0) close(stdout_);
  }
  FakeProcess(const FakeProcess&) = delete;
  FakeProcess& operator=(const FakeProcess&) = delete;

  // Blocks until the child writes a full line (or closes stdout).
  std::string read_line() {
    std::string line;
    char c;
    while (read(stdout_, &c, 1) == 1 && c != '\n') line.push_back(c);
    return line;
  }
  std::string read_rest() {
    std::string rest;
    char buffer[256];
    for (ssize_t n; (n = read(stdout_, buffer, sizeof buffer)) > 0;) rest.append(buffer, static_cast<size_t>(n));
    return rest;
  }
  void signal(int number) { REQUIRE(kill(pid_, number) == 0); }
  int wait_exit_code() {
    int status = 0;
    REQUIRE(waitpid(pid_, &status, 0) == pid_);
    pid_ = -1;
    REQUIRE(WIFEXITED(status));
    return WEXITSTATUS(status);
  }

private:
  pid_t pid_ = -1;
  int stdout_ = -1;
};

std::string get(uint16_t port, const std::string& uri) {
  Poco::Net::HTTPClientSession session("127.0.0.1", port);
  Poco::Net::HTTPRequest request("GET", uri, Poco::Net::HTTPMessage::HTTP_1_1);
  session.sendRequest(request);
  Poco::Net::HTTPResponse response;
  std::string body;
  Poco::StreamCopier::copyToString(session.receiveResponse(response), body);
  return body;
}

}  // namespace

TEST_CASE("majordomo-fake prints one listening line, writes the port file and exits 0 on a signal", "[fake][binary]") {
  char dir_template[] = "/tmp/majordomo-fake-bin-XXXXXX";
  REQUIRE(mkdtemp(dir_template) != nullptr);
  const std::filesystem::path dir = dir_template;
  const auto port_file = dir / "port";
  const int stop_signal = GENERATE(SIGTERM, SIGINT);

  FakeProcess fake({"--port", "0", "--port-file", port_file.string(), "--fixtures", MAJORDOMO_TEST_FIXTURES});
  const std::string line = fake.read_line();
  const std::string prefix = "majordomo-fake listening on http://127.0.0.1:";
  REQUIRE(line.rfind(prefix, 0) == 0);
  const auto port = static_cast<uint16_t>(std::stoi(line.substr(prefix.size())));
  CHECK(port > 0);

  std::ifstream in(port_file);
  int port_in_file = 0;
  in >> port_in_file;
  CHECK(port_in_file == port);

  CHECK(get(port, "/_fake/health") == R"({"ok":true})");
  CHECK(get(port, "/_fake/requests") == "[]");

  fake.signal(stop_signal);
  CHECK(fake.wait_exit_code() == 0);
  CHECK(fake.read_rest().empty());  // exactly one line on stdout
  std::filesystem::remove_all(dir);
}

TEST_CASE("majordomo-fake rejects bad flags with exit code 2", "[fake][binary]") {
  const auto args = GENERATE(std::vector<std::string>{"--bogus"}, std::vector<std::string>{"--port", "70000"},
                             std::vector<std::string>{"--port"}, std::vector<std::string>{"--tls-cert", "x.pem"},
                             std::vector<std::string>{"--fixtures", "/nonexistent/fixtures"});
  FakeProcess fake(args);
  CHECK(fake.wait_exit_code() == 2);
  CHECK(fake.read_rest().empty());
}

TEST_CASE("majordomo-fake --help prints usage and exits 0", "[fake][binary]") {
  FakeProcess fake({"--help"});
  CHECK(fake.read_rest().find("Usage: majordomo-fake") != std::string::npos);
  CHECK(fake.wait_exit_code() == 0);
}
