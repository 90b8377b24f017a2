// ConnectionThreads over loopback: connections past max_connections wait in the queue, past max_queued they are closed at once, and end_connections ends those being served.
#include "connection_threads.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <string>

using namespace majordomo;

namespace {

int connect_to(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
  return fd;
}

// What the gateway side sends next: its bytes, "" at EOF, "(nothing)" when nothing came within `wait_ms`.
std::string next_from(int fd, int wait_ms) {
  pollfd probe{fd, POLLIN, 0};
  if (::poll(&probe, 1, wait_ms) != 1) return "(nothing)";
  char bytes[64];
  const ssize_t n = ::recv(fd, bytes, sizeof bytes, 0);
  return n > 0 ? std::string(bytes, static_cast<std::size_t>(n)) : std::string();
}

}  // namespace

TEST_CASE("connection threads: past max_connections a connection waits, past max_queued it is closed at once, "
          "and end_connections ends those being served", "[gateway][threads]") {
  const int listen_fd = gateway::listen_on("127.0.0.1", 0, 16);
  const uint16_t port = gateway::bound_port(listen_fd);
  std::mutex mutex;
  std::condition_variable changed;
  int served = 0;
  int ended = 0;
  gateway::ThreadLimits limits;
  limits.max_threads = 1;
  limits.max_queued = 1;
  gateway::ConnectionThreads threads(listen_fd, limits, [&](int fd, const Poco::Net::SocketAddress&) {
    int number = 0;
    {
      const std::lock_guard lock(mutex);
      number = ++served;
    }
    const std::string hello = "served " + std::to_string(number);
    (void)::send(fd, hello.data(), hello.size(), MSG_NOSIGNAL);
    char byte = 0;
    (void)::recv(fd, &byte, 1, 0);  // until the client sends, or end_connections shuts the socket down
    const std::lock_guard lock(mutex);
    ++ended;
    changed.notify_all();
  });

  const int first = connect_to(port);
  REQUIRE(next_from(first, 10'000) == "served 1");
  const int queued = connect_to(port);
  const int refused = connect_to(port);
  // The only thread is busy and the queue holds `queued`: `refused` is closed without a byte.
  CHECK(next_from(refused, 10'000).empty());
  CHECK(next_from(queued, 300) == "(nothing)");  // waiting, not closed

  REQUIRE(::send(first, "x", 1, MSG_NOSIGNAL) == 1);  // the first connection's serve returns
  CHECK(next_from(queued, 10'000) == "served 2");
  CHECK(next_from(first, 10'000).empty());  // closed after its serve returned

  threads.stop_accepting();
  threads.end_connections();  // `queued` is being served, blocked in its read: the shutdown ends it
  threads.wait();
  CHECK(next_from(queued, 10'000).empty());
  {
    const std::lock_guard lock(mutex);
    CHECK(served == 2);
    CHECK(ended == 2);
  }
  ::close(first);
  ::close(queued);
  ::close(refused);
}
