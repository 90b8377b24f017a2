// CascadeLLM: fail-over across members for complete, stream and checked (JSON, structured) calls.
#include <majordomo/cascade.hpp>

#include "attempt_history.hpp"
#include "call_deadline.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <utility>

namespace majordomo {
namespace {

std::string member_label(const LLM& member) {
  return fmt::format("{}:{}", member.provider(), member.model());
}

std::string_view trim(std::string_view text) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

// The request for member `index` of `count`: its share of what is left of the cascade's deadline,
// the time left divided by the members left, so a member that hangs leaves the rest their part
// and one that fails fast hands its unused time on. The last member gets all that is left.
LLMRequest member_request(const LLMRequest& request, const CallDeadline& deadline, std::size_t index,
                          std::size_t count) {
  LLMRequest out = request;
  if (const auto end = deadline.end()) {
    const auto now = CallDeadline::Clock::now();
    const auto left = std::max(CallDeadline::Clock::duration::zero(), *end - now);
    out.deadline = now + left / static_cast<CallDeadline::Clock::rep>(count - index);
  }
  return out;
}

// The failures of one cascade call so far, and the decision after each one.
class FailoverLog {
 public:
  FailoverLog(const std::vector<std::shared_ptr<LLM>>& members, bool checked)
      : members_(members), checked_(checked) {}

  // Records that member `index` failed with `error` and returns when the next member may be
  // tried; otherwise throws the error with everything that failed before it.
  void record_or_throw(const Error& error, std::size_t index) {
    const LLM& member = *members_[index];
    if (!cascade_fails_over(error.kind(), checked_)) rethrow_with_history(error, history_, {}, &records_);
    const ErrorDetails& details = error.details();
    summaries_ += fmt::format("{}{}: {}{}: {}", summaries_.empty() ? "" : "; ", member_label(member),
                              to_string(details.kind),
                              details.http_status > 0 ? fmt::format(" (HTTP {})", details.http_status) : "",
                              details.message);
    if (index + 1 == members_.size()) {
      rethrow_with_history(error, history_,
                           fmt::format("all {} cascade members failed: {}", members_.size(), summaries_), &records_);
    }
    // The member's own retries first, then its final error.
    history_.insert(history_.end(), details.failed_attempts.begin(), details.failed_attempts.end());
    history_.push_back(failed_attempt(details, std::string(member.provider()), std::string(member.model())));
    records_.insert(records_.end(), details.records.begin(), details.records.end());
  }

  // Marks `response` as served by member `index` after the failures recorded so far.
  void decorate(Response& response, std::size_t index, const std::string& alias) const {
    if (response.served_by.empty()) response.served_by = member_label(*members_[index]);
    if (!alias.empty()) response.alias = alias;
    if (!history_.empty()) {
      response.failed_attempts.insert(response.failed_attempts.begin(), history_.begin(), history_.end());
    }
    if (!records_.empty()) response.records.insert(response.records.begin(), records_.begin(), records_.end());
  }

  const std::vector<FailedAttempt>& history() const noexcept { return history_; }
  const std::vector<AttemptRecord>& records() const noexcept { return records_; }

  // Before member `index` is tried: when the cascade's deadline has passed (an earlier member ran
  // past its share), throws TimeoutError naming the deadline, with the failures so far.
  void check_deadline(const CallDeadline& deadline, std::size_t index) const {
    if (index == 0 || !deadline.passed()) return;
    throw_deadline_passed(deadline, "cascade", "the cascade",
                          fmt::format(" before member {} of {} ({}) could be tried", index + 1, members_.size(),
                                      member_label(*members_[index])),
                          history_, {}, {}, records_);
  }

 private:
  const std::vector<std::shared_ptr<LLM>>& members_;
  bool checked_;
  std::vector<FailedAttempt> history_;
  std::vector<AttemptRecord> records_;  // of every member that failed, in order
  std::string summaries_;
};

// A stream that fails over until its first chunk has been handed to the caller.
class CascadeStreamSource final : public StreamSource {
 public:
  CascadeStreamSource(std::vector<std::shared_ptr<LLM>> members, LLMRequest request, std::string alias,
                      CallDeadline deadline)
      : members_(std::move(members)), request_(std::move(request)), alias_(std::move(alias)),
        deadline_(deadline), log_(members_, false) {}

  // Opens the first member that accepts the request; throws when none does.
  void start() { open_from(0); }

  bool next(StreamChunk& chunk) override {
    for (;;) {
      try {
        const bool more = stream_->next(chunk);
        if (more) delivered_ = true;
        else stale_ = true;  // the end set the records, cost and response time
        return more;
      } catch (const Error& error) {
        stale_ = true;
        // After the first chunk the caller holds part of this member's answer: end with its error.
        if (delivered_) rethrow_with_history(error, log_.history(), {}, &log_.records());
        stream_->close();
        stream_.reset();  // its records are in log_ now: response() must not show them twice
        log_.record_or_throw(error, current_);
      }
      open_from(current_ + 1);
    }
  }

  // The member's response with the cascade's history, composed into a copy that is kept: a
  // caller that reads it after every chunk (the gateway does) would otherwise copy the whole
  // answer so far, and every attempt's request, once per chunk.
  const Response& response() const override {
    if (!stream_) {
      shown_ = Response{};
      log_.decorate(shown_, current_, alias_);
      return shown_;
    }
    const Response& member = stream_->response();
    // A response time appears when an attempt ends, with its record completed in place.
    if (stale_ || member.records.size() != shown_records_ || member.attempts != shown_.attempts ||
        member.response_time != shown_.response_time ||
        member.content.size() < shown_.content.size() || member.reasoning.size() < shown_.reasoning.size()) {
      shown_ = member;
      log_.decorate(shown_, current_, alias_);
      shown_records_ = member.records.size();
      stale_ = false;
      return shown_;
    }
    // Between two events of one attempt only what the events carry changes (the host's
    // ProviderStreamSource): the texts grow, and are appended; the rest of it is small.
    shown_.content.append(member.content, shown_.content.size());
    shown_.reasoning.append(member.reasoning, shown_.reasoning.size());
    shown_.usage = member.usage;
    shown_.cost = member.cost;
    shown_.stop_reason = member.stop_reason;
    shown_.raw_stop_reason = member.raw_stop_reason;
    shown_.model = member.model;
    shown_.request_id = member.request_id;
    shown_.tool_calls = member.tool_calls;
    shown_.continuation = member.continuation;
    return shown_;
  }

  // Before the first chunk an error means opening the next member, which waits: only a stream
  // that is past its fail-over forwards its member's answer.
  bool ready() noexcept override { return delivered_ && stream_ && stream_->ready(); }

  void close() noexcept override {
    if (stream_) stream_->close();
    stale_ = true;  // the attempt in progress was recorded as cancelled
  }

 private:
  void open_from(std::size_t index) {
    stale_ = true;
    for (std::size_t i = index;; ++i) {
      log_.check_deadline(deadline_, i);
      try {
        // A member's share bounds its whole stream, also after its first chunk (docs/reliability.md).
        stream_.emplace(members_[i]->stream(member_request(request_, deadline_, i, members_.size())));
        current_ = i;
        return;
      } catch (const Error& error) {
        log_.record_or_throw(error, i);
      }
    }
  }

  std::vector<std::shared_ptr<LLM>> members_;  // kept alive for as long as the stream
  LLMRequest request_;
  std::string alias_;
  CallDeadline deadline_;
  FailoverLog log_;
  std::optional<ResponseStream> stream_;
  std::size_t current_ = 0;
  bool delivered_ = false;
  mutable Response shown_;  // response() composes the member's response with the cascade's history
  mutable std::size_t shown_records_ = 0;  // the member's records when shown_ was last copied whole
  mutable bool stale_ = true;              // shown_ must be copied whole on the next response()
};

}  // namespace

std::vector<CascadeMember> parse_cascade_members(std::string_view list) {
  std::vector<CascadeMember> members;
  while (true) {
    const auto comma = list.find(',');
    const std::string_view entry = trim(list.substr(0, comma));
    const auto colon = entry.find(':');
    if (colon == std::string_view::npos || colon == 0 || trim(entry.substr(colon + 1)).empty()) {
      throw_configuration_error(fmt::format(
          "cascade member '{}' is not PROVIDER:MODEL (e.g. openai:gpt-4o,anthropic:claude-haiku-4-5)", entry));
    }
    CascadeMember member;
    member.provider = std::string(trim(entry.substr(0, colon)));
    member.model = std::string(trim(entry.substr(colon + 1)));
    members.push_back(std::move(member));
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return members;
}

bool cascade_fails_over(ErrorKind kind, bool checked) noexcept {
  switch (kind) {
    case ErrorKind::rate_limited:
    case ErrorKind::overloaded:
    case ErrorKind::server:
    case ErrorKind::timeout:
    case ErrorKind::connection:
    case ErrorKind::unsupported:
    case ErrorKind::plugin:  // the next member may be another plugin's code
    case ErrorKind::protocol:  // ... or another server
      return true;
    case ErrorKind::parse:
    case ErrorKind::schema_mismatch:
      return checked;
    default:
      return false;
  }
}

CascadeLLM::CascadeLLM(std::vector<std::shared_ptr<LLM>> members, std::string alias)
    : members_(std::move(members)), alias_(std::move(alias)) {
  if (members_.empty()) throw_configuration_error("a cascade needs at least one member");
  for (const auto& member : members_) {
    if (!member) throw_configuration_error("a cascade member is null");
    if (!name_.empty()) name_ += ',';
    name_ += member_label(*member);
  }
}

std::string_view CascadeLLM::provider() const noexcept { return "cascade"; }

std::chrono::milliseconds CascadeLLM::call_deadline() const noexcept {
  std::chrono::milliseconds longest{0};
  for (const auto& member : members_) longest = std::max(longest, member->call_deadline());
  return longest;
}

Response CascadeLLM::complete(const LLMRequest& request) {
  const CallDeadline deadline(call_deadline(), request.deadline);
  // A check that travels with the request (complete_checked: JSON, structured output) makes a
  // refused answer a reason to try the next member.
  FailoverLog log(members_, static_cast<bool>(request.check_answer));
  for (std::size_t i = 0;; ++i) {
    log.check_deadline(deadline, i);
    try {
      Response response = members_[i]->complete(member_request(request, deadline, i, members_.size()));
      log.decorate(response, i, alias_);
      return response;
    } catch (const Error& error) {
      log.record_or_throw(error, i);
    }
  }
}

ResponseStream CascadeLLM::stream(const LLMRequest& request) {
  auto source = std::make_unique<CascadeStreamSource>(members_, request, alias_,
                                                      CallDeadline(call_deadline(), request.deadline));
  source->start();
  return ResponseStream(std::move(source));
}

std::vector<ResolvedRequest> CascadeLLM::resolve(const LLMRequest& request, bool stream) const {
  std::vector<ResolvedRequest> out;
  std::optional<UnsupportedError> unsupported;
  for (const auto& member : members_) {
    try {
      auto resolved = member->resolve(request, stream);
      out.insert(out.end(), std::make_move_iterator(resolved.begin()), std::make_move_iterator(resolved.end()));
    } catch (const UnsupportedError& error) {
      unsupported = error;
    }
  }
  if (out.empty() && unsupported) throw *unsupported;
  return out;
}

std::vector<std::string> CascadeLLM::warnings() const {
  std::vector<std::string> out;
  for (const auto& member : members_) {
    auto more = member->warnings();
    out.insert(out.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  }
  return out;
}

}  // namespace majordomo
