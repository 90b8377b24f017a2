// The gateway's configuration file (docs/gateway.md): read, checked and turned into host options at start and on SIGHUP.
#pragma once

#include <majordomo/majordomo.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace majordomo::gateway {

// One provider the gateway routes to: the options of its client, as the configuration gives them.
struct ProviderSettings {
  ClientOptions options;  // api_key from "api_key" or the variable "api_key_env"; unset: the plugin's own variable
  // The client may send its own provider key (the header the provider's SDK sends it in, or
  // X-Majordomo-Provider-Key); it then replaces the configured one for that request.
  bool key_pass_through = false;
};

// A gateway key, known only by the SHA-256 of its text.
struct GatewayKey {
  std::string name;                   // shown in logs and metrics; never the key
  std::array<uint8_t, 32> sha256{};
  std::vector<std::string> models;    // the model names it may ask for ("provider/*" allowed); empty: all
  std::optional<double> requests_per_minute;
  std::optional<double> usd_per_day;  // UTC days
};

struct GatewayConfig {
  std::string listen = "127.0.0.1:8080";
  std::map<std::string, ProviderSettings> providers;  // by provider id
  std::vector<GatewayKey> keys;
  bool allow_anonymous = false;       // no gateway key needed (only with no "gateway_keys")
  std::string log;                    // call log target ("sqlite:…", "postgresql://…"); empty: none
  std::optional<std::filesystem::path> log_bodies_dir;
  std::vector<std::filesystem::path> plugin_dirs;
  std::vector<std::filesystem::path> catalog_files;
  std::map<std::string, std::vector<CascadeMember>> cascades;  // name → members, in order
  std::string access_log = "stderr";  // "stderr", "off" or a file path
  // Scale-out (docs/gateway.md): limits counted in PostgreSQL across processes, and keys read from
  // a table there as well as from "gateway_keys". Empty: not used.
  std::string shared_limits;               // "postgresql://…"
  bool shared_limits_refuse = true;        // "shared_limits_on_failure": "refuse" (true) or "local"
  std::string key_table;                   // "postgresql://…"
  // Limits (docs/gateway.md, "Limits").
  std::size_t max_connections = 1024;      // connections served at once (one thread each)
  std::size_t max_queued = 256;            // accepted connections waiting for a thread
  std::size_t max_request_bytes = 32u << 20;
  std::chrono::seconds keep_alive_timeout{60};
  std::chrono::seconds client_timeout{300};     // a client's silence while the gateway reads its request
  std::chrono::seconds shutdown_grace{30};      // SIGTERM: how long in-flight requests may finish
  std::chrono::seconds idle_thread_timeout{60}; // a connection thread idle this long is ended
};

// Reads and checks the configuration file. Every error is a ConfigurationError naming the file,
// the key ("providers.openai.base_url") and the remedy; secrets in the file never appear in it.
[[nodiscard]] GatewayConfig read_gateway_config(const std::filesystem::path& file);

// The same from a text (for tests and --config -).
[[nodiscard]] GatewayConfig parse_gateway_config(std::string_view text, std::string_view source);

// One key object as "gateway_keys" holds it ({"name", "sha256", …}), checked as the file's keys
// are; errors read "<source>: <place>.<member>: <problem>".
[[nodiscard]] GatewayKey parse_gateway_key(const JsonValue& value, std::string_view source, std::string_view place);

// "127.0.0.1:8080", "[::1]:8080", ":8080" → host and port; ConfigurationError naming `key` otherwise.
struct ListenAddress {
  std::string host;
  uint16_t port = 0;
};
[[nodiscard]] ListenAddress parse_listen_address(std::string_view text, std::string_view key);

// SHA-256 of `text`.
[[nodiscard]] std::array<uint8_t, 32> sha256_of(std::string_view text);

}  // namespace majordomo::gateway
