// Structured output through the host: JSON Schema requests, host-side validation, typed answers.
#include "provider_test_env.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <string>

using namespace majordomo;
using namespace majordomo::testing;

namespace {

const std::string kLocationSchema =
    R"({"type":"object","properties":{"city":{"type":"string"},"temperature":{"type":"number"},)"
    R"("units":{"type":"string","enum":["c","f"]}},"required":["city","temperature","units"],)"
    R"("additionalProperties":false})";

struct Location {
  std::string city;
  double temperature = 0;
};

}  // namespace

TEST_CASE("a matching answer passes and the request carries the schema and its name", "[structured]") {
  ProviderTestEnv env;
  const auto llm = env.openai();
  env.push_fixture("openai/structured_output.json");
  const JsonResponse result = llm->get_json_schema_response("Weather in SF?", kLocationSchema, "Location");
  CHECK(result.value.at("city").as_string() == "San Francisco");
  CHECK(result.json_text == result.response.content);

  const auto requests = env.server.requests();
  REQUIRE(requests.size() == 1);
  Poco::JSON::Parser parser;
  const auto body = parser.parse(requests[0].body).extract<Poco::JSON::Object::Ptr>();
  const auto format = body->getObject("response_format");
  REQUIRE(format);
  CHECK(format->getValue<std::string>("type") == "json_schema");
  const auto json_schema = format->getObject("json_schema");
  REQUIRE(json_schema);
  CHECK(json_schema->getValue<std::string>("name") == "Location");
  const auto sent_schema = json_schema->getObject("schema");
  REQUIRE(sent_schema);
  CHECK(sent_schema->getObject("properties")->has("temperature"));
  CHECK(requests[0].body.find(kLocationSchema) != std::string::npos);
}

TEST_CASE("answers that break the schema, are empty or are not JSON are refused with the raw text",
          "[structured]") {
  ProviderTestEnv env;
  const auto llm = env.openai();

  SECTION("temperature as a string") {
    const std::string raw = R"({"city":"Paris","temperature":"warm","units":"c"})";
    env.server.push_response(openai_answer(raw));
    try {
      (void)llm->get_json_schema_response("Weather?", kLocationSchema, "Location");
      FAIL("no error");
    } catch (const SchemaMismatchError& error) {
      CHECK(error.kind() == ErrorKind::schema_mismatch);
      CHECK(error.partial_content() == raw);
      CHECK(error.provider() == "openai");
      CHECK(std::string(error.what()).find("temperature") != std::string::npos);
    }
  }
  SECTION("a required property missing, in a code fence") {
    const std::string raw = "```json\n{\"city\":\"Paris\",\"units\":\"c\"}\n```";
    env.server.push_response(openai_answer(raw));
    try {
      (void)llm->get_json_schema_response("Weather?", kLocationSchema, "Location");
      FAIL("no error");
    } catch (const SchemaMismatchError& error) {
      CHECK(error.partial_content() == raw);
    }
  }
  SECTION("an empty object") {
    env.server.push_response(openai_answer("{}"));
    try {
      (void)llm->get_json_schema_response("Weather?", R"({"type":"object","properties":{"a":{}}})", "Anything");
      FAIL("no error");
    } catch (const ParseError& error) {
      CHECK(error.partial_content() == "{}");
      CHECK(std::string(error.what()).find("empty") != std::string::npos);
    }
  }
  SECTION("not JSON") {
    const std::string raw = "Sorry, I cannot help with that.";
    env.server.push_response(openai_answer(raw));
    try {
      (void)llm->get_json_schema_response("Weather?", kLocationSchema, "Location");
      FAIL("no error");
    } catch (const ParseError& error) {
      CHECK(error.partial_content() == raw);
    }
  }
  CHECK(env.server.requests().size() == 1);
}

TEST_CASE("an unusable schema or a provider without the mode sends nothing", "[structured]") {
  ProviderTestEnv env;
  for (const char* bad : {"[1,2]", "not json", "", R"({"type":"object","required":"city"})",
                          R"({"$ref":"http://example.invalid/schema.json"})",
                          // Valid ECMA-262 syntax that RE2 cannot run (test_schema_patterns.cpp has more).
                          R"({"type":"object","properties":{"name":{"type":"string","pattern":"^(?=a)\\w+$"}}})",
                          R"({"type":"object","patternProperties":{"(?<=x)y":{"type":"string"}}})"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(env.openai()->get_json_schema_response("Where?", bad, "Location"), ConfigurationError);
  }
  // A listed model whose catalog entry lacks MJ_CAP_JSON_SCHEMA.
  CHECK_THROWS_AS(env.gemini(env.gemini_options(), "gemma-3-27b-it")->get_json_schema_response("Where?", kLocationSchema, "Location"),
                  UnsupportedError);
  // Schemas a dialect cannot express.
  CHECK_THROWS_AS(env.openai()->get_json_schema_response("Where?", R"({"type":"array","items":{"type":"string"}})", "L"),
                  UnsupportedError);
  CHECK_THROWS_AS(env.gemini()->get_json_schema_response(
                      "Tree?", R"({"type":"object","properties":{"kids":{"type":"array","items":{"$ref":"#"}}}})", "Tree"),
                  UnsupportedError);
  CHECK(env.server.requests().empty());
}

TEST_CASE("get_structured_response converts a checked answer into a struct", "[structured]") {
  ProviderTestEnv env;
  const auto llm = env.openai();
  env.push_fixture("openai/structured_output.json");
  const Location location = get_structured_response<Location>(
      *llm, "Weather in SF?", kLocationSchema, "Location", [](const JsonValue& answer) {
        return Location{answer.at("city").as_string(), answer.at("temperature").as_number()};
      });
  CHECK(location.city == "San Francisco");
  CHECK(location.temperature == 65);

  // OpenAI strict mode takes object roots only; DeepSeek's prompt-borne schema takes any.
  fake::ScriptedResponse numbers = openai_answer("[1,2,3]");
  env.server.push_response(numbers);
  const auto count = get_structured_response<std::size_t>(
      *env.deepseek(), "Numbers?", R"({"type":"array","items":{"type":"integer"}})", "Numbers",
      [](const JsonValue& value) { return value.size(); });
  CHECK(count == 3);

  // Reading the answer as another shape is a SchemaMismatchError that names the provider and
  // keeps the raw answer, like the schema check's own errors.
  env.push_fixture("openai/structured_output.json");
  try {
    (void)get_structured_response<std::int64_t>(*llm, "Weather in SF?", kLocationSchema, "Location",
                                                [](const JsonValue& answer) { return answer.at("city").as_integer(); });
    FAIL("a string read as an integer was not refused");
  } catch (const SchemaMismatchError& error) {
    CHECK_THAT(error.what(), Catch::Contains("as_integer() of a JSON string"));
    CHECK(error.provider() == "openai");
    CHECK_THAT(error.partial_content(), Catch::Contains("San Francisco"));
  }
}

TEST_CASE("the validator enforces the keywords structured output relies on", "[structured][valijson]") {
  struct Row {
    const char* schema;
    const char* valid;
    const char* invalid;
  };
  const Row rows[] = {
      {R"({"type":"object","properties":{"n":{"type":"integer"}}})", R"({"n":1})", R"({"n":"1"})"},
      {R"({"type":"object","required":["a"]})", R"({"a":null})", R"({"b":1})"},
      {R"({"type":"object","properties":{"a":{}},"additionalProperties":false})", R"({"a":1})",
       R"({"a":1,"b":2})"},
      {R"({"type":"object","properties":{"u":{"enum":["c","f"]}}})", R"({"u":"f"})", R"({"u":"k"})"},
      {R"({"type":"array","items":{"type":"number"}})", R"([1,2.5])", R"([1,"two"])"},
      {R"({"type":"object","properties":{"xs":{"type":"array","items":{"type":"string"}}},"required":["xs"]})",
       R"({"xs":["a"]})", R"({"xs":["a",3]})"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.schema);
    const JsonSchema schema(row.schema);
    CHECK_NOTHROW(schema.check(answer_only(row.valid)));
    CHECK_THROWS_AS(schema.check(answer_only(row.invalid)), SchemaMismatchError);
  }
}

namespace {

// Matches the answer of anthropic/structured_output.json.
const std::string kOrderSchema =
    R"({"type":"object","properties":{"product_name":{"type":"string","minLength":1},"price":{"type":"number","minimum":0},)"
    R"("quantity":{"type":"integer","minimum":1}},"required":["product_name","price","quantity"]})";

// The same with a $ref and an optional property, for the dialects that rewrite schemas.
const std::string kWrappedOrderSchema =
    R"({"$schema":"http://json-schema.org/draft-07/schema#","type":"object","properties":{"order":{"$ref":"#/definitions/order"},)"
    R"("note":{"type":"string"}},"required":["order"],"additionalProperties":false,"definitions":{"order":)" +
    kOrderSchema + "}}";

// A structured stream read piece by piece, then checked; the pieces must make up the answer.
JsonResponse streamed_structured(LLM& llm, const std::string& schema_json, const std::string& name) {
  StructuredStream structured = get_json_schema_response_stream(llm, "Two green teas at 5.50.", schema_json, name);
  const std::string text = majordomo::testing::drain(structured.stream());
  JsonResponse json = structured.finish();
  CHECK(text == json.response.content);
  CHECK_FALSE(text.empty());
  return json;
}

// An SSE body of OpenAI-style chat.completion.chunk events (OpenAI and DeepSeek) carrying `text`.
fake::ScriptedResponse chat_chunks(const std::string& model, const std::string& text) {
  fake::ScriptedResponse response;
  response.content_type = "text/event-stream";
  const auto chunk = [&](const std::string& delta, const std::string& finish, const std::string& usage) {
    return fmt::format(
        "data: {{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"{}\",\"choices\":[{{\"index\":0,"
        "\"delta\":{{\"content\":{}}},\"finish_reason\":{}}}]{}}}\n\n",
        model, json_quoted(delta), finish, usage);
  };
  for (std::size_t at = 0; at < text.size(); at += 6) response.body += chunk(text.substr(at, 6), "null", "");
  response.body += chunk("", "\"stop\"", R"(,"usage":{"prompt_tokens":5,"completion_tokens":9,"total_tokens":14})");
  response.body += "data: [DONE]\n\n";
  return response;
}

// A Cohere v2 chat stream carrying `text`.
fake::ScriptedResponse cohere_chunks(const std::string& text) {
  fake::ScriptedResponse response;
  response.content_type = "text/event-stream";
  const auto event = [&](const char* name, const std::string& data) {
    response.body += fmt::format("event: {}\ndata: {}\n\n", name, data);
  };
  event("message-start", R"({"id":"m1","type":"message-start","delta":{"message":{"role":"assistant","content":[]}}})");
  event("content-start", R"({"type":"content-start","index":0,"delta":{"message":{"content":{"type":"text","text":""}}}})");
  for (std::size_t at = 0; at < text.size(); at += 6) {
    event("content-delta", fmt::format(R"({{"type":"content-delta","index":0,"delta":{{"message":{{"content":{{"text":{}}}}}}}}})",
                                       json_quoted(text.substr(at, 6))));
  }
  event("content-end", R"({"type":"content-end","index":0})");
  event("message-end", R"({"type":"message-end","delta":{"finish_reason":"COMPLETE","usage":{"tokens":{"input_tokens":5,"output_tokens":9}}}})");
  response.body += "data: [DONE]\n\n";
  return response;
}

fake::ScriptedResponse anthropic_text_answer(const std::string& content) {
  fake::ScriptedResponse response;
  response.content_type = "application/json";
  response.body = fmt::format(
      R"({{"id":"msg_1","type":"message","role":"assistant","model":"claude-haiku-4-5","content":[{{"type":"text","text":{}}}],)"
      R"("stop_reason":"end_turn","stop_sequence":null,"usage":{{"input_tokens":5,"output_tokens":5}}}})",
      json_quoted(content));
  return response;
}

}  // namespace

TEST_CASE("anthropic models with native structured output send output_config", "[structured][anthropic]") {
  ProviderTestEnv env;
  const auto llm = env.anthropic();  // claude-haiku-4-5
  env.push_fixture("anthropic/structured_output.json");
  const JsonResponse json = llm->get_json_schema_response("Two green teas at 5.50.", kOrderSchema, "Order");
  CHECK(json.value.at("quantity").as_integer() == 2);

  const auto requests = env.server.requests();
  REQUIRE(requests.size() == 1);
  const auto body = majordomo::testing::parse_object(requests[0].body);
  const auto format = body->getObject("output_config")->getObject("format");
  CHECK(format->getValue<std::string>("type") == "json_schema");
  const auto schema = format->getObject("schema");
  CHECK_FALSE(schema->getValue<bool>("additionalProperties"));
  CHECK_FALSE(schema->getObject("properties")->getObject("price")->has("minimum"));  // refused by the service
  CHECK_FALSE(body->has("tools"));
  CHECK(ProviderTestEnv::only_header(requests[0], "anthropic-version") == "2023-06-01");
  CHECK(ProviderTestEnv::only_header(requests[0], "anthropic-beta") == "<absent>");

  // The fake answers from the schema as the service would, streamed as text deltas.
  const JsonResponse streamed = streamed_structured(*llm, kWrappedOrderSchema, "Order");
  CHECK(streamed.value.find("order") != nullptr);

  // A mismatch and an empty object are typed errors.
  env.server.push_response(anthropic_text_answer(R"({"product_name":"Tea","price":"cheap","quantity":2})"));
  CHECK_THROWS_AS(llm->get_json_schema_response("Order?", kOrderSchema, "Order"), SchemaMismatchError);
  env.server.push_response(anthropic_text_answer("{}"));
  CHECK_THROWS_AS(llm->get_json_schema_response("Order?", kOrderSchema, "Order"), ParseError);
}

TEST_CASE("every Claude model of the catalog gets output_config, never a forced tool call", "[structured][anthropic]") {
  // Opus 5.5, Sonnet 5.5 and the Fable line answer a forced tool call with an error, so a catalog
  // model missing from the plugin's native list would fail every structured request.
  ProviderTestEnv env;
  const PluginInfo* info = env.host.find_plugin("anthropic");
  REQUIRE(info != nullptr);
  REQUIRE_FALSE(info->models.empty());
  for (const auto& model : info->models) {
    CAPTURE(model.id);
    LLMRequest request = LLMRequest::from_prompt("Order?");
    request.format = ResponseFormat::json_schema;
    request.schema_json = kOrderSchema;
    request.schema_name = "Order";
    const auto resolved = env.anthropic(env.anthropic_options(), model.id)->resolve(request, false);
    REQUIRE(resolved.size() == 1);
    const auto body = majordomo::testing::parse_object(resolved[0].body);
    CHECK(body->has("output_config"));
    CHECK_FALSE(body->has("tool_choice"));
  }
  CHECK(env.server.requests().empty());
}

TEST_CASE("anthropic models without output_config get a forced tool call whose input is the answer",
          "[structured][anthropic]") {
  ProviderTestEnv env;
  // Every catalog model takes output_config, so a model outside the catalog stands for the others.
  const auto llm = env.anthropic(env.anthropic_options(), "claude-experimental-x");
  const JsonResponse json = llm->get_json_schema_response("Two green teas at 5.50.", kWrappedOrderSchema, "Order");
  const JsonValue* order = json.value.find("order");
  REQUIRE(order);
  CHECK(order->at("product_name").is_string());
  CHECK(json.response.stop_reason == StopReason::end_turn);
  CHECK(json.response.raw_stop_reason == "tool_use");

  const auto requests = env.server.requests();
  REQUIRE(requests.size() == 1);
  const auto body = majordomo::testing::parse_object(requests[0].body);
  CHECK_FALSE(body->has("output_config"));
  const auto tool = body->getArray("tools")->getObject(0);
  CHECK(tool->getValue<std::string>("name") == "Order");
  CHECK(requests[0].body.find(R"("input_schema":)" + kWrappedOrderSchema) != std::string::npos);  // as given
  CHECK(body->getObject("tool_choice")->getValue<std::string>("type") == "tool");
  CHECK(body->getObject("tool_choice")->getValue<std::string>("name") == "Order");

  // Streamed: content_block_start(tool_use) then input_json_delta pieces.
  const JsonResponse streamed = streamed_structured(*llm, kWrappedOrderSchema, "Order");
  CHECK(streamed.json_text == json.json_text);

  // Tool input must be an object.
  CHECK_THROWS_AS(llm->get_json_schema_response("Tags?", R"({"type":"array","items":{"type":"string"}})", "Tags"),
                  UnsupportedError);
  // A tool name Anthropic refuses is a configuration error before sending.
  CHECK_THROWS_AS(llm->get_json_schema_response("Order?", kOrderSchema, "an order"), ConfigurationError);
  CHECK(env.server.requests().size() == 2);
}

TEST_CASE("gemini sends responseSchema with references inlined and keywords it refuses removed",
          "[structured][gemini]") {
  ProviderTestEnv env;
  const auto llm = env.gemini();
  const JsonResponse json = llm->get_json_schema_response("Two green teas at 5.50.", kWrappedOrderSchema, "Order");
  CHECK(json.value.at("order").find("quantity") != nullptr);

  const auto requests = env.server.requests();
  REQUIRE(requests.size() == 1);
  const auto config = majordomo::testing::parse_object(requests[0].body)->getObject("generationConfig");
  CHECK(config->getValue<std::string>("responseMimeType") == "application/json");
  const auto schema = config->getObject("responseSchema");
  REQUIRE(schema);
  CHECK(schema->getValue<std::string>("type") == "OBJECT");
  CHECK(requests[0].body.find("$ref") == std::string::npos);
  CHECK(requests[0].body.find("additionalProperties") == std::string::npos);
  CHECK(requests[0].body.find("$schema") == std::string::npos);
  CHECK(schema->getObject("properties")->getObject("order")->getValue<std::string>("type") == "OBJECT");

  const JsonResponse streamed = streamed_structured(*llm, kWrappedOrderSchema, "Order");
  CHECK(streamed.json_text == json.json_text);

  // The recorded structured answer of the service (two recipes).
  env.push_fixture("gemini/structured_output.json");
  const JsonResponse recipes = llm->get_json_schema_response(
      "Two cookie recipes.",
      R"({"type":"array","items":{"type":"object","properties":{"recipeName":{"type":"string"},)"
      R"("ingredients":{"type":"array","items":{"type":"string"}}},"required":["recipeName","ingredients"]}})",
      "Recipes");
  CHECK(recipes.value.as_array().size() == 2);
  env.push_fixture("gemini/structured_output.json");
  CHECK_THROWS_AS(llm->get_json_schema_response("Two cookie recipes.", kOrderSchema, "Order"), SchemaMismatchError);
}

TEST_CASE("openai strict mode: optional properties go out nullable and null answers for them pass",
          "[structured][openai]") {
  ProviderTestEnv env;
  const auto llm = env.openai();
  env.server.push_response(openai_answer(R"({"order":{"product_name":"Tea","price":5.5,"quantity":2},"note":null})"));
  const JsonResponse json = llm->get_json_schema_response("Order?", kWrappedOrderSchema, "Order");
  CHECK(json.value.find("note") == nullptr);  // the null stood for "absent"
  CHECK(json.json_text.find("note") == std::string::npos);
  CHECK(json.response.content.find(R"("note":null)") != std::string::npos);  // as received

  const auto body = majordomo::testing::parse_object(env.server.requests().at(0).body);
  const auto schema = body->getObject("response_format")->getObject("json_schema")->getObject("schema");
  CHECK(schema->getArray("required")->size() == 2);
  const auto note_type = schema->getObject("properties")->getObject("note")->getArray("type");
  REQUIRE(note_type);
  CHECK(note_type->getElement<std::string>(1) == "null");
  CHECK_FALSE(schema->getObject("definitions")->getObject("order")->getObject("properties")->getObject("product_name")->has(
      "minLength"));

  // A null for a required property is still a mismatch.
  env.server.push_response(openai_answer(R"({"order":null})"));
  CHECK_THROWS_AS(llm->get_json_schema_response("Order?", kWrappedOrderSchema, "Order"), SchemaMismatchError);
}

TEST_CASE("deepseek and cohere structured answers are checked against the caller's schema",
          "[structured][deepseek][cohere]") {
  ProviderTestEnv env;
  env.push_fixture("deepseek/structured_output.json");
  const JsonResponse qa = env.deepseek()->get_json_schema_response(
      "Longest river?",
      R"({"type":"object","properties":{"question":{"type":"string"},"answer":{"type":"string"}},"required":["question","answer"]})",
      "QA");
  CHECK(qa.value.at("answer").as_string() == "The Nile River");

  const std::string book =
      R"({"type":"object","properties":{"title":{"type":"string"},"author":{"type":"string"},)"
      R"("publication_year":{"type":"integer"}},"required":["title","author","publication_year"]})";
  env.push_fixture("cohere/structured_output.json");
  CHECK(env.cohere()->get_json_schema_response("A classic?", book, "Book").value.at("publication_year").as_integer() ==
        1925);
  env.push_fixture("cohere/structured_output.json");
  CHECK_THROWS_AS(env.cohere()->get_json_schema_response("A classic?", kOrderSchema, "Order"), SchemaMismatchError);
}

TEST_CASE("structured streams are checked at the end on openai, deepseek and cohere", "[structured][stream]") {
  ProviderTestEnv env;
  const std::string order = R"({"order":{"product_name":"Green Tea","price":5.5,"quantity":2},"note":null})";

  env.server.push_response(chat_chunks("gpt-4o", order));
  const JsonResponse openai = streamed_structured(*env.openai(), kWrappedOrderSchema, "Order");
  CHECK(openai.value.find("note") == nullptr);  // null for an optional property
  CHECK(majordomo::testing::parse_object(env.server.requests().back().body)->getValue<bool>("stream"));

  // DeepSeek's schema goes in the system prompt, so a null for an optional property is checked as is.
  const std::string deepseek_order = R"({"order":{"product_name":"Green Tea","price":5.5,"quantity":2}})";
  env.server.push_response(chat_chunks("deepseek-flash", deepseek_order));
  CHECK(streamed_structured(*env.deepseek(), kWrappedOrderSchema, "Order").json_text == deepseek_order);

  env.server.push_response(cohere_chunks(deepseek_order));
  CHECK(streamed_structured(*env.cohere(), kWrappedOrderSchema, "Order").json_text == deepseek_order);

  // A streamed mismatch is the same typed error, with the streamed text.
  const std::string wrong = R"({"order":{"product_name":"Green Tea","price":"5.50","quantity":2}})";
  env.server.push_response(cohere_chunks(wrong));
  StructuredStream structured = get_json_schema_response_stream(*env.cohere(), "Order?", kWrappedOrderSchema, "Order");
  try {
    (void)structured.finish();
    FAIL("no error");
  } catch (const SchemaMismatchError& error) {
    CHECK(error.partial_content() == wrong);
    CHECK_THAT(error.what(), Catch::Contains("price"));
  }
  // And the refusals before sending apply to streams too.
  CHECK_THROWS_AS(get_json_schema_response_stream(*env.gemini(env.gemini_options(), "gemma-3-27b-it"), "Order?",
                                                  kWrappedOrderSchema, "Order"),
                  UnsupportedError);
  CHECK_THROWS_AS(get_json_schema_response_stream(*env.openai(), "Order?", "[]", "Order"), ConfigurationError);
  CHECK(env.server.requests().size() == 4);
}

TEST_CASE("recorded tool_use answers become the structured answer of a forced tool call", "[structured][anthropic]") {
  ProviderTestEnv env;
  const auto llm = env.anthropic(env.anthropic_options(), "claude-experimental-x");  // forced tool path
  const std::string weather =
      R"({"type":"object","properties":{"location":{"type":"string"},"units":{"type":"string","enum":["c","f"]}},)"
      R"("required":["location","units"]})";

  // Padded events, an empty first fragment and keys split across input_json_delta pieces.
  env.push_fixture("anthropic/stream_tool_use_padded.sse");
  StructuredStream structured = get_json_schema_response_stream(*llm, "Weather in SF?", weather, "get_weather");
  const JsonResponse streamed = structured.finish();
  CHECK(streamed.json_text == R"({"location": "San Francisco, CA", "units": "f"})");
  CHECK(streamed.response.stop_reason == StopReason::end_turn);

  // The same recording read as plain text (no forced tool) has no answer text: tool input is not text.
  env.push_fixture("anthropic/stream_tool_use_padded.sse");
  ResponseStream plain = llm->get_response_stream("Weather in SF?");
  CHECK(majordomo::testing::drain(plain).empty());
  CHECK(plain.response().stop_reason == StopReason::tool_use);
}
