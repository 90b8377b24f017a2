// SecretValues: the credentials the host knows for a call, and the one rule that scrubs them by value.
#pragma once

#include <majordomo/headers.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace majordomo {

// What replaces a secret wherever it is found.
inline constexpr std::string_view kRedacted = "[REDACTED]";

// A set of secret values (API keys, header values, passwords) and their scrubbing (docs/reliability.md,
// "Secrets"). Secrets of kAnywhereBytes bytes or more are replaced wherever they occur. Shorter ones
// ("a", "1234") cannot be told from ordinary words, so they are replaced only where a credential
// stands as a value: a whole value equal to them (a header value, a request id), a token of such a
// value, and in free text only where a value starts (after '=' or ':', or inside quotes) and ends
// (at a quote, white space, punctuation or the end). Copyable; empty by default.
class SecretValues {
 public:
  static constexpr std::size_t kAnywhereBytes = 6;
  // A text that ends (or ends before "…"/"...") with this many bytes or more of the beginning of a
  // secret of kAnywhereBytes or more has that tail redacted: plugins cut server text short.
  static constexpr std::size_t kTruncatedPrefixBytes = 4;

  // One credential value; empty values are ignored. Its JSON-escaped form is added too, so body
  // files and JSON output written before scrubbing are covered.
  void add(std::string_view secret);
  // The values of a header that carries a credential (resolution::is_secret_header, with the
  // provider's auth header name): the whole value, the token after a scheme ("Bearer <token>"),
  // and for "Basic <base64>" the decoded user:password and its password.
  void add_header(std::string_view name, std::string_view value, std::string_view auth_header = {});
  void add_headers(const HeaderSet& headers, std::string_view auth_header = {});
  // The user info of a URL ("http://user:pass@host"): the password as written and percent-decoded,
  // user:password, and the "Basic <base64(user:password)>" form a proxy receives.
  void add_url_userinfo(std::string_view url);
  void merge(const SecretValues& other);

  bool empty() const noexcept { return secrets_.empty(); }
  // The longest secret, in bytes: how much text a stream must hold back before it can be scrubbed.
  std::size_t longest() const noexcept;

  // Free text (messages, bodies, answers): every secret replaced by [REDACTED] under the rule above.
  // Matches start at `from` or later; text before it is context only. When `complete`, the text is
  // all there is, so a tail that begins a secret (kTruncatedPrefixBytes) is redacted as cut short;
  // a stream passes false for a piece that more text may follow. One pass; no allocation when
  // nothing is replaced. Returns the end offset of the last replacement (0 when none).
  std::size_t scrub(std::string& text, std::size_t from = 0, bool complete = true) const;
  [[nodiscard]] std::string scrubbed(std::string_view text) const;
  // The length of the longest tail of `text` that is the beginning of some secret (or a whole one):
  // what a stream must hold back before it can print the rest. Usually 0.
  [[nodiscard]] std::size_t prefix_tail(std::string_view text) const noexcept;
  // A whole value (header value, request id, error type): true when it is a secret, contains one of
  // kAnywhereBytes or more, or has a shorter one as a token (split at characters other than letters
  // and digits).
  [[nodiscard]] bool held_by(std::string_view value) const;
  // The value, or [REDACTED] when held_by(value).
  [[nodiscard]] std::string scrubbed_value(std::string_view value) const;

 private:
  void add_one(std::string value);
  std::vector<std::string> secrets_;  // longest first, no duplicates
};

// base64 (RFC 4648, padded) of `bytes`: the form Basic credentials travel in.
std::string base64_encode(std::string_view bytes);

}  // namespace majordomo
