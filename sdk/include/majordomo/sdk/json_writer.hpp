// JsonWriter: a small append-only JSON encoder for request bodies (no DOM on the request path).
#pragma once

#include <majordomo/sdk/requires_cxx20.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace majordomo::sdk {
inline namespace v1 {

// Appends JSON tokens to a caller-owned string. Strings are escaped per RFC 8259 (", \, control
// characters as \n \r \t \b \f or \u00XX); UTF-8 passes through as is, so callers must hand in
// valid UTF-8 (the host validates prompts before building a request).
//
// Two ways to write structure, which give the same bytes:
// - scoped (0.4): inside begin_object()/begin_array(), key() and every value place their own comma;
// - by hand: outside any scope the writer adds nothing, and raw() writes braces and commas as given
//   (the style of plugins written before 0.4, which keep producing the same bytes).
// The scope state is a depth and one flag: no allocation, whatever the nesting.
class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& raw(std::string_view text) { out_.append(text); return *this; }  // trusted JSON, placed as is
  JsonWriter& string(std::string_view text);    // "…" with escaping
  JsonWriter& key(std::string_view name);       // "name":
  JsonWriter& number(int64_t value);
  JsonWriter& number(double value);             // shortest round-trip form; NaN/inf rejected
  JsonWriter& boolean(bool value) { separate(); out_.append(value ? "true" : "false"); return *this; }

  // Scoped writing (0.4).
  JsonWriter& begin_object() { return open('{'); }
  JsonWriter& end_object() { return close('}'); }
  JsonWriter& begin_array() { return open('['); }
  JsonWriter& end_array() { return close(']'); }
  JsonWriter& null() { separate(); out_.append("null"); return *this; }
  JsonWriter& string_or_null(std::string_view text) { return text.empty() ? null() : string(text); }
  JsonWriter& raw_value(std::string_view json) { separate(); out_.append(json); return *this; }  // trusted JSON, one value

  // For code that mixes the styles: resume_array() makes an array opened with raw("[") a scope
  // (`has_items`: it holds a value already), suspend_array() leaves that scope without writing ']'.
  JsonWriter& resume_array(bool has_items) { ++depth_; needs_comma_ = has_items; return *this; }
  JsonWriter& suspend_array() { leave(); return *this; }

  bool in_scope() const noexcept { return depth_ > 0; }
  std::string& out() noexcept { return out_; }

 private:
  // The comma before a key or value inside a scope (none right after a key, none by hand).
  void separate() {
    if (depth_ == 0) return;
    if (needs_comma_) out_.push_back(',');
    needs_comma_ = true;
  }
  JsonWriter& open(char bracket) {
    separate();
    out_.push_back(bracket);
    ++depth_;
    needs_comma_ = false;
    return *this;
  }
  JsonWriter& close(char bracket) {
    out_.push_back(bracket);
    leave();
    return *this;
  }
  // The enclosing level holds at least the container just closed, so it needs a comma next:
  // that is why one flag is enough and no stack is kept.
  void leave() noexcept {
    if (depth_ > 0) --depth_;
    needs_comma_ = true;
  }

  std::string& out_;
  uint32_t depth_ = 0;
  bool needs_comma_ = false;  // inside a scope: the current level holds something already
};

// Appends `text` escaped as the inside of a JSON string (without quotes).
void append_json_escaped(std::string& out, std::string_view text);

}  // namespace v1
}  // namespace majordomo::sdk
