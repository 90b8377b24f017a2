// JSON Schema patterns checked with RE2: long answers, pathological patterns, small stacks, refused constructs, ECMA-262 syntax.
#include "provider_test_env.hpp"

#include <catch2/catch.hpp>

#include <pthread.h>

#include <chrono>
#include <exception>
#include <functional>
#include <string>

using namespace majordomo;
using namespace majordomo::testing;

namespace {

// The answer of issue 9: std::regex recursed once per character on this pattern and overflowed the
// stack at about 12 000 characters (sooner on a smaller stack).
const std::string kGroupSchema =
    R"({"type":"object","properties":{"word":{"type":"string","pattern":"^(a|b)*$"}},"required":["word"]})";
// Exponential backtracking for a backtracking matcher: minutes for 30 letters and a '!'.
const std::string kBacktrackingSchema =
    R"({"type":"object","properties":{"text":{"type":"string","pattern":"^([a-zA-Z0-9]+\\s?)*$"}},"required":["text"]})";

// The same answer as an OpenAI chat.completion.chunk stream, cut into pieces of 1000 bytes.
fake::ScriptedResponse openai_stream(const std::string& content) {
  fake::ScriptedResponse response;
  response.content_type = "text/event-stream";
  for (std::size_t at = 0; at < content.size(); at += 1000) {
    response.body += R"(data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,)"
                     R"("delta":{"content":)" +
                     json_quoted(content.substr(at, 1000)) + R"(},"finish_reason":null}]})" + "\n\n";
  }
  response.body += R"(data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,)"
                   R"("delta":{},"finish_reason":"stop"}]})"
                   "\n\ndata: [DONE]\n\n";
  return response;
}

// Runs `work` on a thread with a stack of `stack_bytes` and rethrows what it threw.
void on_small_stack(std::size_t stack_bytes, const std::function<void()>& work) {
  struct Job {
    const std::function<void()>* work;
    std::exception_ptr error;
  } job{&work, nullptr};
  pthread_attr_t attributes;
  REQUIRE(pthread_attr_init(&attributes) == 0);
  REQUIRE(pthread_attr_setstacksize(&attributes, stack_bytes) == 0);
  pthread_t thread;
  const int created = pthread_create(
      &thread, &attributes,
      [](void* argument) -> void* {
        auto* running = static_cast<Job*>(argument);
        try {
          (*running->work)();
        } catch (...) {
          running->error = std::current_exception();
        }
        return nullptr;
      },
      &job);
  pthread_attr_destroy(&attributes);
  REQUIRE(created == 0);
  REQUIRE(pthread_join(thread, nullptr) == 0);
  if (job.error) std::rethrow_exception(job.error);
}

// The ConfigurationError message of JsonSchema(schema), or "" when the schema is accepted.
std::string refusal(const std::string& schema) {
  try {
    const JsonSchema parsed(schema, "openai");
  } catch (const ConfigurationError& error) {
    return error.what();
  }
  return "";
}

bool accepts(const std::string& pattern, const std::string& value_json) {
  const JsonSchema schema(R"({"pattern":)" + json_quoted(pattern) + "}");
  return schema.accepts(JsonValue::parse(value_json));
}

}  // namespace

TEST_CASE("a group pattern checks a 12 000-character answer, JSON and stream", "[structured][patterns]") {
  ProviderTestEnv env;
  const std::string matching = R"({"word":")" + std::string(12'000, 'a') + R"("})";
  const std::string breaking = R"({"word":")" + std::string(12'000, 'a') + R"(c"})";
  env.server.push_response(openai_answer(matching));
  CHECK(env.openai()->get_json_schema_response("Say a word", kGroupSchema, "Word").json_text == matching);
  env.server.push_response(openai_answer(breaking));
  try {
    (void)env.openai()->get_json_schema_response("Say a word", kGroupSchema, "Word");
    FAIL("no error");
  } catch (const SchemaMismatchError& error) {
    CHECK_THAT(error.what(), Catch::Contains("^(a|b)*$"));
    CHECK(error.partial_content() == breaking);
  }
  for (const std::string& text : {matching, breaking}) {
    env.server.push_response(openai_stream(text));
    StructuredStream structured = get_json_schema_response_stream(*env.openai(), "Say a word", kGroupSchema, "Word");
    if (text == matching) {
      CHECK(structured.finish().json_text == matching);
    } else {
      CHECK_THROWS_AS(structured.finish(), SchemaMismatchError);
    }
  }
  // Far longer strings too: RE2 neither recurses nor backtracks.
  const JsonSchema schema(kGroupSchema);
  CHECK(schema.check(answer_only(R"({"word":")" + std::string(1'000'000, 'b') + R"("})")).value.at("word").as_string().size() ==
        1'000'000);
}

TEST_CASE("a 12 000-character answer is checked on a thread with a 64 KiB stack", "[structured][patterns]") {
  const JsonSchema schema(kGroupSchema);
  const std::string matching = R"({"word":")" + std::string(12'000, 'a') + R"("})";
  bool matched = false;
  on_small_stack(64 * 1024, [&] { matched = schema.check(answer_only(matching)).value.at("word").as_string().size() == 12'000; });
  CHECK(matched);
  CHECK_THROWS_AS(on_small_stack(64 * 1024, [&] { (void)schema.check(answer_only(matching + "x")); }), ParseError);
  CHECK_THROWS_AS(on_small_stack(64 * 1024,
                                 [&] {
                                   (void)schema.check(answer_only(R"({"word":")" + std::string(12'000, 'a') + R"(c"})"));
                                 }),
                  SchemaMismatchError);
  // The same for a property name checked by patternProperties, and a date checked by "format".
  const JsonSchema names(R"({"type":"object","patternProperties":{"^(a|b)*$":{"type":"integer"}},)"
                         R"("additionalProperties":false})");
  CHECK_NOTHROW(on_small_stack(64 * 1024, [&] {
    (void)names.check(answer_only(R"({")" + std::string(12'000, 'a') + R"(":1})"));
  }));
  CHECK_THROWS_AS(on_small_stack(64 * 1024,
                                 [&] { (void)names.check(answer_only(R"({")" + std::string(12'000, 'a') + R"(c":1})")); }),
                  SchemaMismatchError);
  const JsonSchema dates(R"({"type":"object","properties":{"day":{"type":"string","format":"date"}}})");
  CHECK_THROWS_AS(on_small_stack(64 * 1024,
                                 [&] { (void)dates.check(answer_only(R"({"day":")" + std::string(12'000, '1') + R"("})")); }),
                  SchemaMismatchError);
}

TEST_CASE("a backtracking-prone pattern is checked quickly and correctly, JSON and stream", "[structured][patterns]") {
  ProviderTestEnv env;
  const std::string breaking = R"({"text":")" + std::string(30, 'a') + R"(!"})";
  const std::string matching = R"({"text":"aaa bbb ccc"})";
  const auto started = std::chrono::steady_clock::now();
  env.server.push_response(openai_answer(breaking));
  CHECK_THROWS_AS(env.openai()->get_json_schema_response("Text?", kBacktrackingSchema, "Text"), SchemaMismatchError);
  env.server.push_response(openai_stream(breaking));
  StructuredStream structured = get_json_schema_response_stream(*env.openai(), "Text?", kBacktrackingSchema, "Text");
  CHECK_THROWS_AS(structured.finish(), SchemaMismatchError);
  env.server.push_response(openai_answer(matching));
  CHECK(env.openai()->get_json_schema_response("Text?", kBacktrackingSchema, "Text").json_text == matching);
  // A generous bound on what took minutes before: the checks themselves take microseconds.
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(20));
}

TEST_CASE("patterns RE2 cannot run are a configuration error naming the construct, before sending",
          "[structured][patterns]") {
  ProviderTestEnv env;
  const struct {
    const char* pattern;
    const char* construct;
  } refused[] = {
      {"^(?=a)\\\\w+$", "lookahead"},       {"^(?!a)\\\\w+$", "negative lookahead"},
      {"(?<=x)y", "lookbehind"},            {"(?<!x)y", "negative lookbehind"},
      {"^(a)\\\\1$", "backreference"},      {"^(?<w>a)\\\\k<w>$", "named backreference"},
  };
  for (const auto& bad : refused) {
    CAPTURE(bad.pattern);
    for (const std::string& schema :
         {std::string(R"({"type":"object","properties":{"w":{"type":"string","pattern":")") + bad.pattern + R"("}}})",
          std::string(R"({"type":"object","patternProperties":{")") + bad.pattern + R"(":{"type":"string"}}})"}) {
      const std::string message = refusal(schema);
      CHECK_THAT(message, Catch::Contains(bad.construct));
      CHECK_THAT(message, Catch::Contains("RE2"));
      CHECK_THROWS_AS(env.openai()->get_json_schema_response("Where?", schema, "W"), ConfigurationError);
    }
  }
  // Syntax RE2 rejects for other reasons names RE2's reason; a $ref cycle is refused too.
  CHECK_THAT(refusal(R"({"pattern":"a{2000}"})"), Catch::Contains("cannot be compiled"));
  CHECK_THAT(refusal(R"({"pattern":"(ab"})"), Catch::Contains("(ab"));
  CHECK_THAT(refusal(R"({"definitions":{"a":{"$ref":"#/definitions/b"},"b":{"$ref":"#/definitions/a"}},)"
                     R"("properties":{"x":{"$ref":"#/definitions/a"}}})"),
             Catch::Contains("cycle"));
  CHECK_THAT(refusal(R"({"$ref":"#"})"), Catch::Contains("cycle"));
  // Found by fuzz_schema: valijson reads a relative URI before '#' as this document, so this was
  // a reference to the root, followed until the stack overflowed.
  CHECK_THAT(refusal(R"({"$ref":"http:/exclusiveMaximum/draft-07/schema#"})"), Catch::Contains("cycle"));
  CHECK_THAT(refusal(R"({"$ref":"name.json"})"), Catch::Contains("cycle"));
  // Found by fuzz_schema: valijson reads the array index "1d" as 1 (std::stoul), and empty tokens are skipped.
  CHECK_THAT(refusal(R"({"items":[{"type":"integer"},{"$ref":"#/items/1d"}]})"), Catch::Contains("cycle"));
  CHECK_THAT(refusal(R"({"items":[{"type":"integer"},{"$ref":"#//items//1"}]})"), Catch::Contains("cycle"));
  CHECK_THAT(refusal(R"({"definitions":{"a":{"$ref":"#/definitions/%62"},"b":{"$ref":"#/definitions/a/"}},)"
                     R"("$ref":"#/definitions/a"})"),
             Catch::Contains("cycle"));
  // Found by fuzz_schema: a loop through oneOf checked the same value against the same schema
  // until the stack overflowed, while checking the answer.
  CHECK_THAT(refusal(R"({"oneOf":[{"$ref":"$defser"},{"$ref":"$dfsms/0"}]})"), Catch::Contains("cycle"));
  CHECK_THAT(refusal(R"({"definitions":{"a":{"anyOf":[{"not":{"$ref":"#/definitions/b"}}]},"b":{"allOf":[{"$ref":"#/definitions/a"}]}},)"
                     R"("properties":{"x":{"$ref":"#/definitions/a"}}})"),
             Catch::Contains("cycle"));
  // Found by fuzz_schema: valijson divided an integer answer by a multipleOf of 0 (SIGFPE).
  CHECK_THAT(refusal(R"({"if":{"minimum":0},"then":{"multipleOf":0}})"), Catch::Contains("multipleOf"));
  CHECK_THAT(refusal(R"({"multipleOf":-2})"), Catch::Contains("multipleOf"));
  CHECK(refusal(R"({"multipleOf":0.5})").empty());
  // Found by fuzz_schema: a reference to the rewrite's alias of the root made a cycle there.
  CHECK_THAT(refusal(R"({"$ref":"#/x-majordomo-root","definitions":{"bool":false}})"), Catch::Contains("reserved"));
  CHECK_THAT(refusal(R"({"properties":{"a":{"x-majordomo-re2-pattern":0}}})"), Catch::Contains("reserved"));
  // Recursion that descends into the answer is fine.
  CHECK(refusal(R"({"type":"object","properties":{"kids":{"type":"array","items":{"$ref":"#"}}},)"
                R"("anyOf":[{"required":["kids"]},{"$ref":"#/definitions/leaf"}],"definitions":{"leaf":{"maxProperties":0}}})")
            .empty());
  // A reference to the root from inside a patternProperties schema is recursion, not a cycle.
  CHECK(refusal(R"({"patternProperties":{"^k":{"$ref":"x.json"}},"type":"object"})").empty());
  CHECK_THAT(refusal(R"({"$ref":"urn:)" + std::string(2000, 'a') + R"("})"), Catch::Contains("longer than"));
  CHECK(env.server.requests().empty());
}

TEST_CASE("an id keyword does not change what a reference resolves to", "[structured][patterns]") {
  // Found by fuzz_schema: under this "id", valijson followed "$ref":"tree" while loading until the
  // stack overflowed.
  CHECK_NOTHROW(JsonSchema(R"({"id":"http:cst:1234/tree","type":"object","properties":{"meta":{"type":"string"},)"
                           R"("nodes":{"properties":{"value":{"type":"number"},"subtree":{"$ref":"tree"}},)"
                           R"("required":["value"]}}})"));
  // The recursion still descends into the answer, whatever the id says.
  for (const char* id : {"tree", "http:cst:1234/tree", "http://example.com/tree", "urn:tree"}) {
    const JsonSchema tree(std::string(R"({"id":")") + id +
                          R"(","type":"object","properties":{"value":{"type":"number"},)"
                          R"("kids":{"type":"array","items":{"$ref":"#"}}},"required":["value"]})");
    CHECK(tree.accepts(JsonValue::parse(R"({"value":1,"kids":[{"value":2,"kids":[{"value":3}]}]})")));
    CHECK_FALSE(tree.accepts(JsonValue::parse(R"({"value":1,"kids":[{"value":2,"kids":[{"value":"x"}]}]})")));
  }
  // A reference that names the root's own id resolves within the document, as before.
  const JsonSchema absolute(R"({"id":"http://example.com/s.json#","definitions":{"a":{"type":"integer"}},)"
                            R"("properties":{"n":{"$ref":"http://example.com/s.json#/definitions/a"}}})");
  CHECK(absolute.accepts(JsonValue::parse(R"({"n":1})")));
  CHECK_FALSE(absolute.accepts(JsonValue::parse(R"({"n":"x"})")));
  CHECK_THAT(refusal(R"({"id":"http://example.com/s.json","$ref":"http://example.com/s.json#"})"), Catch::Contains("cycle"));
  // An "id" that valijson does not read as a scope (an object) stays, and can be referred to.
  const JsonSchema member(R"({"id":{"type":"integer"},"properties":{"n":{"$ref":"#/id"}}})");
  CHECK(member.accepts(JsonValue::parse(R"({"n":1})")));
  CHECK_FALSE(member.accepts(JsonValue::parse(R"({"n":"x"})")));
  // A property called "id" is a property like any other.
  const JsonSchema named(R"({"type":"object","properties":{"id":{"type":"integer"}},"required":["id"]})");
  CHECK(named.accepts(JsonValue::parse(R"({"id":7})")));
  CHECK_FALSE(named.accepts(JsonValue::parse(R"({"id":"seven"})")));
}

TEST_CASE("ECMA-262 pattern syntax is translated for RE2", "[structured][patterns]") {
  // Unicode property classes (std::regex had none) and \u escapes, also as a surrogate pair.
  CHECK(accepts("^\\p{L}+$", R"("Zoë")"));
  CHECK_FALSE(accepts("^\\p{L}+$", R"("Zoë1")"));
  CHECK(accepts("^caf\\u00e9$", R"("café")"));
  CHECK(accepts("^\\ud83d\\ude00$", R"("😀")"));
  // \d and \w are ASCII, as in ECMA-262; '.' is one code point and stops at line terminators.
  CHECK_FALSE(accepts("^\\d$", R"("٣")"));
  CHECK_FALSE(accepts("^\\w$", R"("é")"));
  CHECK(accepts("^.$", R"("é")"));
  CHECK_FALSE(accepts("^.$", R"("\n")"));
  CHECK_FALSE(accepts("^.$", R"("\r")"));
  CHECK_FALSE(accepts("^.$", "\"\u2028\""));
  // \s has ECMA-262's Unicode spaces and \v; $ is the end of the text only (not before a final \n).
  CHECK(accepts("^\\s$", "\"\u00a0\""));
  CHECK(accepts("^\\s$", R"("\u000b")"));
  CHECK(accepts("^a\\sb$", R"("a\u3000b")"));
  CHECK_FALSE(accepts("^\\S$", "\"\u00a0\""));
  CHECK_FALSE(accepts("^a$", R"("a\n")"));
  // Unanchored patterns search, as JSON Schema says; named groups and [^] work; \cJ is a newline.
  CHECK(accepts("b", R"("abc")"));
  CHECK(accepts("^(?<year>\\d{4})-\\d{2}$", R"("2026-12")"));
  CHECK(accepts("^a[^]c$", R"("a\nc")"));
  CHECK_FALSE(accepts("^a[]c$", R"("abc")"));
  CHECK(accepts("^a\\cJb$", R"("a\nb")"));
  CHECK(accepts("^\\/\\-$", R"("/-")"));
  // Non-strings are not constrained by "pattern".
  CHECK(accepts("^a$", "12"));
}

TEST_CASE("patternProperties and additionalProperties keep their meaning under RE2", "[structured][patterns]") {
  // Refs inside a patternProperties schema resolve against the caller's root, also recursively.
  const JsonSchema tree(R"({"type":"object","definitions":{"leaf":{"type":"integer"}},)"
                        R"("properties":{"name":{"type":"string"}},)"
                        R"("patternProperties":{"^n_":{"$ref":"#/definitions/leaf"},"^kid_":{"$ref":"#"}},)"
                        R"("additionalProperties":{"type":"boolean"}})");
  CHECK(tree.accepts(JsonValue::parse(R"({"name":"x","n_1":1,"flag":true,"kid_a":{"n_2":2,"kid_b":{"other":false}}})")));
  CHECK_FALSE(tree.accepts(JsonValue::parse(R"({"n_1":"one"})")));
  CHECK_FALSE(tree.accepts(JsonValue::parse(R"({"kid_a":{"kid_b":{"n_1":"one"}}})")));
  CHECK_FALSE(tree.accepts(JsonValue::parse(R"({"other":1})")));
  CHECK_FALSE(tree.accepts(JsonValue::parse(R"({"name":1})")));
  // The mismatch message names the member's path.
  try {
    (void)tree.check(answer_only(R"({"kid_a":{"n_7":"seven"}})"));
    FAIL("no error");
  } catch (const SchemaMismatchError& error) {
    CHECK_THAT(error.what(), Catch::Contains("[kid_a]") && Catch::Contains("[n_7]"));
  }
  // A property called "pattern", and data that merely looks like a schema, are left alone.
  const JsonSchema named(R"j({"type":"object","properties":{"pattern":{"type":"string"},)j"
                         R"j("patternProperties":{"const":{"pattern":"(?=x)"}}}})j");
  CHECK(named.accepts(JsonValue::parse(R"j({"pattern":"(((","patternProperties":{"pattern":"(?=x)"}})j")));
  CHECK_FALSE(named.accepts(JsonValue::parse(R"({"patternProperties":{"pattern":"x"}})")));
}
