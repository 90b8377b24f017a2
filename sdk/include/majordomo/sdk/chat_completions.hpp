// The OpenAI-compatible Chat Completions codec: request bodies, JSON and SSE decoding, error envelopes.
#pragma once

#include <majordomo/sdk/requires_cxx20.hpp>

#include <majordomo/plugin.h>
#include <majordomo/sdk/call.hpp>
#include <majordomo/sdk/http.hpp>
#include <majordomo/sdk/json_fields.hpp>
#include <majordomo/sdk/json_writer.hpp>
#include <majordomo/sdk/parser_pool.hpp>
#include <majordomo/sdk/plugin.hpp>

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

namespace majordomo::sdk {
inline namespace v1 {

// A finish_reason value a server adds to the OpenAI set, and what it means.
struct FinishReasonName {
  std::string_view raw;
  int32_t stop;  // MJ_STOP_*
};

// Where one OpenAI-compatible server differs from OpenAI's own Chat Completions. A plugin keeps
// its flavour in static storage: requests and decoders refer to it for as long as they live.
struct ChatCompletionsFlavour {
  std::string_view display_name = {};  // "OpenAI": starts every error message
  std::string_view provider_id = {};   // "openai": names the provider in configuration errors
  // The output cap's field: OpenAI's reasoning models need "max_completion_tokens"; many
  // compatible servers only know "max_tokens".
  std::string_view max_tokens_field = "max_completion_tokens";
  // true: JSON-schema requests use the strict `json_schema` response format. false: the server
  // only has `json_object`, so both JSON modes send it and say in the system prompt that the
  // answer must be JSON (matching the schema, which is put there); the host checks the answer.
  bool native_json_schema = true;
  // Read `message.refusal` (OpenAI's Structured Outputs refusals: the text becomes the answer
  // and the stop reason content_filter).
  bool refusal = true;
  // Read `message.reasoning_content` / `delta.reasoning_content` into the reasoning text.
  bool reasoning_content = false;
  // A usage field the server bills cached prompt tokens by (DeepSeek: "prompt_cache_hit_tokens");
  // when present it wins over `prompt_tokens_details.cached_tokens`.
  std::string_view cached_tokens_field = {};
  // Which error tag is the telling one: OpenAI's `code` (insufficient_quota versus
  // rate_limit_exceeded), or `type` for servers that fill `code` with one value for all errors.
  bool error_type_before_code = false;
  // finish_reason values beyond stop, length, tool_calls, function_call and content_filter.
  std::span<const FinishReasonName> extra_finish_reasons = {};
  // Response header carrying the request id (empty: none).
  std::string_view request_id_header = "x-request-id";
  // (0.5) How the server takes reasoning controls: OpenAI's `reasoning_effort` field (thinking
  // off is effort "none"), and/or a `thinking: {"type":"enabled"|"disabled"}` switch (DeepSeek).
  // A control the server has no field for is refused with MJ_ERR_UNSUPPORTED; neither takes a
  // thinking budget.
  bool reasoning_effort_field = true;
  bool thinking_switch = false;
  // (0.5) DeepSeek's thinking-mode tool loop, which needs the reasoning of a turn with tool calls
  // back in every later request: an answer with tool calls and reasoning_content hands that text
  // out as one continuation item (kReasoningContentItemPrefix + the text, chat_messages.hpp), and
  // an assistant turn carrying it writes it back as the message's `reasoning_content`. Needs
  // `reasoning_content` on.
  bool reasoning_continuation = false;
};

// The request body for POST {base}/chat/completions. Throws MJ_ERR_CONFIGURATION for requests
// the server cannot take (no model, a JSON-schema format without a schema or with a bad name).
Prepared build_chat_completions_request(const mj_request& request,
                                        const ChatCompletionsFlavour& flavour);

// A decoder for one Chat Completions call: JSON bodies, SSE chunks up to `data: [DONE]`,
// in-band `{"error":…}` objects and the OpenAI error envelope of non-2xx answers.
std::unique_ptr<ResponseDecoder> make_chat_completions_decoder(ParserPool::Lease parser,
                                                               const ChatCompletionsFlavour& flavour);

// ---- Pieces shared with other OpenAI-style APIs (the Responses API) ----

// (0.5) Appends `,"tools":[…]`, `,"tool_choice":…` and `,"parallel_tool_calls":…` as the request
// sets them, in the Chat Completions shape (a nested `function` object). Tools sent to a server
// go with their schema as given; MJ_TOOL_STRICT adds `"strict":true`.
void append_chat_tool_fields(JsonWriter& json, const mj_request& request);

// Appends `,"temperature":…` and `,"top_p":…` when the request sets them: both APIs name them so.
void append_sampling_fields(JsonWriter& json, const mj_request& request);

// Appends `"name":…,"strict":true,"schema":…` for a JSON-schema request: the one place where both
// Chat Completions' `response_format.json_schema` and the Responses API's flat `text.format`
// get their schema. Throws MJ_ERR_CONFIGURATION when the schema is missing or the name (default
// "response") is not 1-64 of a-z A-Z 0-9 _ -. `provider` names the provider in that message.
void append_strict_json_schema_members(JsonWriter& json, const mj_request& request,
                                       std::string_view provider);

// `{"error":{"message","type","param","code"}}`, or a bare string message as some servers send.
// Views point into the parser's string buffer.
// (0.4: the shared ErrorObjectFields shape, whose message, type and code are these fields.)
struct OpenAIErrorFields : ErrorObjectFields {

  // The most specific tag: `code` first, unless `type_first` (see ChatCompletionsFlavour).
  std::string_view provider_type(bool type_first = false) const noexcept;
};

// Reads an error object (or a string) into `fields`; fields it does not carry stay unset.
simdjson::error_code read_openai_error(simdjson::ondemand::value& value, OpenAIErrorFields& fields);

// The error kind of an error that arrived with HTTP 200 (mid-stream, or in a body), from its tags.
int32_t openai_error_kind_for_tags(std::string_view type, std::string_view code) noexcept;

// Throws "<provider> <where> error: <message>" (`where`: "stream", "response") with status 200.
[[noreturn]] void throw_openai_in_band_error(const OpenAIErrorFields& fields, std::string_view provider,
                                             std::string_view where, bool type_first = false);

// Throws the typed error of a non-2xx answer carrying the OpenAI error envelope, with the
// request id (from `request_id_header`) and retry-after hints.
[[noreturn]] void throw_openai_error_status(const HttpExchange& exchange, std::string_view body,
                                            simdjson::ondemand::parser& parser,
                                            std::string_view provider,
                                            std::string_view request_id_header,
                                            bool type_first = false);

// The field names of an OpenAI-style usage object: Chat Completions and the Responses API name
// the counts differently, the shape is the same.
struct UsageFieldNames {
  std::string_view input;            // "prompt_tokens"
  std::string_view output;           // "completion_tokens"
  std::string_view input_details;    // "prompt_tokens_details": cached_tokens, cache_write_tokens
  std::string_view output_details;   // "completion_tokens_details": reasoning_tokens
  std::string_view cached_override;  // a top-level cached count that wins (may be empty)
};
inline constexpr UsageFieldNames kChatUsageFields{"prompt_tokens", "completion_tokens",
                                                  "prompt_tokens_details",
                                                  "completion_tokens_details", {}};
inline constexpr UsageFieldNames kResponsesUsageFields{"input_tokens", "output_tokens",
                                                       "input_tokens_details",
                                                       "output_tokens_details", {}};

// A usage object into `usage` (reset first) and `present`; `"usage": null` leaves both alone. A
// count that is not a token count throws MJ_ERR_PARSE naming `provider` and the field (0.3).
simdjson::error_code read_openai_usage(simdjson::ondemand::value& value, const UsageFieldNames& names,
                                       mj_usage& usage, bool& present, std::string_view provider);
// The 0.2 signature, kept for plugins built against it: its messages say "the provider". An
// overload, not a default argument, so that a pointer to it keeps its type too.
simdjson::error_code read_openai_usage(simdjson::ondemand::value& value, const UsageFieldNames& names,
                                       mj_usage& usage, bool& present);

}  // namespace v1
}  // namespace majordomo::sdk
