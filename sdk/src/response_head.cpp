// The HTTP/1.1 response head: read into the connection's buffer (first_byte bounding all of it), parsed in place.
#include "http_wire.hpp"
#include "pooled_connection.hpp"

#include "ascii.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cstring>

namespace majordomo::sdk {
inline namespace v1 {
namespace http {

using ascii::iequals;
using ascii::trim_blanks;

namespace {

// True when the comma-separated list `value` holds `token` (case-insensitively).
bool has_token(std::string_view value, std::string_view token) noexcept {
  while (!value.empty()) {
    const std::size_t comma = value.find(',');
    if (iequals(trim_blanks(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

// RFC 9110 tchar: the characters a header name may contain.
constexpr std::array<bool, 256> kTokenChar = [] {
  std::array<bool, 256> table{};
  for (int c = '0'; c <= '9'; ++c) table[static_cast<std::size_t>(c)] = true;
  for (int c = 'a'; c <= 'z'; ++c) table[static_cast<std::size_t>(c)] = true;
  for (int c = 'A'; c <= 'Z'; ++c) table[static_cast<std::size_t>(c)] = true;
  for (const char c : std::string_view("!#$%&'*+-.^_`|~")) table[static_cast<unsigned char>(c)] = true;
  return table;
}();

}  // namespace

void protocol_error(const Target& target, std::string_view what) {
  throw ProviderError(MJ_ERR_PROTOCOL,
                      fmt::format("malformed HTTP response from {}: {}; the server (or a proxy between) breaks "
                                  "HTTP/1.1, so the request is not retried",
                                  target.origin, what));
}

HeadFacts parse_head(std::string_view head, std::vector<ResponseHeader>& headers, const Target& target) {
  headers.clear();
  HeadFacts facts;
  const auto next_line = [&head]() {
    const std::size_t lf = head.find('\n');
    std::string_view line = head.substr(0, lf);
    head.remove_prefix(lf == std::string_view::npos ? head.size() : lf + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
  };
  const std::string_view status_line = next_line();
  // "HTTP/1.x NNN[ reason]"
  if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." ||
      (status_line[7] != '0' && status_line[7] != '1') || status_line[8] != ' ' ||
      (status_line.size() > 12 && status_line[12] != ' '))
    protocol_error(target, "invalid status line");
  for (std::size_t i = 9; i < 12; ++i) {
    if (status_line[i] < '0' || status_line[i] > '9') protocol_error(target, "invalid status code");
    facts.status = facts.status * 10 + (status_line[i] - '0');
  }
  const bool http10 = status_line[7] == '0';
  facts.keep_alive = !http10;

  bool has_length = false, chunked = false, has_encoding = false;
  while (!head.empty()) {
    const std::string_view line = next_line();
    if (line.empty()) continue;  // only possible for the last line
    if (line.front() == ' ' || line.front() == '\t')
      protocol_error(target, "folded header line (obsolete line folding is not accepted)");
    // The name must be an RFC 9110 token directly followed by the colon: one table look-up per
    // character finds the colon and validates the name at once.
    std::size_t colon = 0;
    while (colon < line.size() && kTokenChar[static_cast<unsigned char>(line[colon])]) ++colon;
    if (colon == line.size()) protocol_error(target, "header line without a colon");
    if (colon == 0 || line[colon] != ':') protocol_error(target, "invalid character in a header name");
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim_blanks(line.substr(colon + 1));
    if (headers.size() == kMaxHeaderFields) protocol_error(target, "too many header fields");
    headers.push_back({name, value});
    // The three names that drive framing and pooling; a first-letter test skips the rest cheaply.
    switch (ascii::fold(name.front())) {
      case 'c':
        if (iequals(name, "content-length")) {
          std::uint64_t length = 0;
          const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), length);
          if (value.empty() || error != std::errc() || end != value.data() + value.size())
            protocol_error(target, "invalid Content-Length");
          if (has_length && length != facts.length) protocol_error(target, "conflicting Content-Length values");
          facts.length = length;
          has_length = true;
        } else if (iequals(name, "connection")) {
          if (has_token(value, "close")) facts.keep_alive = false;
          else if (http10 && has_token(value, "keep-alive")) facts.keep_alive = true;
        }
        break;
      case 't':
        if (iequals(name, "transfer-encoding")) {
          has_encoding = true;
          // Chunked only when it is the last coding; any other coding ends at close (RFC 9112 6.3).
          const std::size_t comma = value.rfind(',');
          chunked = iequals(trim_blanks(comma == std::string_view::npos ? value : value.substr(comma + 1)), "chunked");
        }
        break;
      default:
        break;
    }
  }
  if (facts.status < 200 || facts.status == 204 || facts.status == 304) {
    facts.framing = Framing::none;
  } else if (has_encoding) {
    facts.framing = chunked ? Framing::chunked : Framing::until_close;
  } else if (has_length) {
    facts.framing = Framing::length;
  } else {
    facts.framing = Framing::until_close;
  }
  if (facts.framing == Framing::until_close || facts.status == 101) facts.keep_alive = false;
  return facts;
}

HeadFacts receive_head(PooledConnection& connection, const Target& target, const Budget& budget,
                       milliseconds first_byte, Wait& wait) {
  connection.reset_buffer();
  std::size_t scan = 0;  // start of the first line not yet looked at
  bool started = false;
  Clock::time_point head_due{};
  for (;;) {
    const char* const base = connection.data();
    std::size_t head_end = 0;
    while (scan < connection.end()) {
      const void* hit = std::memchr(base + scan, '\n', connection.end() - scan);
      if (hit == nullptr) break;
      const std::size_t lf = static_cast<std::size_t>(static_cast<const char*>(hit) - base);
      const std::size_t line_begin = scan;
      const std::size_t line_size = lf - line_begin;
      scan = lf + 1;
      // The blank line that ends the head (the first line is the status line, never the end).
      if (line_begin > connection.begin() && (line_size == 0 || (line_size == 1 && base[line_begin] == '\r'))) {
        head_end = scan;
        break;
      }
    }
    // A complete head may use all of kMaxHeadSize; an incomplete one that long is too long.
    const std::size_t head_size = (head_end == 0 ? connection.end() + 1 : head_end) - connection.begin();
    if (head_size > kMaxHeadSize) {
      protocol_error(target, fmt::format("response head larger than {} bytes (a fixed limit: real heads are "
                                         "under 2 KiB)",
                                         kMaxHeadSize));
    }
    if (head_end == 0) {
      if (connection.end() == kReadBufferSize) {
        const std::size_t shift = connection.begin();
        connection.compact();
        scan -= shift;
      }
      // first_byte runs once, from the first wait (the request was just written) to the end of
      // the head: a head trickled a byte at a time must not restart it with every read.
      if (!started) {
        wait = budget.wait_for(first_byte);
        head_due = wait.start + first_byte;
        started = true;
      } else {
        wait = budget.wait_until(head_due, first_byte, Phase::head);
      }
      const bool nothing_yet = connection.buffered() == 0;
      if (connection.fill(wait, kHeadReadSize) == 0) {
        if (nothing_yet) {
          throw ProviderError(MJ_ERR_CONNECTION,
                              fmt::format("{} closed the connection without a response", target.origin));
        }
        throw ProviderError(MJ_ERR_CONNECTION,
                            fmt::format("{} closed the connection in the middle of the response head",
                                        target.origin));
      }
      continue;
    }
    const std::string_view head(base + connection.begin(), head_end - connection.begin());
    HeadFacts facts = parse_head(head, connection.headers, target);
    connection.consume(head.size());
    if (facts.status >= 100 && facts.status < 200 && facts.status != 101) {
      if (connection.buffered() == 0) connection.reset_buffer();  // the next head starts at 0
      scan = connection.begin();
      continue;
    }
    connection.pin_head(head_end);
    return facts;
  }
}

}  // namespace http
}  // namespace v1
}  // namespace majordomo::sdk
