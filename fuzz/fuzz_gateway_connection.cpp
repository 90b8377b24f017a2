// libFuzzer target: the gateway's server side of a connection (request heads, bodies of both framings, pipelining) on any bytes a client sends.
#include "client_connection.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using majordomo::gateway::ClientConnection;
using majordomo::gateway::ConnectionRequest;
using majordomo::gateway::ConnectionResponse;
using majordomo::gateway::HeadParse;
using majordomo::gateway::HeadState;
using majordomo::gateway::RequestHead;

// What a parsed head promises the connection, whatever the bytes were.
void check_head(std::string_view bytes) {
  RequestHead head;
  majordomo::gateway::HeadLimits limits;
  limits.max_head_bytes = 512;
  limits.max_fields = 8;
  limits.max_target_bytes = 128;
  limits.max_name_bytes = 32;
  limits.max_value_bytes = 128;
  const HeadParse parsed = parse_request_head(bytes, head, limits);
  if (parsed.state == HeadState::refused && (parsed.status < 400 || parsed.status > 505 || parsed.problem.empty())) {
    std::abort();
  }
  if (parsed.state != HeadState::complete) return;
  if (parsed.consumed == 0 || parsed.consumed > bytes.size() || parsed.consumed > limits.max_head_bytes + 1) std::abort();
  if (head.method.empty() || head.target.empty() || head.fields.size() > limits.max_fields) std::abort();
  if (head.body == RequestHead::Body::length && head.content_length == 0) std::abort();
  if (head.body == RequestHead::Body::chunked && head.minor_version == 0) std::abort();
  for (const RequestHead::Field& field : head.fields) {
    if (field.name.empty() || field.value.find_first_of("\r\n") != std::string_view::npos) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  check_head(bytes);

  // The whole input as one client's bytes, then its end; served as the gateway serves it. The
  // answers stay in the socket pair's buffer (a few hundred bytes per request; inputs are small).
  int ends[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0) return 0;
  const int buffer = 1 << 20;
  ::setsockopt(ends[0], SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
  ::setsockopt(ends[1], SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
  for (std::size_t written = 0; written < size;) {
    const ssize_t n = ::write(ends[0], data + written, size - written);
    if (n <= 0) break;
    written += static_cast<std::size_t>(n);
  }
  ::shutdown(ends[0], SHUT_WR);
  {
    majordomo::gateway::ConnectionLimits limits;
    limits.keep_alive = std::chrono::seconds(1);
    limits.client = std::chrono::seconds(1);
    limits.head.max_head_bytes = 1024;
    ClientConnection connection(ends[1], Poco::Net::SocketAddress(), limits);
    const std::atomic<bool> stopping{false};
    int requests = 0;
    majordomo::gateway::serve_connection(
        connection,
        [&requests](ConnectionRequest& request, ConnectionResponse& response) {
          ++requests;
          std::string body;
          const ConnectionRequest::BodyRead read = request.read_body(body, 256);
          if (read == ConnectionRequest::BodyRead::complete && !request.body_consumed()) std::abort();
          if (body.size() > 256) std::abort();
          if (read != ConnectionRequest::BodyRead::complete) response.set_keep_alive(false);
          response.set_status(read == ConnectionRequest::BodyRead::complete ? 200 : 400);
          response.set_content_type("text/plain");
          response.send_buffer(body);
        },
        [](const ClientConnection&, int status, std::string_view problem) {
          if (status < 400 || problem.empty()) std::abort();
        },
        stopping);
    // Every request takes at least a request line: the loop cannot have served more.
    if (static_cast<std::size_t>(requests) > size / 4 + 1) std::abort();
  }
  ::close(ends[0]);
  ::close(ends[1]);
  return 0;
}
