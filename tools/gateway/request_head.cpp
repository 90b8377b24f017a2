// parse_request_head: RFC 9112's request line and fields, bounded, strict wherever a lenient reading could split one request into two.
#include "request_head.hpp"

#include "ascii.hpp"
#include "http_token.hpp"

#include <majordomo/headers.hpp>

#include <fmt/format.h>

#include <cstdint>

namespace majordomo::gateway {
namespace {

bool is_token(std::string_view text) noexcept {
  if (text.empty()) return false;
  for (const char c : text) {
    if (!is_http_token_char(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Field values: visible characters, obs-text, space and tab; no other control character.
bool is_field_text(std::string_view text) noexcept {
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && u != '\t') || u == 0x7f) return false;
  }
  return true;
}

HeadParse refuse(int status, std::string problem) {
  HeadParse result;
  result.state = HeadState::refused;
  result.status = status;
  result.problem = std::move(problem);
  return result;
}

// Calls `each` with every comma-separated element of a list field, trimmed; empty ones skipped.
template <class Each>
void for_each_element(std::string_view list, Each&& each) {
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    const std::string_view element = sdk::ascii::trim_blanks(list.substr(0, comma));
    if (!element.empty()) each(element);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

HeadParse parse_request_line(std::string_view line, RequestHead& head, const HeadLimits& limits) {
  const std::size_t first = line.find(' ');
  const std::size_t last = line.rfind(' ');
  if (first == std::string_view::npos || first == last) {
    return refuse(400, "the request line is not \"METHOD TARGET HTTP/1.1\"");
  }
  head.method = line.substr(0, first);
  head.target = line.substr(first + 1, last - first - 1);
  const std::string_view version = line.substr(last + 1);
  if (!is_token(head.method) || head.method.size() > 32) return refuse(400, "the request method is not an HTTP token");
  if (head.target.size() > limits.max_target_bytes) {
    return refuse(414, fmt::format("the request target is longer than the gateway's {} bytes", limits.max_target_bytes));
  }
  if (head.target.empty()) return refuse(400, "the request line has no target");
  for (const char c : head.target) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return refuse(400, "the request target holds a space or control character");
  }
  if (version == "HTTP/1.1") {
    head.minor_version = 1;
  } else if (version == "HTTP/1.0") {
    head.minor_version = 0;
  } else if (version.size() == 8 && version.substr(0, 5) == "HTTP/" && version[5] >= '0' && version[5] <= '9' &&
             version[6] == '.' && version[7] >= '0' && version[7] <= '9') {
    return refuse(505, "the gateway speaks HTTP/1.0 and HTTP/1.1 only");
  } else {
    return refuse(400, "the request line does not end in an HTTP version (HTTP/1.1)");
  }
  return {};
}

// What the fields say about the body, the connection and expectations (RFC 9112 sections 6, 9).
HeadParse read_semantics(RequestHead& head) {
  bool has_length = false;
  bool has_encoding = false;
  bool chunked = false;
  bool other_coding = false;
  int hosts = 0;
  head.keep_alive = head.minor_version == 1;
  for (const RequestHead::Field& field : head.fields) {
    if (header_name_equals(field.name, "content-length")) {
      const std::string_view value = field.value;
      if (value.empty() || value.size() > 18) return refuse(400, "the request's Content-Length is not a decimal number of bytes");
      uint64_t length = 0;
      for (const char c : value) {
        if (c < '0' || c > '9') return refuse(400, "the request's Content-Length is not a decimal number of bytes");
        length = length * 10 + static_cast<uint64_t>(c - '0');
      }
      if (has_length && length != head.content_length) {
        return refuse(400, "the request carries Content-Length fields that disagree");
      }
      has_length = true;
      head.content_length = length;
    } else if (header_name_equals(field.name, "transfer-encoding")) {
      has_encoding = true;
      bool duplicate = false;
      for_each_element(field.value, [&](std::string_view coding) {
        if (header_name_equals(coding, "chunked")) {
          duplicate = duplicate || chunked;
          chunked = true;
        } else {
          other_coding = true;
        }
      });
      if (duplicate) return refuse(400, "the request applies chunked transfer coding twice");
    } else if (header_name_equals(field.name, "connection")) {
      for_each_element(field.value, [&](std::string_view option) {
        if (header_name_equals(option, "close")) head.keep_alive = false;
        else if (header_name_equals(option, "keep-alive") && head.minor_version == 0) head.keep_alive = true;
      });
    } else if (header_name_equals(field.name, "expect")) {
      // HTTP/1.0 requests' expectations are ignored (RFC 9110 10.1.1).
      if (head.minor_version == 1) {
        if (!header_name_equals(field.value, "100-continue")) {
          return refuse(417, "the gateway meets no expectation but \"Expect: 100-continue\"");
        }
        head.expect_continue = true;
      }
    } else if (header_name_equals(field.name, "host")) {
      ++hosts;
    }
  }
  if (head.minor_version == 1 && hosts != 1) {
    return refuse(400, hosts == 0 ? "an HTTP/1.1 request must carry a Host field" : "the request carries more than one Host field");
  }
  if (has_encoding) {
    if (head.minor_version == 0) return refuse(400, "an HTTP/1.0 request cannot use Transfer-Encoding");
    if (has_length) return refuse(400, "the request carries both Content-Length and Transfer-Encoding");
    if (other_coding || !chunked) {
      return refuse(501, "the gateway takes request bodies with Content-Length or Transfer-Encoding: chunked only");
    }
    head.body = RequestHead::Body::chunked;
  } else if (has_length && head.content_length > 0) {
    head.body = RequestHead::Body::length;
  }
  HeadParse complete;
  complete.state = HeadState::complete;
  return complete;
}

}  // namespace

HeadParse parse_request_head(std::string_view bytes, RequestHead& head, const HeadLimits& limits) {
  head.method = {};
  head.target = {};
  head.minor_version = 1;
  head.fields.clear();
  head.body = RequestHead::Body::none;
  head.content_length = 0;
  head.keep_alive = true;
  head.expect_continue = false;

  std::size_t pos = 0;
  // Empty lines before a request line are skipped (RFC 9112 2.2), a few only.
  for (int skipped = 0; skipped < 2; ++skipped) {
    if (bytes.substr(pos, 2) == "\r\n") pos += 2;
    else if (bytes.substr(pos, 1) == "\n") pos += 1;
    else break;
  }
  bool request_line = true;
  for (;;) {
    const std::size_t lf = bytes.find('\n', pos);
    const std::size_t line_end = lf == std::string_view::npos ? bytes.size() : lf;
    if (line_end > limits.max_head_bytes) {
      if (request_line) {
        return refuse(414, fmt::format("the request line is longer than the gateway's {} bytes", limits.max_head_bytes));
      }
      return refuse(431, fmt::format("the request's header fields are over the gateway's {} bytes", limits.max_head_bytes));
    }
    if (lf == std::string_view::npos) return {};  // incomplete
    std::string_view line = bytes.substr(pos, lf - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find('\r') != std::string_view::npos) return refuse(400, "the request head holds a bare CR");
    pos = lf + 1;
    if (request_line) {
      HeadParse parsed = parse_request_line(line, head, limits);
      if (parsed.state == HeadState::refused) return parsed;
      request_line = false;
      continue;
    }
    if (line.empty()) break;
    if (line.front() == ' ' || line.front() == '\t') {
      return refuse(400, "a header field is folded over lines (obs-fold), which the gateway does not accept");
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return refuse(400, "a header line has no colon");
    const std::string_view name = line.substr(0, colon);
    if (name.size() > limits.max_name_bytes) {
      return refuse(431, fmt::format("a header field's name is longer than the gateway's {} bytes", limits.max_name_bytes));
    }
    if (!is_token(name)) return refuse(400, "a header field's name is not an HTTP token (or has space before its colon)");
    const std::string_view value = sdk::ascii::trim_blanks(line.substr(colon + 1));
    if (value.size() > limits.max_value_bytes) {
      return refuse(431, fmt::format("the {:.64} field is longer than the gateway's {} bytes", name, limits.max_value_bytes));
    }
    if (!is_field_text(value)) return refuse(400, fmt::format("the {:.64} field holds a control character", name));
    if (head.fields.size() == limits.max_fields) {
      return refuse(431, fmt::format("the request has more than the gateway's {} header fields", limits.max_fields));
    }
    head.fields.push_back({name, value});
  }
  HeadParse result = read_semantics(head);
  result.consumed = pos;
  return result;
}

void rebase_head(RequestHead& head, std::string_view parsed_from, std::string& storage) {
  storage.assign(parsed_from);
  const auto begin = reinterpret_cast<std::uintptr_t>(parsed_from.data());
  const auto moved = [&](std::string_view& view) {
    const auto at = reinterpret_cast<std::uintptr_t>(view.data());
    if (at < begin || at + view.size() > begin + parsed_from.size()) return;
    view = std::string_view(storage.data() + (at - begin), view.size());
  };
  moved(head.method);
  moved(head.target);
  for (RequestHead::Field& field : head.fields) {
    moved(field.name);
    moved(field.value);
  }
}

}  // namespace majordomo::gateway
