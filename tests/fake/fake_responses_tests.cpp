// The fake server's OpenAI Responses route, seen from a plain HTTP client: replays, conversions, errors.
#include "fake_server.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace majordomo::fake;
using Poco::JSON::Object;

namespace {

const std::filesystem::path fixtures = MAJORDOMO_TEST_FIXTURES;
constexpr const char* json_request = R"({"model":"gpt-4o-mini","input":"Hi"})";
constexpr const char* stream_request = R"({"model":"gpt-4o-mini","input":"Hi","stream":true})";

std::string fixture_text(const std::string& name) {
  std::ifstream in(fixtures / name, std::ios::binary);
  REQUIRE(in);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

struct Answer {
  int status = 0;
  std::string content_type;
  std::string body;
};

Answer post(const FakeProviderServer& server, const std::string& path, const std::string& body, bool with_key = true) {
  Poco::Net::HTTPClientSession session("127.0.0.1", server.port());
  Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, path, Poco::Net::HTTPMessage::HTTP_1_1);
  if (with_key) request.set("Authorization", "Bearer sk-test");
  request.setContentType("application/json");
  request.setContentLength(static_cast<std::streamsize>(body.size()));
  session.sendRequest(request) << body;
  Poco::Net::HTTPResponse head;
  Answer answer;
  Poco::StreamCopier::copyToString(session.receiveResponse(head), answer.body);
  answer.status = static_cast<int>(head.getStatus());
  answer.content_type = head.getContentType();
  return answer;
}

// Queues `fixture` and posts `request` to /v1/responses: the answer is the fixture, converted when
// the request asks for the other form.
Answer replay(FakeProviderServer& server, const std::string& fixture, const std::string& request) {
  ScriptedResponse scripted;
  scripted.fixture = fixture;
  server.push_response(scripted);
  return post(server, "/v1/responses", request);
}

Object::Ptr parse(const std::string& json) {
  Poco::JSON::Parser parser;
  return parser.parse(json).extract<Object::Ptr>();
}

struct Event {
  std::string name;
  Object::Ptr data;
};

std::vector<Event> events_of(const std::string& sse) {
  std::vector<Event> events;
  std::istringstream lines(sse);
  std::string line, name;
  while (std::getline(lines, line)) {
    if (line.rfind("event: ", 0) == 0) name = line.substr(7);
    if (line.rfind("data: ", 0) == 0) events.push_back({name, parse(line.substr(6))});
  }
  return events;
}

// The answer text of a Response object: every output_text part of every message item.
std::string output_text(const Object::Ptr& response) {
  std::string text;
  const auto output = response->getArray("output");
  for (unsigned i = 0; i < output->size(); ++i) {
    const auto item = output->getObject(i);
    if (item->getValue<std::string>("type") != "message") continue;
    const auto content = item->getArray("content");
    for (unsigned j = 0; j < content->size(); ++j) {
      const auto part = content->getObject(j);
      if (part->getValue<std::string>("type") == "output_text") text += part->getValue<std::string>("text");
    }
  }
  return text;
}

FakeServerOptions with_fixtures() {
  FakeServerOptions options;
  options.fixtures_dir = fixtures;
  return options;
}

}  // namespace

TEST_CASE("Responses: routes .../responses under any prefix and replays the default fixtures byte for byte",
          "[fake][responses]") {
  FakeProviderServer server(with_fixtures());
  server.start();
  const Answer json = post(server, "/v1/responses", json_request);
  CHECK(json.status == 200);
  CHECK(json.content_type == "application/json");
  CHECK(json.body == fixture_text("openai/responses.json"));
  const Answer stream = post(server, "/gateway/openai/v1/responses", stream_request);
  CHECK(stream.content_type == "text/event-stream");
  CHECK(stream.body == fixture_text("openai/responses_stream.sse"));
  const auto requests = server.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].protocol == "openai-responses");
  CHECK(requests[1].uri == "/gateway/openai/v1/responses");
}

TEST_CASE("Responses: every JSON fixture asked for as a stream becomes the stream that produces it",
          "[fake][responses]") {
  FakeProviderServer server(with_fixtures());
  server.start();
  for (const char* name : {"openai/responses.json", "openai/responses_reasoning.json",
                           "openai/responses_structured_output.json", "openai/responses_incomplete.json"}) {
    SECTION(name) {
      const Answer answer = replay(server, name, stream_request);
      CHECK(answer.content_type == "text/event-stream; charset=utf-8");
      CHECK(answer.body.find("[DONE]") == std::string::npos);
      const auto recorded = parse(fixture_text(name));
      const auto events = events_of(answer.body);
      REQUIRE(events.size() >= 3);
      CHECK(events.front().name == "response.created");
      std::string deltas;
      int terminals = 0;
      for (std::size_t i = 0; i < events.size(); ++i) {
        CAPTURE(i);
        CHECK(events[i].data->getValue<std::string>("type") == events[i].name);
        CHECK(events[i].data->getValue<int>("sequence_number") == static_cast<int>(i));
        if (events[i].name == "response.output_text.delta") deltas += events[i].data->getValue<std::string>("delta");
        if (events[i].name == "response.completed" || events[i].name == "response.incomplete") ++terminals;
      }
      CHECK(terminals == 1);
      const std::string status = recorded->getValue<std::string>("status");
      CHECK(events.back().name == (status == "incomplete" ? "response.incomplete" : "response.completed"));
      const auto final_response = events.back().data->getObject("response");
      CHECK(deltas == output_text(recorded));
      CHECK(output_text(final_response) == output_text(recorded));
      CHECK(final_response->getObject("usage")->getValue<int>("output_tokens") ==
            recorded->getObject("usage")->getValue<int>("output_tokens"));
      CHECK(events.front().data->getObject("response")->getValue<std::string>("status") == "in_progress");
    }
  }
}

TEST_CASE("Responses: every stream fixture asked for as JSON becomes its terminal Response", "[fake][responses]") {
  FakeProviderServer server(with_fixtures());
  server.start();
  for (const char* name : {"openai/responses_stream.sse", "openai/responses_stream_function_call.sse",
                           "openai/responses_stream_incomplete.sse"}) {
    SECTION(name) {
      const Answer answer = replay(server, name, json_request);
      CHECK(answer.content_type == "application/json");
      const auto events = events_of(fixture_text(name));
      const auto expected = events.back().data->getObject("response");
      const auto body = parse(answer.body);
      CHECK(body->getValue<std::string>("id") == expected->getValue<std::string>("id"));
      CHECK(body->getValue<std::string>("status") == expected->getValue<std::string>("status"));
      CHECK(output_text(body) == output_text(expected));
      CHECK(body->getObject("usage")->getValue<int>("total_tokens") ==
            expected->getObject("usage")->getValue<int>("total_tokens"));
    }
  }
}

TEST_CASE("Responses: scripted failure modes apply to converted replays too", "[fake][responses]") {
  FakeProviderServer server(with_fixtures());
  server.start();
  ScriptedResponse scripted;
  scripted.fixture = "openai/responses.json";
  scripted.cut_after = 700;
  server.push_response(scripted);
  Poco::Net::HTTPClientSession session("127.0.0.1", server.port());
  Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, "/v1/responses", Poco::Net::HTTPMessage::HTTP_1_1);
  request.set("Authorization", "Bearer sk-test");
  request.setContentLength(static_cast<std::streamsize>(std::string(stream_request).size()));
  session.sendRequest(request) << stream_request;
  Poco::Net::HTTPResponse head;
  std::string body;
  try {
    Poco::StreamCopier::copyToString(session.receiveResponse(head), body);
  } catch (const Poco::Exception&) {
    // A chunked body cut mid-way may end in an error: what arrived is what counts.
  }
  CHECK(head.getContentType() == "text/event-stream; charset=utf-8");
  CHECK(body.size() <= 700);
  CHECK(body.find("response.completed") == std::string::npos);
}

TEST_CASE("Responses: auth and validation errors in the Responses layout", "[fake][responses]") {
  FakeProviderServer server(with_fixtures());
  server.start();
  const Answer unauthorised = post(server, "/v1/responses", json_request, false);
  CHECK(unauthorised.status == 401);
  CHECK(unauthorised.body.rfind("{\n  \"error\": {\n    \"message\": ", 0) == 0);
  CHECK(unauthorised.body.back() == '}');  // no trailing newline, as recorded
  const Answer too_small = post(server, "/v1/responses", R"({"model":"gpt-4o-mini","input":"Hi","max_output_tokens":8})");
  CHECK(too_small.status == 400);
  CHECK(parse(too_small.body)->getObject("error")->getValue<std::string>("code") == "integer_below_min_value");
}

TEST_CASE("Responses: built-in answers without fixtures, the stream built from the same Response",
          "[fake][responses]") {
  FakeProviderServer server(FakeServerOptions{});
  server.start();
  const auto json = parse(post(server, "/v1/responses", json_request).body);
  CHECK(output_text(json) == "Hello from majordomo-fake (responses).");
  const Answer stream = post(server, "/v1/responses", stream_request);
  const auto events = events_of(stream.body);
  REQUIRE_FALSE(events.empty());
  CHECK(events.back().name == "response.completed");
  CHECK(output_text(events.back().data->getObject("response")) == output_text(json));
}

TEST_CASE("Responses: a request with tools gets a function_call, JSON and stream, and a tool result gets text",
          "[fake][responses][tools]") {
  FakeProviderServer server(with_fixtures());
  server.start();
  const std::string tools =
      R"("tools":[{"type":"function","name":"get_time","parameters":{"type":"object","properties":{}},"strict":false},)"
      R"({"type":"function","name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},)"
      R"("required":["city"]},"strict":false}])";
  const std::string ask = R"({"model":"gpt-4o","input":[{"role":"user","content":"Weather?"}],)" + tools;

  SECTION("JSON: the first tool, unless tool_choice names another") {
    const auto first = parse(post(server, "/v1/responses", ask + "}").body);
    CHECK(first->getValue<std::string>("status") == "completed");
    CHECK(first->getArray("output")->getObject(0)->getValue<std::string>("name") == "get_time");
    const auto named = parse(
        post(server, "/v1/responses", ask + R"(,"tool_choice":{"type":"function","name":"get_weather"}})").body);
    const auto call = named->getArray("output")->getObject(0);
    CHECK(call->getValue<std::string>("type") == "function_call");
    CHECK(call->getValue<std::string>("name") == "get_weather");
    CHECK(call->getValue<std::string>("call_id").rfind("call_", 0) == 0);
    CHECK(parse(call->getValue<std::string>("arguments"))->has("city"));
  }
  SECTION("stream: the real event sequence, sequence numbers from 0, the arguments in pieces") {
    const Answer answer =
        post(server, "/v1/responses", ask + R"(,"tool_choice":{"type":"function","name":"get_weather"},"stream":true})");
    CHECK(answer.content_type == "text/event-stream; charset=utf-8");
    const auto events = events_of(answer.body);
    std::vector<std::string> names;
    std::string arguments;
    for (std::size_t i = 0; i < events.size(); ++i) {
      CAPTURE(i);
      CHECK(events[i].data->getValue<int>("sequence_number") == static_cast<int>(i));
      names.push_back(events[i].name);
      if (events[i].name == "response.function_call_arguments.delta") {
        arguments += events[i].data->getValue<std::string>("delta");
      }
    }
    const std::vector<std::string> expected = {
        "response.created", "response.in_progress", "response.output_item.added",
        "response.function_call_arguments.delta", "response.function_call_arguments.delta",
        "response.function_call_arguments.done", "response.output_item.done", "response.completed"};
    CHECK(names == expected);
    REQUIRE(events.size() == expected.size());
    const auto added = events[2].data->getObject("item");
    CHECK(added->getValue<std::string>("type") == "function_call");
    CHECK(added->getValue<std::string>("arguments").empty());
    CHECK(events[5].data->getValue<std::string>("arguments") == arguments);
    CHECK(parse(arguments)->has("city"));  // an example of the schema's arguments
  }
  SECTION("after a function_call_output, or with tool_choice none, the answer is text") {
    const std::string result =
        R"({"model":"gpt-4o","input":[{"role":"user","content":"Weather?"},)"
        R"({"type":"function_call","call_id":"call_1","name":"get_time","arguments":"{}"},)"
        R"({"type":"function_call_output","call_id":"call_1","output":"noon"}],)" + tools + "}";
    CHECK(post(server, "/v1/responses", result).body == fixture_text("openai/responses.json"));
    CHECK(post(server, "/v1/responses", ask + R"(,"tool_choice":"none"})").body == fixture_text("openai/responses.json"));
  }
}
