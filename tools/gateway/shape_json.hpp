// Reading client request bodies for the shapes: the per-thread parser, field paths and typed reads that refuse with 400.
#pragma once

#include "client_request.hpp"

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace majordomo::gateway {

// Nesting deeper than any real request (a tool schema is the deepest part): a body past it is
// refused before anything is read.
inline constexpr std::size_t kMaxRequestDepth = 64;

// Where a value sits in the request, in the client's terms ("messages[2].content[0].type"). A
// chain of stack frames, rendered only when a refusal needs it: reading costs no allocation.
struct FieldPath {
  const FieldPath* parent = nullptr;
  std::string_view key{};
  std::size_t index = 0;
  bool is_index = false;

  [[nodiscard]] FieldPath operator[](std::size_t i) const {
    FieldPath child;
    child.parent = this;
    child.index = i;
    child.is_index = true;
    return child;
  }
  [[nodiscard]] FieldPath operator/(std::string_view name) const {
    FieldPath child;
    child.parent = this;
    child.key = name;
    return child;
  }
  [[nodiscard]] std::string str() const;
};

// A top-level field's path.
[[nodiscard]] inline FieldPath field(std::string_view name) {
  FieldPath path;
  path.key = name;
  return path;
}

// Parses `body` with this thread's parser: one JSON object, valid UTF-8, at most
// kMaxRequestDepth deep; anything else is a 400. The object lives until the thread's next parse.
[[nodiscard]] simdjson::dom::object parse_body(std::string_view body);

// Whether `text` is one JSON object (a second per-thread parser: the body's stays intact).
[[nodiscard]] bool is_json_object(std::string_view text);
// `text` as one JSON object, with that second parser (valid until its next use), or false.
[[nodiscard]] bool parse_side_object(std::string_view text, simdjson::dom::object& out);

[[noreturn]] void refuse(const FieldPath& path, std::string message, int status = 400);
// "Invalid type for 'path': expected …, but got …": the form of OpenAI's own message.
[[noreturn]] void refuse_type(const FieldPath& path, simdjson::dom::element value, std::string_view expected);
// A field the shape does not know: named like OpenAI's "Unrecognized request argument supplied".
[[noreturn]] void refuse_unknown(const FieldPath& path);
// A field with no neutral form: it would change the answer, so it is refused, never dropped.
[[noreturn]] void refuse_unsupported(const FieldPath& path, std::string_view remedy);

[[nodiscard]] inline bool is_null(simdjson::dom::element value) { return value.is_null(); }
[[nodiscard]] std::string_view read_string(simdjson::dom::element value, const FieldPath& path);
[[nodiscard]] bool read_bool(simdjson::dom::element value, const FieldPath& path);
// An integer in [min, max]; a float with no fraction counts (some clients send 1024.0).
[[nodiscard]] int64_t read_integer(simdjson::dom::element value, const FieldPath& path, int64_t min, int64_t max);
[[nodiscard]] double read_number(simdjson::dom::element value, const FieldPath& path, double min, double max);
[[nodiscard]] simdjson::dom::object read_object(simdjson::dom::element value, const FieldPath& path);
[[nodiscard]] simdjson::dom::array read_array(simdjson::dom::element value, const FieldPath& path);
// The element minified (a tool's schema, an assistant call's input).
[[nodiscard]] std::string minified(simdjson::dom::element value);

// Sets `out` to the member `key` and returns true when it is present and not null.
[[nodiscard]] bool find_member(simdjson::dom::object object, std::string_view key, simdjson::dom::element& out);

// The data: URL form of inline image bytes given in base64, which every plugin takes as is.
[[nodiscard]] std::string data_url(std::string_view media_type, std::string_view base64);

// The shared policy on image URLs: http(s) fetched by the provider, data:image/… inline.
void check_image_url(std::string_view url, const FieldPath& path);

}  // namespace majordomo::gateway
