// Reading provider JSON with simdjson On-Demand: root objects, optional strings, token counts.
#pragma once

#include <majordomo/sdk/requires_cxx20.hpp>

#include <simdjson.h>

#include <cstdint>
#include <string_view>

namespace majordomo::sdk {
inline namespace v1 {

// Throws MJ_ERR_PARSE "<provider> <what> is not valid JSON: <simdjson's reason>". `provider` is
// the display name ("OpenAI"), `what` the carrier ("response", "stream chunk").
[[noreturn]] void throw_invalid_json(std::string_view provider, std::string_view what,
                                     simdjson::error_code error);

// Out of line so the hot path below stays small; each throws MJ_ERR_PARSE naming the provider.
[[noreturn]] void throw_empty_json(std::string_view provider, std::string_view what);
[[noreturn]] void throw_not_json_object(std::string_view provider, std::string_view what);

// Opens `json` in place and returns its root object. The SDK guarantees SIMDJSON_PADDING readable
// bytes after bodies and SSE data, so nothing is copied. An empty text, invalid JSON or a root that
// is not an object (an HTML page, a bare value) is a typed MJ_ERR_PARSE naming the provider.
inline simdjson::ondemand::object open_root_object(simdjson::ondemand::parser& parser,
                                                   std::string_view json,
                                                   simdjson::ondemand::document& document,
                                                   std::string_view provider,
                                                   std::string_view what) {
  if (json.empty()) throw_empty_json(provider, what);
  simdjson::error_code error =
      parser.iterate(json.data(), json.size(), json.size() + simdjson::SIMDJSON_PADDING)
          .get(document);
  if (error != simdjson::SUCCESS) throw_invalid_json(provider, what, error);
  simdjson::ondemand::object root;
  error = document.get_object().get(root);
  if (error == simdjson::INCORRECT_TYPE) throw_not_json_object(provider, what);
  if (error != simdjson::SUCCESS) throw_invalid_json(provider, what, error);
  return root;
}

// A string value; null or another type leaves `out` and `present` untouched, as providers send
// null for "absent". The view points into the parser's string buffer.
inline simdjson::error_code read_optional_string(simdjson::ondemand::value& value,
                                                 std::string_view& out, bool& present) {
  simdjson::ondemand::json_type type;
  if (auto error = value.type().get(type)) return error;
  if (type != simdjson::ondemand::json_type::string) return simdjson::SUCCESS;
  present = true;
  return value.get_string().get(out);
}

// An integer that is not a token count (an error code, a hint); a missing, null or non-integer
// value leaves `out` as it was. Token counts use read_token_count.
inline void read_optional_int64(simdjson::ondemand::value& value, int64_t& out) {
  int64_t count = 0;
  if (value.get_int64().get(count) == simdjson::SUCCESS) out = count;
}

// An integer, 0 when it is missing, null or not an integer. Not for token counts.
inline int64_t int64_or_zero(simdjson::ondemand::value& value) {
  int64_t count = 0;
  read_optional_int64(value, count);
  return count;
}

// The largest token count a provider may report: 2^53, the largest integer a JSON number (a
// double to most readers) holds exactly. A sum of a few such counts cannot overflow int64_t. (0.3)
inline constexpr int64_t kMaxTokenCount = int64_t{1} << 53;

// A token count (0.3): a JSON number with a whole value from 0 to kMaxTokenCount (18 and 18.0
// alike: Cohere sends floats). null leaves `out` as it was (providers send null for "absent").
// Anything else (12.5, "12", true, -1, 1e300, an object) throws MJ_ERR_PARSE naming `provider` and
// `field` ("usage.prompt_tokens"): a bill is never made from a number that was not meant.
void read_token_count(simdjson::ondemand::value& value, int64_t& out, std::string_view provider,
                      std::string_view field);

// The same, 0 when the value is null.
inline int64_t token_count_or_zero(simdjson::ondemand::value& value, std::string_view provider,
                                   std::string_view field) {
  int64_t count = 0;
  read_token_count(value, count, provider, field);
  return count;
}

// Answer text (0.3): a string sets `out` and `present`; null leaves both untouched when
// `null_allowed` (a wire format where null means "no text here", e.g. OpenAI's content beside
// tool_calls) and is an error otherwise; any other type (a number, object, array, boolean) throws
// MJ_ERR_PARSE "<provider> <field> is a number, not text", so a malformed answer is never taken
// for an empty one.
void read_answer_text(simdjson::ondemand::value& value, std::string_view& out, bool& present,
                      std::string_view provider, std::string_view field, bool null_allowed);

// "a number", "an object", … for messages.
std::string_view json_type_name(simdjson::ondemand::json_type type) noexcept;

// An error body (non-2xx) opened from a padded copy: the error path can afford the copy, and it
// frees the decoder from the caller's padding. The copy outlives every value read from it.
class ErrorBody {
 public:
  explicit ErrorBody(std::string_view body) : padded_(body) {}
  ErrorBody(const ErrorBody&) = delete;
  ErrorBody& operator=(const ErrorBody&) = delete;

  // The root value, or false when the body is not JSON.
  bool open(simdjson::ondemand::parser& parser, simdjson::ondemand::value& root) {
    return parser.iterate(padded_).get(document_) == simdjson::SUCCESS &&
           document_.get_value().get(root) == simdjson::SUCCESS;
  }

  // The root object, or false when the body is not a JSON object.
  bool open_object(simdjson::ondemand::parser& parser, simdjson::ondemand::object& root) {
    return parser.iterate(padded_).get(document_) == simdjson::SUCCESS &&
           document_.get_object().get(root) == simdjson::SUCCESS;
  }

 private:
  simdjson::padded_string padded_;
  simdjson::ondemand::document document_;
};

}  // namespace v1
}  // namespace majordomo::sdk
