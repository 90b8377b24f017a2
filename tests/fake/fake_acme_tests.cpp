// Tests of the fake server's Acme protocol (the SDK example's provider): routing, X-Acme-Key auth, replies, errors.
#include "fake_server.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <catch2/catch.hpp>

#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

using namespace majordomo::fake;

namespace {

constexpr const char* kAnswers = "/v1/answers";
const std::vector<Header> kAcmeHeaders = {{"X-Acme-Key", "acme-test-key"}, {"Acme-Version", "2024-10-01"}};

struct Reply {
  Poco::Net::HTTPResponse head;
  std::string body;
};

Reply post(const FakeProviderServer& server, const std::string& body, const std::vector<Header>& headers = kAcmeHeaders,
           const std::string& uri = kAnswers) {
  Poco::Net::HTTPClientSession session("127.0.0.1", server.port());
  session.setTimeout(Poco::Timespan(30, 0));
  Poco::Net::HTTPRequest request("POST", uri, Poco::Net::HTTPMessage::HTTP_1_1);
  for (const auto& header : headers) request.add(header.name, header.value);
  request.setContentType("application/json");
  request.setContentLength(static_cast<std::streamsize>(body.size()));
  session.sendRequest(request) << body;
  Reply reply;
  std::istream& in = session.receiveResponse(reply.head);
  Poco::StreamCopier::copyToString(in, reply.body);
  return reply;
}

Poco::JSON::Object::Ptr parse_object(const std::string& json) {
  Poco::JSON::Parser parser;
  return parser.parse(json).extract<Poco::JSON::Object::Ptr>();
}

// Acme's error body: {"error":{"code","message"}}; returns the code.
std::string error_code(const Reply& reply) {
  return parse_object(reply.body)->getObject("error")->getValue<std::string>("code");
}

struct SseEvent {
  std::string type, data;
};

// The events of an SSE body (comment lines dropped), in order.
std::vector<SseEvent> events_of(const std::string& body) {
  std::vector<SseEvent> events;
  SseEvent current;
  std::istringstream lines(body);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) {
      if (!current.data.empty()) events.push_back(current);
      current = {};
    } else if (line.rfind("event: ", 0) == 0) {
      current.type = line.substr(7);
    } else if (line.rfind("data: ", 0) == 0) {
      current.data = line.substr(6);
    }
  }
  return events;
}

constexpr const char* kHello = R"({"model":"acme-swift","turns":[{"from":"user","text":"Hello there, Acme"}]})";

}  // namespace

TEST_CASE("Acme: a JSON answer with the served snapshot, tokens and Acme-Request-Id, under any prefix",
          "[fake][acme]") {
  FakeProviderServer server(FakeServerOptions{});
  server.start();
  for (const std::string uri : {"/v1/answers", "/gateway/acme/v1/answers"}) {
    const Reply reply = post(server, kHello, kAcmeHeaders, uri);
    REQUIRE(reply.head.getStatus() == 200);
    CHECK(reply.head.getContentType() == "application/json");
    CHECK(reply.head.get("Acme-Request-Id", "").rfind("req_acme_", 0) == 0);
    const auto answer = parse_object(reply.body);
    CHECK(answer->getValue<std::string>("model") == "acme-swift-2025-06");
    CHECK(answer->getValue<std::string>("text") == "Hello from majordomo-fake (acme).");
    CHECK(answer->getValue<std::string>("end") == "done");
    const auto tokens = answer->getObject("tokens");
    CHECK(tokens->getValue<int>("in") > 0);
    CHECK(tokens->getValue<int>("out") == 5);
    CHECK(tokens->getValue<int>("cached_in") == 0);
  }
  const auto requests = server.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].protocol == "acme");
  CHECK(requests[1].protocol == "acme");
}

TEST_CASE("Acme: a stream of named events ends with finish, pings and comments on the way", "[fake][acme]") {
  FakeProviderServer server(FakeServerOptions{});
  server.start();
  const Reply reply = post(server, R"({"model":"acme-deep","turns":[{"from":"user","text":"Hi"}],"stream":true})");
  REQUIRE(reply.head.getStatus() == 200);
  CHECK(reply.head.getContentType().rfind("text/event-stream", 0) == 0);
  CHECK(reply.head.getChunkedTransferEncoding());
  CHECK(reply.body.find("\n: ") != std::string::npos);  // a comment line clients must skip
  const auto events = events_of(reply.body);
  REQUIRE(events.size() >= 4);
  CHECK(events.front().type == "start");
  CHECK(parse_object(events.front().data)->getValue<std::string>("model") == "acme-deep-2025-06");
  CHECK(events[1].type == "ping");
  CHECK(events.back().type == "finish");
  const auto finish = parse_object(events.back().data);
  CHECK(finish->getValue<std::string>("end") == "done");
  CHECK(finish->getObject("tokens")->getValue<int>("out") == 5);
  std::string text;
  for (const auto& event : events) {
    if (event.type == "text") text += parse_object(event.data)->getValue<std::string>("text");
  }
  CHECK(text == "Hello from majordomo-fake (acme).");
}

TEST_CASE("Acme: max_output_tokens cuts the answer with end=limit, answer_format json answers an object",
          "[fake][acme]") {
  FakeProviderServer server(FakeServerOptions{});
  server.start();
  const Reply cut = post(server, R"({"model":"acme-swift","turns":[{"from":"user","text":"Hi"}],"max_output_tokens":2})");
  REQUIRE(cut.head.getStatus() == 200);
  const auto answer = parse_object(cut.body);
  CHECK(answer->getValue<std::string>("text") == "Hello from");
  CHECK(answer->getValue<std::string>("end") == "limit");
  CHECK(answer->getObject("tokens")->getValue<int>("out") == 2);

  const Reply json = post(server, R"({"model":"acme-swift","turns":[{"from":"user","text":"Hi"}],"answer_format":"json"})");
  REQUIRE(json.head.getStatus() == 200);
  const auto greeting = parse_object(parse_object(json.body)->getValue<std::string>("text"));
  CHECK(greeting->getValue<std::string>("greeting") == "Hello from majordomo-fake (acme).");
}

TEST_CASE("Acme: the key only in X-Acme-Key, the version header required, in Acme's error shape", "[fake][acme]") {
  FakeServerOptions options;
  options.required_api_key = "acme-test-key";
  FakeProviderServer server(options);
  server.start();

  const Reply none = post(server, kHello, {{"Acme-Version", "2024-10-01"}});
  CHECK(none.head.getStatus() == 401);
  CHECK(error_code(none) == "invalid_key");

  // The mistake a new plugin makes first: a Bearer token. The answer names the header it wants.
  const Reply bearer = post(server, kHello, {{"Authorization", "Bearer acme-test-key"}, {"Acme-Version", "2024-10-01"}});
  CHECK(bearer.head.getStatus() == 401);
  CHECK(bearer.body.find("X-Acme-Key") != std::string::npos);

  const Reply wrong = post(server, kHello, {{"X-Acme-Key", "not-it"}, {"Acme-Version", "2024-10-01"}});
  CHECK(wrong.head.getStatus() == 401);
  CHECK(error_code(wrong) == "invalid_key");

  const Reply no_version = post(server, kHello, {{"X-Acme-Key", "acme-test-key"}});
  CHECK(no_version.head.getStatus() == 400);
  CHECK(error_code(no_version) == "invalid_request");
  CHECK(no_version.body.find("Acme-Version") != std::string::npos);

  CHECK(post(server, kHello).head.getStatus() == 200);
}

TEST_CASE("Acme: unknown models, bodies that are not JSON and empty turns get Acme's 404 and 400", "[fake][acme]") {
  FakeProviderServer server(FakeServerOptions{});
  server.start();
  const Reply unknown = post(server, R"({"model":"gpt-4o","turns":[{"from":"user","text":"Hi"}]})");
  CHECK(unknown.head.getStatus() == 404);
  CHECK(error_code(unknown) == "unknown_model");
  CHECK(unknown.body.find("gpt-4o") != std::string::npos);

  const Reply not_json = post(server, "{not json");
  CHECK(not_json.head.getStatus() == 400);
  CHECK(error_code(not_json) == "invalid_request");

  const Reply no_turns = post(server, R"({"model":"acme-swift","turns":[]})");
  CHECK(no_turns.head.getStatus() == 400);
  CHECK(error_code(no_turns) == "invalid_request");

  const Reply bad_cap = post(server, R"({"model":"acme-swift","turns":[{"from":"user","text":"Hi"}],"max_output_tokens":0})");
  CHECK(bad_cap.head.getStatus() == 400);
}

TEST_CASE("Acme: a scripted error is served after the auth check, with Acme's request id header", "[fake][acme]") {
  FakeProviderServer server(FakeServerOptions{});
  server.start();
  ScriptedResponse limited;
  limited.status = 429;
  limited.headers = {{"Retry-After", "2"}};
  limited.body = R"({"error":{"code":"rate_limited","message":"slow down","retry_in_ms":1500}})";
  server.push_response(limited);

  // Without a key the auth answer comes first and the scripted response stays queued.
  CHECK(post(server, kHello, {{"Acme-Version", "2024-10-01"}}).head.getStatus() == 401);
  CHECK(server.pending_responses() == 1);

  const Reply reply = post(server, kHello);
  CHECK(reply.head.getStatus() == 429);
  CHECK(reply.head.get("Retry-After", "") == "2");
  CHECK(reply.head.get("Acme-Request-Id", "").rfind("req_acme_", 0) == 0);
  CHECK(error_code(reply) == "rate_limited");
}
