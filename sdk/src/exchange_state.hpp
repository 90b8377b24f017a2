// HttpTransport::Pool (the pool plus TLS context and parsed-URL cache) and HttpExchange::State (body framing and reads).
#pragma once

#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/http.hpp>

#include "http_target.hpp"
#include "http_wire.hpp"
#include "pooled_connection.hpp"
#include "tls_api.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <string_view>

namespace majordomo::sdk {
inline namespace v1 {

using http::Budget;
using http::ChunkStep;
using http::Framing;
using http::kDirectReadSize;
using http::protocol_error;
using http::route_target;
using http::Target;

struct HttpTransport::Pool final : http::ConnectionPool {
  using http::ConnectionPool::ConnectionPool;
  ~Pool() {
    if (tls_context != nullptr) tls->release_context(tls_context);
  }
  std::once_flag tls_once;
  const TlsApi* tls = nullptr;
  tls::TlsContext* tls_context = nullptr;

  // The TLS module, with this pool's context made on the first https request; throws
  // MJ_ERR_CONFIGURATION when the module is missing or the context cannot be made.
  const TlsApi& tls_for(const TransportConfig& config);
  // The most recent idle connection to `key` that is still quiet, or null. A readable idle
  // connection was closed by its peer or holds something unasked; it would fail the request,
  // maybe after the request left, so it is closed here, where that costs only a new connection.
  std::unique_ptr<PooledConnection> take_quiet(const std::string& key);

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
  bool size_cr = false;         // the size line's '\r': only its '\n' may follow
  std::size_t line_bytes = 0;   // of the current chunk extension or trailer line
  bool complete = false;
  bool broken = false;
  bool reusable = false;
  bool no_wait = false;  // finish_without_waiting(): a read must not wait for the network
  bool only_buffered = false;  // read_received(): a read ends where the buffered bytes end
  Wait last_wait;

  // Bytes already buffered, else one socket read (straight into `dst` when it is large); 0 at EOF.
  std::size_t read_raw(char* dst, std::size_t size) {
    if (connection->buffered() > 0) return connection->take(dst, size);
    // 1 ms, not 0: a 0 socket timeout means "forever". It bounds the one case where a readable
    // socket still blocks: a TLS record that arrived only in part.
    last_wait = budget.wait_for(no_wait ? milliseconds(1) : idle_timeout);
    if (size >= kDirectReadSize) return connection->receive(dst, size, last_wait);
    if (connection->fill(last_wait) == 0) return 0;
    return connection->take(dst, size);
  }

  // The next framing byte of a chunked body, or -1 at EOF.
  int get_byte() {
    if (connection->buffered() == 0) {
      last_wait = budget.wait_for(no_wait ? milliseconds(1) : idle_timeout);
      if (connection->fill(last_wait) == 0) return -1;
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
  [[noreturn]] void malformed_chunk() const { protocol_error(*target, "malformed chunked body framing"); }

  void end_of_size_line() {
    if (chunk_digits == 0) malformed_chunk();
    if (chunk_size == 0) {
      chunk = ChunkStep::trailer;
    } else {
      chunk = ChunkStep::data;
      remaining = chunk_size;
    }
    chunk_size = 0;
    chunk_digits = 0;
    size_cr = false;
    line_bytes = 0;
  }

  // Extension and trailer lines are skipped a byte at a time: without a bound a server could feed
  // one forever (until the total timeout) while nothing of the body arrives.
  static constexpr std::size_t kMaxChunkLine = 4096;

  // One framing byte of a chunked body (size line, CRLF after data, trailer).
  void chunk_byte(int c) {
    switch (chunk) {
      case ChunkStep::size: {
        // Hex digits, then CRLF (or a bare LF) or an extension. Anything else, a '\r' inside the
        // digits included ("a\rb" is not 0xab), is not a size: reading on would frame the body
        // differently from a proxy that reads it strictly.
        if (size_cr && c != '\n') stray_size_byte(c);
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
          line_bytes = 0;
        } else if (c == '\n') {
          end_of_size_line();
        } else if (c == '\r') {
          size_cr = true;
        } else {
          stray_size_byte(c);
        }
        break;
      }
      case ChunkStep::extension:
        if (c == '\n') end_of_size_line();
        else if (++line_bytes > kMaxChunkLine) line_too_long("chunk extension");
        break;
      case ChunkStep::data_end:
        if (c == '\n') chunk = ChunkStep::size;
        else if (c != '\r') malformed_chunk();
        break;
      case ChunkStep::trailer:
        if (c == '\n') {
          if (line_bytes == 0) {
            chunk = ChunkStep::done;
            complete = true;
          }
          line_bytes = 0;
        } else if (c != '\r') {
          if (++line_bytes > kMaxChunkLine) line_too_long("chunked trailer line");
        }
        break;
      case ChunkStep::data:
      case ChunkStep::done:
        break;
    }
  }

  [[noreturn]] void stray_size_byte(int c) const {
    protocol_error(*target, fmt::format("malformed chunked body framing: byte 0x{:02x} in a chunk size line", c));
  }
  [[noreturn]] void line_too_long(std::string_view what) const {
    protocol_error(*target, fmt::format("{} longer than {} bytes", what, kMaxChunkLine));
  }

  std::size_t read_chunked(char* dst, std::size_t size) {
    std::size_t produced = 0;
    while (produced < size && !complete) {
      // Once some data is in hand, return it rather than wait for more (streams!); read_received
      // never waits, even with nothing in hand.
      if ((produced > 0 || only_buffered) && connection->buffered() == 0) break;
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

}  // namespace v1
}  // namespace majordomo::sdk
