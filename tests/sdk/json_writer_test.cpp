// JsonWriter tests: RFC 8259 escaping table, UTF-8 pass-through, numbers, NaN/inf rejection, scoped structure.
#include <majordomo/sdk/chat_messages.hpp>
#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/json_writer.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using namespace majordomo::sdk;

TEST_CASE("append_json_escaped escapes quotes, backslash and control characters", "[json]") {
  const std::vector<std::pair<std::string, std::string>> table = {
      {"", ""},
      {"plain text", "plain text"},
      {"say \"hi\"", "say \\\"hi\\\""},
      {"back\\slash", "back\\\\slash"},
      {"a\nb", "a\\nb"},
      {"a\rb", "a\\rb"},
      {"a\tb", "a\\tb"},
      {"a\bb", "a\\bb"},
      {"a\fb", "a\\fb"},
      {std::string("nul\0x", 5), "nul\\u0000x"},
      {"\x01\x1f", "\\u0001\\u001f"},
      {"\x1b[0m", "\\u001b[0m"},
      {"del \x7f stays", "del \x7f stays"},
      {"slash / stays", "slash / stays"},
      {"caf\xC3\xA9", "caf\xC3\xA9"},
      {"\xE6\x97\xA5\xE6\x9C\xAC", "\xE6\x97\xA5\xE6\x9C\xAC"},
      {"\xF0\x9F\x99\x82", "\xF0\x9F\x99\x82"},
      {"\"\\\n", "\\\"\\\\\\n"},
  };
  for (const auto& [input, expected] : table) {
    std::string out = "prefix:";
    append_json_escaped(out, input);
    CHECK(out == "prefix:" + expected);
  }
}

TEST_CASE("JsonWriter writes strings, keys, booleans and raw text", "[json]") {
  std::string out;
  JsonWriter json(out);
  json.raw("{").key("k\"ey").string("v\n").raw(",").key("b").boolean(true).raw(",").key("c").boolean(false).raw("}");
  CHECK(out == "{\"k\\\"ey\":\"v\\n\",\"b\":true,\"c\":false}");
}

TEST_CASE("JsonWriter writes numbers", "[json]") {
  const auto write_int = [](int64_t value) {
    std::string out;
    JsonWriter(out).number(value);
    return out;
  };
  const auto write_double = [](double value) {
    std::string out;
    JsonWriter(out).number(value);
    return out;
  };
  CHECK(write_int(0) == "0");
  CHECK(write_int(-42) == "-42");
  CHECK(write_int(std::numeric_limits<int64_t>::max()) == "9223372036854775807");
  CHECK(write_int(std::numeric_limits<int64_t>::min()) == "-9223372036854775808");
  CHECK(write_double(0.1) == "0.1");
  CHECK(write_double(0.7) == "0.7");
  CHECK(write_double(1.5) == "1.5");
  CHECK(write_double(-2.25) == "-2.25");
  CHECK(std::strtod(write_double(1.0).c_str(), nullptr) == 1.0);
  CHECK(std::strtod(write_double(1e300).c_str(), nullptr) == 1e300);
  CHECK(std::strtod(write_double(5e-324).c_str(), nullptr) == 5e-324);
  // Shortest round trip: 0.1 + 0.2 needs all 17 digits.
  CHECK(write_double(0.1 + 0.2) == "0.30000000000000004");
}

TEST_CASE("JsonWriter rejects NaN and infinity", "[json]") {
  std::string out;
  JsonWriter json(out);
  CHECK_THROWS_AS(json.number(std::nan("")), std::invalid_argument);
  CHECK_THROWS_AS(json.number(std::numeric_limits<double>::infinity()), std::invalid_argument);
  CHECK_THROWS_AS(json.number(-std::numeric_limits<double>::infinity()), std::invalid_argument);
  CHECK(out.empty());
}

TEST_CASE("JsonWriter scopes place the commas of objects and arrays", "[json]") {
  std::string out;
  JsonWriter json(out);
  json.begin_object();
  json.key("a").number(int64_t{1});
  json.key("b").begin_array().string("x").number(2.5).boolean(false).null().end_array();
  json.key("c").begin_object().key("d").string_or_null("").key("e").string_or_null("f").end_object();
  json.key("g").raw_value(R"({"kept":[1,2]})");
  json.end_object();
  CHECK(out == R"({"a":1,"b":["x",2.5,false,null],"c":{"d":null,"e":"f"},"g":{"kept":[1,2]}})");
  CHECK_FALSE(json.in_scope());
}

TEST_CASE("JsonWriter scopes nest deeply and write empty containers", "[json]") {
  std::string out;
  JsonWriter json(out);
  json.begin_array().begin_object().end_object().begin_array().end_array().begin_object().end_object().end_array();
  CHECK(out == "[{},[],{}]");

  // Far deeper than any fixed-size stack would hold: the writer keeps only a depth and one flag.
  std::string deep;
  JsonWriter nested(deep);
  constexpr int kDepth = 1000;
  for (int i = 0; i < kDepth; ++i) nested.begin_array().number(int64_t{i});
  for (int i = 0; i < kDepth; ++i) nested.end_array().string("after");
  std::string expected;
  for (int i = 0; i < kDepth; ++i) expected += (i == 0 ? "[" : ",[") + std::to_string(i);
  for (int i = 0; i < kDepth; ++i) expected += i + 1 < kDepth ? "],\"after\"" : "]";
  // The last "after" follows the outermost array at depth 0, where the writer adds no comma.
  CHECK(deep == expected + "\"after\"");
}

TEST_CASE("JsonWriter without scopes writes exactly the bytes it is given", "[json]") {
  // The style of plugins built before scopes existed: same calls, same bytes as before.
  std::string out = "prefix ";
  JsonWriter json(out);
  json.raw("{").key("model").string("m").raw(",").key("messages").raw("[");
  json.raw("{").key("n").number(int64_t{-3}).raw("}").raw(",").raw("{").key("x").number(0.5).raw("}");
  json.raw("],").key("stream").boolean(true).raw(",").key("t").raw("null").raw("}");
  CHECK(out == R"(prefix {"model":"m","messages":[{"n":-3},{"x":0.5}],"stream":true,"t":null})");
  // Values side by side outside a scope get no separator either.
  std::string bare;
  JsonWriter(bare).string("a").number(int64_t{1}).boolean(false).null();
  CHECK(bare == R"("a"1falsenull)");
}

TEST_CASE("JsonWriter resumes an array opened by hand", "[json]") {
  for (const bool has_items : {false, true}) {
    std::string out;
    JsonWriter json(out);
    json.raw("[");
    if (has_items) json.string("system");
    json.resume_array(has_items);
    json.begin_object().key("role").string("user").end_object();
    json.begin_object().key("role").string("assistant").end_object();
    json.suspend_array();
    json.raw("]");
    CHECK_FALSE(json.in_scope());
    CHECK(out == (has_items ? R"(["system",{"role":"user"},{"role":"assistant"}])"
                            : R"([{"role":"user"},{"role":"assistant"}])"));
  }
}

TEST_CASE("JsonWriter scoped output equals the hand-written output", "[json]") {
  std::string by_hand;
  JsonWriter hand(by_hand);
  hand.raw("{").key("usage").raw("{").key("in").number(int64_t{3}).raw(",").key("out").number(int64_t{4});
  hand.raw("},").key("list").raw("[").string("a").raw(",").string("b").raw("]}");
  std::string scoped;
  JsonWriter json(scoped);
  json.begin_object().key("usage").begin_object().key("in").number(int64_t{3}).key("out").number(int64_t{4});
  json.end_object().key("list").begin_array().string("a").string("b").end_array().end_object();
  CHECK(scoped == by_hand);
}

TEST_CASE("JsonWriter writes no comma for a rejected number", "[json]") {
  std::string out;
  JsonWriter json(out);
  json.begin_array().number(int64_t{1});
  CHECK_THROWS_AS(json.number(std::nan("")), std::invalid_argument);
  json.number(int64_t{2}).end_array();
  CHECK(out == "[1,2]");
}

TEST_CASE("append_chat_turns writes turns into a scope or into an array written by hand", "[json]") {
  const mj_message messages[] = {{MJ_ROLE_USER, 0, {"hi", 2}}, {MJ_ROLE_ASSISTANT, 0, {"yo\n", 3}}};
  mj_request request{};
  request.messages = messages;
  request.message_count = 2;
  const std::string turns = R"({"role":"user","content":"hi"},{"role":"assistant","content":"yo\n"})";

  std::string scoped;
  JsonWriter json(scoped);
  json.begin_array().string("first");
  majordomo::sdk::append_chat_turns(json, request);
  json.end_array();
  CHECK(scoped == "[\"first\"," + turns + "]");

  for (const bool first : {true, false}) {
    std::string by_hand = first ? "[" : R"([{"role":"system"})";
    JsonWriter hand(by_hand);
    majordomo::sdk::append_chat_turns(hand, request, first);
    hand.raw("]");
    CHECK(by_hand == (first ? "[" : R"([{"role":"system"},)") + turns + "]");
  }

  const mj_message odd[] = {{7, 0, {"?", 1}}};
  request.messages = odd;
  request.message_count = 1;
  std::string out;
  JsonWriter failing(out);
  CHECK_THROWS_AS(majordomo::sdk::append_chat_turns(failing, request), majordomo::sdk::ProviderError);
}
