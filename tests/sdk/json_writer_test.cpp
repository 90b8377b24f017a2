// JsonWriter tests: RFC 8259 escaping table, UTF-8 pass-through, numbers and NaN/inf rejection.
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
