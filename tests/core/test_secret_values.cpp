// SecretValues and the text hygiene of what leaves the process: scrubbing by value, short secrets, escapes.
#include "log_text.hpp"
#include "resolution.hpp"
#include "secret_values.hpp"

#include <catch2/catch.hpp>

#include <string>

using majordomo::HeaderSet;
using majordomo::SecretValues;
namespace log_text = majordomo::log_text;

TEST_CASE("a secret of six bytes or more is replaced wherever it occurs", "[secrets]") {
  SecretValues secrets;
  secrets.add("sk-live-123456");
  CHECK(secrets.scrubbed("invalid key sk-live-123456, and againsk-live-123456.") ==
        "invalid key [REDACTED], and again[REDACTED].");
  CHECK(secrets.scrubbed("nothing here") == "nothing here");
}

TEST_CASE("a one-character password is replaced where it stands as a value and nowhere else", "[secrets]") {
  SecretValues secrets;
  secrets.add("a");
  CHECK(secrets.scrubbed("a request failed and was retried") == "a request failed and was retried");
  CHECK(secrets.scrubbed("password=a&user=x") == "password=[REDACTED]&user=x");
  CHECK(secrets.scrubbed("Incorrect API key provided: a. See the docs") ==
        "Incorrect API key provided: [REDACTED]. See the docs");
  CHECK(secrets.scrubbed(R"({"key":"a"})") == R"({"key":"[REDACTED]"})");
  CHECK(secrets.scrubbed("http://user:a@proxy:3128") == "http://user:[REDACTED]@proxy:3128");
  CHECK(secrets.scrubbed("a") == "[REDACTED]");
  CHECK(secrets.scrubbed("key: ab") == "key: ab");  // "a" is only the start of another value
}

TEST_CASE("a whole value holds a secret when it is one, contains a long one, or has a short one as a token",
          "[secrets]") {
  SecretValues secrets;
  secrets.add("k1");
  secrets.add("sk-proj-abcdef");
  CHECK(secrets.held_by("k1"));
  CHECK(secrets.held_by("req-k1-7"));
  CHECK_FALSE(secrets.held_by("req-k17"));
  CHECK(secrets.held_by("prefix-sk-proj-abcdef-suffix"));
  CHECK(secrets.scrubbed_value("req_0123") == "req_0123");
  CHECK(secrets.scrubbed_value("Bearer k1") == "[REDACTED]");
}

TEST_CASE("a Basic credential adds its decoded user:password and password", "[secrets]") {
  SecretValues secrets;
  secrets.add_header("Proxy-Authorization", "Basic " + majordomo::base64_encode("alice:p"));
  CHECK(secrets.scrubbed("proxy said: p") == "proxy said: [REDACTED]");
  CHECK(secrets.scrubbed("echo alice:p") == "echo [REDACTED]");
  CHECK(secrets.scrubbed("got Basic YWxpY2U6cA==") == "got [REDACTED]");
}

TEST_CASE("a proxy URL's user info gives the password as written and decoded, and the Basic form", "[secrets]") {
  SecretValues secrets;
  secrets.add_url_userinfo("http://bob:p%40s@proxy.internal:3128");
  const std::string basic = majordomo::base64_encode("bob:p@s");
  CHECK(secrets.scrubbed("Proxy-Authorization: Basic " + basic) == "Proxy-Authorization: [REDACTED]");
  CHECK(secrets.scrubbed("the value " + basic + " was refused") == "the value [REDACTED] was refused");
  CHECK(secrets.scrubbed("password='p@s'") == "password='[REDACTED]'");
  CHECK(secrets.scrubbed("password=p%40s") == "password=[REDACTED]");
  CHECK(secrets.scrubbed("user bob") == "user bob");
}

TEST_CASE("base64 encodes as RFC 4648 with padding", "[secrets]") {
  CHECK(majordomo::base64_encode("") == "");
  CHECK(majordomo::base64_encode("f") == "Zg==");
  CHECK(majordomo::base64_encode("fo") == "Zm8=");
  CHECK(majordomo::base64_encode("foo") == "Zm9v");
  CHECK(majordomo::base64_encode("user:password") == "dXNlcjpwYXNzd29yZA==");
}

TEST_CASE("a secret is also found in its JSON-escaped form", "[secrets]") {
  SecretValues secrets;
  secrets.add(R"(pa"ss\word)");
  CHECK(secrets.scrubbed(R"({"echo":"pa\"ss\\word"})") == R"({"echo":"[REDACTED]"})");
}

TEST_CASE("longer secrets are replaced before the shorter ones inside them", "[secrets]") {
  SecretValues secrets;
  secrets.add_header("Authorization", "Bearer tok123");
  CHECK(secrets.longest() == std::string("Bearer tok123").size());
  CHECK(secrets.scrubbed("sent Bearer tok123 then tok123") == "sent [REDACTED] then [REDACTED]");
}

TEST_CASE("a secret that is part of the replacement mark does not loop or double", "[secrets]") {
  SecretValues secrets;
  secrets.add("REDACTED");
  CHECK(secrets.scrubbed("x REDACTED y") == "x [REDACTED] y");
}

TEST_CASE("scrub reports where its last replacement ended and starts at the given offset", "[secrets]") {
  SecretValues secrets;
  secrets.add("secret-value");
  std::string text = "secret-value and secret-value tail";
  CHECK(secrets.scrub(text, 1) == std::string("secret-value and [REDACTED]").size());
  CHECK(text == "secret-value and [REDACTED] tail");
}

TEST_CASE("dry-run headers are redacted by value as well as by name", "[secrets][resolution]") {
  HeaderSet headers;
  headers.set("Authorization", "Bearer sk-abcdef-123");
  headers.set("X-Session", "sk-abcdef-123");
  headers.set("X-Wrapped", "session=sk-abcdef-123;x=1");
  headers.set("X-Plain", "hello");
  const HeaderSet shown = majordomo::resolution::redacted_headers(headers, "Authorization");
  CHECK(*shown.find("Authorization") == "Bearer [REDACTED]");
  CHECK(*shown.find("X-Session") == "[REDACTED]");
  CHECK(*shown.find("X-Wrapped") == "[REDACTED]");
  CHECK(*shown.find("X-Plain") == "hello");
  SecretValues proxy;
  proxy.add_url_userinfo("http://u:q@proxy:1");
  headers.set("X-Proxy-Copy", "q");
  CHECK(*majordomo::resolution::redacted_headers(headers, "Authorization", &proxy).find("X-Proxy-Copy") ==
        "[REDACTED]");
}

TEST_CASE("control characters become visible escapes, newline and tab as asked", "[safe-output]") {
  CHECK(log_text::escape_controls("\x1b]0;pwned\x07\x1b[2J", true) == "\\u001b]0;pwned\\u0007\\u001b[2J");
  CHECK(log_text::escape_controls("a\nb\tc\r", true) == "a\nb\tc\\u000d");
  CHECK(log_text::escape_controls("a\nb", false) == "a\\u000ab");
  CHECK(log_text::escape_controls("\x7f", true) == "\\u007f");
  CHECK(log_text::escape_controls("csi \xc2\x9b" "2J", true) == "csi \\u009b2J");
  CHECK(log_text::escape_controls("bidi \xe2\x80\xae x \xe2\x81\xa6", true) == "bidi \\u202e x \\u2066");
  CHECK(log_text::escape_controls("caf\xc3\xa9 \xe2\x80\x94 ok", true) == "caf\xc3\xa9 \xe2\x80\x94 ok");
}

TEST_CASE("invalid UTF-8 becomes U+FFFD and valid text is kept", "[safe-output]") {
  CHECK(log_text::valid_utf8("ok \xc3\xa9") == "ok \xc3\xa9");
  CHECK(log_text::valid_utf8("bad \xff\xc3") == "bad \xef\xbf\xbd\xef\xbf\xbd");
}

TEST_CASE("scrubbing many occurrences in a large text is one pass", "[secrets]") {
  // Replacing in place per match was quadratic: this text took minutes. ctest's timeout is the bound.
  SecretValues secrets;
  const std::string key = "sk-many-occurrences-0123";
  secrets.add(key);
  secrets.add("p");  // a short one too: it is looked for in value positions on every match
  const std::string unit = "x=" + key + " ";  // 27 bytes
  std::string text;
  text.reserve(8u << 20);
  while (text.size() + unit.size() <= (8u << 20)) text += unit;
  const std::size_t count = text.size() / unit.size();
  REQUIRE(count > 200000);
  secrets.scrub(text);
  CHECK(text.size() == count * (std::string("x=[REDACTED] ").size()));
  CHECK(text.find("sk-") == std::string::npos);
  CHECK(text.substr(0, 26) == "x=[REDACTED] x=[REDACTED] ");
}

TEST_CASE("a text cut inside a secret has the secret's beginning redacted", "[secrets]") {
  SecretValues secrets;
  secrets.add_header("Authorization", "Bearer sk-cut-secret-abcdef");
  CHECK(secrets.scrubbed("upstream said: Bearer sk-cut-se") == "upstream said: [REDACTED]");
  CHECK(secrets.scrubbed("upstream said: token sk-cut-se\xe2\x80\xa6") == "upstream said: token [REDACTED]\xe2\x80\xa6");
  CHECK(secrets.scrubbed("upstream said: sk-c...") == "upstream said: [REDACTED]...");
  // Fewer than four bytes of a secret, or a beginning followed by more text, are ordinary text.
  CHECK(secrets.scrubbed("upstream said: sk-") == "upstream said: sk-");
  CHECK(secrets.scrubbed("sk-cut is a prefix but not at the end") == "sk-cut is a prefix but not at the end");
  // Whole secrets and a cut one in the same text.
  CHECK(secrets.scrubbed("key sk-cut-secret-abcdef, again sk-cut-sec") == "key [REDACTED], again [REDACTED]");
  // A short secret's beginning is not redacted: short ones count only where they stand as values.
  SecretValues short_one;
  short_one.add("abcde");
  CHECK(short_one.scrubbed("text ending in abcd") == "text ending in abcd");
  // A stream's piece (more may follow) is not cut.
  std::string piece = "so far: sk-cut-se";
  CHECK(secrets.scrub(piece, 0, false) == 0);
  CHECK(piece == "so far: sk-cut-se");
}

TEST_CASE("the tail a stream must hold back is only what may begin a secret", "[secrets]") {
  SecretValues secrets;
  CHECK(secrets.prefix_tail("anything") == 0);
  secrets.add(std::string(2048, 'T') + "-bearer");
  secrets.add("sk-held-back-01");
  CHECK(secrets.prefix_tail("ordinary text, printed at once") == 0);
  CHECK(secrets.prefix_tail("the key is sk-he") == 5);
  CHECK(secrets.prefix_tail("the key is s") == 1);
  CHECK(secrets.prefix_tail("the key is sk-held-back-01") == 15);  // may still be followed by more
  CHECK(secrets.prefix_tail("TTTT") == 4);
  CHECK(secrets.prefix_tail("") == 0);
}
