// HttpTransport: our own HTTP/1.1 client on POSIX sockets, a per-origin keep-alive pool, four timeouts; TLS loaded lazily.
#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/http.hpp>
#include <majordomo/sdk/sse.hpp>
#include <majordomo/sdk/str.hpp>

#include "ascii.hpp"
#include "http_target.hpp"
#include "posix_socket.hpp"
#include "tls_api.hpp"

#include <Poco/DateTime.h>
#include <Poco/DateTimeParser.h>
#include <Poco/Timestamp.h>

#include <fmt/format.h>

#include <poll.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace majordomo::sdk {
inline namespace v1 {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace detail_http {

using detail_ascii::iequals;
using detail_socket::PosixSocket;
using detail_socket::SigpipeBlock;
using detail_socket::SocketError;
using detail_tls::SocketFault;
using detail_tls::TlsApi;

// How long the next wait may take: the phase's own timeout, cut short by the total deadline.
struct Wait {
  milliseconds limit{0};
  bool total_limited = false;
};

enum class Phase { connect, send, head, body };

struct Budget {
  Clock::time_point deadline;
  milliseconds total;

  Wait wait_for(milliseconds phase_limit) const {
    const auto left = std::chrono::ceil<milliseconds>(deadline - Clock::now());
    if (left <= milliseconds(0)) {
      throw ProviderError(MJ_ERR_TIMEOUT,
                          fmt::format("exchange exceeded {} ms (total timeout)", total.count()));
    }
    if (left < phase_limit) return {left, true};
    return {std::max(phase_limit, milliseconds(1)), false};  // a 0 socket timeout means "forever"
  }
};

std::string timeout_message(Phase phase, const Wait& wait, const Budget& budget, std::string_view origin) {
  if (wait.total_limited)
    return fmt::format("exchange with {} exceeded {} ms (total timeout)", origin, budget.total.count());
  switch (phase) {
    case Phase::connect:
      return fmt::format("could not connect to {} within {} ms (connect timeout)", origin, wait.limit.count());
    case Phase::send:
      return fmt::format("could not send the request to {} within {} ms (idle timeout)", origin, wait.limit.count());
    case Phase::head:
      return fmt::format("no response head from {} within {} ms (first_byte timeout)", origin, wait.limit.count());
    case Phase::body:
      break;
  }
  return fmt::format("no response data from {} for {} ms (idle timeout)", origin, wait.limit.count());
}

// Translates a socket failure into the error kinds of the ABI. Texts name the origin, never headers.
ProviderError map_error(const SocketError& error, Phase phase, const Wait& wait, const Budget& budget,
                        const Target& target) {
  const std::string& host = target.host;
  const std::string& origin = target.origin;
  switch (error.fault()) {
    case SocketFault::timeout:
      return ProviderError(MJ_ERR_TIMEOUT, timeout_message(phase, wait, budget, origin));
    case SocketFault::tls_certificate_name:
      return ProviderError(MJ_ERR_CONNECTION,
                           fmt::format("TLS certificate verification failed for {}: {}; the certificate "
                                       "does not name this host: connect by a name it lists",
                                       host, error.what()));
    case SocketFault::tls_certificate_untrusted:
      return ProviderError(MJ_ERR_CONNECTION,
                           fmt::format("TLS certificate verification failed for {}: {}; point tls.ca_file "
                                       "at the CA that signed the server certificate",
                                       host, error.what()));
    case SocketFault::tls_closed:
    case SocketFault::tls_other:
      return ProviderError(MJ_ERR_CONNECTION,
                           fmt::format("TLS {} with {} failed: {}",
                                       phase == Phase::connect ? "handshake" : "connection", origin, error.what()));
    case SocketFault::refused:
      return ProviderError(MJ_ERR_CONNECTION, fmt::format("connection refused by {}", origin));
    case SocketFault::unresolved:
      return ProviderError(MJ_ERR_CONNECTION, fmt::format("cannot resolve host {}: {}", host, error.what()));
    case SocketFault::none:
    case SocketFault::reset:
    case SocketFault::other:
      break;
  }
  const char* doing = "connection to";
  switch (phase) {
    case Phase::connect: doing = "connecting to"; break;
    case Phase::send: doing = "sending the request to"; break;
    case Phase::head: doing = "waiting for the response head from"; break;
    case Phase::body: doing = "reading the response body from"; break;
  }
  return ProviderError(MJ_ERR_CONNECTION, fmt::format("{} {} failed: {}", doing, origin, error.what()));
}

// How writing to a connection the server already closed fails (reset, aborted, EPIPE, or a TLS
// peer gone without a goodbye). Used only for a write that failed (PooledConnection::write_failed):
// the same errors while waiting for the head come after the whole request left, and the server
// may be working on it.
bool is_stale_connection_error(const SocketError& error) {
  return error.fault() == SocketFault::reset || error.fault() == SocketFault::tls_closed;
}

[[noreturn]] void malformed_head(const Target& target, std::string_view what) {
  throw ProviderError(MJ_ERR_CONNECTION, fmt::format("malformed HTTP response from {}: {}", target.origin, what));
}

// One response header: views into the connection's read buffer, valid while the exchange lasts.
struct ResponseHeader {
  std::string_view name;
  std::string_view value;
};

// The read buffer of a connection: allocated once per connection and never zero-filled. Holds the
// response head (whose bytes stay in place while the exchange lasts, so headers are views) and
// body bytes that came with it or that were read ahead of the caller.
constexpr std::size_t kReadBufferSize = std::size_t{32} << 10;
// Longest response head accepted. Real ones are 0.5 to 2 KiB; half the buffer keeps 16 KiB free
// for body reads.
constexpr std::size_t kMaxHeadSize = kReadBufferSize / 2;
constexpr std::size_t kMaxHeaderFields = 200;
// Most bytes one read of the response head takes: the head and a small body (a typical JSON
// answer) arrive in one read; the rest of a large body is not read ahead into the connection's
// buffer (to be copied out later) but straight into the caller's memory.
constexpr std::size_t kHeadReadSize = 4096;
// A body read at least this large goes straight from the socket into the caller's memory (the
// SSE decoder's buffer, a body string) instead of through the read buffer.
constexpr std::size_t kDirectReadSize = 4096;
// A request whose head plus body fit this goes out in one send (one copy of the body); a larger
// body is sent after the head, straight from the caller's memory.
constexpr std::size_t kCoalesceLimit = std::size_t{64} << 10;

}  // namespace detail_http

using namespace detail_http;  // this file's own helpers

// One keep-alive connection: a plain or TLS socket, its read buffer, its request head buffer.
// Outside detail_http because http.hpp forward-declares it in this namespace.
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

  // One read of at most `most` bytes into the free end of the buffer, waiting at most `limit`;
  // 0 at EOF.
  std::size_t fill(milliseconds limit, std::size_t most = kReadBufferSize) {
    if (begin_ == end_) begin_ = end_ = pinned_;
    if (end_ == kReadBufferSize) compact();
    const std::size_t n = receive(in_.get() + end_, std::min(most, kReadBufferSize - end_), limit);
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
  void start_tls(const TlsApi& api, detail_tls::TlsContext* context, const std::string& host, milliseconds timeout) {
    detail_tls::TlsError error;
    const auto limit = static_cast<int>(std::clamp<milliseconds::rep>(timeout.count(), 1, INT_MAX));
    secure_ = api.wrap(context, plain_.release(), host, limit, error);
    if (secure_ == nullptr) throw SocketError(error.fault, error.message);
    tls = &api;
    receive_armed_ = send_armed_ = milliseconds(-1);  // the handshake left its own timeouts
  }

  // One socket read straight into `dst`, waiting at most `limit`; 0 at EOF. The socket's receive
  // timeout is changed only when its current value is longer than allowed, or so much shorter that
  // waking up for nothing would cost: alternating first_byte and idle would otherwise cost a
  // setsockopt per request. A read that timed out early is retried until `limit` has passed.
  std::size_t receive(char* dst, std::size_t size, milliseconds limit) {
    const Clock::time_point start = Clock::now();
    for (milliseconds left = limit;;) {
      if (receive_armed_ > left || receive_armed_ * 4 < left) {
        arm(left, milliseconds(-1));
        receive_armed_ = left;
      }
      try {
        return read_once(dst, size);
      } catch (const SocketError& error) {
        if (error.fault() != SocketFault::timeout) throw;
        left = limit - std::chrono::duration_cast<milliseconds>(Clock::now() - start);
        if (left < milliseconds(1)) throw;
      }
    }
  }

  // Writes all of `bytes`; records a failure so that the caller knows the request did not get out.
  // Plain sockets write with MSG_NOSIGNAL; for TLS the caller holds a SigpipeBlock.
  void send_all(std::string_view bytes, milliseconds limit) {
    try {
      if (send_armed_ > limit || send_armed_ * 4 < limit) {
        arm(milliseconds(-1), limit);
        send_armed_ = limit;
      }
      while (!bytes.empty()) bytes.remove_prefix(write_once(bytes.data(), bytes.size()));
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
    pollfd probe{secure_ != nullptr ? tls->fd(secure_) : plain_.fd(), POLLIN, 0};
    if (probe.fd < 0) return true;  // a socket that cannot even be polled is no better than a closed one
    int ready = 0;
    for (int attempt = 0; attempt < 8 && (ready = ::poll(&probe, 1, 0)) < 0 && errno == EINTR; ++attempt) {
    }
    return ready != 0;  // readable, closed, failed, or cannot even be polled
  }

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
    detail_tls::TlsError error;
    if (!tls->set_timeouts(secure_, clamp(receive), clamp(send), error)) throw SocketError(error.fault, error.message);
  }

  std::size_t read_once(char* dst, std::size_t size) {
    if (secure_ == nullptr) return plain_.receive(dst, size);
    detail_tls::TlsError error;
    const long n = tls->receive(secure_, dst, size, error);
    if (n < 0) throw SocketError(error.fault, error.message);
    return static_cast<std::size_t>(n);
  }

  std::size_t write_once(const char* bytes, std::size_t size) {
    if (secure_ == nullptr) return plain_.send(bytes, size);
    detail_tls::TlsError error;
    const long n = tls->send(secure_, bytes, size, error);
    if (n <= 0) throw SocketError(error.fault, error.message);
    return static_cast<std::size_t>(n);
  }

  PosixSocket plain_;                          // the TCP socket until start_tls()
  detail_tls::TlsSocket* secure_ = nullptr;    // after start_tls(): the module owns the descriptor
  std::unique_ptr<char[]> in_;
  std::size_t pinned_ = 0;  // [0, pinned_): the current response head, which headers point into
  std::size_t begin_ = 0;   // [begin_, end_): received and not yet consumed
  std::size_t end_ = 0;
  milliseconds receive_armed_{-1};  // the socket's timeouts as last set; -1: unknown
  milliseconds send_armed_{-1};
};

namespace detail_http {

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

enum class Framing { none, length, chunked, until_close };
enum class ChunkStep { size, extension, data, data_end, trailer, done };

// What the response head says about the body and the connection.
struct HeadFacts {
  int status = 0;
  Framing framing = Framing::none;
  std::uint64_t length = 0;
  bool keep_alive = true;
};

std::string_view trim(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// True when the comma-separated list `value` holds `token` (case-insensitively).
bool has_token(std::string_view value, std::string_view token) noexcept {
  while (!value.empty()) {
    const std::size_t comma = value.find(',');
    if (iequals(trim(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

// RFC 9110 tchar: the characters a header name may contain.
constexpr std::array<bool, 256> kTokenChar = [] {
  std::array<bool, 256> table{};
  for (int c = '0'; c <= '9'; ++c) table[static_cast<std::size_t>(c)] = true;
  for (int c = 'a'; c <= 'z'; ++c) table[static_cast<std::size_t>(c)] = true;
  for (int c = 'A'; c <= 'Z'; ++c) table[static_cast<std::size_t>(c)] = true;
  for (const char c : std::string_view("!#$%&'*+-.^_`|~")) table[static_cast<unsigned char>(c)] = true;
  return table;
}();

// Parses a complete head (status line, header lines, no final blank line) in place. Header views
// go to `headers`; the facts that drive framing and pooling are returned.
HeadFacts parse_head(std::string_view head, std::vector<ResponseHeader>& headers, const Target& target) {
  headers.clear();
  HeadFacts facts;
  const auto next_line = [&head]() {
    const std::size_t lf = head.find('\n');
    std::string_view line = head.substr(0, lf);
    head.remove_prefix(lf == std::string_view::npos ? head.size() : lf + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
  };
  const std::string_view status_line = next_line();
  // "HTTP/1.x NNN[ reason]"
  if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." ||
      (status_line[7] != '0' && status_line[7] != '1') || status_line[8] != ' ' ||
      (status_line.size() > 12 && status_line[12] != ' '))
    malformed_head(target, "invalid status line");
  for (std::size_t i = 9; i < 12; ++i) {
    if (status_line[i] < '0' || status_line[i] > '9') malformed_head(target, "invalid status code");
    facts.status = facts.status * 10 + (status_line[i] - '0');
  }
  const bool http10 = status_line[7] == '0';
  facts.keep_alive = !http10;

  bool has_length = false, chunked = false, has_encoding = false;
  while (!head.empty()) {
    const std::string_view line = next_line();
    if (line.empty()) continue;  // only possible for the last line
    if (line.front() == ' ' || line.front() == '\t')
      malformed_head(target, "folded header line (obsolete line folding is not accepted)");
    // The name must be an RFC 9110 token directly followed by the colon: one table look-up per
    // character finds the colon and validates the name at once.
    std::size_t colon = 0;
    while (colon < line.size() && kTokenChar[static_cast<unsigned char>(line[colon])]) ++colon;
    if (colon == line.size()) malformed_head(target, "header line without a colon");
    if (colon == 0 || line[colon] != ':') malformed_head(target, "invalid character in a header name");
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim(line.substr(colon + 1));
    if (headers.size() == kMaxHeaderFields) malformed_head(target, "too many header fields");
    headers.push_back({name, value});
    // The three names that drive framing and pooling; a first-letter test skips the rest cheaply.
    switch (detail_ascii::fold(name.front())) {
      case 'c':
        if (iequals(name, "content-length")) {
          std::uint64_t length = 0;
          const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), length);
          if (value.empty() || error != std::errc() || end != value.data() + value.size() ||
              (has_length && length != facts.length))
            malformed_head(target, "invalid Content-Length");
          facts.length = length;
          has_length = true;
        } else if (iequals(name, "connection")) {
          if (has_token(value, "close")) facts.keep_alive = false;
          else if (http10 && has_token(value, "keep-alive")) facts.keep_alive = true;
        }
        break;
      case 't':
        if (iequals(name, "transfer-encoding")) {
          has_encoding = true;
          // Chunked only when it is the last coding; any other coding ends at close (RFC 9112 6.3).
          const std::size_t comma = value.rfind(',');
          chunked = iequals(trim(comma == std::string_view::npos ? value : value.substr(comma + 1)), "chunked");
        }
        break;
      default:
        break;
    }
  }
  if (facts.status < 200 || facts.status == 204 || facts.status == 304) {
    facts.framing = Framing::none;
  } else if (has_encoding) {
    facts.framing = chunked ? Framing::chunked : Framing::until_close;
  } else if (has_length) {
    facts.framing = Framing::length;
  } else {
    facts.framing = Framing::until_close;
  }
  if (facts.framing == Framing::until_close || facts.status == 101) facts.keep_alive = false;
  return facts;
}

// Reads the response head into the connection's buffer and parses it; interim 1xx responses
// (100 Continue, 103 Early Hints) are skipped. Each read waits at most first_byte (cut by the
// total deadline); `wait` is left at the last one, for the message of a timeout.
HeadFacts receive_head(PooledConnection& connection, const Target& target, const Budget& budget,
                       milliseconds first_byte, Wait& wait) {
  connection.reset_buffer();
  std::size_t scan = 0;  // start of the first line not yet looked at
  for (;;) {
    const char* const base = connection.data();
    std::size_t head_end = 0;
    while (scan < connection.end()) {
      const void* hit = std::memchr(base + scan, '\n', connection.end() - scan);
      if (hit == nullptr) break;
      const std::size_t lf = static_cast<std::size_t>(static_cast<const char*>(hit) - base);
      const std::size_t line_begin = scan;
      const std::size_t line_size = lf - line_begin;
      scan = lf + 1;
      // The blank line that ends the head (the first line is the status line, never the end).
      if (line_begin > connection.begin() && (line_size == 0 || (line_size == 1 && base[line_begin] == '\r'))) {
        head_end = scan;
        break;
      }
    }
    // A complete head may use all of kMaxHeadSize; an incomplete one that long is too long.
    const std::size_t head_size = (head_end == 0 ? connection.end() + 1 : head_end) - connection.begin();
    if (head_size > kMaxHeadSize) malformed_head(target, fmt::format("response head larger than {} bytes", kMaxHeadSize));
    if (head_end == 0) {
      if (connection.end() == kReadBufferSize) {
        const std::size_t shift = connection.begin();
        connection.compact();
        scan -= shift;
      }
      wait = budget.wait_for(first_byte);
      const bool nothing_yet = connection.buffered() == 0;
      if (connection.fill(wait.limit, kHeadReadSize) == 0) {
        if (nothing_yet) {
          throw ProviderError(MJ_ERR_CONNECTION,
                              fmt::format("{} closed the connection without a response", target.origin));
        }
        throw ProviderError(MJ_ERR_CONNECTION,
                            fmt::format("{} closed the connection in the middle of the response head",
                                        target.origin));
      }
      continue;
    }
    const std::string_view head(base + connection.begin(), head_end - connection.begin());
    HeadFacts facts = parse_head(head, connection.headers, target);
    connection.consume(head.size());
    if (facts.status >= 100 && facts.status < 200 && facts.status != 101) {
      if (connection.buffered() == 0) connection.reset_buffer();  // the next head starts at 0
      scan = connection.begin();
      continue;
    }
    connection.pin_head(head_end);
    return facts;
  }
}

}  // namespace detail_http

using namespace detail_http;  // this file's own helpers

struct HttpTransport::Pool final : detail_http::ConnectionPool {
  using detail_http::ConnectionPool::ConnectionPool;
  ~Pool() {
    if (tls_context != nullptr) tls->release_context(tls_context);
  }
  std::once_flag tls_once;
  const TlsApi* tls = nullptr;
  detail_tls::TlsContext* tls_context = nullptr;

  // The last URL sent to and what it parsed to: a provider sends to the same few URLs again and
  // again, and parsing costs several allocations.
  std::mutex target_mutex;
  std::shared_ptr<const Target> last_target;

  std::shared_ptr<const Target> target_for(std::string_view url, std::string_view proxy) {
    {
      std::lock_guard lock(target_mutex);
      if (last_target != nullptr && last_target->url == url && last_target->proxy_spec == proxy) return last_target;
    }
    auto target = std::make_shared<const Target>(route_target(url, proxy));
    std::lock_guard lock(target_mutex);
    last_target = target;
    return target;
  }
};

struct HttpExchange::State {
  std::shared_ptr<HttpTransport::Pool> pool;
  std::unique_ptr<PooledConnection> connection;
  std::shared_ptr<const Target> target;
  int status = 0;
  Budget budget;
  milliseconds idle_timeout{0};

  Framing framing = Framing::none;
  std::uint64_t remaining = 0;  // Framing::length: body bytes still due; chunked: of this chunk
  std::uint64_t received = 0;
  ChunkStep chunk = ChunkStep::size;
  std::uint64_t chunk_size = 0;
  int chunk_digits = 0;
  std::size_t trailer_line = 0;
  bool complete = false;
  bool broken = false;
  bool reusable = false;
  bool no_wait = false;  // finish_without_waiting(): a read must not wait for the network
  Wait last_wait;

  // Bytes already buffered, else one socket read (straight into `dst` when it is large); 0 at EOF.
  std::size_t read_raw(char* dst, std::size_t size) {
    if (connection->buffered() > 0) return connection->take(dst, size);
    // 1 ms, not 0: a 0 socket timeout means "forever". It bounds the one case where a readable
    // socket still blocks: a TLS record that arrived only in part.
    last_wait = budget.wait_for(no_wait ? milliseconds(1) : idle_timeout);
    if (size >= kDirectReadSize) return connection->receive(dst, size, last_wait.limit);
    if (connection->fill(last_wait.limit) == 0) return 0;
    return connection->take(dst, size);
  }

  // The next framing byte of a chunked body, or -1 at EOF.
  int get_byte() {
    if (connection->buffered() == 0) {
      last_wait = budget.wait_for(no_wait ? milliseconds(1) : idle_timeout);
      if (connection->fill(last_wait.limit) == 0) return -1;
    }
    return connection->next_byte();
  }

  [[noreturn]] void closed_mid_body() const {
    if (framing == Framing::length) {
      throw ProviderError(MJ_ERR_CONNECTION,
                          fmt::format("{} closed the connection after {} of {} body bytes", target->origin,
                                      received, received + remaining));
    }
    throw ProviderError(MJ_ERR_CONNECTION,
                        fmt::format("{} closed the connection in the middle of the response body",
                                    target->origin));
  }
  [[noreturn]] void malformed_chunk() const {
    throw ProviderError(MJ_ERR_CONNECTION,
                        fmt::format("malformed chunked response body from {}", target->origin));
  }

  void end_of_size_line() {
    if (chunk_digits == 0) malformed_chunk();
    if (chunk_size == 0) {
      chunk = ChunkStep::trailer;
      trailer_line = 0;
    } else {
      chunk = ChunkStep::data;
      remaining = chunk_size;
    }
    chunk_size = 0;
    chunk_digits = 0;
  }

  // One framing byte of a chunked body (size line, CRLF after data, trailer).
  void chunk_byte(int c) {
    switch (chunk) {
      case ChunkStep::size: {
        int digit = -1;
        if (c >= '0' && c <= '9') digit = c - '0';
        else if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
        if (digit >= 0) {
          if (chunk_size > (std::numeric_limits<std::uint64_t>::max() >> 4)) malformed_chunk();
          chunk_size = chunk_size * 16 + static_cast<std::uint64_t>(digit);
          ++chunk_digits;
        } else if (c == ';' || c == ' ' || c == '\t') {
          chunk = ChunkStep::extension;
        } else if (c == '\n') {
          end_of_size_line();
        } else if (c != '\r') {
          malformed_chunk();
        }
        break;
      }
      case ChunkStep::extension:
        if (c == '\n') end_of_size_line();
        break;
      case ChunkStep::data_end:
        if (c == '\n') chunk = ChunkStep::size;
        else if (c != '\r') malformed_chunk();
        break;
      case ChunkStep::trailer:
        if (c == '\n') {
          if (trailer_line == 0) {
            chunk = ChunkStep::done;
            complete = true;
          }
          trailer_line = 0;
        } else if (c != '\r') {
          ++trailer_line;
        }
        break;
      case ChunkStep::data:
      case ChunkStep::done:
        break;
    }
  }

  std::size_t read_chunked(char* dst, std::size_t size) {
    std::size_t produced = 0;
    while (produced < size && !complete) {
      // Once some data is in hand, return it rather than wait for more (streams!).
      if (produced > 0 && connection->buffered() == 0) break;
      if (chunk == ChunkStep::data) {
        const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(size - produced, remaining));
        const std::size_t n = read_raw(dst + produced, want);
        if (n == 0) closed_mid_body();
        produced += n;
        remaining -= n;
        received += n;
        if (remaining == 0) chunk = ChunkStep::data_end;
      } else {
        const int c = get_byte();
        if (c < 0) closed_mid_body();
        chunk_byte(c);
      }
    }
    return produced;
  }

  std::size_t read(char* dst, std::size_t size) {
    switch (framing) {
      case Framing::none:
        complete = true;
        return 0;
      case Framing::length: {
        const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(size, remaining));
        const std::size_t n = read_raw(dst, want);
        if (n == 0) closed_mid_body();
        remaining -= n;
        received += n;
        if (remaining == 0) complete = true;
        return n;
      }
      case Framing::chunked:
        return read_chunked(dst, size);
      case Framing::until_close: {
        const std::size_t n = read_raw(dst, size);
        if (n == 0) {
          complete = true;
          return 0;
        }
        received += n;
        return n;
      }
    }
    return 0;
  }
};

HttpExchange::HttpExchange(std::unique_ptr<State> state) : state_(std::move(state)) {}

HttpExchange::~HttpExchange() {
  if (!state_ || !state_->connection) return;
  State& state = *state_;
  try {
    // Only a connection whose response was read exactly to its end may carry another request.
    if (state.complete && state.reusable && !state.broken && state.connection->buffered() == 0) {
      state.connection->reset_buffer();
      state.pool->give_back(state.target->pool_key, std::move(state.connection));
    }
  } catch (...) {  // pooling is an optimisation: on any failure the connection is just closed
  }
  // give_back leaves the pointer set when it failed and empty when it kept the connection.
  if (!state.connection) return;
  state.connection->drop();
  state.connection.reset();
}

int HttpExchange::status() const noexcept { return state_->status; }

std::string_view HttpExchange::header(std::string_view name) const {
  if (!state_->connection) return {};
  for (const ResponseHeader& header : state_->connection->headers) {
    if (iequals(header.name, name)) return header.value;
  }
  return {};
}

std::size_t HttpExchange::read_some(char* dst, std::size_t size) {
  State& state = *state_;
  if (state.complete || size == 0) return 0;
  if (state.broken) {
    throw ProviderError(MJ_ERR_CONNECTION,
                        fmt::format("the response from {} cannot be read after an earlier error",
                                    state.target->origin));
  }
  try {
    return state.read(dst, size);
  } catch (const ProviderError&) {
    state.broken = true;
    throw;
  } catch (const SocketError& error) {
    state.broken = true;
    throw map_error(error, Phase::body, state.last_wait, state.budget, *state.target);
  }
}

namespace {

// The most a body read grows its buffer by ahead of the bytes that actually arrived: a
// Content-Length is the server's claim, not a reason to allocate.
constexpr std::size_t kReadPiece = std::size_t{1} << 20;

}  // namespace

bool HttpExchange::read_up_to(std::string& out, std::size_t limit) {
  State& state = *state_;
  const std::size_t start = out.size();
  if (state.framing == Framing::length && state.remaining > 0) {
    const auto expected = std::min<std::uint64_t>({state.remaining, kReadPiece, limit});
    out.reserve(start + static_cast<std::size_t>(expected) + SseDecoder::kPadding);
  }
  bool cut = false;
  while (!state.complete) {
    const std::size_t used = out.size() - start;
    if (used >= limit) {
      cut = true;
      break;
    }
    std::size_t want = SseDecoder::kReadSize;
    if (state.framing == Framing::length)
      want = static_cast<std::size_t>(std::min<std::uint64_t>(state.remaining, kReadPiece));
    want = std::min(want, limit - used);
    const std::size_t before = out.size();
    out.resize(before + want);  // std::string grows geometrically: amortised linear copying
    std::size_t n = 0;
    try {
      n = read_some(out.data() + before, want);
    } catch (...) {
      out.resize(before);
      throw;
    }
    out.resize(before + n);
    if (n == 0) break;
  }
  // The unread rest of a cut body would be taken for the next response on this connection.
  if (cut) state.reusable = false;
  if (out.capacity() < out.size() + SseDecoder::kPadding) out.reserve(out.size() + SseDecoder::kPadding);
  return cut;
}

void HttpExchange::read_all(std::string& out, std::size_t limit) {
  State& state = *state_;
  const auto too_large = [&] {
    state.reusable = false;
    return ProviderError(MJ_ERR_PARSE, fmt::format("response body larger than {} bytes from {}", limit,
                                                   state.target->origin));
  };
  // A declared length over the limit fails before any byte is read or any memory reserved.
  if (state.framing == Framing::length && state.remaining > limit) throw too_large();
  const std::size_t start = out.size();
  // One byte more than the limit tells "exactly the limit" from "larger".
  const std::size_t probe = limit == std::numeric_limits<std::size_t>::max() ? limit : limit + 1;
  read_up_to(out, probe);
  if (out.size() - start > limit) {
    out.resize(start);
    out.shrink_to_fit();
    throw too_large();
  }
}

bool HttpExchange::finish_without_waiting() noexcept {
  State& state = *state_;
  if (state.complete || !state.connection) return state.complete;
  if (state.broken) return false;
  // A peer that keeps the socket busy forever after the end of the answer gets no more than this.
  constexpr std::size_t kMaxDrained = std::size_t{64} << 10;
  state.no_wait = true;
  try {
    char scratch[4096];
    std::size_t drained = 0;
    while (!state.complete && drained < kMaxDrained && state.connection->readable_now()) {
      const std::size_t n = read_some(scratch, sizeof(scratch));
      if (n == 0) break;
      drained += n;
    }
  } catch (...) {  // the answer is complete already; the connection is only closed, not pooled
    state.broken = true;
  }
  state.no_wait = false;
  return state.complete;
}

bool HttpExchange::body_complete() const noexcept { return state_->complete; }

TransportConfig TransportConfig::from(const mj_instance_config& config) {
  TransportConfig result;
  // A field counts only when the caller's struct is large enough to hold it.
#define MJ_CONFIG_HAS(field) \
  (config.struct_size >= offsetof(mj_instance_config, field) + sizeof(config.field))
  if (MJ_CONFIG_HAS(flags)) result.verify_tls = (config.flags & MJ_INSTANCE_TLS_NO_VERIFY) == 0;
  if (MJ_CONFIG_HAS(ca_file)) result.ca_file.assign(view(config.ca_file));
  if (MJ_CONFIG_HAS(connect_timeout_ms) && config.connect_timeout_ms > 0)
    result.connect_timeout = milliseconds(config.connect_timeout_ms);
  if (MJ_CONFIG_HAS(first_byte_timeout_ms) && config.first_byte_timeout_ms > 0)
    result.first_byte_timeout = milliseconds(config.first_byte_timeout_ms);
  if (MJ_CONFIG_HAS(idle_timeout_ms) && config.idle_timeout_ms > 0)
    result.idle_timeout = milliseconds(config.idle_timeout_ms);
  if (MJ_CONFIG_HAS(total_timeout_ms) && config.total_timeout_ms > 0)
    result.total_timeout = milliseconds(config.total_timeout_ms);
#undef MJ_CONFIG_HAS
  return result;
}

HttpTransport::HttpTransport(TransportConfig config)
    : config_(std::move(config)),
      pool_(std::make_shared<Pool>(config_.max_idle_per_origin, config_.keep_alive_idle)) {}

HttpTransport::~HttpTransport() {
  // Exchanges still open keep the pool alive; their connections are closed when they end.
  pool_->close_all();
}

std::size_t HttpTransport::connections_opened() const noexcept { return pool_->opened.load(); }

std::size_t HttpTransport::idle_connections() const { return pool_->idle_count(); }


namespace detail_http {

// The request's headers, checked once before any connection is taken.
struct HeaderPlan {
  bool has_host = false;
  bool has_type = false;
  bool has_accept = false;
};

bool is_framing_header(std::string_view name) noexcept {
  return iequals(name, "content-length") || iequals(name, "transfer-encoding");
}

HeaderPlan check_headers(std::span<const mj_header> headers) {
  HeaderPlan plan;
  for (std::size_t i = 0; i < headers.size(); ++i) {
    const std::string_view name = view(headers[i].name);
    const std::string_view value = view(headers[i].value);
    // A line break would let a value inject headers (or a second request). Neither the name nor
    // the value is quoted: either may carry a key.
    const auto bad = [](std::string_view text) {
      return std::any_of(text.begin(), text.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
    };
    if (name.empty() || bad(name) || bad(value) || name.find(':') != std::string_view::npos) {
      throw ProviderError(MJ_ERR_CONFIGURATION,
                          fmt::format("request header #{} has an empty name, a colon in its name, or a "
                                      "line break or NUL byte in its name or value",
                                      i + 1));
    }
    plan.has_host = plan.has_host || iequals(name, "host");
    plan.has_type = plan.has_type || iequals(name, "content-type");
    plan.has_accept = plan.has_accept || iequals(name, "accept");
  }
  return plan;
}

// Formats the request head into `out` (reused: no allocation once it has grown), and appends the
// body when the whole request is small enough to go out in one send; returns whether it did.
bool format_request(std::string& out, const Target& target, const HttpRequestSpec& request,
                    const HeaderPlan& plan) {
  char length[24];
  const auto length_end = std::to_chars(length, length + sizeof(length), request.body.size()).ptr;
  out.clear();
  out.append("POST ").append(target.path).append(" HTTP/1.1\r\n");
  if (!plan.has_host) out.append("Host: ").append(target.host_header).append("\r\n");
  // A plain request through a proxy carries the proxy's credentials; a tunnelled one never does
  // (the CONNECT request did, and the origin must not see them).
  if (target.proxy && !target.secure && !target.proxy->authorization.empty())
    out.append("Proxy-Authorization: ").append(target.proxy->authorization).append("\r\n");
  const std::span<const mj_header> headers = request.headers;
  for (std::size_t i = 0; i < headers.size(); ++i) {
    const std::string_view name = view(headers[i].name);
    // Framing is the transport's job: a stray length or encoding would corrupt the exchange.
    if (is_framing_header(name)) continue;
    // Exactly one line per name: a later header of the same name replaces an earlier one.
    bool replaced = false;
    for (std::size_t j = i + 1; j < headers.size() && !replaced; ++j) replaced = iequals(view(headers[j].name), name);
    if (replaced) continue;
    out.append(name).append(": ").append(view(headers[i].value)).append("\r\n");
  }
  if (!plan.has_type) out.append("Content-Type: application/json\r\n");
  if (!plan.has_accept) out.append(request.stream ? "Accept: text/event-stream\r\n" : "Accept: application/json\r\n");
  out.append("Content-Length: ").append(length, length_end).append("\r\n\r\n");
  if (out.size() + request.body.size() > kCoalesceLimit) return false;
  out.append(request.body);
  return true;
}

// Where a proxy failure sends the user: every message about a proxy ends with this.
constexpr std::string_view kProxyRemedy =
    "check the proxy setting (--proxy, ClientOptions::proxy, https_proxy/HTTPS_PROXY, http_proxy, "
    "ALL_PROXY) or exempt the host with --no-proxy/NO_PROXY";

ProviderError proxy_refused_credentials(const ProxyRoute& proxy) {
  return ProviderError(
      MJ_ERR_AUTHENTICATION,
      fmt::format("proxy {} answered 407 Proxy Authentication Required: {}; put the proxy's user name and "
                  "password in its URL (http://user:password@host:port, percent-encoding reserved characters)",
                  proxy.name, proxy.authorization.empty() ? "no credentials were given" : "it refused the credentials"),
      407);
}

// A TCP connection to the proxy. Failures name the proxy, not the origin: the origin was never
// reached, and a user reading "connection refused by api.example.com" would look in the wrong place.
PosixSocket connect_proxy(const Target& target, const Budget& budget, milliseconds connect_timeout) {
  const ProxyRoute& proxy = *target.proxy;
  const Wait wait = budget.wait_for(connect_timeout);
  try {
    return PosixSocket::connect(proxy.host, proxy.port, wait.limit);
  } catch (const SocketError& error) {
    if (error.fault() == SocketFault::timeout) {
      if (wait.total_limited)
        throw ProviderError(MJ_ERR_TIMEOUT, fmt::format("exchange with {} through proxy {} exceeded {} ms (total timeout)",
                                                        target.origin, proxy.name, budget.total.count()));
      throw ProviderError(MJ_ERR_TIMEOUT, fmt::format("could not connect to proxy {} within {} ms (connect timeout); {}",
                                                      proxy.name, wait.limit.count(), kProxyRemedy));
    }
    if (error.fault() == SocketFault::refused)
      throw ProviderError(MJ_ERR_CONNECTION, fmt::format("connection refused by proxy {}; {}", proxy.name, kProxyRemedy));
    throw ProviderError(MJ_ERR_CONNECTION, fmt::format("cannot connect to proxy {}: {}; {}", proxy.name,
                                                       error.what(), kProxyRemedy));
  }
}

// Asks the proxy for a tunnel to the origin (CONNECT host:port) on the plain connection `tunnel`.
// Anything but a 2xx answer is an error naming the proxy: 407 is MJ_ERR_AUTHENTICATION (the proxy's
// credentials, not the provider's), every other refusal MJ_ERR_CONNECTION with the proxy's status line.
void open_tunnel(PooledConnection& tunnel, const Target& target, const Budget& budget, milliseconds first_byte) {
  const ProxyRoute& proxy = *target.proxy;
  std::string& request = tunnel.request;
  const std::string authority = target.host.find(':') != std::string::npos
                                    ? fmt::format("[{}]:{}", target.host, target.port)
                                    : fmt::format("{}:{}", target.host, target.port);
  request.append("CONNECT ").append(authority).append(" HTTP/1.1\r\nHost: ").append(authority).append("\r\n");
  if (!proxy.authorization.empty()) request.append("Proxy-Authorization: ").append(proxy.authorization).append("\r\n");
  request.append("\r\n");
  Wait wait;
  HeadFacts facts;
  try {
    wait = budget.wait_for(first_byte);
    tunnel.send_all(request, wait.limit);
    facts = receive_head(tunnel, target, budget, first_byte, wait);
  } catch (const ProviderError& error) {
    throw ProviderError(error.kind(), fmt::format("proxy {} did not open a tunnel to {}: {}; {}", proxy.name,
                                                  authority, error.what(), kProxyRemedy));
  } catch (const SocketError& error) {
    if (error.fault() == SocketFault::timeout)
      throw ProviderError(MJ_ERR_TIMEOUT, fmt::format("proxy {} did not answer CONNECT {} within {} ms; {}",
                                                      proxy.name, authority, wait.limit.count(), kProxyRemedy));
    throw ProviderError(MJ_ERR_CONNECTION, fmt::format("proxy {} failed while opening a tunnel to {}: {}; {}",
                                                       proxy.name, authority, error.what(), kProxyRemedy));
  }
  if (facts.status == 407) throw proxy_refused_credentials(proxy);
  if (facts.status < 200 || facts.status >= 300) {
    throw ProviderError(MJ_ERR_CONNECTION,
                        fmt::format("proxy {} refused to open a tunnel to {} (HTTP {}); {}", proxy.name, authority,
                                    facts.status, kProxyRemedy),
                        facts.status);
  }
  // Bytes after the proxy's answer would belong to the TLS handshake, which has not begun.
  if (tunnel.buffered() > 0)
    throw ProviderError(MJ_ERR_CONNECTION, fmt::format("proxy {} sent data after its CONNECT answer", proxy.name));
}

}  // namespace detail_http

std::unique_ptr<HttpExchange> HttpTransport::send(const HttpRequestSpec& request) {
  auto state = std::make_unique<HttpExchange::State>();
  state->target = pool_->target_for(request.url, request.proxy);
  state->pool = pool_;
  state->idle_timeout = config_.idle_timeout;
  state->budget = Budget{Clock::now() + config_.total_timeout, config_.total_timeout};
  const Target& target = *state->target;
  const Budget& budget = state->budget;
  const HeaderPlan plan = check_headers(request.headers);

  const TlsApi* tls = nullptr;
  if (target.secure) {
    Pool& pool = *pool_;
    std::call_once(pool.tls_once, [&] {
      const TlsApi& api = detail_tls::tls_api();  // throws MJ_ERR_CONFIGURATION when the module is missing
      detail_tls::TlsError error;
      pool.tls_context = api.create_context(config_.ca_file, config_.verify_tls, error);
      if (pool.tls_context == nullptr) {
        throw ProviderError(MJ_ERR_CONFIGURATION,
                            fmt::format("cannot set up TLS (tls.ca_file '{}'): {}", config_.ca_file, error.message));
      }
      pool.tls = &api;
    });
    tls = pool.tls;
  }

  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<PooledConnection> connection;
    if (attempt == 0) {
      // An idle connection has nothing to say: if it is readable, the peer closed it (EOF) or sent
      // something unasked. Either way it would fail the request, maybe after the request left, so
      // it is discarded now, while that costs nothing but a new connection.
      while ((connection = pool_->take(target.pool_key)) != nullptr && connection->readable_now()) {
        connection->drop();
        connection.reset();
      }
    }
    const bool reused = connection != nullptr;
    // OpenSSL writes (handshake, request) with write(), which raises SIGPIPE on a reset peer.
    std::optional<SigpipeBlock> no_sigpipe;
    if (tls != nullptr) no_sigpipe.emplace();
    Phase phase = Phase::connect;
    Wait wait;
    try {
      if (!reused) {
        wait = budget.wait_for(config_.connect_timeout);
        if (target.proxy) {
          connection = std::make_unique<PooledConnection>(connect_proxy(target, budget, config_.connect_timeout));
          if (tls != nullptr) open_tunnel(*connection, target, budget, config_.first_byte_timeout);
        } else {
          connection = std::make_unique<PooledConnection>(PosixSocket::connect(target.host, target.port, wait.limit));
        }
        if (tls != nullptr) {
          // TLS to the origin (inside the tunnel, if any): SNI and the certificate check use its
          // name; the handshake gets a connect timeout of its own, as with Poco before.
          wait = budget.wait_for(config_.connect_timeout);
          connection->start_tls(*tls, pool_->tls_context, target.host, wait.limit);
        }
        pool_->opened.fetch_add(1);
      }
      phase = Phase::send;
      wait = budget.wait_for(config_.idle_timeout);
      const bool coalesced = format_request(connection->request, target, request, plan);
      connection->send_all(connection->request, wait.limit);
      // A body too large to copy follows the head straight from the caller's memory.
      if (!coalesced) connection->send_all(request.body, wait.limit);
      phase = Phase::head;
      const HeadFacts facts = receive_head(*connection, target, budget, config_.first_byte_timeout, wait);
      if (target.proxy && !target.secure && facts.status == 407) throw proxy_refused_credentials(*target.proxy);

      HttpExchange::State& s = *state;
      s.status = facts.status;
      s.framing = facts.framing;
      s.remaining = facts.framing == Framing::length ? facts.length : 0;
      s.complete = s.framing == Framing::none || (s.framing == Framing::length && s.remaining == 0);
      s.reusable = facts.keep_alive;
      s.connection = std::move(connection);
      return std::unique_ptr<HttpExchange>(new HttpExchange(std::move(state)));
    } catch (const ProviderError&) {
      if (connection) connection->drop();
      throw;
    } catch (const SocketError& error) {
      const bool unsent = connection && connection->write_failed;
      if (connection) connection->drop();
      connection.reset();
      // Resend only what did not get out whole: a request that was written completely may be
      // running on the server (a billable completion), even if the connection died afterwards.
      if (reused && unsent && is_stale_connection_error(error)) continue;
      throw map_error(error, phase, wait, budget, target);
    }
  }
}

int64_t retry_after_ms(const HttpExchange& exchange) {
  const auto parse_number = [](std::string_view text, double& value) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    if (text.empty()) return false;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    return error == std::errc() && end == text.data() + text.size() && std::isfinite(value) && value >= 0;
  };
  double value = 0;
  if (parse_number(exchange.header("retry-after-ms"), value)) return std::llround(value);
  const std::string_view retry_after = exchange.header("retry-after");
  if (retry_after.empty()) return -1;
  if (parse_number(retry_after, value)) return std::llround(value * 1000.0);
  Poco::DateTime when;
  int zone = 0;
  if (!Poco::DateTimeParser::tryParse(std::string(retry_after), when, zone)) return -1;
  when.makeUTC(zone);
  const Poco::Timestamp::TimeDiff micros = when.timestamp() - Poco::Timestamp();
  return micros > 0 ? micros / 1000 : 0;
}

}  // namespace v1
}  // namespace majordomo::sdk
