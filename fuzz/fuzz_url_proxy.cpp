// libFuzzer target: base URL, proxy and NO_PROXY parsing in the host, and the SDK transport's URL/proxy routing.
#include "resolution.hpp"

// The SDK's routing (sdk/src/http_target.hpp, not a public header): parsing only, no I/O.
#include "http_target.hpp"

#include <majordomo/errors.hpp>
#include <majordomo/sdk/errors.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// Input: "base URL\0proxy\0no_proxy".
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view fields[3];
  for (auto& field : fields) {
    const std::size_t end = std::min(input.find('\0'), input.size());
    field = input.substr(0, end);
    input.remove_prefix(std::min(end + 1, input.size()));
  }
  const std::string base(fields[0]);
  (void)majordomo::resolution::redact_url(base);
  (void)majordomo::resolution::join_url(base, "/chat/completions");
  (void)majordomo::resolution::no_proxy_matches(fields[2], fields[0], 443);
  std::string resolved_base = "http://127.0.0.1:1";
  try {
    resolved_base = majordomo::resolution::resolve_base_url(base, "", "https://api.example.invalid/v1", "fuzz").base_url;
  } catch (const majordomo::ConfigurationError&) {
  }
  std::string proxy;
  try {
    proxy = majordomo::resolution::resolve_proxy(std::string(fields[1]), std::string(fields[2]), resolved_base, "fuzz").url;
  } catch (const majordomo::ConfigurationError&) {
  }
  // The transport parses what it is given as it is: the raw fields as well as the resolved ones.
  for (const auto& [url, via] : {std::pair<std::string_view, std::string_view>{fields[0], fields[1]},
                                 {resolved_base, proxy}}) {
    try {
      (void)majordomo::sdk::http::route_target(url, via);
    } catch (const majordomo::sdk::ProviderError&) {
    }
  }
  return 0;
}
