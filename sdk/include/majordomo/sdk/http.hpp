// HttpTransport: keep-alive HTTP(S) client over Poco with a per-origin connection pool and four timeouts.
#pragma once

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
  bool verify_tls = true;
  std::string ca_file;                                // empty: the system CA store
  std::size_t max_idle_per_origin = 16;
  // Pooled connections idle longer than this are closed instead of reused: kept below the usual
  // server-side keep-alive timeouts so that a reused connection is rarely already closed.
  std::chrono::milliseconds keep_alive_idle{4'000};

  // Reads the timeouts and flags of an mj_instance_config (0 = keep the default above).
  static TransportConfig from(const mj_instance_config& config);
};

struct HttpRequestSpec {
  std::string_view url;                  // absolute http:// or https:// URL
  std::span<const mj_header> headers;    // sent as given; Content-Type and Accept added if absent
  std::string_view body;
  bool stream = false;                   // Accept: text/event-stream instead of application/json
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
  // Response header value, matched case-insensitively; empty when absent.
  std::string_view header(std::string_view name) const;
  // Reads up to `size` body bytes; returns 0 at the end of the body. Applies the idle and total
  // timeouts. Throws ProviderError (MJ_ERR_TIMEOUT / MJ_ERR_CONNECTION).
  std::size_t read_some(char* dst, std::size_t size);
  // Appends the rest of the body to `out`, keeping SseDecoder::kPadding bytes of spare capacity.
  void read_all(std::string& out);
  bool body_complete() const noexcept;

 private:
  friend class HttpTransport;
  struct State;
  explicit HttpExchange(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// Thread-safe: many threads may send through one transport at once.
class HttpTransport {
 public:
  explicit HttpTransport(TransportConfig config);
  ~HttpTransport();
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  // Connects (or reuses an idle pooled connection), sends, and waits for the response head.
  // A request that fails on a reused connection before any response byte arrived (the server
  // closed it while idle) is sent once more on a fresh connection. Non-2xx statuses do not throw.
  // Throws ProviderError: MJ_ERR_CONFIGURATION (bad URL), MJ_ERR_TIMEOUT, MJ_ERR_CONNECTION.
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

}  // namespace v1
}  // namespace majordomo::sdk
