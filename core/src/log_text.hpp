// Text hygiene for what leaves the process: valid UTF-8 for logs and JSON, no control sequences for terminals.
#pragma once

#include <string>
#include <string_view>

namespace majordomo::log_text {

// `text` unchanged when it is valid UTF-8 without NUL; else a copy with each invalid byte and each
// NUL replaced by U+FFFD. The one implementation behind the call log and the CLI's JSON output.
std::string valid_utf8(std::string_view text);

// `text` with every control character written as a visible escape ("\u001b" for ESC): C0 controls
// other than tab (and newline when `keep_newlines`), DEL, the C1 controls U+0080..U+009F (a
// terminal may read U+009B as ESC [), and the bidirectional overrides and isolates U+202A..U+202E,
// U+2066..U+2069 (they reorder what a reader sees). Everything else, invalid UTF-8 included, is
// kept as it is: this is for terminals, valid_utf8 is for formats that need UTF-8.
std::string escape_controls(std::string_view text, bool keep_newlines);

}  // namespace majordomo::log_text
