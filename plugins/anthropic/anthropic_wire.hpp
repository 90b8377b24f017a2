// The Anthropic plugin's wire readers: usage, text fields and errors of Messages API bodies and events.
#pragma once
#include <majordomo/plugin.h>
#include <majordomo/sdk/call.hpp>
#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/json_fields.hpp>

#include <simdjson.h>

#include <cstdint>
#include <string_view>

namespace majordomo::anthropic {

namespace sdk = majordomo::sdk;
namespace ondemand = simdjson::ondemand;

inline constexpr std::string_view kDisplayName = "Anthropic";


// Token counts as the wire has them; -1 marks a count the event did not carry, so a
// message_delta that repeats only output_tokens keeps the input side of message_start.
struct WireUsage {
  int64_t input = -1;           // input_tokens: the uncached part of the prompt only
  int64_t cache_creation = -1;  // cache_creation_input_tokens
  int64_t cache_read = -1;      // cache_read_input_tokens
  int64_t output = -1;          // output_tokens, thinking included
  int64_t thinking = -1;        // output_tokens_details.thinking_tokens (newer responses)

  void merge(const WireUsage& later) noexcept {
    for (auto [mine, theirs] : {std::pair{&input, later.input},
                                std::pair{&cache_creation, later.cache_creation},
                                std::pair{&cache_read, later.cache_read},
                                std::pair{&output, later.output},
                                std::pair{&thinking, later.thinking}}) {
      if (theirs >= 0) *mine = theirs;
    }
  }

  // PROTOCOLS.md §6.2: the API has no total, and the prompt is split over three counts (each at
  // most 2^53, sdk::read_token_count: the sum cannot overflow; the host refuses one above 2^53).
  mj_usage normalised() const noexcept {
    const auto count = [](int64_t value) { return value < 0 ? int64_t{0} : value; };
    mj_usage usage{};
    usage.input_tokens = count(input) + count(cache_creation) + count(cache_read);
    usage.output_tokens = count(output);
    usage.cached_tokens = count(cache_read);
    usage.cache_write_tokens = count(cache_creation);
    usage.reasoning_tokens = count(thinking);
    return usage;
  }
};

// The fields of a content block or a stream delta that carry text. Both shapes use "type" plus
// "text" (text blocks, text_delta) or "thinking" (thinking blocks, thinking_delta).
struct TextFields {
  std::string_view type;
  std::string_view text;
  std::string_view thinking;
  std::string_view stop_reason;  // message_delta's delta only
  std::string_view input;        // a tool_use block's input, as raw JSON
  std::string_view partial_json; // an input_json_delta's piece of that input
  std::string_view id;           // a tool_use block's call id
  std::string_view name;         // a tool_use block's tool name
  std::string_view signature;    // a thinking block's signature, or a signature_delta's
  std::string_view data;         // a redacted_thinking block's encrypted thinking
  bool has_type = false;
  bool has_text = false;
  bool has_thinking = false;
  bool has_stop_reason = false;
};

// The `error` object of an error body or a streamed error event: type and message.
using ErrorFields = sdk::ErrorObjectFields;

// Reads an `error` object; `present` tells whether it was readable.
simdjson::error_code read_error(ondemand::value& value, ErrorFields& fields, bool& present);

// Reads a `usage` object; `present` tells whether the value held one.
simdjson::error_code read_usage(ondemand::value& value, WireUsage& usage, bool& present);
simdjson::error_code read_text_fields(ondemand::value& value, TextFields& fields);
// Text goes to the answer, thinking to the reasoning; tool input only for a forced-tool structured call.
void emit_text_fields(const TextFields& fields, sdk::EventSink& sink, bool tool_answer);
// error.type, more specific than the HTTP status; an unknown type falls back to `fallback`.
int32_t error_kind_for_type(std::string_view type, int32_t fallback) noexcept;
// PROTOCOLS.md §6.1 stop reasons to MJ_STOP_*.
int32_t normalise_stop_reason(std::string_view reason) noexcept;
// An error inside a 2xx response ("stream" or "response"): throws its typed ProviderError.
[[noreturn]] void throw_in_band_error(const ErrorFields& fields, std::string_view request_id, std::string_view where);

}  // namespace majordomo::anthropic
