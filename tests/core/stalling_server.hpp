// A loopback HTTP server that never finishes an answer (silent, SSE keep-alive comments, one chunk then silence) or always answers 503.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cerrno>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace majordomo::testing {

// What the deadline and cancellation tests need from a server that holds a call open: it accepts
// every connection and reads the request head, then either says nothing (`silent`), sends a 200
// text/event-stream head followed by ": keep-alive" comments every 100 ms (`keep_alive`), or sends
// that head and one OpenAI chunk whose text is kFirstChunk, then nothing (`first_chunk`), until
// the client goes away or the server stops; `unavailable` answers every request with a 503 and
// closes. Each connection has its own thread; stop() (also the destructor) wakes and joins them all.
// The counters can be waited for (bounded), so a test synchronises on what the server saw.
class StallingServer {
 public:
  enum class Mode { silent, keep_alive, first_chunk, unavailable };
  static constexpr std::string_view kFirstChunk = "first words";

  explicit StallingServer(Mode mode) : mode_(mode) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener_ < 0) throw std::runtime_error("StallingServer: socket() failed");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
        ::listen(listener_, 16) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      ::close(listener_);
      throw std::runtime_error("StallingServer: cannot listen on 127.0.0.1");
    }
    port_ = ntohs(address.sin_port);
    if (::pipe2(wake_, O_CLOEXEC) != 0) {
      ::close(listener_);
      throw std::runtime_error("StallingServer: pipe2() failed");
    }
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  StallingServer(const StallingServer&) = delete;
  StallingServer& operator=(const StallingServer&) = delete;
  ~StallingServer() { stop(); }

  std::string origin() const {
    std::string out = "http://127.0.0.1:";
    out += std::to_string(port_);
    return out;
  }
  // Connections accepted so far (one per attempt: nothing is ever answered, so none is reused).
  int connections() const noexcept { return connections_.load(); }
  // Request heads read so far, and connections the client closed (not the server's stop()).
  int requests() const {
    const std::lock_guard lock(mutex_);
    return requests_;
  }
  int closed_by_client() const {
    const std::lock_guard lock(mutex_);
    return closed_by_client_;
  }
  // Waits at most `limit` for `count` request heads, or for `count` connections the client closed;
  // false when the time ran out first.
  bool wait_for_requests(int count, std::chrono::milliseconds limit) const {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, limit, [&] { return requests_ >= count; });
  }
  bool wait_for_closed(int count, std::chrono::milliseconds limit) const {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, limit, [&] { return closed_by_client_ >= count; });
  }

  void stop() {
    if (stopping_.exchange(true)) return;
    const char byte = 'x';
    [[maybe_unused]] const auto written = ::write(wake_[1], &byte, 1);
    if (acceptor_.joinable()) acceptor_.join();
    std::vector<std::thread> handlers;
    {
      const std::lock_guard lock(mutex_);
      handlers.swap(handlers_);
    }
    for (auto& handler : handlers) handler.join();
    ::close(listener_);
    ::close(wake_[0]);
    ::close(wake_[1]);
  }

 private:
  // Waits for `fd` to be readable (or for stop); false when stopping or after `timeout_ms`.
  bool wait_readable(int fd, int timeout_ms) const {
    pollfd fds[2] = {{fd, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    const int ready = ::poll(fds, 2, timeout_ms);
    return ready > 0 && (fds[1].revents & POLLIN) == 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0;
  }

  void accept_loop() {
    while (!stopping_.load()) {
      if (!wait_readable(listener_, -1)) continue;  // woken by stop(): the loop condition ends it
      const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      ++connections_;
      const std::lock_guard lock(mutex_);
      handlers_.emplace_back([this, client] { serve(client); });
    }
  }

  void serve(int client) {
    // The request head (bounded: a test request is small), then the body is left unread.
    std::string head;
    char buffer[4096];
    while (head.find("\r\n\r\n") == std::string::npos && head.size() < (1u << 20)) {
      if (!wait_readable(client, -1)) break;
      const ssize_t n = ::recv(client, buffer, sizeof(buffer), 0);
      if (n <= 0) break;
      head.append(buffer, static_cast<std::size_t>(n));
    }
    count(requests_);
    if (mode_ == Mode::unavailable) {
      constexpr std::string_view unavailable =
          "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n"
          "Content-Length: 75\r\n\r\n"
          R"({"error":{"message":"busy","type":"server_error","param":null,"code":null}})";
      send_all(client, unavailable);
      ::close(client);
      return;
    }
    if (mode_ == Mode::first_chunk) {
      const std::string answer =
          "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
          "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\","
          "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + std::string(kFirstChunk) +
          "\"},\"finish_reason\":null}]}\n\n";
      send_all(client, answer);
    }
    if (mode_ == Mode::keep_alive) {
      constexpr std::string_view response_head =
          "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n";
      bool open = send_all(client, response_head);
      // One comment per 100 ms until the client closes (a failed send) or the server stops.
      while (open && !stopping_.load()) {
        if (wait_readable(client, 100)) {
          if (stopping_.load() || ::recv(client, buffer, sizeof(buffer), 0) <= 0) break;
          continue;  // more request bytes: ignored
        }
        open = send_all(client, ": keep-alive\n\n");
      }
    } else {
      // Silent: hold the connection until the client closes it or the server stops.
      while (wait_readable(client, -1)) {
        if (::recv(client, buffer, sizeof(buffer), 0) <= 0) break;
      }
    }
    if (!stopping_.load()) count(closed_by_client_);
    ::close(client);
  }

  void count(int& counter) {
    {
      const std::lock_guard lock(mutex_);
      ++counter;
    }
    changed_.notify_all();
  }

  static bool send_all(int fd, std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  Mode mode_;
  int listener_ = -1;
  int wake_[2] = {-1, -1};
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  int requests_ = 0;
  int closed_by_client_ = 0;
  std::vector<std::thread> handlers_;
  std::thread acceptor_;
};

}  // namespace majordomo::testing
