// OpenAI through the host over loopback: JSON mode, splits, mid-stream errors, timeouts, stream lifetimes, schemas.
// Fixture replays, errors by status, headers and base URLs are in test_provider_conformance.cpp.
#include "provider_table.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace majordomo;
using namespace majordomo::testing;

namespace {

const std::string kLocationJson = R"({"city":"San Francisco","temperature":65,"units":"f"})";

}  // namespace

TEST_CASE("the model the provider names is reported, and the JSON path parses structured output", "[openai]") {
  ProviderTestEnv env;
  const auto llm = env.openai();
  env.push_fixture("openai/structured_output.json");
  const JsonResponse json = llm->get_json_response("Where? Answer in JSON.");
  CHECK(json.json_text == kLocationJson);
  CHECK(json.value.at("city").as_string() == "San Francisco");
  CHECK(json.response.model == "gpt-4o-2024-08-06");
  const auto requests = env.server.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].body.find(R"("response_format":{"type":"json_object"})") != std::string::npos);

  SECTION("a non-JSON answer is a parse error that keeps the raw text") {
    env.push_fixture("openai/chat_completion.json");
    const auto error = thrown_by<ParseError>([&] { (void)llm->get_json_response("Where?"); });
    CHECK(error.partial_content() == answers::openai_hello);
  }
}

TEST_CASE("streams split at every byte offset, inside multi-byte characters, decode identically", "[openai][stream]") {
  ProviderTestEnv env;
  const auto llm = env.openai();
  // Our own stream with 2-, 3- and 4-byte UTF-8 characters, CRLF line ends and a comment line.
  const std::string text_a = "Caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac ";
  const std::string text_b = "\xf0\x9f\x99\x82 done";
  const std::string body =
      ": keep-alive\r\n\r\n"
      "data: {\"id\":\"c1\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\r\n\r\n"
      "data: {\"id\":\"c1\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + text_a + "\"},\"finish_reason\":null}]}\r\n\r\n"
      "data: {\"id\":\"c1\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + text_b + "\"},\"finish_reason\":null}]}\r\n\r\n"
      "data: {\"id\":\"c1\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\r\n\r\n"
      "data: {\"id\":\"c1\",\"model\":\"gpt-4o\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":7,\"total_tokens\":12,\"prompt_tokens_details\":{\"cached_tokens\":2}}}\r\n\r\n"
      "data: [DONE]\r\n\r\n";
  check_every_split(env, *llm, scripted("text/event-stream", body), body.size(), 7,
                    {.text = text_a + text_b, .cached = 2});
}

TEST_CASE("the recorded stream fixture split into many writes gives the same answer", "[openai][stream]") {
  ProviderTestEnv env;
  const auto llm = env.openai();
  const Response answer = replay_in_pieces(env, *llm, "openai/chat_completion_stream.sse", 97);
  CHECK(answer.content == answers::openai_weather);
  CHECK(answer.usage.output_tokens == 30);
}

TEST_CASE("stream failures after some text keep the text and never look like success", "[openai][stream][errors]") {
  ProviderTestEnv env;
  const auto llm = env.openai();

  SECTION("mid-stream error event after HTTP 200") {
    env.server.push_response(scripted("text/event-stream",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Partial \"},\"finish_reason\":null}]}\n\n"
        "data: {\"error\":{\"message\":\"The server had an error\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n"));
    ResponseStream stream = llm->get_response_stream("hi");
    std::string text;
    const auto error = thrown_by<ServerError>([&] { for (std::string_view piece : stream) text.append(piece); });
    CHECK(error.partial_content() == "Partial ");
    CHECK_THAT(error.what(), Catch::Contains("The server had an error"));
    // The error event has no id of its own: the response's request id is kept.
    CHECK(error.request_id().rfind("req_fake_", 0) == 0);
    CHECK(text == "Partial ");
  }
}

TEST_CASE("timeouts are typed and the connection is not reused half-read", "[openai][timeouts]") {
  ProviderTestEnv env;
  ClientOptions options = env.openai_options();
  options.timeouts.first_byte = std::chrono::milliseconds(200);
  options.timeouts.idle = std::chrono::milliseconds(200);
  const auto llm = env.openai(options);

  SECTION("no response head in time") {
    fake::ScriptedResponse response;
    response.fixture = "openai/chat_completion.json";
    response.stall_before_head = std::chrono::milliseconds(30'000);
    env.server.push_response(response);
    CHECK_THROWS_AS(llm->get_response("hi"), TimeoutError);
  }
  SECTION("silence in the middle of a stream") {
    env.server.push_response(stalled("openai/chat_completion_stream.sse", 800));
    ResponseStream stream = llm->get_response_stream("hi");
    const auto error = thrown_by<TimeoutError>([&] { drain(stream); });
    CHECK_THAT(error.what(), Catch::Contains("idle"));
  }
  // After either failure the next request gets a clean connection and succeeds.
  env.push_fixture("openai/chat_completion.json");
  CHECK(llm->get_response("again").content == answers::openai_hello);
}

TEST_CASE("an abandoned stream releases its connection and the next call works", "[openai][stream]") {
  ProviderTestEnv env;
  const auto llm = env.openai();
  {
    env.push_fixture("openai/chat_completion_stream.sse");
    ResponseStream stream = llm->get_response_stream("hi");
    REQUIRE(stream.next_text());
  }
  env.push_fixture("openai/chat_completion.json");
  CHECK(llm->get_response("again").content == answers::openai_hello);
  CHECK(env.server.requests().size() == 2);
}

TEST_CASE("close() on a stream releases it early and keeps what arrived", "[openai][stream]") {
  ProviderTestEnv env;
  const auto llm = env.openai();
  env.push_fixture("openai/chat_completion_stream.sse");
  ResponseStream stream = llm->get_response_stream("hi");
  const auto first = stream.next_text();
  REQUIRE(first);
  const std::string first_text(*first);  // the view ends with the next call on the stream
  stream.close();
  CHECK(stream.finished());
  CHECK_FALSE(stream.next_text());
  CHECK(stream.response().content == first_text);
  env.push_fixture("openai/chat_completion.json");
  CHECK(llm->get_response("again").content == answers::openai_hello);
}

TEST_CASE("a provider message that echoes a credential is scrubbed", "[openai][errors][secrets]") {
  ProviderTestEnv env;
  ClientOptions options = env.openai_options();
  options.default_headers.set("X-Gateway-Token", "gw-token-98765");
  const auto llm = env.openai(options);
  RequestOptions request;
  request.extra_headers.set("X-Request-Secret", "per-request-secret-1");
  fake::ScriptedResponse response;
  response.status = 401;
  response.content_type = "application/json";
  response.body = R"({"error":{"message":"Incorrect API key provided: sk-test-0000 (gateway token gw-token-98765, per-request-secret-1).","type":"invalid_request_error","param":null,"code":"invalid_api_key"}})";
  env.server.push_response(response);
  const auto error = thrown_by<AuthenticationError>([&] { (void)llm->get_response("hi", request); });
  const std::string message = error.what();
  CHECK_THAT(message, Catch::Contains("Incorrect API key provided: [REDACTED]"));
  CHECK(message.find("sk-test-0000") == std::string::npos);
  CHECK(message.find("gw-token-98765") == std::string::npos);
  CHECK(message.find("per-request-secret-1") == std::string::npos);
}

TEST_CASE("JSON-schema requests splice a checked schema and refuse a broken one", "[openai][schema]") {
  ProviderTestEnv env;
  const auto llm = env.openai();
  LLMRequest request = LLMRequest::from_prompt("Where?");
  request.format = ResponseFormat::json_schema;
  request.schema_name = "Location";
  request.schema_json = R"({"type":"object","properties":{"city":{"type":"string"}},"required":["city"]})";
  const auto resolved = llm->resolve(request, false);
  REQUIRE(resolved.size() == 1);
  CHECK(resolved[0].body.find(R"("json_schema":{"name":"Location")") != std::string::npos);
  // Made strict (sdk/schema_dialects.hpp): the object closed, its properties all required.
  CHECK(resolved[0].body.find(R"("schema":{"type":"object","properties":{"city":{"type":"string"}},)"
                              R"("required":["city"],"additionalProperties":false})") != std::string::npos);

  for (const char* bad : {R"({"type":"object"}},"model":"x","y":{)", "[1,2]", "not json", ""}) {
    CAPTURE(bad);
    request.schema_json = bad;
    CHECK_THROWS_AS(llm->complete(request), ConfigurationError);
  }
  CHECK(env.server.requests().empty());
}
