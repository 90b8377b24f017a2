// ClientConnection, ConnectionRequest, ConnectionResponse and serve_connection: the gateway's own HTTP/1.1 server side, a few system calls per request.
#include "client_connection.hpp"

#include "posix_socket.hpp"

#include <majordomo/headers.hpp>
#include <majordomo/sdk/json_writer.hpp>

#include <fmt/format.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

namespace majordomo::gateway {
namespace {

constexpr std::size_t kReadSize = 16 * 1024;
// Chunk-size lines and trailer lines of a chunked body; their total is bounded separately, so
// tiny chunks with long extensions cannot make a small body cost unbounded reading.
constexpr std::size_t kMostChunkLineBytes = 4096;
constexpr std::size_t kMostFramingBytes = 1 << 20;
constexpr std::size_t kMostTrailerLines = 100;

void set_timeout(int fd, int option, std::chrono::seconds timeout) {
  timeval value{};
  value.tv_sec = static_cast<time_t>(timeout.count());
  ::setsockopt(fd, SOL_SOCKET, option, &value, sizeof value);
}

// "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 5.6.7), formatted once a second per thread.
std::string_view http_date() {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  thread_local std::time_t formatted_second = -1;
  thread_local std::string text;
  const std::time_t now = std::time(nullptr);
  if (now != formatted_second) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    text = fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT", kDays[tm.tm_wday % 7], tm.tm_mday,
                       kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    formatted_second = now;
  }
  return text;
}

// A field as written: CR and LF would end it early (a response split), so they become spaces.
void append_field_text(std::string& out, std::string_view text) {
  for (const char c : text) out.push_back(c == '\r' || c == '\n' ? ' ' : c);
}

// A head refused before any endpoint saw it, in a shape both SDKs read (Anthropic's error
// object, whose "error.message" is also where OpenAI's SDKs look).
void answer_refused_head(ClientConnection& connection, const RequestHead& head, int status, std::string_view problem) {
  std::string body;
  sdk::JsonWriter json(body);
  json.begin_object().key("type").string("error").key("error").begin_object();
  json.key("type").string("invalid_request_error").key("message").string(problem);
  json.end_object().end_object();
  const std::string text = fmt::format(
      "HTTP/1.{} {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\nDate: {}\r\n\r\n",
      head.minor_version, status, reason_phrase(status), body.size(), http_date());
  (void)connection.send_all(text, head.method == "HEAD" ? std::string_view() : std::string_view(body));
  connection.linger();  // the rest of what the client sent is unread
}

// Where the head ends ("\n\r\n" or "\n\n"), searched from `from`; npos while it has not arrived.
std::size_t head_end(std::string_view bytes, std::size_t from) {
  for (std::size_t lf = bytes.find('\n', from); lf != std::string_view::npos; lf = bytes.find('\n', lf + 1)) {
    if (lf + 1 < bytes.size() && bytes[lf + 1] == '\n') return lf + 2;
    if (lf + 2 < bytes.size() && bytes[lf + 1] == '\r' && bytes[lf + 2] == '\n') return lf + 3;
  }
  return std::string_view::npos;
}

}  // namespace

// ---- ClientConnection ----

ClientConnection::ClientConnection(int fd, const Poco::Net::SocketAddress& peer, const ConnectionLimits& limits)
    : fd_(fd), peer_(peer), peer_host_(peer.host().toString()), limits_(limits) {
  set_timeout(fd_, SO_RCVTIMEO, limits_.keep_alive);
  set_timeout(fd_, SO_SNDTIMEO, limits_.client);
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

ClientConnection::~ClientConnection() = default;

std::shared_ptr<CallCancellation> ClientConnection::call_cancellation() {
  const std::lock_guard lock(cancellation_mutex_);
  if (!cancellation_) {
    cancellation_ = std::make_shared<CallCancellation>();
    if (hung_up_) cancellation_->cancel();
  }
  return cancellation_;
}

void ClientConnection::hung_up() noexcept {
  const std::lock_guard lock(cancellation_mutex_);
  hung_up_ = true;
  if (cancellation_) cancellation_->cancel();
}

void ClientConnection::linger() noexcept {
  ::shutdown(fd_, SHUT_WR);
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  char drained[4096];
  try {
    for (std::size_t total = 0; total < 256 * 1024;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !sdk::net::wait_ready(fd_, POLLIN, -1, left)) return;
      const ssize_t n = ::recv(fd_, drained, sizeof drained, MSG_DONTWAIT);
      if (n <= 0) return;  // the client closed too (or failed): nothing more to drop
      total += static_cast<std::size_t>(n);
    }
  } catch (const sdk::net::SocketError&) {  // poll itself failed: close without lingering
  }
}

void ClientConnection::consume(std::size_t count) noexcept {
  begin_ = std::min(end_, begin_ + count);
  if (begin_ == end_) {
    begin_ = end_ = 0;
    // A buffer grown for one long head is not kept by an idle connection.
    if (capacity_ > 2 * kReadSize) {
      buffer_.reset();
      capacity_ = 0;
    }
  }
}

ClientConnection::Fill ClientConnection::fill(bool between_requests,
                                              std::optional<std::chrono::steady_clock::time_point> deadline) {
  // Room for one read after the unread bytes: what was consumed goes first, then the buffer
  // grows (only a head or a chunk line longer than a read makes it; both are bounded).
  if (capacity_ - end_ < kReadSize && begin_ > 0) {
    std::memmove(buffer_.get(), buffer_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (capacity_ - end_ < kReadSize) {
    const std::size_t capacity = std::max(capacity_ * 2, end_ + kReadSize);
    auto grown = std::make_unique_for_overwrite<char[]>(capacity);
    if (end_ > 0) std::memcpy(grown.get(), buffer_.get(), end_);
    buffer_ = std::move(grown);
    capacity_ = capacity;
  }
  if (!between_requests) {
    auto timeout = std::chrono::milliseconds(limits_.client);
    if (deadline) {
      timeout = std::min(timeout, std::chrono::duration_cast<std::chrono::milliseconds>(
                                      *deadline - std::chrono::steady_clock::now()));
      if (timeout.count() <= 0) return Fill::timed_out;
    }
    try {
      if (!sdk::net::wait_ready(fd_, POLLIN, -1, timeout)) return Fill::timed_out;
    } catch (const sdk::net::SocketError&) {
      return Fill::failed;
    }
  }
  for (int attempt = 0; attempt < 8; ++attempt) {
    // Between requests this waits up to the socket's receive timeout, the keep-alive one.
    const ssize_t received = ::recv(fd_, buffer_.get() + end_, capacity_ - end_, 0);
    if (received > 0) {
      end_ += static_cast<std::size_t>(received);
      return Fill::data;
    }
    if (received == 0) return Fill::closed;
    if (errno != EINTR) return errno == EAGAIN || errno == EWOULDBLOCK ? Fill::timed_out : Fill::failed;
  }
  return Fill::failed;
}

bool ClientConnection::send_all(std::string_view first, std::string_view second, std::string_view third) {
  constexpr std::size_t kParts = 3;
  iovec parts[kParts] = {{const_cast<char*>(first.data()), first.size()},
                         {const_cast<char*>(second.data()), second.size()},
                         {const_cast<char*>(third.data()), third.size()}};
  std::size_t index = 0;
  int interrupted = 0;
  // Each round sends at least one byte or ends: a blocking socket whose send timeout is limits.client.
  while (index < kParts) {
    if (parts[index].iov_len == 0) {
      ++index;
      continue;
    }
    msghdr message{};
    message.msg_iov = parts + index;
    message.msg_iovlen = kParts - index;
    const ssize_t sent = ::sendmsg(fd_, &message, MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR && ++interrupted < 8) continue;
      return false;  // EAGAIN: the client took nothing within the send timeout
    }
    auto left = static_cast<std::size_t>(sent);
    while (index < kParts && left >= parts[index].iov_len) {
      left -= parts[index].iov_len;
      parts[index].iov_len = 0;
      ++index;
    }
    if (index < kParts) {
      parts[index].iov_base = static_cast<char*>(parts[index].iov_base) + left;
      parts[index].iov_len -= left;
    }
  }
  return true;
}

// ---- ConnectionRequest ----

ConnectionRequest::ConnectionRequest(ClientConnection& connection, const RequestHead& head, ConnectionResponse& response)
    : connection_(connection), head_(head), response_(response) {
  response.request_ = this;
  body_left_ = head.body == RequestHead::Body::length ? head.content_length : 0;
  chunked_ = head.body == RequestHead::Body::chunked;
  expect_continue_ = head.expect_continue;
}

std::optional<std::string_view> ConnectionRequest::field(std::string_view name) const noexcept {
  for (const RequestHead::Field& field : head_.fields) {
    if (header_name_equals(field.name, name)) return field.value;
  }
  return std::nullopt;
}

ConnectionRequest::BodyRead ConnectionRequest::read_body(std::string& out, std::size_t limit) {
  out.clear();
  if (body_left_ > limit) return BodyRead::too_large;  // before "100 Continue": the client need not send it
  if (expect_continue_ && (body_left_ > 0 || chunked_)) response_.send_continue();
  expect_continue_ = false;
  if (chunked_) return read_chunked(out, limit);
  // What is declared is reserved only up to 64 KiB: a client that declares 32 MiB and sends
  // nothing must not hold 32 MiB of the gateway's memory for client_timeout_s.
  out.reserve(static_cast<std::size_t>(std::min<uint64_t>(body_left_, 64u << 10)));
  return append_body_bytes(out, body_left_);
}

ConnectionRequest::BodyRead ConnectionRequest::append_body_bytes(std::string& out, uint64_t& left) {
  while (left > 0) {
    if (connection_.buffered().empty()) {
      const ClientConnection::Fill filled = connection_.fill(false);
      if (filled == ClientConnection::Fill::timed_out) return BodyRead::timed_out;
      if (filled != ClientConnection::Fill::data) return BodyRead::broken;
    }
    const std::string_view bytes = connection_.buffered();
    const std::size_t take = static_cast<std::size_t>(std::min<uint64_t>(bytes.size(), left));
    out.append(bytes.substr(0, take));
    connection_.consume(take);
    left -= take;
  }
  return BodyRead::complete;
}

// RFC 9112 7.1: chunk-size [extensions] CRLF, data CRLF, ..., "0" CRLF, trailer fields, CRLF.
ConnectionRequest::BodyRead ConnectionRequest::read_chunked(std::string& out, std::size_t limit) {
  std::size_t framing = 0;
  // The next line (without its CR LF) into `line`; false with `failure` set when it cannot be had.
  std::string line;
  BodyRead failure = BodyRead::broken;
  const auto next_line = [&]() -> bool {
    for (;;) {
      const std::string_view bytes = connection_.buffered();
      const std::size_t lf = bytes.find('\n');
      if (lf != std::string_view::npos && lf <= kMostChunkLineBytes) {
        // CR LF exactly, and no other control character: a proxy in front that ended a line at a
        // bare LF (or read one as data) would see other chunk boundaries than the gateway.
        if (lf == 0 || bytes[lf - 1] != '\r') return false;
        line.assign(bytes.substr(0, lf - 1));
        connection_.consume(lf + 1);
        framing += lf + 1;
        if (framing > kMostFramingBytes) return false;
        for (const char c : line) {
          const auto u = static_cast<unsigned char>(c);
          if ((u < 0x20 && u != '\t') || u == 0x7f) return false;
        }
        return true;
      }
      if (bytes.size() > kMostChunkLineBytes) return false;
      const ClientConnection::Fill filled = connection_.fill(false);
      if (filled != ClientConnection::Fill::data) {
        if (filled == ClientConnection::Fill::timed_out) failure = BodyRead::timed_out;
        return false;
      }
    }
  };
  for (;;) {
    if (!next_line()) return failure;
    uint64_t size = 0;
    std::size_t digits = 0;
    for (; digits < line.size(); ++digits) {
      const char c = line[digits];
      int value = -1;
      if (c >= '0' && c <= '9') value = c - '0';
      else if (c >= 'a' && c <= 'f') value = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') value = c - 'A' + 10;
      if (value < 0) break;
      if (digits == 15) return BodyRead::broken;  // over 2^60: no body of ours is near that
      size = size * 16 + static_cast<uint64_t>(value);
    }
    // After the digits: nothing, or extensions (ignored) after optional whitespace; never
    // whitespace alone.
    const std::string_view rest = std::string_view(line).substr(digits);
    const std::size_t extension = rest.find_first_not_of(" \t");
    if (digits == 0 || (!rest.empty() && (extension == std::string_view::npos || rest[extension] != ';'))) {
      return BodyRead::broken;
    }
    if (size == 0) break;
    if (size > limit - std::min<std::size_t>(limit, out.size())) return BodyRead::too_large;
    uint64_t left = size;
    if (const BodyRead read = append_body_bytes(out, left); read != BodyRead::complete) return read;
    if (!next_line()) return failure;
    if (!line.empty()) return BodyRead::broken;  // the data ran on past its declared size
  }
  // Trailer fields, up to the blank line: read and dropped (nothing of the gateway reads them).
  for (std::size_t lines = 0;; ++lines) {
    if (lines == kMostTrailerLines || !next_line()) return failure;
    if (line.empty()) break;
  }
  chunked_ = false;
  return BodyRead::complete;
}

// ---- ConnectionResponse ----

std::string_view reason_phrase(int status) noexcept {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 499: return "Client Closed Request";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    case 529: return "Overloaded";
    default: return "Unknown";
  }
}

ConnectionResponse::ConnectionResponse(ClientConnection& connection, bool head_request, bool http_1_0, std::string& fields)
    : connection_(connection), fields_(fields), head_request_(head_request), http_1_0_(http_1_0) {
  fields_.clear();
}

void ConnectionResponse::set(std::string_view name, std::string_view value) {
  // Replaces the line of that name, if any: fields_ holds a few short lines.
  for (std::size_t line = 0; line < fields_.size();) {
    const std::size_t crlf = fields_.find("\r\n", line);
    const std::size_t colon = fields_.find(':', line);
    if (crlf == std::string::npos || colon > crlf) break;  // not written by set(): cannot happen
    const std::size_t end = crlf + 2;
    if (header_name_equals(std::string_view(fields_).substr(line, colon - line), name)) {
      fields_.erase(line, end - line);
      break;
    }
    line = end;
  }
  append_field_text(fields_, name);
  fields_.append(": ");
  append_field_text(fields_, value);
  fields_.append("\r\n");
}

void ConnectionResponse::send_continue() {
  if (continue_sent_ || sent_) return;
  continue_sent_ = true;
  if (!connection_.send_all("HTTP/1.1 100 Continue\r\n\r\n")) keep_alive_ = false;
}

void ConnectionResponse::close_if_body_unread() noexcept {
  if (request_ != nullptr && !request_->body_consumed()) keep_alive_ = false;
}

void ConnectionResponse::abandon() noexcept {
  sent_ = true;
  keep_alive_ = false;
}

void ConnectionResponse::send_buffer(std::string_view body) {
  content_length_ = body.size();
  chunked_ = false;
  // The head is built in storage each thread keeps: no allocation per answer once warm.
  thread_local std::string head;
  head.clear();
  append_head(head);
  sent_ = true;
  if (!connection_.send_all(head, head_request_ ? std::string_view() : body)) keep_alive_ = false;
}

void ConnectionResponse::append_head(std::string& out) {
  close_if_body_unread();
  out.append(http_1_0_ ? "HTTP/1.0 " : "HTTP/1.1 ");
  char code[4] = {static_cast<char>('0' + status_code_ / 100 % 10), static_cast<char>('0' + status_code_ / 10 % 10),
                  static_cast<char>('0' + status_code_ % 10), ' '};
  out.append(code, sizeof code).append(reason_phrase(status_code_)).append("\r\n");
  out.append(fields_);
  if (content_length_) fmt::format_to(std::back_inserter(out), "Content-Length: {}\r\n", *content_length_);
  else if (chunked_) out.append("Transfer-Encoding: chunked\r\n");
  else keep_alive_ = false;  // unframed (an HTTP/1.0 stream): the answer ends with the connection
  out.append(keep_alive_ ? "Connection: Keep-Alive\r\n" : "Connection: Close\r\n");
  out.append("Date: ").append(http_date()).append("\r\n\r\n");
}

bool ConnectionResponse::send_raw(std::string_view bytes, std::string_view more, std::string_view rest) {
  sent_ = true;
  if (connection_.send_all(bytes, more, rest)) return true;
  keep_alive_ = false;
  return false;
}

// ---- serve_connection ----

void serve_connection(ClientConnection& connection, const RequestHandler& handle, const HeadRefused& refused,
                      const std::atomic<bool>& stopping) {
  RequestHead head;
  std::string head_bytes;  // the head, out of the read buffer (which the body's reads refill)
  std::string fields;      // the answer's fields
  // Each round answers one request or ends the connection; a round reads at most the head's bound.
  for (;;) {
    HeadParse parsed;
    std::size_t searched = 0;  // the head's end was looked for up to here (less the 2 bytes it may straddle)
    // A head must be whole within limits.client of its first byte, however slowly it drips.
    std::optional<std::chrono::steady_clock::time_point> deadline;
    for (;;) {
      const std::string_view bytes = connection.buffered();
      // Only the line ends some clients send after a body (two at most, as the parser skips):
      // still between requests. More goes to the parser, which refuses it.
      const bool idle = bytes.size() <= 4 && bytes.find_first_not_of("\r\n") == std::string_view::npos;
      if (!idle) {
        if (!deadline) deadline = std::chrono::steady_clock::now() + connection.limits().client;
        const std::size_t end = head_end(bytes, searched);
        if (end != std::string_view::npos || bytes.size() > connection.limits().head.max_head_bytes) {
          parsed = parse_request_head(bytes, head, connection.limits().head);
          if (parsed.state != HeadState::incomplete) break;
        }
        searched = bytes.size() < 2 ? 0 : bytes.size() - 2;
      }
      if (idle && stopping.load()) return;
      const ClientConnection::Fill filled = connection.fill(idle, deadline);
      if (filled == ClientConnection::Fill::data) continue;
      if (filled == ClientConnection::Fill::timed_out && !idle) {
        refused(connection, 408, "the request head did not arrive within limits.client_timeout_s");
        head.minor_version = 1;
        head.method = {};
        answer_refused_head(connection, head, 408, "the request head did not arrive in time (limits.client_timeout_s)");
      }
      return;
    }
    if (parsed.state == HeadState::refused) {
      refused(connection, parsed.status, parsed.problem);
      answer_refused_head(connection, head, parsed.status, parsed.problem);
      return;
    }
    rebase_head(head, connection.buffered().substr(0, parsed.consumed), head_bytes);
    connection.consume(parsed.consumed);
    ConnectionResponse response(connection, head.method == "HEAD", head.minor_version == 0, fields);
    ConnectionRequest request(connection, head, response);
    response.set_keep_alive(head.keep_alive && !stopping.load());
    try {
      handle(request, response);
    } catch (...) {
      response.set_keep_alive(false);
    }
    if (!response.sent()) {
      // The handler ended without answering (it threw before it could): the client still hears why.
      response.clear_fields();
      response.set_status(500);
      response.set_content_type("application/json");
      response.set_keep_alive(false);
      response.send_buffer(R"({"error":{"message":"gateway failure","type":"server_error"}})");
    }
    if (!request.body_consumed()) {
      connection.linger();
      return;
    }
    // A head grown for one long request is not kept by an idle connection (as its read buffer).
    if (head_bytes.capacity() > 2 * kReadSize) std::string().swap(head_bytes);
    if (!response.keep_alive() || stopping.load()) return;
  }
}

}  // namespace majordomo::gateway
