// libFuzzer target: the JSON Schema checker (JsonSchema: RE2 patterns, valijson) on a fuzzed schema and answer.
#include <majordomo/errors.hpp>
#include <majordomo/response.hpp>
#include <majordomo/structured.hpp>

#include <cstdint>
#include <optional>
#include <string_view>

// Input: the schema's JSON text, a NUL byte, then the answer text.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t separator = input.find('\0');
  const std::string_view schema_text = input.substr(0, separator);
  const std::string_view answer_text = separator == std::string_view::npos ? "{}" : input.substr(separator + 1);
  std::optional<majordomo::JsonSchema> schema;
  try {
    schema.emplace(schema_text, "fuzz");
  } catch (const majordomo::ConfigurationError&) {
    return 0;
  }
  majordomo::Response response;
  response.provider = "fuzz";
  response.content = std::string(answer_text);
  try {
    (void)schema->check(response);
  } catch (const majordomo::ParseError&) {
  } catch (const majordomo::SchemaMismatchError&) {
  }
  return 0;
}
