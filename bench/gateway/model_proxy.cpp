// A model of a proxy's threading, for measurement only: the same HTTP/1.1 forwarding under three designs (a thread per connection, one event loop, a loop plus workers).
//
// Build: g++ -std=c++20 -O2 -pthread -o model_proxy model_proxy.cpp
// Run:   model_proxy threads|loop|loop+workers LISTEN_PORT UPSTREAM_PORT [WORK_ITERATIONS]
// Each client connection gets its own keep-alive upstream connection. A request is forwarded
// once its head and Content-Length body are in; an answer once its head and body are in. Every
// request costs WORK_ITERATIONS turns of a busy loop, standing in for the gateway's own work
// (parsing, routing, encoding). Bodies and heads are small (a few KiB): no chunked framing, no
// bounds beyond 1 MiB per message. Not a server: it exits on the first broken exchange.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

namespace {

uint16_t upstream_port = 0;
long work_iterations = 0;

[[noreturn]] void fail(const char* what) {
  std::perror(what);
  std::_Exit(2);
}

void no_delay(int fd) {
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

int connect_upstream() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(upstream_port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) fail("connect upstream");
  no_delay(fd);
  return fd;
}

// True once `bytes` holds a whole message (head and Content-Length body); `size` is its length.
bool whole_message(const std::string& bytes, std::size_t& size) {
  const std::size_t head_end = bytes.find("\r\n\r\n");
  if (head_end == std::string::npos) {
    if (bytes.size() > (1u << 20)) fail("head over 1 MiB");
    return false;
  }
  std::size_t length = 0;
  const std::string head = bytes.substr(0, head_end);
  for (std::size_t line = 0; line < head.size();) {
    const std::size_t end = std::min(head.find("\r\n", line), head.size());
    if (end - line > 15 && ::strncasecmp(head.c_str() + line, "content-length:", 15) == 0) {
      length = std::strtoul(head.c_str() + line + 15, nullptr, 10);
    }
    line = end + 2;
  }
  if (length > (1u << 20)) fail("body over 1 MiB");
  size = head_end + 4 + length;
  return bytes.size() >= size;
}

void work() {
  volatile long sink = 0;
  for (long i = 0; i < work_iterations; ++i) sink = sink + i;
}

void send_whole(int fd, const char* bytes, std::size_t size) {
  while (size > 0) {
    const ssize_t sent = ::send(fd, bytes, size, MSG_NOSIGNAL);
    if (sent <= 0) fail("send");
    bytes += sent;
    size -= static_cast<std::size_t>(sent);
  }
}

// Waits for the upstream's whole answer (poll, then read: what the gateway's HTTP client does)
// and relays it.
void relay_answer(int upstream, int client, std::string& answer) {
  char buffer[16384];
  std::size_t size = 0;
  answer.clear();
  while (!whole_message(answer, size)) {
    pollfd ready{upstream, POLLIN, 0};
    if (::poll(&ready, 1, 60'000) != 1) fail("upstream silent");
    const ssize_t n = ::recv(upstream, buffer, sizeof buffer, 0);
    if (n <= 0) fail("upstream closed");
    answer.append(buffer, static_cast<std::size_t>(n));
  }
  send_whole(client, answer.data(), size);
}

// ---- threads: one blocking thread per connection ----
void serve_blocking(int client) {
  const int upstream = connect_upstream();
  std::string request, answer;
  char buffer[16384];
  for (;;) {
    std::size_t size = 0;
    while (!whole_message(request, size)) {
      const ssize_t n = ::recv(client, buffer, sizeof buffer, 0);
      if (n <= 0) {
        ::close(client);
        ::close(upstream);
        return;
      }
      request.append(buffer, static_cast<std::size_t>(n));
    }
    work();
    send_whole(upstream, request.data(), size);
    request.erase(0, size);
    relay_answer(upstream, client, answer);
  }
}

// ---- loop: one thread, every socket non-blocking in one epoll set ----
struct LoopConnection {
  int client = -1;
  int upstream = -1;
  std::string request, answer;
};

void run_loop(int listener) {
  const int epoll = ::epoll_create1(0);
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = 0;
  ::epoll_ctl(epoll, EPOLL_CTL_ADD, listener, &event);
  epoll_event ready[256];
  char buffer[16384];
  for (;;) {
    const int count = ::epoll_wait(epoll, ready, 256, -1);
    std::deque<LoopConnection*> ended;  // freed after the batch: a later event may name them
    for (int i = 0; i < count; ++i) {
      if (ready[i].data.u64 == 0) {
        const int client = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK);
        if (client < 0) continue;
        no_delay(client);
        auto* connection = new LoopConnection{client, connect_upstream(), {}, {}};
        epoll_event watch{};
        watch.events = EPOLLIN;
        watch.data.u64 = reinterpret_cast<uint64_t>(connection) << 1;
        ::epoll_ctl(epoll, EPOLL_CTL_ADD, client, &watch);
        watch.data.u64 |= 1;
        ::epoll_ctl(epoll, EPOLL_CTL_ADD, connection->upstream, &watch);
        continue;
      }
      auto* connection = reinterpret_cast<LoopConnection*>(ready[i].data.u64 >> 1);
      if (connection->client < 0) continue;  // ended earlier in this batch
      const bool from_upstream = (ready[i].data.u64 & 1) != 0;
      const int from = from_upstream ? connection->upstream : connection->client;
      const ssize_t n = ::recv(from, buffer, sizeof buffer, MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) continue;
      if (n <= 0) {
        if (from_upstream) fail("upstream closed");
        ::close(connection->client);
        ::close(connection->upstream);
        connection->client = -1;
        ended.push_back(connection);
        continue;
      }
      std::string& bytes = from_upstream ? connection->answer : connection->request;
      bytes.append(buffer, static_cast<std::size_t>(n));
      std::size_t size = 0;
      if (!whole_message(bytes, size)) continue;
      if (!from_upstream) work();
      send_whole(from_upstream ? connection->client : connection->upstream, bytes.data(), size);
      bytes.erase(0, size);
    }
    for (LoopConnection* connection : ended) delete connection;
  }
}

// ---- loop+workers: the loop reads clients, a worker pool runs each exchange blocking ----
struct Handoff {
  int client = -1;
  int upstream = -1;
  std::string request, answer;
};
std::mutex queue_mutex;
std::condition_variable queue_ready;
std::deque<Handoff*> queue;
int workers_epoll = -1;

void worker() {
  char buffer[16384];
  for (;;) {
    Handoff* connection = nullptr;
    {
      std::unique_lock lock(queue_mutex);
      queue_ready.wait(lock, [] { return !queue.empty(); });
      connection = queue.front();
      queue.pop_front();
    }
    bool closed = false;
    for (;;) {
      const ssize_t n = ::recv(connection->client, buffer, sizeof buffer, MSG_DONTWAIT);
      if (n > 0) {
        connection->request.append(buffer, static_cast<std::size_t>(n));
        continue;
      }
      closed = n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
      break;
    }
    if (closed) {
      ::close(connection->client);
      ::close(connection->upstream);
      delete connection;
      continue;
    }
    std::size_t size = 0;
    if (whole_message(connection->request, size)) {
      work();
      send_whole(connection->upstream, connection->request.data(), size);
      connection->request.erase(0, size);
      relay_answer(connection->upstream, connection->client, connection->answer);
    }
    epoll_event watch{};
    watch.events = EPOLLIN | EPOLLONESHOT;
    watch.data.ptr = connection;
    ::epoll_ctl(workers_epoll, EPOLL_CTL_MOD, connection->client, &watch);
  }
}

void run_loop_with_workers(int listener) {
  workers_epoll = ::epoll_create1(0);
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.ptr = nullptr;
  ::epoll_ctl(workers_epoll, EPOLL_CTL_ADD, listener, &event);
  for (int i = 0; i < 64; ++i) std::thread(worker).detach();
  epoll_event ready[256];
  for (;;) {
    const int count = ::epoll_wait(workers_epoll, ready, 256, -1);
    for (int i = 0; i < count; ++i) {
      if (ready[i].data.ptr == nullptr) {
        const int client = ::accept4(listener, nullptr, nullptr, 0);
        if (client < 0) continue;
        no_delay(client);
        auto* connection = new Handoff{client, connect_upstream(), {}, {}};
        epoll_event watch{};
        watch.events = EPOLLIN | EPOLLONESHOT;
        watch.data.ptr = connection;
        ::epoll_ctl(workers_epoll, EPOLL_CTL_ADD, client, &watch);
        continue;
      }
      {
        const std::lock_guard lock(queue_mutex);
        queue.push_back(static_cast<Handoff*>(ready[i].data.ptr));
      }
      queue_ready.notify_one();
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: model_proxy threads|loop|loop+workers LISTEN_PORT UPSTREAM_PORT [WORK_ITERATIONS]\n");
    return 2;
  }
  const std::string design = argv[1];
  upstream_port = static_cast<uint16_t>(std::atoi(argv[3]));
  work_iterations = argc > 4 ? std::atol(argv[4]) : 0;
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  const int one = 1;
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(std::atoi(argv[2])));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listener, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) fail("bind");
  if (::listen(listener, 512) != 0) fail("listen");
  if (design == "loop") run_loop(listener);
  if (design == "loop+workers") run_loop_with_workers(listener);
  if (design != "threads") {
    std::fprintf(stderr, "model_proxy: unknown design '%s'\n", design.c_str());
    return 2;
  }
  for (;;) {
    const int client = ::accept(listener, nullptr, nullptr);
    if (client < 0) continue;
    no_delay(client);
    std::thread(serve_blocking, client).detach();
  }
}
