// Typed errors of the public API: one exception class per error kind of the plugin ABI.
#pragma once

#include <majordomo/call_record.hpp>
#include <majordomo/error_kind.hpp>
#include <majordomo/export.hpp>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace majordomo {

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
  // (0.4) Every request the call sent, in order, the last one the request this error ended;
  // empty when nothing was sent (e.g. a configuration error). See call_record.hpp.
  std::vector<AttemptRecord> records;
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
