// The CLI's command line: the usage text, the parsed arguments and the exit codes every command shares.
#pragma once

#include <majordomo/majordomo.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace majordomo::cli {

constexpr int kExitFailure = 1;  // the request failed (provider, network, parse, …)
constexpr int kExitUsage = 2;    // bad command line or configuration: nothing was sent

struct UsageError {
  std::string message;
};

struct Arguments {
  std::string command;
  std::optional<std::string> provider, model, base_url, api_key, system, ca_file, schema_file, schema_name, api;
  std::optional<std::string> cascade, alias;
  std::vector<std::string> catalog_files;
  std::optional<std::string> proxy, no_proxy;
  std::optional<int64_t> max_tokens;
  std::optional<std::string> log_target, log_bodies, log_db;  // ask --log/--log-bodies, logs --db
  std::optional<int64_t> log_last;
  std::optional<double> temperature, top_p;
  // --timeout (the whole call), --connect-timeout, --first-byte-timeout, --idle-timeout (0.3)
  std::optional<std::chrono::milliseconds> deadline, connect_timeout, first_byte_timeout, idle_timeout;
  std::optional<std::size_t> max_event_bytes, max_body_bytes;  // (0.3)
  std::vector<std::pair<std::string, std::string>> headers, request_headers, options;
  std::vector<std::string> plugin_dirs;
  std::optional<std::string> dir;  // plugin new --dir
  std::optional<std::string> config_file, listen, port_file;  // serve (0.6)
  std::vector<std::string> positional;
  bool stream = false, json = false, dry_run = false, json_output = false;
  bool fail_on_truncation = false;
  // (0.5) The conversation: --messages, --tools, --tool-choice, --image, --reasoning-effort,
  // --thinking, --no-prompt-cache.
  std::optional<std::string> messages_file, tools_file, tool_choice, reasoning_effort, thinking;
  std::vector<std::string> images;
  bool no_prompt_cache = false;
};

// The whole usage text, printed by --help and after a usage error.
std::string_view usage_text();

// argv[1] is the command; the flags after it are read for every command alike (a command ignores
// the ones it has no use for). Throws UsageError; an empty message means --help.
Arguments parse_arguments(int argc, char** argv);

// An unknown option or command as a usage error may show it: the name before any '=', and only
// when it is a short word of lower-case letters and '-' (a credential typed in the wrong place,
// which has digits or capitals, is never echoed).
std::string shown_argument(std::string_view arg);

// The host's options from --plugin-dir and --catalog.
majordomo::HostOptions host_options(const Arguments& args);

}  // namespace majordomo::cli
