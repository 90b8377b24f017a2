// Options for creating a provider-bound LLM (ClientOptions) and for one request (RequestOptions).
#pragma once

#include <majordomo/headers.hpp>
#include <majordomo/retry.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace majordomo {

struct Timeouts {
  std::chrono::milliseconds connect{10'000};
  std::chrono::milliseconds first_byte{120'000};  // until the response head arrives
  std::chrono::milliseconds idle{60'000};         // longest silence between two reads of a body
  std::chrono::milliseconds total{600'000};       // the whole exchange
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
  // Provider-specific options the plugin understands (unknown keys are a configuration error).
  std::map<std::string, std::string> provider_options;
  // Resending of transient failures (default: 3 attempts in all, jittered exponential backoff,
  // rate limits fail fast). This instance is the only layer that retries; see retry.hpp.
  RetryPolicy retry;
};

struct RequestOptions {
  std::optional<std::string> system;
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::optional<int64_t> max_tokens;
  // Merged over the instance's default_headers; the per-request value wins on conflict.
  HeaderSet extra_headers;
};

}  // namespace majordomo
