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

// An integer (a token count, say); a missing, null or non-integer count leaves `out` as it was, so the
// caller decides what "not carried" means (0, or a marker that keeps an earlier count).
inline void read_optional_int64(simdjson::ondemand::value& value, int64_t& out) {
  int64_t count = 0;
  if (value.get_int64().get(count) == simdjson::SUCCESS) out = count;
}

// An integer, 0 when it is missing, null or not an integer.
inline int64_t int64_or_zero(simdjson::ondemand::value& value) {
  int64_t count = 0;
  read_optional_int64(value, count);
  return count;
}

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
