// ConnectionThreads: accept4 on one thread, a queue bounded by max_queued, and connection threads that end after idling.
#include "connection_threads.hpp"

#include <fmt/format.h>

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <list>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unordered_set>

namespace majordomo::gateway {

int listen_on(const std::string& host, uint16_t port, int backlog) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  const int looked_up = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &found);
  if (looked_up != 0) throw std::runtime_error(fmt::format("{}: {}", host, ::gai_strerror(looked_up)));
  std::string problem = "no address";
  int fd = -1;
  for (const addrinfo* address = found; address != nullptr && fd < 0; address = address->ai_next) {
    fd = ::socket(address->ai_family, address->ai_socktype | SOCK_CLOEXEC, address->ai_protocol);
    if (fd < 0) {
      problem = std::strerror(errno);
      continue;
    }
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, address->ai_addr, address->ai_addrlen) != 0 || ::listen(fd, backlog) != 0) {
      problem = std::strerror(errno);
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  if (fd < 0) throw std::runtime_error(problem);
  return fd;
}

uint16_t bound_port(int listen_fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getsockname(listen_fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return 0;
  if (address.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&address)->sin6_port);
  return ntohs(reinterpret_cast<const sockaddr_in*>(&address)->sin_port);
}

// Kept alive by every connection thread as well as the owner, so that a thread that has just
// said it ended may still unlock this mutex.
struct ConnectionThreads::Shared {
  struct Accepted {
    int fd;
    Poco::Net::SocketAddress peer;
  };

  int listen_fd = -1;
  ThreadLimits limits;
  Serve serve;
  std::thread acceptor;

  std::mutex mutex;
  std::condition_variable work;   // a connection queued, or stopping
  std::condition_variable ended;  // threads_ reached 0
  std::deque<Accepted> queue;
  std::unordered_set<int> open;  // fds being served, for end_connections
  std::size_t threads = 0;
  std::size_t idle = 0;
  // Every thread is joined: an ending thread joins the one that ended before it (so at most one
  // ended thread's stack waits to be freed) and wait() joins the last.
  std::list<std::thread> running;
  std::thread ended_last;
  bool stopping = false;
  bool accepting = true;

  void accept_loop(const std::shared_ptr<Shared>& self);
  void hand_over(const std::shared_ptr<Shared>& self, int fd, Poco::Net::SocketAddress peer);
  static void connection_thread(const std::shared_ptr<Shared>& self, std::list<std::thread>::iterator me);
};

void ConnectionThreads::Shared::accept_loop(const std::shared_ptr<Shared>& self) {
  uint64_t failures = 0;
  for (;;) {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    const int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&address), &length, SOCK_CLOEXEC);
    const int error = errno;
    if (fd >= 0) {
      try {
        Poco::Net::SocketAddress peer;
        try {
          peer = Poco::Net::SocketAddress(reinterpret_cast<const sockaddr*>(&address), length);
        } catch (const Poco::Exception&) {  // a family Poco does not know: served without a peer address
        }
        hand_over(self, fd, std::move(peer));
      } catch (...) {  // memory: this connection is refused, the next one may fare better
        ::close(fd);
      }
      continue;
    }
    std::unique_lock lock(mutex);
    if (!accepting) return;  // stop_accepting() shut the socket down
    // One connection's failure, or a network error accept(2) passes on and says to retry on.
    switch (error) {
      case EINTR: case ECONNABORTED: case EPROTO: case ENETDOWN: case ENOPROTOOPT: case EHOSTDOWN:
      case ENONET: case EHOSTUNREACH: case ENETUNREACH: case EPERM:
        continue;
      default:
        break;
    }
    // Out of descriptors or memory, or what else may last (EOPNOTSUPP too: accept(2) gives it
    // for a pending network error and for a socket that can never accept): pending connections
    // wait in the backlog, rather than this thread spinning on the failure or, worse, ending and
    // leaving the gateway deaf.
    if (failures++ % 100 == 0) {
      std::fprintf(stderr, "serve: accepting a connection failed (%s); retrying\n", std::strerror(error));
    }
    work.wait_for(lock, std::chrono::milliseconds(100), [this] { return !accepting; });
  }
}

void ConnectionThreads::Shared::hand_over(const std::shared_ptr<Shared>& self, int fd, Poco::Net::SocketAddress peer) {
  std::unique_lock lock(mutex);
  if (idle > queue.size()) {
    queue.push_back({fd, std::move(peer)});
    lock.unlock();
    work.notify_one();
    return;
  }
  if (threads < limits.max_threads) {
    queue.push_back({fd, std::move(peer)});
    try {
      const auto me = running.emplace(running.end());
      try {
        *me = std::thread(connection_thread, self, me);
        ++threads;
      } catch (...) {
        running.erase(me);
        throw;
      }
    } catch (...) {  // no thread to be had now: the queue waits for one, if any runs
      if (threads == 0) {  // nobody would ever take it
        queue.pop_back();
        lock.unlock();
        ::close(fd);
      }
    }
    return;
  }
  if (queue.size() < limits.max_queued) {
    queue.push_back({fd, std::move(peer)});
    return;
  }
  lock.unlock();
  ::close(fd);  // every thread busy and the queue full: refused, as the backlog would
}

void ConnectionThreads::Shared::connection_thread(const std::shared_ptr<Shared>& self,
                                                  std::list<std::thread>::iterator me) {
  Shared& shared = *self;
  for (;;) {
    Accepted next{-1, {}};
    {
      std::unique_lock lock(shared.mutex);
      ++shared.idle;
      // An idle thread beyond the kept few ends after idle_thread; a woken one takes the front.
      for (bool timed_out = false; shared.queue.empty() && !shared.stopping && !timed_out;) {
        timed_out = shared.work.wait_for(lock, shared.limits.idle_thread) == std::cv_status::timeout &&
                    shared.threads > shared.limits.kept_threads;
      }
      --shared.idle;
      if (shared.queue.empty() || shared.stopping) {
        // Joins the thread that ended before this one, and leaves itself to be joined.
        std::thread previous = std::move(shared.ended_last);
        shared.ended_last = std::move(*me);
        shared.running.erase(me);
        if (--shared.threads == 0) shared.ended.notify_all();
        lock.unlock();
        if (previous.joinable()) previous.join();
        return;
      }
      next = std::move(shared.queue.front());
      shared.queue.pop_front();
      shared.open.insert(next.fd);
    }
    try {
      shared.serve(next.fd, next.peer);
    } catch (...) {  // serve must not throw; if it did, the connection still closes
    }
    {
      const std::lock_guard lock(shared.mutex);
      shared.open.erase(next.fd);
    }
    ::close(next.fd);
  }
}

ConnectionThreads::ConnectionThreads(int listen_fd, ThreadLimits limits, Serve serve) {
  try {
    shared_ = std::make_shared<Shared>();
    shared_->listen_fd = listen_fd;
    shared_->limits = limits;
    shared_->serve = std::move(serve);
    shared_->acceptor = std::thread([shared = shared_] { shared->accept_loop(shared); });
  } catch (...) {
    ::close(listen_fd);  // owned from the call on
    throw;
  }
}

ConnectionThreads::~ConnectionThreads() {
  stop_accepting();
  end_connections();
  wait();
}

void ConnectionThreads::stop_accepting() {
  {
    const std::lock_guard lock(shared_->mutex);
    if (!shared_->accepting) return;
    shared_->accepting = false;
  }
  shared_->work.notify_all();
  // Wakes the blocked accept4 (it fails with EINVAL), after which the socket can be closed.
  ::shutdown(shared_->listen_fd, SHUT_RDWR);
  shared_->acceptor.join();
  ::close(shared_->listen_fd);
}

void ConnectionThreads::end_connections() {
  std::deque<Shared::Accepted> unserved;
  {
    const std::lock_guard lock(shared_->mutex);
    shared_->stopping = true;
    unserved.swap(shared_->queue);
    for (const int fd : shared_->open) ::shutdown(fd, SHUT_RDWR);
  }
  shared_->work.notify_all();
  for (const Shared::Accepted& accepted : unserved) ::close(accepted.fd);
}

void ConnectionThreads::wait() {
  std::thread last;
  {
    std::unique_lock lock(shared_->mutex);
    shared_->ended.wait(lock, [this] { return shared_->threads == 0; });
    last = std::move(shared_->ended_last);
  }
  if (last.joinable()) last.join();
}

}  // namespace majordomo::gateway
