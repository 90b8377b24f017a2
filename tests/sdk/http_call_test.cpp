// HttpCall tests with a tiny decoder: META first, events in order, terminator handling, JSON bodies, error statuses.
#include "test_servers.hpp"
#include "transport_test_support.hpp"

#include <majordomo/sdk/call.hpp>
#include <majordomo/sdk/errors.hpp>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

using namespace majordomo::sdk;
using namespace majordomo::test;

namespace {

// Text events carry the SSE data as is; `[DONE]` terminates; event type "two" adds two more events;
// a body or event "boom" throws a ProviderError without a request id, as a decoder's parse error does.
class EchoDecoder final : public ResponseDecoder {
 public:
  explicit EchoDecoder(bool need_terminator = false) : need_terminator_(need_terminator) {}

  std::string_view request_id_header() const override { return "x-request-id"; }

  void on_body(std::string_view body, EventSink& sink) override {
    // The body is followed by padding, as simdjson needs: reading it must be safe.
    char padding[SseDecoder::kPadding];
    std::memcpy(padding, body.data() + body.size(), sizeof(padding));
    if (body == "boom") throw ProviderError(MJ_ERR_PARSE, "unreadable body");
    sink.text(body);
    sink.stop(MJ_STOP_END_TURN, "stop");
  }

  bool on_event(const SseEvent& event, EventSink& sink) override {
    if (event.data == "[DONE]") return false;
    if (event.data == "boom") throw ProviderError(MJ_ERR_PARSE, "unreadable event");
    sink.text(event.data);
    if (event.type == "two") {
      sink.text("a");
      sink.reasoning("b");
    }
    return true;
  }

  void on_stream_end(bool terminator_seen, EventSink& sink) override {
    if (!terminator_seen && need_terminator_)
      throw ProviderError(MJ_ERR_CONNECTION, "stream ended without its terminator");
    mj_usage usage{};
    usage.output_tokens = 7;
    sink.usage(usage);
    sink.stop(terminator_seen ? MJ_STOP_END_TURN : MJ_STOP_UNKNOWN, terminator_seen ? "done" : "eof");
  }

  [[noreturn]] void on_error_status(const HttpExchange& exchange, std::string_view body) override {
    throw ProviderError(majordomo::sdk::error_kind_for_http_status(exchange.status()),
                        "provider said: " + std::string(body), exchange.status(), "test_error",
                        std::string(exchange.header("x-request-id")), majordomo::sdk::retry_after_ms(exchange));
  }

 private:
  bool need_terminator_;
};

struct Seen {
  int32_t type;
  std::string text;
};

std::vector<Seen> drain(HttpCall& call) {
  std::vector<Seen> seen;
  mj_event event{};
  while (call.next(event)) {
    REQUIRE(event.struct_size == sizeof(mj_event));
    std::string text;
    if (event.type == MJ_EVENT_META) text.assign(event.request_id.data, event.request_id.size);
    else if (event.type == MJ_EVENT_USAGE) text = std::to_string(event.usage.output_tokens);
    else text.assign(event.text.data, event.text.size);
    seen.push_back({event.type, text});
  }
  return seen;
}

// call_params for a URL or body that lives until the end of the statement that makes the call.
mj_call_params params_for(const std::string& url, bool stream, const std::string& body = "{}") {
  return call_params(url, stream, body);
}

// The error a non-streaming call to `url` ends in, right after its META event.
ProviderError error_after_meta(HttpTransport& transport, const std::string& url) {
  HttpCall call(transport, params_for(url, false), std::make_unique<EchoDecoder>());
  mj_event event{};
  REQUIRE(call.next(event));  // META
  return expect_error([&] { call.next(event); });
}

// Answers every request with `body` (Content-Length framed), its type and request id.
LoopbackHttpServer::Handler body_handler(std::string request_id, std::string content_type, std::string body) {
  return [request_id = std::move(request_id), content_type = std::move(content_type), body = std::move(body)](
             Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
    request.stream().ignore(std::numeric_limits<std::streamsize>::max());
    response.set("x-request-id", request_id);
    response.setContentType(content_type);
    response.setContentLength(static_cast<std::streamsize>(body.size()));
    response.send() << body;
  };
}

LoopbackHttpServer::Handler sse_handler(std::string events, bool with_request_id = true) {
  return [events = std::move(events), with_request_id](Poco::Net::HTTPServerRequest& request,
                                                        Poco::Net::HTTPServerResponse& response) {
    request.stream().ignore(std::numeric_limits<std::streamsize>::max());
    if (with_request_id) response.set("X-Request-Id", "req-7");
    response.setChunkedTransferEncoding(true);
    response.setContentType("text/event-stream");
    std::ostream& out = response.send();
    // One chunk per event, as streaming servers send them.
    std::size_t at = 0;
    while (at < events.size()) {
      const std::size_t end = events.find("\n\n", at);
      const std::size_t stop = end == std::string::npos ? events.size() : end + 2;
      out << events.substr(at, stop - at);
      out.flush();
      at = stop;
    }
  };
}

bool operator==(const Seen& a, const Seen& b) { return a.type == b.type && a.text == b.text; }
std::ostream& operator<<(std::ostream& out, const Seen& seen) { return out << seen.type << ":" << seen.text; }

}  // namespace

TEST_CASE("HttpCall streams events in order, META first, and drains after the terminator", "[call]") {
  // The whole response goes out in one write, so what follows [DONE] (and the end of the body) has
  // arrived when the call looks for it: the call takes it without waiting and pools the connection.
  const std::string events =
      "data: one\n\n: keep-alive\n\nevent: two\ndata: x\n\nid: 3\ndata: m1\ndata: m2\n\ndata: [DONE]\n\ndata: after\n\n";
  std::string response = "HTTP/1.1 200 OK\r\nX-Request-Id: req-7\r\nContent-Type: text/event-stream\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n";
  for (std::size_t at = 0; at < events.size();) {  // one chunk per event, as streaming servers send them
    const std::size_t stop = std::min(events.find("\n\n", at) + 2, events.size());
    char size[16];
    std::snprintf(size, sizeof(size), "%zx\r\n", stop - at);
    response += size + events.substr(at, stop - at) + "\r\n";
    at = stop;
  }
  response += "0\r\n\r\n";
  RawServer server(answers_once(response));
  HttpTransport transport(TransportConfig{});
  std::vector<Seen> seen;
  {
    HttpCall call(transport, params_for(server.url(), true), std::make_unique<EchoDecoder>());
    seen = drain(call);
    mj_event event{};
    CHECK_FALSE(call.next(event));  // stays ended
  }
  const std::vector<Seen> expected = {{MJ_EVENT_META, "req-7"},     {MJ_EVENT_TEXT, "one"},
                                      {MJ_EVENT_TEXT, "x"},         {MJ_EVENT_TEXT, "a"},
                                      {MJ_EVENT_REASONING, "b"},    {MJ_EVENT_TEXT, "m1\nm2"},
                                      {MJ_EVENT_USAGE, "7"},        {MJ_EVENT_STOP, "done"}};
  CHECK(seen == expected);
  CHECK(transport.idle_connections() == 1);  // drained to the end, so pooled
}

TEST_CASE("HttpCall without a request id header starts with the first decoded event", "[call]") {
  LoopbackHttpServer server(sse_handler("data: only\n\n", false));
  HttpTransport transport(TransportConfig{});
  HttpCall call(transport, params_for(server.url(), true), std::make_unique<EchoDecoder>());
  const std::vector<Seen> expected = {{MJ_EVENT_TEXT, "only"}, {MJ_EVENT_USAGE, "7"}, {MJ_EVENT_STOP, "eof"}};
  CHECK(drain(call) == expected);
}

TEST_CASE("HttpCall reports a stream that ends without its terminator when the decoder requires one", "[call]") {
  LoopbackHttpServer server(sse_handler("data: partial\n\n"));
  HttpTransport transport(TransportConfig{});
  HttpCall call(transport, params_for(server.url(), true), std::make_unique<EchoDecoder>(true));
  mj_event event{};
  REQUIRE(call.next(event));
  CHECK(event.type == MJ_EVENT_META);
  REQUIRE(call.next(event));
  CHECK(event.type == MJ_EVENT_TEXT);
  const ProviderError error = expect_error([&] { call.next(event); });
  CHECK(error.kind() == MJ_ERR_CONNECTION);
  CHECK(error.request_id() == "req-7");  // filled in from the header: the decoder had none
}

TEST_CASE("HttpCall decodes a JSON body in one step", "[call]") {
  LoopbackHttpServer server([](Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
    std::string body(std::istreambuf_iterator<char>(request.stream()), {});
    response.set("x-request-id", "req-json");
    response.setContentType("application/json");
    response.setContentLength(static_cast<std::streamsize>(body.size()));
    response.send() << body;
  });
  HttpTransport transport(TransportConfig{});
  HttpCall call(transport, params_for(server.url(), false, "{\"answer\":42}"), std::make_unique<EchoDecoder>());
  const std::vector<Seen> expected = {
      {MJ_EVENT_META, "req-json"}, {MJ_EVENT_TEXT, "{\"answer\":42}"}, {MJ_EVENT_STOP, "stop"}};
  CHECK(drain(call) == expected);
}

TEST_CASE("HttpCall turns a non-2xx status into the decoder's typed error, after META", "[call]") {
  LoopbackHttpServer server([](Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& response) {
    response.setStatus(Poco::Net::HTTPResponse::HTTP_TOO_MANY_REQUESTS);
    response.set("x-request-id", "req-429");
    response.set("retry-after", "3");
    response.setContentType("application/json");
    response.setContentLength(21);
    response.send() << "{\"error\":\"slow down\"}";
  });
  HttpTransport transport(TransportConfig{});
  HttpCall call(transport, params_for(server.url(), true), std::make_unique<EchoDecoder>());
  mj_event event{};
  REQUIRE(call.next(event));
  CHECK(event.type == MJ_EVENT_META);
  const ProviderError error = expect_error([&] { call.next(event); });
  CHECK(error.kind() == MJ_ERR_RATE_LIMITED);
  CHECK(error.http_status() == 429);
  CHECK(error.retry_after_ms() == 3000);
  CHECK(error.request_id() == "req-429");
  CHECK(std::string(error.what()) == "provider said: {\"error\":\"slow down\"}");
}

TEST_CASE("HttpCall's constructor reports send failures", "[call]") {
  HttpTransport transport(TransportConfig{});
  const std::string url = "gopher://nowhere/";
  CHECK_THROWS_AS(HttpCall(transport, params_for(url, false), std::make_unique<EchoDecoder>()), ProviderError);
}

TEST_CASE("HttpCall ends right after the terminator when the body stays open", "[call]") {
  Gate release, handler_done;
  std::atomic<bool> released_by_test{false};
  std::atomic<int> calls{0};
  LoopbackHttpServer server([&](Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
    request.stream().ignore(std::numeric_limits<std::streamsize>::max());
    if (calls.fetch_add(1) > 0) {
      response.setContentType("application/json");
      response.setContentLength(2);
      response.send() << "{}";
      return;
    }
    response.set("x-request-id", "req-7");
    response.setChunkedTransferEncoding(true);
    response.setContentType("text/event-stream");
    std::ostream& out = response.send();
    out << "data: one\n\ndata: [DONE]\n\n";
    out.flush();
    // Holds the body open after the terminator, as some proxies do. The test opens the gate only
    // once the call has ended: a call waiting for the end of this body would still be waiting
    // when the gate's safety bound runs out, and the body would then end normally.
    released_by_test.store(release.wait());
    handler_done.open();
  });
  TransportConfig config;  // the default 60 s idle timeout: a waiting call would not time out first
  HttpTransport transport(config);
  std::vector<Seen> seen;
  {
    HttpCall call(transport, params_for(server.url(), true), std::make_unique<EchoDecoder>(true));
    seen = drain(call);
    release.open();
  }
  const std::vector<Seen> expected = {
      {MJ_EVENT_META, "req-7"}, {MJ_EVENT_TEXT, "one"}, {MJ_EVENT_USAGE, "7"}, {MJ_EVENT_STOP, "done"}};
  CHECK(seen == expected);  // the answer is complete
  REQUIRE(handler_done.wait());
  CHECK(released_by_test.load());  // the call ended without waiting for the body to end
  // A body that had not ended cannot carry another request: the connection was closed.
  CHECK(transport.idle_connections() == 0);
  HttpCall next(transport, params_for(server.url(), false), std::make_unique<EchoDecoder>());
  drain(next);
  CHECK(transport.connections_opened() == 2);
}

TEST_CASE("HttpCall replays the OpenAI stream fixture served in odd-sized chunks", "[call][fixture]") {
  std::ifstream file(std::string(MAJORDOMO_TEST_FIXTURES) + "/openai/chat_completion_stream.sse", std::ios::binary);
  const std::string fixture((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  REQUIRE(!fixture.empty());
  LoopbackHttpServer server([&](Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
    request.stream().ignore(std::numeric_limits<std::streamsize>::max());
    response.setChunkedTransferEncoding(true);
    std::ostream& out = response.send();
    for (std::size_t at = 0; at < fixture.size(); at += 777) {
      out << fixture.substr(at, 777);
      out.flush();
    }
  });
  HttpTransport transport(TransportConfig{});
  HttpCall call(transport, params_for(server.url(), true), std::make_unique<EchoDecoder>(true));
  const std::vector<Seen> seen = drain(call);
  REQUIRE(seen.size() == 33 + 2);  // 33 data events before [DONE], then usage and stop
  CHECK(seen.front().text.rfind("{\"id\":\"chatcmpl-ABfw031mOJeYCSHe4yI2ZjOA6kMJL\"", 0) == 0);
  CHECK(seen.back() == Seen{MJ_EVENT_STOP, "done"});
}

TEST_CASE("HttpCall decodes a JSON answer to a streaming request as a body", "[call]") {
  // OpenAI-compatible servers that ignore "stream": true answer like this.
  LoopbackHttpServer server(body_handler("req-json", "Application/JSON; charset=utf-8", "{\"answer\":42}"));
  HttpTransport transport(TransportConfig{});
  HttpCall call(transport, params_for(server.url(), true), std::make_unique<EchoDecoder>(true));
  const std::vector<Seen> expected = {
      {MJ_EVENT_META, "req-json"}, {MJ_EVENT_TEXT, "{\"answer\":42}"}, {MJ_EVENT_STOP, "stop"}};
  CHECK(drain(call) == expected);
}

TEST_CASE("HttpCall adds the request id to decoder errors that lack one", "[call]") {
  SECTION("mid-stream") {
    LoopbackHttpServer server(sse_handler("data: one\n\ndata: boom\n\ndata: [DONE]\n\n"));
    HttpTransport transport(TransportConfig{});
    HttpCall call(transport, params_for(server.url(), true), std::make_unique<EchoDecoder>(true));
    mj_event event{};
    REQUIRE(call.next(event));  // META
    REQUIRE(call.next(event));  // "one"
    const ProviderError error = expect_error([&] { call.next(event); });
    CHECK(error.kind() == MJ_ERR_PARSE);
    CHECK(std::string(error.what()) == "unreadable event");
    CHECK(error.request_id() == "req-7");
  }
  SECTION("body") {
    LoopbackHttpServer server(body_handler("req-body", "application/json", "boom"));
    HttpTransport transport(TransportConfig{});
    const ProviderError error = error_after_meta(transport, server.url());
    CHECK(error.kind() == MJ_ERR_PARSE);
    CHECK(error.request_id() == "req-body");
  }
}

TEST_CASE("HttpCall bounds the bodies it reads", "[call]") {
  // Claims five gigabytes, sends 100 KiB, and keeps the connection open until the client leaves.
  const auto huge = [](const char* status) {
    return answers_once(std::string("HTTP/1.1 ") + status +
                        "\r\nX-Request-Id: req-big\r\nContent-Type: application/json\r\n"
                        "Content-Length: 5000000000\r\n\r\n" +
                        std::string(100 * 1024, 'x'));
  };
  SECTION("an error body is cut to what error decoding needs") {
    RawServer server(huge("500 Internal Server Error"));
    HttpTransport transport(TransportConfig{});
    const ProviderError error = error_after_meta(transport, server.url());
    CHECK(error.kind() == MJ_ERR_SERVER);
    CHECK(std::string(error.what()) ==
          "provider said: " + std::string(HttpExchange::kMaxErrorBodySize, 'x'));
    CHECK(transport.idle_connections() == 0);
  }
  SECTION("a 2xx body over the limit is a parse error") {
    RawServer server(huge("200 OK"));
    HttpTransport transport(TransportConfig{});
    const ProviderError error = error_after_meta(transport, server.url());
    CHECK(error.kind() == MJ_ERR_PARSE);
    CHECK_THAT(error.what(), Catch::Contains("response body larger than"));
    CHECK(error.request_id() == "req-big");
  }
}

namespace {

// Each event's data goes out as what an answer keeps: "call" starts tool call 0 with the data as
// its arguments, "args" adds the data to it, anything else is a continuation item.
class KeepingDecoder final : public ResponseDecoder {
 public:
  std::string_view request_id_header() const override { return "x-request-id"; }
  void on_body(std::string_view body, EventSink& sink) override { sink.continuation(body); }
  bool on_event(const SseEvent& event, EventSink& sink) override {
    if (event.type == "call") sink.tool_call_start(0, "id", "name", event.data);
    else if (event.type == "args") sink.tool_call_arguments(0, event.data);
    else if (event.type == "text") sink.text(event.data);
    else if (event.type == "reasoning") sink.reasoning(event.data);
    else sink.continuation(event.data);
    return true;
  }
  void on_stream_end(bool, EventSink&) override {}
  [[noreturn]] void on_error_status(const HttpExchange& exchange, std::string_view) override {
    throw ProviderError(MJ_ERR_SERVER, "unexpected status", exchange.status());
  }
};

}  // namespace

TEST_CASE("The retained-bytes budget counts, refunds, and refuses past its limit", "[call][limits]") {
  RetainedBytesBudget budget;
  CHECK(budget.limit() == HttpExchange::kMaxBodySize);
  budget.set_limit(100, "http://127.0.0.1:9");
  budget.charge(60);
  budget.charge(40);  // exactly the limit is allowed
  CHECK(budget.used() == 100);
  const ProviderError error = expect_error([&] { budget.charge(1); });
  CHECK(error.kind() == MJ_ERR_PARSE);
  CHECK_THAT(error.what(), Catch::Contains("http://127.0.0.1:9") && Catch::Contains("more than 100 bytes") &&
                               Catch::Contains("--max-body-bytes"));
  CHECK(budget.used() == 100);  // a refused charge counts nothing
  budget.refund(30);
  budget.charge(30);
  budget.refund(1000);  // more than was charged leaves nothing, never a wrap-around
  CHECK(budget.used() == 0);
  CHECK_THROWS_AS(budget.charge(std::numeric_limits<std::size_t>::max()), ProviderError);
}

TEST_CASE("HttpCall bounds what a streamed answer keeps by max_body_bytes", "[call][limits]") {
  // Every event is small; together they pass the limit: the call fails at the event that does,
  // having handed out only what fitted.
  const std::string piece(300, 'k');
  std::string events;
  SECTION("continuation items") {
    for (int i = 0; i < 10; ++i) events += "data: " + piece + "\n\n";
  }
  SECTION("tool-call arguments") {
    events = "event: call\ndata: {\n\n";
    for (int i = 0; i < 10; ++i) events += "event: args\ndata: " + piece + "\n\n";
  }
  SECTION("answer text and reasoning, which the host joins for the whole call too") {
    for (int i = 0; i < 10; ++i) events += std::string(i % 2 ? "event: text" : "event: reasoning") + "\ndata: " + piece + "\n\n";
  }
  LoopbackHttpServer server(sse_handler(events));
  TransportConfig config;
  config.max_body_bytes = 1000;
  HttpTransport transport(config);
  HttpCall call(transport, params_for(server.url(), true), std::make_unique<KeepingDecoder>());
  std::size_t kept = 0;
  mj_event event{};
  const ProviderError error = expect_error([&] {
    for (int i = 0; i < 20 && call.next(event); ++i) {
      if (event.type != MJ_EVENT_META) kept += event.text.size + event.tool_call_id.size + event.tool_name.size;
    }
  });
  CHECK(error.kind() == MJ_ERR_PARSE);
  CHECK_THAT(error.what(), Catch::Contains("more than 1000 bytes") && Catch::Contains("max_body_bytes"));
  CHECK(error.request_id() == "req-7");
  CHECK(kept <= 1000);
  CHECK(kept >= 900);  // three pieces fitted before the fourth was refused
}

TEST_CASE("HttpCall lets a streamed answer keep up to max_body_bytes", "[call][limits]") {
  std::string events;
  for (int i = 0; i < 3; ++i) events += "data: " + std::string(300, 'k') + "\n\n";
  LoopbackHttpServer server(sse_handler(events));
  TransportConfig config;
  config.max_body_bytes = 900;
  HttpTransport transport(config);
  HttpCall call(transport, params_for(server.url(), true), std::make_unique<KeepingDecoder>());
  const std::vector<Seen> seen = drain(call);
  REQUIRE(seen.size() == 4);  // META and the three items
  CHECK(seen.back() == Seen{MJ_EVENT_CONTINUATION, std::string(300, 'k')});
}

namespace {

// The text of the next event, which must be a text event.
std::string next_text(HttpCall& call) {
  mj_event event{};
  REQUIRE(call.next(event));
  REQUIRE(event.type == MJ_EVENT_TEXT);
  return std::string(event.text.data, event.text.size);
}

}  // namespace

TEST_CASE("HttpCall::ready says yes exactly while the next event was already received", "[call][ready]") {
  // Two events in one write, then nothing until the test opens the gate: the call cannot have the
  // third before that, so ready() must say no there, whatever the timing.
  Gate more;
  RawServer server([&](Poco::Net::StreamSocket& socket, int) {
    if (!read_request(socket)) return;
    send_all(socket, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nX-Request-Id: req-9\r\n"
                     "Connection: close\r\n\r\ndata: one\n\ndata: two\n\n");
    if (!more.wait()) return;
    send_all(socket, "data: three\n\ndata: [DONE]\n\n");
  });
  HttpTransport transport(TransportConfig{});
  HttpCall call(transport, params_for(server.url(), true), std::make_unique<EchoDecoder>(true));
  CHECK_FALSE(call.ready());  // nothing decoded before the first next()
  mj_event event{};
  REQUIRE(call.next(event));
  CHECK(event.type == MJ_EVENT_META);
  CHECK(next_text(call) == "one");
  CHECK(call.ready());  // "two" came in the same write
  CHECK(next_text(call) == "two");
  CHECK_FALSE(call.ready());  // the server holds "three" back
  more.open();
  CHECK(next_text(call) == "three");
  // After the last text, the rest (usage and stop after [DONE]) is at hand or due: when ready()
  // says yes, next() answers from what was received.
  const bool at_hand = call.ready();
  REQUIRE(call.next(event));
  CHECK(event.type == MJ_EVENT_USAGE);
  if (at_hand) CHECK(call.ready());
  REQUIRE(call.next(event));
  CHECK(event.type == MJ_EVENT_STOP);
  CHECK(call.ready());  // the end is known
  CHECK_FALSE(call.next(event));
  CHECK(call.ready());
}

TEST_CASE("HttpCall::ready takes what the socket already received, without waiting", "[call][ready]") {
  // The whole answer is sent before the first next(); its second event (40 KB) is longer than
  // what the first reads hold, so it is complete only with bytes still in the socket. ready()
  // reads those without waiting (0.6; before, it said no until next() read them). Then the
  // server holds the rest back: ready() must say no, however long it looks.
  const std::string big(40'000, 'x');
  Gate sent, more;
  const bool chunked = GENERATE(false, true);
  RawServer server([&](Poco::Net::StreamSocket& socket, int) {
    if (!read_request(socket)) return;
    std::string body = "data: one\n\ndata: " + big + "\n\n";
    std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nX-Request-Id: req-8\r\nConnection: close\r\n";
    if (chunked) {
      // Chunks of 10 000 bytes: the framing between them is met inside the bytes read ahead.
      std::string framed;
      for (std::size_t at = 0; at < body.size(); at += 10'000) {
        const std::string piece = body.substr(at, 10'000);
        framed += fmt::format("{:x}\r\n{}\r\n", piece.size(), piece);
      }
      send_all(socket, head + "Transfer-Encoding: chunked\r\n\r\n" + framed);
    } else {
      send_all(socket, head + "\r\n" + body);
    }
    sent.open();
    if (!more.wait()) return;
    const std::string rest = "data: three\n\ndata: [DONE]\n\n";
    send_all(socket, chunked ? fmt::format("{:x}\r\n{}\r\n0\r\n\r\n", rest.size(), rest) : rest);
  });
  HttpTransport transport(TransportConfig{});
  HttpCall call(transport, params_for(server.url(), true), std::make_unique<EchoDecoder>(true));
  REQUIRE(sent.wait());
  mj_event event{};
  REQUIRE(call.next(event));
  CHECK(event.type == MJ_EVENT_META);
  CHECK(next_text(call) == "one");
  CHECK(call.ready());  // the 40 KB event is complete with what the socket holds
  CHECK(next_text(call) == big);
  CHECK_FALSE(call.ready());  // nothing more was sent
  CHECK_FALSE(call.ready());  // and asking again does not wait for it either
  more.open();
  CHECK(next_text(call) == "three");
  REQUIRE(call.next(event));
  CHECK(event.type == MJ_EVENT_USAGE);
}

TEST_CASE("HttpCall::ready keeps an error it meets for next(), with the request id", "[call][ready]") {
  // Both events in one write: "boom" is decoded (and fails) while ready() looks ahead.
  RawServer server(answers_once("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nX-Request-Id: req-7\r\n"
                                "Connection: close\r\n\r\ndata: one\n\ndata: boom\n\ndata: [DONE]\n\n"));
  HttpTransport transport(TransportConfig{});
  HttpCall call(transport, params_for(server.url(), true), std::make_unique<EchoDecoder>(true));
  mj_event event{};
  REQUIRE(call.next(event));  // META
  CHECK(next_text(call) == "one");
  CHECK(call.ready());  // the error is at hand
  CHECK(call.ready());  // and stays so
  const ProviderError error = expect_error([&] { call.next(event); });
  CHECK(error.kind() == MJ_ERR_PARSE);
  CHECK(std::string(error.what()) == "unreadable event");
  CHECK(error.request_id() == "req-7");
}

TEST_CASE("HttpCall::ready is no for a JSON body and an error status, which next() reads whole", "[call][ready]") {
  SECTION("JSON body") {
    LoopbackHttpServer server(body_handler("req-json", "application/json", "{\"answer\":42}"));
    HttpTransport transport(TransportConfig{});
    HttpCall call(transport, params_for(server.url(), false), std::make_unique<EchoDecoder>());
    mj_event event{};
    REQUIRE(call.next(event));  // META
    CHECK_FALSE(call.ready());
    CHECK(drain(call).size() == 2);  // the text and the stop: nothing was lost by asking
  }
  SECTION("error status") {
    RawServer server(answers_once("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy"));
    HttpTransport transport(TransportConfig{});
    HttpCall call(transport, params_for(server.url(), true), std::make_unique<EchoDecoder>());
    mj_event event{};
    CHECK_FALSE(call.ready());  // the error's body is read by next(), which may wait for it
    const ProviderError error = expect_error([&] { call.next(event); });
    CHECK(error.http_status() == 503);
  }
}
