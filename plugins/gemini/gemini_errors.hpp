// The Gemini plugin's error readers: the `error` object of bodies and streams, its details, and its kinds.
#pragma once
#include <majordomo/plugin.h>
#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/json_fields.hpp>

#include <simdjson.h>

#include <cstdint>
#include <string_view>

namespace majordomo::gemini {

namespace sdk = majordomo::sdk;


// The `error` object of an error body (PROTOCOLS.md §4.4): message and status (the canonical
// code, e.g. RESOURCE_EXHAUSTED) in the shared shape, with the details we act on.
struct ErrorFields : sdk::ErrorObjectFields {
  std::string_view retry_delay;  // RetryInfo.retryDelay, e.g. "26s"
  bool has_retry_delay = false;
  bool api_key_invalid = false;  // an ErrorInfo with reason API_KEY_INVALID
};

simdjson::error_code read_error(simdjson::ondemand::value& value, ErrorFields& fields);
// The canonical status, more specific than the HTTP status; an unknown one falls back to `fallback`.
int32_t error_kind_for(const ErrorFields& fields, int32_t fallback) noexcept;
// google.protobuf.Duration in JSON ("26s", "0.5s") in milliseconds; -1 when not that shape.
int64_t duration_to_ms(std::string_view text) noexcept;
// An error object inside a 2xx response ("response") or stream ("stream"): throws its ProviderError.
[[noreturn]] void throw_in_band_error(const ErrorFields& fields, std::string_view where);

}  // namespace majordomo::gemini
