// SecretValues: collecting a call's credentials by value and replacing them in text and whole values.
#include "secret_values.hpp"

#include "resolution.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>

namespace majordomo {
namespace {

bool is_alnum(char c) noexcept { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// How a secret appears inside a JSON string literal: body files and JSON output may be scrubbed
// after they were encoded.
std::string json_escaped(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\u00";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    } else {
      out += c;
    }
  }
  return out;
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "%40" -> "@"; a malformed escape is kept as written (the transport refuses such a URL anyway).
std::string percent_decoded(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int high = hex_value(text[i + 1]);
      const int low = hex_value(text[i + 2]);
      if (high >= 0 && low >= 0) {
        out += static_cast<char>(high * 16 + low);
        i += 2;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

// RFC 4648 base64 without white space; nothing when `text` is not base64.
std::string base64_decoded(std::string_view text) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (const char c : text) {
    int value = -1;
    if (c >= 'A' && c <= 'Z') value = c - 'A';
    else if (c >= 'a' && c <= 'z') value = c - 'a' + 26;
    else if (c >= '0' && c <= '9') value = c - '0' + 52;
    else if (c == '+' || c == '-') value = 62;
    else if (c == '/' || c == '_') value = 63;
    else if (c == '=') break;
    else return {};
    buffer = (buffer << 6) | static_cast<uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  return out;
}

// A short secret in free text counts only where a value starts: right after '=' or ':' (blanks
// allowed in between) or an opening quote; and where a value ends: not before a letter or digit.
bool stands_as_value(std::string_view text, std::size_t at, std::size_t end) noexcept {
  if (end < text.size() && is_alnum(text[end])) return false;
  if (at == 0) return end == text.size();  // the whole text is the secret
  std::size_t before = at;
  while (before > 0 && (text[before - 1] == ' ' || text[before - 1] == '\t')) --before;
  if (before == 0) return false;
  const char c = text[before - 1];
  if (c == '=' || c == ':') return true;
  return before == at && (c == '"' || c == '\'' || c == '`');
}

// True when [at, end) lies inside a "[REDACTED]" already written (a secret that is part of it).
bool inside_replacement(std::string_view text, std::size_t at, std::size_t end) noexcept {
  const std::size_t first = at >= kRedacted.size() ? at - kRedacted.size() + 1 : 0;
  for (std::size_t start = first; start <= at; ++start) {
    if (text.substr(start, kRedacted.size()) == kRedacted && end <= start + kRedacted.size()) return true;
  }
  return false;
}

// The bytes of a truncation mark ("…" or "...") that ends `text`.
std::size_t trailing_mark_bytes(std::string_view text) {
  return text.ends_with("\xe2\x80\xa6") || text.ends_with("...") ? 3 : 0;
}

// A text cut short (a plugin keeps ~200 bytes of a server's message) may end inside a secret: the
// longest tail, at the end or before a truncation mark, that begins some secret and starts at or
// after `floor`. Returns where that tail starts, or text.size() when none does.
std::size_t cut_secret_at_end(const std::vector<std::string>& secrets, std::string_view text, std::size_t floor) {
  std::string_view body = text;
  body.remove_suffix(trailing_mark_bytes(text));
  std::size_t best = 0;
  for (const auto& secret : secrets) {
    // Short secrets are not scrubbed in prose at all; neither are their beginnings.
    if (secret.size() < SecretValues::kAnywhereBytes || floor > body.size()) continue;
    for (std::size_t n = std::min(secret.size() - 1, body.size() - floor);
         n >= SecretValues::kTruncatedPrefixBytes && n > best; --n) {
      if (body.ends_with(std::string_view(secret).substr(0, n))) {
        best = n;
        break;
      }
    }
  }
  return best > 0 ? body.size() - best : text.size();
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t n = (static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16) |
                       (static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8) |
                       static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 2]));
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (const std::size_t rest = bytes.size() - i; rest > 0) {
    uint32_t n = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (rest == 2) n |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

void SecretValues::add_one(std::string value) {
  if (value.empty()) return;
  if (std::find(secrets_.begin(), secrets_.end(), value) != secrets_.end()) return;
  // Longest first: "Bearer sk-1" is replaced whole before "sk-1" alone is looked for.
  const auto at = std::find_if(secrets_.begin(), secrets_.end(),
                               [&](const std::string& known) { return known.size() < value.size(); });
  secrets_.insert(at, std::move(value));
}

void SecretValues::add(std::string_view secret) {
  if (secret.empty()) return;
  std::string escaped = json_escaped(secret);
  if (escaped != secret) add_one(std::move(escaped));
  add_one(std::string(secret));
}

void SecretValues::add_header(std::string_view name, std::string_view value, std::string_view auth_header) {
  if (!resolution::is_secret_header(name, auth_header)) return;
  add(value);
  const auto space = value.find(' ');
  if (space == std::string_view::npos || space == 0) return;
  std::string_view token = value.substr(space + 1);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  add(token);
  if (header_name_equals(value.substr(0, space), "basic")) {
    const std::string credentials = base64_decoded(token);
    if (credentials.empty()) return;
    add(credentials);
    if (const auto colon = credentials.find(':'); colon != std::string::npos) {
      add(std::string_view(credentials).substr(colon + 1));
    }
  }
}

void SecretValues::add_headers(const HeaderSet& headers, std::string_view auth_header) {
  for (const auto& header : headers) add_header(header.name, header.value, auth_header);
}

void SecretValues::add_url_userinfo(std::string_view url) {
  std::size_t start = url.find("://");
  start = start == std::string_view::npos ? 0 : start + 3;
  const std::size_t authority_end = std::min(url.find_first_of("/?#", start), url.size());
  const std::size_t at = url.substr(0, authority_end).rfind('@');
  if (at == std::string_view::npos || at < start) return;
  const std::string_view userinfo = url.substr(start, at - start);
  if (userinfo.empty()) return;
  const std::string credentials = percent_decoded(userinfo);
  if (const auto colon = userinfo.find(':'); colon != std::string_view::npos) {
    const std::string_view password = userinfo.substr(colon + 1);
    add(password);
    add(percent_decoded(password));
  } else {
    add(userinfo);  // a user name alone may be a token (http://TOKEN@proxy)
    add(credentials);
  }
  add(credentials);
  const std::string basic = base64_encode(credentials);
  add(basic);
  add("Basic " + basic);
}

void SecretValues::merge(const SecretValues& other) {
  for (const auto& secret : other.secrets_) add_one(secret);
}

std::size_t SecretValues::longest() const noexcept { return secrets_.empty() ? 0 : secrets_.front().size(); }

std::size_t SecretValues::scrub(std::string& text, std::size_t from, bool complete) const {
  if (secrets_.empty() || from > text.size()) return 0;
  // One pass, left to right: at each position the longest qualifying secret wins, the text between
  // matches is appended to a new string. Replacing in place per match was quadratic: an answer
  // echoing the key 100 000 times copied terabytes after the call had returned.
  // next[i]: the next occurrence of secrets_[i] not yet ruled out. A fixed buffer for the usual
  // handful of secrets, so that text without any match allocates nothing.
  constexpr std::size_t kInline = 32;
  std::size_t inline_next[kInline];
  std::vector<std::size_t> heap_next;
  std::size_t* next = inline_next;
  if (secrets_.size() > kInline) {
    heap_next.resize(secrets_.size());
    next = heap_next.data();
  }
  for (std::size_t i = 0; i < secrets_.size(); ++i) next[i] = text.find(secrets_[i], from);

  std::string out;
  bool replaced = false;
  std::size_t copied = 0;    // text[0, copied) is in `out`
  std::size_t last_end = 0;  // in `out`
  while (true) {
    std::size_t pick = secrets_.size();
    std::size_t at = std::string::npos;
    for (std::size_t i = 0; i < secrets_.size(); ++i) {
      if (next[i] < at) {  // strictly: at equal positions the longer (earlier) secret wins
        at = next[i];
        pick = i;
      }
    }
    if (pick == secrets_.size()) break;
    const std::string& secret = secrets_[pick];
    const std::size_t end = at + secret.size();
    const bool anywhere = secret.size() >= kAnywhereBytes;
    const bool part_of_mark = kRedacted.find(secret) != std::string_view::npos;
    if ((part_of_mark && inside_replacement(text, at, end)) || (!anywhere && !stands_as_value(text, at, end))) {
      next[pick] = text.find(secret, at + 1);
      continue;
    }
    if (!replaced) {
      out.reserve(text.size());
      replaced = true;
    }
    out.append(text, copied, at - copied);
    out += kRedacted;
    copied = end;
    last_end = out.size();
    // Occurrences overlapping the replaced bytes are gone.
    for (std::size_t i = 0; i < secrets_.size(); ++i) {
      if (next[i] != std::string::npos && next[i] < end) next[i] = text.find(secrets_[i], end);
    }
  }

  // A text cut short may end inside a secret (see cut_secret_at_end).
  const std::size_t cut_at = complete ? cut_secret_at_end(secrets_, text, std::max(from, copied)) : text.size();
  const std::size_t cut_end = cut_at < text.size() ? text.size() - trailing_mark_bytes(text) : 0;
  if (!replaced && cut_end == 0) return 0;
  if (!replaced) out.reserve(text.size());
  if (cut_end != 0) {
    out.append(text, copied, cut_at - copied);
    out += kRedacted;
    last_end = out.size();
    copied = cut_end;
  }
  out.append(text, copied, std::string::npos);
  text = std::move(out);
  return last_end;
}

std::string SecretValues::scrubbed(std::string_view text) const {
  std::string out(text);
  scrub(out);
  return out;
}

std::size_t SecretValues::prefix_tail(std::string_view text) const noexcept {
  std::size_t best = 0;
  for (const auto& secret : secrets_) {
    // Only tails that start with the secret's first byte need comparing.
    const std::size_t window = std::min(secret.size(), text.size());
    for (std::size_t start = text.size() - window; start + best < text.size(); ++start) {
      if (text[start] == secret.front() && std::string_view(secret).starts_with(text.substr(start))) {
        best = text.size() - start;
        break;
      }
    }
  }
  return best;
}

bool SecretValues::held_by(std::string_view value) const {
  for (const auto& secret : secrets_) {
    if (value == secret) return true;
    for (std::size_t at = value.find(secret); at != std::string_view::npos; at = value.find(secret, at + 1)) {
      if (secret.size() >= kAnywhereBytes) return true;
      const std::size_t end = at + secret.size();
      if ((at == 0 || !is_alnum(value[at - 1])) && (end == value.size() || !is_alnum(value[end]))) return true;
    }
  }
  return false;
}

std::string SecretValues::scrubbed_value(std::string_view value) const {
  return held_by(value) ? std::string(kRedacted) : std::string(value);
}

}  // namespace majordomo
