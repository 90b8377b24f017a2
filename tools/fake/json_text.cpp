// JSON string escaping with UTF-8 validation, and the one-line form of a recorded request.
#include "json_text.hpp"

#include <fmt/format.h>

#include <cstdint>

namespace majordomo::fake {
namespace {

// Length of the valid UTF-8 sequence starting at text[i], or 0 when it is not one (overlongs,
// surrogates and code points above U+10FFFF count as invalid).
size_t valid_utf8_length(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  size_t length = 0;
  uint32_t code_point = 0;
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) { length = 2; code_point = lead & 0x1F; }
  else if ((lead & 0xF0) == 0xE0) { length = 3; code_point = lead & 0x0F; }
  else if ((lead & 0xF8) == 0xF0) { length = 4; code_point = lead & 0x07; }
  else return 0;
  if (i + length > text.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    code_point = (code_point << 6) | (byte(i + k) & 0x3F);
  }
  static constexpr uint32_t smallest_for_length[] = {0, 0, 0x80, 0x800, 0x10000};
  if (code_point < smallest_for_length[length]) return 0;
  if (code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF)) return 0;
  return length;
}

}  // namespace

std::string json_quote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('"');
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const size_t length = valid_utf8_length(text, i);
      if (length == 0) {
        out += "\\ufffd";
        ++i;
      } else {
        out.append(text.substr(i, length));
        i += length;
      }
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20 || c == 0x7F) out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        else out.push_back(static_cast<char>(c));
    }
    ++i;
  }
  out.push_back('"');
  return out;
}

std::string recorded_request_json(const RecordedRequest& request) {
  std::string out = fmt::format(R"({{"seq":{},"method":{},"uri":{},"protocol":{},"headers":[)", request.seq,
                                json_quote(request.method), json_quote(request.uri), json_quote(request.protocol));
  for (size_t i = 0; i < request.headers.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += fmt::format("[{},{}]", json_quote(request.headers[i].name), json_quote(request.headers[i].value));
  }
  out += fmt::format(R"(],"body":{}}})", json_quote(request.body));
  return out;
}

}  // namespace majordomo::fake
