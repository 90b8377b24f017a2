// `majordomo ask`: one request to a provider, a cascade or an alias; dry runs, schemas, streams and the call log.
#include "answer_printer.hpp"
#include "commands.hpp"
#include "conversation_arguments.hpp"
#include "llm_route.hpp"
#include "json_output.hpp"
#include "safe_output.hpp"

#include <majordomo/logging.hpp>
#include <majordomo/majordomo.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace majordomo::cli {
namespace {

void print_dry_run(const Arguments& args, const std::vector<majordomo::ResolvedRequest>& requests) {
  const SecretValues& secrets = known_secrets();
  for (const auto& request : requests) {
    // Redacted by name and by the values the request carries, then by every credential this run
    // knows (a --header whose value is the API key, the proxy password, …).
    majordomo::HeaderSet headers;
    for (const auto& header : request.redacted_headers()) headers.set(header.name, secrets.scrubbed_value(header.value));
    const std::string url = secrets.scrubbed(request.redacted_url());
    const std::string body = secrets.scrubbed(request.body);
    if (args.json_output) {
      std::string out;
      JsonWriter json(out);
      json.begin_object().key("dry_run").begin_object();
      json.key("provider").string(request.provider);
      json.key("model").string(request.model);
      json.key("method").string(request.method);
      json.key("url").string(json_text(url));
      json.key("proxy");  // null: a direct connection; the password is already redacted
      if (request.proxy.empty()) json.null(); else json.string(json_text(request.proxy));
      json.key("stream").boolean(request.stream);
      json.key("headers").begin_array();
      for (const auto& header : headers) {
        json.begin_object();
        json.key("name").string(json_text(header.name));
        json.key("value").string(json_text(header.value));
        json.end_object();
      }
      json.end_array();
      json.key("body").string(json_text(body));
      json.end_object().end_object();
      print_line(out);
      continue;
    }
    std::string out = fmt::format("{} {}{}\n", request.method, url,
                                  request.proxy.empty() ? std::string() : " via proxy " + secrets.scrubbed(request.proxy));
    for (const auto& header : headers) out += fmt::format("{}: {}\n", header.name, header.value);
    out += "\n" + body + "\n";
    write_stdout(out);
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
      print_message(fmt::format("warning: {} call log row(s) not stored: {}", stats.failed + stats.dropped,
                                stats.last_error));
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

// Text output: each retry and fail-over before the answer, on stderr (JSON output has them in
// failed_attempts).
void note_failed_attempts(const majordomo::Response& response) {
  for (const auto& attempt : response.failed_attempts) {
    const std::string status = attempt.http_status > 0 ? fmt::format(", HTTP {}", attempt.http_status) : "";
    const std::string next = attempt.waited_ms > 0 ? fmt::format("retried after {} ms", attempt.waited_ms)
                                                   : std::string("moved on to the next member");
    print_message(fmt::format("note: {}:{} failed ({}{}); {}", attempt.provider, attempt.model,
                              majordomo::to_string(attempt.kind), status, next));
  }
}

// The argument combinations ask refuses before anything else happens (exit 2).
void check_ask_arguments(const Arguments& args) {
  check_route(args);
  if (args.positional.size() > 1) throw UsageError{"ask takes exactly one PROMPT (quote it)"};
  if (args.positional.empty() && !args.messages_file) throw UsageError{"ask needs a PROMPT (or --messages FILE)"};
  if (args.tool_choice && !args.tools_file) throw UsageError{"--tool-choice needs --tools FILE"};
  if (args.schema_name && !args.schema_file) throw UsageError{"--schema-name needs --schema FILE"};
  if (args.log_bodies && !args.log_target) throw UsageError{"--log-bodies needs --log TARGET"};
  if (args.schema_file && args.json) throw UsageError{"--schema and --json exclude each other"};
  if (args.api && args.provider.value_or("") != "openai") {
    throw UsageError{"--api chooses between OpenAI's APIs and needs --provider openai; for another provider "
                     "leave it out (provider options go in --option KEY=VALUE)"};
  }
  for (const auto& option : args.options) {
    if (args.api && option.first == "api") throw UsageError{"--api and --option api=... exclude each other"};
  }
}

// --schema FILE and its name (--schema-name, else the file's stem), read before any plugin loads.
struct SchemaArgument {
  std::string name;
  std::string text;
};

SchemaArgument read_schema_argument(const Arguments& args) {
  SchemaArgument schema;
  if (args.schema_name) {
    schema.name = *args.schema_name;
    if (schema.name.empty() || schema.name.size() > kMaxSchemaName ||
        !std::all_of(schema.name.begin(), schema.name.end(), is_schema_name_char)) {
      throw UsageError{"--schema-name takes 1 to 64 of A-Z a-z 0-9 _ -"};
    }
  } else {
    schema.name = schema_name_from_file(*args.schema_file);
  }
  schema.text = read_schema_file(*args.schema_file);
  return schema;
}

}  // namespace

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
        print_message("note: no API key configured; the dry run shows where it would go");
        break;
      }
    }
  }
  std::shared_ptr<majordomo::LLM> llm;
  if (args.cascade) llm = host.get_cascade(std::move(members), std::move(client));
  else if (args.alias) llm = host.get_alias(*args.alias, std::move(client));
  else llm = host.get_llm_instance(*args.provider, *args.model, std::move(client));
  for (const auto& warning : llm->warnings()) print_message(fmt::format("warning: {}", warning));
  return llm;
}

majordomo::ClientOptions client_options(const Arguments& args) {
  majordomo::ClientOptions client;
  client.api_key = args.api_key;
  client.base_url = args.base_url;
  for (const auto& [name, value] : args.headers) client.default_headers.set(name, value);
  if (args.ca_file) client.tls.ca_file = *args.ca_file;
  client.proxy = args.proxy;  // unset: the *_proxy environment variables decide
  client.no_proxy = args.no_proxy;
  for (const auto& [key, value] : args.options) client.provider_options[key] = value;
  if (args.api) client.provider_options["api"] = *args.api;
  if (args.deadline) client.timeouts.deadline = *args.deadline;
  if (args.connect_timeout) client.timeouts.connect = *args.connect_timeout;
  if (args.first_byte_timeout) client.timeouts.first_byte = *args.first_byte_timeout;
  if (args.idle_timeout) client.timeouts.idle = *args.idle_timeout;
  if (args.max_event_bytes) client.limits.max_event_bytes = *args.max_event_bytes;
  if (args.max_body_bytes) client.limits.max_body_bytes = *args.max_body_bytes;
  return client;
}

int run_ask(const Arguments& args) {
  check_ask_arguments(args);
  const SchemaArgument schema_argument = args.schema_file ? read_schema_argument(args) : SchemaArgument{};
  const majordomo::Host host(host_options(args));
  majordomo::ClientOptions client = client_options(args);
  learn_secrets(args, &host);
  std::shared_ptr<majordomo::LLM> llm = route_llm(args, host, std::move(client));

  majordomo::LLMRequest request;
  apply_conversation_arguments(args, request);
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
    schema.emplace(schema_argument.text, llm->provider());
    request.format = majordomo::ResponseFormat::json_schema;
    request.schema_json = schema->text();
    request.schema_name = schema_argument.name;
  }

  if (args.dry_run) {
    const auto requests = llm->resolve(request, args.stream);
    learn_secrets(requests);
    print_dry_run(args, requests);
    return 0;
  }
  // The real header values (keys from the environment, the provider's auth header) join what is
  // scrubbed from the output. A request that cannot be resolved fails the call the same way.
  try {
    learn_secrets(llm->resolve(request, args.stream));
  } catch (const majordomo::Error&) {
  }

  // The answer is printed beneath the call log, so that a failed write is in its row.
  const AnswerPlan plan{args.json_output, args.json, schema ? &*schema : nullptr};
  CallLog call_log;
  llm = majordomo::layered(std::move(llm), {
      [&](std::shared_ptr<majordomo::LLM> inner) -> std::shared_ptr<majordomo::LLM> {
        return std::make_shared<PrintingLLM>(std::move(inner), plan);
      },
      [&](std::shared_ptr<majordomo::LLM> inner) -> std::shared_ptr<majordomo::LLM> {
        call_log.logger = open_call_log(args, inner);
        if (call_log.logger) return call_log.logger;
        return inner;
      }});

  majordomo::Response response;
  if (args.stream) {
    majordomo::ResponseStream stream = llm->stream(request);
    majordomo::StreamChunk chunk;
    while (stream.next(chunk)) {
    }
    response = stream.response();
  } else if (schema) {
    // Checked as part of the call, so that a cascade moves on from an answer that fails the check.
    response = llm->complete_checked(request, [&](majordomo::Response answer) {
                     return schema->check(std::move(answer));
                   }).response;
  } else {
    response = llm->complete(request);
  }
  if (!args.json_output) note_failed_attempts(response);
  return 0;
}

}  // namespace majordomo::cli
