// Options for creating a provider-bound LLM (ClientOptions) and for one request (RequestOptions).
#pragma once

#include <majordomo/headers.hpp>
#include <majordomo/retry.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace majordomo {

// How long a call may take. connect, first_byte, idle and total bound one attempt; deadline
// bounds the whole call: every attempt, every backoff wait between them and, in a cascade, every
// member (docs/reliability.md gives the rules). A zero or negative value means "no limit".
struct Timeouts {
  std::chrono::milliseconds connect{10'000};
  std::chrono::milliseconds first_byte{120'000};  // from the request sent to the end of the response head
  std::chrono::milliseconds idle{60'000};         // longest silence between two reads of a body
  std::chrono::milliseconds total{600'000};       // one attempt, from connect to the last byte
  std::chrono::milliseconds deadline{600'000};    // the whole call (0.3)
};

// Bounds on what a server may send (0.3). A response past one fails with a parse error that names
// the limit; 0 means the default.
struct ResponseLimits {
  std::size_t max_event_bytes = 4u << 20;  // one SSE line, and one event's data
  std::size_t max_body_bytes = 64u << 20;  // a whole non-streaming body
};

struct TlsOptions {
  bool verify = true;   // verify the server certificate and host name
  std::string ca_file;  // PEM bundle; empty: the system store
};

struct ClientOptions {
  // Falls back to the provider's API-key env var (e.g. OPENAI_API_KEY). Never logged or printed.
  std::optional<std::string> api_key;
  // Wins over the provider's base-URL env var (e.g. OPENAI_BASE_URL), which wins over the default.
  std::optional<std::string> base_url;
  // Sent on every request of this instance; override the provider's auth/version headers.
  HeaderSet default_headers;
  Timeouts timeouts;
  TlsOptions tls;
  // Forward proxy for this instance's calls: "http://[user:password@]host[:port]" (port 1080 when
  // absent; only http:// proxies, https providers are reached through a CONNECT tunnel). Unset:
  // from the environment, https_proxy/HTTPS_PROXY for an https base URL, http_proxy for an http
  // one, then ALL_PROXY/all_proxy. "": no proxy, whatever the environment says. The password is
  // never printed: dry runs and errors show it as [REDACTED].
  std::optional<std::string> proxy;
  // Hosts reached without the proxy, in NO_PROXY syntax ("*", "example.com" also matching its
  // subdomains, ".example.com", "host:port", IP addresses and CIDR ranges). Unset: from
  // no_proxy/NO_PROXY. "": bypass nothing, whatever the environment says.
  std::optional<std::string> no_proxy;
  // Provider-specific options the plugin understands (unknown keys are a configuration error).
  std::map<std::string, std::string> provider_options;
  // Resending of transient failures (default: 3 attempts in all, jittered exponential backoff,
  // rate limits fail fast). This instance is the only layer that retries; see retry.hpp.
  RetryPolicy retry;
  ResponseLimits limits;  // (0.3)
};

// How hard a reasoning model thinks (0.5). Mapped per provider (docs/conversations.md); a level
// the provider lacks becomes its nearest one, and a model without reasoning is refused with
// UnsupportedError before sending.
enum class ReasoningEffort { unset, minimal, low, medium, high, max };

// Thinking on or off, or on within a token budget (0.5), where the provider has the switch.
struct Thinking {
  enum class Mode { unset, off, on, budget };
  Mode mode = Mode::unset;
  int64_t budget_tokens = 0;  // Mode::budget: > 0

  [[nodiscard]] static Thinking off() { return Thinking{Mode::off, 0}; }
  [[nodiscard]] static Thinking on() { return Thinking{Mode::on, 0}; }
  [[nodiscard]] static Thinking budget(int64_t tokens) { return Thinking{Mode::budget, tokens}; }
};

struct RequestOptions {
  std::optional<std::string> system;
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::optional<int64_t> max_tokens;
  // Merged over the instance's default_headers; the per-request value wins on conflict.
  HeaderSet extra_headers;
  // An answer cut at the output cap (stop reason max_tokens) throws TruncatedError, with the text
  // received in partial_content, instead of returning it. Never retried or failed over: the same
  // request would be cut again. (An answer the provider ended as failed, stop reason error, always
  // throws ServerError.)
  bool fail_on_truncation = false;
  ReasoningEffort reasoning_effort = ReasoningEffort::unset;  // (0.5)
  Thinking thinking{};                                        // (0.5)
  // (0.5) The provider's prompt caching: on, a plugin that marks cache breakpoints itself
  // (Anthropic) marks the system prompt and the conversation so far; off, it marks none.
  // Providers that cache on their own (OpenAI, Gemini, DeepSeek) are unaffected.
  bool prompt_cache = true;
};

}  // namespace majordomo
