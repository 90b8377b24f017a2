// JsonWriter: RFC 8259 string escaping and number formatting for request bodies.
#include <majordomo/sdk/json_writer.hpp>

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cmath>
#include <iterator>
#include <stdexcept>

namespace majordomo::sdk {
inline namespace v1 {

namespace {

// For each byte: 0 = copy as is, otherwise the character after the backslash ('u' = \u00XX).
constexpr std::array<char, 256> make_escape_table() {
  std::array<char, 256> table{};
  for (int c = 0; c < 0x20; ++c) table[static_cast<std::size_t>(c)] = 'u';
  table['\b'] = 'b';
  table['\f'] = 'f';
  table['\n'] = 'n';
  table['\r'] = 'r';
  table['\t'] = 't';
  table['"'] = '"';
  table['\\'] = '\\';
  return table;
}

constexpr std::array<char, 256> kEscape = make_escape_table();

}  // namespace

void append_json_escaped(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  const char* run = text.data();  // start of the bytes not yet copied
  const char* const end = text.data() + text.size();
  for (const char* p = run; p != end; ++p) {
    const char kind = kEscape[static_cast<unsigned char>(*p)];
    if (kind == 0) continue;
    out.append(run, static_cast<std::size_t>(p - run));
    run = p + 1;
    if (kind == 'u') {
      const auto byte = static_cast<unsigned char>(*p);
      const char escaped[] = {'\\', 'u', '0', '0', kHex[byte >> 4], kHex[byte & 0xF]};
      out.append(escaped, sizeof(escaped));
    } else {
      const char escaped[] = {'\\', kind};
      out.append(escaped, sizeof(escaped));
    }
  }
  out.append(run, static_cast<std::size_t>(end - run));
}

JsonWriter& JsonWriter::string(std::string_view text) {
  separate();
  out_.push_back('"');
  append_json_escaped(out_, text);
  out_.push_back('"');
  return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
  string(name);
  out_.push_back(':');
  needs_comma_ = false;  // the value that follows belongs to this key
  return *this;
}

JsonWriter& JsonWriter::number(int64_t value) {
  separate();
  char digits[24];  // 20 digits and a sign at most
  const auto end = std::to_chars(digits, digits + sizeof(digits), value).ptr;
  out_.append(digits, end);
  return *this;
}

JsonWriter& JsonWriter::number(double value) {
  if (!std::isfinite(value)) throw std::invalid_argument("JSON has no representation for NaN or infinity");
  separate();
  // fmt's default float format is the shortest text that parses back to the same double.
  fmt::format_to(std::back_inserter(out_), "{}", value);
  return *this;
}

}  // namespace v1
}  // namespace majordomo::sdk
