// libFuzzer target: the host's header validator and the secret redaction that reads the same headers.
#include "resolution.hpp"

#include <majordomo/errors.hpp>
#include <majordomo/headers.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

// Input: "name\0value\0name\0value..." pairs; the last field is also the text redacted.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  majordomo::HeaderSet headers;
  std::string_view last;
  for (int pairs = 0; pairs < 64 && !input.empty(); ++pairs) {
    const std::size_t name_end = std::min(input.find('\0'), input.size());
    const std::string_view name = input.substr(0, name_end);
    input.remove_prefix(std::min(name_end + 1, input.size()));
    const std::size_t value_end = std::min(input.find('\0'), input.size());
    const std::string_view value = input.substr(0, value_end);
    input.remove_prefix(std::min(value_end + 1, input.size()));
    headers.set(std::string(name), std::string(value));
    last = value;
    // The helpers every printed header goes through.
    (void)majordomo::resolution::is_secret_header(name, "x-api-key");
    // A secret header's token (the value after an Authorization scheme) never shows.
    std::string shown = majordomo::resolution::redacted_value(name, value);
    for (std::size_t at; (at = shown.find("[REDACTED]")) != std::string::npos;) shown.erase(at, 10);
    const std::size_t space = value.find(' ');
    const std::string_view token = space == std::string_view::npos ? value : value.substr(space + 1);
    if (majordomo::resolution::is_secret_header(name) && token.size() >= 6 && shown.find(token) != std::string::npos) {
      std::abort();
    }
  }
  try {
    majordomo::resolution::validate_headers(headers, "fuzz headers", "openai");
  } catch (const majordomo::ConfigurationError&) {
  }
  std::string text(last);
  majordomo::resolution::redact_secret_values(text, headers, "x-api-key");
  return 0;
}
