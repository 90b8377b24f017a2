// ClientConnection: one client's socket as the gateway serves it — requests read and answered in turn, kept alive, cancelled on hang-up.
#pragma once

#include "request_head.hpp"

#include <majordomo/cancellation.hpp>

#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SocketAddress.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

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
  // The gateway's own address on this connection (asked of the system once, when first wanted).
  [[nodiscard]] const Poco::Net::SocketAddress& local() const;
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
  // Sends all of `first` then `second` (one system call when the socket takes them); false when
  // the client is gone or did not take them within limits.client.
  bool send_all(std::string_view first, std::string_view second = {});
  // Before closing with request bytes possibly unread: a close with unread input sends a reset,
  // which can destroy the answer before the client read it. Ends this side's writing, then
  // reads and drops what comes for at most a second and 256 KiB (nginx's lingering close).
  void linger() noexcept;

 private:
  int fd_;
  Poco::Net::SocketAddress peer_;
  std::string peer_host_;
  ConnectionLimits limits_;
  mutable std::optional<Poco::Net::SocketAddress> local_;
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

// A request as the gateway's endpoints see it: Poco's request interface over a parsed head, with
// the body read from the connection on demand (read_body).
class ConnectionRequest final : public Poco::Net::HTTPServerRequest {
 public:
  ConnectionRequest(ClientConnection& connection, const RequestHead& head, ConnectionResponse& response);

  // Not offered: bodies are read whole, bounded, with read_body. Throws Poco::NotImplementedException.
  std::istream& stream() override;
  const Poco::Net::SocketAddress& clientAddress() const override { return connection_.peer(); }
  const Poco::Net::SocketAddress& serverAddress() const override;
  const Poco::Net::HTTPServerParams& serverParams() const override;
  Poco::Net::HTTPServerResponse& response() const override;
  bool secure() const override { return false; }

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
  ConnectionResponse& response_;
  uint64_t body_left_ = 0;  // with Content-Length
  bool chunked_ = false;    // a chunked body not yet read to its end
  bool expect_continue_ = false;
};

// An answer as the gateway's endpoints give it: Poco's response interface (status, fields,
// keep-alive) written by the gateway itself, head and body in one send.
class ConnectionResponse final : public Poco::Net::HTTPServerResponse {
 public:
  ConnectionResponse(ClientConnection& connection, bool head_request);

  void sendContinue() override;
  // Not offered: answers are sent whole (sendBuffer) or as a stream (append_head + send_raw).
  std::ostream& send() override;
  void sendFile(const std::string& path, const std::string& mediaType) override;
  void sendBuffer(const void* buffer, std::size_t length) override;
  void redirect(const std::string& uri, HTTPStatus status = HTTP_FOUND) override;
  void requireAuthentication(const std::string& realm) override;
  bool sent() const override { return sent_; }

  // The status line's code and its reason. The gateway sets statuses only through this: Poco's
  // status enum has no 499 or 529, and reading one back from it is undefined behaviour.
  void set_status(int code);
  [[nodiscard]] int status_code() const noexcept { return status_code_; }
  // Appends the head as it goes on the wire (status line, fields, Date, the blank line).
  void append_head(std::string& out);
  // Sends bytes of an answer whose head is among them or already went; marks the answer sent
  // (so nothing else is written for this request). False when the client is gone.
  bool send_raw(std::string_view bytes);
  // Nothing is answered (the client is gone): marks the answer done and the connection over.
  void abandon();

 private:
  friend class ConnectionRequest;
  // An answer whose request body was not read whole closes the connection (the unread rest
  // would be taken for the next request): its head says so.
  void close_if_body_unread();
  ClientConnection& connection_;
  const ConnectionRequest* request_ = nullptr;
  bool head_request_;
  int status_code_ = 200;
  bool sent_ = false;
  bool continue_sent_ = false;
};

// Serves requests on `connection` until it closes, a request or answer ends it, or `stopping`
// is set between requests. `handle` answers each request (it must send an answer or throw; if it
// throws before sending, a 500 goes out and the connection closes). `refused` is told of each
// head refused before reaching `handle` (status and reason, for metrics and the access log).
using RequestHandler = std::function<void(ConnectionRequest&, ConnectionResponse&)>;
using HeadRefused = std::function<void(const ClientConnection&, int status, std::string_view problem)>;
void serve_connection(ClientConnection& connection, const RequestHandler& handle, const HeadRefused& refused,
                      const std::atomic<bool>& stopping);

}  // namespace majordomo::gateway
