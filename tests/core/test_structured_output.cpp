// Structured output through the host: JSON Schema requests, host-side validation, typed answers.
#include "provider_test_env.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <string>

using namespace majordomo;
using majordomo::testing::ProviderTestEnv;

namespace {

const std::string kLocationSchema =
    R"({"type":"object","properties":{"city":{"type":"string"},"temperature":{"type":"number"},)"
    R"("units":{"type":"string","enum":["c","f"]}},"required":["city","temperature","units"],)"
    R"("additionalProperties":false})";

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// An OpenAI chat completion whose answer text is `content`.
fake::ScriptedResponse openai_answer(const std::string& content) {
  fake::ScriptedResponse response;
  response.content_type = "application/json";
  response.body = fmt::format(
      R"({{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o",)"
      R"("choices":[{{"index":0,"message":{{"role":"assistant","content":{}}},"finish_reason":"stop"}}],)"
      R"("usage":{{"prompt_tokens":5,"completion_tokens":5,"total_tokens":10}}}})",
      json_string(content));
  return response;
}

Response answer(std::string content) {
  Response response;
  response.provider = "test";
  response.content = std::move(content);
  return response;
}

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
  const auto object = result.value.extract<Poco::JSON::Object::Ptr>();
  CHECK(object->getValue<std::string>("city") == "San Francisco");
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
      (void)llm->get_json_schema_response("Weather?", R"({"type":"object"})", "Anything");
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
                          // Valid JSON Schema regex syntax that std::regex cannot compile.
                          R"({"type":"object","properties":{"name":{"type":"string","pattern":"^\\p{L}+$"}}})",
                          R"({"type":"object","patternProperties":{"(?<=x)y":{"type":"string"}}})"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(env.openai()->get_json_schema_response("Where?", bad, "Location"), ConfigurationError);
  }
  CHECK_THROWS_AS(env.anthropic()->get_json_schema_response("Where?", kLocationSchema, "Location"),
                  UnsupportedError);
  CHECK(env.server.requests().empty());
}

TEST_CASE("a string too long to match against a pattern is a mismatch, not a crash", "[structured]") {
  ProviderTestEnv env;
  const std::string schema =
      R"({"type":"object","properties":{"word":{"type":"string","pattern":"^(a|b)*$"}},"required":["word"]})";
  const std::string raw = R"({"word":")" + std::string(100 * 1024, 'a') + R"("})";
  env.server.push_response(openai_answer(raw));
  try {
    env.openai()->get_json_schema_response("Say a word", schema, "Word");
    FAIL("no error");
  } catch (const SchemaMismatchError& error) {
    CHECK_THAT(error.what(), Catch::Contains("too long to check"));
    CHECK(error.partial_content() == raw);
  }
  // A short one is matched as usual.
  env.server.push_response(openai_answer(R"({"word":"abba"})"));
  CHECK(env.openai()->get_json_schema_response("Say a word", schema, "Word").json_text == R"({"word":"abba"})");
}

TEST_CASE("get_structured_response converts a checked answer into a struct", "[structured]") {
  ProviderTestEnv env;
  const auto llm = env.openai();
  env.push_fixture("openai/structured_output.json");
  const Location location = get_structured_response<Location>(
      *llm, "Weather in SF?", kLocationSchema, "Location", [](const Poco::JSON::Object::Ptr& object) {
        return Location{object->getValue<std::string>("city"), object->getValue<double>("temperature")};
      });
  CHECK(location.city == "San Francisco");
  CHECK(location.temperature == 65);

  env.server.push_response(openai_answer("[1,2,3]"));
  const auto count = get_structured_response<std::size_t>(
      *llm, "Numbers?", R"({"type":"array","items":{"type":"integer"}})", "Numbers",
      [](const Poco::Dynamic::Var& value) { return value.extract<Poco::JSON::Array::Ptr>()->size(); });
  CHECK(count == 3);
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
    CHECK_NOTHROW(schema.check(answer(row.valid)));
    CHECK_THROWS_AS(schema.check(answer(row.invalid)), SchemaMismatchError);
  }
}
