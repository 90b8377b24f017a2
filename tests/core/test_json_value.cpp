// JsonValue: parsing (hostile input included), reading, building, equality and writing.
#include <majordomo/errors.hpp>
#include <majordomo/json_value.hpp>
#include <majordomo/structured.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

using majordomo::JsonValue;
using Type = majordomo::JsonValue::Type;

namespace {

// The message of the ParseError that parsing `text` throws ("" when it parses).
std::string parse_error(std::string_view text) {
  try {
    (void)JsonValue::parse(text);
  } catch (const majordomo::ParseError& error) {
    CHECK(error.kind() == majordomo::ErrorKind::parse);
    return error.what();
  }
  return "";
}

// The message of the SchemaMismatchError that `read` throws ("" when it does not throw).
template <class Read>
std::string shape_error(Read read) {
  try {
    read();
  } catch (const majordomo::SchemaMismatchError& error) {
    CHECK(error.kind() == majordomo::ErrorKind::schema_mismatch);
    return error.what();
  }
  return "";
}

std::string nested_arrays(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

}  // namespace

static_assert(!std::is_constructible_v<JsonValue, int*>, "a pointer must not become a boolean");
static_assert(!std::is_constructible_v<JsonValue, const void*>, "a pointer must not become a boolean");
static_assert(std::is_constructible_v<JsonValue, const char*>);
static_assert(std::is_nothrow_move_constructible_v<JsonValue>);
static_assert(sizeof(JsonValue) <= 16, "a node stays small: hostile answers hold many");

TEST_CASE("JsonValue parses every JSON type and keeps member order", "[json_value]") {
  const JsonValue value = JsonValue::parse(
      R"( {"z":null,"b":true,"i":-42,"n":2.5,"s":"h\u00e9\n","a":[1,"x",false],"o":{"k":{}}} )");
  REQUIRE(value.is_object());
  REQUIRE(value.size() == 7);
  const auto members = value.as_object();
  std::vector<std::string> names;
  for (const auto& [name, member] : members) names.push_back(name);
  CHECK(names == std::vector<std::string>{"z", "b", "i", "n", "s", "a", "o"});
  CHECK(value.at("z").is_null());
  CHECK(value.at("b").as_bool());
  CHECK(value.at("i").type() == Type::integer);
  CHECK(value.at("i").as_integer() == -42);
  CHECK(value.at("i").as_number() == -42.0);
  CHECK(value.at("n").type() == Type::number);
  CHECK(value.at("n").as_number() == 2.5);
  CHECK(value.at("s").as_string() == "h\xC3\xA9\n");
  CHECK(value.at("a").size() == 3);
  CHECK(value.at("a").at(1).as_string() == "x");
  CHECK(value.at("o").at("k").is_object());
  CHECK(value.at("o").at("k").size() == 0);
  CHECK(value.find("missing") == nullptr);
  CHECK(value.at("a").find("x") == nullptr);  // not an object: nothing to find
  REQUIRE(value.find("i") != nullptr);
  CHECK(value.find("i")->as_integer() == -42);
}

TEST_CASE("JsonValue numbers: integers when they fit int64, numbers otherwise", "[json_value]") {
  CHECK(JsonValue::parse("9223372036854775807").as_integer() == std::numeric_limits<std::int64_t>::max());
  CHECK(JsonValue::parse("-9223372036854775808").as_integer() == std::numeric_limits<std::int64_t>::min());
  const JsonValue above = JsonValue::parse("18446744073709551615");
  CHECK(above.type() == Type::number);
  CHECK(above.as_number() == 18446744073709551615.0);
  CHECK(JsonValue::parse("-0").type() == Type::integer);
  CHECK(JsonValue::parse("1E2").type() == Type::number);
  CHECK(JsonValue::parse("2.0").type() == Type::number);
  CHECK(JsonValue::parse("1.5e-400").as_number() == 0.0);  // underflow reads as zero
  CHECK_FALSE(JsonValue::parse("2.0").is_integer());  // as_integer reads Type::integer only
  CHECK(JsonValue(std::numeric_limits<std::uint64_t>::max()).type() == Type::number);
  CHECK(JsonValue(7u).type() == Type::integer);
  CHECK(JsonValue(static_cast<short>(-3)).as_integer() == -3);
}

TEST_CASE("JsonValue::parse refuses hostile and malformed input with ParseError", "[json_value][hostile]") {
  SECTION("nesting deeper than the limit") {
    CHECK(JsonValue::parse(nested_arrays(JsonValue::kMaxParseDepth)).is_array());
    const std::string deepest_with_scalar =
        std::string(JsonValue::kMaxParseDepth, '[') + "1" + std::string(JsonValue::kMaxParseDepth, ']');
    CHECK(JsonValue::parse(deepest_with_scalar).is_array());
    CHECK_THAT(parse_error(nested_arrays(JsonValue::kMaxParseDepth + 1)), Catch::Contains("more than 128 deep"));
    CHECK_THAT(parse_error("[" + deepest_with_scalar + "]"), Catch::Contains("more than 128 deep"));
    CHECK_THAT(parse_error(nested_arrays(100'000)), Catch::Contains("deep"));
    CHECK_FALSE(parse_error(std::string(100'000, '[')).empty());  // unbalanced as well
    std::string objects;
    for (std::size_t i = 0; i <= JsonValue::kMaxParseDepth; ++i) objects += R"({"a":)";
    objects += "1" + std::string(JsonValue::kMaxParseDepth + 1, '}');
    CHECK_THAT(parse_error(objects), Catch::Contains("deep"));
  }
  SECTION("numbers beyond 64 bits") {
    CHECK_THAT(parse_error("123456789012345678901234567890"), Catch::Contains("64 bits"));
    CHECK_THAT(parse_error("-9223372036854775809"), Catch::Contains("64 bits"));
    CHECK_THAT(parse_error("1e400"), Catch::Contains("64 bits"));
    CHECK_THAT(parse_error("[" + std::string(5000, '9') + "]"), Catch::Contains("64 bits"));
  }
  SECTION("invalid UTF-8, in a value and in a name") {
    CHECK_THAT(parse_error("\"\xff\""), Catch::Contains("UTF-8"));
    CHECK_THAT(parse_error("{\"\xC0\xAF\":1}"), Catch::Contains("UTF-8"));  // overlong '/'
    CHECK_THAT(parse_error("\"\xED\xA0\x80\""), Catch::Contains("UTF-8"));  // an encoded surrogate
    CHECK_FALSE(parse_error(R"("\ud800")").empty());                       // an escaped lone surrogate
    CHECK(JsonValue::parse(R"("\ud83d\ude00")").as_string() == "\xF0\x9F\x98\x80");
  }
  SECTION("duplicate member names, in small and large objects") {
    CHECK_THAT(parse_error(R"({"a":1,"b":2,"a":3})"), Catch::Contains("member 'a' twice"));
    std::string large = "{";
    for (int i = 0; i < 500; ++i) large += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
    CHECK(JsonValue::parse(large + "\"last\":0}").size() == 501);
    CHECK_THAT(parse_error(large + "\"k250\":0}"), Catch::Contains("member 'k250' twice"));
    CHECK_THAT(parse_error(R"({"o":{"x":1,"x":1}})"), Catch::Contains("twice"));  // nested too
    // A long name is cut in the message, on a character boundary.
    const std::string name = std::string(39, 'n') + "\xC3\xA9" + std::string(1000, 'n');
    const std::string message = parse_error("{\"" + name + "\":1,\"" + name + "\":2}");
    CHECK_THAT(message, Catch::Contains(std::string(39, 'n') + "…'"));
    CHECK(message.size() < 200);
  }
  SECTION("trailing garbage and other malformed text") {
    for (const char* text : {"{} x", "[1]]", "1 2", "{\"a\":1}}", "[1,]", "'a'", "01", "1.", ".5", "NaN",
                             "Infinity", "[1] // comment", "tru", "{\"a\" 1}", "\"a\tb\"", "{a:1}"}) {
      CAPTURE(text);
      CHECK_FALSE(parse_error(text).empty());
    }
  }
  SECTION("empty and oversized text") {
    CHECK_THAT(parse_error(""), Catch::Contains("empty"));
    CHECK_THAT(parse_error(" \n\t "), Catch::Contains("empty"));
    std::string oversized = "\"" + std::string(JsonValue::kMaxParseBytes, 'a') + "\"";
    CHECK_THAT(parse_error(oversized), Catch::Contains("more than the 8388608"));
  }
  SECTION("the input is never repeated in the message") {
    CHECK_THAT(parse_error(R"({"secret-looking":"sk-live-123",})"), !Catch::Contains("sk-live-123"));
  }
  SECTION("what JSON allows is read, NUL characters included") {
    CHECK(JsonValue::parse(R"("a\u0000b")").as_string() == std::string("a\0b", 3));
    CHECK(JsonValue::parse(" \n7\n ").as_integer() == 7);
    CHECK(JsonValue::parse("[]").size() == 0);
  }
}

TEST_CASE("JsonValue accessors throw SchemaMismatchError on the wrong shape", "[json_value]") {
  const JsonValue value = JsonValue::parse(R"({"s":"text","a":[1,2],"n":1.5})");
  CHECK_THAT(shape_error([&] { (void)value.at("s").as_integer(); }), Catch::Contains("as_integer() of a JSON string"));
  CHECK_THAT(shape_error([&] { (void)value.at("n").as_integer(); }), Catch::Contains("of a JSON number"));
  CHECK_THAT(shape_error([&] { (void)value.at("s").as_bool(); }), Catch::Contains("not a JSON boolean"));
  CHECK_THAT(shape_error([&] { (void)value.at("a").as_string(); }), Catch::Contains("of a JSON array"));
  CHECK_THAT(shape_error([&] { (void)value.as_array(); }), Catch::Contains("of a JSON object"));
  CHECK_THAT(shape_error([&] { (void)value.at("a").as_object(); }), Catch::Contains("of a JSON array"));
  CHECK_THAT(shape_error([&] { (void)value.at("s").as_number(); }), Catch::Contains("as_number()"));
  CHECK_THAT(shape_error([&] { (void)value.at("n").size(); }), Catch::Contains("size() of a JSON number"));
  CHECK_THAT(shape_error([&] { (void)value.at("a").at(2); }), Catch::Contains("at(2) of a JSON array of 2"));
  CHECK_THAT(shape_error([&] { (void)value.at("missing"); }), Catch::Contains("no member 'missing'"));
  CHECK_THAT(shape_error([&] { (void)value.at(0); }), Catch::Contains("at(index) of a JSON object"));
  CHECK(shape_error([&] { (void)value.at("n").as_number(); }).empty());
}

TEST_CASE("JsonValue builds arrays and objects, and set replaces in place", "[json_value]") {
  JsonValue object = JsonValue::object({{"a", 1}, {"b", "two"}, {"a", 3}});
  REQUIRE(object.size() == 2);
  CHECK(object.as_object()[0].name == "a");
  CHECK(object.at("a").as_integer() == 3);  // the later value, in the earlier place
  object.set("c", JsonValue::array({nullptr, true, 2.5}));
  object.set("b", false);
  CHECK(object.to_json() == R"({"a":3,"b":false,"c":[null,true,2.5]})");
  CHECK(object.erase("a"));
  CHECK_FALSE(object.erase("a"));
  object.at("c").push_back(JsonValue::object());
  CHECK(object.to_json() == R"({"b":false,"c":[null,true,2.5,{}]})");
  CHECK_THAT(shape_error([&] { object.push_back(1); }), Catch::Contains("push_back() of a JSON object"));
  CHECK_THAT(shape_error([&] { object.at("b").set("x", 1); }), Catch::Contains("set() of a JSON boolean"));

  std::vector<JsonValue::Member> many;
  for (int i = 0; i < 40; ++i) many.push_back({"k" + std::to_string(i % 20), i});
  const JsonValue deduplicated = JsonValue::object(std::move(many));
  CHECK(deduplicated.size() == 20);
  CHECK(deduplicated.at("k5").as_integer() == 25);
  CHECK(deduplicated.as_object()[5].name == "k5");
}

TEST_CASE("JsonValue::to_json writes compact JSON that parses back to the same value and types",
          "[json_value]") {
  const std::string text =
      R"({"s":"q\"b\\s\/ \u0001\u001f\b\f\n\r\t é","i":-7,"n":2.0,"e":1e+300,"t":0.1,"big":18446744073709551615,)"
      R"("a":[[],{},null,true,false],"u":"\ud83d\ude00"})";
  const JsonValue value = JsonValue::parse(text);
  const std::string written = value.to_json();
  CHECK_THAT(written, Catch::Contains(R"("s":"q\"b\\s/ \u0001\u001f\b\f\n\r\t é")"));
  CHECK_THAT(written, Catch::Contains(R"("n":2.0)"));
  CHECK_THAT(written, Catch::Contains(R"("t":0.1)"));
  const JsonValue again = JsonValue::parse(written);
  CHECK(again == value);
  CHECK(again.at("n").type() == Type::number);
  CHECK(again.at("i").type() == Type::integer);
  CHECK(again.at("big").type() == Type::number);
  CHECK(again.to_json() == written);
  CHECK(JsonValue(std::nan("")).to_json() == "null");
  CHECK(JsonValue(-std::numeric_limits<double>::infinity()).to_json() == "null");
  CHECK(JsonValue(std::string("a\0b", 3)).to_json() == R"("a\u0000b")");
}

TEST_CASE("JsonValue equality is JSON equality", "[json_value]") {
  CHECK(JsonValue(1) == JsonValue(1.0));
  CHECK(JsonValue(1.0) == JsonValue(1));
  CHECK_FALSE(JsonValue(1) == JsonValue(1.5));
  CHECK_FALSE(JsonValue(std::numeric_limits<std::int64_t>::max()) == JsonValue(9223372036854775808.0));
  CHECK_FALSE(JsonValue(1) == JsonValue(true));
  CHECK_FALSE(JsonValue("1") == JsonValue(1));
  CHECK(JsonValue() == JsonValue(nullptr));
  CHECK(JsonValue::parse(R"({"a":1,"b":[1,2]})") == JsonValue::parse(R"({"b":[1,2.0],"a":1})"));
  CHECK_FALSE(JsonValue::parse("[1,2]") == JsonValue::parse("[2,1]"));
  CHECK_FALSE(JsonValue::parse(R"({"a":1})") == JsonValue::parse(R"({"a":1,"b":2})"));
  CHECK_FALSE(JsonValue::parse(R"({"a":1})") == JsonValue::parse(R"({"b":1})"));
  // Large objects (compared through sorted names) too.
  std::string forward = "{", backward = "{";
  for (int i = 0; i < 100; ++i) forward += (i ? "," : "") + std::string("\"k") + std::to_string(i) + "\":" + std::to_string(i);
  for (int i = 99; i >= 0; --i) backward += (i != 99 ? "," : "") + std::string("\"k") + std::to_string(i) + "\":" + std::to_string(i);
  CHECK(JsonValue::parse(forward + "}") == JsonValue::parse(backward + "}"));
  CHECK_FALSE(JsonValue::parse(forward + "}") == JsonValue::parse(forward + ",\"k100\":1}"));
  JsonValue changed = JsonValue::parse(backward + "}");
  changed.set("k42", 43);
  CHECK_FALSE(JsonValue::parse(forward + "}") == changed);
}

TEST_CASE("JsonValue copies are independent, and assigning a part over its whole is safe", "[json_value]") {
  JsonValue original = JsonValue::parse(R"({"list":[{"deep":["x"]}],"name":"n"})");
  JsonValue copy = original;
  copy.at("list").at(0).at("deep").push_back("y");
  CHECK(original.at("list").at(0).at("deep").size() == 1);
  CHECK(copy.at("list").at(0).at("deep").size() == 2);

  const JsonValue& self = original;
  original = self;  // self-assignment keeps the value
  CHECK(original.at("name").as_string() == "n");

  original = original.at("list");  // a copy of a part over the whole
  CHECK(original.is_array());
  original = std::move(original.at(0));  // a part moved over the whole
  CHECK(original.to_json() == R"({"deep":["x"]})");

  JsonValue moved = std::move(copy);
  CHECK(moved.at("name").as_string() == "n");
  CHECK(copy.is_null());  // NOLINT(bugprone-use-after-move): moved-from is documented as null
}

TEST_CASE("JsonSchema checks a value nested to the parse limit", "[json_value][structured]") {
  const majordomo::JsonSchema schema(R"({"type":"array","items":{"$ref":"#"}})");
  CHECK(schema.accepts(JsonValue::parse(nested_arrays(JsonValue::kMaxParseDepth))));
  CHECK_FALSE(schema.accepts(JsonValue::parse("[[1]]")));
  CHECK(to_string(Type::integer) == "integer");
}
