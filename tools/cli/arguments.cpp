// Parsing the CLI's command line into Arguments; the usage text.
#include "arguments.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <system_error>

namespace majordomo::cli {
namespace {

constexpr std::string_view kUsage = R"(usage:
  majordomo ask --provider NAME --model MODEL [--base-url URL] [--api-key KEY]
                [--header 'Name: value']...          instance default_headers, repeatable
                [--request-header 'Name: value']...  per-request extra_headers, win on conflict
                [--system TEXT] [--max-tokens N] [--fail-on-truncation] [--temperature X] [--top-p X]
                [--stream] [--json] [--plugin-dir DIR]... [--output text|json] [--dry-run]
                [--ca-file FILE] [--option KEY=VALUE]...
                [--proxy http://[USER:PASS@]HOST:PORT] [--no-proxy HOSTS]  forward proxy, bypass list
                [--schema FILE [--schema-name NAME]]   JSON Schema the answer must match
                [--api chat_completions|responses]   OpenAI only: sugar for --option api=...
                [--log sqlite:PATH|postgresql://... [--log-bodies DIR]]   record the call
                [--timeout SECONDS]   the whole call: every attempt and wait (default 600)
                [--connect-timeout SECONDS] [--first-byte-timeout SECONDS] [--idle-timeout SECONDS]
                [--max-event-bytes N] [--max-body-bytes N]   response limits (4 MiB, 64 MiB)
                [--messages FILE]   the conversation so far (JSON; docs/cli.md); PROMPT is then optional
                [--tools FILE] [--tool-choice auto|none|required|NAME]   functions the model may call
                [--image PATH_OR_URL]...   images for the PROMPT
                [--reasoning-effort minimal|low|medium|high|max] [--thinking off|on|TOKENS]
                [--no-prompt-cache]
                PROMPT
  majordomo chat (--provider NAME --model MODEL | --cascade ... | --alias NAME) [ask options but PROMPT]
                an interactive conversation on standard input: /system, /image, /reset, /exit
  majordomo ask --cascade PROVIDER:MODEL,PROVIDER:MODEL,... [ask options] PROMPT
  majordomo ask --alias NAME [--catalog FILE]... [ask options] PROMPT
  majordomo plugins [--plugin-dir DIR]... [--output text|json]
  majordomo models [PROVIDER] [--plugin-dir DIR]... [--output text|json]
  majordomo logs [--db sqlite:PATH|postgresql://...] [--last N] [--output text|json]
  majordomo plugin new NAME [--dir DIR] [--output text|json]   a provider plugin to build and change
  majordomo --version [--output text|json]
  majordomo serve --config FILE [--listen HOST:PORT] [--port-file FILE] [--plugin-dir DIR]...
                an OpenAI- and Anthropic-compatible HTTP gateway (docs/gateway.md); SIGTERM drains
                and exits 0, SIGHUP reloads keys, providers, cascades and catalog

--cascade tries the members in order, moving on when one fails on the provider's side;
--alias takes a name from a catalog file (--catalog, else $MAJORDOMO_CATALOG).
The API key falls back to the provider's env var (OPENAI_API_KEY, ...); the base URL to its
base-URL env var (OPENAI_BASE_URL, ...); the proxy to https_proxy/HTTPS_PROXY (http_proxy for
an http base URL), then ALL_PROXY, and --no-proxy to NO_PROXY ('--proxy ""' means none). Plugins are looked for in --plugin-dir, then
MAJORDOMO_PLUGIN_PATH, then the install's plugin directory.
Exit codes: 0 success, 1 the request failed, 2 usage or configuration error (nothing sent).
)";

std::pair<std::string, std::string> parse_header(std::string_view flag, std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    throw UsageError{fmt::format("{} takes 'Name: value', got a value without a name and colon", flag)};
  }
  std::string_view value = text.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  return {std::string(text.substr(0, colon)), std::string(value)};
}

template <class Number>
Number parse_number(std::string_view flag, std::string_view text) {
  Number value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    // The value is not echoed: a misplaced argument may be a credential.
    throw UsageError{fmt::format("{} takes a number, and its value is not one", flag)};
  }
  return value;
}

// Seconds with an optional fraction ("2", "0.5"), at least 1 ms and at most a day.
std::chrono::milliseconds parse_seconds(std::string_view flag, std::string_view text) {
  const double seconds = parse_number<double>(flag, text);
  if (!(seconds >= 0.001 && seconds <= 86'400.0)) {
    throw UsageError{fmt::format("{} takes seconds between 0.001 and 86400", flag)};
  }
  return std::chrono::milliseconds(std::llround(seconds * 1000.0));
}

std::size_t parse_byte_limit(std::string_view flag, std::string_view text) {
  const auto bytes = parse_number<std::uint64_t>(flag, text);
  if (bytes < 1024 || bytes > (std::uint64_t{1} << 32)) {
    throw UsageError{fmt::format("{} takes a byte count between 1024 and 4294967296", flag)};
  }
  return static_cast<std::size_t>(bytes);
}

}  // namespace

std::string_view usage_text() { return kUsage; }

std::string shown_argument(std::string_view arg) {
  // "--api-key=sk-…": the name only. A word with digits, capitals or other signs, or a long one,
  // may be a credential typed in the wrong place: not shown at all.
  const std::string_view name = arg.substr(0, arg.find('='));
  const bool plain = std::all_of(name.begin(), name.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '-'; });
  if (name.empty() || name.size() > 32 || !plain) return "(not shown: it may be a credential)";
  return name.size() < arg.size() ? fmt::format("{} (its value is not shown)", name) : std::string(name);
}

Arguments parse_arguments(int argc, char** argv) {
  Arguments args;
  if (argc < 2) throw UsageError{"no command given"};
  args.command = argv[1];
  for (int i = 2; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw UsageError{fmt::format("{} needs a value", arg)};
      return argv[++i];
    };
    if (arg == "--provider") args.provider = value();
    else if (arg == "--model") args.model = value();
    else if (arg == "--base-url") args.base_url = value();
    else if (arg == "--api-key") args.api_key = value();
    else if (arg == "--system") args.system = value();
    else if (arg == "--ca-file") args.ca_file = value();
    else if (arg == "--proxy") args.proxy = value();
    else if (arg == "--no-proxy") args.no_proxy = value();
    else if (arg == "--header") args.headers.push_back(parse_header(arg, value()));
    else if (arg == "--request-header") args.request_headers.push_back(parse_header(arg, value()));
    else if (arg == "--max-tokens") args.max_tokens = parse_number<int64_t>(arg, value());
    else if (arg == "--temperature") args.temperature = parse_number<double>(arg, value());
    else if (arg == "--top-p") args.top_p = parse_number<double>(arg, value());
    else if (arg == "--plugin-dir") args.plugin_dirs.push_back(value());
    else if (arg == "--schema") args.schema_file = value();
    else if (arg == "--schema-name") args.schema_name = value();
    else if (arg == "--cascade") args.cascade = value();
    else if (arg == "--alias") args.alias = value();
    else if (arg == "--catalog") args.catalog_files.push_back(value());
    else if (arg == "--api") args.api = value();
    else if (arg == "--log") args.log_target = value();
    else if (arg == "--log-bodies") args.log_bodies = value();
    else if (arg == "--db") args.log_db = value();
    else if (arg == "--last") args.log_last = parse_number<int64_t>(arg, value());
    else if (arg == "--dir") args.dir = value();
    else if (arg == "--config") args.config_file = value();
    else if (arg == "--listen") args.listen = value();
    else if (arg == "--port-file") args.port_file = value();
    else if (arg == "--timeout") args.deadline = parse_seconds(arg, value());
    else if (arg == "--connect-timeout") args.connect_timeout = parse_seconds(arg, value());
    else if (arg == "--first-byte-timeout") args.first_byte_timeout = parse_seconds(arg, value());
    else if (arg == "--idle-timeout") args.idle_timeout = parse_seconds(arg, value());
    else if (arg == "--max-event-bytes") args.max_event_bytes = parse_byte_limit(arg, value());
    else if (arg == "--max-body-bytes") args.max_body_bytes = parse_byte_limit(arg, value());
    else if (arg == "--messages") args.messages_file = value();
    else if (arg == "--tools") args.tools_file = value();
    else if (arg == "--tool-choice") args.tool_choice = value();
    else if (arg == "--image") args.images.push_back(value());
    else if (arg == "--reasoning-effort") args.reasoning_effort = value();
    else if (arg == "--thinking") args.thinking = value();
    else if (arg == "--no-prompt-cache") args.no_prompt_cache = true;
    else if (arg == "--option") {
      const std::string pair = value();
      const auto eq = pair.find('=');
      if (eq == std::string::npos || eq == 0) throw UsageError{"--option takes KEY=VALUE"};
      args.options.emplace_back(pair.substr(0, eq), pair.substr(eq + 1));
    } else if (arg == "--output") {
      const std::string format = value();
      if (format != "text" && format != "json") {
        throw UsageError{"--output takes text or json"};
      }
      args.json_output = format == "json";
    } else if (arg == "--stream") args.stream = true;
    else if (arg == "--fail-on-truncation") args.fail_on_truncation = true;
    else if (arg == "--json") args.json = true;
    else if (arg == "--dry-run") args.dry_run = true;
    else if (arg == "--help" || arg == "-h") throw UsageError{};
    else if (arg == "--") {
      for (++i; i < argc; ++i) args.positional.emplace_back(argv[i]);
    } else if (arg.size() > 1 && arg.front() == '-') {
      throw UsageError{fmt::format("unknown option {}", shown_argument(arg))};
    } else {
      args.positional.emplace_back(arg);
    }
  }
  return args;
}

majordomo::HostOptions host_options(const Arguments& args) {
  majordomo::HostOptions options;
  for (const auto& dir : args.plugin_dirs) options.plugin_dirs.emplace_back(dir);
  for (const auto& file : args.catalog_files) options.catalog_files.emplace_back(file);
  return options;
}

}  // namespace majordomo::cli
