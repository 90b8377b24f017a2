// The SDK's field walker (json_fields.hpp), the shared error-object shape and the shared request checks.
#include <majordomo/plugin.h>
#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/json_fields.hpp>
#include <majordomo/sdk/json_read.hpp>
#include <majordomo/sdk/provider_support.hpp>

#include <catch2/catch.hpp>

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sdk = majordomo::sdk;
namespace ondemand = simdjson::ondemand;

namespace {

// A document parsed in place from a padded copy, its root object open.
struct ParsedObject {
  explicit ParsedObject(std::string_view json) : text(json) {
    root = sdk::open_root_object(parser, std::string_view(text.data(), text.size()), document, "Test", "response");
  }
  simdjson::padded_string text;
  ondemand::parser parser;
  ondemand::document document;
  ondemand::object root;
};

std::string key_text(ondemand::raw_json_string key) {
  // Keys in these tests have no escapes, so the raw text is the key.
  const char* raw = key.raw();
  std::string out;
  while (*raw != '"') out.push_back(*raw++);
  return out;
}

}  // namespace

TEST_CASE("for_each_field visits every field once, in document order", "[json_fields]") {
  ParsedObject parsed(R"({"b":1,"a":{"x":[1,2]},"c":"three"})");
  std::vector<std::string> keys;
  std::string_view c;
  bool has_c = false;
  const auto error = sdk::for_each_field(parsed.root, [&](ondemand::raw_json_string key, ondemand::value& value) {
    keys.push_back(key_text(key));
    if (key == "c") return sdk::read_optional_string(value, c, has_c);
    return simdjson::SUCCESS;  // "a" is skipped unread
  });
  CHECK(error == simdjson::SUCCESS);
  CHECK(keys == std::vector<std::string>{"b", "a", "c"});
  CHECK(has_c);
  CHECK(c == "three");
}

TEST_CASE("a handler's error ends the walk and is returned", "[json_fields]") {
  ParsedObject parsed(R"({"a":1,"b":2,"c":3})");
  int seen = 0;
  const auto error = sdk::for_each_field(parsed.root, [&](ondemand::raw_json_string key, ondemand::value&) {
    ++seen;
    return key == "b" ? simdjson::INCORRECT_TYPE : simdjson::SUCCESS;
  });
  CHECK(error == simdjson::INCORRECT_TYPE);
  CHECK(seen == 2);
}

TEST_CASE("nested objects: a required one fails on another type, an optional one is absent", "[json_fields]") {
  ParsedObject parsed(R"({"required":[1],"optional":null,"also":5,"present":{"n":7}})");
  int64_t n = 0;
  bool optional_present = false, also_present = false, present = false;
  simdjson::error_code required_error = simdjson::SUCCESS;
  const auto error = sdk::for_each_field(parsed.root, [&](ondemand::raw_json_string key, ondemand::value& value) {
    const auto nothing = [](ondemand::raw_json_string, ondemand::value&) {};
    if (key == "required") required_error = sdk::for_each_field(value, nothing);
    if (key == "optional") return sdk::for_each_field_if_object(value, optional_present, nothing);
    if (key == "also") return sdk::for_each_field_if_object(value, also_present, nothing);
    if (key == "present") {
      return sdk::for_each_field_if_object(value, present, [&](ondemand::raw_json_string inner, ondemand::value& v) {
        if (inner == "n") n = sdk::token_count_or_zero(v, "Test", "present.n");
      });
    }
    return simdjson::SUCCESS;
  });
  CHECK(error == simdjson::SUCCESS);
  CHECK(required_error == simdjson::INCORRECT_TYPE);
  CHECK_FALSE(optional_present);
  CHECK_FALSE(also_present);
  CHECK(present);
  CHECK(n == 7);
}

TEST_CASE("arrays: elements in order, an optional array may be null", "[json_fields]") {
  ParsedObject parsed(R"({"items":["a","b"],"none":null,"wrong":{}})");
  std::vector<std::string> items;
  int none_seen = 0;
  simdjson::error_code wrong_error = simdjson::SUCCESS;
  const auto error = sdk::for_each_field(parsed.root, [&](ondemand::raw_json_string key, ondemand::value& value) {
    if (key == "items") {
      return sdk::for_each_element(value, [&](ondemand::value& item) {
        std::string_view text;
        bool present = false;
        if (auto read = sdk::read_optional_string(item, text, present)) return read;
        items.emplace_back(text);
        return simdjson::SUCCESS;
      });
    }
    if (key == "none") return sdk::for_each_element_if_array(value, [&](ondemand::value&) { ++none_seen; });
    if (key == "wrong") wrong_error = sdk::for_each_element(value, [](ondemand::value&) {});
    return simdjson::SUCCESS;
  });
  CHECK(error == simdjson::SUCCESS);
  CHECK(items == std::vector<std::string>{"a", "b"});
  CHECK(none_seen == 0);
  CHECK(wrong_error == simdjson::INCORRECT_TYPE);
}

TEST_CASE("read_root_fields turns any error into the provider's parse error", "[json_fields]") {
  ParsedObject parsed(R"({"usage":{"input_tokens":1}, "x": 1})");
  const auto walk = [&] {
    sdk::read_root_fields(parsed.root, "Test", "response", [&](ondemand::raw_json_string key, ondemand::value& value) {
      if (key == "x") return simdjson::INCORRECT_TYPE;
      return value.type().error();
    });
  };
  try {
    walk();
    FAIL("no error");
  } catch (const sdk::ProviderError& error) {
    CHECK(error.kind() == MJ_ERR_PARSE);
    CHECK_THAT(std::string(error.what()), Catch::StartsWith("Test response is not valid JSON: "));
  }
}

TEST_CASE("token counts read through the walker keep read_token_count's refusal", "[json_fields]") {
  ParsedObject parsed(R"({"in":12.5})");
  try {
    (void)sdk::for_each_field(parsed.root, [&](ondemand::raw_json_string, ondemand::value& value) {
      (void)sdk::token_count_or_zero(value, "Test", "tokens.in");
    });
    FAIL("no error");
  } catch (const sdk::ProviderError& error) {
    CHECK(error.kind() == MJ_ERR_PARSE);
    CHECK_THAT(std::string(error.what()), Catch::StartsWith("Test tokens.in is 12.5, not a token count"));
  }
}

TEST_CASE("read_error_object: the shared fields, a numeric code left to the extra reader", "[json_fields]") {
  ParsedObject parsed(R"({"error":{"code":429,"message":"slow down","status":"RESOURCE_EXHAUSTED",)"
                      R"("type":null,"details":[{"retryDelay":"2s"}]}})");
  sdk::ErrorObjectFields fields;
  std::vector<std::string> extras;
  const auto error = sdk::for_each_field(parsed.root, [&](ondemand::raw_json_string key, ondemand::value& value) {
    if (key != "error") return simdjson::SUCCESS;
    return sdk::read_error_object(value, fields, [&](ondemand::raw_json_string extra, ondemand::value&) {
      extras.push_back(key_text(extra));
    });
  });
  CHECK(error == simdjson::SUCCESS);
  CHECK(fields.has_message);
  CHECK(fields.message == "slow down");
  CHECK(fields.has_status);
  CHECK(fields.status == "RESOURCE_EXHAUSTED");
  CHECK_FALSE(fields.has_type);  // null is "absent"
  CHECK_FALSE(fields.has_code);  // a number is not a tag
  CHECK(extras == std::vector<std::string>{"code", "details"});
  CHECK(fields.message_or_placeholder() == "slow down");
  CHECK(sdk::ErrorObjectFields{}.message_or_placeholder() == "(no message)");
}

TEST_CASE("read_error_object reads a string code as a tag", "[json_fields]") {
  ParsedObject parsed(R"({"error":{"code":"rate_limit_exceeded","message":"","type":"requests"}})");
  sdk::ErrorObjectFields fields;
  const auto error = sdk::for_each_field(parsed.root, [&](ondemand::raw_json_string, ondemand::value& value) {
    return sdk::read_error_object(value, fields);
  });
  CHECK(error == simdjson::SUCCESS);
  CHECK(fields.code == "rate_limit_exceeded");
  CHECK(fields.type == "requests");
  CHECK(fields.message_or_placeholder() == "(no message)");  // empty counts as missing
}

TEST_CASE("the shared request checks: response format and the request's size", "[json_fields]") {
  mj_request request{};
  request.struct_size = MJ_REQUEST_V1_SIZE;
  for (const int32_t format : {MJ_FORMAT_TEXT, MJ_FORMAT_JSON_OBJECT, MJ_FORMAT_JSON_SCHEMA}) {
    request.response_format = format;
    CHECK_NOTHROW(sdk::require_known_response_format(request));
  }
  request.response_format = 7;
  try {
    sdk::require_known_response_format(request);
    FAIL("no error");
  } catch (const sdk::ProviderError& error) {
    CHECK(error.kind() == MJ_ERR_CONFIGURATION);
    CHECK(std::string(error.what()) == "unknown response format 7");
  }
  CHECK_NOTHROW(sdk::require_request_covers_read_fields(request));
  request.struct_size = MJ_REQUEST_V1_SIZE - 8;
  CHECK_THROWS_AS(sdk::require_request_covers_read_fields(request), sdk::ProviderError);
}
