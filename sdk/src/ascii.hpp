// ASCII helpers private to the SDK sources: case-insensitive compare and blank trimming (HTTP header names, values, media types).
#pragma once

#include <cstddef>
#include <string_view>

namespace majordomo::sdk {
inline namespace v1 {
namespace ascii {

// HTTP names are ASCII: a locale-independent fold keeps "I" from turning into a dotless i.
constexpr char fold(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (fold(a[i]) != fold(b[i])) return false;
  }
  return true;
}

// `text` without leading and trailing spaces and tabs (HTTP's optional whitespace).
constexpr std::string_view trim_blanks(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// True when a Content-Type value names `type` ("application/json; charset=utf-8" names
// "application/json"): parameters and surrounding blanks are ignored, case is not significant.
constexpr bool media_type_is(std::string_view content_type, std::string_view type) noexcept {
  return iequals(trim_blanks(content_type.substr(0, content_type.find(';'))), type);
}

}  // namespace ascii
}  // namespace v1
}  // namespace majordomo::sdk
