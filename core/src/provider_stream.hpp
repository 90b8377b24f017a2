// ProviderStreamSource: the one event path of a provider call, with its retries, deadline and call records.
#pragma once

#include "call_deadline.hpp"
#include "provider_llm.hpp"

#include <majordomo/call_record.hpp>
#include <majordomo/cancellation.hpp>
#include <majordomo/llm.hpp>

#include <chrono>
#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace majordomo {

// The one event path of a provider call: complete() drains it, stream() hands it to the caller.
// It also applies the instance's RetryPolicy: a failed attempt is sent again (the same prepared
// body and headers) while the policy allows and, for a stream, no chunk has reached the caller.
class ProviderStreamSource final : public StreamSource {
 public:
  ProviderStreamSource(std::shared_ptr<ProviderLLM> owner, ProviderLLM::BuiltRequest built,
                       HeaderSet request_headers, bool stream, bool fail_on_truncation, CallDeadline deadline,
                       AttemptRecord record_template, std::shared_ptr<CallCancellation> cancellation);
  ~ProviderStreamSource() override { close(); }
  // Sends the request, retrying per the policy; throws the last error when it gives up.
  void start();
  bool next(StreamChunk& chunk) override;
  // Pulls ahead, without waiting, through the events that yield no chunk (usage, stop, request
  // id) until a chunk, the end or an error is at hand; false when the plugin would have to wait
  // (or cannot tell: a plugin older than its call_ready, 0.6). What it pulled, next() returns.
  bool ready() noexcept override;
  // Abandons the call; an attempt in progress is recorded as cancelled.
  void close() noexcept override;
  const Response& response() const override { return response_; }
  Response take_response() { return std::move(response_); }

 private:
  // Thrown by next_event when the deadline passed between two events; not an Error, so that it
  // never reaches retry_or_throw.
  struct DeadlinePassed {};
  // Thrown where the call finds its cancellation raised (before an attempt, between events);
  // likewise not an Error.
  struct CancelRequested {};

  bool cancel_requested() const noexcept { return cancellation_ && cancellation_->cancelled(); }
  // The call's CancelledError: the attempt in progress (if any) is recorded as cancelled, with
  // `last`'s message when the plugin reported the cancellation itself; `when` ends the message.
  [[noreturn]] void throw_cancelled(const Error* last, const std::string& when);
  // The backoff wait before the next attempt: the policy's own, or a sleep that cancel() ends.
  void sleep_before_retry(std::chrono::milliseconds wait);

  // Closes the plugin's call, if one is open; the attempt's outcome is recorded by the caller.
  void release_call() noexcept;
  // One attempt: a fresh response and a new call with the prepared request.
  void send();
  // Returns after waiting when the policy allows another attempt; otherwise throws `error` with
  // the attempts before it.
  void retry_or_throw(const Error& error);
  // The call's timeout error: `last` (when given) is the attempt the deadline ended, recorded
  // after the earlier ones; `cause` goes at the end of the message.
  [[noreturn]] void throw_deadline(const Error* last, std::string_view cause);
  // The record of the attempt in progress: its request, what arrived of the answer, and `error`
  // (null: the attempt produced the answer).
  void record_attempt(const ErrorDetails* error, int64_t waited_ms);
  enum class Pulled { chunk, end, would_wait };
  // The next chunk, or the end; `without_waiting`: would_wait instead of a call_next that could
  // wait for the network.
  Pulled next_event(StreamChunk& chunk, bool without_waiting);
  // The MJ_EVENT_TOOL_CALL_* and MJ_EVENT_CONTINUATION events: true when `chunk` was filled.
  bool on_tool_event(const mj_event& event, StreamChunk& chunk);
  void finish();
  // An answer the provider itself ended as failed (a finish reason such as DeepSeek's
  // insufficient_system_resource, Cohere's ERROR or TIMEOUT, Gemini's MALFORMED_FUNCTION_CALL) is
  // a `server` error, not a success: the caller would otherwise take a broken answer for a whole
  // one, and a cascade could not move on. An answer cut at the output cap is a `truncated` error
  // when the caller asked for that. Both keep the text received in partial_content.
  void refuse_failed_answer();

  std::shared_ptr<ProviderLLM> owner_;  // keeps the instance and the plugin library alive
  ProviderLLM::BuiltRequest built_;     // sent again as it is by every attempt
  HeaderSet request_headers_;           // the per-request layer; also for scrubbing error messages
  std::vector<mj_header> wire_headers_; // views into owner_'s instance headers and request_headers_
  bool stream_;
  bool fail_on_truncation_;
  CallDeadline deadline_;  // the whole call's end, shared by every attempt and wait
  std::shared_ptr<CallCancellation> cancellation_;  // LLMRequest::cancellation; keeps its descriptor open
  const AttemptRecord template_;        // who sends what: every attempt's record starts as a copy
  bool attempt_open_ = false;           // response_.records.back() is an attempt still in progress
  mj_call* call_ = nullptr;
  std::chrono::steady_clock::time_point started_;
  Response response_;
  std::vector<FailedAttempt> history_;  // the attempts that failed and were retried
  std::vector<bool> tool_call_ended_;   // per response_.tool_calls: its END event arrived
  bool delivered_ = false;              // a chunk reached the caller of a stream: no more retries
  bool resend_ = false;
  // What ready() pulled ahead for the next next(): a chunk (its text a view of the plugin's
  // event, valid since no call_next followed), the end, or the error met.
  std::optional<Pulled> ahead_;
  StreamChunk ahead_chunk_;
  std::exception_ptr ahead_error_;
};

}  // namespace majordomo
