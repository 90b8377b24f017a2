// The host's JSON Schema validator (valijson, configured as JsonSchema uses it) against the official draft-7 test suite.
#include <majordomo/errors.hpp>
#include <majordomo/json_value.hpp>
#include <majordomo/structured.hpp>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace {

// Debian's json-schema-test-suite package (scripts/setup.sh installs it).
const std::filesystem::path kSuite = "/usr/share/json-schema-test-suite/tests/draft7";

// The keywords structured output relies on: what callers put in schemas and what the provider
// dialects keep or drop (a dropped keyword is enforced only here, so it must work here).
const char* const kKeywordFiles[] = {
    "type",        "properties",   "required",         "additionalProperties", "items",
    "enum",        "const",        "minimum",          "maximum",              "exclusiveMinimum",
    "exclusiveMaximum", "multipleOf", "minLength",     "maxLength",            "minItems",
    "maxItems",    "uniqueItems",  "pattern",          "patternProperties",    "anyOf",
    "oneOf",       "allOf",        "not",              "ref",                  "definitions",
    "default",     "minProperties", "maxProperties",   "boolean_schema",       "if-then-else",
    // Patterns are matched with RE2 after translation from ECMA-262 (0.3): its differences show here.
    "optional/ecmascript-regex", "optional/format/date", "optional/format/time", "optional/format/date-time",
};

// "<file> | <group>" of every group with a case valijson (or JsonSchema's up-front checks) gets
// wrong. Each entry must really fail, so the list cannot hide a fix or grow stale.
const std::set<std::string> kKnownFailures = {
    // JsonSchema takes one JSON object as the root schema: a bare true/false is refused as a
    // configuration error before sending (nested boolean schemas work, see "properties").
    "boolean_schema | boolean schema 'true'",
    "boolean_schema | boolean schema 'false'",
    // These refer to the draft-7 meta-schema or to http://localhost:1234 documents by URL; the
    // host never fetches a remote $ref, so such schemas are refused up front.
    "definitions | valid definition",
    "definitions | invalid definition",
    "ref | remote ref, containing refs itself",
    "ref | Recursive references between schemas",
    // "format": "regex" is an annotation here (as in valijson before 0.3): any string passes.
    "optional/ecmascript-regex | ECMA 262 regex non-compliance",
};

}  // namespace

TEST_CASE("valijson passes the draft-7 test suite for the keywords structured output relies on",
          "[structured][valijson][suite]") {
  if (!std::filesystem::is_directory(kSuite)) {
    FAIL("the JSON-Schema-Test-Suite is missing at " << kSuite << ": run scripts/setup.sh (Debian package "
                                                        "json-schema-test-suite)");
  }
  std::set<std::string> failures;
  std::size_t cases = 0;
  for (const char* keyword : kKeywordFiles) {
    const auto file = kSuite / (std::string(keyword) + ".json");
    std::ifstream in(file);
    REQUIRE(in.good());
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    // The suite is read with JsonValue itself: the value the validator sees is the one answers get.
    const majordomo::JsonValue groups = majordomo::JsonValue::parse(text);
    for (const auto& group : groups.as_array()) {
      const std::string group_name = std::string(keyword) + " | " + group.at("description").as_string();
      std::unique_ptr<majordomo::JsonSchema> schema;
      std::string refused;
      try {
        schema = std::make_unique<majordomo::JsonSchema>(group.at("schema").to_json());
      } catch (const majordomo::Error& error) {
        refused = error.what();
      }
      for (const auto& test : group.at("tests").as_array()) {
        ++cases;
        bool verdict = false;
        bool answered = schema != nullptr;
        if (answered) {
          try {
            verdict = schema->accepts(test.at("data"));
          } catch (const std::exception&) {
            answered = false;
          }
        }
        if (!answered || verdict != test.at("valid").as_bool()) failures.insert(group_name);
      }
    }
  }
  CHECK(cases > 300);  // 352 cases in the Debian 12 package: the files were all read
  // Every failing group is a known one, and every known one still fails.
  for (const auto& failure : failures) {
    CAPTURE(failure);
    CHECK(kKnownFailures.count(failure) == 1);
  }
  for (const auto& known : kKnownFailures) {
    CAPTURE(known);
    CHECK(failures.count(known) == 1);
  }
}
