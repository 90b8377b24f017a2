// The transport's shared vocabulary: time budgets and their timeout messages, buffer sizes, response-head facts.
#pragma once

#include <majordomo/sdk/errors.hpp>

#include "http_target.hpp"
#include "posix_socket.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace majordomo::sdk {
inline namespace v1 {

class PooledConnection;

namespace http {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using net::SocketError;
using tls::SocketFault;

enum class Phase { connect, send, head, body };

// Which bound a wait ran into: named in the message when it times out.
enum class Bound { phase, total, call_deadline };

// How long one wait may take: the phase's own timeout, cut short by the total timeout or the
// call's deadline, whichever ends first.
struct Wait {
  milliseconds limit{0};          // at least 1 ms (a 0 socket timeout means "forever")
  Clock::time_point start{};      // when the wait was computed: limit runs from here
  Bound bound = Bound::phase;
  milliseconds phase_limit{0};    // the phase's configured timeout, for its message
  int cancel_fd = -1;             // (0.6) the call's cancel descriptor, watched with the socket; -1: none
  Clock::time_point until() const noexcept { return start + limit; }
};

// The time one exchange may take. `deadline` is the earlier of the total timeout and the call's
// deadline (mj_call_params.time_left_ms, counted from when the exchange began).
struct Budget {
  Clock::time_point deadline{};
  milliseconds total{0};
  milliseconds call_left{0};  // what was left of the call's deadline; 0: the call has none
  bool call_bound = false;    // deadline comes from call_left, not from total
  std::string_view origin;    // for messages; the exchange's Target outlives the budget
  int cancel_fd = -1;         // (0.6) HttpRequestSpec::cancel_fd, handed to every wait

  static Budget starting_now(milliseconds total_timeout, milliseconds time_left, std::string_view origin,
                             int cancel_fd = -1) {
    Budget budget;
    budget.total = total_timeout;
    budget.origin = origin;
    budget.cancel_fd = cancel_fd;
    const Clock::time_point now = Clock::now();
    budget.deadline = now + total_timeout;
    if (time_left > milliseconds(0) && time_left < total_timeout) {
      budget.call_left = time_left;
      budget.call_bound = true;
      budget.deadline = now + time_left;
    }
    return budget;
  }

  // A wait for a phase whose timeout starts now (connect, send, each body read). Throws
  // ProviderError MJ_ERR_TIMEOUT when the budget is spent. One clock read.
  Wait wait_for(milliseconds phase_limit) const { return cut(Clock::now(), phase_limit, phase_limit); }

  // A wait inside a phase that started earlier and must end by `phase_end` (the response head:
  // first_byte runs from the request sent to the end of the head, not per read). Throws
  // ProviderError MJ_ERR_TIMEOUT when the phase or the budget is spent.
  Wait wait_until(Clock::time_point phase_end, milliseconds phase_limit, Phase phase) const {
    const Clock::time_point now = Clock::now();
    const auto phase_left = std::chrono::ceil<milliseconds>(phase_end - now);
    if (phase_left <= milliseconds(0) && phase_end <= deadline) {
      Wait spent;
      spent.phase_limit = phase_limit;
      throw ProviderError(MJ_ERR_TIMEOUT, timeout_message(phase, spent));
    }
    return cut(now, std::max(phase_left, milliseconds(1)), phase_limit);
  }

  // What a timeout that ended `wait` in `phase` says: the bound that ran out, its value, and the
  // option that raises it.
  std::string timeout_message(Phase phase, const Wait& wait) const;

 private:
  Wait cut(Clock::time_point now, milliseconds phase_left, milliseconds phase_limit) const {
    const auto left = std::chrono::ceil<milliseconds>(deadline - now);
    Wait wait;
    wait.start = now;
    wait.phase_limit = phase_limit;
    wait.cancel_fd = cancel_fd;
    if (left <= milliseconds(0)) {
      wait.bound = call_bound ? Bound::call_deadline : Bound::total;
      throw ProviderError(MJ_ERR_TIMEOUT, timeout_message(Phase::body, wait));
    }
    if (left < phase_left) {
      wait.limit = left;
      wait.bound = call_bound ? Bound::call_deadline : Bound::total;
    } else {
      wait.limit = std::max(phase_left, milliseconds(1));
    }
    return wait;
  }
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

// One response header: views into the connection's read buffer, valid while the exchange lasts.
struct ResponseHeader {
  std::string_view name;
  std::string_view value;
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

// Translates a socket failure into the error kinds of the ABI. Texts name the origin, never headers.
ProviderError map_error(const SocketError& error, Phase phase, const Wait& wait, const Budget& budget,
                        const Target& target);

// A server broke HTTP framing (head, chunk, length): MJ_ERR_PROTOCOL, never retried, since it
// would break it the same way again. Quotes nothing the server sent.
[[noreturn]] void protocol_error(const Target& target, std::string_view what);

// Parses a complete head (status line, header lines, no final blank line) in place. Header views
// go to `headers`; the facts that drive framing and pooling are returned.
HeadFacts parse_head(std::string_view head, std::vector<ResponseHeader>& headers, const Target& target);

// Reads the response head into the connection's buffer and parses it; interim 1xx responses
// (100 Continue, 103 Early Hints) are skipped. first_byte bounds the whole head, interim heads
// included, from the first wait (the request was just written) to its last byte: a head trickled
// a byte at a time ends there too. `wait` is left at the last wait, for a timeout's message.
HeadFacts receive_head(PooledConnection& connection, const Target& target, const Budget& budget,
                       milliseconds first_byte, Wait& wait);

}  // namespace http
}  // namespace v1
}  // namespace majordomo::sdk
