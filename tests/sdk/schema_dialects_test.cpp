// Schema rewrites for the providers' structured-output dialects: OpenAI strict, Anthropic, Gemini.
#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/schema_dialects.hpp>

#include <catch2/catch.hpp>

#include <string>

using namespace majordomo::sdk;

namespace {

// The kind and message of the ProviderError `rewrite` throws.
template <class Rewrite>
std::pair<int32_t, std::string> failure(Rewrite rewrite, const std::string& schema) {
  try {
    (void)rewrite(schema);
  } catch (const ProviderError& error) {
    return {error.kind(), error.what()};
  }
  return {0, "no error"};
}

}  // namespace

TEST_CASE("openai strict leaves an already strict schema as it was", "[schema_dialects]") {
  const std::string schema =
      R"({"type":"object","properties":{"city":{"type":"string"},"temperature":{"type":"number"},)"
      R"("units":{"type":"string","enum":["c","f"]}},"required":["city","temperature","units"],)"
      R"("additionalProperties":false})";
  CHECK(openai_strict_schema(schema) == schema);
}

TEST_CASE("openai strict closes every object and makes optional properties nullable", "[schema_dialects]") {
  const std::string schema =
      R"({"type":"object","properties":{)"
      R"("name":{"type":"string","minLength":1},)"
      R"("nick":{"type":"string"},)"
      R"("unit":{"type":"string","enum":["c","f"]},)"
      R"("home":{"$ref":"#/definitions/place"},)"
      R"("tags":{"type":"array","items":{"type":"object","properties":{"k":{"type":"string"}}},"uniqueItems":true})"
      R"(},"required":["name","tags"],"definitions":{"place":{"type":"object","properties":{"x":{"type":"integer","default":0}},"required":["x"]}},)"
      R"("$schema":"http://json-schema.org/draft-07/schema#"})";
  CHECK(openai_strict_schema(schema) ==
        R"({"type":"object","properties":{)"
        R"("name":{"type":"string"},)"
        R"("nick":{"type":["string","null"]},)"
        R"("unit":{"type":["string","null"],"enum":["c","f",null]},)"
        R"("home":{"anyOf":[{"$ref":"#/definitions/place"},{"type":"null"}]},)"
        R"("tags":{"type":"array","items":{"type":"object","properties":{"k":{"type":["string","null"]}},"required":["k"],"additionalProperties":false}})"
        R"(},"definitions":{"place":{"type":"object","properties":{"x":{"type":"integer"}},"required":["x"],"additionalProperties":false}},)"
        R"("required":["name","nick","unit","home","tags"],"additionalProperties":false})");
}

TEST_CASE("openai strict maps oneOf to anyOf and merges an allOf of one schema", "[schema_dialects]") {
  CHECK(openai_strict_schema(
            R"({"type":"object","properties":{"v":{"oneOf":[{"type":"string"},{"type":"integer"}]},)"
            R"("w":{"allOf":[{"type":"boolean"}],"description":"flag"}},"required":["v","w"]})") ==
        R"({"type":"object","properties":{"v":{"anyOf":[{"type":"string"},{"type":"integer"}]},"w":{"type":"boolean"}},)"
        R"("required":["v","w"],"additionalProperties":false})");
  // An optional property without a type gains a null branch.
  CHECK(openai_strict_schema(R"({"type":"object","properties":{"v":{"anyOf":[{"type":"string"}]}}})") ==
        R"({"type":"object","properties":{"v":{"anyOf":[{"anyOf":[{"type":"string"}]},{"type":"null"}]}},)"
        R"("required":["v"],"additionalProperties":false})");
}

TEST_CASE("openai strict refuses what strict mode cannot express", "[schema_dialects]") {
  const struct {
    const char* schema;
    const char* names;
  } rows[] = {
      {R"({"type":"array","items":{"type":"string"}})", "root must be an object"},
      {R"({"type":"object"})", "without \"properties\""},
      {R"({"type":"object","properties":{"m":{"type":"object","additionalProperties":{"type":"string"}}}})",
       "at /properties/m"},
      {R"({"type":"object","properties":{"a":{"allOf":[{"type":"string"},{"minLength":2}]}}})", "allOf of several"},
      {R"({"type":"object","properties":{"t":{"type":"array","items":[{"type":"string"}]}}})", "tuple"},
      {R"({"type":"object","properties":{"b":true}})", "boolean schemas"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.schema);
    const auto [kind, message] = failure(openai_strict_schema, row.schema);
    CHECK(kind == MJ_ERR_UNSUPPORTED);
    CHECK_THAT(message, Catch::Contains(row.names) && Catch::Contains("OpenAI strict"));
  }
  CHECK(failure(openai_strict_schema, "{").first == MJ_ERR_CONFIGURATION);
  // A closed object without properties is expressible (it can only be {}).
  CHECK(openai_strict_schema(R"({"type":"object","additionalProperties":false})") ==
        R"({"type":"object","properties":{},"required":[],"additionalProperties":false})");
}

TEST_CASE("anthropic output schema closes objects and drops constraints the service refuses",
          "[schema_dialects]") {
  CHECK(anthropic_output_schema(
            R"({"type":"object","properties":{"n":{"type":"integer","minimum":1,"maximum":9},)"
            R"("s":{"type":"string","maxLength":3,"format":"email"},"u":{"type":"string","format":"iri"},)"
            R"("xs":{"type":"array","items":{"type":"string"},"minItems":2},"ys":{"type":"array","minItems":1},)"
            R"("o":{"oneOf":[{"type":"null"},{"$ref":"#/$defs/p"}]}},"required":["n"],)"
            R"("$defs":{"p":{"type":"object","properties":{"q":{"type":"string","default":"x"}}}}})") ==
        R"({"type":"object","properties":{"n":{"type":"integer"},)"
        R"("s":{"type":"string","format":"email"},"u":{"type":"string"},)"
        R"("xs":{"type":"array","items":{"type":"string"}},"ys":{"type":"array","minItems":1},)"
        R"("o":{"anyOf":[{"type":"null"},{"$ref":"#/$defs/p"}]}},"required":["n"],)"
        R"("$defs":{"p":{"type":"object","properties":{"q":{"type":"string","default":"x"}},"additionalProperties":false}},)"
        R"("additionalProperties":false})");
  CHECK(failure(anthropic_output_schema, R"({"type":"object"})").first == MJ_ERR_UNSUPPORTED);
}

TEST_CASE("gemini response schema inlines references and keeps only Schema fields", "[schema_dialects]") {
  const std::string schema =
      R"({"$schema":"http://json-schema.org/draft-07/schema#","$id":"urn:recipes","type":"array",)"
      R"("items":{"$ref":"#/definitions/recipe"},"definitions":{"recipe":{"type":"object","additionalProperties":false,)"
      R"("properties":{"recipeName":{"type":"string","default":"x"},"grams":{"type":["number","null"],"exclusiveMinimum":0},)"
      R"("kind":{"const":"sweet"},"level":{"enum":[1,2]},"tags":{"$ref":"#/$defs/tags"}},"required":["recipeName"],)"
      R"("patternProperties":{"^x":{}}}},"$defs":{"tags":{"type":"array","items":{"type":"string","enum":["a","b"]},"maxItems":3}}})";
  CHECK(gemini_response_schema(schema) ==
        R"({"type":"ARRAY","items":{"type":"OBJECT","properties":{)"
        R"("recipeName":{"type":"STRING"},"grams":{"type":"NUMBER","nullable":true},)"
        R"("kind":{"type":"STRING","enum":["sweet"]},"level":{},)"
        R"("tags":{"type":"ARRAY","items":{"type":"STRING","enum":["a","b"]},"maxItems":3}},)"
        R"("propertyOrdering":["recipeName","grams","kind","level","tags"],"required":["recipeName"]}})");
}

TEST_CASE("gemini response schema maps unions and refuses recursion", "[schema_dialects]") {
  CHECK(gemini_response_schema(R"({"type":["string","integer","null"],"description":"id"})") ==
        R"({"anyOf":[{"type":"STRING"},{"type":"INTEGER"}],"nullable":true,"description":"id"})");
  CHECK(gemini_response_schema(R"({"oneOf":[{"type":"string"},{"type":"boolean"}]})") ==
        R"({"anyOf":[{"type":"STRING"},{"type":"BOOLEAN"}]})");

  const auto [kind, message] = failure(
      gemini_response_schema,
      R"({"type":"object","properties":{"root":{"$ref":"#/definitions/node"}},)"
      R"("definitions":{"node":{"type":"object","properties":{"children":{"type":"array","items":{"$ref":"#/definitions/node"}}}}}})");
  CHECK(kind == MJ_ERR_UNSUPPORTED);
  CHECK_THAT(message, Catch::Contains("recursive") && Catch::Contains("#/definitions/node") &&
                          Catch::Contains("Gemini"));
  CHECK(failure(gemini_response_schema, R"({"$ref":"#/definitions/missing"})").first == MJ_ERR_UNSUPPORTED);
  CHECK(failure(gemini_response_schema, R"({"$ref":"other.json#/a"})").first == MJ_ERR_UNSUPPORTED);
  // The same definition used twice side by side is not recursion.
  CHECK(gemini_response_schema(R"({"type":"object","properties":{"a":{"$ref":"#/$defs/s"},"b":{"$ref":"#/$defs/s"}},)"
                               R"("$defs":{"s":{"type":"string"}}})") ==
        R"({"type":"OBJECT","properties":{"a":{"type":"STRING"},"b":{"type":"STRING"}},"propertyOrdering":["a","b"]})");
}

TEST_CASE("object roots are told from the rest", "[schema_dialects]") {
  CHECK(majordomo::sdk::has_object_root(R"({"type":"object"})"));
  CHECK(majordomo::sdk::has_object_root(R"({"properties":{"a":{}}})"));
  CHECK(majordomo::sdk::has_object_root(R"({"type":["object","null"]})"));
  CHECK_FALSE(majordomo::sdk::has_object_root(R"({"type":"array"})"));
  CHECK_FALSE(majordomo::sdk::has_object_root("[]"));
  CHECK_FALSE(majordomo::sdk::has_object_root("{"));
}

TEST_CASE("schema names follow the providers' rule", "[schema_dialects]") {
  CHECK(majordomo::sdk::valid_schema_name("Location_2-b"));
  CHECK_FALSE(majordomo::sdk::valid_schema_name(""));
  CHECK_FALSE(majordomo::sdk::valid_schema_name("has space"));
  CHECK_FALSE(majordomo::sdk::valid_schema_name(std::string(65, 'a')));
}
