// The JSON the CLI prints with --output json, written by hand with the SDK's JsonWriter.
#include "json_output.hpp"

#include "safe_output.hpp"

#include <majordomo/logging.hpp>

#include <fmt/format.h>

#include <cstdint>

namespace majordomo::cli {

void print_line(const std::string& text) { write_stdout(text + "\n"); }

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
    json.key("provider").string(json_value(attempt.provider));
    json.raw(",").key("model").string(json_value(attempt.model));
    json.raw(",").key("kind").string(majordomo::to_string(attempt.kind));
    json.raw(",").key("http_status");
    if (attempt.http_status > 0) json.number(static_cast<int64_t>(attempt.http_status)); else json.raw("null");
    json.raw(",").key("message").string(json_text(attempt.message));
    json.raw(",").key("waited_ms").number(attempt.waited_ms);
    json.raw("}");
  }
  json.raw("]");
}

// Fields filled by the middleware (added in 0.2): which member served, the alias, the attempts.
void write_middleware_history(JsonWriter& json, const majordomo::Response& response) {
  json.raw(",").key("served_by");
  if (response.served_by.empty()) json.raw("null"); else json.string(json_value(response.served_by));
  json.raw(",").key("alias");
  if (response.alias.empty()) json.raw("null"); else json.string(json_value(response.alias));
  json.raw(",").key("attempts").number(static_cast<int64_t>(response.attempts));
  json.raw(",");
  write_failed_attempts(json, response.failed_attempts);
  json.raw(",").key("warnings").raw("[");
  for (std::size_t i = 0; i < response.warnings.size(); ++i) {
    if (i > 0) json.raw(",");
    json.string(json_text(response.warnings[i]));
  }
  json.raw("]");
}

std::string response_json(const majordomo::Response& response, std::string_view content) {
  std::string out;
  JsonWriter json(out);
  json.raw("{").key("content").string(json_text(content));
  json.raw(",").key("provider").string(json_value(response.provider));
  json.raw(",").key("model").string(json_value(response.model));
  json.raw(",").key("stop_reason").string(majordomo::to_string(response.stop_reason));
  json.raw(",").key("raw_stop_reason").string(json_value(response.raw_stop_reason));
  if (!response.reasoning.empty()) json.raw(",").key("reasoning").string(json_text(response.reasoning));
  json.raw(",").key("usage").raw("{");
  json.key("input_tokens").number(response.usage.input_tokens);
  json.raw(",").key("output_tokens").number(response.usage.output_tokens);
  json.raw(",").key("cached_tokens").number(response.usage.cached_tokens);
  json.raw(",").key("cache_write_tokens").number(response.usage.cache_write_tokens);
  json.raw(",").key("reasoning_tokens").number(response.usage.reasoning_tokens);
  json.raw("},").key("cost");
  write_cost(json, response.cost);
  json.raw(",").key("response_time_s").number(response.response_time.count());
  json.raw(",").key("request_id").string(json_value(response.request_id));
  write_middleware_history(json, response);
  json.raw("}");
  return out;
}

void report_error(const Arguments& args, std::string_view kind, const std::string& message,
                  int http_status, std::string_view provider, const std::string* partial,
                  const std::vector<majordomo::FailedAttempt>& failed_attempts) {
  print_message(fmt::format("{} error: {}", kind, message));
  if (!args.json_output) return;
  std::string out;
  JsonWriter json(out);
  json.raw("{").key("error").raw("{");
  json.key("kind").string(kind);
  json.raw(",").key("message").string(json_text(message));
  json.raw(",").key("http_status");
  if (http_status > 0) json.number(static_cast<int64_t>(http_status)); else json.raw("null");
  json.raw(",").key("provider").string(json_value(provider));
  json.raw(",");
  write_failed_attempts(json, failed_attempts);
  json.raw("}");
  if (partial != nullptr && !partial->empty()) json.raw(",").key("partial_content").string(json_text(*partial));
  json.raw("}");
  try {
    print_line(out);
  } catch (const majordomo::DeliveryError& error) {  // the error was reported on stderr already
    print_message(fmt::format("output error: {}", error.what()));
  }
}

}  // namespace majordomo::cli
