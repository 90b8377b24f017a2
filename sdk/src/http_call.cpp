// HttpCall: one HTTP exchange decoded lazily into ABI events, for JSON bodies and SSE streams alike.
#include <majordomo/sdk/call.hpp>
#include <majordomo/sdk/errors.hpp>

#include <cassert>

namespace majordomo::sdk {
inline namespace v1 {

namespace {

mj_str to_str(std::string_view text) noexcept { return mj_str{text.data(), text.size()}; }

std::string_view view_of(mj_str text) noexcept {
  return text.size == 0 ? std::string_view{} : std::string_view{text.data, text.size};
}

mj_event make_event(int32_t type) noexcept {
  mj_event event{};
  event.struct_size = sizeof(mj_event);
  event.type = type;
  return event;
}

}  // namespace

void EventSink::text(std::string_view delta) {
  mj_event event = make_event(MJ_EVENT_TEXT);
  event.text = to_str(delta);
  events_.push_back(event);
}

void EventSink::reasoning(std::string_view delta) {
  mj_event event = make_event(MJ_EVENT_REASONING);
  event.text = to_str(delta);
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
  event.text = to_str(raw);
  events_.push_back(event);
}

void EventSink::meta(std::string_view request_id, std::string_view model) {
  mj_event event = make_event(MJ_EVENT_META);
  event.request_id = to_str(request_id);
  event.model = to_str(model);
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
  spec.url = view_of(params.url);
  spec.headers = std::span<const mj_header>(params.headers, params.headers == nullptr ? 0 : params.header_count);
  spec.body = view_of(params.body);
  spec.stream = stream_;
  exchange_ = transport.send(spec);
}

bool HttpCall::next(mj_event& event) {
  if (!started_) {
    started_ = true;
    const std::string_view name = decoder_->request_id_header();
    if (!name.empty()) {
      const std::string_view request_id = exchange_->header(name);
      if (!request_id.empty()) sink_.meta(request_id, {});
    }
  }
  for (;;) {
    if (sink_.pop(event)) return true;
    if (finished_) return false;
    if (!fill()) finished_ = true;
  }
}

bool HttpCall::fill() {
  // Events already handed out point into the SSE buffer and the decoder's parser: both may change
  // only once every one of them was returned.
  assert(sink_.empty());
  const int status = exchange_->status();
  if (status < 200 || status >= 300) {
    exchange_->read_all(body_);
    decoder_->on_error_status(*exchange_, body_);
  }
  if (!stream_) {
    exchange_->read_all(body_);  // keeps SseDecoder::kPadding spare bytes for simdjson
    decoder_->on_body(body_, sink_);
    return false;
  }
  if (terminator_seen_) {
    // The answer is complete. Drain what follows the terminator so the connection can go back to
    // the pool; a failure here only means it is closed instead.
    try {
      for (;;) {
        const std::span<char> space = sse_.prepare();
        if (exchange_->read_some(space.data(), space.size()) == 0) break;
      }
    } catch (const ProviderError&) {
    }
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
