// The gateway's connections on the wire: pipelined and chunked requests, 100-continue, refused heads and broken bodies, over loopback.
#include "client_connection.hpp"
#include "gateway_test_env.hpp"

#include <catch2/catch.hpp>

#include <Poco/Net/StreamSocket.h>

#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

using namespace majordomo;
using namespace majordomo::testing;

namespace {

Poco::Net::StreamSocket connect_to(const GatewayTestEnv& env) {
  Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", env.gateway->port()));
  socket.setReceiveTimeout(Poco::Timespan(30, 0));
  return socket;
}

void send_text(Poco::Net::StreamSocket& socket, const std::string& text) {
  for (std::size_t sent = 0; sent < text.size();) {
    const int n = socket.sendBytes(text.data() + sent, static_cast<int>(text.size() - sent));
    REQUIRE(n > 0);
    sent += static_cast<std::size_t>(n);
  }
}

// Everything the gateway sends until it closes the connection (bounded by the receive timeout
// and 1 MiB).
std::string receive_all(Poco::Net::StreamSocket& socket) {
  std::string received;
  char buffer[4096];
  for (int n = 0; (n = socket.receiveBytes(buffer, sizeof buffer)) > 0;) {
    received.append(buffer, static_cast<std::size_t>(n));
    REQUIRE(received.size() < (1u << 20));
  }
  return received;
}

// The status codes of the answers in `wire`, in order, each answer read as its head frames it
// (interim 1xx answers included); stops at the first thing that is not an answer.
std::vector<int> statuses(const std::string& wire) {
  std::vector<int> found;
  for (std::size_t at = 0; at < wire.size() && wire.compare(at, 7, "HTTP/1.") == 0;) {
    found.push_back(std::stoi(wire.substr(at + 9, 3)));
    const std::size_t head_end = wire.find("\r\n\r\n", at);
    if (head_end == std::string::npos) break;
    const std::string head = wire.substr(at, head_end - at);
    std::size_t length = 0;
    const std::size_t field = head.find("Content-Length: ");
    if (field != std::string::npos && head.compare(0, 12, "HTTP/1.1 100") != 0) {
      length = static_cast<std::size_t>(std::stoul(head.substr(field + 16)));
    }
    at = head_end + 4 + length;
  }
  return found;
}

std::string chat_head(const std::string& framing, const std::string& extra = {}) {
  return fmt::format("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\n"
                     "Content-Type: application/json\r\n{}{}\r\n",
                     kGatewayKey, framing, extra);
}

}  // namespace

TEST_CASE("gateway connection: requests pipelined in one write are answered in order on one connection",
          "[gateway][connection]") {
  GatewayTestEnv env;
  const std::string body = chat_body("openai/gpt-4o");
  Poco::Net::StreamSocket socket = connect_to(env);
  send_text(socket, chat_head(fmt::format("Content-Length: {}\r\n", body.size())) + body + "\r\n" +
                        "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n" +
                        "GET /readyz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  const std::string wire = receive_all(socket);  // returns: the client's Connection: close was honoured
  CHECK(statuses(wire) == std::vector<int>{200, 200, 200});
  CHECK(wire.find("chat.completion") < wire.find("ok\n"));
  CHECK(wire.find("ok\n") < wire.find("ready\n"));
  CHECK(wire.find("Connection: Close") > wire.find("ok\n"));  // only the last answer says it
}

TEST_CASE("gateway connection: a chunked request body is read whole, extensions and trailers included",
          "[gateway][connection]") {
  GatewayTestEnv env;
  const std::string body = chat_body("openai/gpt-4o");
  const std::size_t half = body.size() / 2;
  std::string chunked = fmt::format("{:x};name=value\r\n{}\r\n", half, body.substr(0, half));
  chunked += fmt::format("{:X}\r\n{}\r\n", body.size() - half, body.substr(half));
  chunked += "0\r\nX-Trailer: t\r\n\r\n";
  Poco::Net::StreamSocket socket = connect_to(env);
  send_text(socket, chat_head("Transfer-Encoding: chunked\r\n") + chunked +
                        "GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  const std::string wire = receive_all(socket);
  CHECK(statuses(wire) == std::vector<int>{200, 200});  // the connection was still in step after the body
  CHECK(wire.find("chat.completion") != std::string::npos);
}

TEST_CASE("gateway connection: 100 Continue comes only when the body is wanted", "[gateway][connection]") {
  GatewayTestEnv env;
  const std::string body = chat_body("openai/gpt-4o");
  {
    Poco::Net::StreamSocket socket = connect_to(env);
    send_text(socket, chat_head(fmt::format("Content-Length: {}\r\nExpect: 100-continue\r\n", body.size()),
                                "Connection: close\r\n"));
    char buffer[64];
    const int n = socket.receiveBytes(buffer, sizeof buffer);
    REQUIRE(n > 0);
    CHECK(std::string(buffer, static_cast<std::size_t>(n)) == "HTTP/1.1 100 Continue\r\n\r\n");
    send_text(socket, body);
    CHECK(statuses(receive_all(socket)) == std::vector<int>{200});
  }
  {
    // Over max_request_bytes: refused at once with 413, and the body is never asked for.
    GatewayTestEnv small({}, R"("limits": {"max_request_bytes": 1024})");
    Poco::Net::StreamSocket socket = connect_to(small);
    send_text(socket, chat_head("Content-Length: 1025\r\nExpect: 100-continue\r\n"));
    const std::string wire = receive_all(socket);
    CHECK(statuses(wire) == std::vector<int>{413});
    CHECK(wire.find("100 Continue") == std::string::npos);
  }
  {
    // Without a valid key: 401 and no 100 Continue either.
    Poco::Net::StreamSocket socket = connect_to(env);
    send_text(socket, "POST /v1/messages HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n");
    const std::string wire = receive_all(socket);
    CHECK(statuses(wire) == std::vector<int>{401});
    CHECK(wire.find("100 Continue") == std::string::npos);
  }
}

TEST_CASE("gateway connection: a head the gateway cannot trust is refused with its status and reason, then closed",
          "[gateway][connection]") {
  GatewayTestEnv env;
  struct Case {
    std::string bytes;
    int status;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"GET /healthz HTTP/1.1\r\nX: a\r\n\r\n", 400, "Host"},
      {"GET /healthz HTTP/1.1\r\nHost: a\r\nX: a\r\n folded\r\n\r\n", 400, "obs-fold"},
      {"POST /v1/messages HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
       "both Content-Length and Transfer-Encoding"},
      {"POST /v1/messages HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "chunked"},
      {"GET /healthz HTTP/3.0\r\nHost: a\r\n\r\n", 505, "HTTP/1.1"},
      {"GET /healthz HTTP/1.1\r\nHost: a\r\nX: " + std::string(20000, 'v') + "\r\n\r\n", 431, "longer"},
  };
  for (const Case& each : cases) {
    INFO(each.bytes.substr(0, 80));
    Poco::Net::StreamSocket socket = connect_to(env);
    send_text(socket, each.bytes + "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n");
    const std::string wire = receive_all(socket);  // ends: the connection was closed after the refusal
    CHECK(statuses(wire) == std::vector<int>{each.status});
    CHECK(wire.find(each.says) != std::string::npos);
    CHECK(wire.find("\"type\":\"invalid_request_error\"") != std::string::npos);
  }
  const GatewayReply metrics = env.send("GET", "/metrics");
  CHECK(metrics.body.find(R"(majordomo_gateway_refusals_total{endpoint="other",code="400",reason="bad_head"} 3)") !=
        std::string::npos);
}

TEST_CASE("gateway connection: a chunked body with broken framing is 400 and the connection ends",
          "[gateway][connection]") {
  GatewayTestEnv env;
  const std::vector<std::string> bodies = {
      "zz\r\nhello\r\n0\r\n\r\n",        // no chunk size
      "5\r\nhello world\r\n0\r\n\r\n",   // data past its size
      "5 x\r\nhello\r\n0\r\n\r\n",       // junk after the size
      "5 \r\nhello\r\n0\r\n\r\n",        // whitespace after the size, no extension
      "5\nhello\r\n0\r\n\r\n",          // a bare LF ends the size line
      "5\r\nhello\n0\r\n\r\n",          // a bare LF after the data
      "5;a=\x01\r\nhello\r\n0\r\n\r\n",   // a control character in an extension
      "10000000000000000\r\n",           // a size no body has
      "5\r\nhel",                        // ends early
  };
  for (const std::string& body : bodies) {
    INFO(body);
    Poco::Net::StreamSocket socket = connect_to(env);
    send_text(socket, chat_head("Transfer-Encoding: chunked\r\n") + body);
    socket.shutdownSend();  // what was sent is all there is
    const std::string wire = receive_all(socket);
    const std::vector<int> seen = statuses(wire);
    REQUIRE(seen.size() == 1);
    CHECK(seen[0] == 400);
    CHECK(wire.find("Connection: Close") != std::string::npos);
  }
}

TEST_CASE("gateway connection: HEAD gets the head of what GET would answer, and no body", "[gateway][connection]") {
  GatewayTestEnv env;
  Poco::Net::StreamSocket socket = connect_to(env);
  send_text(socket, "HEAD /healthz HTTP/1.1\r\nHost: a\r\n\r\nGET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  const std::string wire = receive_all(socket);
  // The first answer declares the 3 bytes GET sends, and the next status line follows its head at once.
  const std::size_t first_end = wire.find("\r\n\r\n");
  REQUIRE(first_end != std::string::npos);
  CHECK(wire.substr(0, first_end).find("Content-Length: 3") != std::string::npos);
  CHECK(wire.compare(first_end + 4, 8, "HTTP/1.1") == 0);
  CHECK(wire.substr(wire.size() - 3) == "ok\n");
}

TEST_CASE("gateway connection: an answer whose request body was left unread says Connection: Close",
          "[gateway][connection]") {
  GatewayTestEnv env;
  Poco::Net::StreamSocket socket = connect_to(env);
  // /healthz reads no body: the 5 bytes stay unread, so this connection cannot carry another request.
  send_text(socket, "GET /healthz HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello");
  const std::string wire = receive_all(socket);
  CHECK(statuses(wire) == std::vector<int>{200});
  CHECK(wire.find("Connection: Close") != std::string::npos);
}

TEST_CASE("gateway connection: a head still unfinished after client_timeout_s is 408, an idle connection closes after "
          "keep_alive_timeout_s",
          "[gateway][connection]") {
  GatewayTestEnv env({}, R"("limits": {"client_timeout_s": 1, "keep_alive_timeout_s": 1})");
  {
    Poco::Net::StreamSocket socket = connect_to(env);
    // Drips a byte at a time, each well inside the silence bound: the whole head's deadline ends it.
    const std::string head = "GET /healthz HTTP/1.1\r\nHost: a\r\nX-Slow: ";
    send_text(socket, head);
    std::string wire;
    char byte = 'a';
    char buffer[4096];
    for (int sent = 0; sent < 40 && wire.empty(); ++sent) {
      socket.sendBytes(&byte, 1);
      Poco::Timespan pause(0, 100 * 1000);
      if (socket.poll(pause, Poco::Net::Socket::SELECT_READ)) {
        const int n = socket.receiveBytes(buffer, sizeof buffer);
        if (n > 0) wire.assign(buffer, static_cast<std::size_t>(n));
        break;
      }
    }
    CHECK(statuses(wire) == std::vector<int>{408});
  }
  {
    Poco::Net::StreamSocket socket = connect_to(env);
    send_text(socket, "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n");
    // One answer, then the connection ends by itself (receive_all would otherwise wait 30 s and throw).
    const auto started = std::chrono::steady_clock::now();
    const std::string wire = receive_all(socket);
    CHECK(statuses(wire) == std::vector<int>{200});
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(20));
  }
}

TEST_CASE("gateway connection: line ends alone are not an endless wait: past two, the head is refused",
          "[gateway][connection]") {
  GatewayTestEnv env;
  Poco::Net::StreamSocket socket = connect_to(env);
  std::string line_ends;
  for (int i = 0; i < 20000; ++i) line_ends += "\r\n";
  send_text(socket, line_ends);
  const std::string wire = receive_all(socket);  // returns: the gateway answered and closed
  CHECK(statuses(wire) == std::vector<int>{400});
}

TEST_CASE("gateway connection: a client still sending a refused body reads its 413, not a reset",
          "[gateway][connection]") {
  GatewayTestEnv env({}, R"("limits": {"max_request_bytes": 1024})");
  Poco::Net::StreamSocket socket = connect_to(env);
  // 200 KiB sent whole, without Expect: the gateway answers 413 after the head, while the body
  // is still arriving. Closing at once would reset the connection under the client's send.
  const std::string body(200 * 1024, 'x');
  send_text(socket, chat_head(fmt::format("Content-Length: {}\r\n", body.size())) + body);
  const std::string wire = receive_all(socket);
  CHECK(statuses(wire) == std::vector<int>{413});
  CHECK(wire.find("max_request_bytes") != std::string::npos);
}

TEST_CASE("gateway connection: an answer's fields replace by name, and its head frames its body", "[gateway][connection]") {
  int ends[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, ends) == 0);
  {
    gateway::ClientConnection connection(ends[1], Poco::Net::SocketAddress(), gateway::ConnectionLimits{});
    std::string fields;
    gateway::ConnectionResponse response(connection, false, false, fields);
    response.set("X-Request-Id", "first");
    response.set_content_type("text/event-stream");
    response.set("x-request-id", "second\r\nInjected: yes");  // any case replaces; CR LF cannot end the field
    response.set_content_type("application/json");
    response.set_status(529);
    response.send_buffer("{}");
    CHECK(response.sent());
  }
  ::close(ends[1]);
  std::string wire;
  char buffer[4096];
  for (ssize_t n = 0; (n = ::read(ends[0], buffer, sizeof buffer)) > 0;) wire.append(buffer, static_cast<std::size_t>(n));
  ::close(ends[0]);
  INFO(wire);
  CHECK(wire.starts_with("HTTP/1.1 529 Overloaded\r\n"));
  CHECK(wire.find("X-Request-Id") == std::string::npos);
  CHECK(wire.find("x-request-id: second  Injected: yes\r\n") != std::string::npos);
  CHECK(wire.find("\r\nInjected") == std::string::npos);
  CHECK(wire.find("text/event-stream") == std::string::npos);
  CHECK(wire.find("Content-Type: application/json\r\n") != std::string::npos);
  CHECK(wire.find("Content-Length: 2\r\n") != std::string::npos);
  CHECK(wire.find("Connection: Keep-Alive\r\n") != std::string::npos);
  CHECK(wire.ends_with("\r\n\r\n{}"));
}

TEST_CASE("gateway connection: a keep-alive client that changes its key is judged by each request's own key",
          "[gateway][connection]") {
  GatewayTestEnv env;
  // The thread serving the connection keeps the last key it hashed: a different key, also one
  // of the same length differing in its last character, must not ride on it.
  std::string near_miss(kGatewayKey);
  near_miss.back() = near_miss.back() == '1' ? '2' : '1';
  const auto models = [](std::string_view key, std::string_view connection) {
    return fmt::format("GET /v1/models HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer {}\r\n{}\r\n", key, connection);
  };
  Poco::Net::StreamSocket socket = connect_to(env);
  send_text(socket, models(kGatewayKey, "") + models(near_miss, "") + models("mjk-some-other-key", "") +
                        models(kGatewayKey, "Connection: close\r\n"));
  const std::string wire = receive_all(socket);
  CHECK(statuses(wire) == std::vector<int>{200, 401, 401, 200});
}
