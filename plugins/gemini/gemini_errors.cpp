// The Gemini plugin's error readers (see gemini_errors.hpp).
#include "gemini_errors.hpp"

#include <majordomo/sdk/json_read.hpp>

#include <fmt/format.h>

#include <string>

namespace majordomo::gemini {

namespace ondemand = simdjson::ondemand;
using sdk::read_optional_string;

namespace {

// One entry of error.details. "@type" may come after the fields it gives meaning to, so the
// fields that matter are read whatever the type; their names do not clash between detail types.
simdjson::error_code read_error_detail(ondemand::value& value, ErrorFields& fields) {
  return sdk::for_each_field_if_object(value, [&](ondemand::raw_json_string key, ondemand::value& field) {
    if (key == "retryDelay") return read_optional_string(field, fields.retry_delay, fields.has_retry_delay);
    if (key == "reason") {
      std::string_view reason;
      bool has_reason = false;
      if (auto error = read_optional_string(field, reason, has_reason)) return error;
      if (reason == "API_KEY_INVALID") fields.api_key_invalid = true;
    }
    return simdjson::SUCCESS;
  });
}

}  // namespace

simdjson::error_code read_error(ondemand::value& value, ErrorFields& fields) {
  return sdk::read_error_object(value, fields, [&](ondemand::raw_json_string key, ondemand::value& field) {
    if (key != "details") return simdjson::SUCCESS;
    return sdk::for_each_element_if_array(field,
        [&](ondemand::value& detail) { return read_error_detail(detail, fields); });
  });
}

// PROTOCOLS.md §0.4: the canonical status is more specific than the HTTP status; an unknown
// one falls back to `fallback`. Google answers a wrong API key with 400 INVALID_ARGUMENT, which
// only the ErrorInfo reason tells apart from a malformed request.
int32_t error_kind_for(const ErrorFields& fields, int32_t fallback) noexcept {
  if (fields.api_key_invalid) return MJ_ERR_AUTHENTICATION;
  const std::string_view status = fields.status;
  if (status == "INVALID_ARGUMENT" || status == "FAILED_PRECONDITION" ||
      status == "OUT_OF_RANGE") {
    return MJ_ERR_BAD_REQUEST;
  }
  if (status == "UNAUTHENTICATED") return MJ_ERR_AUTHENTICATION;
  if (status == "PERMISSION_DENIED") return MJ_ERR_PERMISSION;
  if (status == "NOT_FOUND") return MJ_ERR_NOT_FOUND;
  if (status == "RESOURCE_EXHAUSTED") return MJ_ERR_RATE_LIMITED;
  if (status == "UNAVAILABLE") return MJ_ERR_OVERLOADED;
  if (status == "INTERNAL") return MJ_ERR_SERVER;
  if (status == "DEADLINE_EXCEEDED") return MJ_ERR_TIMEOUT;
  if (status == "CANCELLED") return MJ_ERR_CANCELLED;
  return fallback;
}

// google.protobuf.Duration in JSON: decimal seconds with an "s" suffix ("26s", "0.5s",
// "1.000340s"). -1 when the text is not that shape.
int64_t duration_to_ms(std::string_view text) noexcept {
  if (text.size() < 2 || text.back() != 's') return -1;
  text.remove_suffix(1);
  int64_t whole = 0;
  std::size_t i = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    if (whole > 100'000'000) return -1;  // over three years: not a delay anyone should honour
    whole = whole * 10 + (text[i] - '0');
  }
  if (i == 0) return -1;
  int64_t millis = whole * 1000;
  if (i < text.size()) {
    if (text[i] != '.') return -1;
    int64_t scale = 100;
    for (++i; i < text.size(); ++i) {
      if (text[i] < '0' || text[i] > '9') return -1;
      millis += (text[i] - '0') * scale;
      scale /= 10;
    }
  }
  return millis;
}

// An error object inside a 2xx response or stream: the HTTP status said success, the body not.
[[noreturn]] void throw_in_band_error(const ErrorFields& fields, std::string_view where) {
  throw sdk::ProviderError(error_kind_for(fields, MJ_ERR_SERVER),
                           fmt::format("Gemini {} error: {}", where, fields.message_or_placeholder()), 200,
                           std::string(fields.status), std::string{},
                           fields.has_retry_delay ? duration_to_ms(fields.retry_delay) : -1);
}

}  // namespace majordomo::gemini
