// ClientConnection: one client's socket as the gateway serves it — requests read and answered in turn, kept alive, cancelled on hang-up.
#pragma once

#include "request_head.hpp"

#include <majordomo/cancellation.hpp>

#include <Poco/Net/SocketAddress.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace majordomo::gateway {

struct ConnectionLimits {
  std::chrono::seconds keep_alive{60};  // silence allowed between requests
  std::chrono::seconds client{300};     // silence allowed inside a request, and for a write to be taken
  HeadLimits head;
};

// An accepted socket (closed by its owner, ConnectionThreads, after the connection ends) and what
// has been read from it. Obligations: one thread serves a connection at a time; hung_up() may
// come from any thread.
class ClientConnection {
 public:
  // `fd` is an accepted, blocking TCP socket. Its send timeout and receive timeout are set here
  // (once per connection, not per request), and Nagle's delay is turned off.
  ClientConnection(int fd, const Poco::Net::SocketAddress& peer, const ConnectionLimits& limits);
  ~ClientConnection();
  ClientConnection(const ClientConnection&) = delete;
  ClientConnection& operator=(const ClientConnection&) = delete;

  [[nodiscard]] int fd() const noexcept { return fd_; }
  [[nodiscard]] const Poco::Net::SocketAddress& peer() const noexcept { return peer_; }
  [[nodiscard]] const std::string& peer_host() const noexcept { return peer_host_; }
  [[nodiscard]] const ConnectionLimits& limits() const noexcept { return limits_; }

  // What a call on this connection is cancelled through: one per connection, made on first use
  // (most connections that make calls make many, and one per call would cost an eventfd made
  // and closed per call). Once the client hung up it stays cancelled: a call made after that
  // ends at once, unanswered, and the connection closes. (A client that only half-closed still
  // has what it sent before read and answered, unless it is a call.)
  [[nodiscard]] std::shared_ptr<CallCancellation> call_cancellation();
  // The client hung up (the disconnect watch saw it): the call in progress, if any, is cancelled.
  void hung_up() noexcept;

  // ---- reading: a buffer over the socket ----
  enum class Fill { data, closed, timed_out, failed };
  // Reads more. `between_requests`: the wait is the keep-alive one (a blocking read bounded by
  // the socket's receive timeout: one system call); otherwise the client's silence inside a
  // request is bounded by limits.client, and by `deadline` when one is given.
  Fill fill(bool between_requests,
            std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt);
  [[nodiscard]] std::string_view buffered() const noexcept {
    return std::string_view(buffer_.get() + begin_, end_ - begin_);
  }
  void consume(std::size_t count) noexcept;

  // ---- writing ----
  // Sends all of `first`, `second` then `third` (one system call when the socket takes them);
  // false when the client is gone or did not take them within limits.client.
  bool send_all(std::string_view first, std::string_view second = {}, std::string_view third = {});
  // Before closing with request bytes possibly unread: a close with unread input sends a reset,
  // which can destroy the answer before the client read it. Ends this side's writing, then
  // reads and drops what comes for at most a second and 256 KiB (nginx's lingering close).
  void linger() noexcept;

 private:
  int fd_;
  Poco::Net::SocketAddress peer_;
  std::string peer_host_;
  ConnectionLimits limits_;
  // Read and not yet consumed: [begin_, end_) of buffer_ (allocated on the first read).
  std::unique_ptr<char[]> buffer_;
  std::size_t capacity_ = 0;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::mutex cancellation_mutex_;
  std::shared_ptr<CallCancellation> cancellation_;
  bool hung_up_ = false;
};

class ConnectionResponse;

// A request as the gateway's endpoints see it: its parsed head, and its body read from the
// connection on demand (read_body). The head's views stay valid for the whole request: the
// serving loop copies the head's bytes out of the read buffer first (rebase_head), since reading
// the body refills that buffer.
class ConnectionRequest {
 public:
  ConnectionRequest(ClientConnection& connection, const RequestHead& head, ConnectionResponse& response);
  ConnectionRequest(const ConnectionRequest&) = delete;
  ConnectionRequest& operator=(const ConnectionRequest&) = delete;

  [[nodiscard]] std::string_view method() const noexcept { return head_.method; }
  [[nodiscard]] std::string_view target() const noexcept { return head_.target; }  // path and query, as sent
  [[nodiscard]] bool http_1_0() const noexcept { return head_.minor_version == 0; }
  // The value of the first field named `name` (any case); nullopt when there is none.
  [[nodiscard]] std::optional<std::string_view> field(std::string_view name) const noexcept;
  [[nodiscard]] bool has(std::string_view name) const noexcept { return field(name).has_value(); }
  [[nodiscard]] const std::vector<RequestHead::Field>& fields() const noexcept { return head_.fields; }
  [[nodiscard]] const std::string& peer_host() const noexcept { return connection_.peer_host(); }
  [[nodiscard]] ClientConnection& connection() const noexcept { return connection_; }

  enum class BodyRead { complete, too_large, broken, timed_out };
  // Reads the whole body into `out` (replacing it), up to `limit` bytes. After too_large the
  // rest is unread and the connection cannot be reused; after broken or timed_out neither.
  // Sends "100 Continue" first when the client asked for it.
  BodyRead read_body(std::string& out, std::size_t limit);
  // True when nothing of the body is left unread (there was none, or read_body completed).
  [[nodiscard]] bool body_consumed() const noexcept { return body_left_ == 0 && !chunked_; }

 private:
  BodyRead read_chunked(std::string& out, std::size_t limit);
  // Appends the next `left` bytes of the body to `out`, counting `left` down to 0.
  BodyRead append_body_bytes(std::string& out, uint64_t& left);
  ClientConnection& connection_;
  const RequestHead& head_;
  ConnectionResponse& response_;
  uint64_t body_left_ = 0;  // with Content-Length
  bool chunked_ = false;    // a chunked body not yet read to its end
  bool expect_continue_ = false;
};

// An answer as the gateway's endpoints give it: status, fields and keep-alive, written by the
// gateway itself, head and body in one send. Content-Length, Transfer-Encoding, Connection and
// Date are written from the answer's own state; set() takes every other field.
class ConnectionResponse {
 public:
  // `fields` is storage the connection keeps between requests (its capacity is reused); it is
  // cleared here. `http_1_0`: the request's version, which the status line repeats.
  ConnectionResponse(ClientConnection& connection, bool head_request, bool http_1_0, std::string& fields);
  ConnectionResponse(const ConnectionResponse&) = delete;
  ConnectionResponse& operator=(const ConnectionResponse&) = delete;

  // The status line's code; its reason phrase comes with it (499 and 529 included).
  void set_status(int code) noexcept { status_code_ = code; }
  [[nodiscard]] int status_code() const noexcept { return status_code_; }
  // Sets a field, replacing one of the same name (any case). CR and LF in either become spaces.
  void set(std::string_view name, std::string_view value);
  void set_content_type(std::string_view type) { set("Content-Type", type); }
  // Forgets every field set so far (an answer replaced by a 500 before anything went out).
  void clear_fields() noexcept { fields_.clear(); }
  void set_keep_alive(bool keep_alive) noexcept { keep_alive_ = keep_alive; }
  [[nodiscard]] bool keep_alive() const noexcept { return keep_alive_; }
  // The answer goes as chunks (a stream on HTTP/1.1): "Transfer-Encoding: chunked" in its head.
  void set_chunked(bool chunked) noexcept { chunked_ = chunked; }

  // "HTTP/1.1 100 Continue", at most once and only before the answer.
  void send_continue();
  // Sends the whole answer: head (with Content-Length) and `body` (not for HEAD) in one send.
  void send_buffer(std::string_view body);
  [[nodiscard]] bool sent() const noexcept { return sent_; }
  // Appends the head as it goes on the wire (status line, fields, Date, the blank line).
  void append_head(std::string& out);
  // Sends bytes of an answer whose head is among them or already went; marks the answer sent
  // (so nothing else is written for this request). False when the client is gone.
  bool send_raw(std::string_view bytes, std::string_view more = {}, std::string_view rest = {});
  // Nothing is answered (the client is gone): marks the answer done and the connection over.
  void abandon() noexcept;

 private:
  friend class ConnectionRequest;
  // An answer whose request body was not read whole closes the connection (the unread rest
  // would be taken for the next request): its head says so.
  void close_if_body_unread() noexcept;
  ClientConnection& connection_;
  const ConnectionRequest* request_ = nullptr;
  std::string& fields_;  // "Name: value\r\n" lines, as they go on the wire
  std::optional<std::size_t> content_length_;
  bool head_request_;
  bool http_1_0_;
  int status_code_ = 200;
  bool keep_alive_ = true;
  bool chunked_ = false;
  bool sent_ = false;
  bool continue_sent_ = false;
};

// The reason phrase of a status code (RFC 9110's, 499's and 529's); "Unknown" for others.
std::string_view reason_phrase(int status) noexcept;

// Serves requests on `connection` until it closes, a request or answer ends it, or `stopping`
// is set between requests. `handle` answers each request (it must send an answer or throw; if it
// throws before sending, a 500 goes out and the connection closes). `refused` is told of each
// head refused before reaching `handle` (status and reason, for metrics and the access log).
using RequestHandler = std::function<void(ConnectionRequest&, ConnectionResponse&)>;
using HeadRefused = std::function<void(const ClientConnection&, int status, std::string_view problem)>;
void serve_connection(ClientConnection& connection, const RequestHandler& handle, const HeadRefused& refused,
                      const std::atomic<bool>& stopping);

}  // namespace majordomo::gateway
