// HttpTransport: our own HTTP/1.1 client on POSIX sockets, a per-origin keep-alive pool, four timeouts and the call's deadline; TLS loaded lazily.
#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/http.hpp>
#include <majordomo/sdk/str.hpp>

#include "ascii.hpp"
#include "exchange_state.hpp"
#include "http_target.hpp"
#include "http_wire.hpp"
#include "pooled_connection.hpp"
#include "posix_socket.hpp"
#include "tls_api.hpp"

#include <poll.h>

#include <Poco/DateTime.h>
#include <Poco/DateTimeParser.h>
#include <Poco/Timestamp.h>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>

namespace majordomo::sdk {
inline namespace v1 {
namespace http {

using ascii::iequals;

std::string Budget::timeout_message(Phase phase, const Wait& wait) const {
  switch (wait.bound) {
    case Bound::call_deadline:
      return fmt::format("the call's deadline ran out while talking to {}: {} ms of it were left when this "
                         "attempt began (the deadline covers every attempt and backoff wait); raise "
                         "ClientOptions::timeouts.deadline (CLI --timeout)",
                         origin, call_left.count());
    case Bound::total:
      return fmt::format("exchange with {} exceeded {} ms (total timeout); raise ClientOptions::timeouts.total",
                         origin, total.count());
    case Bound::phase:
      break;
  }
  const auto limit = wait.phase_limit.count();
  switch (phase) {
    case Phase::connect:
      return fmt::format("could not connect to {} within {} ms (connect timeout); raise "
                         "ClientOptions::timeouts.connect (CLI --connect-timeout)",
                         origin, limit);
    case Phase::send:
      return fmt::format("could not send the request to {} within {} ms (idle timeout); raise "
                         "ClientOptions::timeouts.idle (CLI --idle-timeout)",
                         origin, limit);
    case Phase::head:
      return fmt::format("no response head from {} within {} ms (first_byte timeout, which bounds the whole "
                         "head); raise ClientOptions::timeouts.first_byte (CLI --first-byte-timeout)",
                         origin, limit);
    case Phase::body:
      break;
  }
  return fmt::format("no response data from {} for {} ms (idle timeout); raise ClientOptions::timeouts.idle "
                     "(CLI --idle-timeout)",
                     origin, limit);
}

namespace {

const char* doing_in(Phase phase) noexcept {
  switch (phase) {
    case Phase::connect: return "connecting to";
    case Phase::send: return "sending the request to";
    case Phase::head: return "waiting for the response head from";
    case Phase::body: return "reading the response body from";
  }
  return "talking to";
}

// Before the one wait that cannot watch the cancel descriptor (the TLS handshake, inside the
// module): a call cancelled already does not start it.
void throw_if_cancelled(int cancel_fd) {
  if (cancel_fd < 0) return;
  pollfd probe{cancel_fd, POLLIN, 0};
  if (::poll(&probe, 1, 0) > 0) throw SocketError(SocketFault::cancelled, "cancelled");
}

}  // namespace

ProviderError map_error(const SocketError& error, Phase phase, const Wait& wait, const Budget& budget,
                        const Target& target) {
  const std::string& host = target.host_name;
  const std::string& origin = target.origin;
  switch (error.fault()) {
    case SocketFault::cancelled:
      return ProviderError(MJ_ERR_CANCELLED, fmt::format("the call was cancelled by its caller while {} {}; the "
                                                         "connection was closed", doing_in(phase), origin));
    case SocketFault::timeout:
      return ProviderError(MJ_ERR_TIMEOUT, budget.timeout_message(phase, wait));
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
      return ProviderError(MJ_ERR_CONNECTION,
                           fmt::format("cannot resolve host {}: {}; check the host name in the base URL "
                                       "(--base-url, ClientOptions::base_url) and the DNS setup",
                                       host, error.what()));
    case SocketFault::none:
    case SocketFault::reset:
    case SocketFault::other:
      break;
  }
  return ProviderError(MJ_ERR_CONNECTION, fmt::format("{} {} failed: {}", doing_in(phase), origin, error.what()));
}

// How writing to a connection the server already closed fails (reset, aborted, EPIPE, or a TLS
// peer gone without a goodbye). Used only for a write that failed (PooledConnection::write_failed):
// the same errors while waiting for the head come after the whole request left, and the server
// may be working on it.
bool is_stale_connection_error(const SocketError& error) {
  return error.fault() == SocketFault::reset || error.fault() == SocketFault::tls_closed;
}

}  // namespace http

using namespace http;  // this file's own helpers

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
  if (MJ_CONFIG_HAS(max_event_bytes) && config.max_event_bytes > 0)
    result.max_event_bytes = static_cast<std::size_t>(config.max_event_bytes);
  if (MJ_CONFIG_HAS(max_body_bytes) && config.max_body_bytes > 0)
    result.max_body_bytes = static_cast<std::size_t>(config.max_body_bytes);
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


namespace http {

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

// Up to this many request headers are checked for repeated names pairwise (no allocation).
constexpr std::size_t kPairwiseHeaderLimit = 16;

std::string folded(std::string_view name) {
  std::string out(name);
  for (char& c : out) c = ascii::fold(c);
  return out;
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
  // Exactly one line per name: a later header of the same name replaces an earlier one. A few
  // headers (the usual case) are compared pairwise, which allocates nothing; many (thousands of
  // --header flags) go through an index of the last position of each name, keeping this linear.
  std::unordered_map<std::string, std::size_t> last_of;
  const bool indexed = headers.size() > kPairwiseHeaderLimit;
  if (indexed) {
    last_of.reserve(headers.size());
    for (std::size_t i = 0; i < headers.size(); ++i) last_of[folded(view(headers[i].name))] = i;
  }
  for (std::size_t i = 0; i < headers.size(); ++i) {
    const std::string_view name = view(headers[i].name);
    // Framing is the transport's job: a stray length or encoding would corrupt the exchange.
    if (is_framing_header(name)) continue;
    bool replaced = false;
    if (indexed) {
      replaced = last_of.find(folded(name))->second != i;
    } else {
      for (std::size_t j = i + 1; j < headers.size() && !replaced; ++j) replaced = iequals(view(headers[j].name), name);
    }
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
    return PosixSocket::connect(proxy.host, proxy.port, wait.limit, budget.cancel_fd);
  } catch (const SocketError& error) {
    if (error.fault() == SocketFault::cancelled) throw;  // reported as any cancelled wait is
    if (error.fault() == SocketFault::timeout) {
      if (wait.bound != Bound::phase)
        throw ProviderError(MJ_ERR_TIMEOUT, fmt::format("{} (connecting through proxy {})",
                                                        budget.timeout_message(Phase::connect, wait), proxy.name));
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
    tunnel.send_all(request, wait);
    facts = receive_head(tunnel, target, budget, first_byte, wait);
  } catch (const ProviderError& error) {
    throw ProviderError(error.kind(), fmt::format("proxy {} did not open a tunnel to {}: {}; {}", proxy.name,
                                                  authority, error.what(), kProxyRemedy));
  } catch (const SocketError& error) {
    if (error.fault() == SocketFault::cancelled) throw;
    if (error.fault() == SocketFault::timeout)
      throw ProviderError(MJ_ERR_TIMEOUT, fmt::format("proxy {} did not answer CONNECT {}: {}; {}", proxy.name,
                                                      authority, budget.timeout_message(Phase::head, wait),
                                                      kProxyRemedy));
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
    throw ProviderError(MJ_ERR_PROTOCOL, fmt::format("proxy {} sent data after its CONNECT answer", proxy.name));
}

}  // namespace http

const TlsApi& HttpTransport::Pool::tls_for(const TransportConfig& config) {
  std::call_once(tls_once, [&] {
    const TlsApi& api = tls::tls_api();  // throws MJ_ERR_CONFIGURATION when the module is missing
    tls::TlsError error;
    tls_context = api.create_context(config.ca_file, config.verify_tls, error);
    if (tls_context == nullptr) {
      throw ProviderError(MJ_ERR_CONFIGURATION,
                          fmt::format("cannot set up TLS (tls.ca_file '{}'): {}", config.ca_file, error.message));
    }
    tls = &api;
  });
  return *tls;
}

std::unique_ptr<PooledConnection> HttpTransport::Pool::take_quiet(const std::string& key) {
  std::unique_ptr<PooledConnection> connection;
  while ((connection = take(key)) != nullptr && connection->readable_now()) {
    connection->drop();
    connection.reset();
  }
  return connection;
}

std::unique_ptr<HttpExchange> HttpTransport::send(const HttpRequestSpec& request) {
  auto state = std::make_unique<HttpExchange::State>();
  state->target = pool_->target_for(request.url, request.proxy);
  state->pool = pool_;
  state->idle_timeout = config_.idle_timeout;
  state->budget = Budget::starting_now(config_.total_timeout, request.time_left, state->target->origin,
                                       request.cancel_fd);
  const Target& target = *state->target;
  const Budget& budget = state->budget;
  const HeaderPlan plan = check_headers(request.headers);

  const TlsApi* tls = target.secure ? &pool_->tls_for(config_) : nullptr;

  for (int attempt = 0;; ++attempt) {
    // A retry (after a stale reused connection) always opens a new one.
    std::unique_ptr<PooledConnection> connection = attempt == 0 ? pool_->take_quiet(target.pool_key) : nullptr;
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
          connection = std::make_unique<PooledConnection>(
              PosixSocket::connect(target.host, target.port, wait.limit, budget.cancel_fd));
        }
        if (tls != nullptr) {
          // TLS to the origin (inside the tunnel, if any): SNI and the certificate check use its
          // name; the handshake gets a connect timeout of its own, as with Poco before.
          wait = budget.wait_for(config_.connect_timeout);
          throw_if_cancelled(budget.cancel_fd);
          connection->start_tls(*tls, pool_->tls_context, target.host, wait.limit);
        }
        pool_->opened.fetch_add(1);
      }
      phase = Phase::send;
      wait = budget.wait_for(config_.idle_timeout);
      const bool coalesced = format_request(connection->request, target, request, plan);
      connection->send_all(connection->request, wait);
      // A body too large to copy follows the head straight from the caller's memory.
      if (!coalesced) connection->send_all(request.body, wait);
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
