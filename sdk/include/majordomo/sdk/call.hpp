// HttpCall: drives one exchange through a provider's ResponseDecoder; JSON bodies and SSE streams share this path.
#pragma once

#include <majordomo/sdk/requires_cxx20.hpp>

#include <majordomo/plugin.h>
#include <majordomo/sdk/http.hpp>
#include <majordomo/sdk/sse.hpp>

#include <cstddef>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace majordomo::sdk {
inline namespace v1 {

class ProviderError;  // majordomo/sdk/errors.hpp

// (0.5) The bytes one answer keeps beyond the decoding step that read them: text, reasoning,
// tool-call ids, names and arguments and continuation items (the host joins them for the whole
// call), and what a decoder gathers to emit later (a thinking block before its continuation
// item). Each piece is bounded by the SSE event limit, but a stream has no end: without a total,
// a hostile server could make one call hold thousands of the largest pieces. HttpCall sets the
// limit to TransportConfig::max_body_bytes (64 MiB by default), so a streamed answer keeps no
// more than a whole body may hold.
class RetainedBytesBudget {
 public:
  static constexpr std::size_t kDefaultLimit = std::size_t{64} << 20;  // HttpExchange::kMaxBodySize

  // `origin` names the server in the error (HttpExchange::origin()); empty: "the server".
  void set_limit(std::size_t limit, std::string_view origin);
  // Counts `bytes` more. Throws ProviderError MJ_ERR_PARSE naming the limit, and how to raise it,
  // when the total would pass the limit; nothing is counted then.
  void charge(std::size_t bytes);
  // Bytes a decoder gathered and no longer holds (what it emitted from them stays counted).
  void refund(std::size_t bytes) noexcept { used_ -= bytes < used_ ? bytes : used_; }
  std::size_t used() const noexcept { return used_; }
  std::size_t limit() const noexcept { return limit_; }

 private:
  std::size_t limit_ = kDefaultLimit;
  std::size_t used_ = 0;
  std::string origin_;
};

// Collects the events one decoding step produces. String views handed in must stay valid until
// the events are drained, i.e. until the next decoding step (simdjson's string buffer and the SSE
// buffer both satisfy that).
class EventSink {
 public:
  void text(std::string_view delta);
  void reasoning(std::string_view delta);
  void usage(const mj_usage& usage);
  void stop(int32_t normalised, std::string_view raw);
  void meta(std::string_view request_id, std::string_view model);
  // (0.5) Tool calls, numbered from 0 in the answer's order (plugin.h, MJ_EVENT_TOOL_CALL_*), and
  // provider-only continuation items.
  void tool_call_start(int32_t index, std::string_view id, std::string_view name, std::string_view arguments = {});
  void tool_call_arguments(int32_t index, std::string_view piece);
  void tool_call_end(int32_t index);
  void continuation(std::string_view item);
  // text, reasoning, tool_call_start (id, name, arguments), tool_call_arguments and continuation
  // charge what they carry to this budget, which lasts as long as the sink (one call); a decoder charges here what
  // it gathers for later events too.
  RetainedBytesBudget& retained() noexcept { return retained_; }

  bool empty() const noexcept { return head_ == events_.size(); }
  // Moves the oldest pending event into `out`; false when none is pending.
  bool pop(mj_event& out);
  void clear() noexcept { events_.clear(); head_ = 0; }

 private:
  std::vector<mj_event> events_;
  std::size_t head_ = 0;
  RetainedBytesBudget retained_;
};

// What a provider plugin implements: turning its wire format into events.
class ResponseDecoder {
 public:
  virtual ~ResponseDecoder() = default;
  // Name of the response header carrying the provider's request id (empty: none).
  virtual std::string_view request_id_header() const { return {}; }
  // A complete 2xx JSON body: the answer to a non-streaming request, or to a streaming one the
  // server answered without streaming. `body` is followed by SseDecoder::kPadding readable bytes.
  // Bodies over TransportConfig::max_body_bytes fail with MJ_ERR_PARSE before this is called.
  virtual void on_body(std::string_view body, EventSink& sink) = 0;
  // One SSE event of a 2xx stream. Returns false once the provider's terminator was seen (the
  // call then ends, reading only what of the rest of the body already arrived).
  virtual bool on_event(const SseEvent& event, EventSink& sink) = 0;
  // The stream's body ended. `terminator_seen` tells whether on_event returned false before.
  // Throw ProviderError (e.g. MJ_ERR_CONNECTION) when a stream that needs a terminator lacks it.
  virtual void on_stream_end(bool terminator_seen, EventSink& sink) = 0;
  // A non-2xx response with its body (at most HttpExchange::kMaxErrorBodySize bytes of it):
  // throw the typed ProviderError it describes. Anything else it throws (or a return) becomes
  // MJ_ERR_PLUGIN with the HTTP status kept.
  [[noreturn]] virtual void on_error_status(const HttpExchange& exchange, std::string_view body) = 0;
};

// The plugin-side half of a call, as the export glue sees it.
class Call {
 public:
  virtual ~Call() = default;
  // Fills `event` and returns true, or returns false at the successful end. Throws ProviderError.
  virtual bool next(mj_event& event) = 0;
  // (0.6) mj_plugin_v1.call_ready: true only when the next next() will return without waiting
  // for the network. It may decode ahead (ending the views of the event returned before), must
  // not wait and must not throw: an error it meets is kept for next() to throw. false is always
  // a correct answer (the host then sends what it holds at once); true must be exact.
  virtual bool ready() noexcept { return false; }
};

// A Call over HTTP: sends on construction (throws ProviderError), then decodes lazily in next().
// It honours mj_call_params.proxy, time_left_ms (the call's deadline, 0.3) and cancel_fd (the
// call's cancellation, 0.6: every network wait of the call ends with MJ_ERR_CANCELLED once the
// descriptor is readable) and the transport's response limits (TransportConfig::max_event_bytes,
// max_body_bytes).
// The first event is always MJ_EVENT_META with the request id header, when present; errors
// thrown after the send carry that id too unless the decoder set one. A streaming request
// answered with a 2xx application/json body is decoded with on_body, as servers that ignore
// the stream flag send the whole answer that way.
class HttpCall final : public Call {
 public:
  HttpCall(HttpTransport& transport, const mj_call_params& params,
           std::unique_ptr<ResponseDecoder> decoder);
  bool next(mj_event& event) override;
  // True when an event, the end or an error is already decoded, or when the bytes already
  // received decode to one (decoding them ahead). Never waits: over plain TCP it also takes what
  // the socket already holds, with a read that does not wait (HttpExchange::read_received).
  bool ready() noexcept override;

 private:
  bool fill();  // runs one decoding step; false at end of body
  // Decodes the SSE events already received until one yields events (true) or the terminator
  // was seen (true); false when more bytes are needed. Throws what the decoder throws.
  bool decode_received();
  // Inside a handler of `error`: throws its copy with the request id header's value when the
  // error has no id of its own, otherwise rethrows it unchanged.
  [[noreturn]] void rethrow_with_request_id(const ProviderError& error) const;
  [[noreturn]] void decode_error_status(int status);  // the decoder's typed error, or MJ_ERR_PLUGIN
  std::string_view request_id() const;  // the decoder's request id header; empty when absent
  // A redirect (MJ_ERR_BAD_REQUEST naming the Location: never followed) or an unrequested
  // Content-Encoding (MJ_ERR_PROTOCOL naming it) ends the call before any decoding (0.3).
  void refuse_unusable_response(const HttpExchange& exchange) const;

  std::unique_ptr<HttpExchange> exchange_;
  std::unique_ptr<ResponseDecoder> decoder_;
  EventSink sink_;
  SseDecoder sse_;
  std::string body_;
  std::size_t max_body_bytes_ = HttpExchange::kMaxBodySize;
  bool stream_ = false;
  bool started_ = false;
  bool finished_ = false;
  bool terminator_seen_ = false;
  std::exception_ptr pending_error_;  // met by ready(), thrown by the next next()
};

}  // namespace v1
}  // namespace majordomo::sdk
