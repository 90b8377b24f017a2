// Cohere v2 through the host over loopback: fixtures as JSON and stream, thinking, splits, errors, wire headers.
#include "provider_test_env.hpp"
#include "scoped_env.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <cstdlib>
#include <string>

using namespace majordomo;
using majordomo::testing::ProviderTestEnv;
using majordomo::testing::ScopedEnv;
using majordomo::testing::drain;
using majordomo::testing::parse_object;

namespace {

const std::string kCocaCola =
    "Coca-Cola is a carbonated soft drink sold in stores, restaurants, and vending machines in more than 200 "
    "countries. It is produced by The Coca-Cola Company, a publicly traded company which began in 1892 as a "
    "result of US businessman Asa Griggs Candler purchasing the Coca-Cola brand and formula from John "
    "Pemberton. The Coca-Cola Company today offers nearly 400 brands in over 200 countries and is one of the "
    "largest beverage companies in the world.";
const std::string kThinking =
    "I will first find the sales summary for 29th September 2023. Then, I will find the details of the "
    "products in the 'Electronics' category.";
const std::string kGatsby = R"({"title":"The Great Gatsby","author":"F. Scott Fitzgerald","publication_year":1925})";

}  // namespace

TEST_CASE("every Cohere fixture replays with text, thinking, billed usage and stop reason", "[cohere]") {
  ProviderTestEnv env;
  const auto llm = env.cohere();
  struct Row {
    const char* fixture;
    bool stream;
    std::string content, reasoning;
    StopReason stop;
    const char* raw_stop;
    int64_t input, output;  // billed_units, which the plugin reports when present
  };
  const Row rows[] = {
      {"cohere/structured_output.json", false, kGatsby, "", StopReason::end_turn, "COMPLETE", 27, 24},
      {"cohere/chat_tool_calls_thinking.json", false, "", kThinking, StopReason::tool_use, "TOOL_CALL", 127, 69},
      {"cohere/chat_stream.sse", true, kCocaCola, "", StopReason::end_turn, "COMPLETE", 21, 105},
      {"cohere/chat_stream_citations.sse", true, "Both Nsync and Backstreet Boys were", "", StopReason::end_turn,
       "COMPLETE", 18, 6},
      {"cohere/chat_stream_tool_plan_and_calls.sse", true, "", "", StopReason::tool_use, "TOOL_CALL", 126, 84},
  };
  for (const auto& row : rows) {
    SECTION(row.fixture) {
      env.push_fixture(row.fixture);
      Response response;
      if (row.stream) {
        ResponseStream stream = llm->get_response_stream("hi");
        CHECK(drain(stream) == row.content);
        response = stream.response();
      } else {
        response = llm->get_response("hi");
      }
      CHECK(response.content == row.content);
      CHECK(response.reasoning == row.reasoning);
      CHECK(response.stop_reason == row.stop);
      CHECK(response.raw_stop_reason == row.raw_stop);
      CHECK(response.usage.input_tokens == row.input);
      CHECK(response.usage.output_tokens == row.output);
      CHECK(response.provider == "cohere");
      CHECK(response.cost.priced);
      CHECK(response.cost.total > 0);
      const auto requests = env.server.requests();
      REQUIRE(requests.size() == 1);
      CHECK(requests[0].uri == "/v2/chat");
      CHECK(requests[0].protocol == "cohere");
      CHECK(parse_object(requests[0].body)->has("stream") == row.stream);
    }
  }
  SECTION("cohere/chat.json") {
    env.push_fixture("cohere/chat.json");
    const Response response = llm->get_response("What are LLMs?");
    CHECK(response.content.rfind("LLMs stand for Large Language Models, which are a type of neural network model", 0) == 0);
    CHECK_THAT(response.content, Catch::Contains("\n\n1. GPT-3 (Generative Pre-trained Transformer 3) \xe2\x80\x94 An open-source LLM"));
    CHECK_THAT(response.content, Catch::EndsWith("exploring their applications in various domains."));
    CHECK(response.usage.input_tokens == 5);
    CHECK(response.usage.output_tokens == 418);
    CHECK(response.stop_reason == StopReason::end_turn);
  }
}

TEST_CASE("Cohere streams split at every byte offset decode identically", "[cohere][stream]") {
  ProviderTestEnv env;
  const auto llm = env.cohere();
  const std::string thought = "Hmm \xc3\xa9\xe6\x80\x9d";
  const std::string text_a = "Gr\xc3\xbc\xc3\x9f \xe4\xbd\xa0\xe5\xa5\xbd ";
  const std::string text_b = "\xf0\x9f\x98\x80!";
  const std::string body =
      "event: message-start\ndata: {\"id\":\"m1\",\"type\":\"message-start\",\"delta\":{\"message\":{\"role\":\"assistant\",\"content\":[]}}}\n\n"
      "event: content-start\ndata: {\"type\":\"content-start\",\"index\":0,\"delta\":{\"message\":{\"content\":{\"type\":\"thinking\",\"thinking\":\"\"}}}}\n\n"
      "event: content-delta\ndata: {\"type\":\"content-delta\",\"index\":0,\"delta\":{\"message\":{\"content\":{\"thinking\":\"" + thought + "\"}}}}\n\n"
      "event: content-end\ndata: {\"type\":\"content-end\",\"index\":0}\n\n"
      "event: content-delta\ndata: {\"type\":\"content-delta\",\"index\":1,\"delta\":{\"message\":{\"content\":{\"text\":\"" + text_a + "\"}}}}\n\n"
      "event: debug\ndata: {\"type\":\"debug\",\"delta\":{\"message\":{\"content\":{\"text\":\"ignored\"}}}}\n\n"
      "event: content-delta\ndata: {\"type\":\"content-delta\",\"index\":1,\"delta\":{\"message\":{\"content\":{\"text\":\"" + text_b + "\"}}}}\n\n"
      "event: message-end\ndata: {\"type\":\"message-end\",\"delta\":{\"finish_reason\":\"MAX_TOKENS\",\"usage\":{\"billed_units\":{\"input_tokens\":7.0,\"output_tokens\":4.0},\"tokens\":{\"input_tokens\":70.0,\"output_tokens\":4.0}}}}\n\n"
      "data: [DONE]\n\n";
  for (std::size_t offset = 1; offset < body.size(); ++offset) {
    fake::ScriptedResponse response;
    response.body = body;
    response.content_type = "text/event-stream";
    response.split_at = {offset};
    if (offset + 5 < body.size()) response.split_at.push_back(offset + 5);
    env.server.push_response(std::move(response));
    ResponseStream stream = llm->get_response_stream("hi");
    // Hitting the cap is a normal end with stop reason max_tokens (failing on truncation is an
    // opt-in of a later version).
    const std::string text = drain(stream);
    CAPTURE(offset);
    REQUIRE(text == text_a + text_b);
    REQUIRE(stream.response().reasoning == thought);
    REQUIRE(stream.response().usage.input_tokens == 7);
    REQUIRE(stream.response().usage.output_tokens == 4);
    REQUIRE(stream.response().stop_reason == StopReason::max_tokens);
  }
}

TEST_CASE("Cohere HTTP errors and stream failures become typed errors", "[cohere][errors]") {
  ProviderTestEnv env;
  const auto llm = env.cohere();

  SECTION("429") {
    env.push_fixture("cohere/error_429.json");
    try {
      (void)llm->get_response("hi");
      FAIL("no error");
    } catch (const RateLimitedError& error) {
      CHECK(error.http_status() == 429);
      CHECK(error.provider() == "cohere");
      CHECK_THAT(error.what(), Catch::Contains("You are using a Trial key, which is limited to 40 API calls / minute."));
      CHECK(error.request_id() == "8f3c2d1e-5b7a-4c9e-a1d2-3e4f5a6b7c8d");
    }
  }
  SECTION("400 on the streaming path") {
    env.push_fixture("cohere/error_400.json");
    try {
      ResponseStream stream = llm->get_response_stream("hi");
      drain(stream);
      FAIL("no error");
    } catch (const BadRequestError& error) {
      CHECK(error.http_status() == 400);
      CHECK_THAT(error.what(), Catch::Contains("invalid request: message must be at least 1 token long"));
    }
  }
  SECTION("finish_reason ERROR with an error string after some text") {
    fake::ScriptedResponse response;
    response.content_type = "text/event-stream";
    response.body =
        "event: content-delta\ndata: {\"type\":\"content-delta\",\"index\":0,\"delta\":{\"message\":{\"content\":{\"text\":\"Partial \"}}}}\n\n"
        "event: message-end\ndata: {\"type\":\"message-end\",\"delta\":{\"finish_reason\":\"ERROR\",\"error\":\"internal failure\"}}\n\n"
        "data: [DONE]\n\n";
    env.server.push_response(response);
    ResponseStream stream = llm->get_response_stream("hi");
    try {
      drain(stream);
      FAIL("no error");
    } catch (const ServerError& error) {
      CHECK(error.partial_content() == "Partial ");
      CHECK_THAT(error.what(), Catch::Contains("internal failure"));
    }
  }
  SECTION("[DONE] without message-end is an unfinished answer, not a success") {
    fake::ScriptedResponse response;
    response.content_type = "text/event-stream";
    response.body =
        "event: content-delta\ndata: {\"type\":\"content-delta\",\"index\":0,\"delta\":{\"message\":{\"content\":{\"text\":\"Partial \"}}}}\n\n"
        "data: [DONE]\n\n";
    env.server.push_response(response);
    ResponseStream stream = llm->get_response_stream("hi");
    try {
      drain(stream);
      FAIL("no error");
    } catch (const ConnectionError& error) {
      CHECK(error.partial_content() == "Partial ");
    }
  }
  SECTION("a stream cut before message-end") {
    fake::ScriptedResponse response;
    response.fixture = "cohere/chat_stream.sse";
    response.cut_after = 1200;
    env.server.push_response(response);
    ResponseStream stream = llm->get_response_stream("hi");
    try {
      drain(stream);
      FAIL("no error");
    } catch (const ConnectionError& error) {
      CHECK(kCocaCola.rfind(error.partial_content(), 0) == 0);
    }
  }
}

TEST_CASE("Cohere request body: system message, max_tokens, p, JSON mode and schema", "[cohere][body]") {
  ProviderTestEnv env;
  const auto llm = env.cohere();
  LLMRequest request;
  request.messages = {{Message::Role::user, "Name a colour."},
                      {Message::Role::assistant, "Blue."},
                      {Message::Role::user, "Another."}};
  request.options.system = "Be terse.";
  request.options.max_tokens = 77;
  request.options.temperature = 0.5;
  request.options.top_p = 0.25;
  for (const bool stream : {false, true}) {
    const auto resolved = llm->resolve(request, stream);
    REQUIRE(resolved.size() == 1);
    CHECK(resolved[0].url == env.server.origin() + "/v2/chat");
    const auto body = parse_object(resolved[0].body);
    CHECK(body->getValue<std::string>("model") == "command-a-03-2025");
    CHECK(body->getValue<int64_t>("max_tokens") == 77);
    CHECK(body->getValue<double>("temperature") == 0.5);
    CHECK(body->getValue<double>("p") == 0.25);
    CHECK_FALSE(body->has("top_p"));
    CHECK(body->has("stream") == stream);
    const auto messages = body->getArray("messages");
    REQUIRE(messages->size() == 4);
    CHECK(messages->getObject(0)->getValue<std::string>("role") == "system");
    CHECK(messages->getObject(0)->getValue<std::string>("content") == "Be terse.");
    CHECK(messages->getObject(2)->getValue<std::string>("role") == "assistant");
  }

  SECTION("JSON mode") {
    env.push_fixture("cohere/structured_output.json");
    const JsonResponse json = llm->get_json_response("A book, as JSON.");
    CHECK(json.json_text == kGatsby);
    CHECK(json.value.at("publication_year").as_integer() == 1925);
    const auto recorded = env.server.requests();
    REQUIRE(recorded.size() == 1);
    const auto format = parse_object(recorded[0].body)->getObject("response_format");
    CHECK(format->getValue<std::string>("type") == "json_object");
    CHECK_FALSE(format->has("json_schema"));
  }
  SECTION("JSON schema") {
    LLMRequest schema_request = LLMRequest::from_prompt("A book.");
    schema_request.format = ResponseFormat::json_schema;
    schema_request.schema_name = "Book";
    schema_request.schema_json = R"({"type":"object","properties":{"title":{"type":"string"}},"required":["title"]})";
    const auto resolved = llm->resolve(schema_request, false);
    REQUIRE(resolved.size() == 1);
    CHECK(resolved[0].body.find(R"("response_format":{"type":"json_object","json_schema":)" + schema_request.schema_json +
                                "}") != std::string::npos);
  }
}

TEST_CASE("Cohere on the wire: auth once, header layers, base URLs", "[cohere][pipeline]") {
  ProviderTestEnv env;

  SECTION("auth once, default_headers under per-request extra_headers, no gateway header") {
    ClientOptions options = env.cohere_options();
    options.default_headers.set("X-Client-Name", "majordomo-tests");
    options.default_headers.set("X-Trace-Tag", "instance-value");
    const auto llm = env.cohere(options);
    RequestOptions request;
    request.extra_headers.set("x-trace-tag", "request-value");
    for (const bool stream : {false, true}) {
      env.server.clear_requests();
      if (stream) {
        ResponseStream s = llm->get_response_stream("hi", request);
        drain(s);
      } else {
        (void)llm->get_response("hi", request);
      }
      const auto recorded = env.server.requests();
      REQUIRE(recorded.size() == 1);
      const auto& wire = recorded[0];
      CHECK(ProviderTestEnv::only_header(wire, "Authorization") == "Bearer co-test-0000");
      CHECK(ProviderTestEnv::only_header(wire, "X-Client-Name") == "majordomo-tests");
      CHECK(ProviderTestEnv::only_header(wire, "X-Trace-Tag") == "request-value");
      CHECK(ProviderTestEnv::only_header(wire, "x-majordomo-provider") == "<absent>");
      CHECK(ProviderTestEnv::only_header(wire, "Content-Type") == "application/json");
    }
  }
  SECTION("the default base URL") {
    ClientOptions options;
    options.api_key = "co-test-0000";
    const auto resolved = env.cohere(options)->resolve(LLMRequest::from_prompt("hi"), true);
    REQUIRE(resolved.size() == 1);
    CHECK(resolved[0].url == "https://api.cohere.com/v2/chat");
  }
  SECTION("a gateway path prefix") {
    ClientOptions options = env.cohere_options();
    options.base_url = env.server.origin() + "/gateway/cohere/";
    const auto llm = env.cohere(options);
    (void)llm->get_response("hi");
    ResponseStream stream = llm->get_response_stream("hi");
    CHECK(drain(stream) == kCocaCola);
    const auto recorded = env.server.requests();
    REQUIRE(recorded.size() == 2);
    for (const auto& wire : recorded) CHECK(wire.uri == "/gateway/cohere/v2/chat");
  }
  SECTION("COHERE_BASE_URL and CO_API_KEY") {
    const std::string base = env.server.origin() + "/from-env";
    std::shared_ptr<LLM> llm;
    {
      const ScopedEnv vars{{"COHERE_BASE_URL", base.c_str()}, {"CO_API_KEY", "co-from-env"}};
      llm = env.cohere(ClientOptions{});
    }
    (void)llm->get_response("hi");
    const auto recorded = env.server.requests();
    REQUIRE(recorded.size() == 1);
    CHECK(recorded[0].uri == "/from-env/v2/chat");
    CHECK(ProviderTestEnv::only_header(recorded[0], "Authorization") == "Bearer co-from-env");
  }
}
