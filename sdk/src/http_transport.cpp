// HttpTransport: Poco HTTP(S) sessions in a per-origin keep-alive pool, own body framing, four timeouts.
#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/http.hpp>
#include <majordomo/sdk/sse.hpp>
#include <majordomo/sdk/str.hpp>

#include "ascii.hpp"

#include <Poco/DateTime.h>
#include <Poco/DateTimeParser.h>
#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Timespan.h>
#include <Poco/Timestamp.h>

#include <fmt/format.h>

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <limits>
#include <ostream>
#include <string>
#include <unordered_map>
#include <utility>

namespace majordomo::sdk {
inline namespace v1 {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// One keep-alive connection. The session subclass below exposes Poco's buffered reads (so the
// transport does its own body framing and sees truncation) and disables Poco's hidden reconnect.
class PooledConnection {
 public:
  virtual ~PooledConnection() = default;
  virtual Poco::Net::HTTPClientSession& session() noexcept = 0;
  virtual void open() = 0;                                       // TCP connect and TLS handshake
  virtual int read_body(char* dst, std::streamsize size) = 0;    // buffered bytes or one recv
  virtual int get_byte() = 0;                                    // next byte or EOF
  virtual int buffered_bytes() const = 0;
  virtual void drop() noexcept = 0;                              // close without a TLS goodbye

  // True when something can be read without waiting: bytes in Poco's buffer or OpenSSL's, or a
  // readable socket (data, EOF or an error). On an idle connection any of these means the peer
  // closed it or broke the protocol, so it must not carry a request.
  bool readable_now() noexcept {
    try {
      if (buffered_bytes() > 0) return true;
      Poco::Net::StreamSocket& socket = session().socket();
      return socket.available() > 0 || socket.poll(Poco::Timespan(0), Poco::Net::Socket::SELECT_READ);
    } catch (...) {  // a socket that cannot even be polled is no better than a closed one
      return true;
    }
  }

  void arm_receive(milliseconds timeout) {
    if (timeout == receive_armed_) return;  // setsockopt only when the value changes
    session().socket().setReceiveTimeout(Poco::Timespan(timeout.count() * 1000));
    receive_armed_ = timeout;
  }
  void arm_send(milliseconds timeout) {
    if (timeout == send_armed_) return;
    session().socket().setSendTimeout(Poco::Timespan(timeout.count() * 1000));
    send_armed_ = timeout;
  }

  Clock::time_point idle_since{};
  // Set when a write to the socket failed: then the request did not get out whole, so the server
  // cannot be acting on it, and only then is resending it safe.
  bool write_failed = false;

 private:
  milliseconds receive_armed_{-1};
  milliseconds send_armed_{-1};
};

namespace detail_http {

template <class Session>
class SessionConnection final : public PooledConnection, public Session {
 public:
  template <class... Args>
  explicit SessionConnection(Args&&... args) : Session(std::forward<Args>(args)...) {}

  Poco::Net::HTTPClientSession& session() noexcept override { return *this; }
  void open() override { this->reconnect(); }
  int read_body(char* dst, std::streamsize size) override { return Session::read(dst, size); }
  int get_byte() override { return this->get(); }
  int buffered_bytes() const override { return this->buffered(); }
  void drop() noexcept override {
    try {
      Session::abort();
    } catch (...) {  // the connection is being thrown away; nothing useful to report
    }
  }

 protected:
  // HTTPClientSession::write silently reconnects and resends on a failed first write; the
  // transport decides about retries itself (and counts connections), so write directly.
  // Poco rethrows a failed head write later, from receiveResponse (the head is flushed in a
  // destructor that swallows the error): recording the failure here is the only reliable signal.
  int write(const char* data, std::streamsize size) override {
    try {
      return Poco::Net::HTTPSession::write(data, size);
    } catch (...) {
      write_failed = true;
      throw;
    }
  }
};

// Writing to a socket the peer reset raises SIGPIPE, which would kill the host process (Poco does
// not pass MSG_NOSIGNAL, OpenSSL writes with write()). Blocks it in this thread and swallows one
// raised meanwhile, leaving the process's signal disposition alone.
class SigpipeBlock {
 public:
  SigpipeBlock() noexcept {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigemptyset(&pending);
    if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) return;  // not ours
    active_ = pthread_sigmask(SIG_BLOCK, &pipe_, &previous_) == 0 &&
              sigismember(&previous_, SIGPIPE) == 0;
  }
  ~SigpipeBlock() {
    if (!active_) return;
    sigset_t pending;
    sigemptyset(&pending);
    if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
      const timespec no_wait{0, 0};
      while (sigtimedwait(&pipe_, nullptr, &no_wait) < 0 && errno == EINTR) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

 private:
  sigset_t pipe_{};
  sigset_t previous_{};
  bool active_ = false;
};

using detail_ascii::iequals;

struct Target {
  bool secure = false;
  std::string host;       // without brackets, for DNS
  std::uint16_t port = 0;
  std::string authority;  // as written in the URL: the default Host value
  std::string path;       // request target: path and query
  std::string origin;     // scheme://host:port, the pool key and the name used in messages
};

[[noreturn]] void bad_url(std::string_view reason) {
  // The URL itself is not quoted: its query may carry a key.
  throw ProviderError(MJ_ERR_CONFIGURATION, fmt::format("malformed URL: {}", reason));
}

Target parse_url(std::string_view url) {
  Target target;
  std::size_t at = 0;
  if (url.size() >= 7 && iequals(url.substr(0, 7), "http://")) {
    at = 7;
  } else if (url.size() >= 8 && iequals(url.substr(0, 8), "https://")) {
    at = 8;
    target.secure = true;
  } else {
    bad_url("only http:// and https:// URLs are supported");
  }
  const std::size_t authority_end = std::min(url.find_first_of("/?#", at), url.size());
  const std::string_view authority = url.substr(at, authority_end - at);
  if (authority.find('@') != std::string_view::npos) bad_url("credentials in the URL are not supported");
  if (authority.empty()) bad_url("the host is missing");
  std::string_view host = authority;
  std::string_view port;
  if (authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) bad_url("unterminated IPv6 address");
    host = authority.substr(1, close - 1);
    const std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') bad_url("unexpected text after the IPv6 address");
      port = rest.substr(1);
    }
  } else if (const std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) bad_url("the host is missing");
  for (const char c : host) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) bad_url("the host contains a space or control character");
  }
  target.port = target.secure ? 443 : 80;
  if (!port.empty()) {
    unsigned value = 0;
    const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (error != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535)
      bad_url("the port is not a number between 1 and 65535");
    target.port = static_cast<std::uint16_t>(value);
  }
  target.host.assign(host);
  target.authority.assign(authority);

  std::string_view rest = url.substr(authority_end);
  if (const std::size_t hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  for (const char c : rest) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) bad_url("the path contains a space or control character");
  }
  if (rest.empty() || rest.front() != '/') target.path.push_back('/');
  target.path.append(rest);

  std::string lower_host(host);
  for (char& c : lower_host) c = detail_ascii::fold(c);
  target.origin = fmt::format("{}://{}:{}", target.secure ? "https" : "http", lower_host, target.port);
  return target;
}

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

// Translates a Poco failure into the error kinds of the ABI. Texts name the origin, never headers.
ProviderError map_error(const Poco::Exception& error, Phase phase, const Wait& wait,
                        const Budget& budget, const std::string& host, std::string_view origin) {
  const std::string detail = error.displayText();
  if (dynamic_cast<const Poco::TimeoutException*>(&error) != nullptr)
    return ProviderError(MJ_ERR_TIMEOUT, timeout_message(phase, wait, budget, origin));
  if (dynamic_cast<const Poco::Net::CertificateValidationException*>(&error) != nullptr) {
    return ProviderError(MJ_ERR_CONNECTION,
                         fmt::format("TLS certificate verification failed for {}: {}; the certificate "
                                     "does not name this host: connect by a name it lists",
                                     host, detail));
  }
  if (dynamic_cast<const Poco::Net::SSLException*>(&error) != nullptr) {
    if (detail.find("certificate verify failed") != std::string::npos) {
      return ProviderError(MJ_ERR_CONNECTION,
                           fmt::format("TLS certificate verification failed for {}: {}; point tls.ca_file "
                                       "at the CA that signed the server certificate",
                                       host, detail));
    }
    return ProviderError(MJ_ERR_CONNECTION,
                         fmt::format("TLS {} with {} failed: {}",
                                     phase == Phase::connect ? "handshake" : "connection", origin, detail));
  }
  if (dynamic_cast<const Poco::Net::ConnectionRefusedException*>(&error) != nullptr)
    return ProviderError(MJ_ERR_CONNECTION, fmt::format("connection refused by {}", origin));
  if (dynamic_cast<const Poco::Net::DNSException*>(&error) != nullptr)
    return ProviderError(MJ_ERR_CONNECTION, fmt::format("cannot resolve host {}: {}", host, detail));
  if (dynamic_cast<const Poco::Net::NoMessageException*>(&error) != nullptr)
    return ProviderError(MJ_ERR_CONNECTION, fmt::format("{} closed the connection without a response", origin));
  if (dynamic_cast<const Poco::Net::MessageException*>(&error) != nullptr)
    return ProviderError(MJ_ERR_CONNECTION, fmt::format("malformed HTTP response from {}: {}", origin, detail));
  const char* doing = "connection to";
  switch (phase) {
    case Phase::connect: doing = "connecting to"; break;
    case Phase::send: doing = "sending the request to"; break;
    case Phase::head: doing = "waiting for the response head from"; break;
    case Phase::body: doing = "reading the response body from"; break;
  }
  return ProviderError(MJ_ERR_CONNECTION, fmt::format("{} {} failed: {}", doing, origin, detail));
}

// How writing to a connection the server already closed fails. Used only for a write that failed
// (PooledConnection::write_failed): the same errors while waiting for the head come after the
// whole request left, and the server may be working on it.
bool is_stale_connection_error(const Poco::Exception& error) {
  if (dynamic_cast<const Poco::Net::NoMessageException*>(&error) != nullptr) return true;
  if (dynamic_cast<const Poco::Net::ConnectionResetException*>(&error) != nullptr) return true;
  if (dynamic_cast<const Poco::Net::ConnectionAbortedException*>(&error) != nullptr) return true;
  if (dynamic_cast<const Poco::Net::SSLConnectionUnexpectedlyClosedException*>(&error) != nullptr) return true;
  if (dynamic_cast<const Poco::IOException*>(&error) != nullptr && error.code() == EPIPE) return true;
  return false;
}

std::once_flag ssl_initialized;

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

std::unique_ptr<PooledConnection> new_connection(const Target& target, const Poco::Net::Context::Ptr& tls) {
  std::unique_ptr<PooledConnection> connection;
  if (target.secure) {
    connection = std::make_unique<SessionConnection<Poco::Net::HTTPSClientSession>>(target.host, target.port, tls);
  } else {
    connection = std::make_unique<SessionConnection<Poco::Net::HTTPClientSession>>(target.host, target.port);
  }
  Poco::Net::HTTPClientSession& session = connection->session();
  session.setKeepAlive(true);
  // The pool decides when a connection is too old; Poco must not reconnect behind its back.
  session.setKeepAliveTimeout(Poco::Timespan(365L * 24 * 3600, 0));
  return connection;
}

}  // namespace detail_http

using namespace detail_http;  // this file's own helpers

struct HttpTransport::Pool final : detail_http::ConnectionPool {
  using detail_http::ConnectionPool::ConnectionPool;
  std::once_flag tls_once;
  Poco::Net::Context::Ptr tls_context;
};


struct HttpExchange::State {
  std::shared_ptr<detail_http::ConnectionPool> pool;
  std::unique_ptr<PooledConnection> connection;
  Target target;
  Poco::Net::HTTPResponse response;
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

  // Sets the socket's receive timeout for the next blocking read.
  void arm() {
    // 1 ms, not 0: a 0 socket timeout means "forever". It bounds the one case where a readable
    // socket still blocks: a TLS record that arrived only in part.
    last_wait = budget.wait_for(no_wait ? milliseconds(1) : idle_timeout);
    connection->arm_receive(last_wait.limit);
  }
  bool must_block() const { return connection->buffered_bytes() == 0; }

  [[noreturn]] void closed_mid_body() const {
    if (framing == Framing::length) {
      throw ProviderError(MJ_ERR_CONNECTION,
                          fmt::format("{} closed the connection after {} of {} body bytes", target.origin,
                                      received, received + remaining));
    }
    throw ProviderError(MJ_ERR_CONNECTION,
                        fmt::format("{} closed the connection in the middle of the response body",
                                    target.origin));
  }
  [[noreturn]] void malformed_chunk() const {
    throw ProviderError(MJ_ERR_CONNECTION,
                        fmt::format("malformed chunked response body from {}", target.origin));
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
      const bool blocking = must_block();
      if (produced > 0 && blocking) break;
      if (blocking) arm();
      if (chunk == ChunkStep::data) {
        const auto want = static_cast<std::streamsize>(std::min<std::uint64_t>(size - produced, remaining));
        const int n = connection->read_body(dst + produced, want);
        if (n <= 0) closed_mid_body();
        produced += static_cast<std::size_t>(n);
        remaining -= static_cast<std::uint64_t>(n);
        received += static_cast<std::uint64_t>(n);
        if (remaining == 0) chunk = ChunkStep::data_end;
      } else {
        const int c = connection->get_byte();
        if (c == std::char_traits<char>::eof()) closed_mid_body();
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
        if (must_block()) arm();
        const auto want = static_cast<std::streamsize>(std::min<std::uint64_t>(size, remaining));
        const int n = connection->read_body(dst, want);
        if (n <= 0) closed_mid_body();
        remaining -= static_cast<std::uint64_t>(n);
        received += static_cast<std::uint64_t>(n);
        if (remaining == 0) complete = true;
        return static_cast<std::size_t>(n);
      }
      case Framing::chunked:
        return read_chunked(dst, size);
      case Framing::until_close: {
        if (must_block()) arm();
        const int n = connection->read_body(dst, static_cast<std::streamsize>(std::min<std::size_t>(
                                                     size, std::numeric_limits<int>::max())));
        if (n <= 0) {
          complete = true;
          return 0;
        }
        received += static_cast<std::uint64_t>(n);
        return static_cast<std::size_t>(n);
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
    if (state.complete && state.reusable && !state.broken && state.connection->buffered_bytes() == 0)
      state.pool->give_back(state.target.origin, std::move(state.connection));
  } catch (...) {  // pooling is an optimisation: on any failure the connection is just closed
  }
  // give_back leaves the pointer set when it failed and empty when it kept the connection.
  if (!state.connection) return;
  SigpipeBlock no_sigpipe;
  state.connection->drop();
  state.connection.reset();
}

int HttpExchange::status() const noexcept { return static_cast<int>(state_->response.getStatus()); }

std::string_view HttpExchange::header(std::string_view name) const {
  for (const auto& [key, value] : state_->response) {
    if (iequals(key, name)) return value;
  }
  return {};
}

std::size_t HttpExchange::read_some(char* dst, std::size_t size) {
  State& state = *state_;
  if (state.complete || size == 0) return 0;
  if (state.broken) {
    throw ProviderError(MJ_ERR_CONNECTION,
                        fmt::format("the response from {} cannot be read after an earlier error",
                                    state.target.origin));
  }
  try {
    return state.read(dst, size);
  } catch (const ProviderError&) {
    state.broken = true;
    throw;
  } catch (const Poco::Exception& error) {
    state.broken = true;
    throw map_error(error, Phase::body, state.last_wait, state.budget, state.target.host,
                    state.target.origin);
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
                                                   state.target.origin));
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


std::unique_ptr<HttpExchange> HttpTransport::send(const HttpRequestSpec& request) {
  auto state = std::make_unique<HttpExchange::State>();
  state->target = parse_url(request.url);
  state->pool = pool_;
  state->idle_timeout = config_.idle_timeout;
  state->budget = Budget{Clock::now() + config_.total_timeout, config_.total_timeout};
  const Target& target = state->target;
  const Budget& budget = state->budget;

  Poco::Net::Context::Ptr tls;
  if (target.secure) {
    std::call_once(ssl_initialized, [] { Poco::Net::initializeSSL(); });
    try {
      std::call_once(pool_->tls_once, [&] {
        pool_->tls_context = new Poco::Net::Context(
            Poco::Net::Context::TLS_CLIENT_USE, "", "", config_.ca_file,
            // STRICT: RELAXED skips the host name check for loopback hosts.
            config_.verify_tls ? Poco::Net::Context::VERIFY_STRICT : Poco::Net::Context::VERIFY_NONE, 9,
            config_.ca_file.empty());
      });
    } catch (const Poco::Exception& error) {
      throw ProviderError(MJ_ERR_CONFIGURATION,
                          fmt::format("cannot set up TLS (tls.ca_file '{}'): {}", config_.ca_file,
                                      error.displayText()));
    }
    tls = pool_->tls_context;
  }

  Poco::Net::HTTPRequest head(Poco::Net::HTTPRequest::HTTP_POST, target.path,
                              Poco::Net::HTTPMessage::HTTP_1_1);
  bool has_host = false, has_type = false, has_accept = false;
  for (const mj_header& header : request.headers) {
    const std::string_view name = view(header.name);
    // Framing is the transport's job: a stray length or encoding would corrupt the exchange.
    if (iequals(name, "content-length") || iequals(name, "transfer-encoding")) continue;
    has_host = has_host || iequals(name, "host");
    has_type = has_type || iequals(name, "content-type");
    has_accept = has_accept || iequals(name, "accept");
    head.set(std::string(name), std::string(view(header.value)));
  }
  if (!has_host) head.set(Poco::Net::HTTPRequest::HOST, target.authority);
  if (!has_type) head.setContentType("application/json");
  if (!has_accept) head.set("Accept", request.stream ? "text/event-stream" : "application/json");
  head.setContentLength64(static_cast<Poco::Int64>(request.body.size()));

  SigpipeBlock no_sigpipe;
  for (int attempt = 0;; ++attempt) {
    head.setURI(target.path);  // a proxied send rewrote it to an absolute URI
    std::unique_ptr<PooledConnection> connection;
    if (attempt == 0) {
      // An idle connection has nothing to say: if it is readable, the peer closed it (EOF) or sent
      // something unasked. Either way it would fail the request, maybe after the request left, so
      // it is discarded now, while that costs nothing but a new connection.
      while ((connection = pool_->take(target.origin)) != nullptr && connection->readable_now()) {
        connection->drop();
        connection.reset();
      }
    }
    const bool reused = connection != nullptr;
    Phase phase = Phase::connect;
    Wait wait;
    try {
      if (!reused) {
        connection = new_connection(target, tls);
        wait = budget.wait_for(config_.connect_timeout);
        const Poco::Timespan connect_limit(wait.limit.count() * 1000);
        connection->session().setTimeout(connect_limit, connect_limit, connect_limit);
        connection->open();
        pool_->opened.fetch_add(1);
      }
      phase = Phase::send;
      wait = budget.wait_for(config_.idle_timeout);
      connection->arm_send(wait.limit);
      std::ostream& body = connection->session().sendRequest(head);
      body.exceptions(std::ios::badbit);  // rethrow the socket error instead of only setting badbit
      body.write(request.body.data(), static_cast<std::streamsize>(request.body.size()));
      body.flush();
      phase = Phase::head;
      wait = budget.wait_for(config_.first_byte_timeout);
      connection->arm_receive(wait.limit);
      connection->session().receiveResponse(state->response);
    } catch (const Poco::Exception& error) {
      // A failed write may surface only in receiveResponse (see SessionConnection::write).
      const bool unsent = connection && connection->write_failed;
      if (unsent && phase == Phase::head) phase = Phase::send;
      if (connection) connection->drop();
      connection.reset();
      // Resend only what did not get out whole: a request that was written completely may be
      // running on the server (a billable completion), even if the connection died afterwards.
      if (reused && unsent && is_stale_connection_error(error)) continue;
      throw map_error(error, phase, wait, budget, target.host, target.origin);
    } catch (const std::ios_base::failure&) {
      // The stream failed without a Poco exception behind it: nothing tells it was stale.
      if (connection) connection->drop();
      connection.reset();
      throw ProviderError(MJ_ERR_CONNECTION,
                          fmt::format("sending the request to {} failed", target.origin));
    }

    HttpExchange::State& s = *state;
    const int status = static_cast<int>(s.response.getStatus());
    if (status < 200 || status == 204 || status == 304) {
      s.framing = Framing::none;
    } else if (s.response.getChunkedTransferEncoding()) {
      s.framing = Framing::chunked;
    } else if (s.response.hasContentLength()) {
      s.framing = Framing::length;
      s.remaining = static_cast<std::uint64_t>(s.response.getContentLength64());
    } else {
      s.framing = Framing::until_close;
    }
    s.complete = s.framing == Framing::none || (s.framing == Framing::length && s.remaining == 0);
    s.reusable = s.response.getKeepAlive() && s.framing != Framing::until_close;
    s.connection = std::move(connection);
    return std::unique_ptr<HttpExchange>(new HttpExchange(std::move(state)));
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
