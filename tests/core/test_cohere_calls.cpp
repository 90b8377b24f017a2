// Cohere v2 through the host over loopback: the long chat answer, splits, stream failures, the body and JSON modes.
// Shared scenarios: test_provider_conformance.cpp.
#include "provider_table.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace majordomo;
using namespace majordomo::testing;

namespace {

const std::string kGatsby = R"({"title":"The Great Gatsby","author":"F. Scott Fitzgerald","publication_year":1925})";

}  // namespace

TEST_CASE("the long Cohere chat answer keeps its paragraphs and dashes", "[cohere]") {
  ProviderTestEnv env;
  const auto llm = env.cohere();
  env.push_fixture("cohere/chat.json");
  const Response response = llm->get_response("What are LLMs?");
  CHECK(response.content.rfind("LLMs stand for Large Language Models, which are a type of neural network model", 0) == 0);
  CHECK_THAT(response.content, Catch::Contains("\n\n1. GPT-3 (Generative Pre-trained Transformer 3) \xe2\x80\x94 An open-source LLM"));
  CHECK_THAT(response.content, Catch::EndsWith("exploring their applications in various domains."));
  CHECK(response.usage.input_tokens == 5);
  CHECK(response.usage.output_tokens == 418);
  CHECK(response.stop_reason == StopReason::end_turn);
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
  // Hitting the cap is a normal end with stop reason max_tokens (failing on truncation is an
  // opt-in of a later version).
  check_every_split(env, *llm, scripted("text/event-stream", body), body.size(), 5,
                    {.text = text_a + text_b, .reasoning = thought, .input = 7, .output = 4, .stop = StopReason::max_tokens});
}

TEST_CASE("Cohere stream failures become typed errors", "[cohere][errors]") {
  ProviderTestEnv env;
  const auto llm = env.cohere();

  SECTION("finish_reason ERROR with an error string after some text") {
    env.server.push_response(scripted("text/event-stream",
        "event: content-delta\ndata: {\"type\":\"content-delta\",\"index\":0,\"delta\":{\"message\":{\"content\":{\"text\":\"Partial \"}}}}\n\n"
        "event: message-end\ndata: {\"type\":\"message-end\",\"delta\":{\"finish_reason\":\"ERROR\",\"error\":\"internal failure\"}}\n\n"
        "data: [DONE]\n\n"));
    ResponseStream stream = llm->get_response_stream("hi");
    const auto error = thrown_by<ServerError>([&] { drain(stream); });
    CHECK(error.partial_content() == "Partial ");
    CHECK_THAT(error.what(), Catch::Contains("internal failure"));
  }
  SECTION("[DONE] without message-end is an unfinished answer, not a success") {
    env.server.push_response(scripted("text/event-stream",
        "event: content-delta\ndata: {\"type\":\"content-delta\",\"index\":0,\"delta\":{\"message\":{\"content\":{\"text\":\"Partial \"}}}}\n\n"
        "data: [DONE]\n\n"));
    ResponseStream stream = llm->get_response_stream("hi");
    const auto error = thrown_by<ConnectionError>([&] { drain(stream); });
    CHECK(error.partial_content() == "Partial ");
  }
}

TEST_CASE("Cohere request body: system message, max_tokens, p, JSON mode and schema", "[cohere][body]") {
  ProviderTestEnv env;
  const auto llm = env.cohere();
  const LLMRequest request = conversation("Another.", 77, 0.5, 0.25);
  for (const bool stream : {false, true}) {
    const auto body = resolved_body(*llm, request, stream, env.server.origin() + "/v2/chat");
    CHECK(body->getValue<std::string>("model") == "command-a-03-2025");
    CHECK(body->getValue<int64_t>("max_tokens") == 77);
    CHECK(body->getValue<double>("temperature") == 0.5);
    CHECK(body->getValue<double>("p") == 0.25);
    CHECK_FALSE(body->has("top_p"));
    CHECK(body->has("stream") == stream);
    check_system_then_conversation(body);
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
