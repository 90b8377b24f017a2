// The gateway's call path: a client's OpenAI- or Anthropic-shaped request through keys, limits and routes to an LLM, and its answer back.
#include "anthropic_messages_shape.hpp"
#include "client_connection.hpp"
#include "gateway_state.hpp"
#include "openai_chat_shape.hpp"

#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <iterator>
#include <random>

namespace majordomo::gateway {
namespace {

using Clock = std::chrono::steady_clock;

std::string_view endpoint_name(ClientShape shape) {
  return shape == ClientShape::openai ? "chat_completions" : "messages";
}

void send_error(ConnectionResponse& response, ClientShape shape, const ClientError& error) {
  if (error.retry_after_s) response.set("Retry-After", std::to_string(*error.retry_after_s));
  send_body(response, error.status, "application/json", error_json_for(shape, error));
}

ClientError refusal(int status, std::string message, std::string code = {}) {
  ClientError error;
  error.status = status;
  error.message = std::move(message);
  error.code = std::move(code);
  return error;
}

// The status a client's SDK turns into the matching exception class. A provider refusing the
// gateway's own credentials is the gateway's failure (502), not the client's (401): the client's
// key was fine. With the client's own provider key it is the client's.
ClientError client_error_of(const Error& error, ClientShape shape, bool client_provider_key) {
  ClientError out;
  out.message = error.what();
  out.code = error.provider_error_type();
  const bool gateway_credentials = !client_provider_key && (error.kind() == ErrorKind::authentication ||
                                                            error.kind() == ErrorKind::permission);
  if (gateway_credentials) {
    // The provider's text may quote the gateway's key, masked but partly readable ("sk-****abcd"),
    // and describes the gateway's configuration: it stays in the call log, not with the client.
    out.message = fmt::format("the provider{}{} refused the gateway's own credentials; the gateway's operator "
                              "must fix its configuration (the call log has the provider's answer)",
                              error.provider().empty() ? "" : " ", error.provider());
    out.code.clear();
  }
  switch (error.kind()) {
    case ErrorKind::authentication: out.status = client_provider_key ? 401 : 502; break;
    case ErrorKind::permission: out.status = client_provider_key ? 403 : 502; break;
    case ErrorKind::not_found: out.status = 404; break;
    case ErrorKind::bad_request:
    case ErrorKind::unsupported: out.status = 400; break;
    case ErrorKind::configuration: out.status = 500; break;  // the gateway's configuration, not the client's request
    case ErrorKind::rate_limited: out.status = 429; break;
    case ErrorKind::overloaded: out.status = shape == ClientShape::anthropic ? 529 : 503; break;
    case ErrorKind::timeout: out.status = 504; break;
    case ErrorKind::cancelled: out.status = 499; break;
    default: out.status = 502; break;
  }
  if (error.retry_after_ms() && (out.status == 429 || out.status >= 503)) {
    out.retry_after_s = std::max<int64_t>(1, (*error.retry_after_ms() + 999) / 1000);
  }
  return out;
}

// A key over its rate or budget (429), or whose shared limits cannot be checked (503).
ClientError limit_error(const LimitRefusal& limited) {
  ClientError error = refusal(limited.status, limited.message,
                              limited.status == 503 ? "limits_unavailable" : "rate_limit_exceeded");
  error.retry_after_s = limited.retry_after_s;
  return error;
}

std::string answer_id(GatewayState& state, ClientShape shape) {
  // A random process prefix keeps ids of several gateway processes apart; the counter keeps them
  // unique within one.
  static const uint64_t prefix = std::random_device{}() * 0x9e3779b97f4a7c15ull ^ std::random_device{}();
  const uint64_t serial = state.next_answer.fetch_add(1, std::memory_order_relaxed);
  std::string id;
  id.reserve(9 + 16 + 16);
  id.append(shape == ClientShape::openai ? "chatcmpl-" : "msg_");
  const auto append_hex = [&id](uint64_t value, int digits) {
    for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) id.push_back("0123456789abcdef"[(value >> shift) & 0xf]);
  };
  append_hex(prefix, 16);
  int digits = 8;  // more once the counter needs them: ids never repeat within a process
  while (digits < 16 && (serial >> (digits * 4)) != 0) ++digits;
  append_hex(serial, digits);
  return id;
}

// The client's X-Majordomo-* headers travel upstream as extra headers (the gateway metadata the
// call log records), except the two that carry keys.
void forward_metadata_headers(const ConnectionRequest& request, HeaderSet& out) {
  for (const auto& [name, value] : request.fields()) {
    if (name.size() <= 12 || !header_name_equals(name.substr(0, 12), "x-majordomo-")) continue;
    if (header_name_equals(name, "x-majordomo-key") || header_name_equals(name, "x-majordomo-provider-key")) continue;
    out.set(std::string(name), std::string(value));
  }
}

// The body, at most `limit` bytes; nullopt when it is longer.
std::optional<std::string> read_body(ConnectionRequest& request, std::size_t limit) {
  std::string body;
  switch (request.read_body(body, limit)) {
    case ConnectionRequest::BodyRead::complete: return body;
    case ConnectionRequest::BodyRead::too_large: return std::nullopt;
    case ConnectionRequest::BodyRead::timed_out:
      throw ClientRefusal(408, "the request body did not arrive within the gateway's limits.client_timeout_s");
    case ConnectionRequest::BodyRead::broken: break;
  }
  throw ClientRefusal(400, "the request body ended before it was complete, or its chunked framing is broken");
}

// Writes a stream's answer: the head in the same send as the first events, each write one HTTP
// chunk (plain bytes for HTTP/1.0), the last with the chunk that ends the answer (decisions.md).
// Sends are bounded by the connection's send timeout (limits.client_timeout_s).
class EventWriter {
 public:
  EventWriter(ConnectionResponse& response, bool chunked) : response_(response), chunked_(chunked) {
    response.append_head(frame_);
  }

  // Writes `events`; `last` ends the answer (a chunked one with its empty chunk), after which
  // nothing more may be written. False when the client is gone or stopped reading (the send
  // timeout ran out), and for every write after that: a chunk may have gone out in part.
  bool write(std::string_view events, bool last) {
    if (failed_ || ended_) return false;
    ended_ = last;
    // frame_ holds the head until the first write has sent it, then the chunk's size line; the
    // events go out from where they are (one sendmsg of the parts, no copy).
    std::string_view tail;  // unchunked (HTTP/1.0): none
    if (chunked_ && !events.empty()) {  // an empty chunk would end the answer
      fmt::format_to(std::back_inserter(frame_), "{:x}\r\n", events.size());
      tail = last ? std::string_view("\r\n0\r\n\r\n") : std::string_view("\r\n");
    } else if (chunked_ && last) {
      tail = "0\r\n\r\n";
    }
    began_ = true;
    if (!frame_.empty() || !events.empty() || !tail.empty()) failed_ = !response_.send_raw(frame_, events, tail);
    frame_.clear();
    return !failed_;
  }
  bool failed() const noexcept { return failed_; }
  // True once something of the answer may have gone out (its head first).
  bool began() const noexcept { return began_; }
  // True once the whole answer went out, its end included.
  bool ended() const noexcept { return ended_ && !failed_; }

 private:
  ConnectionResponse& response_;
  bool chunked_;
  bool failed_ = false;
  bool began_ = false;
  bool ended_ = false;
  std::string frame_;
};

double cost_of_records(const std::vector<AttemptRecord>& records) {
  double total = 0;
  for (const AttemptRecord& record : records) total += record.cost.total;
  return total;
}

// One call's bookkeeping: metrics, the key's spend and the access log line, written once.
struct CallAccount {
  CallAccount(GatewayState& gateway, ClientShape client_shape) : state(gateway), shape(client_shape) {}
  GatewayState& state;
  ClientShape shape;
  const GatewayKey* key = nullptr;
  std::string client_model;
  std::string remote;
  Clock::time_point started = Clock::now();
  CallLabels labels;
  CallOutcome outcome;
  std::string served_by;
  std::string id;

  bool charged = false;

  // Adds the call's cost to the key's day, once. Called before the answer's last bytes go out
  // where the cost is known by then, so that a client holding its answer can count on its next
  // request (to any gateway process) seeing the spend.
  void charge() {
    if (charged) return;
    charged = true;
    if (key != nullptr) state.key_limits->charge(*key, outcome.cost_usd);
  }
  void finish() {
    outcome.duration_s = std::chrono::duration<double>(Clock::now() - started).count();
    charge();
    state.metrics.record(labels, outcome);
    if (!state.access_log.enabled()) return;
    state.access_log.write(fmt::format(
        "{} {} {} {} key={} model={} served_by={} stream={} ms={:.1f} in={} out={} usd={} id={}{}{}", remote,
        "POST", shape == ClientShape::openai ? "/v1/chat/completions" : "/v1/messages", outcome.status,
        labels.key, client_model, served_by.empty() ? "-" : served_by, outcome.stream ? 1 : 0,
        outcome.duration_s * 1000, outcome.usage.input_tokens, outcome.usage.output_tokens, outcome.cost_usd, id,
        outcome.error_kind.empty() ? "" : " error=", outcome.error_kind));
  }
  void from_response(const Response& answer) {
    if (answer.served_by.empty() && answer.provider.empty()) return;  // nothing arrived: keep the route's labels
    outcome.usage = answer.usage;
    outcome.cost_usd = answer.cost.total;
    served_by = answer.served_by.empty() ? answer.provider + ":" + answer.model : answer.served_by;
    const std::size_t colon = served_by.find(':');
    if (colon != std::string::npos) {
      labels.provider = served_by.substr(0, colon);
      labels.model = served_by.substr(colon + 1);
    }
  }
  void from_error(const Error& error, int status) {
    outcome.status = status;
    outcome.error_kind = std::string(to_string(error.kind()));
    outcome.cost_usd = cost_of_records(error.details().records);
  }
};

void answer_complete(ClientShape shape, const Route& route, ClientRequest& call,
                     const AnswerLabel& label, ConnectionRequest& request,
                     ConnectionResponse& response, CallAccount& account, bool client_provider_key) {
  // A client that hangs up while the provider thinks ends the call: nobody would read the answer.
  // The connection's disconnect watch cancels it.
  const std::shared_ptr<CallCancellation> cancellation = request.connection().call_cancellation();
  call.request.cancellation = cancellation;
  try {
    const Response answer = route.llm->complete(call.request);
    account.from_response(answer);
    account.charge();
    const std::string body = shape == ClientShape::openai ? openai_chat::completion_json(answer, label)
                                                          : anthropic_messages::message_json(answer, label);
    if (!account.served_by.empty()) response.set("X-Majordomo-Served-By", account.served_by);
    send_body(response, 200, "application/json", body);
  } catch (const Error& error) {
    const ClientError client_error = client_error_of(error, shape, client_provider_key);
    account.from_error(error, client_error.status);
    if (cancellation->cancelled()) {
      response.abandon();  // the client is gone: nothing to answer
      return;
    }
    send_error(response, shape, client_error);
  }
}

// Relays a stream as it arrives: the head goes out with the first event (so a failure before it
// is still an HTTP error the SDK raises as its own typed error, and the first token is never held
// back); after it, the events that arrived together upstream leave in one write, and a write
// happens as soon as the next event is not already here (ResponseStream::ready). A client that
// hangs up ends the upstream call.
void answer_stream(GatewayState& state, ClientShape shape, const Route& route, ClientRequest& call,
                   const AnswerLabel& label, ConnectionRequest& request,
                   ConnectionResponse& response, CallAccount& account, bool client_provider_key) {
  // What one write may hold: enough for a burst of events, small enough that a client sees them
  // before the upstream's whole answer is in.
  constexpr std::size_t kMostHeldBytes = 32 * 1024;
  account.outcome.stream = true;
  // The watch thread cancels the call when the client hangs up: the upstream connection is closed
  // at once, even while the provider sends nothing, and the call log's row says cancelled.
  const std::shared_ptr<CallCancellation> cancellation = request.connection().call_cancellation();
  call.request.cancellation = cancellation;
  std::optional<openai_chat::ChunkEncoder> openai_events;
  std::optional<anthropic_messages::EventEncoder> anthropic_events;
  if (shape == ClientShape::openai) openai_events.emplace(label, call.include_usage);
  else anthropic_events.emplace(label);

  std::optional<ResponseStream> stream;
  std::optional<EventWriter> out;  // once the answer began (its head goes with the first write)
  std::string events;  // encoded and not yet written
  StreamChunk chunk;
  struct InFlightStream {
    GatewayMetrics& metrics;
    explicit InFlightStream(GatewayMetrics& gauges) : metrics(gauges) { metrics.stream_opened(); }
    ~InFlightStream() { metrics.stream_closed(); }
  } in_flight{state.metrics};
  const auto write_held = [&](bool last) {
    const bool written = out->write(events, last);
    events.clear();
    return written;
  };
  try {
    stream.emplace(route.llm->stream(call.request));
    for (;;) {
      const bool more = stream->next(chunk);
      if (more) {
        if (openai_events) openai_events->chunk(chunk, stream->response(), events);
        else anthropic_events->chunk(chunk, stream->response(), events);
        // Held while the next event is already here (ready() ends the chunk's views: it comes after).
        if (out && events.size() < kMostHeldBytes && stream->ready()) continue;
      } else {
        account.from_response(stream->response());
        account.charge();
        if (openai_events) openai_events->finish(stream->response(), events);
        else anthropic_events->finish(stream->response(), events);
      }
      if (!out) {
        account.outcome.first_token_s = std::chrono::duration<double>(Clock::now() - account.started).count();
        response.set_status(200);
        response.set_content_type("text/event-stream");
        response.set("Cache-Control", "no-cache");
        response.set("X-Accel-Buffering", "no");  // nginx in front must not hold events back
        if (!stream->response().served_by.empty()) response.set("X-Majordomo-Served-By", stream->response().served_by);
        const bool chunked = !request.http_1_0();
        if (chunked) {
          response.set_chunked(true);
        } else {
          response.set_keep_alive(false);  // HTTP/1.0 has no chunks: the stream ends with the connection
        }
        out.emplace(response, chunked);
      }
      if (!write_held(!more) && more) {
        // The write found the client gone before the watch did: the same ending, by the same
        // path (the next pull throws CancelledError, which the call log records).
        cancellation->cancel();
        continue;
      }
      if (!more) break;
    }
  } catch (const Error& error) {
    const ClientError client_error = client_error_of(error, shape, client_provider_key);
    account.from_error(error, client_error.status);
    if (cancellation->cancelled()) {
      account.from_response(stream ? stream->response() : Response{});
      account.outcome.status = 499;
      response.abandon();  // nothing more is written: the client is gone
    } else if (!out) {
      send_error(response, shape, client_error);
    } else {
      // The events held back arrived before the error: they go first.
      if (openai_events) openai_events->error(client_error, events);
      else anthropic_events->error(client_error, events);
      write_held(true);
    }
  } catch (...) {
    // Not a call's error (memory, a bug): before the head, the handler answers 500; after it,
    // nothing may follow what was written (a 500 would land inside the stream): the connection
    // just ends.
    if (!out || !out->began()) throw;
    account.outcome.status = 500;
    response.set_keep_alive(false);
  }
  // An answer that did not go out whole (a failed write may have left part of a chunk on the
  // wire; a cancelled one has no end) leaves a connection that cannot carry another answer.
  if (out && !out->ended()) response.set_keep_alive(false);
}

}  // namespace

std::string error_json_for(ClientShape shape, const ClientError& error) {
  return shape == ClientShape::openai ? openai_chat::error_json(error) : anthropic_messages::error_json(error);
}

void send_body(ConnectionResponse& response, int status, std::string_view content_type,
               std::string_view body) {
  response.set_status(status);
  response.set_content_type(content_type);
  response.send_buffer(body);
}

const GatewayKey* authenticate(const GatewayState&, const Generation& generation,
                               const ConnectionRequest& request, std::string& problem) {
  std::string_view text;
  const std::string_view authorization = request.field("Authorization").value_or(std::string_view());
  // X-Majordomo-Key first: a client whose SDK insists on an apiKey of its own can give it any dummy.
  if (const auto key = request.field("X-Majordomo-Key")) {
    text = *key;
  } else if (authorization.size() > 7 && header_name_equals(authorization.substr(0, 7), "bearer ")) {
    text = authorization.substr(7);
  } else if (const auto api_key = request.field("x-api-key")) {
    text = *api_key;  // what the Anthropic SDKs send their apiKey as
  }
  if (text.empty()) {
    problem = "no gateway key: send it as X-Majordomo-Key, Authorization: Bearer <key> (the SDK's apiKey) or x-api-key";
    return nullptr;
  }
  const GatewayKey* key = generation.keys.find(text);
  if (key == nullptr) problem = "the gateway key is not valid (keys are listed by SHA-256 under gateway_keys)";
  return key;
}

namespace {

// Why a request is not run, as the client hears it and as metrics count it.
struct Refused {
  ClientError error;
  std::string reason;  // owned: a limit's reason lives in a refusal that is gone by the catch
};

// A request that passed every check: what to run and where.
struct AdmittedCall {
  ClientRequest call;
  Route route;
  std::optional<std::string> provider_key;  // the client's own, where pass-through allows it
};

// Key, body, shape, model permission, pass-through, route and limits, in that order; throws
// Refused at the first that fails. `body_read` says whether the connection can be reused after a refusal.
AdmittedCall admit_call(GatewayState& state, ClientShape shape, const Generation& generation,
                        ConnectionRequest& request, CallAccount& account, bool& body_read) {
  if (!generation.keys.anonymous()) {
    std::string problem;
    account.key = authenticate(state, generation, request, problem);
    if (account.key == nullptr) throw Refused{refusal(401, problem, "invalid_api_key"), "key"};
  }
  account.labels.key = account.key ? account.key->name : "anonymous";

  std::optional<std::string> body;
  try {
    body = read_body(request, state.limits.max_request_bytes);
  } catch (const ClientRefusal& broken) {
    throw Refused{refusal(broken.status(), broken.what()), "bad_request"};
  }
  if (!body) {
    throw Refused{refusal(413, fmt::format("the request body is over the gateway's limit of {} bytes "
                                           "(limits.max_request_bytes)", state.limits.max_request_bytes)),
                  "too_large"};
  }
  body_read = true;
  AdmittedCall admitted;
  ClientRequest& call = admitted.call;
  try {
    call = shape == ClientShape::openai ? openai_chat::read_request(*body) : anthropic_messages::read_request(*body);
  } catch (const ClientRefusal& bad) {
    ClientError error = refusal(bad.status(), bad.what());
    error.param = bad.param();
    throw Refused{error, "bad_request"};
  }
  account.client_model = call.model;
  if (account.key != nullptr && !KeyTable::allows(*account.key, call.model)) {
    throw Refused{refusal(403, fmt::format("gateway key '{}' may not use model '{}'", account.key->name, call.model),
                          "model_not_allowed"),
                  "model"};
  }
  if (const auto client_key = request.field("X-Majordomo-Provider-Key")) {
    if (!generation.routes.allows_key_pass_through(call.model)) {
      throw Refused{refusal(403, fmt::format("model '{}': this gateway does not take provider keys from clients "
                                             "(providers.<id>.key_pass_through)", call.model)),
                    "pass_through"};
    }
    admitted.provider_key = std::string(*client_key);
  }
  std::optional<Route> route;
  try {
    route = generation.routes.find(call.model, admitted.provider_key);
  } catch (const Error& error) {
    throw Refused{client_error_of(error, shape, admitted.provider_key.has_value()), "route"};
  }
  if (!route) {
    throw Refused{refusal(404, fmt::format("the model '{}' does not exist here: use \"provider/model\" with a "
                                           "configured provider, a cascade or a catalog alias (GET /v1/models)",
                                           call.model), "model_not_found"),
                  "model_not_found"};
  }
  account.labels.provider = route->provider;
  account.labels.model = route->model;
  if (account.key != nullptr) {
    if (const auto limited = state.key_limits->admit(*account.key)) throw Refused{limit_error(*limited), limited->code};
  }
  admitted.route = std::move(*route);
  return admitted;
}

// Recorded however the answer ends, a client gone mid-write or an exception included.
struct FinishOnExit {
  CallAccount& account;
  ~FinishOnExit() {
    try {
      account.finish();
    } catch (...) {
    }
  }
};

}  // namespace

void serve_llm_call(GatewayState& state, ClientShape shape, ConnectionRequest& request, ConnectionResponse& response) {
  const std::string_view endpoint = endpoint_name(shape);
  const std::shared_ptr<const Generation> generation = state.generation();
  CallAccount account(state, shape);
  account.remote = request.peer_host();
  account.labels.endpoint = std::string(endpoint);
  bool body_read = false;
  std::optional<AdmittedCall> admitted;
  try {
    admitted.emplace(admit_call(state, shape, *generation, request, account, body_read));
  } catch (const Refused& refused) {
    // An unread (or partly read) body would be taken for the next request on this connection.
    if (!body_read) response.set_keep_alive(false);
    state.metrics.record_refusal(endpoint, refused.error.status, refused.reason);
    if (state.access_log.enabled()) {
      state.access_log.write(fmt::format("{} POST {} {} key={} refused={}", account.remote,
                                         shape == ClientShape::openai ? "/v1/chat/completions" : "/v1/messages",
                                         refused.error.status, account.key ? account.key->name : "-", refused.reason));
    }
    send_error(response, shape, refused.error);
    return;
  }
  ClientRequest& call = admitted->call;
  forward_metadata_headers(request, call.request.options.extra_headers);
  // Which key made the call, on the log row only: never sent upstream (only the call log reads
  // these labels, so a gateway without one does not build them).
  if (state.call_log.enabled()) {
    call.request.log_metadata["gateway_key"] = account.labels.key;
    call.request.log_metadata["gateway_endpoint"] = std::string(endpoint);
  }

  AnswerLabel label;
  label.id = answer_id(state, shape);
  label.created = static_cast<int64_t>(std::time(nullptr));
  label.model = call.model;
  account.id = label.id;
  response.set("X-Request-Id", label.id);
  if (state.draining.load()) response.set_keep_alive(false);
  const FinishOnExit finish_on_exit{account};
  const bool client_key = admitted->provider_key.has_value();
  if (call.stream) {
    answer_stream(state, shape, admitted->route, call, label, request, response, account, client_key);
  } else {
    answer_complete(shape, admitted->route, call, label, request, response, account, client_key);
  }
}

}  // namespace majordomo::gateway
