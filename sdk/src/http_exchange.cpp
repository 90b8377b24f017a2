// HttpExchange: the response of one request: status, headers, body reads within their limits, pooling at the end.
#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/http.hpp>
#include <majordomo/sdk/sse.hpp>

#include "ascii.hpp"
#include "exchange_state.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <string>

namespace majordomo::sdk {
inline namespace v1 {

using ascii::iequals;
using http::map_error;
using http::Phase;
using http::ResponseHeader;

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

std::string_view HttpExchange::origin() const noexcept { return state_->target->origin; }

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

std::size_t HttpExchange::read_received(char* dst, std::size_t size) {
  State& state = *state_;
  if (state.complete || size == 0 || !state.connection) return 0;
  if (state.broken) return read_some(dst, size);  // throws what read_some says of a broken exchange
  // Twice at most: when the buffered bytes held only chunk framing, the data after it may be in
  // the socket already.
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      if (state.connection->buffered() == 0 && state.connection->fill_now() == 0) return 0;
    } catch (const SocketError& error) {
      state.broken = true;
      throw map_error(error, Phase::body, state.last_wait, state.budget, *state.target);
    }
    // Every framing reads buffered bytes first; a chunked body's also stops where they end.
    state.only_buffered = true;
    std::size_t n = 0;
    try {
      n = read_some(dst, size);
    } catch (...) {
      state.only_buffered = false;
      throw;
    }
    state.only_buffered = false;
    if (n > 0 || state.complete) return n;
  }
  return 0;
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
    return ProviderError(MJ_ERR_PARSE,
                         fmt::format("response body larger than {} bytes from {} (the max_body_bytes limit); "
                                     "raise ClientOptions::limits.max_body_bytes (CLI --max-body-bytes)",
                                     limit, state.target->origin));
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

}  // namespace v1
}  // namespace majordomo::sdk
