// JsonWriter: a small append-only JSON encoder for request bodies (no DOM on the request path).
#pragma once

#include <majordomo/sdk/requires_cxx20.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace majordomo::sdk {
inline namespace v1 {

// Appends JSON tokens to a caller-owned string. The caller is responsible for structure (commas,
// braces): the writer only guarantees that each token is valid JSON. Strings are escaped per
// RFC 8259 (", \, control characters as \n \r \t \b \f or \u00XX); UTF-8 passes through as is,
// so callers must hand in valid UTF-8 (the host validates prompts before building a request).
class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& raw(std::string_view text) { out_.append(text); return *this; }  // trusted JSON
  JsonWriter& string(std::string_view text);    // "…" with escaping
  JsonWriter& key(std::string_view name);       // "name":
  JsonWriter& number(int64_t value);
  JsonWriter& number(double value);             // shortest round-trip form; NaN/inf rejected
  JsonWriter& boolean(bool value) { out_.append(value ? "true" : "false"); return *this; }

  std::string& out() noexcept { return out_; }

 private:
  std::string& out_;
};

// Appends `text` escaped as the inside of a JSON string (without quotes).
void append_json_escaped(std::string& out, std::string_view text);

}  // namespace v1
}  // namespace majordomo::sdk
