// PosixSocket: getaddrinfo, non-blocking connect bounded by poll, SO_RCVTIMEO/SO_SNDTIMEO reads and writes, errno → SocketFault; SigpipeBlock.
#include "posix_socket.hpp"

#include <fmt/format.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <strings.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <string_view>
#include <ctime>
#include <utility>

namespace majordomo::sdk {
inline namespace v1 {
namespace net {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

std::string errno_text(int error) {
  char buffer[256];
  // GNU strerror_r: returns the text, which may or may not be in `buffer`.
  const char* text = strerror_r(error, buffer, sizeof(buffer));
  return text != nullptr ? std::string(text) : fmt::format("error {}", error);
}

// One resolved address, IPv4 preferred when a name has both (as Poco's SocketAddress did: many
// hosts publish an AAAA record they do not serve on).
struct Address {
  sockaddr_storage storage{};
  socklen_t length = 0;
};

[[noreturn]] void throw_resolve_error(int code, int saved_errno, const std::string& host) {
  // The texts Poco's DNS errors had, so that messages read as before.
  switch (code) {
    case EAI_NONAME: throw SocketError(SocketFault::unresolved, fmt::format("Host not found: {}", host));
#if defined(EAI_NODATA) && EAI_NODATA != EAI_NONAME
    case EAI_NODATA: throw SocketError(SocketFault::unresolved, fmt::format("No address found: {}", host));
#endif
    case EAI_AGAIN:
      throw SocketError(SocketFault::unresolved,
                        fmt::format("DNS error: Temporary DNS error while resolving: {}", host));
    case EAI_FAIL:
      throw SocketError(SocketFault::unresolved,
                        fmt::format("DNS error: Non recoverable DNS error while resolving: {}", host));
    case EAI_SYSTEM:
      throw SocketError(SocketFault::unresolved, fmt::format("DNS error: {}: {}", errno_text(saved_errno), host));
    default: break;
  }
  throw SocketError(SocketFault::unresolved, fmt::format("DNS error: {}: {}", gai_strerror(code), host));
}

Address resolve(const std::string& host, std::uint16_t port) {
  Address address;
  // An IP literal needs no resolver (nor the NSS modules glibc would load for a name).
  sockaddr_in v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    v4.sin_port = htons(port);
    std::memcpy(&address.storage, &v4, sizeof(v4));
    address.length = sizeof(v4);
    return address;
  }
  sockaddr_in6 v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(port);
    std::memcpy(&address.storage, &v6, sizeof(v6));
    address.length = sizeof(v6);
    return address;
  }
  // RFC 6761 6.4: names under .invalid never resolve, and a resolver need not be asked (so no
  // query leaves the machine for them).
  constexpr std::string_view kInvalid = ".invalid";
  std::string_view name(host);
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.size() >= kInvalid.size() &&
      strncasecmp(name.data() + name.size() - kInvalid.size(), kInvalid.data(), kInvalid.size()) == 0)
    throw SocketError(SocketFault::unresolved, fmt::format("Host not found: {}", host));
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;  // as Poco's DNS::hostByName asked
  addrinfo* found = nullptr;
  const int code = getaddrinfo(host.c_str(), nullptr, &hints, &found);
  const int saved_errno = errno;
  if (code != 0) throw_resolve_error(code, saved_errno, host);
  const addrinfo* chosen = nullptr;
  for (const addrinfo* entry = found; entry != nullptr; entry = entry->ai_next) {
    if (entry->ai_family == AF_INET) {
      chosen = entry;
      break;
    }
    if (entry->ai_family == AF_INET6 && chosen == nullptr) chosen = entry;
  }
  if (chosen == nullptr || chosen->ai_addrlen > sizeof(address.storage)) {
    freeaddrinfo(found);
    throw SocketError(SocketFault::unresolved, fmt::format("No address found: {}", host));
  }
  std::memcpy(&address.storage, chosen->ai_addr, chosen->ai_addrlen);
  address.length = chosen->ai_addrlen;
  freeaddrinfo(found);
  if (address.storage.ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in*>(&address.storage)->sin_port = htons(port);
  } else {
    reinterpret_cast<sockaddr_in6*>(&address.storage)->sin6_port = htons(port);
  }
  return address;
}

timeval to_timeval(milliseconds timeout) {
  const auto ms = std::max<milliseconds::rep>(timeout.count(), 1);
  timeval value{};
  value.tv_sec = static_cast<time_t>(ms / 1000);
  value.tv_usec = static_cast<suseconds_t>((ms % 1000) * 1000);
  return value;
}

void set_timeout_option(int fd, int option, milliseconds timeout) {
  const timeval value = to_timeval(timeout);
  if (::setsockopt(fd, SOL_SOCKET, option, &value, sizeof(value)) != 0) throw_errno(errno);
}

// Whether an EINTR still leaves time to retry within `timeout` from `start`.
bool time_left(Clock::time_point start, milliseconds timeout) { return Clock::now() - start < timeout; }

}  // namespace

SocketFault fault_of_errno(int error) noexcept {
  switch (error) {
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
    case ETIMEDOUT:
      return SocketFault::timeout;
    case ECONNREFUSED:
      return SocketFault::refused;
    case ECONNRESET:
    case ECONNABORTED:
    case EPIPE:
      return SocketFault::reset;
    default:
      return SocketFault::other;
  }
}

void throw_errno(int error) { throw SocketError(fault_of_errno(error), errno_text(error)); }

bool wait_ready(int fd, short events, int cancel_fd, milliseconds limit) {
  const Clock::time_point until = Clock::now() + limit;
  pollfd probes[2] = {{fd, events, 0}, {cancel_fd, POLLIN, 0}};
  const nfds_t count = cancel_fd >= 0 ? 2 : 1;
  for (;;) {
    const auto left = std::max(std::chrono::ceil<milliseconds>(until - Clock::now()), milliseconds(0));
    const int ready = ::poll(probes, count, static_cast<int>(std::min<milliseconds::rep>(left.count(), INT_MAX)));
    if (ready < 0 && errno != EINTR) throw_errno(errno);
    // The cancellation is looked at first: a stream that keeps sending must still stop.
    if (ready > 0 && count == 2 && probes[1].revents != 0) throw SocketError(SocketFault::cancelled, "cancelled");
    if (ready > 0) return true;
    if (ready == 0) return false;  // poll waited all that was left
  }
}

PosixSocket::PosixSocket(PosixSocket&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      receive_timeout_(other.receive_timeout_),
      send_timeout_(other.send_timeout_) {}

PosixSocket& PosixSocket::operator=(PosixSocket&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    receive_timeout_ = other.receive_timeout_;
    send_timeout_ = other.send_timeout_;
  }
  return *this;
}

int PosixSocket::release() noexcept { return std::exchange(fd_, -1); }

void PosixSocket::close() noexcept {
  // No retry on EINTR: Linux frees the descriptor even then, and a retry could close another's.
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));
}

PosixSocket PosixSocket::connect(const std::string& host, std::uint16_t port, milliseconds timeout, int cancel_fd) {
  // Counted from before the lookup: getaddrinfo takes no timeout, but the time it took comes off
  // the wait (and so off the call's deadline), and a lookup that outlasted it ends the attempt.
  const Clock::time_point deadline = Clock::now() + std::max(timeout, milliseconds(1));
  const Address address = resolve(host, port);
  if (Clock::now() >= deadline) throw SocketError(SocketFault::timeout, "connect timed out");
  PosixSocket socket(::socket(address.storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!socket.valid()) throw_errno(errno);
  // Non-blocking, so that the wait for the handshake is ours to bound; EINTR leaves the connect
  // running in the kernel, so it is waited for like EINPROGRESS.
  if (::connect(socket.fd_, reinterpret_cast<const sockaddr*>(&address.storage), address.length) != 0) {
    if (errno != EINPROGRESS && errno != EINTR) throw_errno(errno);
    const auto left = std::chrono::ceil<milliseconds>(deadline - Clock::now());
    if (left <= milliseconds(0) || !wait_ready(socket.fd_, POLLOUT, cancel_fd, left))
      throw SocketError(SocketFault::timeout, "connect timed out");
    int error = 0;
    socklen_t length = sizeof(error);
    if (::getsockopt(socket.fd_, SOL_SOCKET, SO_ERROR, &error, &length) != 0) throw_errno(errno);
    if (error != 0) throw_errno(error);
  }
  const int flags = ::fcntl(socket.fd_, F_GETFL);
  if (flags < 0 || ::fcntl(socket.fd_, F_SETFL, flags & ~O_NONBLOCK) != 0) throw_errno(errno);
  const int on = 1;
  if (::setsockopt(socket.fd_, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) != 0) throw_errno(errno);
  return socket;
}

void PosixSocket::set_receive_timeout(milliseconds timeout) {
  set_timeout_option(fd_, SO_RCVTIMEO, timeout);
  receive_timeout_ = std::max(timeout, milliseconds(1));
}

void PosixSocket::set_send_timeout(milliseconds timeout) {
  set_timeout_option(fd_, SO_SNDTIMEO, timeout);
  send_timeout_ = std::max(timeout, milliseconds(1));
}

std::size_t PosixSocket::receive(char* dst, std::size_t size) {
  const ssize_t n = ::recv(fd_, dst, size, 0);
  if (n >= 0) return static_cast<std::size_t>(n);
  const int error = errno;
  // A signal ended the wait early. Retrying here would start the whole receive timeout again; the
  // caller knows how much of its wait is left and waits only for that (PooledConnection::receive).
  if (error == EINTR) throw SocketError(SocketFault::timeout, "interrupted");
  throw_errno(error);
}

std::size_t PosixSocket::receive_now(char* dst, std::size_t size) {
  const ssize_t n = ::recv(fd_, dst, size, MSG_DONTWAIT);
  if (n >= 0) return static_cast<std::size_t>(n);
  const int error = errno;
  if (error == EAGAIN || error == EWOULDBLOCK || error == EINTR) return 0;
  throw_errno(error);
}

std::size_t PosixSocket::send(const char* bytes, std::size_t size) {
  const Clock::time_point start = Clock::now();
  for (;;) {
    const ssize_t n = ::send(fd_, bytes, size, MSG_NOSIGNAL);
    if (n > 0) return static_cast<std::size_t>(n);
    if (n == 0) throw SocketError(SocketFault::reset, "the connection closed while sending");
    const int error = errno;
    if (error == EINTR && time_left(start, send_timeout_)) continue;
    if (error == EINTR) throw SocketError(SocketFault::timeout, "Timeout");
    throw_errno(error);
  }
}

std::size_t PosixSocket::send_now(const char* bytes, std::size_t size) {
  const ssize_t n = ::send(fd_, bytes, size, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n >= 0) return static_cast<std::size_t>(n);
  const int error = errno;
  if (error == EAGAIN || error == EWOULDBLOCK || error == EINTR) return 0;
  throw_errno(error);
}

SigpipeBlock::SigpipeBlock() noexcept {
  sigemptyset(&pipe_);
  sigaddset(&pipe_, SIGPIPE);
  if (pthread_sigmask(SIG_BLOCK, &pipe_, &previous_) != 0) return;
  if (sigismember(&previous_, SIGPIPE) == 1) return;  // the mask did not change: nothing to restore
  sigset_t pending;
  sigemptyset(&pending);
  // A SIGPIPE that was pending before is not ours to swallow: unblock at once and stay out.
  if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
    return;
  }
  active_ = true;
}

SigpipeBlock::~SigpipeBlock() {
  if (!active_) return;
  sigset_t pending;
  sigemptyset(&pending);
  if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
    const timespec no_wait{0, 0};
    for (int attempt = 0; attempt < 8 && sigtimedwait(&pipe_, nullptr, &no_wait) < 0 && errno == EINTR; ++attempt) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
}

}  // namespace net
}  // namespace v1
}  // namespace majordomo::sdk
