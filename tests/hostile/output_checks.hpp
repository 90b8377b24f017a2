// What every hostile-server run must show on its outputs: valid UTF-8, no secret, no injected control bytes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace majordomo::hostile {

// The offset of the first byte that breaks UTF-8 (overlongs, surrogates and values past U+10FFFF
// included), or nothing when the text is valid.
std::optional<size_t> invalid_utf8_at(std::string_view text);

// The first control character other than newline and tab, or nothing.
std::optional<size_t> control_character_at(std::string_view text);

std::string base64(std::string_view bytes);

// At most `limit` bytes of `text` with control and non-ASCII bytes as \xNN, for failure messages
// that must not disturb the terminal either.
std::string printable_excerpt(std::string_view text, size_t limit = 300);

bool contains_ignoring_case(std::string_view text, std::string_view part);

}  // namespace majordomo::hostile
