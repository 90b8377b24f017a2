// Typed errors of the public API: one exception class per error kind of the plugin ABI.
#pragma once

#include <majordomo/export.hpp>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace majordomo {

// The error kinds. Values equal the ABI's MJ_ERR_* numbers; new kinds are only ever appended.
// Callers may rely on: configuration errors are raised before any byte is sent; rate_limited,
// overloaded, server, timeout and connection are the transient kinds a retry or cascade may act
// on; plugin means the provider plugin itself failed (a bug in it, not in the request or the
// service): it is never retried, and a cascade moves past it to its next member. A rate_limited
// error whose provider_error_type says the quota is used up (OpenAI's "insufficient_quota") will
// not pass by waiting: retry layers must check that type.
enum class ErrorKind : int32_t {
  configuration = 1,
  authentication = 2,
  permission = 3,
  not_found = 4,
  bad_request = 5,
  rate_limited = 6,
  overloaded = 7,
  server = 8,
  timeout = 9,
  connection = 10,
  truncated = 11,
  parse = 12,
  schema_mismatch = 13,
  cancelled = 14,
  unsupported = 15,
  plugin = 16,    // added in 0.2
  protocol = 17,  // added in 0.3: the server broke HTTP/SSE framing; deterministic, never retried
};

// "rate_limited", "bad_request", … (the names used in CLI output and logs).
MAJORDOMO_API std::string_view to_string(ErrorKind kind) noexcept;
MAJORDOMO_API std::optional<ErrorKind> error_kind_from_string(std::string_view name) noexcept;

// One attempt a middleware moved past before the final outcome: a retried request or a cascade
// member that failed. Recorded in order on the Response (success) or ErrorDetails (failure) so that
// logging and callers see every retry and failover.
struct FailedAttempt {
  std::string provider;
  std::string model;
  ErrorKind kind = ErrorKind::server;
  int http_status = 0;
  std::string message;              // never contains a credential
  int64_t waited_ms = 0;            // backoff slept after this attempt before the next one
};

// Everything an error carries. Text fields never contain a credential.
struct ErrorDetails {
  ErrorKind kind = ErrorKind::server;
  std::string message;
  std::string provider;             // provider id, empty when not provider-specific
  int http_status = 0;              // 0 when no HTTP response was received
  std::string provider_error_type;  // e.g. "rate_limit_exceeded"
  std::string request_id;
  std::optional<int64_t> retry_after_ms;
  std::string partial_content;      // answer text received before a stream failed
  // Middleware history before this error (retries, cascade members that failed before the last).
  std::vector<FailedAttempt> failed_attempts;
};

// Base of every exception majordomo throws. what() is the human message.
class MAJORDOMO_API Error : public std::runtime_error {
 public:
  explicit Error(ErrorDetails details);
  ErrorKind kind() const noexcept { return details_.kind; }
  const ErrorDetails& details() const noexcept { return details_; }
  const std::string& provider() const noexcept { return details_.provider; }
  int http_status() const noexcept { return details_.http_status; }
  const std::string& provider_error_type() const noexcept { return details_.provider_error_type; }
  const std::string& request_id() const noexcept { return details_.request_id; }
  std::optional<int64_t> retry_after_ms() const noexcept { return details_.retry_after_ms; }
  const std::string& partial_content() const noexcept { return details_.partial_content; }

 private:
  ErrorDetails details_;
};

#define MAJORDOMO_ERROR_CLASS(Name)                                   \
  class MAJORDOMO_API Name : public Error {                                         \
   public:                                                            \
    explicit Name(ErrorDetails details) : Error(std::move(details)) {} \
  };
MAJORDOMO_ERROR_CLASS(ConfigurationError)
MAJORDOMO_ERROR_CLASS(AuthenticationError)
MAJORDOMO_ERROR_CLASS(PermissionError)
MAJORDOMO_ERROR_CLASS(NotFoundError)
MAJORDOMO_ERROR_CLASS(BadRequestError)
MAJORDOMO_ERROR_CLASS(RateLimitedError)
MAJORDOMO_ERROR_CLASS(OverloadedError)
MAJORDOMO_ERROR_CLASS(ServerError)
MAJORDOMO_ERROR_CLASS(TimeoutError)
MAJORDOMO_ERROR_CLASS(ConnectionError)
MAJORDOMO_ERROR_CLASS(TruncatedError)
MAJORDOMO_ERROR_CLASS(ParseError)
MAJORDOMO_ERROR_CLASS(SchemaMismatchError)
MAJORDOMO_ERROR_CLASS(CancelledError)
MAJORDOMO_ERROR_CLASS(UnsupportedError)
MAJORDOMO_ERROR_CLASS(PluginError)
MAJORDOMO_ERROR_CLASS(ProtocolError)  // (0.3)
#undef MAJORDOMO_ERROR_CLASS

// Throws the exception class matching details.kind.
[[noreturn]] MAJORDOMO_API void throw_error(ErrorDetails details);
// Shorthand for the common configuration error (raised before any I/O).
[[noreturn]] MAJORDOMO_API void throw_configuration_error(std::string message, std::string provider = {});

}  // namespace majordomo
