// PooledConnection (one keep-alive socket, plain or TLS, with its read buffer) and ConnectionPool (idle connections per origin).
#pragma once

#include "http_wire.hpp"
#include "posix_socket.hpp"
#include "tls_api.hpp"

#include <poll.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace majordomo::sdk {
inline namespace v1 {

using http::Clock;
using http::kReadBufferSize;
using http::ResponseHeader;
using http::Wait;
using net::PosixSocket;
using net::SigpipeBlock;
using net::SocketError;
using tls::SocketFault;
using tls::TlsApi;
using std::chrono::milliseconds;

// One keep-alive connection: a plain or TLS socket, its read buffer, its request head buffer.
// Outside namespace http because http.hpp forward-declares it in this namespace.
class PooledConnection {
 public:
  explicit PooledConnection(PosixSocket plain) : plain_(std::move(plain)), in_(new char[kReadBufferSize]) {}
  ~PooledConnection() { drop(); }
  PooledConnection(const PooledConnection&) = delete;
  PooledConnection& operator=(const PooledConnection&) = delete;

  std::size_t buffered() const noexcept { return end_ - begin_; }
  char* data() noexcept { return in_.get(); }
  std::size_t begin() const noexcept { return begin_; }
  std::size_t end() const noexcept { return end_; }

  // Forgets the last exchange's head and body bytes (only called once they were all consumed).
  void reset_buffer() noexcept {
    pinned_ = begin_ = end_ = 0;
    headers.clear();
  }
  // The head's bytes [0, head_end) must stay where they are while the exchange lasts.
  void pin_head(std::size_t head_end) noexcept { pinned_ = head_end; }
  void consume(std::size_t n) noexcept { begin_ += n; }

  // Moves what is unread to just after the pinned head, making room at the end.
  void compact() noexcept {
    if (begin_ == pinned_) return;
    if (end_ > begin_) std::memmove(in_.get() + pinned_, in_.get() + begin_, end_ - begin_);
    end_ = pinned_ + (end_ - begin_);
    begin_ = pinned_;
  }

  // One read of at most `most` bytes into the free end of the buffer, within `wait`; 0 at EOF.
  std::size_t fill(const Wait& wait, std::size_t most = kReadBufferSize) {
    if (begin_ == end_) begin_ = end_ = pinned_;
    if (end_ == kReadBufferSize) compact();
    const std::size_t n = receive(in_.get() + end_, std::min(most, kReadBufferSize - end_), wait);
    end_ += n;
    return n;
  }

  // (0.6) What a plain socket already received, read into the free end of the buffer without
  // waiting; 0 when nothing is there now (or at EOF, which the next waiting read meets). Over TLS
  // always 0: a record that arrived in part would make the module's read wait.
  std::size_t fill_now() {
    if (secure_ != nullptr) return 0;
    if (begin_ == end_) begin_ = end_ = pinned_;
    if (end_ == kReadBufferSize) compact();
    if (end_ == kReadBufferSize) return 0;
    const std::size_t n = plain_.receive_now(in_.get() + end_, kReadBufferSize - end_);
    end_ += n;
    return n;
  }

  // The next buffered byte (there must be one): chunk framing is read a byte at a time.
  int next_byte() noexcept { return static_cast<unsigned char>(in_[begin_++]); }

  // Copies up to `size` buffered bytes out.
  std::size_t take(char* dst, std::size_t size) noexcept {
    const std::size_t n = std::min(size, buffered());
    std::memcpy(dst, in_.get() + begin_, n);
    begin_ += n;
    return n;
  }

  // The TLS handshake on this connected (maybe tunnelled) socket, bounded by `timeout`; SNI and
  // the certificate check use `host`. From here on the module reads and writes the descriptor.
  void start_tls(const TlsApi& api, tls::TlsContext* context, const std::string& host, milliseconds timeout) {
    tls::TlsError error;
    const auto limit = static_cast<int>(std::clamp<milliseconds::rep>(timeout.count(), 1, INT_MAX));
    secure_ = api.wrap(context, plain_.release(), host, limit, error);
    if (secure_ == nullptr) throw SocketError(error.fault, error.message);
    tls = &api;
    receive_armed_ = send_armed_ = milliseconds(-1);  // the handshake left its own timeouts
  }

  // One socket read straight into `dst`, within `wait`; 0 at EOF. The socket's receive timeout is
  // changed only when its current value is longer than allowed, or so much shorter that waking up
  // for nothing would cost: alternating first_byte and idle would otherwise cost a setsockopt per
  // request. A wait cut short by a deadline (the total, the call's, the head's) shrinks with every
  // read, and arming it exactly would cost a setsockopt per read: half of it is armed instead, so
  // the timeout is re-armed only each time what is left halves. A read that ended early (that
  // half, or a signal: EINTR is reported as a timeout) is retried for what is left until
  // wait.until(), never for a fresh full timeout. No clock read unless a read ends early.
  std::size_t receive(char* dst, std::size_t size, const Wait& wait) {
    for (milliseconds left = wait.limit;;) {
      if (receive_armed_ > left || receive_armed_ * 4 < left) {
        const milliseconds armed = left < wait.phase_limit ? std::max(left / 2, milliseconds(1)) : left;
        arm(armed, milliseconds(-1));
        receive_armed_ = armed;
      }
      try {
        // (0.6) A cancellable call waits in poll, on the socket and the cancel descriptor at once;
        // bytes the TLS module holds already need no wait.
        if (wait.cancel_fd >= 0 && !(secure_ != nullptr && tls->pending(secure_) > 0) &&
            !net::wait_ready(descriptor(), POLLIN, wait.cancel_fd, left))
          throw SocketError(SocketFault::timeout, "Timeout");
        return read_once(dst, size);
      } catch (const SocketError& error) {
        if (error.fault() != SocketFault::timeout) throw;
        left = std::chrono::ceil<milliseconds>(wait.until() - Clock::now());
        if (left < milliseconds(1)) throw;
      }
    }
  }

  // Writes all of `bytes` within `wait`; records a failure so that the caller knows the request did
  // not get out. A peer that takes a few bytes just inside each send timeout must not keep us past
  // wait.until(): what is left is computed before every write, and the timeout is thrown once it is
  // spent. On plain sockets, as for reads, the timeout is armed at half of what is left when the
  // wait is cut short, so it is re-armed only each time that halves, and a write that ended on it
  // is retried for the rest. A TLS write that timed out is not resumable through the module: it
  // gets all that is left, and its timeout ends the send.
  // Plain sockets write with MSG_NOSIGNAL; for TLS the caller holds a SigpipeBlock.
  void send_all(std::string_view bytes, const Wait& wait) {
    try {
      // What a plain socket takes at once (a request into an empty send buffer, nearly always
      // all of it) goes without a clock read, a timeout armed or a poll. A send that does not
      // wait does not look at cancel_fd (the contract covers waits): a host checks its
      // cancellation before it opens a call, as ProviderStreamSource::send does.
      if (secure_ == nullptr) bytes.remove_prefix(plain_.send_now(bytes.data(), bytes.size()));
      while (!bytes.empty()) {
        const auto left = std::chrono::ceil<milliseconds>(wait.until() - Clock::now());
        if (left < milliseconds(1)) throw SocketError(SocketFault::timeout, "Timeout");
        if (send_armed_ > left || send_armed_ * 4 < left) {
          const bool halve = secure_ == nullptr && left < wait.phase_limit;
          const milliseconds armed = halve ? std::max(left / 2, milliseconds(1)) : left;
          arm(milliseconds(-1), armed);
          send_armed_ = armed;
        }
        try {
          if (wait.cancel_fd >= 0 && !net::wait_ready(descriptor(), POLLOUT, wait.cancel_fd, left))
            throw SocketError(SocketFault::timeout, "Timeout");
          bytes.remove_prefix(write_once(bytes.data(), bytes.size()));
        } catch (const SocketError& error) {
          if (error.fault() != SocketFault::timeout || secure_ != nullptr) throw;  // plain: retried if time is left
        }
      }
    } catch (...) {
      write_failed = true;
      throw;
    }
  }

  // True when something can be read without waiting: buffered bytes (ours or OpenSSL's), or a
  // readable socket (data, EOF or an error). On an idle connection any of these means the peer
  // closed it or broke the protocol, so it must not carry a request.
  bool readable_now() noexcept {
    if (buffered() > 0) return true;
    if (secure_ != nullptr && tls->pending(secure_) > 0) return true;
    pollfd probe{descriptor(), POLLIN, 0};
    if (probe.fd < 0) return true;  // a socket that cannot even be polled is no better than a closed one
    int ready = 0;
    for (int attempt = 0; attempt < 8 && (ready = ::poll(&probe, 1, 0)) < 0 && errno == EINTR; ++attempt) {
    }
    return ready != 0;  // readable, closed, failed, or cannot even be polled
  }

  // The socket's descriptor (the TLS module's once it owns it); -1 when there is none.
  int descriptor() noexcept { return secure_ != nullptr ? tls->fd(secure_) : plain_.fd(); }

  // Closes without a TLS goodbye: nothing is written, so it neither blocks nor raises SIGPIPE.
  void drop() noexcept {
    if (secure_ != nullptr) tls->abort(std::exchange(secure_, nullptr));
    plain_.close();
  }

  // Closes with a TLS goodbye (the caller blocks SIGPIPE): for idle connections the pool lets go.
  void close() noexcept {
    if (secure_ != nullptr) tls->close(std::exchange(secure_, nullptr));
    plain_.close();
  }

  const TlsApi* tls = nullptr;  // null for plain TCP
  std::string request;  // the request head (and a small body), formatted here for each request
  std::vector<ResponseHeader> headers;  // of the current exchange's response
  Clock::time_point idle_since{};
  // Set when a write to the socket failed: then the request did not get out whole, so the server
  // cannot be acting on it, and only then is resending it safe.
  bool write_failed = false;

 private:
  // Either timeout; negative: leave it.
  void arm(milliseconds receive, milliseconds send) {
    if (secure_ == nullptr) {
      if (receive.count() >= 0) plain_.set_receive_timeout(receive);
      if (send.count() >= 0) plain_.set_send_timeout(send);
      return;
    }
    const auto clamp = [](milliseconds value) {
      return static_cast<int>(std::min<milliseconds::rep>(value.count(), INT_MAX));
    };
    tls::TlsError error;
    if (!tls->set_timeouts(secure_, clamp(receive), clamp(send), error)) throw SocketError(error.fault, error.message);
  }

  std::size_t read_once(char* dst, std::size_t size) {
    if (secure_ == nullptr) return plain_.receive(dst, size);
    tls::TlsError error;
    const long n = tls->receive(secure_, dst, size, error);
    if (n < 0) throw SocketError(error.fault, error.message);
    return static_cast<std::size_t>(n);
  }

  std::size_t write_once(const char* bytes, std::size_t size) {
    if (secure_ == nullptr) return plain_.send(bytes, size);
    tls::TlsError error;
    const long n = tls->send(secure_, bytes, size, error);
    if (n <= 0) throw SocketError(error.fault, error.message);
    return static_cast<std::size_t>(n);
  }

  PosixSocket plain_;                          // the TCP socket until start_tls()
  tls::TlsSocket* secure_ = nullptr;    // after start_tls(): the module owns the descriptor
  std::unique_ptr<char[]> in_;
  std::size_t pinned_ = 0;  // [0, pinned_): the current response head, which headers point into
  std::size_t begin_ = 0;   // [begin_, end_): received and not yet consumed
  std::size_t end_ = 0;
  milliseconds receive_armed_{-1};  // the socket's timeouts as last set; -1: unknown
  milliseconds send_armed_{-1};
};

namespace http {

// Idle connections per origin. Shared by the transport and its exchanges, so an exchange that
// outlives the transport can still hand its connection back (or close it).
class ConnectionPool {
 public:
  ConnectionPool(std::size_t max_idle, milliseconds keep_alive_idle)
      : max_idle_(max_idle), keep_alive_idle_(keep_alive_idle) {}

  // The most recently used live connection to `origin`, or null.
  std::unique_ptr<PooledConnection> take(const std::string& origin) {
    std::vector<std::unique_ptr<PooledConnection>> expired;
    std::unique_ptr<PooledConnection> found;
    {
      std::lock_guard lock(mutex_);
      const auto it = idle_.find(origin);
      if (it == idle_.end() || it->second.empty()) return nullptr;
      auto& list = it->second;
      const auto now = Clock::now();
      if (now - list.back()->idle_since <= keep_alive_idle_) {
        found = std::move(list.back());
        list.pop_back();
      } else {
        expired = std::move(list);  // the newest is too old, so are all the others
        list.clear();
      }
    }
    close(expired);
    return found;
  }

  // Takes `connection` only once it is stored (or queued for closing): when this throws, the
  // caller still owns it and must close it.
  void give_back(const std::string& origin, std::unique_ptr<PooledConnection>&& connection) {
    std::vector<std::unique_ptr<PooledConnection>> evicted;
    connection->idle_since = Clock::now();
    {
      std::lock_guard lock(mutex_);
      if (closed_ || max_idle_ == 0) {
        evicted.push_back(std::move(connection));
      } else {
        auto& list = idle_[origin];
        list.push_back(std::move(connection));
        if (list.size() > max_idle_) {
          evicted.push_back(std::move(list.front()));
          list.erase(list.begin());
        }
      }
    }
    close(evicted);
  }

  void close_all() {
    std::vector<std::unique_ptr<PooledConnection>> all;
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
      for (auto& [origin, list] : idle_) {
        for (auto& connection : list) all.push_back(std::move(connection));
      }
      idle_.clear();
    }
    close(all);
  }

  std::size_t idle_count() const {
    std::lock_guard lock(mutex_);
    std::size_t count = 0;
    for (const auto& [origin, list] : idle_) count += list.size();
    return count;
  }

  std::atomic<std::size_t> opened{0};

 private:
  static void close(std::vector<std::unique_ptr<PooledConnection>>& connections) noexcept {
    if (connections.empty()) return;
    SigpipeBlock no_sigpipe;  // a TLS close writes close_notify, maybe to a reset peer
    for (auto& connection : connections) {
      connection->close();
    }
    connections.clear();
  }

  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::vector<std::unique_ptr<PooledConnection>>> idle_;
  const std::size_t max_idle_;
  const milliseconds keep_alive_idle_;
  bool closed_ = false;
};

}  // namespace http
}  // namespace v1
}  // namespace majordomo::sdk
