// PosixSocket: the SDK's TCP client socket on plain POSIX calls (resolve, bounded connect, timed send/receive), so plugins need no libPocoNet; the SIGPIPE guard for TLS writes.
#pragma once

#include "tls_api.hpp"

#include <signal.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace majordomo::sdk {
inline namespace v1 {
namespace net {

using tls::SocketFault;

// A failed socket operation: what it means (fault) and the system's or TLS library's words.
class SocketError : public std::runtime_error {
 public:
  SocketError(SocketFault fault, const std::string& message) : std::runtime_error(message), fault_(fault) {}
  SocketFault fault() const noexcept { return fault_; }

 private:
  SocketFault fault_;
};

// What an errno from connect, send or recv means (EAGAIN after SO_RCVTIMEO/SO_SNDTIMEO: timeout).
SocketFault fault_of_errno(int error) noexcept;
[[noreturn]] void throw_errno(int error);

// (0.6) Waits until `fd` is ready for `events` (POLLIN or POLLOUT; an error or hang-up counts as
// ready, for the read or write to report it) or until `limit` from now has passed: true when
// ready, false when the time is up. When `cancel_fd` (>= 0) is readable first, or at once, throws
// SocketError with SocketFault::cancelled. A signal resumes the wait for what is left of it.
bool wait_ready(int fd, short events, int cancel_fd, std::chrono::milliseconds limit);

// One connected TCP socket, owned: closed by the destructor unless released. Blocking once
// connected; every wait is bounded by the timeouts set on it (the kernel's SO_RCVTIMEO and
// SO_SNDTIMEO, i.e. one system call per read as with Poco before, not a poll plus a read).
class PosixSocket {
 public:
  PosixSocket() noexcept = default;
  explicit PosixSocket(int fd) noexcept : fd_(fd) {}
  ~PosixSocket() { close(); }
  PosixSocket(PosixSocket&& other) noexcept;
  PosixSocket& operator=(PosixSocket&& other) noexcept;
  PosixSocket(const PosixSocket&) = delete;
  PosixSocket& operator=(const PosixSocket&) = delete;

  // Resolves `host` (an IP literal without DNS; a name through getaddrinfo, IPv4 preferred as
  // Poco did) and connects, waiting at most `timeout`; TCP_NODELAY is set (head and body leave in
  // one segment, and Nagle would hold a second send back). Throws SocketError: timeout, refused,
  // unresolved ("Host not found: <host>"…), or the connect's errno; cancelled once `cancel_fd`
  // (>= 0) is readable while the handshake is waited for (0.6; the name lookup is not watched).
  static PosixSocket connect(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout,
                             int cancel_fd = -1);

  // Both ≥ 1 ms (0 would mean "forever" to the kernel).
  void set_receive_timeout(std::chrono::milliseconds timeout);
  void set_send_timeout(std::chrono::milliseconds timeout);

  // One recv of at most `size` bytes: the count, 0 at EOF. Throws SocketError: timeout once the
  // receive timeout passed, and also when a signal interrupted the wait (EINTR), so that the
  // caller resumes with what is left of its own budget rather than a fresh timeout.
  std::size_t receive(char* dst, std::size_t size);
  // (0.6) One recv that never waits: the count of bytes the socket already held, 0 when it held
  // none (EOF included: the next waiting receive meets it). Throws SocketError on a failure.
  std::size_t receive_now(char* dst, std::size_t size);
  // One send (MSG_NOSIGNAL: a reset peer is an error, not SIGPIPE) of at most `size` bytes: the
  // count, > 0. Throws SocketError.
  std::size_t send(const char* bytes, std::size_t size);
  // One send that never waits: what the socket took at once, 0 when it took nothing (its buffer
  // full, or a signal). Throws SocketError on a failure.
  std::size_t send_now(const char* bytes, std::size_t size);

  int fd() const noexcept { return fd_; }
  bool valid() const noexcept { return fd_ >= 0; }
  // Gives up ownership (to the TLS module).
  int release() noexcept;
  void close() noexcept;

 private:
  int fd_ = -1;
  std::chrono::milliseconds receive_timeout_{0};
  std::chrono::milliseconds send_timeout_{0};
};

// Writing to a socket the peer reset raises SIGPIPE, which would kill the host process. Plain
// sockets are written with MSG_NOSIGNAL; OpenSSL writes with write(), so TLS writes (and the TLS
// goodbye sent when a pooled connection is closed) run under this guard. It blocks SIGPIPE in
// this thread and swallows one raised meanwhile, leaving the process's disposition alone. When the
// signal is already blocked in the thread, the guard costs one system call. No thread_local
// caches this: a plugin is unloadable, and a dlclose'd library's thread-local block is left
// dangling in every thread's TLS vector (LeakSanitizer faults scanning it at exit).
class SigpipeBlock {
 public:
  SigpipeBlock() noexcept;
  ~SigpipeBlock();
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

 private:
  sigset_t pipe_{};
  sigset_t previous_{};
  bool active_ = false;
};

}  // namespace net
}  // namespace v1
}  // namespace majordomo::sdk
