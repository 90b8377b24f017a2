// RequestHead: the gateway's bounded parser of an HTTP/1.x request line and header fields, with the body framing they declare.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace majordomo::gateway {

// Bounds on what a client may send before its body. A head over one of them is refused with the
// status RFC 9110 gives it (414, 431), never truncated.
struct HeadLimits {
  std::size_t max_head_bytes = 64 * 1024;  // request line, fields and the blank line together
  std::size_t max_fields = 100;
  std::size_t max_target_bytes = 16 * 1024;
  std::size_t max_name_bytes = 256;
  std::size_t max_value_bytes = 16 * 1024;
};

// A parsed head. The views point into the bytes given to parse_request_head and live as long as
// they do; `fields` keeps its capacity across requests on one connection.
struct RequestHead {
  struct Field {
    std::string_view name;
    std::string_view value;  // optional whitespace around it removed
  };
  enum class Body { none, length, chunked };

  std::string_view method;
  std::string_view target;
  int minor_version = 1;  // HTTP/1.<minor_version>: 0 or 1
  std::vector<Field> fields;
  Body body = Body::none;
  uint64_t content_length = 0;  // with Body::length
  bool keep_alive = true;       // what the version and Connection ask for
  bool expect_continue = false; // "Expect: 100-continue" on HTTP/1.1
};

enum class HeadState {
  incomplete,  // no blank line yet, and no bound passed: read more
  complete,    // `consumed` bytes were the head; the body (if any) follows
  refused,     // `status` and `problem` say why; the connection must be closed after answering
};

struct HeadParse {
  HeadState state = HeadState::incomplete;
  std::size_t consumed = 0;
  int status = 0;
  std::string problem;  // names what was wrong, never quoting a field's value
};

// Parses `bytes` (what the connection holds, from the start of a request). RFC 9112's rules,
// strictly where framing is at stake: no bare CR, no obs-fold, no space before a field's colon,
// Content-Length digits only (repeated values must agree), Transfer-Encoding only "chunked" and
// never with Content-Length or on HTTP/1.0, Host required on HTTP/1.1. Up to two empty lines
// before the request line are skipped. Never reads past `bytes`; never throws but for memory.
HeadParse parse_request_head(std::string_view bytes, RequestHead& head, const HeadLimits& limits = {});

// Copies `parsed_from` (the bytes the head was parsed from) into `storage` and points the
// head's views there, so that they outlive the buffer the head was read into. Views outside
// `parsed_from` are left as they are.
void rebase_head(RequestHead& head, std::string_view parsed_from, std::string& storage);

}  // namespace majordomo::gateway
