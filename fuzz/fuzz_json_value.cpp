// libFuzzer target: JsonValue::parse, and the round trip parse(to_json()) == value it promises.
#include <majordomo/errors.hpp>
#include <majordomo/json_value.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  majordomo::JsonValue value;
  try {
    value = majordomo::JsonValue::parse(text);
  } catch (const majordomo::ParseError&) {
    return 0;  // refusing is fine; any other exception escapes and is reported as a crash
  }
  const std::string written = value.to_json();
  const majordomo::JsonValue again = majordomo::JsonValue::parse(written);
  if (!(again == value) || again.to_json() != written) std::abort();
  return 0;
}
