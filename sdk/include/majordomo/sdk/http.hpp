// HttpTransport: keep-alive HTTP/1.1 client on POSIX sockets, a per-origin connection pool, four timeouts, TLS loaded lazily.
#pragma once

#include <majordomo/sdk/requires_cxx20.hpp>

#include <majordomo/plugin.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace majordomo::sdk {
inline namespace v1 {

struct TransportConfig {
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds first_byte_timeout{120'000};
  std::chrono::milliseconds idle_timeout{60'000};     // longest silence between two body reads
  std::chrono::milliseconds total_timeout{600'000};   // open to last byte
  // first_byte_timeout runs from the request written to the end of the response head, however
  // many reads the head takes (0.3; before, each read of the head had it afresh).
  // Response limits (0.3): one SSE line and one event's data; one whole non-streaming body.
  // Exceeding one is MJ_ERR_PARSE naming the limit and ClientOptions::limits.
  std::size_t max_event_bytes = std::size_t{4} << 20;
  std::size_t max_body_bytes = std::size_t{64} << 20;
  bool verify_tls = true;
  std::string ca_file;                                // empty: the system CA store
  std::size_t max_idle_per_origin = 16;
  // Pooled connections idle longer than this are closed instead of reused: kept below the usual
  // server-side keep-alive timeouts so that a reused connection is rarely already closed.
  std::chrono::milliseconds keep_alive_idle{4'000};

  // Reads the timeouts, limits and flags of an mj_instance_config (0 = keep the default above).
  static TransportConfig from(const mj_instance_config& config);
};

struct HttpRequestSpec {
  std::string_view url;                  // absolute http:// or https:// URL
  std::span<const mj_header> headers;    // sent as given; Content-Type and Accept added if absent
  std::string_view body;
  bool stream = false;                   // Accept: text/event-stream instead of application/json
  // Forward proxy, "http://[user:password@]host[:port]" (port 1080 when absent); empty: direct.
  // http URLs go to the proxy in absolute form, https ones through a CONNECT tunnel with TLS to
  // the origin (its certificate checked against the origin's name). The user info becomes
  // Proxy-Authorization: Basic, sent only to the proxy. Pooled connections are keyed by proxy and
  // origin, so proxied and direct connections never mix. A 407 from the proxy throws
  // MJ_ERR_AUTHENTICATION, any other failure to reach the proxy or open the tunnel
  // MJ_ERR_CONNECTION (MJ_ERR_TIMEOUT when a timeout ran out); the messages name the proxy with
  // its password replaced and say where the proxy setting comes from. A malformed proxy URL is
  // MJ_ERR_CONFIGURATION before any I/O.
  std::string_view proxy;
  // What is left of the call's deadline (mj_call_params.time_left_ms), counted from send(); 0: no
  // deadline. The exchange then ends with MJ_ERR_TIMEOUT once the earlier of this and
  // total_timeout has passed, across send() and every read (0.3).
  std::chrono::milliseconds time_left{0};
  // (0.6) A descriptor that becomes readable when the call is cancelled (mj_call_params.cancel_fd
  // under MJ_CALL_CANCEL_FD), watched by every wait of the exchange: connect, writing the request,
  // the response head and each body read. Once it is readable the exchange ends with
  // MJ_ERR_CANCELLED and its connection is closed. Not watched inside the TLS handshake or name
  // resolution, which their own timeouts bound. Never read or closed here; -1: none.
  int cancel_fd = -1;
};

class PooledConnection;  // defined in the implementation

// One request/response in flight. Not thread-safe; one thread at a time.
// Destruction returns the connection to the pool only when the body was read to its end;
// otherwise the connection is closed (an abandoned stream never poisons the pool).
class HttpExchange {
 public:
  HttpExchange(const HttpExchange&) = delete;
  HttpExchange& operator=(const HttpExchange&) = delete;
  ~HttpExchange();

  int status() const noexcept;
  // scheme://host:port of the server, IPv6 hosts in brackets: how messages name it (0.3).
  std::string_view origin() const noexcept;
  // Response header value, matched case-insensitively; empty when absent.
  std::string_view header(std::string_view name) const;
  // Reads up to `size` body bytes; returns 0 at the end of the body. Applies the idle and total
  // timeouts and the call's deadline. Throws ProviderError: MJ_ERR_TIMEOUT, MJ_ERR_CONNECTION (the
  // connection failed or closed mid-body), MJ_ERR_PROTOCOL (malformed chunk framing),
  // MJ_ERR_CANCELLED (HttpRequestSpec::cancel_fd became readable, 0.6).
  std::size_t read_some(char* dst, std::size_t size);
  // (0.6) Like read_some, but never waits for the network: only body bytes already buffered or
  // already received by the socket (over TLS, only those buffered). 0 when none are here now,
  // which is not the end of the body (body_complete() tells). Throws as read_some does for a
  // failed connection or malformed framing met in those bytes.
  std::size_t read_received(char* dst, std::size_t size);
  // Largest 2xx body read_all accepts by default (TransportConfig::max_body_bytes is what HttpCall
  // uses): far above any real completion, low enough that a broken or hostile server cannot make
  // the host allocate without bound.
  static constexpr std::size_t kMaxBodySize = std::size_t{64} << 20;
  // How much of a non-2xx body is kept for error decoding: error bodies are small; the rest of a
  // larger one is not read (its connection is then closed, not pooled).
  static constexpr std::size_t kMaxErrorBodySize = std::size_t{64} << 10;

  // Appends the rest of the body to `out`, keeping SseDecoder::kPadding bytes of spare capacity.
  // Memory grows with the bytes actually received (Content-Length is never trusted for more than
  // one 1 MiB piece). Throws ProviderError MJ_ERR_PARSE when the body is larger than `limit`; the
  // message names the limit and ClientOptions::limits.max_body_bytes (CLI --max-body-bytes).
  void read_all(std::string& out, std::size_t limit = kMaxBodySize);
  // Like read_all, but stops after `limit` bytes instead of failing. Returns true when the body
  // was cut short; the connection is then closed when the exchange ends.
  bool read_up_to(std::string& out, std::size_t limit);
  // Consumes what is left of the body without waiting for the network: only bytes already
  // buffered or already received. True when the body ended; false when more is still due (the
  // rest is then abandoned and the connection closed instead of pooled). Never throws.
  bool finish_without_waiting() noexcept;
  bool body_complete() const noexcept;

 private:
  friend class HttpTransport;
  struct State;
  explicit HttpExchange(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// Thread-safe: many threads may send through one transport at once.
//
// Wire: the SDK writes and parses HTTP/1.1 itself on POSIX sockets of its own (getaddrinfo, a
// non-blocking connect bounded by the connect timeout, SO_RCVTIMEO/SO_SNDTIMEO reads and writes,
// MSG_NOSIGNAL; one send per small request, TCP_NODELAY; the response head is read into a
// per-connection buffer and parsed in place; Content-Length, chunked and until-close bodies; 1xx
// heads skipped). A server that breaks HTTP/1.1 framing (malformed status line or head, obs-fold,
// bad or conflicting Content-Length, bad chunk framing, a head over 16 KiB) gets MJ_ERR_PROTOCOL,
// which is never retried; a connection reset or closed mid-response stays MJ_ERR_CONNECTION
// (0.3; before, both were MJ_ERR_CONNECTION). A plugin linking this
// library needs libPocoFoundation, which the host has loaded already, and not libPocoNet.
//
// TLS is loaded lazily. A plugin linking this library does not NEED libPocoNetSSL, libssl or
// libcrypto: that closure costs every host process ≈ 3 ms of start-up and ≈ 3 MiB of RSS, also
// when it never speaks https. The first https request of the process dlopens
// libmajordomo-tls.so (RTLD_NOW | RTLD_LOCAL, once, never unloaded), a module of this same SDK
// build that exports one versioned entry, majordomo_tls_v2, returning a function table (version
// and struct_size checked) that creates the client context, runs the handshake (SNI, VERIFY_STRICT
// name check, bounded by the connect timeout) on a descriptor the transport connected (directly
// or through a proxy's CONNECT tunnel), then reads, writes, and closes or aborts that TLS socket,
// reporting failures as kinds and texts rather than Poco types. The module is searched for:
//   1. $MAJORDOMO_TLS_MODULE (a file path);
//   1b. the path the host named at the handshake (use_host_tls_module; hosts of 0.2 and later);
//   2. <directory of the file this code was linked into>/../libmajordomo-tls.so, i.e. next to the
//      plugin directory (<libdir>/majordomo/plugins/ → <libdir>/majordomo/), which holds in the
//      build tree and in any installed prefix;
//   3. the install location compiled in: ${CMAKE_INSTALL_FULL_LIBDIR}/majordomo/.
// Not found: MJ_ERR_CONFIGURATION "https needs libmajordomo-tls.so, looked in: …; set
// MAJORDOMO_TLS_MODULE to its path". The SDK package installs the module; an out-of-tree plugin
// installed elsewhere than <libdir>/majordomo/plugins/ finds it through 3 or 1.
class HttpTransport {
 public:
  explicit HttpTransport(TransportConfig config);
  ~HttpTransport();
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  // Connects (or reuses an idle pooled connection), sends, and waits for the response head.
  // A pooled connection the peer closed (or wrote to) while idle is discarded before use. A request
  // is sent a second time, on a fresh connection, only when writing it to a reused connection
  // failed: once it was written completely the server may be acting on it (a completion is
  // billable), so a connection lost while waiting for the head is an error, never a resend.
  // Non-2xx statuses do not throw.
  // Throws ProviderError: MJ_ERR_CONFIGURATION (bad URL, e.g. an empty port), MJ_ERR_TIMEOUT,
  // MJ_ERR_CONNECTION, MJ_ERR_PROTOCOL (a malformed response head), MJ_ERR_CANCELLED (0.6).
  std::unique_ptr<HttpExchange> send(const HttpRequestSpec& request);

  const TransportConfig& config() const noexcept { return config_; }

  // Counters for tests and diagnostics.
  std::size_t connections_opened() const noexcept;
  std::size_t idle_connections() const;

 private:
  friend class HttpExchange;
  struct Pool;
  TransportConfig config_;
  std::shared_ptr<Pool> pool_;
};

// Parses `retry-after-ms` (milliseconds), then `retry-after` (seconds, decimal, or an HTTP date).
// Returns -1 when neither is present or parseable.
int64_t retry_after_ms(const HttpExchange& exchange);

// The TLS module the host named (mj_host_offer.tls_module_path; the export glue passes it on from
// the entry point): looked at right after $MAJORDOMO_TLS_MODULE, so a plugin installed anywhere
// finds the module of the host that loaded it. The first non-empty path given is kept. Thread-safe.
void use_host_tls_module(std::string_view path);

}  // namespace v1
}  // namespace majordomo::sdk
