// OpenAI's Responses API (api=responses) over loopback: the request, the api option, usage, splits, failed
// responses and error events. Fixture replays, errors, headers and base URLs: test_provider_conformance.cpp.
#include "provider_table.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace majordomo;
using namespace majordomo::testing;

namespace {

ClientOptions responses_options(const ProviderTestEnv& env) { return provider_row("openai-responses").options(env); }

std::shared_ptr<LLM> responses_llm(const ProviderTestEnv& env) { return env.openai(responses_options(env)); }

fake::ScriptedResponse event_stream(std::string body) { return scripted("text/event-stream; charset=utf-8", std::move(body)); }

std::string event(std::string_view type, std::string_view members) {
  return fmt::format("event: {}\ndata: {{\"type\":\"{}\"{}}}\n\n", type, type, members);
}

}  // namespace

TEST_CASE("the Responses request carries instructions, input, the output cap and text.format", "[openai][responses]") {
  ProviderTestEnv env;
  const auto llm = responses_llm(env);
  RequestOptions options;
  options.system = "Be terse.";
  options.max_tokens = 256;
  options.temperature = 0.5;
  ResponseStream stream = llm->get_response_stream("List two cookies", options);
  CHECK(drain(stream) == "Hello! How can I assist you today?");  // the default stream fixture
  const auto requests = env.server.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].body ==
        R"({"model":"gpt-4o","instructions":"Be terse.","input":[{"role":"user","content":"List two cookies"}],)"
        R"("temperature":0.5,"max_output_tokens":256,"store":false,"stream":true})");

  SECTION("JSON mode") {
    env.server.clear_requests();
    env.push_fixture("openai/responses_structured_output.json");
    const JsonResponse json = llm->get_json_response("Animals, in JSON");
    CHECK(json.json_text.find("Penguin") != std::string::npos);
    const auto body = parse_object(env.server.requests().at(0).body);
    CHECK(body->getObject("text")->getObject("format")->getValue<std::string>("type") == "json_object");
  }
  SECTION("structured output: a flat, strict json_schema format") {
    env.server.clear_requests();
    env.push_fixture("openai/responses_structured_output.json");
    const std::string schema =
        R"({"type":"object","properties":{"animal_data_list":{"type":"array","items":{"type":"string"}}},)"
        R"("required":["animal_data_list"],"additionalProperties":false})";
    const JsonResponse json = llm->get_json_schema_response("Animals", schema, "data_list");
    CHECK(json.json_text == R"({"animal_data_list":["Lion","Elephant","Giraffe","Kangaroo","Penguin"]})");
    const std::string body = env.server.requests().at(0).body;
    CHECK(body.find(R"("text":{"format":{"type":"json_schema","name":"data_list","strict":true,"schema":)" + schema +
                    "}}") != std::string::npos);
  }
}

TEST_CASE("the api option is checked, and so is the Responses API's smallest output cap",
          "[openai][responses][config]") {
  ProviderTestEnv env;
  SECTION("an unknown api value names the allowed ones") {
    ClientOptions options = env.openai_options();
    options.provider_options["api"] = "assistants";
    const auto error = thrown_by<ConfigurationError>([&] { env.openai(options); });
    CHECK_THAT(error.what(), Catch::Contains("assistants") && Catch::Contains("api=responses") &&
                                 Catch::Contains("api=chat_completions"));
  }
  SECTION("an unknown option names the known one") {
    ClientOptions options = env.openai_options();
    options.provider_options["flavour"] = "x";
    CHECK_THROWS_WITH(env.openai(options), Catch::Contains("known options: api"));
  }
  SECTION("api=chat_completions is the default made explicit") {
    ClientOptions options = env.openai_options();
    options.provider_options["api"] = "chat_completions";
    CHECK(env.openai(options)->get_response("hi").content == "Hello! How can I assist you today?");
    CHECK(env.server.requests().at(0).uri == "/v1/chat/completions");
  }
  SECTION("max_tokens below 16 is refused before sending") {
    RequestOptions request;
    request.max_tokens = 8;
    CHECK_THROWS_AS(responses_llm(env)->get_response("hi", request), ConfigurationError);
    CHECK(env.server.requests().empty());
  }
}

TEST_CASE("JSON and stream report the same usage for the same Responses answer", "[openai][responses][usage]") {
  ProviderTestEnv env;
  const auto llm = responses_llm(env);
  for (const char* fixture : {"openai/responses.json", "openai/responses_reasoning.json",
                              "openai/responses_incomplete.json", "openai/responses_stream.sse",
                              "openai/responses_stream_incomplete.sse"}) {
    CAPTURE(fixture);
    env.push_fixture(fixture);
    const Response json = ask(*llm, false);
    env.push_fixture(fixture);
    const Response stream = ask(*llm, true);
    check_same_answer(json, stream);
  }
}

TEST_CASE("a Responses stream split at every byte offset, inside multi-byte characters, decodes identically",
          "[openai][responses][stream]") {
  ProviderTestEnv env;
  const auto llm = responses_llm(env);
  // 2-, 3- and 4-byte UTF-8 characters, in text and in a reasoning summary; CRLF line ends.
  const std::string text_a = "Caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac ";
  const std::string text_b = "\xf0\x9f\x99\x82 done";
  const std::string thought = "\xc3\xbc\xe2\x82\xac\xf0\x9f\x8c\x8d";
  std::string body =
      event("response.created", R"(,"sequence_number":0,"response":{"status":"in_progress","model":"gpt-5-x","usage":null})") +
      event("response.reasoning_summary_text.delta", R"(,"sequence_number":1,"output_index":0,"summary_index":0,"delta":")" + thought + "\"") +
      event("response.output_text.delta", R"(,"sequence_number":2,"output_index":1,"content_index":0,"delta":")" + text_a + "\"") +
      event("response.output_text.delta", R"(,"sequence_number":3,"output_index":1,"content_index":0,"delta":")" + text_b + "\"") +
      event("response.completed",
            R"(,"sequence_number":4,"response":{"status":"completed","model":"gpt-5-x","output":[],)"
            R"("usage":{"input_tokens":5,"input_tokens_details":{"cached_tokens":2},"output_tokens":7,)"
            R"("output_tokens_details":{"reasoning_tokens":3},"total_tokens":12}})");
  std::string crlf;
  for (const char c : body) {
    if (c == '\n') crlf += "\r\n";
    else crlf += c;
  }
  check_every_split(env, *llm, event_stream(crlf), crlf.size(), 5,
                    {.text = text_a + text_b, .reasoning = thought, .cached = 2, .reasoning_tokens = 3, .model = "gpt-5-x"});
}

TEST_CASE("Responses errors are typed: failed responses, error events, stalls",
          "[openai][responses][errors]") {
  ProviderTestEnv env;
  const auto llm = responses_llm(env);

  SECTION("a body with status failed") {
    env.server.push_response(json_body(
        R"({"id":"resp_1","object":"response","status":"failed","error":{"code":"server_error","message":"The model crashed"},"output":[],"usage":null})"));
    const auto error = thrown_by<ServerError>([&] { (void)llm->get_response("hi"); });
    CHECK(error.provider_error_type() == "server_error");
    CHECK_THAT(error.what(), Catch::Contains("The model crashed"));
  }
  SECTION("response.failed after some text keeps the text") {
    env.server.push_response(event_stream(
        event("response.created", R"(,"response":{"status":"in_progress"})") +
        event("response.output_text.delta", R"(,"output_index":0,"content_index":0,"delta":"Partial ")") +
        event("response.failed",
              R"(,"response":{"status":"failed","error":{"code":"rate_limit_exceeded","message":"Slow down"},"usage":null})")));
    ResponseStream stream = llm->get_response_stream("hi");
    std::string text;
    const auto error = thrown_by<RateLimitedError>([&] { for (std::string_view piece : stream) text.append(piece); });
    CHECK(error.partial_content() == "Partial ");
    CHECK(error.provider_error_type() == "rate_limit_exceeded");
    CHECK_THAT(error.what(), Catch::Contains("Slow down"));
    CHECK(error.request_id().rfind("req_fake_", 0) == 0);
    CHECK(text == "Partial ");
  }
  const std::pair<const char*, std::string> error_events[] = {
      {"flat error event", R"(,"code":"server_error","message":"Something broke","param":null,"sequence_number":2)"},
      {"nested error event",
       R"(,"error":{"type":"server_error","code":"server_error","message":"Something broke","param":null},"sequence_number":2)"},
  };
  for (const auto& [name, members] : error_events) {
    SECTION(name) {
      env.server.push_response(event_stream(
          event("response.output_text.delta", R"(,"output_index":0,"content_index":0,"delta":"So far")") +
          event("error", members)));
      ResponseStream stream = llm->get_response_stream("hi");
      const auto error = thrown_by<ServerError>([&] { drain(stream); });
      CHECK(error.partial_content() == "So far");
      CHECK(error.provider_error_type() == "server_error");
      CHECK_THAT(error.what(), Catch::Contains("Something broke"));
    }
  }
  SECTION("a stall mid-stream is an idle timeout") {
    ClientOptions options = responses_options(env);
    options.timeouts.idle = std::chrono::milliseconds(200);
    const auto impatient = env.openai(options);
    env.server.push_response(stalled("openai/responses_stream.sse", 2500));
    ResponseStream stream = impatient->get_response_stream("hi");
    CHECK_THROWS_AS(drain(stream), TimeoutError);
  }
}

TEST_CASE("reasoning summaries and refusals in Responses bodies", "[openai][responses]") {
  ProviderTestEnv env;
  const auto llm = responses_llm(env);
  SECTION("a reasoning summary is kept apart from the answer") {
    env.server.push_response(json_body(
        R"({"status":"completed","model":"gpt-6-luna","output":[{"type":"reasoning","summary":[{"type":"summary_text","text":"Thinking it over."}]},)"
        R"({"type":"message","role":"assistant","content":[{"type":"output_text","text":"Yes."}]}],)"
        R"("usage":{"input_tokens":3,"output_tokens":9,"output_tokens_details":{"reasoning_tokens":6}}})"));
    const Response answer = llm->get_response("hi");
    CHECK(answer.content == "Yes.");
    CHECK(answer.reasoning == "Thinking it over.");
    CHECK(answer.usage.reasoning_tokens == 6);
  }
  SECTION("a refusal part is the answer, and the stop reason says so") {
    env.server.push_response(json_body(
        R"({"status":"completed","output":[{"type":"message","content":[{"type":"refusal","refusal":"I can't help with that."}]}]})"));
    const Response answer = llm->get_response("hi");
    CHECK(answer.content == "I can't help with that.");
    CHECK(answer.stop_reason == StopReason::content_filter);
    CHECK(answer.raw_stop_reason == "refusal");
  }
}

TEST_CASE("a Responses stream without event lines is read by its data types", "[openai][responses][stream]") {
  ProviderTestEnv env;
  const auto llm = responses_llm(env);
  // Some compatible servers leave the `event:` line out; data.type says the same.
  env.server.push_response(event_stream(
      "data: {\"type\":\"response.output_text.delta\",\"delta\":\"Plain \"}\n\n"
      "data: {\"type\":\"response.output_text.delta\",\"delta\":\"data\"}\n\n"
      "data: {\"type\":\"response.incomplete\",\"response\":{\"status\":\"incomplete\","
      "\"incomplete_details\":{\"reason\":\"content_filter\"},\"usage\":{\"input_tokens\":2,\"output_tokens\":2}}}\n\n"));
  ResponseStream stream = llm->get_response_stream("hi");
  CHECK(drain(stream) == "Plain data");
  CHECK(stream.response().stop_reason == StopReason::content_filter);
  CHECK(stream.response().raw_stop_reason == "content_filter");
  CHECK(stream.response().usage.output_tokens == 2);
}
