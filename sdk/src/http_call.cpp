// HttpCall: one HTTP exchange decoded lazily into ABI events, for JSON bodies and SSE streams alike.
#include <majordomo/sdk/call.hpp>
#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/str.hpp>

#include "ascii.hpp"

#include <fmt/format.h>

#include <cassert>
#include <cstddef>
#include <string>

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

void EventSink::text(std::string_view delta) {
  mj_event event = make_event(MJ_EVENT_TEXT);
  event.text = to_mj(delta);
  events_.push_back(event);
}

void EventSink::reasoning(std::string_view delta) {
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
  // The proxy field exists only in hosts newer than the first v1 layout.
  if (params.struct_size >= offsetof(mj_call_params, proxy) + sizeof(params.proxy)) spec.proxy = view(params.proxy);
  exchange_ = transport.send(spec);
  // Some OpenAI-compatible servers ignore "stream": true and answer with one JSON document. Fed
  // to the SSE parser it would look like a stream without its terminator, and the answer would be
  // lost; decoded as a body it is the complete answer it is.
  const int status = exchange_->status();
  if (stream_ && status >= 200 && status < 300 &&
      detail_ascii::media_type_is(exchange_->header("content-type"), "application/json")) {
    stream_ = false;
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
  for (;;) {
    if (sink_.pop(event)) return true;
    if (finished_) return false;
    try {
      if (!fill()) finished_ = true;
    } catch (const ProviderError& error) {
      // Decoders and mid-stream transport failures do not know the request id, and it is what a
      // provider's support asks for: add the header's value when the error has none.
      const std::string_view id = error.request_id().empty() ? request_id() : std::string_view{};
      if (id.empty()) throw;
      throw ProviderError(error.kind(), error.what(), error.http_status(), error.provider_error_type(),
                          std::string(id), error.retry_after_ms());
    }
  }
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
    decode_error_status(status);
  }
  if (!stream_) {
    exchange_->read_all(body_);  // keeps SseDecoder::kPadding spare bytes for simdjson
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
  SseEvent event;
  for (;;) {
    while (sse_.next(event)) {
      if (!decoder_->on_event(event, sink_)) {
        terminator_seen_ = true;
        decoder_->on_stream_end(true, sink_);
        return true;  // the drain happens on the next step, after these events were returned
      }
      if (!sink_.empty()) return true;
    }
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
