// The Anthropic plugin's wire readers (see anthropic_wire.hpp).
#include "anthropic_wire.hpp"

#include <majordomo/sdk/json_fields.hpp>
#include <majordomo/sdk/json_read.hpp>
#include <majordomo/sdk/provider_support.hpp>

#include <fmt/format.h>

#include <cstdint>
#include <string_view>

namespace majordomo::anthropic {

using sdk::read_optional_string;

simdjson::error_code read_usage(ondemand::value& value, WireUsage& usage, bool& present) {
  return sdk::for_each_field_if_object(value, present, [&](ondemand::raw_json_string key, ondemand::value& field) {
    if (key == "input_tokens") {
      sdk::read_token_count(field, usage.input, kDisplayName, "usage.input_tokens");
    } else if (key == "cache_creation_input_tokens") {
      sdk::read_token_count(field, usage.cache_creation, kDisplayName, "usage.cache_creation_input_tokens");
    } else if (key == "cache_read_input_tokens") {
      sdk::read_token_count(field, usage.cache_read, kDisplayName, "usage.cache_read_input_tokens");
    } else if (key == "output_tokens") {
      sdk::read_token_count(field, usage.output, kDisplayName, "usage.output_tokens");
    } else if (key == "output_tokens_details") {
      return sdk::for_each_field_if_object(field, [&](ondemand::raw_json_string detail_key, ondemand::value& detail) {
        if (detail_key == "thinking_tokens") {
          sdk::read_token_count(detail, usage.thinking, kDisplayName, "usage.output_tokens_details.thinking_tokens");
        }
      });
    }
    return simdjson::SUCCESS;
  });
}

simdjson::error_code read_text_fields(ondemand::value& value, TextFields& fields) {
  return sdk::for_each_field(value, [&](ondemand::raw_json_string key, ondemand::value& field) {
    if (key == "type") return read_optional_string(field, fields.type, fields.has_type);
    if (key == "text") {
      // Text and thinking are strings wherever they appear; null or another type is malformed.
      sdk::read_answer_text(field, fields.text, fields.has_text, kDisplayName, "text", false);
    } else if (key == "thinking") {
      sdk::read_answer_text(field, fields.thinking, fields.has_thinking, kDisplayName, "thinking", false);
    } else if (key == "stop_reason") {
      return read_optional_string(field, fields.stop_reason, fields.has_stop_reason);
    } else if (key == "input") {
      // An object as its text; anything else too, so that the host reports the call's arguments
      // as not an object instead of an empty call (never dropped).
      ondemand::json_type type{};
      if (auto error = field.type().get(type)) return error;
      if (type == ondemand::json_type::object) {
        ondemand::object input;
        if (auto error = field.get_object().get(input)) return error;
        return input.raw_json().get(fields.input);
      }
      if (type == ondemand::json_type::array) {
        ondemand::array input;
        if (auto error = field.get_array().get(input)) return error;
        return input.raw_json().get(fields.input);
      }
      fields.input = field.raw_json_token();
      while (!fields.input.empty() && (fields.input.back() == ' ' || fields.input.back() == '\n' ||
                                       fields.input.back() == '\r' || fields.input.back() == '\t')) {
        fields.input.remove_suffix(1);
      }
    } else if (key == "partial_json") {
      bool present = false;
      return read_optional_string(field, fields.partial_json, present);
    } else if (key == "id" || key == "name" || key == "signature" || key == "data") {
      // Strings where they matter (tool_use, thinking, redacted_thinking); null reads as absent.
      std::string_view& out = key == "id"     ? fields.id
                              : key == "name" ? fields.name
                              : key == "signature" ? fields.signature
                                                   : fields.data;
      bool present = false;
      return read_optional_string(field, out, present);
    }
    return simdjson::SUCCESS;
  });
}

// Text goes to the answer, thinking to the reasoning; signatures and unknown block types carry
// nothing a caller reads as text. Tool input is the answer only of a forced-tool structured call.
void emit_text_fields(const TextFields& fields, sdk::EventSink& sink, bool tool_answer) {
  const std::string_view type = fields.type;
  if ((type == "text" || type == "text_delta") && fields.has_text && !fields.text.empty()) {
    sink.text(fields.text);
  } else if (tool_answer && type == "tool_use" && !fields.input.empty()) {
    sink.text(fields.input);
  } else if (tool_answer && type == "input_json_delta" && !fields.partial_json.empty()) {
    sink.text(fields.partial_json);
  } else if ((type == "thinking" || type == "thinking_delta") && fields.has_thinking &&
             !fields.thinking.empty()) {
    sink.reasoning(fields.thinking);
  }
}


simdjson::error_code read_error(ondemand::value& value, ErrorFields& fields, bool& present) {
  const simdjson::error_code error = sdk::read_error_object(value, fields);
  present = error == simdjson::SUCCESS;
  return error;
}

// PROTOCOLS.md §0.4: error.type is more specific than the status (an overloaded_error comes
// as 529, but also inside a 200 stream); an unknown type falls back to `fallback`.
int32_t error_kind_for_type(std::string_view type, int32_t fallback) noexcept {
  if (type == "invalid_request_error" || type == "request_too_large") return MJ_ERR_BAD_REQUEST;
  if (type == "authentication_error") return MJ_ERR_AUTHENTICATION;
  // billing_error (402): the account must be topped up first, which no retry fixes.
  if (type == "permission_error" || type == "billing_error") return MJ_ERR_PERMISSION;
  if (type == "not_found_error") return MJ_ERR_NOT_FOUND;
  if (type == "rate_limit_error") return MJ_ERR_RATE_LIMITED;
  if (type == "overloaded_error") return MJ_ERR_OVERLOADED;
  if (type == "api_error") return MJ_ERR_SERVER;
  if (type == "timeout_error") return MJ_ERR_TIMEOUT;
  return fallback;
}

// An error inside a 2xx response. `where` ("stream", "response") tells a reader that the HTTP
// status said success. The request id of the response head is added by HttpCall when the event
// carries none.
[[noreturn]] void throw_in_band_error(const ErrorFields& fields, std::string_view request_id,
                                      std::string_view where) {
  throw sdk::ProviderError(error_kind_for_type(fields.type, MJ_ERR_SERVER),
                           fmt::format("Anthropic {} error: {}", where, fields.message_or_placeholder()), 200,
                           std::string(fields.type), std::string(request_id));
}

// PROTOCOLS.md §6.1. pause_turn (a server tool paused a long turn) is a normal end of this turn.
int32_t normalise_stop_reason(std::string_view reason) noexcept {
  if (reason == "end_turn" || reason == "pause_turn") return MJ_STOP_END_TURN;
  if (reason == "stop_sequence") return MJ_STOP_STOP_SEQUENCE;
  if (reason == "max_tokens" || reason == "model_context_window_exceeded") {
    return MJ_STOP_MAX_TOKENS;
  }
  if (reason == "tool_use") return MJ_STOP_TOOL_USE;
  if (reason == "refusal") return MJ_STOP_CONTENT_FILTER;
  return MJ_STOP_UNKNOWN;
}

}  // namespace majordomo::anthropic
