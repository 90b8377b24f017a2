// HttpCall: one HTTP exchange decoded lazily into ABI events, for JSON bodies and SSE streams alike.
#include <majordomo/sdk/call.hpp>
#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/str.hpp>

#include "ascii.hpp"

#include <fmt/format.h>

#include <cassert>
#include <chrono>
#include <cstddef>
#include <exception>
#include <string>
#include <utility>

namespace majordomo::sdk {
inline namespace v1 {

namespace {

mj_event make_event(int32_t type) noexcept {
  mj_event event{};
  event.struct_size = sizeof(mj_event);
  event.type = type;
  return event;
}

}  // namespace

void RetainedBytesBudget::set_limit(std::size_t limit, std::string_view origin) {
  limit_ = limit;
  origin_.assign(origin);
}

void RetainedBytesBudget::charge(std::size_t bytes) {
  if (bytes <= limit_ && used_ <= limit_ - bytes) {
    used_ += bytes;
    return;
  }
  throw ProviderError(MJ_ERR_PARSE,
                      fmt::format("{} sent an answer keeping more than {} bytes of text, reasoning, tool calls and "
                                  "continuation data such as signatures (the max_body_bytes limit bounds "
                                  "what one answer keeps, as it bounds a whole body); raise "
                                  "ClientOptions::limits.max_body_bytes (CLI --max-body-bytes)",
                                  origin_.empty() ? std::string_view("the server") : std::string_view(origin_),
                                  limit_));
}

void EventSink::text(std::string_view delta) {
  retained_.charge(delta.size());  // the host joins the answer's text for the whole call
  mj_event event = make_event(MJ_EVENT_TEXT);
  event.text = to_mj(delta);
  events_.push_back(event);
}

void EventSink::reasoning(std::string_view delta) {
  retained_.charge(delta.size());
  mj_event event = make_event(MJ_EVENT_REASONING);
  event.text = to_mj(delta);
  events_.push_back(event);
}

void EventSink::usage(const mj_usage& usage) {
  mj_event event = make_event(MJ_EVENT_USAGE);
  event.usage = usage;
  events_.push_back(event);
}

void EventSink::stop(int32_t normalised, std::string_view raw) {
  mj_event event = make_event(MJ_EVENT_STOP);
  event.stop_reason = normalised;
  event.text = to_mj(raw);
  events_.push_back(event);
}

void EventSink::meta(std::string_view request_id, std::string_view model) {
  mj_event event = make_event(MJ_EVENT_META);
  event.request_id = to_mj(request_id);
  event.model = to_mj(model);
  events_.push_back(event);
}

void EventSink::tool_call_start(int32_t index, std::string_view id, std::string_view name,
                                std::string_view arguments) {
  retained_.charge(id.size() + name.size() + arguments.size());
  mj_event event = make_event(MJ_EVENT_TOOL_CALL_START);
  event.tool_index = index;
  event.tool_call_id = to_mj(id);
  event.tool_name = to_mj(name);
  event.text = to_mj(arguments);
  events_.push_back(event);
}

void EventSink::tool_call_arguments(int32_t index, std::string_view piece) {
  retained_.charge(piece.size());
  mj_event event = make_event(MJ_EVENT_TOOL_CALL_ARGUMENTS);
  event.tool_index = index;
  event.text = to_mj(piece);
  events_.push_back(event);
}

void EventSink::tool_call_end(int32_t index) {
  mj_event event = make_event(MJ_EVENT_TOOL_CALL_END);
  event.tool_index = index;
  events_.push_back(event);
}

void EventSink::continuation(std::string_view item) {
  retained_.charge(item.size());
  mj_event event = make_event(MJ_EVENT_CONTINUATION);
  event.text = to_mj(item);
  events_.push_back(event);
}

bool EventSink::pop(mj_event& out) {
  if (head_ == events_.size()) return false;
  out = events_[head_++];
  if (head_ == events_.size()) clear();  // keeps the capacity: no allocation in the steady state
  return true;
}

HttpCall::HttpCall(HttpTransport& transport, const mj_call_params& params,
                   std::unique_ptr<ResponseDecoder> decoder)
    : decoder_(std::move(decoder)), stream_((params.flags & MJ_CALL_STREAM) != 0) {
  HttpRequestSpec spec;
  spec.url = view(params.url);
  spec.headers = std::span<const mj_header>(params.headers, params.headers == nullptr ? 0 : params.header_count);
  spec.body = view(params.body);
  spec.stream = stream_;
  // The proxy field exists only in hosts newer than the first v1 layout, the deadline in 0.3 ones.
  if (MJ_HAS_FIELD(&params, mj_call_params, proxy)) spec.proxy = view(params.proxy);
  if (MJ_HAS_FIELD(&params, mj_call_params, time_left_ms) && params.time_left_ms > 0)
    spec.time_left = std::chrono::milliseconds(params.time_left_ms);
  // (0.6) The flag, not the value, says a descriptor was sent: 0 is stdin, and what an older
  // host's struct reads as.
  if (MJ_HAS_FIELD(&params, mj_call_params, cancel_fd) && (params.flags & MJ_CALL_CANCEL_FD) != 0 &&
      params.cancel_fd >= 0)
    spec.cancel_fd = params.cancel_fd;
  sse_.set_max_event_bytes(transport.config().max_event_bytes);
  max_body_bytes_ = transport.config().max_body_bytes;
  exchange_ = transport.send(spec);
  sink_.retained().set_limit(max_body_bytes_, exchange_->origin());
  refuse_unusable_response(*exchange_);
  // Some OpenAI-compatible servers ignore "stream": true and answer with one JSON document. Fed
  // to the SSE parser it would look like a stream without its terminator, and the answer would be
  // lost; decoded as a body it is the complete answer it is.
  const int status = exchange_->status();
  if (stream_ && status >= 200 && status < 300 &&
      ascii::media_type_is(exchange_->header("content-type"), "application/json")) {
    stream_ = false;
  }
}

namespace {

// Server-provided text for a message: at most 200 bytes, control bytes and non-ASCII escaped, so
// that a header cannot inject terminal escapes or break a message's UTF-8.
std::string printable(std::string_view text) {
  constexpr std::size_t kMost = 200;
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < kMost; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c >= 0x7f) out.append(fmt::format("\\x{:02x}", c));
    else out.push_back(static_cast<char>(c));
  }
  if (text.size() > kMost) out.append("…");
  return out;
}

// The Content-Encoding of a body that cannot be read as text (none was asked for); empty if none.
std::string_view unrequested_encoding(const HttpExchange& exchange) {
  const std::string_view encoding = exchange.header("content-encoding");
  return ascii::iequals(encoding, "identity") ? std::string_view{} : encoding;
}

}  // namespace

void HttpCall::refuse_unusable_response(const HttpExchange& exchange) const {
  const int status = exchange.status();
  if (status >= 300 && status < 400) {
    // Following would resend the request, credentials included, to wherever the server points.
    const std::string_view location = exchange.header("location");
    const std::string target = location.empty() ? std::string("(no Location header)") : printable(location);
    throw ProviderError(
        MJ_ERR_BAD_REQUEST,
        fmt::format("{} answered HTTP {} redirecting to {}; redirects are not followed, for safety (the request's "
                    "credentials would go with it): set the base URL (--base-url, ClientOptions::base_url) to "
                    "the final address",
                    exchange.origin(), status, target),
        status, {}, std::string(request_id()));
  }
  // No Accept-Encoding is sent, so a compressed body was not asked for and cannot be decoded. Only
  // an answer is refused for it: an error status still says what went wrong (and a 429 or 503
  // stays retryable, with its Retry-After), so fill() decodes it without its body.
  const std::string_view encoding = unrequested_encoding(exchange);
  if (status >= 200 && status < 300 && !encoding.empty()) {
    throw ProviderError(MJ_ERR_PROTOCOL,
                        fmt::format("{} sent its answer with Content-Encoding '{}', which was not asked for and "
                                    "cannot be decoded; the server (or a proxy between) must send it unencoded",
                                    exchange.origin(), printable(encoding)),
                        status, {}, std::string(request_id()));
  }
}

std::string_view HttpCall::request_id() const {
  const std::string_view name = decoder_->request_id_header();
  return name.empty() ? std::string_view{} : exchange_->header(name);
}

bool HttpCall::next(mj_event& event) {
  if (!started_) {
    started_ = true;
    const std::string_view id = request_id();
    if (!id.empty()) sink_.meta(id, {});
  }
  if (pending_error_) {
    sink_.clear();  // as when next() itself had met the error: the step's events are not handed out
    finished_ = true;
    std::rethrow_exception(std::exchange(pending_error_, nullptr));
  }
  for (;;) {
    if (sink_.pop(event)) return true;
    if (finished_) return false;
    try {
      if (!fill()) finished_ = true;
    } catch (const ProviderError& error) {
      rethrow_with_request_id(error);
    }
  }
}

bool HttpCall::ready() noexcept {
  if (pending_error_ || finished_ || !sink_.empty()) return true;
  // The first next() reads a JSON body or an error status's body whole: only a 2xx stream
  // already under way decodes ahead.
  if (!started_ || !stream_) return false;
  if (terminator_seen_) return true;  // what follows it is only taken if already here
  const int status = exchange_->status();
  if (status < 200 || status >= 300) return false;
  try {
    if (decode_received()) return true;
    // Nothing complete is buffered: what the socket already received is taken without waiting,
    // so that events that arrived since the last read count as here (a relay then writes them
    // with the others, and reads them without a wait). Bounded: an event longer than this many
    // reads is simply not ready.
    constexpr int kMostReadsAhead = 4;
    for (int read = 0; read < kMostReadsAhead; ++read) {
      const std::span<char> space = sse_.prepare();
      const std::size_t n = exchange_->read_received(space.data(), space.size());
      if (n == 0) return false;
      sse_.commit(n);
      if (decode_received()) return true;
    }
    return false;
  } catch (const ProviderError& error) {
    try {
      rethrow_with_request_id(error);
    } catch (...) {
      pending_error_ = std::current_exception();
    }
  } catch (...) {
    pending_error_ = std::current_exception();  // the export glue turns it into MJ_ERR_PLUGIN, as from next()
  }
  return true;
}

void HttpCall::rethrow_with_request_id(const ProviderError& error) const {
  // Decoders and mid-stream transport failures do not know the request id, and it is what a
  // provider's support asks for: add the header's value when the error has none.
  const std::string_view id = error.request_id().empty() ? request_id() : std::string_view{};
  if (id.empty()) throw;  // the error being handled, as it is (called only inside a handler)
  throw ProviderError(error.kind(), error.what(), error.http_status(), error.provider_error_type(),
                      std::string(id), error.retry_after_ms());
}

bool HttpCall::decode_received() {
  SseEvent event;
  while (sse_.next(event)) {
    if (!decoder_->on_event(event, sink_)) {
      terminator_seen_ = true;
      decoder_->on_stream_end(true, sink_);
      return true;
    }
    if (!sink_.empty()) return true;
  }
  return false;
}

void HttpCall::decode_error_status(int status) {
  // The status was read: whatever goes wrong in the plugin's decoder, the caller keeps it.
  try {
    decoder_->on_error_status(*exchange_, body_);
  } catch (const ProviderError&) {
    throw;
  } catch (const std::exception& error) {
    throw ProviderError(MJ_ERR_PLUGIN,
                        fmt::format("the error decoder threw on an HTTP {} answer: {}", status, error.what()),
                        status);
  } catch (...) {
    throw ProviderError(MJ_ERR_PLUGIN,
                        fmt::format("the error decoder threw on an HTTP {} answer (not a std::exception)", status),
                        status);
  }
  throw ProviderError(MJ_ERR_PLUGIN,
                      fmt::format("the error decoder returned on an HTTP {} answer instead of throwing", status),
                      status);
}

bool HttpCall::fill() {
  // Events already handed out point into the SSE buffer and the decoder's parser: both may change
  // only once every one of them was returned.
  assert(sink_.empty());
  const int status = exchange_->status();
  if (status < 200 || status >= 300) {
    // Enough of an error body to decode its message; a huge one is cut (and its connection closed).
    exchange_->read_up_to(body_, HttpExchange::kMaxErrorBodySize);
    const std::string_view encoding = unrequested_encoding(*exchange_);
    if (!encoding.empty()) {
      // Compressed bytes would only garble the message: the decoder gets the status, the headers
      // and a body saying why it is not shown.
      body_ = fmt::format("(body in {}, not shown)", printable(encoding));
      body_.reserve(body_.size() + SseDecoder::kPadding);
    }
    decode_error_status(status);
  }
  if (!stream_) {
    exchange_->read_all(body_, max_body_bytes_);  // keeps SseDecoder::kPadding spare bytes for simdjson
    decoder_->on_body(body_, sink_);
    return false;
  }
  if (terminator_seen_) {
    // The answer is complete: take what follows the terminator only if it is already here, so the
    // connection can go back to the pool. A proxy that holds the body open after the terminator
    // must not hold the caller too (up to the idle timeout); its connection is closed instead.
    exchange_->finish_without_waiting();
    return false;
  }
  for (;;) {
    if (decode_received()) return true;  // after the terminator, the drain happens on the next step
    const std::span<char> space = sse_.prepare();
    const std::size_t n = exchange_->read_some(space.data(), space.size());
    if (n == 0) {
      decoder_->on_stream_end(false, sink_);
      return false;
    }
    sse_.commit(n);
  }
}

}  // namespace v1
}  // namespace majordomo::sdk
