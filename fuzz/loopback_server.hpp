// An in-process HTTP server on 127.0.0.1 for the fuzz targets: answers every connection with the current input's bytes.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace majordomo::fuzz {

// One listener for the whole fuzzing run (no port per input); a connection per input. Each
// connection: the request is read in full (head and Content-Length body, so closing sends no
// RST), the response pieces are written with one send() each, then the connection is closed.
// Every socket call is bounded by a 2 s timeout, so a client that stalls cannot stall the run.
class LoopbackServer {
 public:
  LoopbackServer() {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof address;
    if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener_, 16) != 0 || ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      std::perror("fuzz loopback server");
      std::abort();
    }
    port_ = ntohs(address.sin_port);
    // Detached: it lives as long as the fuzzing process, blocked in accept() between inputs.
    std::thread([this] { serve(); }).detach();
  }

  std::uint16_t port() const { return port_; }
  std::string url(std::string_view path = "/") const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }

  // What the next connections are answered with, piece by piece.
  void respond_with(std::vector<std::string> pieces) {
    const std::lock_guard lock(mutex_);
    pieces_ = std::move(pieces);
  }

 private:
  void serve() {
    for (;;) {
      const int connection = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (connection < 0) continue;
      timeval timeout{2, 0};
      ::setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
      ::setsockopt(connection, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
      const int on = 1;
      ::setsockopt(connection, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
      std::vector<std::string> pieces;
      {
        const std::lock_guard lock(mutex_);
        pieces = pieces_;
      }
      if (read_request(connection)) {
        for (const auto& piece : pieces) {
          if (!send_all(connection, piece)) break;
        }
      }
      ::shutdown(connection, SHUT_WR);
      ::close(connection);
    }
  }

  static bool send_all(int connection, std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t sent = ::send(connection, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (sent <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(sent));
    }
    return true;
  }

  // Reads one request: the head, then as many body bytes as its Content-Length says (at most 1 MiB).
  static bool read_request(int connection) {
    std::string request;
    char buffer[4096];
    std::size_t head_end = std::string::npos;
    std::size_t wanted = 0;
    while (request.size() < (1u << 20)) {
      if (head_end == std::string::npos) {
        head_end = request.find("\r\n\r\n");
        if (head_end != std::string::npos) {
          head_end += 4;
          wanted = head_end + content_length(std::string_view(request).substr(0, head_end));
        }
      }
      if (head_end != std::string::npos && request.size() >= wanted) return true;
      const ssize_t got = ::recv(connection, buffer, sizeof buffer, 0);
      if (got <= 0) return false;
      request.append(buffer, static_cast<std::size_t>(got));
    }
    return false;
  }

  static std::size_t content_length(std::string_view head) {
    std::string lower(head);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    const std::size_t at = lower.find("\r\ncontent-length:");
    if (at == std::string::npos) return 0;
    return std::strtoul(lower.c_str() + at + 17, nullptr, 10);
  }

  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::mutex mutex_;
  std::vector<std::string> pieces_;
};

}  // namespace majordomo::fuzz
