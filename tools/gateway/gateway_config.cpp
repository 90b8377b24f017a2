// Reads the gateway's JSON configuration: every key checked, every error naming the key and the remedy.
#include "gateway_config.hpp"

#include "postgres_pool.hpp"

#include <Poco/SHA2Engine.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

namespace majordomo::gateway {
namespace {

// Where a value sits, for messages: "<file>: providers.openai.base_url".
struct Place {
  std::string_view source;
  std::string key;
  Place at(std::string_view member) const { return Place{source, key.empty() ? std::string(member) : key + "." + std::string(member)}; }
  Place index(std::size_t i) const { return Place{source, fmt::format("{}[{}]", key, i)}; }
};

[[noreturn]] void refuse(const Place& place, std::string_view problem) {
  throw_configuration_error(fmt::format("{}: {}: {}", place.source, place.key, problem));
}

const JsonValue& object_at(const JsonValue& value, const Place& place) {
  if (!value.is_object()) refuse(place, "must be a JSON object");
  return value;
}

// Refuses members other than `known`: a misspelt key would otherwise be a setting silently not applied.
void only_known(const JsonValue& object, const Place& place, std::initializer_list<std::string_view> known) {
  for (const auto& member : object.as_object()) {
    if (std::find(known.begin(), known.end(), member.name) == known.end()) {
      std::string list;
      for (std::string_view name : known) list += fmt::format("{}{}", list.empty() ? "" : ", ", name);
      refuse(place.at(member.name), fmt::format("unknown key (known here: {})", list));
    }
  }
}

std::string string_at(const JsonValue& value, const Place& place) {
  if (!value.is_string()) refuse(place, "must be a string");
  return value.as_string();
}

bool bool_at(const JsonValue& value, const Place& place) {
  if (!value.is_bool()) refuse(place, "must be true or false");
  return value.as_bool();
}

double positive_number_at(const JsonValue& value, const Place& place) {
  if (!value.is_number() || !(value.as_number() > 0) || !std::isfinite(value.as_number())) {
    refuse(place, "must be a number above 0");
  }
  return value.as_number();
}

int64_t count_at(const JsonValue& value, const Place& place, int64_t min, int64_t max) {
  if (!value.is_integer() || value.as_integer() < min || value.as_integer() > max) {
    refuse(place, fmt::format("must be a whole number from {} to {}", min, max));
  }
  return value.as_integer();
}

std::vector<std::string> strings_at(const JsonValue& value, const Place& place) {
  if (!value.is_array()) refuse(place, "must be an array of strings");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < value.size(); ++i) out.push_back(string_at(value.at(i), place.index(i)));
  return out;
}

HeaderSet headers_at(const JsonValue& value, const Place& place) {
  HeaderSet headers;
  for (const auto& member : object_at(value, place).as_object()) {
    headers.set(member.name, string_at(member.value, place.at(member.name)));
  }
  return headers;
}

Timeouts timeouts_at(const JsonValue& value, const Place& place) {
  only_known(object_at(value, place), place, {"connect_ms", "first_byte_ms", "idle_ms", "total_ms", "deadline_ms"});
  Timeouts timeouts;
  const auto read = [&](std::string_view name, std::chrono::milliseconds& out) {
    if (const JsonValue* ms = value.find(name)) out = std::chrono::milliseconds(count_at(*ms, place.at(name), 1, 86'400'000));
  };
  read("connect_ms", timeouts.connect);
  read("first_byte_ms", timeouts.first_byte);
  read("idle_ms", timeouts.idle);
  read("total_ms", timeouts.total);
  read("deadline_ms", timeouts.deadline);
  return timeouts;
}

ProviderSettings provider_at(const JsonValue& value, const Place& place) {
  only_known(object_at(value, place), place,
             {"base_url", "api_key", "api_key_env", "default_headers", "proxy", "no_proxy", "timeouts",
              "max_attempts", "tls_verify", "ca_file", "provider_options", "key_pass_through"});
  ProviderSettings settings;
  ClientOptions& options = settings.options;
  if (const JsonValue* url = value.find("base_url")) options.base_url = string_at(*url, place.at("base_url"));
  const JsonValue* key = value.find("api_key");
  const JsonValue* key_env = value.find("api_key_env");
  if (key != nullptr && key_env != nullptr) refuse(place.at("api_key"), "give api_key or api_key_env, not both");
  if (key != nullptr) options.api_key = string_at(*key, place.at("api_key"));
  if (key_env != nullptr) {
    const std::string name = string_at(*key_env, place.at("api_key_env"));
    const char* text = std::getenv(name.c_str());
    if (text == nullptr || *text == '\0') {
      refuse(place.at("api_key_env"), fmt::format("the environment variable {} is not set; export it before "
                                                  "starting the gateway", name));
    }
    options.api_key = std::string(text);
  }
  if (const JsonValue* headers = value.find("default_headers")) {
    options.default_headers = headers_at(*headers, place.at("default_headers"));
  }
  if (const JsonValue* proxy = value.find("proxy")) options.proxy = string_at(*proxy, place.at("proxy"));
  if (const JsonValue* no_proxy = value.find("no_proxy")) options.no_proxy = string_at(*no_proxy, place.at("no_proxy"));
  if (const JsonValue* timeouts = value.find("timeouts")) options.timeouts = timeouts_at(*timeouts, place.at("timeouts"));
  if (const JsonValue* attempts = value.find("max_attempts")) {
    options.retry.max_attempts = static_cast<int>(count_at(*attempts, place.at("max_attempts"), 1, 10));
  }
  if (const JsonValue* verify = value.find("tls_verify")) options.tls.verify = bool_at(*verify, place.at("tls_verify"));
  if (const JsonValue* ca = value.find("ca_file")) options.tls.ca_file = string_at(*ca, place.at("ca_file"));
  if (const JsonValue* provider_options = value.find("provider_options")) {
    const Place where = place.at("provider_options");
    for (const auto& member : object_at(*provider_options, where).as_object()) {
      options.provider_options[member.name] = string_at(member.value, where.at(member.name));
    }
  }
  if (const JsonValue* pass = value.find("key_pass_through")) {
    settings.key_pass_through = bool_at(*pass, place.at("key_pass_through"));
  }
  return settings;
}

std::array<uint8_t, 32> digest_from_hex(std::string_view hex, const Place& place) {
  std::array<uint8_t, 32> digest{};
  if (hex.size() != 64) refuse(place, "must be 64 hexadecimal digits (sha256sum of the key)");
  for (std::size_t i = 0; i < 32; ++i) {
    const auto nibble = [&](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      refuse(place, "must be 64 hexadecimal digits (sha256sum of the key)");
    };
    digest[i] = static_cast<uint8_t>(nibble(hex[2 * i]) * 16 + nibble(hex[2 * i + 1]));
  }
  return digest;
}

GatewayKey key_at(const JsonValue& value, const Place& place) {
  only_known(object_at(value, place), place, {"name", "sha256", "models", "requests_per_minute", "usd_per_day"});
  GatewayKey key;
  const JsonValue* name = value.find("name");
  if (name == nullptr) refuse(place.at("name"), "is missing: every key needs a name for logs and metrics");
  key.name = string_at(*name, place.at("name"));
  if (key.name.empty() || key.name.size() > 64) refuse(place.at("name"), "must be 1 to 64 characters");
  const JsonValue* hash = value.find("sha256");
  if (hash == nullptr) refuse(place.at("sha256"), "is missing: give the SHA-256 of the key in hex (never the key)");
  key.sha256 = digest_from_hex(string_at(*hash, place.at("sha256")), place.at("sha256"));
  if (const JsonValue* models = value.find("models")) key.models = strings_at(*models, place.at("models"));
  if (const JsonValue* rate = value.find("requests_per_minute")) {
    key.requests_per_minute = positive_number_at(*rate, place.at("requests_per_minute"));
  }
  if (const JsonValue* budget = value.find("usd_per_day")) key.usd_per_day = positive_number_at(*budget, place.at("usd_per_day"));
  return key;
}

std::vector<CascadeMember> cascade_at(const JsonValue& value, const Place& place) {
  const std::vector<std::string> names = strings_at(value, place);
  if (names.empty()) refuse(place, "must list at least one \"provider/model\"");
  std::vector<CascadeMember> members;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::size_t slash = names[i].find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == names[i].size()) {
      refuse(place.index(i), "must be \"provider/model\"");
    }
    CascadeMember member;
    member.provider = names[i].substr(0, slash);
    member.model = names[i].substr(slash + 1);
    members.push_back(std::move(member));
  }
  return members;
}

std::vector<std::filesystem::path> paths_at(const JsonValue& value, const Place& place) {
  std::vector<std::filesystem::path> paths;
  for (auto& text : strings_at(value, place)) paths.emplace_back(std::move(text));
  return paths;
}

void read_limits(const JsonValue& value, const Place& place, GatewayConfig& config) {
  only_known(object_at(value, place), place,
             {"max_connections", "max_queued", "max_request_bytes", "keep_alive_timeout_s", "client_timeout_s",
              "shutdown_grace_s", "idle_thread_s"});
  if (const JsonValue* v = value.find("max_connections")) {
    config.max_connections = static_cast<std::size_t>(count_at(*v, place.at("max_connections"), 2, 65'536));
  }
  if (const JsonValue* v = value.find("max_queued")) {
    config.max_queued = static_cast<std::size_t>(count_at(*v, place.at("max_queued"), 1, 65'536));
  }
  if (const JsonValue* v = value.find("max_request_bytes")) {
    config.max_request_bytes = static_cast<std::size_t>(count_at(*v, place.at("max_request_bytes"), 1024, int64_t{1} << 30));
  }
  if (const JsonValue* v = value.find("keep_alive_timeout_s")) {
    config.keep_alive_timeout = std::chrono::seconds(count_at(*v, place.at("keep_alive_timeout_s"), 1, 3600));
  }
  if (const JsonValue* v = value.find("client_timeout_s")) {
    config.client_timeout = std::chrono::seconds(count_at(*v, place.at("client_timeout_s"), 1, 86'400));
  }
  if (const JsonValue* v = value.find("idle_thread_s")) {
    config.idle_thread_timeout = std::chrono::seconds(count_at(*v, place.at("idle_thread_s"), 1, 3600));
  }
  if (const JsonValue* v = value.find("shutdown_grace_s")) {
    config.shutdown_grace = std::chrono::seconds(count_at(*v, place.at("shutdown_grace_s"), 0, 3600));
  }
}

// shared_limits, shared_limits_on_failure and key_table: PostgreSQL targets checked for form here
// (libpq parses them; nothing connects until the gateway starts).
void read_scale_out(const JsonValue& root, const Place& top, GatewayConfig& config) {
  if (const JsonValue* target = root.find("shared_limits")) {
    config.shared_limits = string_at(*target, top.at("shared_limits"));
    (void)PostgresTarget(config.shared_limits, fmt::format("{}: shared_limits", top.source));
  }
  if (const JsonValue* policy = root.find("shared_limits_on_failure")) {
    const Place where = top.at("shared_limits_on_failure");
    const std::string text = string_at(*policy, where);
    if (text != "refuse" && text != "local") refuse(where, "must be \"refuse\" (503 while the database is down) or \"local\"");
    if (config.shared_limits.empty()) refuse(where, "applies only with shared_limits");
    config.shared_limits_refuse = text == "refuse";
  }
  if (const JsonValue* target = root.find("key_table")) {
    config.key_table = string_at(*target, top.at("key_table"));
    (void)PostgresTarget(config.key_table, fmt::format("{}: key_table", top.source));
  }
}

}  // namespace

GatewayKey parse_gateway_key(const JsonValue& value, std::string_view source, std::string_view place) {
  return key_at(value, Place{source, std::string(place)});
}

ListenAddress parse_listen_address(std::string_view text, std::string_view key) {
  const auto bad = [&] {
    throw_configuration_error(fmt::format("{}: \"{}\" is not HOST:PORT (e.g. 127.0.0.1:8080, [::1]:8080, :8080)", key,
                                          text));
  };
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) bad();
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (port_text.empty() || port_text.size() > 5 || !std::all_of(port_text.begin(), port_text.end(), [](char c) {
        return c >= '0' && c <= '9';
      })) {
    bad();
  }
  const int port = std::stoi(std::string(port_text));
  if (port > 65535) bad();
  ListenAddress address;
  address.host = host.empty() ? "0.0.0.0" : std::string(host);
  address.port = static_cast<uint16_t>(port);
  return address;
}

std::array<uint8_t, 32> sha256_of(std::string_view text) {
  Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
  engine.update(text.data(), static_cast<unsigned>(text.size()));
  const Poco::DigestEngine::Digest& digest = engine.digest();
  std::array<uint8_t, 32> out{};
  std::copy_n(digest.begin(), std::min<std::size_t>(digest.size(), out.size()), out.begin());
  return out;
}

GatewayConfig parse_gateway_config(std::string_view text, std::string_view source) {
  JsonValue root;
  try {
    root = JsonValue::parse(text);
  } catch (const Error& error) {
    throw_configuration_error(fmt::format("{}: not valid JSON: {}", source, error.what()));
  }
  const Place top{source, ""};
  if (!root.is_object()) throw_configuration_error(fmt::format("{}: must hold one JSON object", source));
  only_known(root, top,
             {"listen", "providers", "gateway_keys", "allow_anonymous", "log", "log_bodies_dir", "plugin_dirs",
              "catalog", "cascades", "access_log", "limits", "shared_limits", "shared_limits_on_failure",
              "key_table"});
  GatewayConfig config;
  if (const JsonValue* listen = root.find("listen")) {
    config.listen = string_at(*listen, top.at("listen"));
    (void)parse_listen_address(config.listen, fmt::format("{}: listen", source));
  }
  const JsonValue* providers = root.find("providers");
  if (providers == nullptr || !providers->is_object() || providers->size() == 0) {
    refuse(top.at("providers"), "must name at least one provider, e.g. {\"openai\": {\"api_key_env\": \"OPENAI_API_KEY\"}}");
  }
  for (const auto& member : providers->as_object()) {
    config.providers.emplace(member.name, provider_at(member.value, top.at("providers").at(member.name)));
  }
  if (const JsonValue* keys = root.find("gateway_keys")) {
    const Place where = top.at("gateway_keys");
    if (!keys->is_array()) refuse(where, "must be an array of {\"name\", \"sha256\"}");
    std::set<std::string> names;
    for (std::size_t i = 0; i < keys->size(); ++i) {
      GatewayKey key = key_at(keys->at(i), where.index(i));
      if (!names.insert(key.name).second) refuse(where.index(i).at("name"), "names another key already listed");
      for (const GatewayKey& earlier : config.keys) {
        if (earlier.sha256 == key.sha256) refuse(where.index(i).at("sha256"), "is the hash of a key already listed");
      }
      config.keys.push_back(std::move(key));
    }
  }
  if (const JsonValue* anonymous = root.find("allow_anonymous")) {
    config.allow_anonymous = bool_at(*anonymous, top.at("allow_anonymous"));
  }
  read_scale_out(root, top, config);
  if (config.allow_anonymous && !config.keys.empty()) {
    refuse(top.at("allow_anonymous"), "cannot be true while gateway_keys lists keys; drop one of the two");
  }
  if (config.allow_anonymous && !config.key_table.empty()) {
    refuse(top.at("allow_anonymous"), "cannot be true with a key_table; drop one of the two");
  }
  if (!config.allow_anonymous && config.keys.empty() && config.key_table.empty()) {
    refuse(top.at("gateway_keys"), "is missing or empty: list at least one key, give a \"key_table\", or set "
                                   "\"allow_anonymous\": true for a gateway every local process may use");
  }
  if (const JsonValue* log = root.find("log")) config.log = string_at(*log, top.at("log"));
  if (const JsonValue* bodies = root.find("log_bodies_dir")) config.log_bodies_dir = string_at(*bodies, top.at("log_bodies_dir"));
  if (const JsonValue* dirs = root.find("plugin_dirs")) config.plugin_dirs = paths_at(*dirs, top.at("plugin_dirs"));
  if (const JsonValue* catalog = root.find("catalog")) config.catalog_files = paths_at(*catalog, top.at("catalog"));
  if (const JsonValue* cascades = root.find("cascades")) {
    const Place where = top.at("cascades");
    for (const auto& member : object_at(*cascades, where).as_object()) {
      if (member.name.find('/') != std::string::npos) refuse(where.at(member.name), "a cascade name may not contain '/'");
      config.cascades.emplace(member.name, cascade_at(member.value, where.at(member.name)));
    }
  }
  if (const JsonValue* access = root.find("access_log")) config.access_log = string_at(*access, top.at("access_log"));
  if (const JsonValue* limits = root.find("limits")) read_limits(*limits, top.at("limits"), config);
  return config;
}

GatewayConfig read_gateway_config(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw_configuration_error(fmt::format("cannot read the gateway configuration {}", file.string()));
  std::ostringstream text;
  text << in.rdbuf();
  return parse_gateway_config(text.str(), file.string());
}

}  // namespace majordomo::gateway
