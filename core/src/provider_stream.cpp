// ProviderStreamSource: sending a prepared request through the plugin, retrying it, and reading its events.
#include "provider_stream.hpp"

#include "attempt_history.hpp"
#include "tool_call_check.hpp"
#include "usage_check.hpp"

#include <majordomo/errors.hpp>
#include <majordomo/sdk/str.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <random>
#include <thread>
#include <utility>

namespace majordomo {
namespace {

using sdk::to_mj;
using sdk::view;

double jitter() {
  // Per thread, so concurrent calls never share generator state (core, not a plugin: no unload).
  thread_local std::minstd_rand generator{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(generator);
}

}  // namespace

ProviderStreamSource::ProviderStreamSource(std::shared_ptr<ProviderLLM> owner, ProviderLLM::BuiltRequest built,
                     HeaderSet request_headers, bool stream, bool fail_on_truncation, CallDeadline deadline,
                     AttemptRecord record_template, std::shared_ptr<CallCancellation> cancellation)
    : owner_(std::move(owner)), built_(std::move(built)),
      request_headers_(std::move(request_headers)), stream_(stream),
      fail_on_truncation_(fail_on_truncation), deadline_(deadline), cancellation_(std::move(cancellation)),
      template_(std::move(record_template)) {
  // The same layering as HeaderSet::merge, as views: instance headers a per-request header
  // replaces are left out, then the per-request ones follow. Nothing is copied.
  wire_headers_.reserve(owner_->instance_headers_.size() + request_headers_.size());
  for (const auto& header : owner_->instance_headers_) {
    if (!request_headers_.contains(header.name)) {
      wire_headers_.push_back(mj_header{to_mj(header.name), to_mj(header.value)});
    }
  }
  for (const auto& header : request_headers_) {
    wire_headers_.push_back(mj_header{to_mj(header.name), to_mj(header.value)});
  }
}

// Sends the request, retrying per the policy; throws the last error when it gives up.
void ProviderStreamSource::start() {
  for (;;) {
    try {
      send();
      return;
    } catch (const CancelRequested&) {
      throw_cancelled(nullptr, history_.empty() ? std::string("before its first attempt")
                                                : fmt::format("before attempt {}", history_.size() + 1));
    } catch (const Error& error) {
      retry_or_throw(error);
    }
  }
}

bool ProviderStreamSource::next(StreamChunk& chunk) {
  for (;;) {
    try {
      if (resend_) {
        resend_ = false;
        send();
      }
      if (ahead_error_) std::rethrow_exception(std::exchange(ahead_error_, nullptr));
      Pulled pulled = Pulled::end;
      if (ahead_) {
        pulled = *std::exchange(ahead_, std::nullopt);
        // As next_event does: what arrived after cancel() is not handed on.
        if (pulled == Pulled::chunk && cancel_requested()) throw CancelRequested{};
        if (pulled == Pulled::chunk) chunk = ahead_chunk_;
      } else {
        pulled = next_event(chunk, false);
      }
      const bool more = pulled == Pulled::chunk;
      if (more && stream_) delivered_ = true;
      return more;
    } catch (const DeadlinePassed&) {
      release_call();
      throw_deadline(nullptr, {});
    } catch (const CancelRequested&) {
      release_call();
      throw_cancelled(nullptr, fmt::format("during attempt {}", history_.size() + 1));
    } catch (const Error& error) {
      release_call();
      retry_or_throw(error);
      resend_ = true;
    }
  }
}

bool ProviderStreamSource::ready() noexcept {
  // Before a chunk reached the caller, next() may answer an error with a retry, which waits.
  if (ahead_error_) return delivered_;
  if (ahead_ || call_ == nullptr) return true;
  if (owner_->plugin_->table.call_ready == nullptr) return false;  // a plugin built before 0.6
  try {
    const Pulled pulled = next_event(ahead_chunk_, true);
    if (pulled == Pulled::would_wait) return false;
    ahead_ = pulled;
    return true;
  } catch (...) {
    ahead_error_ = std::current_exception();
    return delivered_;
  }
}

void ProviderStreamSource::close() noexcept {
  // What was pulled ahead points into the call closed below, and never reached the caller.
  ahead_.reset();
  ahead_error_ = nullptr;
  if (attempt_open_ && call_ != nullptr) {
    // The caller abandoned the stream: its attempt ends as cancelled, with what arrived so far.
    ErrorDetails cancelled;
    cancelled.kind = ErrorKind::cancelled;
    cancelled.message = "the caller closed the stream before its end";
    try {
      record_attempt(&cancelled, 0);
    } catch (...) {  // out of memory while recording: the record stays as it was
    }
  }
  release_call();
}

void ProviderStreamSource::release_call() noexcept {
  if (call_ != nullptr) {
    mj_call* call = std::exchange(call_, nullptr);
    try {
      owner_->plugin_->table.call_close(call);
    } catch (...) {  // the plugin broke the ABI while closing: nothing is left to report it to
    }
  }
}

// One attempt: a fresh response and a new call with the prepared request.
void ProviderStreamSource::send() {
  if (cancel_requested()) throw CancelRequested{};
  // The first attempt fills the source's fresh Response; only a retry has one to start over. The
  // records go on: the last one is this attempt's, in progress (an abandoned stream shows it).
  std::vector<AttemptRecord> records = std::move(response_.records);
  if (!history_.empty()) response_ = Response{};
  tool_call_ended_.clear();
  records.push_back(template_);
  response_.records = std::move(records);
  attempt_open_ = true;
  response_.provider = owner_->provider();
  response_.model = owner_->model_;
  // Who answered, also when no items come: continuation data goes back to this provider (and
  // the model asked, not the dated name a server may report, where the plugin ties it to the
  // model; request_turns.cpp).
  response_.continuation.provider = response_.provider;
  response_.continuation.model = owner_->model_;
  if (!owner_->alias_.empty()) response_.alias = owner_->alias_;
  if (!owner_->warnings_.empty()) response_.warnings = owner_->warnings_;
  response_.attempts = static_cast<int>(history_.size()) + 1;
  if (!history_.empty()) response_.failed_attempts = history_;
  mj_call_params params{};
  params.struct_size = sizeof(params);
  params.flags = stream_ ? static_cast<uint32_t>(MJ_CALL_STREAM) : 0u;
  params.url = to_mj(built_.url);
  params.headers = wire_headers_.data();
  params.header_count = wire_headers_.size();
  params.body = built_.fields.body;
  params.proxy = to_mj(owner_->proxy_.url);
  // An older plugin does not read the field (call_params_size); it is bounded by its instance's
  // total timeout (clamped to the deadline) and by the checks here between attempts and events.
  if (owner_->plugin_reads_time_left_) params.time_left_ms = deadline_.time_left_ms();
  // (0.6) A plugin that watches the descriptor stops waiting at once; an older one is stopped by
  // the checks around call_next.
  if (owner_->plugin_reads_cancel_fd_ && cancellation_ && cancellation_->descriptor() >= 0) {
    params.flags |= static_cast<uint32_t>(MJ_CALL_CANCEL_FD);
    params.cancel_fd = cancellation_->descriptor();
  }
  started_ = std::chrono::steady_clock::now();
  mj_call* raw_call = nullptr;
  const auto call_open = owner_->plugin_->table.call_open;
  if (mj_status* status = owner_->into_plugin(
          "call_open", [&] { return call_open(owner_->instance_, &params, &raw_call); }, &request_headers_);
      status != nullptr) {
    owner_->throw_status(status, {}, {}, &request_headers_);
  }
  call_ = raw_call;
}

// Returns after waiting when the policy allows another attempt; otherwise throws `error` with
// the attempts before it.
void ProviderStreamSource::retry_or_throw(const Error& error) {
  // Whatever ended the attempt (the plugin's MJ_ERR_CANCELLED, or an error an older plugin met
  // meanwhile), a call its caller cancelled ends as cancelled: never retried, never a timeout.
  if (cancel_requested()) throw_cancelled(&error, fmt::format("during attempt {}", history_.size() + 1));
  const RetryPolicy& policy = owner_->retry_;
  std::optional<std::chrono::milliseconds> wait;
  if (!delivered_) wait = policy.delay_before_retry(error.details(), static_cast<int>(history_.size()) + 1, jitter());
  // Past the deadline, an attempt that timed out (the deadline cut it) or that would be retried
  // ends the call as a timeout naming the deadline, with every attempt in its history; any other
  // error is the answer as it is.
  if (deadline_.passed() && (wait || error.kind() == ErrorKind::timeout)) throw_deadline(&error, {});
  if (!wait) {
    record_attempt(&error.details(), 0);
    rethrow_with_history(error, history_, {}, &response_.records);
  }
  // A wait that would end past the deadline is not started: the next attempt could not run.
  if (deadline_.ends_within(*wait)) {
    throw_deadline(&error, fmt::format(" (the {} wait before attempt {} would end past it)", seconds_text(*wait),
                                       history_.size() + 2));
  }
  history_.push_back(failed_attempt(error.details(), std::string(owner_->provider()), owner_->model_, wait->count()));
  record_attempt(&error.details(), wait->count());
  sleep_before_retry(*wait);
  // A policy's own wait may have run longer than asked.
  if (deadline_.passed()) throw_deadline(nullptr, {});
}

void ProviderStreamSource::sleep_before_retry(std::chrono::milliseconds wait) {
  const auto slept_from = std::chrono::steady_clock::now();
  if (owner_->retry_.wait) {
    owner_->retry_.wait(wait);
  } else if (cancellation_) {
    cancellation_->wait_for(wait);
  } else {
    std::this_thread::sleep_for(wait);
  }
  if (!cancel_requested()) return;
  // Cut short: the records say how long the call really waited.
  const auto slept = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - slept_from);
  const int64_t waited_ms = std::min<int64_t>(wait.count(), slept.count());
  response_.records.back().waited_ms = waited_ms;
  history_.back().waited_ms = waited_ms;
  throw_cancelled(nullptr, fmt::format("during the wait before attempt {}", history_.size() + 1));
}

void ProviderStreamSource::throw_cancelled(const Error* last, const std::string& when) {
  if (attempt_open_) {
    ErrorDetails cut;
    cut.kind = ErrorKind::cancelled;
    cut.http_status = last != nullptr ? last->http_status() : 0;
    cut.message = last != nullptr && last->kind() == ErrorKind::cancelled
                      ? last->details().message
                      : std::string("the caller cancelled the call during this attempt");
    record_attempt(&cut, 0);
  }
  std::string request_id = response_.request_id;
  if (request_id.empty() && last != nullptr) request_id = last->request_id();
  throw_call_cancelled(std::string(owner_->provider()), when, history_, response_.content, std::move(request_id),
                       response_.records);
}

// The call's timeout error: `last` (when given) is the attempt the deadline ended, recorded
// after the earlier ones; `cause` goes at the end of the message.
void ProviderStreamSource::throw_deadline(const Error* last, std::string_view cause) {
  std::vector<FailedAttempt> attempts = history_;
  std::string request_id = response_.request_id;
  if (last != nullptr) {
    attempts.push_back(failed_attempt(last->details(), std::string(owner_->provider()), owner_->model_));
    if (request_id.empty()) request_id = last->request_id();
    record_attempt(&last->details(), 0);
  } else if (attempt_open_) {
    // The deadline cut the attempt in progress (between two events, or a plugin that cannot
    // see it): it ended as a timeout.
    ErrorDetails cut;
    cut.kind = ErrorKind::timeout;
    cut.message = "the call's deadline passed during this attempt";
    record_attempt(&cut, 0);
  }
  const std::size_t count = attempts.size();
  const std::string what =
      count == 0 ? fmt::format("the {} call", owner_->provider())
                 : fmt::format("the {} call, after {} attempt{},", owner_->provider(), count, count == 1 ? "" : "s");
  throw_deadline_passed(deadline_, std::string(owner_->provider()), what, cause, std::move(attempts),
                        response_.content, std::move(request_id), response_.records);
}

// The record of the attempt in progress: its request, what arrived of the answer, and `error`
// (null: the attempt produced the answer).
void ProviderStreamSource::record_attempt(const ErrorDetails* error, int64_t waited_ms) {
  if (!attempt_open_) return;  // recorded already
  attempt_open_ = false;
  AttemptRecord& record = response_.records.back();
  record.response_time = std::chrono::steady_clock::now() - started_;
  record.request_id = response_.request_id;
  record.response_model = response_.model;
  record.usage = response_.usage;
  record.cost = response_.cost;
  record.stop_reason = response_.stop_reason;
  record.waited_ms = waited_ms;
  if (error != nullptr) {
    record.error = error->kind;
    record.http_status = error->http_status;
    record.message = error->message;  // scrubbed by the layer that made it
    if (record.request_id.empty()) record.request_id = error->request_id;
  }
}

ProviderStreamSource::Pulled ProviderStreamSource::next_event(StreamChunk& chunk, bool without_waiting) {
  const auto call_next = owner_->plugin_->table.call_next;
  while (call_ != nullptr) {
    // Between events: a plugin that cannot see time_left_ms or cancel_fd, or a stream that keeps
    // sending events, stops here once the deadline has passed or the call was cancelled.
    if (cancel_requested()) throw CancelRequested{};
    if (deadline_.passed_coarse()) throw DeadlinePassed{};
    // Anything but 1 is "may wait": only a yes that is exact lets the caller hold events back.
    if (without_waiting && owner_->into_plugin("call_ready", [&] { return owner_->plugin_->table.call_ready(call_); },
                                               &request_headers_, &response_.content) != 1) {
      return Pulled::would_wait;
    }
    mj_event event{};
    event.struct_size = sizeof(mj_event);
    mj_status* status = nullptr;
    const int32_t result = owner_->into_plugin(
        "call_next", [&] { return call_next(call_, &event, &status); }, &request_headers_, &response_.content);
    if (result < 0) {
      release_call();
      owner_->throw_status(status, response_.content, response_.request_id, &request_headers_);
    }
    if (result == 0) {
      release_call();
      finish();
      return Pulled::end;
    }
    // An event that arrived after cancel() is not handed on: the caller asked for nothing more.
    if (cancel_requested()) throw CancelRequested{};
    if (!sound(event.text) || !sound(event.request_id) || !sound(event.model)) {
      release_call();
      owner_->throw_plugin_fault("call_next", "it returned an event with a null string of non-zero size",
                                 &request_headers_, response_.content);
    }
    switch (event.type) {
      case MJ_EVENT_TEXT:
        if (event.text.size == 0) break;
        response_.content.append(view(event.text));
        chunk = StreamChunk{StreamChunk::Kind::text, view(event.text)};
        return Pulled::chunk;
      case MJ_EVENT_REASONING:
        if (event.text.size == 0) break;
        response_.reasoning.append(view(event.text));
        chunk = StreamChunk{StreamChunk::Kind::reasoning, view(event.text)};
        return Pulled::chunk;
      case MJ_EVENT_USAGE:
        response_.usage = checked_usage(event.usage, owner_->provider());
        break;
      case MJ_EVENT_STOP:
        response_.stop_reason = event.stop_reason >= 0 && event.stop_reason <= MJ_STOP_ERROR
                                    ? static_cast<StopReason>(event.stop_reason)
                                    : StopReason::unknown;
        response_.raw_stop_reason.assign(view(event.text));
        break;
      case MJ_EVENT_META:
        // A server may echo a credential in its request-id header or model name.
        if (event.request_id.size > 0) response_.request_id = owner_->scrubbed_value(view(event.request_id), &request_headers_);
        if (event.model.size > 0) response_.model = owner_->scrubbed_value(view(event.model), &request_headers_);
        break;
      case MJ_EVENT_TOOL_CALL_START:
      case MJ_EVENT_TOOL_CALL_ARGUMENTS:
      case MJ_EVENT_TOOL_CALL_END:
      case MJ_EVENT_CONTINUATION:
        if (on_tool_event(event, chunk)) return Pulled::chunk;
        break;
      default:
        break;  // an event type from a newer plugin: nothing this host can show
    }
  }
  return Pulled::end;
}

bool ProviderStreamSource::on_tool_event(const mj_event& event, StreamChunk& chunk) {
  if (event.type == MJ_EVENT_CONTINUATION) {
    response_.continuation.items.emplace_back(view(event.text));
    return false;
  }
  // A plugin older than 0.5 has no such events; one whose event lacks the fields is broken.
  if (!MJ_HAS_FIELD(&event, mj_event, tool_name) || !sound(event.tool_call_id) || !sound(event.tool_name) ||
      event.tool_index < 0) {
    release_call();
    owner_->throw_plugin_fault("call_next", "it returned a tool call event without a sound call index, id or name",
                               &request_headers_, response_.content);
  }
  const auto index = static_cast<std::size_t>(event.tool_index);
  std::vector<ToolCall>& calls = response_.tool_calls;
  if (event.type == MJ_EVENT_TOOL_CALL_START) {
    if (index != calls.size()) {
      release_call();
      owner_->throw_plugin_fault("call_next",
                                 fmt::format("it started tool call {} while {} were started (calls are numbered "
                                             "from 0 in order)", index, calls.size()),
                                 &request_headers_, response_.content);
    }
    ToolCall call;
    // Server text: a hostile server may echo a credential in an id or a name.
    call.id = owner_->scrubbed_value(view(event.tool_call_id), &request_headers_);
    call.name = owner_->scrubbed_value(view(event.tool_name), &request_headers_);
    call.arguments.assign(view(event.text));
    calls.push_back(std::move(call));
    tool_call_ended_.push_back(false);
    chunk = StreamChunk{StreamChunk::Kind::tool_call_start, view(event.text), index};
    return true;
  }
  if (index >= calls.size()) {
    release_call();
    owner_->throw_plugin_fault("call_next", fmt::format("it sent an event for tool call {}, never started", index),
                               &request_headers_, response_.content);
  }
  if (event.type == MJ_EVENT_TOOL_CALL_ARGUMENTS) {
    if (event.text.size == 0) return false;
    calls[index].arguments.append(view(event.text));
    chunk = StreamChunk{StreamChunk::Kind::tool_call_arguments, view(event.text), index};
    return true;
  }
  tool_call_ended_[index] = true;
  chunk = StreamChunk{StreamChunk::Kind::tool_call_end, {}, index};
  return true;
}

void ProviderStreamSource::finish() {
  check_tool_calls(response_, tool_call_ended_, built_.tools.get());
  response_.response_time = std::chrono::steady_clock::now() - started_;
  owner_->price(response_);
  refuse_failed_answer();
  record_attempt(nullptr, 0);
}

// An answer the provider itself ended as failed (a finish reason such as DeepSeek's
// insufficient_system_resource, Cohere's ERROR or TIMEOUT, Gemini's MALFORMED_FUNCTION_CALL) is
// a `server` error, not a success: the caller would otherwise take a broken answer for a whole
// one, and a cascade could not move on. An answer cut at the output cap is a `truncated` error
// when the caller asked for that. Both keep the text received in partial_content.
void ProviderStreamSource::refuse_failed_answer() {
  const bool failed = response_.stop_reason == StopReason::error;
  const bool truncated = fail_on_truncation_ && response_.stop_reason == StopReason::max_tokens;
  if (!failed && !truncated) return;
  ErrorDetails details;
  details.provider = response_.provider;
  details.request_id = response_.request_id;
  details.provider_error_type = response_.raw_stop_reason;
  details.partial_content = response_.content;
  if (failed) {
    details.kind = ErrorKind::server;
    details.message = fmt::format(
        "{} ended the answer as failed (finish reason '{}'); the text received so far is in "
        "partial_content; retry the request or fail over to another model",
        response_.provider, response_.raw_stop_reason);
  } else {
    details.kind = ErrorKind::truncated;
    details.message = fmt::format(
        "the answer reached the output cap (finish reason '{}', {} output tokens) and "
        "fail_on_truncation is set; raise max_tokens or shorten the task; the text received "
        "so far is in partial_content",
        response_.raw_stop_reason, response_.usage.output_tokens);
  }
  // The finish reason is server text: it may echo a credential.
  owner_->scrub(details.message, &request_headers_);
  details.provider_error_type = owner_->scrubbed_value(details.provider_error_type, &request_headers_);
  throw_error(std::move(details));
}

}  // namespace majordomo
