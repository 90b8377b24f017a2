// ErrorKind: the kinds of failure, shared by the C++ API, the plugin ABI, call records and logs.
#pragma once

#include <majordomo/export.hpp>

#include <cstdint>
#include <optional>
#include <string_view>

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

}  // namespace majordomo
