// ConnectionThreads: the gateway's listening socket, its accepting thread, and one thread per connection up to a bound.
#pragma once

#include <Poco/Net/SocketAddress.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace majordomo::gateway {

struct ThreadLimits {
  std::size_t max_threads = 1024;  // connections served at once
  std::size_t max_queued = 256;    // accepted connections waiting for a thread; beyond, closed at once
  std::chrono::seconds idle_thread{60};
  std::size_t kept_threads = 4;    // idle threads kept however long they idle
};

// Binds and listens on host:port (a name, IPv4 or IPv6 address; port 0 picks one); throws
// std::runtime_error naming the address and the system's reason. The socket is close-on-exec.
int listen_on(const std::string& host, uint16_t port, int backlog);
// The port a listening socket is bound to.
uint16_t bound_port(int listen_fd);

// Accepts connections on a listening socket it then owns, and runs `serve` for each on a thread
// of its own. Obligations:
//  - `serve(fd, peer)` is called once per connection, on a connection thread; it must not close
//    fd (this class does, after it returned, so that end_connections never reaches a number
//    already reused) and must not throw;
//  - stop_accepting(), end_connections() and wait() may be called from any one other thread, in
//    that order; the destructor does all three.
class ConnectionThreads {
 public:
  using Serve = std::function<void(int fd, const Poco::Net::SocketAddress& peer)>;
  ConnectionThreads(int listen_fd, ThreadLimits limits, Serve serve);
  ~ConnectionThreads();
  ConnectionThreads(const ConnectionThreads&) = delete;
  ConnectionThreads& operator=(const ConnectionThreads&) = delete;

  // New connections are refused from now on (the listening socket is closed). Idempotent.
  void stop_accepting();
  // Every open connection is shut down, so its reads and writes end at once; connections still
  // queued are closed unserved.
  void end_connections();
  // Returns when every connection thread has ended.
  void wait();

 private:
  struct Shared;
  std::shared_ptr<Shared> shared_;
};

}  // namespace majordomo::gateway
