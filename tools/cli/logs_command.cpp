// `majordomo logs`: the last rows of a call log, as a table or one JSON object.
#include "commands.hpp"
#include "json_output.hpp"
#include "log_text.hpp"
#include "safe_output.hpp"

#include <majordomo/logging.hpp>

#include <fmt/format.h>

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace majordomo::cli {
namespace {

std::string cost_text(const std::optional<double>& cost) { return cost ? fmt::format("{:.6g}", *cost) : "-"; }

// A column of a row for the table: rows hold provider text, which must not steer the terminal.
std::string cell(std::string_view text) { return majordomo::log_text::escape_controls(text, false); }

}  // namespace

int run_logs(const Arguments& args) {
  if (!args.positional.empty()) throw UsageError{"logs takes no PROMPT or other positional argument"};
  const int64_t last = args.log_last.value_or(20);
  if (last <= 0) throw UsageError{"--last takes a positive number of rows"};
  const std::string target = args.log_db.value_or(std::string(majordomo::kDefaultLogTarget));
  const auto rows = majordomo::read_log(target, static_cast<std::size_t>(last));
  std::string out;
  if (args.json_output) {
    JsonWriter json(out);
    json.begin_object().key("rows").begin_array();
    for (const auto& row : rows) {
      json.begin_object();
      const auto text = [&](std::string_view key, const std::string& value) { json.key(key).string(json_text(value)); };
      const auto number = [&](std::string_view key, auto value) { json.key(key).number(value); };
      const auto cost = [&](std::string_view key, const std::optional<double>& value) {
        json.key(key);
        if (value) json.number(*value); else json.null();
      };
      text("request_id", row.request_id);
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
      json.key("failed_attempts").raw_value(row.failed_attempts);
      json.key("warnings").raw_value(row.warnings);
      json.key("metadata").raw_value(row.metadata);
      text("api_key_hash", row.api_key_hash);
      text("request_body_key", row.request_body_key);
      text("response_body_key", row.response_body_key);
      text("provider_request_id", row.provider_request_id);
      json.key("tool_calls").raw_value(row.tool_calls);          // (0.5)
      json.key("request_extras").raw_value(row.request_extras);  // (0.5)
      json.end_object();
    }
    json.end_array().end_object();
    print_line(out);
    return 0;
  }
  out = fmt::format("{:<24} {:<9} {:<36} {:>7} {:>7} {:>11} {:>8} {:>5}  {}\n", "time (UTC)", "status",
                    "served by (or provider:model)", "in", "out", "cost USD", "time s", "fails", "error");
  for (const auto& row : rows) {
    const std::string who = row.served_by.empty() ? row.provider + ":" + row.model : row.served_by;
    out += fmt::format("{:<24} {:<9} {:<36} {:>7} {:>7} {:>11} {:>8.3f} {:>5}  {}\n", cell(row.created_at),
                       cell(row.status), cell(who), row.input_tokens, row.output_tokens, cost_text(row.total_cost),
                       row.response_time_s, row.failed_attempt_count, cell(row.error_kind));
  }
  out += fmt::format("{} row(s) from {}\n", rows.size(), target.find("://") == std::string::npos
                                                            ? target : "the PostgreSQL call log");
  write_stdout(known_secrets().scrubbed(out));
  return 0;
}

}  // namespace majordomo::cli
