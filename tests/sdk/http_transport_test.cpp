// HttpTransport tests over loopback: keep-alive pooling, stale connections, abandoned streams, timeouts, framing, headers (response heads, limits, deadlines, errors: transport_*_test.cpp).
#include "test_servers.hpp"
#include "transport_test_support.hpp"

#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/http.hpp>
#include <majordomo/sdk/sse.hpp>

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Net/NetException.h>
#include <Poco/Timespan.h>

#include <catch2/catch.hpp>

#include <map>
#include <mutex>
#include <thread>
#include <vector>

using namespace majordomo::sdk;
using namespace majordomo::test;
using namespace std::chrono_literals;

namespace {

// Sends one chunk of a chunked response right away (flushed), then the rest once the gate opens.
LoopbackHttpServer::Handler gated_stream(Gate& gate, std::string first, std::string rest) {
  return [&gate, first = std::move(first), rest = std::move(rest)](Poco::Net::HTTPServerRequest& request,
                                                                    Poco::Net::HTTPServerResponse& response) {
    request.stream().ignore(std::numeric_limits<std::streamsize>::max());
    response.setChunkedTransferEncoding(true);
    response.setContentType("text/event-stream");
    std::ostream& out = response.send();
    out << first;
    out.flush();
    gate.wait();
    out << rest;
    out.flush();
  };
}

// Reads one request, sends `response` and closes the connection, whatever `response` promised.
RawServer::Script answers_then_closes(std::string response) {
  return [response = std::move(response)](Poco::Net::StreamSocket& socket, int) {
    if (!read_request(socket)) return;
    send_all(socket, response);
    socket.close();
  };
}

// Posts through `transport` to a server that holds its answer until the gate opens; returns the
// error the wait ended in.
ProviderError error_waiting_for_head(HttpTransport& transport) {
  Gate gate;
  LoopbackHttpServer server([&](auto&, auto& response) {
    gate.wait();
    reply(response, "{}");
  });
  const ProviderError error = expect_error([&] { post(transport, server.url()); });
  gate.open();
  return error;
}

}  // namespace

TEST_CASE("keep-alive: sequential requests reuse one connection", "[transport]") {
  LoopbackHttpServer server([](auto& request, auto& response) {
    std::string body;
    request.stream() >> body;
    response.set("X-Request-Id", "req-42");
    reply(response, "{\"echo\":" + body + "}");
  });
  HttpTransport transport(quick_config());
  for (int i = 0; i < 10; ++i) {
    auto exchange = post(transport, server.url("/v1/echo"), std::to_string(i));
    CHECK(exchange->status() == 200);
    CHECK(exchange->header("x-request-id") == "req-42");
    CHECK(exchange->header("X-REQUEST-ID") == "req-42");
    CHECK(exchange->header("absent").empty());
    CHECK(read_body(*exchange) == "{\"echo\":" + std::to_string(i) + "}");
    CHECK(exchange->body_complete());
  }
  CHECK(transport.connections_opened() == 1);
  CHECK(transport.idle_connections() == 1);
}

TEST_CASE("requests are HTTP/1.1 with the given headers exactly once, defaults only when absent", "[transport]") {
  std::mutex mutex;
  std::multimap<std::string, std::string> seen;  // lower-case name -> value
  std::string version, body, uri;
  LoopbackHttpServer server([&](Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
    {
      std::lock_guard lock(mutex);
      seen.clear();
      for (const auto& [name, value] : request) {
        std::string lower = name;
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        seen.emplace(lower, value);
      }
      version = request.getVersion();
      uri = request.getURI();
      body.assign(std::istreambuf_iterator<char>(request.stream()), std::istreambuf_iterator<char>());
    }
    reply(response, "{}");
  });
  HttpTransport transport(quick_config());
  const auto values = [&](const std::string& name) {
    std::lock_guard lock(mutex);
    std::vector<std::string> out;
    for (auto [it, end] = seen.equal_range(name); it != end; ++it) out.push_back(it->second);
    return out;
  };
  using Values = std::vector<std::string>;

  SECTION("defaults added") {
    const std::array headers = {header("Authorization", "Bearer sk-secret"), header("X-Custom", "v1")};
    auto exchange = post(transport, server.url("/v1/chat?x=1"), "{\"a\":1}", headers);
    read_body(*exchange);
    CHECK(version == "HTTP/1.1");
    CHECK(uri == "/v1/chat?x=1");
    CHECK(body == "{\"a\":1}");
    CHECK(values("authorization") == Values{"Bearer sk-secret"});
    CHECK(values("x-custom") == Values{"v1"});
    CHECK(values("host") == Values{"127.0.0.1:" + std::to_string(server.port())});
    CHECK(values("content-type") == Values{"application/json"});
    CHECK(values("accept") == Values{"application/json"});
    CHECK(values("content-length") == Values{"7"});
    CHECK(values("transfer-encoding").empty());
    CHECK(values("connection").empty());  // HTTP/1.1 keeps the connection by default
  }
  SECTION("stream asks for an event stream") {
    auto exchange = post(transport, server.url(), "{}", {}, true);
    read_body(*exchange);
    CHECK(values("accept") == Values{"text/event-stream"});
  }
  SECTION("given Host, Content-Type and Accept win and appear once") {
    const std::array headers = {header("host", "api.example.test"), header("content-type", "application/x-custom"),
                                header("accept", "*/*"), header("Content-Length", "999")};
    auto exchange = post(transport, server.url(), "{}", headers, true);
    read_body(*exchange);
    CHECK(values("host") == Values{"api.example.test"});
    CHECK(values("content-type") == Values{"application/x-custom"});
    CHECK(values("accept") == Values{"*/*"});
    CHECK(values("content-length") == Values{"2"});  // framing stays the transport's
  }
}

TEST_CASE("read_some returns as soon as some body bytes arrived", "[transport]") {
  Gate gate;
  LoopbackHttpServer server(gated_stream(gate, "data: 1\n\n", "data: 2\n\n"));
  HttpTransport transport(quick_config());
  auto exchange = post(transport, server.url(), "{}", {}, true);
  char buffer[16384];
  // The server holds the rest back until the gate opens: a read that waited for a full buffer
  // would never return here.
  const std::size_t n = exchange->read_some(buffer, sizeof(buffer));
  CHECK(std::string(buffer, n) == "data: 1\n\n");
  CHECK_FALSE(exchange->body_complete());
  gate.open();
  std::string rest;
  exchange->read_all(rest);
  CHECK(rest == "data: 2\n\n");
  CHECK(exchange->body_complete());
  CHECK(exchange->read_some(buffer, sizeof(buffer)) == 0);
  exchange.reset();
  CHECK(transport.idle_connections() == 1);
}

TEST_CASE("an exchange abandoned mid-body is not pooled and the next request works", "[transport]") {
  Gate gate;
  std::atomic<int> calls{0};
  LoopbackHttpServer server([&](Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
    if (calls.fetch_add(1) == 0) {
      gated_stream(gate, "data: first\n\n", "data: late\n\n")(request, response);
    } else {
      reply(response, "{\"fresh\":true}");
    }
  });
  HttpTransport transport(quick_config());
  {
    auto exchange = post(transport, server.url(), "{}", {}, true);
    char buffer[64];
    CHECK(exchange->read_some(buffer, sizeof(buffer)) > 0);
  }  // abandoned here
  CHECK(transport.idle_connections() == 0);
  gate.open();
  auto next = post(transport, server.url());
  CHECK(read_body(*next) == "{\"fresh\":true}");
  CHECK(transport.connections_opened() == 2);
}

const std::string ok_one = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: application/json\r\n\r\n\"one\"";
const std::string ok_two = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: application/json\r\n\r\n\"two\"";

TEST_CASE("a pooled connection the server closed while idle is discarded before use", "[transport]") {
  std::atomic<int> requests{0};
  Gate closed;
  RawServer server([&](Poco::Net::StreamSocket& socket, int index) {
    if (!read_request(socket)) return;
    requests.fetch_add(1);
    if (index == 0) {
      send_all(socket, ok_one);
      socket.close();  // the server's keep-alive timeout ran out
      closed.open();
    } else {
      send_all(socket, ok_two);
      read_request(socket);  // keeps the connection open until the client leaves
    }
  });
  HttpTransport transport(quick_config());
  auto first = post(transport, server.url());
  CHECK(read_body(*first) == "\"one\"");
  first.reset();
  REQUIRE(transport.idle_connections() == 1);
  REQUIRE(closed.wait());
  // The close is seen before anything is written: the request goes out once, on a new connection.
  auto second = post(transport, server.url());
  CHECK(read_body(*second) == "\"two\"");
  CHECK(transport.connections_opened() == 2);
  CHECK(requests.load() == 2);
}

TEST_CASE("a request the server read on a reused connection and then dropped is not sent again", "[transport]") {
  // A load balancer that drops a long completion without replying: the request arrived whole and
  // may be running (and billed), so sending it again would do the work twice.
  std::atomic<int> requests{0};
  RawServer server([&](Poco::Net::StreamSocket& socket, int) {
    if (!read_request(socket)) return;
    requests.fetch_add(1);
    send_all(socket, ok_one);
    if (read_request(socket)) requests.fetch_add(1);
    socket.close();  // no answer to the second request
  });
  HttpTransport transport(quick_config());
  auto first = post(transport, server.url());
  CHECK(read_body(*first) == "\"one\"");
  first.reset();
  REQUIRE(transport.idle_connections() == 1);
  const ProviderError error = expect_error([&] { post(transport, server.url()); });
  CHECK(error.kind() == MJ_ERR_CONNECTION);
  CHECK_THAT(error.what(), Catch::Contains("without a response"));
  CHECK(transport.connections_opened() == 1);
  CHECK(server.connections() == 1);
  CHECK(requests.load() == 2);
}

TEST_CASE("a request whose write fails on a reused connection is sent again on a fresh one", "[transport]") {
  // Far more than the socket buffers on both sides hold, so the client is still writing when the
  // server resets the connection.
  const std::string big(32u << 20, 'x');
  std::atomic<std::size_t> resent_body{0};
  RawServer server([&](Poco::Net::StreamSocket& socket, int index) {
    if (index == 0) {
      if (!read_request(socket)) return;
      send_all(socket, ok_one);
      // Takes the next request's first bytes, then closes with the rest unread: the kernel answers
      // with a reset, so the client's write fails and the request never arrived whole.
      char buffer[4096];
      if (socket.receiveBytes(buffer, sizeof(buffer)) <= 0) return;
      socket.close();
    } else {
      const auto request = read_request(socket);
      if (!request) return;
      resent_body.store(request->body.size());
      send_all(socket, ok_two);
      read_request(socket);
    }
  });
  HttpTransport transport(quick_config());
  auto first = post(transport, server.url());
  CHECK(read_body(*first) == "\"one\"");
  first.reset();
  REQUIRE(transport.idle_connections() == 1);
  auto second = post(transport, server.url(), big);
  CHECK(read_body(*second) == "\"two\"");
  CHECK(transport.connections_opened() == 2);
  CHECK(resent_body.load() == big.size());
}

TEST_CASE("a fresh connection that fails is not retried", "[transport]") {
  RawServer server([](Poco::Net::StreamSocket& socket, int) {
    read_request(socket);
    socket.close();
  });
  HttpTransport transport(quick_config());
  const ProviderError error = expect_error([&] { post(transport, server.url()); });
  CHECK(error.kind() == MJ_ERR_CONNECTION);
  CHECK(transport.connections_opened() == 1);
}

TEST_CASE("first-byte timeout", "[transport][timeout]") {
  TransportConfig config = quick_config();
  config.first_byte_timeout = 200ms;
  HttpTransport transport(config);
  const ProviderError error = error_waiting_for_head(transport);
  CHECK(error.kind() == MJ_ERR_TIMEOUT);
  CHECK_THAT(error.what(), Catch::Contains("no response head") && Catch::Contains("200 ms (first_byte timeout"));
  CHECK(transport.idle_connections() == 0);
}

TEST_CASE("idle timeout in the middle of a body", "[transport][timeout]") {
  Gate gate;
  LoopbackHttpServer server(gated_stream(gate, "data: 1\n\n", "data: 2\n\n"));
  TransportConfig config = quick_config();
  config.idle_timeout = 200ms;
  HttpTransport transport(config);
  auto exchange = post(transport, server.url(), "{}", {}, true);
  char buffer[256];
  CHECK(exchange->read_some(buffer, sizeof(buffer)) > 0);
  const ProviderError error = expect_error([&] { exchange->read_some(buffer, sizeof(buffer)); });
  gate.open();
  CHECK(error.kind() == MJ_ERR_TIMEOUT);
  CHECK_THAT(error.what(), Catch::Contains("idle timeout"));
  // A timed-out body never looks like a normal end, and its connection is not pooled.
  CHECK_FALSE(exchange->body_complete());
  CHECK_THROWS_AS(exchange->read_some(buffer, sizeof(buffer)), ProviderError);
  exchange.reset();
  CHECK(transport.idle_connections() == 0);
}

TEST_CASE("total timeout cuts a wait that its own timeout would allow", "[transport][timeout]") {
  TransportConfig config = quick_config();
  config.total_timeout = 300ms;
  HttpTransport transport(config);
  const ProviderError error = error_waiting_for_head(transport);
  CHECK(error.kind() == MJ_ERR_TIMEOUT);
  CHECK_THAT(error.what(), Catch::Contains("300 ms (total timeout)"));
}

TEST_CASE("connection refused is a connection error", "[transport]") {
  std::uint16_t port = 0;
  {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    port = socket.address().port();
  }  // closed: nothing listens there now
  HttpTransport transport(quick_config());
  const ProviderError error = expect_error([&] { post(transport, "http://127.0.0.1:" + std::to_string(port) + "/"); });
  CHECK(error.kind() == MJ_ERR_CONNECTION);
  CHECK_THAT(error.what(), Catch::Contains("refused"));
}

TEST_CASE("a connect that gets no answer ends at the connect timeout", "[transport][timeout]") {
  // A listener whose accept queue is full drops further SYNs, so a connect neither succeeds nor
  // fails: only the SDK's own bound (non-blocking connect + poll) ends it.
  Poco::Net::ServerSocket listener(Poco::Net::SocketAddress("127.0.0.1", 0), 0);
  const Poco::Net::SocketAddress address = listener.address();
  std::vector<Poco::Net::StreamSocket> fillers;
  for (int i = 0; i < 4; ++i) {
    Poco::Net::StreamSocket filler;
    try {
      filler.connect(address, Poco::Timespan(0, 100'000));
    } catch (const Poco::TimeoutException&) {
      break;  // the queue is full
    }
    fillers.push_back(filler);
  }
  TransportConfig config = quick_config();
  config.connect_timeout = 300ms;
  HttpTransport transport(config);
  const auto start = std::chrono::steady_clock::now();
  const ProviderError error = expect_error([&] { post(transport, "http://localhost:" + std::to_string(address.port()) + "/"); });
  const auto waited = std::chrono::steady_clock::now() - start;
  CHECK(error.kind() == MJ_ERR_TIMEOUT);
  CHECK_THAT(error.what(), Catch::Contains("within 300 ms (connect timeout)"));
  CHECK(waited >= 250ms);
  CHECK(waited < 3s);
}

TEST_CASE("malformed and non-http URLs are configuration errors", "[transport]") {
  HttpTransport transport(quick_config());
  for (const char* url : {"ftp://example.test/", "example.test/v1", "http://", "http://:80/", "http://host:0/",
                          "http://host:99999/", "http://host:12ab/", "http://user:pw@host/", "http://host/a b"}) {
    INFO(url);
    const ProviderError error = expect_error([&] { post(transport, url); });
    CHECK(error.kind() == MJ_ERR_CONFIGURATION);
    CHECK_THAT(error.what(), !Catch::Contains("pw"));
  }
}

TEST_CASE("4xx and 5xx statuses do not throw, their bodies are readable", "[transport]") {
  LoopbackHttpServer server([](Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
    const int status = request.getURI() == "/missing" ? 404 : 500;
    reply(response, "{\"error\":" + std::to_string(status) + "}", status);
  });
  HttpTransport transport(quick_config());
  auto missing = post(transport, server.url("/missing"));
  CHECK(missing->status() == 404);
  CHECK(read_body(*missing) == "{\"error\":404}");
  auto failed = post(transport, server.url("/fail"));
  CHECK(failed->status() == 500);
  CHECK(read_body(*failed) == "{\"error\":500}");
}

TEST_CASE("a body cut short by the server is a connection error, never a normal end", "[transport]") {
  SECTION("Content-Length") {
    RawServer server(answers_then_closes("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789"));
    HttpTransport transport(quick_config());
    auto exchange = post(transport, server.url());
    std::string body;
    const ProviderError error = expect_error([&] { exchange->read_all(body); });
    CHECK(error.kind() == MJ_ERR_CONNECTION);
    CHECK_THAT(error.what(), Catch::Contains("10 of 100"));
    CHECK_FALSE(exchange->body_complete());
  }
  SECTION("chunked") {
    RawServer server(answers_then_closes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"));
    HttpTransport transport(quick_config());
    auto exchange = post(transport, server.url());
    std::string body;
    const ProviderError error = expect_error([&] { exchange->read_all(body); });
    CHECK(error.kind() == MJ_ERR_CONNECTION);
    CHECK(body == "hello");
  }
}

TEST_CASE("chunked framing with extensions and trailers, bodies without length end at close", "[transport]") {
  RawServer server([](Poco::Net::StreamSocket& socket, int index) {
    if (!read_request(socket)) return;
    if (index == 0) {
      send_all(socket,
               "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
               "5;ext=1\r\nhello\r\nA\r\n, chunked!\r\n0\r\nX-Trailer: t\r\n\r\n");
      read_request(socket);  // keep the connection open until the client is done
    } else {
      send_all(socket, "HTTP/1.1 200 OK\r\n\r\nuntil close");
      socket.close();
    }
  });
  {
    HttpTransport transport(quick_config());
    auto chunked = post(transport, server.url());
    CHECK(read_body(*chunked) == "hello, chunked!");
    CHECK(chunked->body_complete());
    chunked.reset();
    CHECK(transport.idle_connections() == 1);
  }  // closes the pooled connection, so the server moves on to its second script
  HttpTransport transport(quick_config());
  auto until_close = post(transport, server.url());
  CHECK(read_body(*until_close) == "until close");
  CHECK(until_close->body_complete());
  until_close.reset();
  CHECK(transport.idle_connections() == 0);  // the end of such a body is the end of its connection
}

TEST_CASE("retry_after_ms reads retry-after-ms, seconds, decimals and HTTP dates", "[transport]") {
  LoopbackHttpServer server([](Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
    const std::string& uri = request.getURI();
    if (uri == "/ms") {
      response.set("retry-after-ms", "1500");
      response.set("retry-after", "9");
    } else if (uri == "/seconds") {
      response.set("Retry-After", "2");
    } else if (uri == "/decimal") {
      response.set("Retry-After", "1.5");
    } else if (uri == "/past") {
      response.set("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT");
    } else if (uri == "/future") {
      Poco::DateTime later;
      later += Poco::Timespan(3600, 0);
      response.set("Retry-After", Poco::DateTimeFormatter::format(later, Poco::DateTimeFormat::HTTP_FORMAT));
    } else if (uri == "/garbage") {
      response.set("Retry-After", "soon");
    }
    reply(response, "{}", 429);
  });
  HttpTransport transport(quick_config());
  const auto hint = [&](const std::string& path) {
    auto exchange = post(transport, server.url(path));
    read_body(*exchange);
    return majordomo::sdk::retry_after_ms(*exchange);
  };
  CHECK(hint("/ms") == 1500);
  CHECK(hint("/seconds") == 2000);
  CHECK(hint("/decimal") == 1500);
  CHECK(hint("/past") == 0);
  const int64_t future = hint("/future");
  CHECK(future > 3000 * 1000);
  CHECK(future <= 3600 * 1000);
  CHECK(hint("/garbage") == -1);
  CHECK(hint("/none") == -1);
}

TEST_CASE("many threads share one transport", "[transport]") {
  LoopbackHttpServer server([](Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
    std::string body(std::istreambuf_iterator<char>(request.stream()), {});
    reply(response, body);
  });
  TransportConfig config = quick_config();
  config.max_idle_per_origin = 4;
  HttpTransport transport(config);
  constexpr int kThreads = 8, kRequests = 25;
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRequests; ++i) {
        const std::string body = "{\"t\":" + std::to_string(t) + ",\"i\":" + std::to_string(i) + "}";
        try {
          auto exchange = post(transport, server.url(), body);
          if (read_body(*exchange) == body) good.fetch_add(1);
        } catch (const std::exception&) {
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(good.load() == kThreads * kRequests);
  CHECK(transport.connections_opened() <= static_cast<std::size_t>(kThreads) + kThreads * kRequests / 2);
  CHECK(transport.idle_connections() <= 4);
}

TEST_CASE("the idle list is capped per origin and old idle connections are not reused", "[transport]") {
  LoopbackHttpServer server([](auto&, auto& response) { reply(response, "{}"); });
  SECTION("cap") {
    TransportConfig config = quick_config();
    config.max_idle_per_origin = 2;
    HttpTransport transport(config);
    std::vector<std::unique_ptr<HttpExchange>> open;
    for (int i = 0; i < 4; ++i) open.push_back(post(transport, server.url()));
    for (auto& exchange : open) read_body(*exchange);
    open.clear();
    CHECK(transport.connections_opened() == 4);
    CHECK(transport.idle_connections() == 2);
  }
  SECTION("keep_alive_idle") {
    TransportConfig config = quick_config();
    config.keep_alive_idle = 0ms;
    HttpTransport transport(config);
    read_body(*post(transport, server.url()));
    read_body(*post(transport, server.url()));
    CHECK(transport.connections_opened() == 2);
  }
}

TEST_CASE("an exchange may outlive its transport", "[transport]") {
  LoopbackHttpServer server([](auto&, auto& response) { reply(response, "{\"late\":1}"); });
  auto transport = std::make_unique<HttpTransport>(quick_config());
  auto exchange = post(*transport, server.url());
  transport.reset();
  CHECK(read_body(*exchange) == "{\"late\":1}");
  exchange.reset();  // its pool is closed: the connection is closed, not kept
}

TEST_CASE("TransportConfig::from reads timeouts and flags, 0 keeps the default", "[transport]") {
  mj_instance_config config{};
  config.struct_size = sizeof(config);
  config.flags = MJ_INSTANCE_TLS_NO_VERIFY;
  config.ca_file = {"/etc/ca.pem", 11};
  config.connect_timeout_ms = 1234;
  config.idle_timeout_ms = 0;
  config.total_timeout_ms = 99;
  const TransportConfig result = TransportConfig::from(config);
  const TransportConfig defaults;
  CHECK(result.connect_timeout == 1234ms);
  CHECK(result.first_byte_timeout == defaults.first_byte_timeout);
  CHECK(result.idle_timeout == defaults.idle_timeout);
  CHECK(result.total_timeout == 99ms);
  CHECK_FALSE(result.verify_tls);
  CHECK(result.ca_file == "/etc/ca.pem");

  // A caller built against a smaller struct: fields past its size are absent.
  mj_instance_config old{};
  old.struct_size = offsetof(mj_instance_config, connect_timeout_ms);
  old.connect_timeout_ms = 5;
  CHECK(TransportConfig::from(old).connect_timeout == defaults.connect_timeout);
  CHECK(TransportConfig::from(old).verify_tls);
}

TEST_CASE("finish_without_waiting takes what already arrived and never waits for more", "[transport]") {
  Gate gate;
  LoopbackHttpServer server(gated_stream(gate, "data: 1\n\n", "data: 2\n\n"));
  TransportConfig config = quick_config();
  config.idle_timeout = 30s;  // longer than the gate's safety bound: a read that waited would see the rest
  config.total_timeout = 60s;
  HttpTransport transport(config);
  auto exchange = post(transport, server.url(), "{}", {}, true);
  char buffer[64];
  CHECK(exchange->read_some(buffer, sizeof(buffer)) > 0);
  CHECK_FALSE(exchange->finish_without_waiting());  // the rest is held back until the gate opens
  gate.open();
  exchange.reset();
  CHECK(transport.idle_connections() == 0);
}

TEST_CASE("request headers with line breaks are refused before anything is sent", "[transport]") {
  RawServer server([](Poco::Net::StreamSocket& socket, int) { read_request(socket); });
  HttpTransport transport(quick_config());
  for (const auto& bad : {header("X-Key", "sk-secret\r\nInjected: 1"), header("X-Key\n", "sk-secret"),
                          header("", "sk-secret"), header("X:Key", "sk-secret")}) {
    const std::array headers = {bad};
    const ProviderError error = expect_error([&] { post(transport, server.url(), "{}", headers); });
    CHECK(error.kind() == MJ_ERR_CONFIGURATION);
    CHECK_THAT(error.what(), Catch::Contains("header #1") && !Catch::Contains("sk-secret") &&
                                 !Catch::Contains("X-Key"));
  }
  CHECK(transport.connections_opened() == 0);
}

TEST_CASE("a repeated request header name is sent once, with the last value", "[transport]") {
  HeadRecordingServer server(ok_one);
  HttpTransport transport(quick_config());
  const std::array headers = {header("X-Dup", "first"), header("x-dup", "second"), header("Transfer-Encoding", "gzip")};
  auto exchange = post(transport, server.url("/p?q=1"), "{}", headers);
  CHECK(read_body(*exchange) == "\"one\"");
  const std::string head = server.head();
  CHECK_THAT(head, Catch::StartsWith("POST /p?q=1 HTTP/1.1\r\n"));
  CHECK_THAT(head, Catch::Contains("x-dup: second\r\n") && !Catch::Contains("first") &&
                       !Catch::Contains("gzip") && Catch::Contains("Content-Length: 2\r\n"));
}

TEST_CASE("a large body is read whole whatever the read sizes", "[transport]") {
  std::string big(3 * 1024 * 1024 + 17, 'b');
  for (std::size_t i = 0; i < big.size(); i += 4099) big[i] = static_cast<char>('a' + i % 26);
  LoopbackHttpServer server([&](auto&, auto& response) { reply(response, big); });
  HttpTransport transport(quick_config());
  auto exchange = post(transport, server.url());
  std::string body;
  char small[100];
  const std::size_t first = exchange->read_some(small, sizeof(small));  // through the read buffer
  body.append(small, first);
  exchange->read_all(body);  // then mostly straight into the string
  CHECK(body == big);
  exchange.reset();
  CHECK(transport.idle_connections() == 1);
}
