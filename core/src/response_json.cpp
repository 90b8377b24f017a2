// Response, ErrorDetails and FailedAttempt written with the SDK's scoped JsonWriter (response_json.hpp).
#include <majordomo/response_json.hpp>

#include "log_text.hpp"

#include <majordomo/json_value.hpp>
#include <majordomo/sdk/json_writer.hpp>

#include <cstdint>

namespace majordomo {
namespace {

using sdk::JsonWriter;

// The filters of one serialisation, applied field by field.
class FilteredJson {
 public:
  FilteredJson(std::string& out, const JsonTextFilters& filters) : json_(out), filters_(filters) {}

  JsonWriter& json() { return json_; }
  JsonWriter& text(std::string_view text) { return json_.string(apply(filters_.text, text)); }
  std::string filtered_text(std::string_view text) const { return apply(filters_.text, text); }
  JsonWriter& text(std::string_view key, std::string_view text) { json_.key(key); return this->text(text); }
  JsonWriter& value(std::string_view key, std::string_view value) {
    return json_.key(key).string(apply(filters_.value, value));
  }
  // null for an empty value: "none" must not read as a name.
  JsonWriter& value_or_null(std::string_view key, std::string_view value) {
    return value.empty() ? json_.key(key).null() : this->value(key, value);
  }
  JsonWriter& http_status(int status) {  // 0: no HTTP response was received
    json_.key("http_status");
    return status > 0 ? json_.number(static_cast<int64_t>(status)) : json_.null();
  }

  void failed_attempts(const std::vector<FailedAttempt>& attempts) {
    json_.begin_array();
    for (const auto& attempt : attempts) {
      json_.begin_object();
      value("provider", attempt.provider);
      value("model", attempt.model);
      json_.key("kind").string(to_string(attempt.kind));
      http_status(attempt.http_status);
      text("message", attempt.message);
      json_.key("waited_ms").number(attempt.waited_ms);
      json_.end_object();
    }
    json_.end_array();
  }

 private:
  static std::string apply(const JsonTextFilter& filter, std::string_view text) {
    return filter ? filter(text) : log_text::valid_utf8(text);
  }

  JsonWriter json_;
  const JsonTextFilters& filters_;
};

void write_usage(JsonWriter& json, const Usage& usage) {
  json.begin_object();
  json.key("input_tokens").number(usage.input_tokens);
  json.key("output_tokens").number(usage.output_tokens);
  json.key("cached_tokens").number(usage.cached_tokens);
  json.key("cache_write_tokens").number(usage.cache_write_tokens);
  json.key("reasoning_tokens").number(usage.reasoning_tokens);
  json.end_object();
}

// Null amounts when the model is not in the catalog: 0 would read as "free".
void write_cost(JsonWriter& json, const Cost& cost) {
  const auto amount = [&](std::string_view key, double value) {
    json.key(key);
    if (cost.priced) json.number(value); else json.null();
  };
  json.begin_object();
  amount("input", cost.input);
  amount("output", cost.output);
  amount("total", cost.total);
  json.end_object();
}

// (0.5) `arguments` is the parsed JSON value when the arguments are one object (filtered as text,
// then checked again), else their text as a string; `problem` is null or what the host found.
void write_tool_calls(FilteredJson& filtered, const std::vector<ToolCall>& calls) {
  JsonWriter& json = filtered.json();
  json.begin_array();
  for (const ToolCall& call : calls) {
    json.begin_object();
    filtered.value("id", call.id);
    filtered.value("name", call.name);
    json.key("arguments");
    bool written = false;
    if (call.problem == ToolCallProblem::none || call.problem == ToolCallProblem::schema_mismatch ||
        call.problem == ToolCallProblem::unknown_tool) {
      try {
        const JsonValue value = JsonValue::parse(call.arguments);
        json.raw_value(JsonValue::parse(filtered.filtered_text(value.to_json())).to_json());
        written = true;
      } catch (const Error&) {  // the filter broke the JSON: the text below is still shown
      }
    }
    if (!written) filtered.text(call.arguments);
    json.key("problem");
    if (call.problem == ToolCallProblem::none) {
      json.null();
    } else {
      json.string(to_string(call.problem));
    }
    if (call.problem_detail.empty()) {
      json.key("problem_detail").null();
    } else {
      filtered.text("problem_detail", call.problem_detail);
    }
    json.end_object();
  }
  json.end_array();
}

}  // namespace

void append_response_json(std::string& out, const Response& response, const ResponseJsonOptions& options) {
  FilteredJson filtered(out, options.filters);
  JsonWriter& json = filtered.json();
  json.begin_object();
  filtered.text("content", options.content.value_or(response.content));
  filtered.value("provider", response.provider);
  filtered.value("model", response.model);
  json.key("stop_reason").string(to_string(response.stop_reason));
  filtered.value("raw_stop_reason", response.raw_stop_reason);
  if (!response.reasoning.empty()) filtered.text("reasoning", response.reasoning);
  json.key("usage");
  write_usage(json, response.usage);
  json.key("cost");
  write_cost(json, response.cost);
  json.key("response_time_s").number(response.response_time.count());
  filtered.value("request_id", response.request_id);
  // Filled by the middleware (0.2): which member served, the alias, the attempts before.
  filtered.value_or_null("served_by", response.served_by);
  filtered.value_or_null("alias", response.alias);
  json.key("attempts").number(static_cast<int64_t>(response.attempts));
  json.key("failed_attempts");
  filtered.failed_attempts(response.failed_attempts);
  json.key("warnings").begin_array();
  for (const auto& warning : response.warnings) filtered.text(warning);
  json.end_array();
  json.key("tool_calls");  // (0.5) always present, [] when none
  write_tool_calls(filtered, response.tool_calls);
  // (0.5) What the provider needs back to continue (thinking signatures): null when none. A
  // --messages assistant turn takes it as it is.
  json.key("continuation");
  if (response.continuation.empty()) {
    json.null();
  } else {
    json.begin_object();
    filtered.value("provider", response.continuation.provider);
    filtered.value("model", response.continuation.model);  // (0.5)
    json.key("items").begin_array();
    for (const std::string& item : response.continuation.items) filtered.text(item);
    json.end_array().end_object();
  }
  json.end_object();
}

std::string response_json(const Response& response, const ResponseJsonOptions& options) {
  std::string out;
  append_response_json(out, response, options);
  return out;
}

void append_error_json(std::string& out, const ErrorDetails& error, const JsonTextFilters& filters) {
  FilteredJson filtered(out, filters);
  JsonWriter& json = filtered.json();
  json.begin_object().key("error").begin_object();
  json.key("kind").string(to_string(error.kind));
  filtered.text("message", error.message);
  filtered.http_status(error.http_status);
  filtered.value("provider", error.provider);
  json.key("failed_attempts");
  filtered.failed_attempts(error.failed_attempts);
  json.end_object();
  if (!error.partial_content.empty()) filtered.text("partial_content", error.partial_content);
  json.end_object();
}

std::string error_json(const ErrorDetails& error, const JsonTextFilters& filters) {
  std::string out;
  append_error_json(out, error, filters);
  return out;
}

void append_failed_attempts_json(std::string& out, const std::vector<FailedAttempt>& attempts,
                                 const JsonTextFilters& filters) {
  FilteredJson(out, filters).failed_attempts(attempts);
}

namespace {

void write_sent_request(FilteredJson& filtered, const SentRequest& request) {
  JsonWriter& json = filtered.json();
  json.begin_object();
  json.key("method").string(request.method);
  filtered.text("url", request.url);
  json.key("headers").begin_array();
  for (const auto& header : request.headers) {
    json.begin_object();
    filtered.value("name", header.name);
    filtered.value("value", header.value);
    json.end_object();
  }
  json.end_array();
  filtered.text("body", request.body);
  filtered.value_or_null("proxy", request.proxy);
  json.end_object();
}

}  // namespace

void append_sent_request_json(std::string& out, const SentRequest& request, const JsonTextFilters& filters) {
  FilteredJson filtered(out, filters);
  write_sent_request(filtered, request);
}

void append_records_json(std::string& out, const std::vector<AttemptRecord>& records, const JsonTextFilters& filters,
                         bool with_requests) {
  FilteredJson filtered(out, filters);
  JsonWriter& json = filtered.json();
  json.begin_array();
  for (const auto& record : records) {
    json.begin_object();
    filtered.value("provider", record.provider);
    filtered.value("model", record.model);
    json.key("operation").string(to_string(record.operation));
    json.key("request");
    if (with_requests && record.request) write_sent_request(filtered, *record.request); else json.null();
    json.key("api_key_hash").string(record.api_key_hash);
    json.key("metadata").begin_object();
    for (const auto& header : record.metadata) filtered.value(header.name, header.value);
    json.end_object();
    json.key("error");
    if (record.error) {
      json.begin_object();
      json.key("kind").string(to_string(*record.error));
      filtered.http_status(record.http_status);
      filtered.text("message", record.message);
      json.end_object();
    } else {
      json.null();
    }
    filtered.value("request_id", record.request_id);
    filtered.value("response_model", record.response_model);
    json.key("stop_reason").string(to_string(record.stop_reason));
    json.key("usage");
    write_usage(json, record.usage);
    json.key("cost");
    write_cost(json, record.cost);
    json.key("response_time_s").number(record.response_time.count());
    json.key("waited_ms").number(record.waited_ms);
    json.end_object();
  }
  json.end_array();
}

void append_usage_json(std::string& out, const Usage& usage) {
  JsonWriter json(out);
  write_usage(json, usage);
}

}  // namespace majordomo
