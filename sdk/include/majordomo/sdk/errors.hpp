// ProviderError: the exception plugin code throws; the export glue turns it into an mj_status.
#pragma once

#include <majordomo/sdk/requires_cxx20.hpp>

#include <majordomo/plugin.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace majordomo::sdk {
inline namespace v1 {

// Thrown anywhere inside a plugin; never crosses the C ABI (the glue in plugin.hpp catches it).
// The message must never contain a credential.
class ProviderError : public std::runtime_error {
 public:
  ProviderError(int32_t kind, std::string message, int32_t http_status = 0,
                std::string provider_error_type = {}, std::string request_id = {},
                int64_t retry_after_ms = -1)
      : std::runtime_error(std::move(message)),
        kind_(kind),
        http_status_(http_status),
        retry_after_ms_(retry_after_ms),
        provider_error_type_(std::move(provider_error_type)),
        request_id_(std::move(request_id)) {}

  int32_t kind() const noexcept { return kind_; }
  int32_t http_status() const noexcept { return http_status_; }
  int64_t retry_after_ms() const noexcept { return retry_after_ms_; }
  const std::string& provider_error_type() const noexcept { return provider_error_type_; }
  const std::string& request_id() const noexcept { return request_id_; }

 private:
  int32_t kind_;
  int32_t http_status_;
  int64_t retry_after_ms_;
  std::string provider_error_type_;
  std::string request_id_;
};

// The error kind an HTTP status maps to when the body says nothing more specific.
inline int32_t error_kind_for_http_status(int status) noexcept {
  switch (status) {
    case 401: return MJ_ERR_AUTHENTICATION;
    // Payment required / insufficient balance (Anthropic billing_error, DeepSeek, Cohere): the
    // account must be topped up first, so it is a permission problem that a retry cannot fix.
    case 402: return MJ_ERR_PERMISSION;
    case 403: return MJ_ERR_PERMISSION;
    case 404: return MJ_ERR_NOT_FOUND;
    case 408: return MJ_ERR_TIMEOUT;
    // Conflict: a transient clash on the provider's side that the official OpenAI and Anthropic
    // SDKs retry, so it maps to the retryable server kind, not a bad request.
    case 409: return MJ_ERR_SERVER;
    case 429: return MJ_ERR_RATE_LIMITED;
    case 503:
    case 529: return MJ_ERR_OVERLOADED;
    case 504: return MJ_ERR_TIMEOUT;
    default: break;
  }
  if (status >= 500) return MJ_ERR_SERVER;
  return MJ_ERR_BAD_REQUEST;
}

}  // namespace v1
}  // namespace majordomo::sdk
