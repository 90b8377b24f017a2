// Who sent a request, as the call log and call records show it: the key's hash and the X-Majordomo-* metadata.
#include "sent_requests.hpp"

#include "resolution.hpp"

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

namespace majordomo {
namespace {

constexpr std::string_view kMetadataPrefix = "x-majordomo-";

// The API key inside an auth header value: the token of "Bearer <token>", else the whole value.
std::string_view key_of(std::string_view name, std::string_view value) {
  if (header_name_equals(name, "Authorization") || header_name_equals(name, "Proxy-Authorization")) {
    if (const auto space = value.find(' '); space != std::string_view::npos) return value.substr(space + 1);
  }
  return value;
}

}  // namespace

std::string key_hash(std::string_view key) {
  Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
  engine.update(key.data(), static_cast<unsigned>(key.size()));
  return Poco::DigestEngine::digestToHex(engine.digest()).substr(0, 16);
}

std::string hash_of_auth(const HeaderSet& headers, std::string_view auth_header) {
  for (std::string_view name : {auth_header, std::string_view("Authorization")}) {
    if (name.empty()) continue;
    if (const std::string* value = headers.find(name); value != nullptr && !value->empty()) {
      return key_hash(key_of(name, *value));
    }
  }
  return {};
}

bool is_metadata_header(std::string_view name) {
  return name.size() > kMetadataPrefix.size() &&
         header_name_equals(name.substr(0, kMetadataPrefix.size()), kMetadataPrefix) &&
         !resolution::is_secret_header(name);
}

}  // namespace majordomo
