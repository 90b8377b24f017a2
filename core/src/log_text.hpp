// Text hygiene for the call log: the databases and the JSON writer take valid UTF-8 only.
#pragma once

#include <string>
#include <string_view>

namespace majordomo::log_text {

// `text` unchanged when it is valid UTF-8 without NUL; else a copy with each invalid byte and each
// NUL replaced by U+FFFD.
std::string valid_utf8(std::string_view text);

}  // namespace majordomo::log_text
