// How the gateway relays a stream: bursts in one write, nothing held back across a pause, HTTP/1.0 unchunked, a client that stops reading given up, a reload meanwhile.
#include "gateway_test_env.hpp"
#include "scripted_streams.hpp"

#include <majordomo/logging.hpp>

#include <catch2/catch.hpp>

#include <Poco/Net/StreamSocket.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace majordomo;
using namespace majordomo::testing;

namespace {

// A chunked answer as the client received it: the head, and each chunk's data in order.
struct ChunkedAnswer {
  std::string head;
  std::vector<std::string> chunks;
  std::string body() const { return joined(chunks); }
};

// Reads a whole chunked answer (up to its last, empty chunk) and splits it into its chunks.
ChunkedAnswer read_chunked(Poco::Net::StreamSocket& socket) {
  std::string received;
  char buffer[16384];
  while (received.find("\r\n0\r\n\r\n") == std::string::npos) {
    REQUIRE(received.size() < (std::size_t{1} << 20));
    const int n = socket.receiveBytes(buffer, sizeof buffer);
    REQUIRE(n > 0);
    received.append(buffer, static_cast<std::size_t>(n));
  }
  ChunkedAnswer answer;
  const std::size_t head_end = received.find("\r\n\r\n");
  REQUIRE(head_end != std::string::npos);
  answer.head = received.substr(0, head_end + 2);
  std::size_t at = head_end + 4;
  for (int guard = 0; guard < 100000; ++guard) {
    const std::size_t line_end = received.find("\r\n", at);
    REQUIRE(line_end != std::string::npos);
    const std::size_t size = std::stoul(received.substr(at, line_end - at), nullptr, 16);
    if (size == 0) break;
    answer.chunks.push_back(received.substr(line_end + 2, size));
    at = line_end + 2 + size + 2;
  }
  return answer;
}

}  // namespace

TEST_CASE("gateway: events that arrive together upstream leave in one write, the first one at once", "[gateway][relay]") {
  const auto log_file = std::filesystem::temp_directory_path() / fmt::format("majordomo-gw-relay-{}.db", ::getpid());
  std::filesystem::remove(log_file);
  // With the call log on, the stream passes through the logging layer too, which must pass
  // ready() on.
  GatewayTestEnv env({}, fmt::format(R"("log": "sqlite:{}")", log_file.string()));
  const std::vector<std::string> pieces = numbered_words(40);
  stream_next(env.server, pieces);  // the whole stream in one write
  Poco::Net::StreamSocket client = send_raw(env.gateway->port(), chat_body("openai/gpt-4o", true));
  const ChunkedAnswer answer = read_chunked(client);
  CHECK_THAT(answer.head, Catch::Matchers::StartsWith("HTTP/1.1 200"));
  // Nothing lost or reordered: every word in order, then OpenAI's end.
  const std::string body = answer.body();
  std::size_t at = 0;
  for (const std::string& word : pieces) {
    const std::size_t found = body.find(fmt::format(R"("content":"{}")", word), at);
    REQUIRE(found != std::string::npos);
    at = found;
  }
  CHECK_THAT(body, Catch::Matchers::EndsWith("data: [DONE]\n\n"));
  // The first event went out alone, as soon as it was there ...
  REQUIRE_FALSE(answer.chunks.empty());
  CHECK_THAT(answer.chunks[0], Catch::Matchers::Contains(R"("content":"w0 ")"));
  CHECK_THAT(answer.chunks[0], !Catch::Matchers::Contains(R"("content":"w1 ")"));
  // ... and the 39 that followed in the same write upstream went out together: a write per event
  // would have made 40 chunks. (Where the head's read ends within the body, a read boundary
  // upstream may add one.)
  std::string sizes;
  for (const std::string& chunk : answer.chunks) sizes += fmt::format(" {}", chunk.size());
  INFO("chunk sizes:" << sizes);
  CHECK(answer.chunks.size() <= 3);
  env.gateway->shutdown();
  std::filesystem::remove(log_file);
}

TEST_CASE("gateway: a pause upstream does not hold back the events that came before it", "[gateway][relay]") {
  GatewayTestEnv env;
  const std::vector<std::string> pieces = numbered_words(6);
  // Three words, then a minute of silence: what came before must reach the client meanwhile.
  stream_next(env.server, pieces, bytes_of_words(pieces, 3));
  Poco::Net::StreamSocket client = send_raw(env.gateway->port(), chat_body("openai/gpt-4o", true));
  client.setReceiveTimeout(Poco::Timespan(20, 0));  // far below the pause: a held-back event fails here
  const std::string received = receive_until(client, R"("content":"w2 ")");
  REQUIRE_THAT(received, Catch::Matchers::Contains(R"("content":"w2 ")"));
  CHECK_THAT(received, Catch::Matchers::Contains(R"("content":"w0 ")"));
  CHECK_THAT(received, Catch::Matchers::Contains(R"("content":"w1 ")"));
  CHECK_THAT(received, !Catch::Matchers::Contains(R"("content":"w3 ")"));
  client.close();  // hangs up: the gateway cancels the paused call
}

TEST_CASE("gateway: an HTTP/1.0 client gets the stream unchunked, ended by closing the connection", "[gateway][relay]") {
  GatewayTestEnv env;
  const std::vector<std::string> pieces = numbered_words(10);
  stream_next(env.server, pieces);
  Poco::Net::StreamSocket client = send_raw(env.gateway->port(), chat_body("openai/gpt-4o", true), "1.0");
  std::string received;
  char buffer[16384];
  for (int n = 0; (n = client.receiveBytes(buffer, sizeof buffer)) > 0;) {  // until the gateway closes
    received.append(buffer, static_cast<std::size_t>(n));
    REQUIRE(received.size() < (std::size_t{1} << 20));
  }
  const std::size_t head_end = received.find("\r\n\r\n");
  REQUIRE(head_end != std::string::npos);
  const std::string head = received.substr(0, head_end);
  const std::string body = received.substr(head_end + 4);
  CHECK_THAT(head, Catch::Matchers::Contains(" 200 "));
  CHECK_THAT(head, !Catch::Matchers::Contains("chunked"));
  // The events as they are, no chunk framing: they start at once and end with OpenAI's end.
  CHECK_THAT(body, Catch::Matchers::StartsWith("data: {"));
  CHECK_THAT(body, Catch::Matchers::EndsWith("data: [DONE]\n\n"));
  std::size_t at = 0;
  for (const std::string& word : pieces) {
    const std::size_t found = body.find(fmt::format(R"("content":"{}")", word), at);
    REQUIRE(found != std::string::npos);
    at = found;
  }
}

TEST_CASE("gateway: a client that stops reading is given up after client_timeout_s, and its call ends as cancelled", "[gateway][relay]") {
  const auto log_file = std::filesystem::temp_directory_path() / fmt::format("majordomo-gw-stalled-{}.db", ::getpid());
  std::filesystem::remove(log_file);
  {
    GatewayTestEnv env({}, fmt::format(R"("log": "sqlite:{}", "limits": {{"client_timeout_s": 1}})", log_file.string()));
    // Far more than the client's small buffer and the gateway's send buffer hold together (a
    // send buffer grows up to tcp_wmem's maximum, 4 MiB by default): the gateway's writes must
    // block. Each word is ~190 bytes on its way out.
    long send_buffer_max = 4L << 20;
    if (std::ifstream wmem("/proc/sys/net/ipv4/tcp_wmem"); wmem) {
      long low = 0, initial = 0;
      wmem >> low >> initial >> send_buffer_max;
    }
    const int words = static_cast<int>(std::max(60000L, std::min(2 * send_buffer_max / 150, 2'000'000L)));
    const std::vector<std::string> pieces = numbered_words(words);
    stream_next(env.server, pieces);
    Poco::Net::StreamSocket client =
        send_raw(env.gateway->port(), chat_body("openai/gpt-4o", true), "1.1", 4096);
    // Its first event proves the call took the scripted stream (the fake hands out answers in
    // the order requests reach it); after it the client reads nothing more.
    REQUIRE_THAT(receive_until(client, R"("content":"w0 ")"), Catch::Matchers::Contains(R"("content":"w0 ")"));
    // The gateway gives up after its 1 s send timeout and ends the call, and answers the next
    // client meanwhile (one blocked thread is all a stalled client costs).
    const GatewayReply other = env.post("/v1/chat/completions", chat_body("openai/gpt-4o"));
    CHECK(other.status == 200);
    // Shut down only after the stalled call ended (the drain waits for it, bounded by the grace):
    // its row is then in the log.
    env.gateway->shutdown();
    client.close();
  }
  const std::vector<LogRecord> rows = read_log("sqlite:" + log_file.string(), 5);
  REQUIRE(rows.size() == 2);
  int cancelled = 0;
  for (const LogRecord& row : rows) {
    if (row.operation == "stream") {
      CHECK(row.status == "cancelled");
      ++cancelled;
    }
  }
  CHECK(cancelled == 1);
  std::filesystem::remove(log_file);
}

TEST_CASE("gateway: a stream in flight during a reload ends on what it started with, and the next requests use the new configuration", "[gateway][relay][reload]") {
  // The reloaded configuration keeps only team-b's key and sends openai/ to a port where nothing
  // listens on loopback: a request that used it would fail.
  std::string reloaded;
  GatewayTestEnv env({}, {}, {}, [&reloaded] { return gateway::parse_gateway_config(reloaded, "reloaded test config"); });
  reloaded = env.configuration(fmt::format(R"([{{"name": "team-b", "sha256": "{}"}}])", hex_sha256(kOtherGatewayKey)), {});
  const std::string old_base = fmt::format(R"("base_url": "{}/v1")", env.server.origin());
  REQUIRE(reloaded.find(old_base) != std::string::npos);
  reloaded.replace(reloaded.find(old_base), old_base.size(), R"("base_url": "http://127.0.0.1:9/v1")");

  // Three words, a pause of 1.5 s (the reload happens inside it), then the rest.
  const std::vector<std::string> pieces = numbered_words(6);
  fake::ScriptedResponse answer;
  answer.content_type = "text/event-stream";
  for (const std::string& word : pieces) answer.body += word_event(word);
  answer.body += stream_end(pieces.size());
  answer.split_at = {answer.body.size()};
  answer.stall_after = bytes_of_words(pieces, 3);
  answer.stall_for = std::chrono::milliseconds(1500);
  env.server.push_response(std::move(answer));

  Poco::Net::StreamSocket client = send_raw(env.gateway->port(), chat_body("openai/gpt-4o", true));
  std::string received = receive_until(client, R"("content":"w2 ")");
  REQUIRE_THAT(received, Catch::Matchers::Contains(R"("content":"w2 ")"));

  CHECK(env.gateway->reload().empty());
  // The new configuration serves new requests at once: team-a's key is gone, team-b's works and
  // its call goes to the new (dead) base URL.
  CHECK(env.post("/v1/chat/completions", chat_body("openai/gpt-4o")).status == 401);
  const GatewayReply other = env.send("POST", "/v1/chat/completions", chat_body("openai/gpt-4o"),
                                      {{"Authorization", fmt::format("Bearer {}", kOtherGatewayKey)}});
  CHECK(other.status == 502);

  // The stream that began before goes on from where it was, on its own provider, to its end.
  received += receive_until(client, "data: [DONE]");
  REQUIRE_THAT(received, Catch::Matchers::Contains("data: [DONE]"));
  for (const std::string& word : pieces) CHECK_THAT(received, Catch::Matchers::Contains(fmt::format(R"("content":"{}")", word)));
  CHECK_THAT(received, Catch::Matchers::Contains(R"("completion_tokens":6)"));
}
