// Walking provider JSON objects field by field in one simdjson On-Demand pass; the shared error-object shape. (0.4)
#pragma once

#include <majordomo/sdk/requires_cxx20.hpp>

#include <majordomo/sdk/json_read.hpp>
#include <majordomo/sdk/sse.hpp>

#include <simdjson.h>

#include <string_view>
#include <type_traits>
#include <utility>

namespace majordomo::sdk {
inline namespace v1 {

// Bodies and SSE data are parsed in place, so the SDK's padding after them must cover simdjson's.
static_assert(SseDecoder::kPadding >= simdjson::SIMDJSON_PADDING,
              "SSE data and bodies must carry enough padding to be parsed in place");

// A field handler: `(raw_json_string key, ondemand::value& value)` returning either void (it
// throws, or it cannot fail) or a simdjson::error_code (non-zero stops the walk). It sees every
// field once, in document order, and skips the keys it does not know: On-Demand then skips their
// values without reading them, so no DOM is ever built.
template <class OnField>
simdjson::error_code call_field_handler(OnField& on_field, simdjson::ondemand::raw_json_string key,
                                        simdjson::ondemand::value& value) {
  if constexpr (std::is_void_v<std::invoke_result_t<OnField&, simdjson::ondemand::raw_json_string,
                                                    simdjson::ondemand::value&>>) {
    on_field(key, value);
    return simdjson::SUCCESS;
  } else {
    return on_field(key, value);
  }
}

// Calls `on_field` for each field of `object`. The first error, from the JSON or from the
// handler, ends the walk and is returned.
template <class OnField>
simdjson::error_code for_each_field(simdjson::ondemand::object& object, OnField&& on_field) {
  for (auto member : object) {
    simdjson::ondemand::field field;
    if (auto error = std::move(member).get(field)) return error;
    if (auto error = call_field_handler(on_field, field.key(), field.value())) return error;
  }
  return simdjson::SUCCESS;
}

// The same for a value that must be an object: any other type is INCORRECT_TYPE.
template <class OnField>
simdjson::error_code for_each_field(simdjson::ondemand::value& value, OnField&& on_field) {
  simdjson::ondemand::object object;
  if (auto error = value.get_object().get(object)) return error;
  return for_each_field(object, on_field);
}

// The same for an optional object: null or another type is "absent" (providers send null for
// it) and leaves `present` untouched; an object sets `present` before its fields are walked.
template <class OnField>
simdjson::error_code for_each_field_if_object(simdjson::ondemand::value& value, bool& present,
                                              OnField&& on_field) {
  simdjson::ondemand::json_type type;
  if (auto error = value.type().get(type)) return error;
  if (type != simdjson::ondemand::json_type::object) return simdjson::SUCCESS;
  present = true;
  return for_each_field(value, on_field);
}

template <class OnField>
simdjson::error_code for_each_field_if_object(simdjson::ondemand::value& value, OnField&& on_field) {
  bool present = false;
  return for_each_field_if_object(value, present, on_field);
}

// The walk of a decoder's root object (from open_root_object): any error, from the JSON or from
// the handler, throws MJ_ERR_PARSE "<provider> <what> is not valid JSON: <reason>".
template <class OnField>
void read_root_fields(simdjson::ondemand::object& root, std::string_view provider,
                      std::string_view what, OnField&& on_field) {
  if (auto error = for_each_field(root, on_field)) throw_invalid_json(provider, what, error);
}

// Calls `on_element(ondemand::value&)` (void or error_code, as above) for each element of an
// array value; any other type is INCORRECT_TYPE. The first error ends the walk.
template <class OnElement>
simdjson::error_code for_each_element(simdjson::ondemand::value& value, OnElement&& on_element) {
  simdjson::ondemand::array array;
  if (auto error = value.get_array().get(array)) return error;
  for (auto element : array) {
    simdjson::ondemand::value item;
    if (auto error = std::move(element).get(item)) return error;
    if constexpr (std::is_void_v<std::invoke_result_t<OnElement&, simdjson::ondemand::value&>>) {
      on_element(item);
    } else {
      if (auto error = on_element(item)) return error;
    }
  }
  return simdjson::SUCCESS;
}

// The same for an optional array: null or another type is "absent" and walks nothing.
template <class OnElement>
simdjson::error_code for_each_element_if_array(simdjson::ondemand::value& value, OnElement&& on_element) {
  simdjson::ondemand::json_type type;
  if (auto error = value.type().get(type)) return error;
  if (type != simdjson::ondemand::json_type::array) return simdjson::SUCCESS;
  return for_each_element(value, on_element);
}

// True when the value is anything but null ("tool_calls": [...] vs "tool_calls": null).
inline simdjson::error_code read_non_null(simdjson::ondemand::value& value, bool& non_null) {
  simdjson::ondemand::json_type type{};
  if (auto error = value.type().get(type)) return error;
  non_null = type != simdjson::ondemand::json_type::null;
  return simdjson::SUCCESS;
}

// The error object most providers share: `{"message","type","code","status"}` as strings, any of
// them missing (OpenAI: message, type, code; Anthropic: type, message; Gemini: message, status;
// Acme: code, message). Views point into the parser's string buffer.
struct ErrorObjectFields {
  std::string_view message;
  std::string_view type;
  std::string_view code;    // a string code; a numeric one (Gemini's HTTP status) is not kept here
  std::string_view status;  // a canonical status name (Gemini's RESOURCE_EXHAUSTED)
  bool has_message = false;
  bool has_type = false;
  bool has_code = false;
  bool has_status = false;

  // The message, or "(no message)" when it is missing or empty: an in-band error's text.
  std::string_view message_or_placeholder() const noexcept {
    return has_message && !message.empty() ? message : std::string_view{"(no message)"};
  }
};

// Reads the four string fields of an error object into `fields` and hands every other field to
// `on_other_field` (a field handler as above), so a provider's extras (Gemini's details) are read
// in the same single pass.
template <class OnField>
simdjson::error_code read_error_object(simdjson::ondemand::value& value, ErrorObjectFields& fields,
                                       OnField&& on_other_field) {
  return for_each_field(value, [&](simdjson::ondemand::raw_json_string key,
                                   simdjson::ondemand::value& field) -> simdjson::error_code {
    if (key == "message") return read_optional_string(field, fields.message, fields.has_message);
    if (key == "type") return read_optional_string(field, fields.type, fields.has_type);
    if (key == "code") {
      // A numeric code is the extra reader's to take; a string code is a tag.
      simdjson::ondemand::json_type type{};
      if (auto error = field.type().get(type)) return error;
      if (type == simdjson::ondemand::json_type::string) {
        return read_optional_string(field, fields.code, fields.has_code);
      }
    }
    if (key == "status") return read_optional_string(field, fields.status, fields.has_status);
    return call_field_handler(on_other_field, key, field);
  });
}

inline simdjson::error_code read_error_object(simdjson::ondemand::value& value,
                                              ErrorObjectFields& fields) {
  return read_error_object(value, fields,
                           [](simdjson::ondemand::raw_json_string, simdjson::ondemand::value&) {});
}

}  // namespace v1
}  // namespace majordomo::sdk
