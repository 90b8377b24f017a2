// majordomo: the command-line client (ask, plugins, models, logs) over the public C++ API.
#include <majordomo/logging.hpp>
#include <majordomo/majordomo.hpp>
#include <majordomo/plugin.h>
#include <majordomo/sdk/json_writer.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using majordomo::sdk::JsonWriter;

constexpr int kExitFailure = 1;  // the request failed (provider, network, parse, …)
constexpr int kExitUsage = 2;    // bad command line or configuration: nothing was sent

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
                PROMPT
  majordomo ask --cascade PROVIDER:MODEL,PROVIDER:MODEL,... [ask options] PROMPT
  majordomo ask --alias NAME [--catalog FILE]... [ask options] PROMPT
  majordomo plugins [--plugin-dir DIR]... [--output text|json]
  majordomo models [PROVIDER] [--plugin-dir DIR]... [--output text|json]
  majordomo logs [--db sqlite:PATH|postgresql://...] [--last N] [--output text|json]

--cascade tries the members in order, moving on when one fails on the provider's side;
--alias takes a name from a catalog file (--catalog, else $MAJORDOMO_CATALOG).
The API key falls back to the provider's env var (OPENAI_API_KEY, ...); the base URL to its
base-URL env var (OPENAI_BASE_URL, ...); the proxy to https_proxy/HTTPS_PROXY (http_proxy for
an http base URL), then ALL_PROXY, and --no-proxy to NO_PROXY ('--proxy ""' means none). Plugins are looked for in --plugin-dir, then
MAJORDOMO_PLUGIN_PATH, then the install's plugin directory.
Exit codes: 0 success, 1 the request failed, 2 usage or configuration error (nothing sent).
)";

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
  std::vector<std::pair<std::string, std::string>> headers, request_headers, options;
  std::vector<std::string> plugin_dirs;
  std::vector<std::string> positional;
  bool stream = false, json = false, dry_run = false, json_output = false;
  bool fail_on_truncation = false;
};

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
    throw UsageError{fmt::format("{} takes a number, got '{}'", flag, text)};
  }
  return value;
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
    else if (arg == "--option") {
      const std::string pair = value();
      const auto eq = pair.find('=');
      if (eq == std::string::npos || eq == 0) throw UsageError{"--option takes KEY=VALUE"};
      args.options.emplace_back(pair.substr(0, eq), pair.substr(eq + 1));
    } else if (arg == "--output") {
      const std::string format = value();
      if (format != "text" && format != "json") {
        throw UsageError{fmt::format("--output takes text or json, got '{}'", format)};
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
      throw UsageError{fmt::format("unknown option {}", arg)};
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

void print_line(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
}

// Costs are null when the model is not in the catalog: 0 would read as "free".
void write_cost(JsonWriter& json, const majordomo::Cost& cost) {
  const auto amount = [&](std::string_view key, double value) {
    json.key(key);
    if (cost.priced) json.number(value); else json.raw("null");
  };
  json.raw("{");
  amount("input", cost.input);
  json.raw(",");
  amount("output", cost.output);
  json.raw(",");
  amount("total", cost.total);
  json.raw("}");
}

// The retries and fail-overs before an outcome, as a JSON array.
void write_failed_attempts(JsonWriter& json, const std::vector<majordomo::FailedAttempt>& attempts) {
  json.key("failed_attempts").raw("[");
  bool first = true;
  for (const auto& attempt : attempts) {
    json.raw(first ? "{" : ",{");
    first = false;
    json.key("provider").string(attempt.provider);
    json.raw(",").key("model").string(attempt.model);
    json.raw(",").key("kind").string(majordomo::to_string(attempt.kind));
    json.raw(",").key("http_status");
    if (attempt.http_status > 0) json.number(static_cast<int64_t>(attempt.http_status)); else json.raw("null");
    json.raw(",").key("message").string(attempt.message);
    json.raw(",").key("waited_ms").number(attempt.waited_ms);
    json.raw("}");
  }
  json.raw("]");
}

// Fields filled by the middleware (added in 0.2): which member served, the alias, the attempts.
void write_middleware_history(JsonWriter& json, const majordomo::Response& response) {
  json.raw(",").key("served_by");
  if (response.served_by.empty()) json.raw("null"); else json.string(response.served_by);
  json.raw(",").key("alias");
  if (response.alias.empty()) json.raw("null"); else json.string(response.alias);
  json.raw(",").key("attempts").number(static_cast<int64_t>(response.attempts));
  json.raw(",");
  write_failed_attempts(json, response.failed_attempts);
  json.raw(",").key("warnings").raw("[");
  for (std::size_t i = 0; i < response.warnings.size(); ++i) {
    if (i > 0) json.raw(",");
    json.string(response.warnings[i]);
  }
  json.raw("]");
}

std::string response_json(const majordomo::Response& response, std::string_view content) {
  std::string out;
  JsonWriter json(out);
  json.raw("{").key("content").string(content);
  json.raw(",").key("provider").string(response.provider);
  json.raw(",").key("model").string(response.model);
  json.raw(",").key("stop_reason").string(majordomo::to_string(response.stop_reason));
  json.raw(",").key("raw_stop_reason").string(response.raw_stop_reason);
  if (!response.reasoning.empty()) json.raw(",").key("reasoning").string(response.reasoning);
  json.raw(",").key("usage").raw("{");
  json.key("input_tokens").number(response.usage.input_tokens);
  json.raw(",").key("output_tokens").number(response.usage.output_tokens);
  json.raw(",").key("cached_tokens").number(response.usage.cached_tokens);
  json.raw(",").key("cache_write_tokens").number(response.usage.cache_write_tokens);
  json.raw(",").key("reasoning_tokens").number(response.usage.reasoning_tokens);
  json.raw("},").key("cost");
  write_cost(json, response.cost);
  json.raw(",").key("response_time_s").number(response.response_time.count());
  json.raw(",").key("request_id").string(response.request_id);
  write_middleware_history(json, response);
  json.raw("}");
  return out;
}

void report_error(const Arguments& args, std::string_view kind, const std::string& message,
                  int http_status, std::string_view provider, const std::string* partial,
                  const std::vector<majordomo::FailedAttempt>& failed_attempts = {}) {
  std::fprintf(stderr, "majordomo: %s error: %s\n", std::string(kind).c_str(), message.c_str());
  if (!args.json_output) return;
  std::string out;
  JsonWriter json(out);
  json.raw("{").key("error").raw("{");
  json.key("kind").string(kind);
  json.raw(",").key("message").string(message);
  json.raw(",").key("http_status");
  if (http_status > 0) json.number(static_cast<int64_t>(http_status)); else json.raw("null");
  json.raw(",").key("provider").string(provider);
  json.raw(",");
  write_failed_attempts(json, failed_attempts);
  json.raw("}");
  if (partial != nullptr && !partial->empty()) json.raw(",").key("partial_content").string(*partial);
  json.raw("}");
  std::fflush(stdout);
  print_line(out);
}

int run_plugins(const Arguments& args) {
  const majordomo::Host host(host_options(args));
  if (args.json_output) {
    std::string out;
    JsonWriter json(out);
    json.raw("{").key("plugins").raw("[");
    bool first = true;
    for (const auto& plugin : host.plugins()) {
      json.raw(first ? "{" : ",{");
      first = false;
      json.key("provider").string(plugin.provider_id);
      json.raw(",").key("name").string(plugin.display_name);
      json.raw(",").key("version").string(plugin.version);
      json.raw(",").key("abi").number(static_cast<int64_t>(plugin.abi_version));
      json.raw(",").key("path").string(plugin.path.string());
      json.raw(",").key("default_base_url").string(plugin.default_base_url);
      json.raw(",").key("models").number(static_cast<int64_t>(plugin.models.size()));
      json.raw("}");
    }
    json.raw("],").key("skipped").raw("[");
    first = true;
    for (const auto& skipped : host.skipped()) {
      json.raw(first ? "{" : ",{");
      first = false;
      json.key("path").string(skipped.path.string());
      json.raw(",").key("reason").string(majordomo::to_string(skipped.reason));
      json.raw(",").key("message").string(skipped.message);
      json.raw("}");
    }
    json.raw("],").key("search_path").raw("[");
    first = true;
    for (const auto& dir : host.search_path()) {
      if (!first) json.raw(",");
      first = false;
      json.string(dir.string());
    }
    json.raw("]}");
    print_line(out);
    return 0;
  }
  std::string out = "plugin directories (in search order):\n";
  for (const auto& dir : host.search_path()) out += fmt::format("  {}\n", dir.string());
  out += fmt::format("loaded ({}):\n", host.plugins().size());
  for (const auto& plugin : host.plugins()) {
    out += fmt::format("  {:<12} {:<14} {:<8} ABI {}  {}\n", plugin.provider_id, plugin.display_name,
                       plugin.version, plugin.abi_version, plugin.path.string());
  }
  out += fmt::format("skipped ({}):\n", host.skipped().size());
  for (const auto& skipped : host.skipped()) {
    out += fmt::format("  {}\n    {}: {}\n", skipped.path.string(), majordomo::to_string(skipped.reason),
                       skipped.message);
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

std::string price_text(double price) { return price < 0 ? "-" : fmt::format("{:.4g}", price); }

int run_models(const Arguments& args) {
  const majordomo::Host host(host_options(args));
  if (args.positional.size() > 1) throw UsageError{"models takes at most one provider"};
  std::vector<const majordomo::PluginInfo*> selected;
  for (const auto& plugin : host.plugins()) {
    if (args.positional.empty() || plugin.provider_id == args.positional[0]) selected.push_back(&plugin);
  }
  if (!args.positional.empty() && selected.empty()) {
    majordomo::throw_configuration_error(
        fmt::format("unknown provider '{}' (run `majordomo plugins` to see what is loaded)",
                    args.positional[0]));
  }
  std::string out;
  if (args.json_output) {
    JsonWriter json(out);
    json.raw("{").key("models").raw("[");
    bool first = true;
    for (const auto* plugin : selected) {
      for (const auto& model : plugin->models) {
        json.raw(first ? "{" : ",{");
        first = false;
        json.key("provider").string(plugin->provider_id);
        json.raw(",").key("id").string(model.id);
        const auto price = [&](std::string_view key, double value) {
          json.raw(",").key(key);
          if (value >= 0) json.number(value); else json.raw("null");
        };
        price("input_usd_per_mtok", model.input_usd_per_mtok);
        price("output_usd_per_mtok", model.output_usd_per_mtok);
        price("cached_input_usd_per_mtok", model.cached_input_usd_per_mtok);
        price("cache_write_usd_per_mtok", model.cache_write_usd_per_mtok);
        json.raw(",").key("max_output_tokens").number(model.max_output_tokens);
        json.raw("}");
      }
    }
    json.raw("]}");
    print_line(out);
    return 0;
  }
  out = fmt::format("{:<10} {:<28} {:>10} {:>10} {:>10} {:>10}\n", "provider", "model", "input/1M",
                    "output/1M", "cached/1M", "max out");
  for (const auto* plugin : selected) {
    for (const auto& model : plugin->models) {
      out += fmt::format("{:<10} {:<28} {:>10} {:>10} {:>10} {:>10}\n", plugin->provider_id, model.id,
                         price_text(model.input_usd_per_mtok), price_text(model.output_usd_per_mtok),
                         price_text(model.cached_input_usd_per_mtok),
                         model.max_output_tokens > 0 ? std::to_string(model.max_output_tokens) : "-");
    }
  }
  out += "prices in USD per million tokens\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

void print_dry_run(const Arguments& args, const std::vector<majordomo::ResolvedRequest>& requests) {
  for (const auto& request : requests) {
    const majordomo::HeaderSet headers = request.redacted_headers();
    if (args.json_output) {
      std::string out;
      JsonWriter json(out);
      json.raw("{").key("dry_run").raw("{");
      json.key("provider").string(request.provider);
      json.raw(",").key("model").string(request.model);
      json.raw(",").key("method").string(request.method);
      json.raw(",").key("url").string(request.redacted_url());
      json.raw(",").key("proxy");  // null: a direct connection; the password is already redacted
      if (request.proxy.empty()) json.raw("null");
      else json.string(request.proxy);
      json.raw(",").key("stream").boolean(request.stream);
      json.raw(",").key("headers").raw("[");
      bool first = true;
      for (const auto& header : headers) {
        json.raw(first ? "{" : ",{");
        first = false;
        json.key("name").string(header.name);
        json.raw(",").key("value").string(header.value);
        json.raw("}");
      }
      json.raw("],").key("body").string(request.body);
      json.raw("}}");
      print_line(out);
      continue;
    }
    std::string out = fmt::format("{} {}{}\n", request.method, request.redacted_url(),
                                  request.proxy.empty() ? std::string() : " via proxy " + request.proxy);
    for (const auto& header : headers) out += fmt::format("{}: {}\n", header.name, header.value);
    out += "\n" + request.body + "\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
  }
}

bool is_schema_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

// Providers accept schema names of [A-Za-z0-9_-]{1,64} only (OpenAI's rule, the strictest).
constexpr std::size_t kMaxSchemaName = 64;

// The file stem made into a valid schema name: other characters become '_', then cut to 64.
std::string schema_name_from_file(const std::string& file) {
  std::string name = std::filesystem::path(file).stem().string();
  for (char& c : name) {
    if (!is_schema_name_char(c)) c = '_';
  }
  if (name.size() > kMaxSchemaName) name.resize(kMaxSchemaName);
  return name.empty() ? "schema" : name;
}

std::string read_schema_file(const std::string& file) {
  std::error_code error;
  if (std::filesystem::is_directory(file, error)) {
    throw UsageError{fmt::format("--schema {}: is a directory, expected a JSON Schema file", file)};
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) throw UsageError{fmt::format("--schema {}: cannot open the file", file)};
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw UsageError{fmt::format("--schema {}: cannot read the file", file)};
  return text;
}

// --log: closes the logger when the command ends (every row written) and says on stderr when
// rows could not be stored, so a broken log never passes unnoticed.
struct CallLog {
  std::shared_ptr<majordomo::LoggingLLM> logger;
  ~CallLog() {
    if (!logger) return;
    logger->close();
    const majordomo::LoggingStats stats = logger->stats();
    if (stats.failed + stats.dropped > 0) {
      std::fprintf(stderr, "majordomo: warning: %llu call log row(s) not stored: %s\n",
                   static_cast<unsigned long long>(stats.failed + stats.dropped), stats.last_error.c_str());
    }
  }
};

// Wraps `llm` in a LoggingLLM when --log is given (not for a dry run: nothing is sent).
std::shared_ptr<majordomo::LoggingLLM> open_call_log(const Arguments& args, std::shared_ptr<majordomo::LLM> llm) {
  if (args.log_bodies && !args.log_target) throw UsageError{"--log-bodies needs --log TARGET"};
  if (!args.log_target || args.dry_run) return nullptr;
  majordomo::LoggingOptions options;
  options.target = *args.log_target;
  if (args.log_bodies) options.bodies_dir = *args.log_bodies;
  options.overflow = majordomo::LogOverflow::block;  // one call: nothing to gain by dropping
  return std::make_shared<majordomo::LoggingLLM>(std::move(llm), std::move(options));
}

std::string cost_text(const std::optional<double>& cost) { return cost ? fmt::format("{:.6g}", *cost) : "-"; }

int run_logs(const Arguments& args) {
  if (!args.positional.empty()) throw UsageError{"logs takes no PROMPT or other positional argument"};
  const int64_t last = args.log_last.value_or(20);
  if (last <= 0) throw UsageError{"--last takes a positive number of rows"};
  const std::string target = args.log_db.value_or(std::string(majordomo::kDefaultLogTarget));
  const auto rows = majordomo::read_log(target, static_cast<std::size_t>(last));
  std::string out;
  if (args.json_output) {
    JsonWriter json(out);
    json.raw("{").key("rows").raw("[");
    bool first = true;
    for (const auto& row : rows) {
      json.raw(first ? "{" : ",{");
      first = false;
      const auto text = [&](std::string_view key, const std::string& value, bool comma = true) {
        if (comma) json.raw(",");
        json.key(key).string(value);
      };
      const auto number = [&](std::string_view key, auto value) { json.raw(",").key(key).number(value); };
      const auto cost = [&](std::string_view key, const std::optional<double>& value) {
        json.raw(",").key(key);
        if (value) json.number(*value); else json.raw("null");
      };
      text("request_id", row.request_id, false);
      text("created_at", row.created_at);
      text("provider", row.provider);
      text("model", row.model);
      text("served_by", row.served_by);
      text("response_model", row.response_model);
      text("alias", row.alias);
      text("operation", row.operation);
      text("format", row.format);
      text("status", row.status);
      text("error_kind", row.error_kind);
      text("error_message", row.error_message);
      number("http_status", row.http_status);
      number("response_time_s", row.response_time_s);
      number("input_tokens", row.input_tokens);
      number("output_tokens", row.output_tokens);
      number("cached_tokens", row.cached_tokens);
      number("cache_write_tokens", row.cache_write_tokens);
      number("reasoning_tokens", row.reasoning_tokens);
      cost("input_cost", row.input_cost);
      cost("output_cost", row.output_cost);
      cost("total_cost", row.total_cost);
      text("stop_reason", row.stop_reason);
      number("attempts", row.attempts);
      // Stored by majordomo as JSON documents: passed through as they are.
      json.raw(",").key("failed_attempts").raw(row.failed_attempts);
      json.raw(",").key("warnings").raw(row.warnings);
      json.raw(",").key("metadata").raw(row.metadata);
      text("api_key_hash", row.api_key_hash);
      text("request_body_key", row.request_body_key);
      text("response_body_key", row.response_body_key);
      text("provider_request_id", row.provider_request_id);
      json.raw("}");
    }
    json.raw("]}");
    print_line(out);
    return 0;
  }
  out = fmt::format("{:<24} {:<9} {:<36} {:>7} {:>7} {:>11} {:>8} {:>5}  {}\n", "time (UTC)", "status",
                    "served by (or provider:model)", "in", "out", "cost USD", "time s", "fails", "error");
  for (const auto& row : rows) {
    const std::string who = row.served_by.empty() ? row.provider + ":" + row.model : row.served_by;
    out += fmt::format("{:<24} {:<9} {:<36} {:>7} {:>7} {:>11} {:>8.3f} {:>5}  {}\n", row.created_at, row.status, who,
                       row.input_tokens, row.output_tokens, cost_text(row.total_cost), row.response_time_s,
                       row.failed_attempt_count, row.error_kind);
  }
  out += fmt::format("{} row(s) from {}\n", rows.size(), target.find("://") == std::string::npos
                                                            ? target : "the PostgreSQL call log");
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

// --cascade and --alias replace --provider/--model: checks that exactly one way is given.
void check_route(const Arguments& args) {
  if (args.cascade && args.alias) throw UsageError{"--cascade and --alias exclude each other"};
  if (args.cascade || args.alias) {
    if (args.provider || args.model) {
      throw UsageError{fmt::format("{} replaces --provider and --model", args.cascade ? "--cascade" : "--alias")};
    }
    return;
  }
  if (!args.provider) throw UsageError{"ask needs --provider (or --cascade, or --alias)"};
  if (!args.model) throw UsageError{"ask needs --model"};
}

// The LLM that ask talks to: one provider, a cascade or a catalog alias, with the shared options.
std::shared_ptr<majordomo::LLM> route_llm(const Arguments& args, const majordomo::Host& host,
                                          majordomo::ClientOptions client) {
  std::vector<majordomo::CascadeMember> members;
  if (args.cascade) members = majordomo::parse_cascade_members(*args.cascade);
  else if (args.alias) members = host.alias_members(*args.alias);
  else {
    members.emplace_back();
    members.back().provider = *args.provider;
    members.back().model = *args.model;
  }
  if (args.dry_run && !client.api_key) {
    // A dry run shows the request shape; it must work without a real key configured.
    for (const auto& member : members) {
      const auto* plugin = host.find_plugin(member.provider);
      if (plugin != nullptr && (plugin->api_key_env.empty() || std::getenv(plugin->api_key_env.c_str()) == nullptr)) {
        client.api_key = "dry-run-placeholder-key";
        std::fprintf(stderr, "majordomo: note: no API key configured; the dry run shows where it would go\n");
        break;
      }
    }
  }
  std::shared_ptr<majordomo::LLM> llm;
  if (args.cascade) llm = host.get_cascade(std::move(members), std::move(client));
  else if (args.alias) llm = host.get_alias(*args.alias, std::move(client));
  else llm = host.get_llm_instance(*args.provider, *args.model, std::move(client));
  for (const auto& warning : llm->warnings()) std::fprintf(stderr, "majordomo: warning: %s\n", warning.c_str());
  return llm;
}

// Text output: each retry and fail-over before the answer, on stderr (JSON output has them in
// failed_attempts).
void note_failed_attempts(const majordomo::Response& response) {
  for (const auto& attempt : response.failed_attempts) {
    const std::string status = attempt.http_status > 0 ? fmt::format(", HTTP {}", attempt.http_status) : "";
    const std::string next = attempt.waited_ms > 0 ? fmt::format("retried after {} ms", attempt.waited_ms)
                                                   : std::string("moved on to the next member");
    std::fprintf(stderr, "majordomo: note: %s:%s failed (%s%s); %s\n", attempt.provider.c_str(),
                 attempt.model.c_str(), std::string(majordomo::to_string(attempt.kind)).c_str(),
                 status.c_str(), next.c_str());
  }
}

int run_ask(const Arguments& args) {
  check_route(args);
  if (args.positional.size() != 1) {
    throw UsageError{args.positional.empty() ? "ask needs a PROMPT"
                                             : "ask takes exactly one PROMPT (quote it)"};
  }
  if (args.schema_name && !args.schema_file) throw UsageError{"--schema-name needs --schema FILE"};
  if (args.schema_file && args.json) throw UsageError{"--schema and --json exclude each other"};
  if (args.api && args.provider.value_or("") != "openai") {
    throw UsageError{"--api chooses between OpenAI's APIs and needs --provider openai; for another provider "
                     "leave it out (provider options go in --option KEY=VALUE)"};
  }
  for (const auto& option : args.options) {
    if (args.api && option.first == "api") throw UsageError{"--api and --option api=... exclude each other"};
  }
  std::string schema_name;
  std::string schema_text;
  if (args.schema_file) {
    if (args.schema_name) {
      schema_name = *args.schema_name;
      if (schema_name.empty() || schema_name.size() > kMaxSchemaName ||
          !std::all_of(schema_name.begin(), schema_name.end(), is_schema_name_char)) {
        throw UsageError{"--schema-name takes 1 to 64 of A-Z a-z 0-9 _ -"};
      }
    } else {
      schema_name = schema_name_from_file(*args.schema_file);
    }
    schema_text = read_schema_file(*args.schema_file);
  }
  const majordomo::Host host(host_options(args));
  majordomo::ClientOptions client;
  client.api_key = args.api_key;
  client.base_url = args.base_url;
  for (const auto& [name, value] : args.headers) client.default_headers.set(name, value);
  if (args.ca_file) client.tls.ca_file = *args.ca_file;
  client.proxy = args.proxy;  // unset: the *_proxy environment variables decide
  client.no_proxy = args.no_proxy;
  for (const auto& [key, value] : args.options) client.provider_options[key] = value;
  if (args.api) client.provider_options["api"] = *args.api;
  std::shared_ptr<majordomo::LLM> llm = route_llm(args, host, std::move(client));
  const CallLog call_log{open_call_log(args, llm)};
  if (call_log.logger) llm = call_log.logger;

  majordomo::LLMRequest request = majordomo::LLMRequest::from_prompt(args.positional[0]);
  request.options.system = args.system;
  request.options.max_tokens = args.max_tokens;
  request.options.fail_on_truncation = args.fail_on_truncation;
  request.options.temperature = args.temperature;
  request.options.top_p = args.top_p;
  for (const auto& [name, value] : args.request_headers) request.options.extra_headers.set(name, value);
  if (args.json) request.format = majordomo::ResponseFormat::json_object;
  // Parsed before anything is sent: an unusable schema is a configuration error (exit 2).
  std::optional<majordomo::JsonSchema> schema;
  if (args.schema_file) {
    schema.emplace(schema_text, llm->provider());
    request.format = majordomo::ResponseFormat::json_schema;
    request.schema_json = schema->text();
    request.schema_name = schema_name;
  }

  if (args.dry_run) {
    print_dry_run(args, llm->resolve(request, args.stream));
    return 0;
  }

  majordomo::Response response;
  if (args.stream) {
    majordomo::ResponseStream stream = llm->stream(request);
    try {
      while (auto text = stream.next_text()) {
        if (!args.json_output) {
          std::fwrite(text->data(), 1, text->size(), stdout);
          std::fflush(stdout);
        }
      }
    } catch (const majordomo::Error&) {
      if (!args.json_output && !stream.response().content.empty()) std::fputc('\n', stdout);
      throw;
    }
    response = stream.response();
    if (!args.json_output) std::fputc('\n', stdout);
  } else if (schema) {
    // Checked as part of the call, so that a cascade moves on from an answer that fails the check;
    // printed only once it passed (with --stream it is printed as it arrives and checked at the end).
    response = llm->complete_checked(request, [&](majordomo::Response answer) {
                     return schema->check(std::move(answer));
                   }).response;
  } else {
    response = llm->complete(request);
    if (!args.json_output) print_line(response.content);
  }
  if (!args.json_output) note_failed_attempts(response);
  if (schema) {
    majordomo::JsonResponse checked = schema->check(std::move(response));
    if (args.json_output) {
      print_line(response_json(checked.response, checked.json_text));
    } else if (!args.stream) {
      print_line(checked.json_text);
    }
    return 0;
  }
  if (args.json) {
    // Same check as LLM::get_json_response: fences stripped, ParseError keeps the raw text.
    const majordomo::JsonResponse parsed = majordomo::parse_json_response(std::move(response));
    if (args.json_output) print_line(response_json(parsed.response, parsed.json_text));
    return 0;
  }
  if (args.json_output) print_line(response_json(response, response.content));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Arguments args;
  try {
    args = parse_arguments(argc, argv);
    if (args.command == "ask") return run_ask(args);
    if (args.command == "plugins") return run_plugins(args);
    if (args.command == "models") return run_models(args);
    if (args.command == "logs") return run_logs(args);
    if (args.command == "--help" || args.command == "-h" || args.command == "help") {
      std::fwrite(kUsage.data(), 1, kUsage.size(), stdout);
      return 0;
    }
    throw UsageError{fmt::format("unknown command '{}'", args.command)};
  } catch (const UsageError& error) {
    if (error.message.empty()) {  // --help
      std::fwrite(kUsage.data(), 1, kUsage.size(), stdout);
      return 0;
    }
    std::fprintf(stderr, "majordomo: %s\n", error.message.c_str());
    std::fwrite(kUsage.data(), 1, kUsage.size(), stderr);
    return kExitUsage;
  } catch (const majordomo::Error& error) {
    const std::string* partial = error.partial_content().empty() ? nullptr : &error.partial_content();
    report_error(args, majordomo::to_string(error.kind()), error.what(), error.http_status(),
                 error.provider(), partial, error.details().failed_attempts);
    return error.kind() == majordomo::ErrorKind::configuration ? kExitUsage : kExitFailure;
  } catch (const std::exception& error) {
    report_error(args, "server", fmt::format("unexpected failure: {}", error.what()), 0, "", nullptr);
    return kExitFailure;
  }
}
