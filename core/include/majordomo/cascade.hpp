// CascadeLLM: an ordered list of LLMs tried in turn until one answers (fail-over across providers).
#pragma once

#include <majordomo/export.hpp>
#include <majordomo/llm.hpp>
#include <majordomo/options.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace majordomo {

// One member of a cascade built by Host::get_cascade. The fields after `model` apply over the
// cascade's shared ClientOptions for this member only.
struct CascadeMember {
  std::string provider;
  std::string model;
  std::optional<std::string> api_key;   // replaces the shared api_key
  std::optional<std::string> base_url;  // replaces the shared base_url
  HeaderSet default_headers;            // merged over the shared default_headers (these win)
  std::map<std::string, std::string> provider_options;  // merged over the shared ones (these win)
  std::optional<Timeouts> timeouts;     // replace the shared ones
  std::optional<RetryPolicy> retry;     // replaces the shared policy
};

// "openai:gpt-4o,anthropic:claude-haiku-4-5" → two members (provider before the first ':', so a
// model id may contain ':'; white space around entries is ignored). Throws ConfigurationError
// naming the bad entry when one has no provider or no model.
[[nodiscard]] MAJORDOMO_API std::vector<CascadeMember> parse_cascade_members(std::string_view list);

// Whether a cascade moves on to its next member after an error of this kind: it does on the
// provider-side kinds rate_limited, overloaded, server, timeout, connection and unsupported, on
// plugin (a faulty plugin: the next member may be another plugin's code; since 0.2), and,
// when the answer is checked (`checked`: LLMRequest::check_answer is set, as complete_checked
// does for JSON and structured output), on
// parse and schema_mismatch. Never on configuration, bad_request, cancelled or any other kind:
// those are the caller's to fix, and the next member would fail the same way.
[[nodiscard]] MAJORDOMO_API bool cascade_fails_over(ErrorKind kind, bool checked) noexcept;

// Tries its members in order. Obligations it meets:
//  - it never retries a member (each provider-bound member retries per its own RetryPolicy) and
//    never sends anything itself: each member resolves its own model, URL and headers, and the
//    request's extra_headers reach every member unchanged;
//  - a stream fails over only while no chunk has reached the caller; after that a member's error
//    ends the stream as that typed error (partial_content = that member's text), never spliced
//    with another member's answer;
//  - Response::served_by names the member that answered ("provider:model", or what a nested
//    cascade put there); Response::failed_attempts and ErrorDetails::failed_attempts list, in
//    order, every retry and every member that failed before (member, kind, HTTP status, message);
//    (0.4) Response::records and ErrorDetails::records hold every member's call records, in order;
//  - when every member failed, the error is the last member's (its class and kind) and its
//    message lists each member's error; a kind that does not fail over is thrown as it is;
//  - (0.3) one deadline bounds the whole cascade call: LLMRequest::deadline when the caller set
//    one, else call_deadline() from now. Each member gets the time left divided by the members
//    left (LLMRequest::deadline of its request), so a member that hangs cannot starve the rest;
//    when the deadline has passed before a member could be tried, the call ends with
//    TimeoutError naming it.
class MAJORDOMO_API CascadeLLM final : public LLM {
 public:
  // Throws ConfigurationError when `members` is empty or holds a null.
  explicit CascadeLLM(std::vector<std::shared_ptr<LLM>> members, std::string alias = {});

  // "cascade"
  std::string_view provider() const noexcept override;
  // The members as "provider:model,provider:model".
  std::string_view model() const noexcept override { return name_; }
  const std::vector<std::shared_ptr<LLM>>& members() const noexcept { return members_; }

  [[nodiscard]] Response complete(const LLMRequest& request) override;
  [[nodiscard]] ResponseStream stream(const LLMRequest& request) override;
  // One entry per member, in order. A member that does not support the request (UnsupportedError,
  // e.g. a response format) is left out, as the real call would fail over past it; when no member
  // supports it, that error is thrown. Other errors are thrown as they are.
  [[nodiscard]] std::vector<ResolvedRequest> resolve(const LLMRequest& request, bool stream) const override;
  [[nodiscard]] std::vector<std::string> warnings() const override;
  std::string_view alias() const noexcept override { return alias_; }
  // (0.3) The longest call_deadline() of the members (each member's Timeouts::deadline; with one
  // shared ClientOptions they are equal); zero when none has one.
  std::chrono::milliseconds call_deadline() const noexcept override;

 private:
  std::vector<std::shared_ptr<LLM>> members_;
  std::string name_;
  std::string alias_;
};

}  // namespace majordomo
