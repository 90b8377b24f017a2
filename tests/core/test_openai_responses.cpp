// OpenAI's Responses API (api=responses) through the host over loopback: fixtures, splits, errors, the wire.
#include "provider_test_env.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <string>
#include <vector>

using namespace majordomo;
using majordomo::testing::ProviderTestEnv;
using majordomo::testing::drain;
using majordomo::testing::parse_object;

namespace {

ClientOptions responses_options(const ProviderTestEnv& env) {
  ClientOptions options = env.openai_options();
  options.provider_options["api"] = "responses";
  return options;
}

std::shared_ptr<LLM> responses_llm(const ProviderTestEnv& env) { return env.openai(responses_options(env)); }

// The answer, as JSON or as a stream; the stream's pieces must add up to its response's content.
Response ask(LLM& llm, bool stream, std::string_view prompt = "hi", const RequestOptions& options = {}) {
  if (!stream) return llm.get_response(prompt, options);
  ResponseStream s = llm.get_response_stream(prompt, options);
  const std::string text = drain(s);
  CHECK(text == s.response().content);
  return s.response();
}

fake::ScriptedResponse event_stream(std::string body) {
  fake::ScriptedResponse response;
  response.content_type = "text/event-stream; charset=utf-8";
  response.body = std::move(body);
  return response;
}

std::string event(std::string_view type, std::string_view members) {
  return fmt::format("event: {}\ndata: {{\"type\":\"{}\"{}}}\n\n", type, type, members);
}

struct Expected {
  const char* fixture;
  std::string content;
  StopReason stop;
  const char* raw_stop;
  int64_t input, output, reasoning;
  const char* model;
};

}  // namespace

TEST_CASE("every Responses fixture replays as JSON and as a stream with content, usage and stop reason",
          "[openai][responses]") {
  ProviderTestEnv env;
  const auto llm = responses_llm(env);
  const Expected rows[] = {
      {"openai/responses.json", "Arr, matey! How can I assist ye today?", StopReason::end_turn, "completed", 26, 13, 0,
       "gpt-4o-mini-2024-07-18"},
      {"openai/responses_reasoning.json", "Ahoy! How can I help you today?", StopReason::end_turn, "completed", 23, 89,
       64, "gpt-5-2025-08-07"},
      {"openai/responses_structured_output.json",
       R"({"animal_data_list":["Lion","Elephant","Giraffe","Kangaroo","Penguin"]})", StopReason::end_turn, "completed",
       48, 23, 0, "gpt-4o-mini-2024-07-18"},
      {"openai/responses_incomplete.json",
       "Mango sun-kissed sweet,  \nGolden nectar drips like rain,  \nSummer's bliss revealed", StopReason::max_tokens,
       "max_output_tokens", 14, 20, 0, "gpt-4o-mini-2024-07-18"},
      {"openai/responses_stream.sse", "Hello! How can I assist you today?", StopReason::end_turn, "completed", 11, 10, 0,
       "gpt-4o-mini-2024-07-18"},
      {"openai/responses_stream_function_call.sse", "", StopReason::tool_use, "completed", 74, 20, 0,
       "gpt-4o-mini-2024-07-18"},
      {"openai/responses_stream_incomplete.sse",
       "Rivers are vital components of Earth's hydrological system, serving as lifelines for", StopReason::max_tokens,
       "max_output_tokens", 16, 16, 0, "gpt-4o-mini-2024-07-18"},
  };
  for (const auto& row : rows) {
    for (const bool stream : {false, true}) {
      SECTION(std::string(row.fixture) + (stream ? " as a stream" : " as JSON")) {
        env.push_fixture(row.fixture);
        const Response response = ask(*llm, stream);
        CHECK(response.content == row.content);
        CHECK(response.stop_reason == row.stop);
        CHECK(response.raw_stop_reason == row.raw_stop);
        CHECK(response.usage.input_tokens == row.input);
        CHECK(response.usage.output_tokens == row.output);
        CHECK(response.usage.reasoning_tokens == row.reasoning);
        CHECK(response.usage.cached_tokens == 0);
        CHECK(response.model == row.model);
        CHECK(response.provider == "openai");
        CHECK(response.request_id.rfind("req_fake_", 0) == 0);
        CHECK(response.cost.priced);
        CHECK(response.cost.total > 0);
        const auto requests = env.server.requests();
        REQUIRE(requests.size() == 1);
        CHECK(requests[0].uri == "/v1/responses");
        CHECK(requests[0].protocol == "openai-responses");
        const auto body = parse_object(requests[0].body);
        CHECK(body->has("stream") == stream);
        CHECK(body->getValue<std::string>("model") == "gpt-4o");
        CHECK_FALSE(body->has("messages"));
      }
    }
  }
}

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
    try {
      env.openai(options);
      FAIL("no error");
    } catch (const ConfigurationError& error) {
      CHECK_THAT(error.what(), Catch::Contains("assistants") && Catch::Contains("api=responses") &&
                                   Catch::Contains("api=chat_completions"));
    }
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

TEST_CASE("Responses headers and base URL: a gateway prefix, auth once, instance headers under request headers",
          "[openai][responses][pipeline]") {
  ProviderTestEnv env;
  ClientOptions options = responses_options(env);
  options.base_url = env.server.origin() + "/gateway/openai/v1";
  options.default_headers.set("X-Majordomo-Feature", "instance-value");
  options.default_headers.set("X-Majordomo-User", "alice");
  const auto llm = env.openai(options);
  RequestOptions request;
  request.extra_headers.set("x-majordomo-feature", "request-value");
  for (const bool stream : {false, true}) {
    SECTION(stream ? "stream" : "json") {
      const Response response = ask(*llm, stream, "hi", request);
      CHECK_FALSE(response.content.empty());
      const auto recorded = env.server.requests();
      REQUIRE(recorded.size() == 1);
      const auto& wire = recorded[0];
      CHECK(wire.uri == "/gateway/openai/v1/responses");
      CHECK(ProviderTestEnv::only_header(wire, "Authorization") == "Bearer sk-test-0000");
      CHECK(ProviderTestEnv::only_header(wire, "X-Majordomo-Feature") == "request-value");
      CHECK(ProviderTestEnv::only_header(wire, "X-Majordomo-User") == "alice");
      const auto resolved = llm->resolve(LLMRequest::from_prompt("hi", request), stream);
      REQUIRE(resolved.size() == 1);
      CHECK(resolved[0].url == env.server.origin() + "/gateway/openai/v1/responses");
      CHECK(resolved[0].body == wire.body);
    }
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
    CHECK(json.usage.input_tokens > 0);
    CHECK(stream.usage.input_tokens == json.usage.input_tokens);
    CHECK(stream.usage.output_tokens == json.usage.output_tokens);
    CHECK(stream.usage.cached_tokens == json.usage.cached_tokens);
    CHECK(stream.usage.cache_write_tokens == json.usage.cache_write_tokens);
    CHECK(stream.usage.reasoning_tokens == json.usage.reasoning_tokens);
    CHECK(stream.cost.total == Approx(json.cost.total));
    CHECK(stream.content == json.content);
  }
}

TEST_CASE("without fixtures the fake answers Responses requests itself, as JSON and as a stream",
          "[openai][responses]") {
  ProviderTestEnv env(fake::FakeServerOptions{});
  const auto llm = responses_llm(env);
  const Response json = ask(*llm, false);
  const Response stream = ask(*llm, true);
  CHECK(json.content == "Hello from majordomo-fake (responses).");
  CHECK(stream.content == json.content);
  CHECK(stream.usage.output_tokens == 8);
  CHECK(json.usage.output_tokens == 8);
  CHECK(stream.stop_reason == StopReason::end_turn);
  CHECK(json.stop_reason == StopReason::end_turn);
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
  for (std::size_t offset = 1; offset < crlf.size(); ++offset) {
    fake::ScriptedResponse response = event_stream(crlf);
    response.split_at = {offset};
    if (offset + 5 < crlf.size()) response.split_at.push_back(offset + 5);
    env.server.push_response(std::move(response));
    ResponseStream stream = llm->get_response_stream("hi");
    const std::string text = drain(stream);
    CAPTURE(offset);
    REQUIRE(text == text_a + text_b);
    REQUIRE(stream.response().reasoning == thought);
    REQUIRE(stream.response().usage.cached_tokens == 2);
    REQUIRE(stream.response().usage.reasoning_tokens == 3);
    REQUIRE(stream.response().stop_reason == StopReason::end_turn);
    REQUIRE(stream.response().model == "gpt-5-x");
  }
}

TEST_CASE("Responses errors are typed: HTTP envelopes, failed responses, error events, cut streams",
          "[openai][responses][errors]") {
  ProviderTestEnv env;
  const auto llm = responses_llm(env);

  for (const bool stream : {false, true}) {
    SECTION(std::string("400 envelope, ") + (stream ? "stream" : "json")) {
      env.push_fixture("openai/responses_error_400.json");
      try {
        ask(*llm, stream);
        FAIL("no error");
      } catch (const BadRequestError& error) {
        CHECK(error.http_status() == 400);
        CHECK(error.provider_error_type() == "invalid_request_error");  // code is null
        CHECK_THAT(error.what(), Catch::Contains("Unsupported parameter: 'temperature'"));
      }
    }
    SECTION(std::string("429 envelope, ") + (stream ? "stream" : "json")) {
      env.push_fixture("openai/error_429.json", {{"retry-after", "3"}});
      try {
        ask(*llm, stream);
        FAIL("no error");
      } catch (const RateLimitedError& error) {
        CHECK(error.provider_error_type() == "rate_limit_exceeded");
        REQUIRE(error.retry_after_ms());
        CHECK(*error.retry_after_ms() == 3000);
      }
    }
  }
  SECTION("a body with status failed") {
    fake::ScriptedResponse response;
    response.content_type = "application/json";
    response.body = R"({"id":"resp_1","object":"response","status":"failed","error":{"code":"server_error","message":"The model crashed"},"output":[],"usage":null})";
    env.server.push_response(response);
    try {
      (void)llm->get_response("hi");
      FAIL("no error");
    } catch (const ServerError& error) {
      CHECK(error.provider_error_type() == "server_error");
      CHECK_THAT(error.what(), Catch::Contains("The model crashed"));
    }
  }
  SECTION("response.failed after some text keeps the text") {
    env.server.push_response(event_stream(
        event("response.created", R"(,"response":{"status":"in_progress"})") +
        event("response.output_text.delta", R"(,"output_index":0,"content_index":0,"delta":"Partial ")") +
        event("response.failed",
              R"(,"response":{"status":"failed","error":{"code":"rate_limit_exceeded","message":"Slow down"},"usage":null})")));
    ResponseStream stream = llm->get_response_stream("hi");
    std::string text;
    try {
      for (std::string_view piece : stream) text.append(piece);
      FAIL("no error");
    } catch (const RateLimitedError& error) {
      CHECK(error.partial_content() == "Partial ");
      CHECK(error.provider_error_type() == "rate_limit_exceeded");
      CHECK_THAT(error.what(), Catch::Contains("Slow down"));
      CHECK(error.request_id().rfind("req_fake_", 0) == 0);
    }
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
      try {
        drain(stream);
        FAIL("no error");
      } catch (const ServerError& error) {
        CHECK(error.partial_content() == "So far");
        CHECK(error.provider_error_type() == "server_error");
        CHECK_THAT(error.what(), Catch::Contains("Something broke"));
      }
    }
  }
  SECTION("a stream closed before its terminal event") {
    fake::ScriptedResponse response;
    response.fixture = "openai/responses_stream.sse";
    response.cut_after = 4000;
    env.server.push_response(response);
    ResponseStream stream = llm->get_response_stream("hi");
    try {
      drain(stream);
      FAIL("no error");
    } catch (const ConnectionError& error) {
      CHECK_FALSE(error.partial_content().empty());
      CHECK(std::string("Hello! How can I assist you today?").rfind(error.partial_content(), 0) == 0);
    }
  }
  SECTION("a stall mid-stream is an idle timeout") {
    ClientOptions options = responses_options(env);
    options.timeouts.idle = std::chrono::milliseconds(200);
    const auto impatient = env.openai(options);
    fake::ScriptedResponse response;
    response.fixture = "openai/responses_stream.sse";
    response.stall_after = 2500;
    response.stall_for = std::chrono::milliseconds(30'000);
    env.server.push_response(response);
    ResponseStream stream = impatient->get_response_stream("hi");
    CHECK_THROWS_AS(drain(stream), TimeoutError);
  }
}

TEST_CASE("reasoning summaries and refusals in Responses bodies", "[openai][responses]") {
  ProviderTestEnv env;
  const auto llm = responses_llm(env);
  SECTION("a reasoning summary is kept apart from the answer") {
    fake::ScriptedResponse response;
    response.content_type = "application/json";
    response.body =
        R"({"status":"completed","model":"gpt-6-luna","output":[{"type":"reasoning","summary":[{"type":"summary_text","text":"Thinking it over."}]},)"
        R"({"type":"message","role":"assistant","content":[{"type":"output_text","text":"Yes."}]}],)"
        R"("usage":{"input_tokens":3,"output_tokens":9,"output_tokens_details":{"reasoning_tokens":6}}})";
    env.server.push_response(response);
    const Response answer = llm->get_response("hi");
    CHECK(answer.content == "Yes.");
    CHECK(answer.reasoning == "Thinking it over.");
    CHECK(answer.usage.reasoning_tokens == 6);
  }
  SECTION("a refusal part is the answer, and the stop reason says so") {
    fake::ScriptedResponse response;
    response.content_type = "application/json";
    response.body =
        R"({"status":"completed","output":[{"type":"message","content":[{"type":"refusal","refusal":"I can't help with that."}]}]})";
    env.server.push_response(response);
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
