// Tests of the in-process fake provider server over real loopback sockets, with Poco's HTTP client.
#include "fake_server.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <optional>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace majordomo::fake;

namespace {

const std::filesystem::path fixtures_dir = MAJORDOMO_TEST_FIXTURES;
constexpr const char* chat_path = "/v1/chat/completions";
constexpr const char* chat_body = R"({"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}]})";
constexpr const char* stream_body = R"({"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}],"stream":true})";

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

FakeServerOptions with_fixtures() {
  FakeServerOptions options;
  options.fixtures_dir = fixtures_dir;
  return options;
}

struct Reply {
  Poco::Net::HTTPResponse head;
  std::string body;
};

// Poco sessions cannot be copied or moved, hence the pointer.
std::unique_ptr<Poco::Net::HTTPClientSession> session_to(const FakeProviderServer& server) {
  auto session = std::make_unique<Poco::Net::HTTPClientSession>("127.0.0.1", server.port());
  session->setKeepAlive(true);
  session->setTimeout(Poco::Timespan(30, 0));
  return session;
}

// Sends a chat request without reading the answer, for the tests that read it their own way.
void send_chat(Poco::Net::HTTPClientSession& session, const std::string& body) {
  Poco::Net::HTTPRequest request("POST", chat_path, Poco::Net::HTTPMessage::HTTP_1_1);
  request.add("Authorization", "Bearer k");
  request.setContentLength(static_cast<std::streamsize>(body.size()));
  session.sendRequest(request) << body;
}

Reply exchange(Poco::Net::HTTPClientSession& session, const std::string& method, const std::string& uri,
               const std::string& body, const std::vector<Header>& headers = {{"Authorization", "Bearer sk-test"}}) {
  Poco::Net::HTTPRequest request(method, uri, Poco::Net::HTTPMessage::HTTP_1_1);
  for (const auto& header : headers) request.add(header.name, header.value);
  if (!body.empty()) {
    request.setContentType("application/json");
    request.setContentLength(static_cast<std::streamsize>(body.size()));
  }
  session.sendRequest(request) << body;
  Reply reply;
  std::istream& in = session.receiveResponse(reply.head);
  in.exceptions(std::ios::badbit);
  Poco::StreamCopier::copyToString(in, reply.body);
  return reply;
}

Reply post_chat(const FakeProviderServer& server, const std::string& body, const std::string& uri = chat_path) {
  auto session = session_to(server);
  return exchange(*session, "POST", uri, body);
}

Poco::JSON::Object::Ptr parse_object(const std::string& json) {
  Poco::JSON::Parser parser;
  return parser.parse(json).extract<Poco::JSON::Object::Ptr>();
}

// Sends a raw request with "Connection: close" and returns the chunk payloads of the chunked reply,
// so tests can see the write boundaries the server chose (each write is one chunk).
std::vector<std::string> raw_chunks(const FakeProviderServer& server, const std::string& body) {
  Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", server.port()));
  const std::string request = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer k\r\n"
                              "Content-Type: application/json\r\nConnection: close\r\nContent-Length: " +
                              std::to_string(body.size()) + "\r\n\r\n" + body;
  socket.sendBytes(request.data(), static_cast<int>(request.size()));
  std::string wire;
  char buffer[4096];
  for (int n; (n = socket.receiveBytes(buffer, sizeof buffer)) > 0;) wire.append(buffer, static_cast<size_t>(n));
  const auto head_end = wire.find("\r\n\r\n");
  REQUIRE(head_end != std::string::npos);
  REQUIRE(wire.substr(0, head_end).find("Transfer-Encoding: chunked") != std::string::npos);
  std::vector<std::string> chunks;
  for (size_t at = head_end + 4;;) {
    const auto line_end = wire.find("\r\n", at);
    REQUIRE(line_end != std::string::npos);
    const size_t size = std::stoul(wire.substr(at, line_end - at), nullptr, 16);
    if (size == 0) break;
    chunks.push_back(wire.substr(line_end + 2, size));
    at = line_end + 2 + size + 2;
  }
  return chunks;
}

std::string header_or_empty(const Poco::Net::HTTPResponse& head, const std::string& name) {
  return head.get(name, "");
}

}  // namespace

TEST_CASE("replays the chat completion fixture byte for byte with OpenAI's headers", "[fake]") {
  FakeProviderServer server(with_fixtures());
  server.start();
  const Reply reply = post_chat(server, chat_body);
  const std::string fixture = read_file(fixtures_dir / "openai/chat_completion.json");
  CHECK(reply.head.getStatus() == 200);
  CHECK(reply.head.getContentType() == "application/json");
  CHECK(reply.head.getContentLength64() == static_cast<Poco::Int64>(fixture.size()));
  CHECK_FALSE(reply.head.getChunkedTransferEncoding());
  CHECK(reply.body == fixture);
  CHECK(header_or_empty(reply.head, "x-request-id") == "req_fake_1");
  CHECK(header_or_empty(reply.head, "openai-version") == "2020-10-01");
  CHECK(reply.head.has("openai-processing-ms"));
}

TEST_CASE("streams the SSE fixture chunked, byte-identical, one event per write", "[fake]") {
  FakeProviderServer server(with_fixtures());
  server.start();
  const std::string fixture = read_file(fixtures_dir / "openai/chat_completion_stream.sse");

  const Reply reply = post_chat(server, stream_body);
  CHECK(reply.head.getStatus() == 200);
  CHECK(reply.head.getContentType() == "text/event-stream");
  CHECK(reply.head.getChunkedTransferEncoding());
  CHECK(reply.body == fixture);

  const auto chunks = raw_chunks(server, stream_body);
  std::string joined;
  for (const auto& chunk : chunks) {
    CHECK(chunk.size() >= 2);
    CHECK(chunk.substr(chunk.size() - 2) == "\n\n");
    joined += chunk;
  }
  CHECK(joined == fixture);
  size_t events = 0;
  for (size_t at = 0; (at = fixture.find("\n\n", at)) != std::string::npos; at += 2) ++events;
  CHECK(chunks.size() == events);
}

TEST_CASE("routes any path ending in /chat/completions, so gateways can sit in front", "[fake]") {
  FakeProviderServer server(with_fixtures());
  server.start();
  CHECK(post_chat(server, chat_body, "/gateway/openai/v1/chat/completions").head.getStatus() == 200);
  CHECK(post_chat(server, chat_body, "/chat/completions").head.getStatus() == 200);
  const Reply unknown = post_chat(server, chat_body, "/v1/embeddings");
  CHECK(unknown.head.getStatus() == 404);
  CHECK(unknown.head.getContentType() == "application/json");
  CHECK(parse_object(unknown.body)->has("error"));
  auto session = session_to(server);
  CHECK(exchange(*session, "GET", chat_path, "").head.getStatus() == 404);
  CHECK(server.requests().size() == 2);  // unknown routes are answered but not recorded
}

TEST_CASE("records method, uri, headers with their spelling and duplicates, and body", "[fake]") {
  FakeProviderServer server(with_fixtures());
  server.start();
  auto session = session_to(server);
  const Reply reply = exchange(*session, "POST", "/v1/chat/completions?api-version=2024-01", chat_body,
                               {{"Authorization", "Bearer sk-test"},
                                {"X-Custom-Case", "MiXeD"},
                                {"x-dup", "first"},
                                {"X-Dup", "second"},
                                {"OpenAI-Project", "proj_1"}});
  REQUIRE(reply.head.getStatus() == 200);

  const auto requests = server.requests();
  REQUIRE(requests.size() == 1);
  const auto& recorded = requests.front();
  CHECK(recorded.seq == 1);
  CHECK(recorded.method == "POST");
  CHECK(recorded.uri == "/v1/chat/completions?api-version=2024-01");
  CHECK(recorded.body == chat_body);
  CHECK(recorded.protocol == "openai");

  std::vector<std::string> lines;
  for (const auto& header : recorded.headers) lines.push_back(header.name + ": " + header.value);
  const std::vector<std::string> sent_first = {"Authorization: Bearer sk-test", "X-Custom-Case: MiXeD",
                                               "x-dup: first", "X-Dup: second", "OpenAI-Project: proj_1"};
  REQUIRE(lines.size() >= sent_first.size());
  CHECK(std::vector<std::string>(lines.begin(), lines.begin() + 5) == sent_first);
  CHECK(std::find(lines.begin(), lines.end(), "Content-Type: application/json") != lines.end());

  exchange(*session, "POST", chat_path, chat_body);
  CHECK(server.requests().back().seq == 2);
  server.clear_requests();
  CHECK(server.requests().empty());
}

TEST_CASE("answers 401 in OpenAI's shape without a Bearer key or with the wrong key", "[fake]") {
  FakeServerOptions options = with_fixtures();
  options.required_api_key = "sk-right";
  FakeProviderServer server(options);
  server.start();
  auto session = session_to(server);

  const auto status_with = [&](std::vector<Header> headers) {
    return exchange(*session, "POST", chat_path, chat_body, headers);
  };
  const Reply missing = status_with({});
  CHECK(missing.head.getStatus() == 401);
  CHECK(missing.head.getContentType() == "application/json");
  const auto error = parse_object(missing.body)->getObject("error");
  REQUIRE(!error.isNull());
  CHECK(error->getValue<std::string>("type") == "invalid_request_error");
  CHECK(error->getValue<std::string>("code") == "invalid_api_key");
  CHECK(error->get("param").isEmpty());
  CHECK(missing.head.has("x-request-id"));

  CHECK(status_with({{"Authorization", "Basic c2stcmlnaHQ="}}).head.getStatus() == 401);
  CHECK(status_with({{"Authorization", "Bearer "}}).head.getStatus() == 401);
  const Reply wrong = status_with({{"Authorization", "Bearer sk-wrong-key-123"}});
  CHECK(wrong.head.getStatus() == 401);
  CHECK(wrong.body.find("sk-wrong-key-123") == std::string::npos);  // the key is redacted
  CHECK(status_with({{"Authorization", "bearer sk-right"}}).head.getStatus() == 200);
  CHECK(status_with({{"authorization", "BEARER sk-right"}}).head.getStatus() == 200);
}

TEST_CASE("accepts any non-empty key when none is required", "[fake]") {
  FakeProviderServer server(with_fixtures());
  server.start();
  auto session = session_to(server);
  CHECK(exchange(*session, "POST", chat_path, chat_body, {{"Authorization", "Bearer anything"}}).head.getStatus() == 200);
}

TEST_CASE("serves a scripted 429 fixture with its status from the name and scripted headers", "[fake]") {
  FakeProviderServer server(with_fixtures());
  server.start();
  ScriptedResponse rate_limited;
  rate_limited.fixture = "openai/error_429.json";
  rate_limited.headers = {{"retry-after", "1"}, {"x-request-id", "req_scripted"}};
  server.push_response(rate_limited);
  CHECK(server.pending_responses() == 1);

  const Reply reply = post_chat(server, chat_body);
  CHECK(server.pending_responses() == 0);
  CHECK(reply.head.getStatus() == 429);
  CHECK(reply.head.getContentType() == "application/json");
  CHECK(reply.body == read_file(fixtures_dir / "openai/error_429.json"));
  CHECK(header_or_empty(reply.head, "retry-after") == "1");
  CHECK(header_or_empty(reply.head, "x-request-id") == "req_scripted");  // the script wins over the default

  CHECK(post_chat(server, chat_body).head.getStatus() == 200);  // consumed: back to the default
}

TEST_CASE("a scripted response with path_contains waits for a matching path", "[fake]") {
  FakeProviderServer server(with_fixtures());
  server.start();
  ScriptedResponse for_gateway;
  for_gateway.status = 503;
  for_gateway.body = R"({"error":{"message":"overloaded","type":"server_error","param":null,"code":null}})";
  for_gateway.path_contains = "/gateway/";
  server.push_response(for_gateway);

  CHECK(post_chat(server, chat_body).head.getStatus() == 200);
  CHECK(server.pending_responses() == 1);
  const Reply reply = post_chat(server, chat_body, "/gateway/openai/v1/chat/completions");
  CHECK(reply.head.getStatus() == 503);
  CHECK(reply.body == for_gateway.body);
  CHECK(server.pending_responses() == 0);
}

TEST_CASE("split_at writes each piece separately, even inside a multi-byte character", "[fake]") {
  FakeProviderServer server(with_fixtures());
  server.start();
  const std::string body = "data: {\"text\":\"日本語\"}\n\ndata: [DONE]\n\n";
  const size_t inside_first_char = body.find("日") + 1;
  ScriptedResponse split;
  split.content_type = "text/event-stream";
  split.body = body;
  split.split_at = {inside_first_char, inside_first_char + 3, body.size() - 3};

  server.push_response(split);
  const auto chunks = raw_chunks(server, stream_body);
  REQUIRE(chunks.size() == 4);
  CHECK(chunks[0] == body.substr(0, inside_first_char));
  CHECK(chunks[1] == body.substr(inside_first_char, 3));
  CHECK(chunks[0] + chunks[1] + chunks[2] + chunks[3] == body);

  server.push_response(split);
  const Reply reply = post_chat(server, stream_body);
  CHECK(reply.body == body);
}

TEST_CASE("cut_after drops the connection mid-body", "[fake]") {
  FakeProviderServer server(with_fixtures());
  server.start();
  const std::string fixture = read_file(fixtures_dir / "openai/chat_completion_stream.sse");

  SECTION("chunked stream") {
    ScriptedResponse cut;
    cut.fixture = "openai/chat_completion_stream.sse";
    cut.cut_after = 100;
    server.push_response(cut);
    std::string received;
    bool failed = false;
    try {
      received = post_chat(server, stream_body).body;
    } catch (const Poco::Exception&) {
      failed = true;
    } catch (const std::ios_base::failure&) {
      failed = true;
    }
    CHECK((failed || received.size() < fixture.size()));
    CHECK((failed || received == fixture.substr(0, 100)));
  }
  SECTION("Content-Length body") {
    ScriptedResponse cut;
    cut.fixture = "openai/chat_completion.json";
    cut.cut_after = 10;
    server.push_response(cut);
    auto session = session_to(server);
    send_chat(*session, chat_body);
    Poco::Net::HTTPResponse head;
    std::istream& in = session->receiveResponse(head);
    std::string received;
    Poco::StreamCopier::copyToString(in, received);
    CHECK(head.getContentLength64() == static_cast<Poco::Int64>(read_file(fixtures_dir / "openai/chat_completion.json").size()));
    CHECK(received.size() == 10);
  }
  // The server keeps serving other connections afterwards.
  CHECK(post_chat(server, chat_body).head.getStatus() == 200);
}

TEST_CASE("stall_before_head makes a client time out, and stop() ends the stall", "[fake]") {
  FakeProviderServer server(with_fixtures());
  server.start();
  ScriptedResponse stalled;
  // Far beyond the test timeout: if stop() waited for the stall instead of ending it, the test would hang.
  stalled.stall_before_head = std::chrono::minutes(10);
  server.push_response(stalled);

  auto session = session_to(server);
  session->setTimeout(Poco::Timespan(5, 0), Poco::Timespan(5, 0), Poco::Timespan(0, 200'000));
  send_chat(*session, chat_body);
  Poco::Net::HTTPResponse head;
  CHECK_THROWS_AS(session->receiveResponse(head), Poco::TimeoutException);

  server.stop();
  CHECK_FALSE(server.running());
}

TEST_CASE("a stall after some body bytes delivers those bytes first, and destruction ends it", "[fake]") {
  auto server = std::make_unique<FakeProviderServer>(with_fixtures());
  server->start();
  ScriptedResponse stalled;
  stalled.fixture = "openai/chat_completion_stream.sse";
  stalled.stall_after = 50;
  stalled.stall_for = std::chrono::minutes(10);
  server->push_response(stalled);

  auto session = session_to(*server);
  session->setTimeout(Poco::Timespan(5, 0), Poco::Timespan(5, 0), Poco::Timespan(0, 300'000));
  send_chat(*session, stream_body);
  Poco::Net::HTTPResponse head;
  std::istream& in = session->receiveResponse(head);
  CHECK(head.getStatus() == 200);
  std::string first(50, '\0');
  in.read(first.data(), 50);
  CHECK(first == read_file(fixtures_dir / "openai/chat_completion_stream.sse").substr(0, 50));
  in.exceptions(std::ios::badbit);
  CHECK_THROWS(in.get());  // nothing more arrives while the server stalls

  server.reset();  // must return promptly although the handler is still stalling
  CHECK(server == nullptr);
}

TEST_CASE("built-in responses when no fixtures dir is configured", "[fake]") {
  FakeProviderServer server(FakeServerOptions{});
  server.start();

  const Reply completion = post_chat(server, R"({"model":"my-model","messages":[]})");
  REQUIRE(completion.head.getStatus() == 200);
  CHECK(completion.head.getContentType() == "application/json");
  const auto object = parse_object(completion.body);
  CHECK(object->getValue<std::string>("object") == "chat.completion");
  CHECK(object->getValue<std::string>("model") == "my-model");
  const auto message = object->getArray("choices")->getObject(0)->getObject("message");
  CHECK(message->getValue<std::string>("content") == "Hello from majordomo-fake.");
  CHECK(object->getObject("usage")->getValue<int>("total_tokens") > 0);

  const Reply stream = post_chat(server, R"({"model":"m","stream":true,"stream_options":{"include_usage":true}})");
  REQUIRE(stream.head.getStatus() == 200);
  CHECK(stream.head.getChunkedTransferEncoding());
  CHECK(stream.head.getContentType().rfind("text/event-stream", 0) == 0);
  std::string text;
  bool saw_usage = false;
  std::istringstream lines(stream.body);
  std::vector<std::string> payloads;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("data: ", 0) == 0) payloads.push_back(line.substr(6));
  }
  REQUIRE(!payloads.empty());
  CHECK(payloads.back() == "[DONE]");
  payloads.pop_back();
  for (const auto& payload : payloads) {
    const auto chunk = parse_object(payload);
    const auto choices = chunk->getArray("choices");
    if (choices->size() == 0) {
      saw_usage = chunk->getObject("usage")->getValue<int>("completion_tokens") > 0;
      continue;
    }
    const auto delta = choices->getObject(0)->getObject("delta");
    if (delta->has("content")) text += delta->getValue<std::string>("content");
  }
  CHECK(text == "Hello from majordomo-fake.");
  CHECK(saw_usage);

  ScriptedResponse needs_fixture;
  needs_fixture.fixture = "openai/error_429.json";
  server.push_response(needs_fixture);
  CHECK(post_chat(server, chat_body).head.getStatus() == 500);  // says clearly that the fixture is missing
}

TEST_CASE("a body that is not JSON gets OpenAI's 400", "[fake]") {
  FakeProviderServer server(with_fixtures());
  server.start();
  const Reply reply = post_chat(server, "{not json");
  CHECK(reply.head.getStatus() == 400);
  CHECK(parse_object(reply.body)->getObject("error")->getValue<std::string>("type") == "invalid_request_error");
  CHECK(server.requests().size() == 1);
}

TEST_CASE("serves HTTPS with a certificate from a test CA, verified strictly", "[fake][tls]") {
  char dir_template[] = "/tmp/majordomo-fake-tls-XXXXXX";
  REQUIRE(mkdtemp(dir_template) != nullptr);
  const std::string dir = dir_template;
  const std::string script =
      "(cd '" + dir + "' && "
      "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj '/CN=Test CA' && "
      "openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj '/CN=localhost' && "
      "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\n' > ext.cnf && "
      "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 "
      "-extfile ext.cnf) >/dev/null 2>&1";
  REQUIRE(std::system(script.c_str()) == 0);

  FakeServerOptions options = with_fixtures();
  options.tls_cert_file = dir + "/server.pem";
  options.tls_key_file = dir + "/server.key";
  FakeProviderServer server(options);
  server.start();
  CHECK(server.origin().rfind("https://127.0.0.1:", 0) == 0);

  Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", dir + "/ca.pem",
                                                           Poco::Net::Context::VERIFY_STRICT, 9, false);
  for (const char* host : {"localhost", "127.0.0.1"}) {
    INFO(host);
    Poco::Net::HTTPSClientSession session(host, server.port(), context);
    session.setKeepAlive(true);
    const Reply reply = exchange(session, "POST", chat_path, stream_body);
    CHECK(reply.head.getStatus() == 200);
    CHECK(reply.body == read_file(fixtures_dir / "openai/chat_completion_stream.sse"));
    CHECK(exchange(session, "POST", chat_path, chat_body).body == read_file(fixtures_dir / "openai/chat_completion.json"));
  }
  server.stop();
  std::filesystem::remove_all(dir);
}

TEST_CASE("control API: health, scripting over HTTP, reading and clearing the request log", "[fake]") {
  FakeProviderServer server(with_fixtures());
  server.start();
  auto session = session_to(server);

  const Reply health = exchange(*session, "GET", "/_fake/health", "", {});
  CHECK(health.head.getStatus() == 200);
  CHECK(health.body == R"({"ok":true})");

  const Reply pushed = exchange(*session, "POST", "/_fake/responses",
                                R"({"status":503,"headers":[["x-should-retry","true"]],"body":"{\"error\":{}}",)"
                                R"("split_at":[3],"stall_after":null,"stall_for_ms":0})",
                                {});
  CHECK(pushed.head.getStatus() == 200);
  CHECK(parse_object(pushed.body)->getValue<int>("pending") == 1);
  CHECK(server.pending_responses() == 1);

  const Reply scripted = exchange(*session, "POST", "/v1/chat/completions?x=1", chat_body,
                                  {{"Authorization", "Bearer sk-test"}, {"X-Trace", "t1"}});
  CHECK(scripted.head.getStatus() == 503);
  CHECK(scripted.body == R"({"error":{}})");
  CHECK(header_or_empty(scripted.head, "x-should-retry") == "true");

  const Reply log = exchange(*session, "GET", "/_fake/requests", "", {});
  CHECK(log.head.getStatus() == 200);
  Poco::JSON::Parser parser;
  const auto entries = parser.parse(log.body).extract<Poco::JSON::Array::Ptr>();
  REQUIRE(entries->size() == 1);  // control requests are not recorded
  const auto entry = entries->getObject(0);
  CHECK(entry->getValue<int>("seq") == 1);
  CHECK(entry->getValue<std::string>("method") == "POST");
  CHECK(entry->getValue<std::string>("uri") == "/v1/chat/completions?x=1");
  CHECK(entry->getValue<std::string>("protocol") == "openai");
  CHECK(entry->getValue<std::string>("body") == chat_body);
  const auto headers = entry->getArray("headers");
  REQUIRE(headers->size() >= 2);
  CHECK(headers->getArray(0)->getElement<std::string>(0) == "Authorization");
  CHECK(headers->getArray(1)->getElement<std::string>(1) == "t1");

  CHECK(exchange(*session, "DELETE", "/_fake/requests", "", {}).head.getStatus() == 200);
  CHECK(exchange(*session, "GET", "/_fake/requests", "", {}).body == "[]");

  const Reply typo = exchange(*session, "POST", "/_fake/responses", R"({"stauts":500})", {});
  CHECK(typo.head.getStatus() == 400);
  CHECK(typo.body.find("stauts") != std::string::npos);
  CHECK(exchange(*session, "POST", "/_fake/responses", "[{\"status\":500},{\"status\":502}]", {}).head.getStatus() == 200);
  CHECK(server.pending_responses() == 2);
  CHECK(exchange(*session, "GET", "/_fake/nothing", "", {}).head.getStatus() == 404);

  // Fixture names are checked when pushed, and may not leave the fixtures dir.
  CHECK(exchange(*session, "POST", "/_fake/responses", R"({"fixture":"openai/no_such.json"})", {}).head.getStatus() == 400);
  CHECK(exchange(*session, "POST", "/_fake/responses", R"({"fixture":"../SOURCES.md"})", {}).head.getStatus() == 400);
  CHECK(exchange(*session, "POST", "/_fake/responses", R"({"fixture":"openai/error_400.json"})", {}).head.getStatus() == 200);
  CHECK(server.pending_responses() == 3);
}

TEST_CASE("keep-alive: several requests, streamed and not, over one connection", "[fake]") {
  FakeProviderServer server(with_fixtures());
  server.start();
  auto session = session_to(server);
  const std::string completion = read_file(fixtures_dir / "openai/chat_completion.json");
  const std::string stream = read_file(fixtures_dir / "openai/chat_completion_stream.sse");

  std::optional<Poco::UInt16> local_port;
  for (int i = 0; i < 6; ++i) {
    const bool streaming = i % 2 == 1;
    const Reply reply = exchange(*session, "POST", chat_path, streaming ? stream_body : chat_body);
    CHECK(reply.head.getStatus() == 200);
    CHECK(reply.body == (streaming ? stream : completion));
    CHECK(reply.head.getKeepAlive());
    const auto port_now = session->socket().address().port();
    if (local_port) CHECK(*local_port == port_now);  // the same TCP connection every time
    local_port = port_now;
  }
  CHECK(server.requests().size() == 6);
}

TEST_CASE("record_file gets one JSON line per recorded request", "[fake]") {
  char dir_template[] = "/tmp/majordomo-fake-record-XXXXXX";
  REQUIRE(mkdtemp(dir_template) != nullptr);
  FakeServerOptions options = with_fixtures();
  options.record_file = std::filesystem::path(dir_template) / "requests.jsonl";
  {
    FakeProviderServer server(options);
    server.start();
    post_chat(server, chat_body);
    post_chat(server, "binary \xff\xfe body");
  }
  std::ifstream in(options.record_file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  REQUIRE(lines.size() == 2);
  CHECK(parse_object(lines[0])->getValue<std::string>("body") == chat_body);
  CHECK(parse_object(lines[1])->getValue<std::string>("body") == "binary \xEF\xBF\xBD\xEF\xBF\xBD body");
  std::filesystem::remove_all(dir_template);
}

TEST_CASE("stop is idempotent and the server can start again", "[fake]") {
  FakeProviderServer server(with_fixtures());
  server.start();
  CHECK_THROWS_AS(server.start(), std::logic_error);
  server.stop();
  server.stop();
  server.start();
  CHECK(post_chat(server, chat_body).head.getStatus() == 200);
}
