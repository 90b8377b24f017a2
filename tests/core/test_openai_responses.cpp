// OpenAI's Responses API (api=responses) over loopback: the request, the api option, usage, splits, failed
// responses, error events, and (0.5) images, tools, reasoning controls and continuation items.
// Fixture replays, errors, headers and base URLs: test_provider_conformance.cpp.
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

// ---- (0.5) Conversations on the Responses API: images, tools, reasoning controls, continuation ----

namespace {

std::shared_ptr<LLM> responses_model(const ProviderTestEnv& env, std::string_view model) {
  return env.provider_llm("openai", model, responses_options(env));
}

ToolDefinition city_weather_tool() {
  ToolDefinition tool;
  tool.name = "get_weather";
  tool.description = "The current weather in a city";
  tool.parameters_json = R"({"type":"object","properties":{"city":{"type":"string"}},"required":["city"]})";
  return tool;
}

LLMRequest weather_question() {
  LLMRequest request;
  request.messages.push_back(Message::user("What is the weather in Paris?"));
  request.tools.push_back(city_weather_tool());
  return request;
}

Poco::JSON::Object::Ptr recorded_body(const ProviderTestEnv& env, std::size_t index) {
  const auto requests = env.server.requests();
  REQUIRE(requests.size() > index);
  return parse_object(requests[index].body);
}

// A reasoning item as a reasoning model returns it with include ["reasoning.encrypted_content"].
constexpr std::string_view encrypted_reasoning_item =
    R"({"id":"rs_1","type":"reasoning","summary":[],"encrypted_content":"gAAAAB-opaque-1"})";
constexpr std::string_view weather_call_item =
    R"({"id":"fc_1","type":"function_call","status":"completed","arguments":"{\"city\":\"Paris\"}","call_id":"call_1","name":"get_weather"})";

// Every streamed piece of each call, and whether the call ended.
struct CallPieces {
  std::vector<std::string> arguments;
  std::vector<bool> ended;
};

Response drain_calls(ResponseStream stream, CallPieces& seen) {
  StreamChunk chunk;
  while (stream.next(chunk)) {
    if (chunk.kind == StreamChunk::Kind::tool_call_start) {
      REQUIRE(chunk.tool_index == seen.arguments.size());
      seen.arguments.emplace_back(chunk.text);
      seen.ended.push_back(false);
    } else if (chunk.kind == StreamChunk::Kind::tool_call_arguments) {
      REQUIRE(chunk.tool_index < seen.arguments.size());
      seen.arguments[chunk.tool_index].append(chunk.text);
    } else if (chunk.kind == StreamChunk::Kind::tool_call_end) {
      REQUIRE(chunk.tool_index < seen.ended.size());
      seen.ended[chunk.tool_index] = true;
    }
  }
  return stream.response();
}

}  // namespace

TEST_CASE("Responses user turns carry input_text and input_image parts, assistant text a string",
          "[openai][responses][images]") {
  ProviderTestEnv env;
  const auto llm = responses_llm(env);
  LLMRequest request;
  request.messages.push_back(Message::user("What is in these pictures?"));
  request.messages.back().parts.push_back(ContentPart::image_from_url("https://example.com/cat.png"));
  request.messages.back().parts.push_back(ContentPart::image_from_bytes(std::string("\x89PNG\r\n\x1a\n", 8), "image/png"));
  Message earlier;
  earlier.role = Message::Role::assistant;
  earlier.content = "A cat.";
  request.messages.push_back(earlier);
  request.messages.push_back(Message::user("And now?"));
  CHECK_FALSE(llm->complete(request).content.empty());

  const auto input = recorded_body(env, 0)->getArray("input");
  REQUIRE(input->size() == 3);
  const auto parts = input->getObject(0)->getArray("content");
  REQUIRE(parts->size() == 3);
  CHECK(parts->getObject(0)->getValue<std::string>("type") == "input_text");
  CHECK(parts->getObject(0)->getValue<std::string>("text") == "What is in these pictures?");
  CHECK(parts->getObject(1)->getValue<std::string>("type") == "input_image");
  CHECK(parts->getObject(1)->getValue<std::string>("image_url") == "https://example.com/cat.png");
  CHECK(parts->getObject(1)->getValue<std::string>("detail") == "auto");
  CHECK(parts->getObject(2)->getValue<std::string>("type") == "input_image");
  CHECK(parts->getObject(2)->getValue<std::string>("image_url") == "data:image/png;base64,iVBORw0KGgo=");
  // input_text parts in an assistant turn are a 400 (PROTOCOLS §1b.1); a string is what the
  // official SDKs' EasyInputMessage type builds (tests/npm/request_bodies.test.js).
  const auto assistant = input->getObject(1);
  CHECK(assistant->getValue<std::string>("role") == "assistant");
  CHECK_FALSE(assistant->has("type"));
  CHECK(assistant->isArray("content") == false);
  CHECK(assistant->getValue<std::string>("content") == "A cat.");
  CHECK(input->getObject(2)->getValue<std::string>("content") == "And now?");  // text only: a string
}

TEST_CASE("Responses reasoning controls: effort by name, thinking off as none, a budget refused",
          "[openai][responses][reasoning]") {
  ProviderTestEnv env;
  const auto llm = responses_model(env, "gpt-5");
  const std::pair<ReasoningEffort, std::string> levels[] = {
      {ReasoningEffort::minimal, "minimal"}, {ReasoningEffort::low, "low"}, {ReasoningEffort::medium, "medium"},
      {ReasoningEffort::high, "high"}, {ReasoningEffort::max, "max"}};
  for (const auto& [level, name] : levels) {
    CAPTURE(name);
    env.server.clear_requests();
    RequestOptions options;
    options.reasoning_effort = level;
    (void)llm->get_response("hi", options);
    const auto body = recorded_body(env, 0);
    CHECK(body->getObject("reasoning")->getValue<std::string>("effort") == name);
    CHECK_FALSE(body->has("include"));  // no tools: nothing to continue
  }
  SECTION("thinking off is effort none; thinking on sends nothing") {
    env.server.clear_requests();
    RequestOptions off;
    off.thinking = Thinking::off();
    (void)llm->get_response("hi", off);
    CHECK(recorded_body(env, 0)->getObject("reasoning")->getValue<std::string>("effort") == "none");
    RequestOptions on;
    on.thinking = Thinking::on();
    (void)llm->get_response("hi", on);
    CHECK_FALSE(recorded_body(env, 1)->has("reasoning"));
  }
  SECTION("a thinking budget, or an effort with thinking off, is refused before sending") {
    env.server.clear_requests();
    RequestOptions budget;
    budget.thinking = Thinking::budget(2048);
    const auto error = thrown_by<UnsupportedError>([&] { (void)llm->get_response("hi", budget); });
    CHECK_THAT(error.what(), Catch::Contains("thinking budget") && Catch::Contains("reasoning effort"));
    RequestOptions both;
    both.thinking = Thinking::off();
    both.reasoning_effort = ReasoningEffort::low;
    (void)thrown_by<UnsupportedError>([&] { (void)llm->get_response("hi", both); });
    CHECK(env.server.requests().empty());
  }
}

TEST_CASE("Responses asks for encrypted reasoning only from models that reason", "[openai][responses][tools]") {
  ProviderTestEnv env;
  // Listed models by their catalog entry; unlisted ones by name (o series, gpt-5 onwards, not -chat).
  const std::pair<std::string_view, bool> models[] = {
      {"gpt-5", true}, {"o3", true}, {"gpt-4o", false}, {"gpt-4.1-mini", false},
      {"o4-mini-2025-04-16", true}, {"gpt-7-preview", true}, {"gpt-5-chat-latest", false}, {"gpt-3.5-turbo", false}};
  for (const auto& [model, reasons] : models) {
    CAPTURE(model);
    env.server.clear_requests();
    (void)responses_model(env, model)->complete(weather_question());
    CHECK(recorded_body(env, 0)->has("include") == reasons);
  }
}

TEST_CASE("Responses tool_choice and parallel_tool_calls map to the API's own values",
          "[openai][responses][tools]") {
  ProviderTestEnv env;
  const auto llm = responses_llm(env);
  LLMRequest request = weather_question();
  SECTION("auto is the default, left out") {
    (void)llm->complete(request);
    CHECK_FALSE(recorded_body(env, 0)->has("tool_choice"));
    CHECK_FALSE(recorded_body(env, 0)->has("parallel_tool_calls"));
  }
  SECTION("none: the fake answers with text") {
    request.tool_choice = ToolChoice{ToolChoice::Mode::none, {}};
    const Response answer = llm->complete(request);
    CHECK(answer.tool_calls.empty());
    CHECK(recorded_body(env, 0)->getValue<std::string>("tool_choice") == "none");
  }
  SECTION("required, and parallel calls off") {
    request.tool_choice = ToolChoice{ToolChoice::Mode::required, {}};
    request.parallel_tool_calls = false;
    CHECK(llm->complete(request).tool_calls.size() == 1);
    const auto body = recorded_body(env, 0);
    CHECK(body->getValue<std::string>("tool_choice") == "required");
    CHECK(body->getValue<bool>("parallel_tool_calls") == false);
  }
  SECTION("one named tool, flat: no nested function object") {
    ToolDefinition other = city_weather_tool();
    other.name = "get_time";
    other.strict = true;
    request.tools.insert(request.tools.begin(), other);
    request.tool_choice = ToolChoice::tool("get_weather");
    const Response answer = llm->complete(request);
    REQUIRE(answer.tool_calls.size() == 1);
    CHECK(answer.tool_calls[0].name == "get_weather");  // the fake calls the named tool
    const auto body = recorded_body(env, 0);
    const auto choice = body->getObject("tool_choice");
    REQUIRE(choice);
    CHECK(choice->getValue<std::string>("type") == "function");
    CHECK(choice->getValue<std::string>("name") == "get_weather");
    CHECK(body->getArray("tools")->getObject(0)->getValue<bool>("strict") == true);
    CHECK(body->getArray("tools")->getObject(1)->getValue<bool>("strict") == false);
  }
}

TEST_CASE("Responses reasoning items with encrypted content round-trip as continuation items",
          "[openai][responses][tools][continuation]") {
  ProviderTestEnv env;
  const auto llm = responses_model(env, "gpt-5");
  LLMRequest request = weather_question();
  Response first;
  SECTION("from a JSON body") {
    env.server.push_response(json_body(fmt::format(
        R"({{"id":"resp_1","object":"response","status":"completed","model":"gpt-5-2025-08-07","output":[)"
        R"({{"id":"rs_0","type":"reasoning","summary":[]}},{},{}],)"
        R"("usage":{{"input_tokens":20,"output_tokens":30,"output_tokens_details":{{"reasoning_tokens":12}}}}}})",
        encrypted_reasoning_item, weather_call_item)));
    first = llm->complete(request);
  }
  SECTION("from a stream, keys after type in any order, the call at output index 1") {
    const std::string call_added =
        R"({"id":"fc_1","type":"function_call","status":"in_progress","arguments":"","call_id":"call_1","name":"get_weather"})";
    env.server.push_response(event_stream(
        event("response.created", R"(,"response":{"status":"in_progress","model":"gpt-5-2025-08-07","output":[],"usage":null},"sequence_number":0)") +
        event("response.output_item.added", R"(,"item":{"id":"rs_1","type":"reasoning","summary":[]},"output_index":0,"sequence_number":1)") +
        event("response.output_item.done", fmt::format(R"(,"item":{},"output_index":0,"sequence_number":2)", encrypted_reasoning_item)) +
        event("response.output_item.added", fmt::format(R"(,"item":{},"output_index":1,"sequence_number":3)", call_added)) +
        event("response.function_call_arguments.delta", R"(,"delta":"{\"city\":","item_id":"fc_1","output_index":1,"sequence_number":4)") +
        event("response.function_call_arguments.delta", R"(,"delta":"\"Paris\"}","item_id":"fc_1","output_index":1,"sequence_number":5)") +
        event("response.function_call_arguments.done", R"(,"arguments":"{\"city\":\"Paris\"}","item_id":"fc_1","output_index":1,"sequence_number":6)") +
        event("response.output_item.done", fmt::format(R"(,"item":{},"output_index":1,"sequence_number":7)", weather_call_item)) +
        event("response.completed", fmt::format(R"(,"response":{{"status":"completed","model":"gpt-5-2025-08-07","output":[{},{}],)"
                                                R"("usage":{{"input_tokens":20,"output_tokens":30}}}},"sequence_number":8)",
                                                encrypted_reasoning_item, weather_call_item))));
    CallPieces seen;
    first = drain_calls(llm->stream(request), seen);
    REQUIRE(seen.arguments.size() == 1);
    CHECK(seen.arguments[0] == R"({"city":"Paris"})");
    CHECK(seen.ended[0]);
  }
  REQUIRE(first.tool_calls.size() == 1);
  CHECK(first.tool_calls[0].id == "call_1");
  CHECK(first.tool_calls[0].problem == ToolCallProblem::none);
  CHECK(first.stop_reason == StopReason::tool_use);
  // Only the reasoning item with encrypted content: without it the item cannot be sent back.
  REQUIRE(first.continuation.items.size() == 1);
  CHECK(first.continuation.provider == "openai");
  CHECK(first.continuation.items[0] == encrypted_reasoning_item);
  CHECK(recorded_body(env, 0)->getArray("include")->getElement<std::string>(0) == "reasoning.encrypted_content");

  request.messages.push_back(Message::assistant(first));
  request.messages.push_back(Message::tool_result(first.tool_calls[0], R"({"temp_c":21})"));
  const Response second = llm->complete(request);
  CHECK_FALSE(second.content.empty());
  const std::string sent = env.server.requests().at(1).body;
  CHECK(sent.find(std::string(encrypted_reasoning_item)) != std::string::npos);  // byte for byte
  const auto input = parse_object(sent)->getArray("input");
  REQUIRE(input->size() == 4);  // user, reasoning, function_call, function_call_output
  CHECK(input->getObject(1)->getValue<std::string>("type") == "reasoning");
  CHECK(input->getObject(1)->getValue<std::string>("encrypted_content") == "gAAAAB-opaque-1");
  CHECK(input->getObject(2)->getValue<std::string>("type") == "function_call");
  CHECK(input->getObject(3)->getValue<std::string>("type") == "function_call_output");
}

TEST_CASE("Responses function-call streams: a call cut by the output cap, and arguments for no call",
          "[openai][responses][tools][stream]") {
  ProviderTestEnv env;
  const auto llm = responses_llm(env);
  SECTION("incomplete inside the arguments: the call never ends and is reported cut off") {
    env.server.push_response(event_stream(
        event("response.created", R"(,"sequence_number":0,"response":{"status":"in_progress","usage":null})") +
        event("response.output_item.added",
              R"(,"sequence_number":1,"output_index":0,"item":{"id":"fc_9","type":"function_call","status":"in_progress","arguments":"","call_id":"call_9","name":"get_weather"})") +
        event("response.function_call_arguments.delta", R"(,"sequence_number":2,"item_id":"fc_9","output_index":0,"delta":"{\"city\":\"Pa")") +
        event("response.output_item.done",
              R"(,"sequence_number":3,"output_index":0,"item":{"id":"fc_9","type":"function_call","status":"incomplete","arguments":"{\"city\":\"Pa","call_id":"call_9","name":"get_weather"})") +
        event("response.incomplete",
              R"(,"sequence_number":4,"response":{"status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},"usage":{"input_tokens":5,"output_tokens":16}})")));
    CallPieces seen;
    const Response answer = drain_calls(llm->stream(weather_question()), seen);
    REQUIRE(answer.tool_calls.size() == 1);
    CHECK(answer.tool_calls[0].arguments == "{\"city\":\"Pa");
    CHECK(answer.tool_calls[0].problem == ToolCallProblem::cut_off);
    CHECK_FALSE(seen.ended.at(0));
    CHECK(answer.stop_reason == StopReason::max_tokens);
  }
  SECTION("arguments for a call never announced are a parse error") {
    env.server.push_response(event_stream(
        event("response.function_call_arguments.delta", R"(,"sequence_number":0,"item_id":"fc_x","output_index":3,"delta":"{}")") +
        event("response.completed", R"(,"sequence_number":1,"response":{"status":"completed","output":[]})")));
    CallPieces seen;
    (void)thrown_by<ParseError>([&] { (void)drain_calls(llm->stream(weather_question()), seen); });
    CHECK(seen.arguments.empty());
  }
  SECTION("a continuation item that is not a JSON object is refused before sending") {
    LLMRequest request = weather_question();
    Message assistant;
    assistant.role = Message::Role::assistant;
    assistant.content = "Let me look.";
    assistant.continuation = Continuation{"openai", {"not json"}};
    request.messages.push_back(assistant);
    request.messages.push_back(Message::user("Well?"));
    const auto error = thrown_by<ConfigurationError>([&] { (void)llm->complete(request); });
    CHECK_THAT(error.what(), Catch::Contains("continuation data of message 1"));
    CHECK(env.server.requests().empty());
  }
}
