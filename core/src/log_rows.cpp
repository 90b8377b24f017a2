// The call log's rows: columns and body files read from the call records, all scrubbed of secrets.
#include "log_rows.hpp"

#include "log_conversation.hpp"

#include "log_text.hpp"
#include "resolution.hpp"
#include "sent_requests.hpp"

#include <majordomo/response_json.hpp>
#include <majordomo/sdk/json_writer.hpp>

#include <Poco/UUIDGenerator.h>

#include <fmt/format.h>

#include <ctime>
#include <iterator>
#include <stdexcept>
#include <utility>

namespace majordomo::log_rows {
namespace {

using sdk::JsonWriter;

std::string utc_text(std::chrono::system_clock::time_point at) {
  const auto since_epoch = at.time_since_epoch();
  const std::time_t seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch).count();
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count() % 1000;
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", parts.tm_year + 1900, parts.tm_mon + 1,
                     parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec, millis);
}

std::string_view format_name(ResponseFormat format) {
  switch (format) {
    case ResponseFormat::text: return "text";
    case ResponseFormat::json_object: return "json_object";
    case ResponseFormat::json_schema: return "json_schema";
  }
  return "text";
}

// The last record of the call: the request that produced its answer or its final error.
// The records of the call: those of its final error when it failed (a stream's response may
// lag behind its error), else those of its answer.
const std::vector<AttemptRecord>& records_of(const PendingCall& call) {
  static const std::vector<AttemptRecord> none;
  if (call.error) return call.error->records;
  if (call.response) return call.response->records;
  return none;
}

// The last record of the call: the request that produced its answer or its final error. None
// when the final error came from a provider that sent nothing (e.g. a cascade's last member
// refused the request before sending): an earlier member's request did not end the call.
const AttemptRecord* last_record(const PendingCall& call) {
  const auto& records = records_of(call);
  if (records.empty()) return nullptr;
  const AttemptRecord& last = records.back();
  if (call.error && !call.error->provider.empty() && call.error->provider != last.provider) return nullptr;
  return &last;
}

// Every credential a call's text may quote: the log target's, the call's extra headers', and
// those the records' requests carried (read only through redact_credentials).
class CallSecrets {
 public:
  CallSecrets(const SecretValues& target, const PendingCall& call) : own_(target) {
    own_.add_headers(call.extra_headers);
    const SecretValues* seen = nullptr;
    for (const auto& record : records_of(call)) {
      if (!record.credentials || record.credentials.get() == seen) continue;
      seen = record.credentials.get();
      records_.push_back(&record);
    }
  }
  // Provider or caller text as a row or body file may hold it: no credential, valid UTF-8.
  std::string text(std::string_view value) const {
    std::string out = own_.scrubbed(value);
    for (const AttemptRecord* record : records_) out = redact_credentials(*record, out);
    return log_text::valid_utf8(out);
  }
  std::string value(std::string_view value) const {
    if (own_.held_by(value)) return std::string(kRedacted);
    return text(value);
  }
  // For the core serialisation (response_json.hpp); valid while this object lives.
  JsonTextFilters filters() const {
    return {[this](std::string_view text) { return this->text(text); },
            [this](std::string_view value) { return this->value(value); }};
  }

 private:
  SecretValues own_;
  std::vector<const AttemptRecord*> records_;
};


}  // namespace

Response outcome_of(const Response& response, bool with_text) {
  // Member by member, so that an answer's text (up to the body limit) is copied only when a body
  // file or a check needs it. A member added to Response must be added here.
  Response out;
  if (with_text) {
    out.content = response.content;
    out.reasoning = response.reasoning;
  }
  out.usage = response.usage;
  out.cost = response.cost;
  out.response_time = response.response_time;
  out.stop_reason = response.stop_reason;
  out.raw_stop_reason = response.raw_stop_reason;
  out.provider = response.provider;
  out.model = response.model;
  out.request_id = response.request_id;
  out.served_by = response.served_by;
  out.alias = response.alias;
  out.attempts = response.attempts;
  out.failed_attempts = response.failed_attempts;
  out.warnings = response.warnings;
  out.records = response.records;
  out.tool_calls = response.tool_calls;  // their arguments are counted for the row and kept for the body file
  out.continuation = response.continuation;
  return out;
}

std::string_view to_string(RowStatus status) noexcept {
  constexpr std::string_view kNames[] = {"ok", "error", "abandoned", "cancelled"};  // in RowStatus order
  const auto index = static_cast<std::size_t>(status);
  return index < std::size(kNames) ? kNames[index] : "error";
}

RowBuilder::RowBuilder(SecretValues target_secrets) : secrets_(std::move(target_secrets)) {}

namespace {

// The tokens and what they cost: from the answer, or from the record of one refused after it
// arrived (a failed check: it was paid for).
void set_spending(LogRecord& row, const Usage& usage, const Cost& cost, StopReason stop_reason) {
  row.input_tokens = usage.input_tokens;
  row.output_tokens = usage.output_tokens;
  row.cached_tokens = usage.cached_tokens;
  row.cache_write_tokens = usage.cache_write_tokens;
  row.reasoning_tokens = usage.reasoning_tokens;
  if (cost.priced) {
    row.input_cost = cost.input;
    row.output_cost = cost.output;
    row.total_cost = cost.total;
  }
  row.stop_reason = std::string(to_string(stop_reason));
}

// The answer's columns; the failed attempts before it.
const std::vector<FailedAttempt>* set_answer(LogRecord& row, const PendingCall& call, const Response& response,
                                             const CallSecrets& secrets) {
  if (call.status == RowStatus::ok) {
    row.served_by = response.served_by.empty() ? fmt::format("{}:{}", row.provider, row.model) : response.served_by;
    row.attempts = response.attempts;
  }
  row.response_model = response.model;
  row.alias = response.alias;
  set_spending(row, response.usage, response.cost, response.stop_reason);
  row.provider_request_id = response.request_id;
  std::string warnings;
  JsonWriter json(warnings);
  json.begin_array();
  for (const auto& warning : response.warnings) json.string(secrets.text(warning));
  json.end_array();
  row.warnings = std::move(warnings);
  row.tool_calls = tool_calls_json(response.tool_calls, [&](std::string_view value) { return secrets.text(value); });
  return &response.failed_attempts;
}

// The error's columns; the longer of the two histories (an error can know more attempts than
// the partial answer before it).
const std::vector<FailedAttempt>* set_error(LogRecord& row, const PendingCall& call,
                                            const std::vector<FailedAttempt>* history) {
  const ErrorDetails& error = *call.error;
  row.error_kind = call.delivery_failed ? "output" : std::string(to_string(error.kind));
  row.error_message = error.message;
  row.http_status = error.http_status;
  if (row.provider_request_id.empty()) row.provider_request_id = error.request_id;
  return error.failed_attempts.size() > (history ? history->size() : 0) ? &error.failed_attempts : history;
}

// Who sent the request that ended the call, as its record says (the caller's extra headers are in
// it already); for an LLM of the caller's own that keeps no records, the extra headers.
void set_sender(LogRecord& row, const PendingCall& call, const CallSecrets& secrets) {
  const AttemptRecord* last = last_record(call);
  HeaderSet metadata;
  if (last != nullptr) {
    row.api_key_hash = last->api_key_hash;
    metadata = last->metadata;
    if (!call.response && last->stop_reason != StopReason::unknown) {
      row.response_model = last->response_model;
      set_spending(row, last->usage, last->cost, last->stop_reason);
    }
  } else {
    row.api_key_hash = hash_of_auth(call.extra_headers, {});
    for (const auto& header : call.extra_headers) {
      if (is_metadata_header(header.name)) metadata.set(header.name, header.value);
    }
  }
  std::string metadata_json;
  JsonWriter json(metadata_json);
  json.begin_object();
  for (const auto& header : metadata) json.key(log_text::valid_utf8(header.name)).string(secrets.value(header.value));
  // (0.6) The caller's labels, never sent: a header that went on the wire keeps its name.
  for (const auto& [name, value] : call.log_metadata) {
    if (!metadata.contains(name)) json.key(log_text::valid_utf8(name)).string(secrets.value(value));
  }
  json.end_object();
  row.metadata = std::move(metadata_json);
}

// Provider text may carry any bytes and quote a credential; the databases accept UTF-8 only
// (text() makes it so, and again after the cut, which may split a character).
void scrub_provider_texts(LogRecord& row, const CallSecrets& secrets) {
  row.error_message = secrets.text(row.error_message);
  if (row.error_message.size() > RowBuilder::kMaxMessageBytes) {
    row.error_message.resize(RowBuilder::kMaxMessageBytes);
    row.error_message = log_text::valid_utf8(row.error_message);
  }
  for (std::string* value : {&row.response_model, &row.alias, &row.provider_request_id}) {
    *value = secrets.value(*value);
  }
}

}  // namespace

LogRecord RowBuilder::build(PendingCall& call) {
  // Middleware above a provider may quote a caller's credential: every text column is scrubbed.
  const CallSecrets secrets(secrets_, call);
  LogRecord row;
  row.request_id = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
  row.created_at = utc_text(call.started_at);
  row.provider = call.provider;
  row.model = call.model;
  row.operation = std::string(to_string(call.operation));
  row.format = std::string(format_name(call.format));
  row.status = std::string(to_string(call.status));
  row.response_time_s = call.elapsed_s;
  row.request_extras = secrets.text(call.request_extras);  // an image URL may carry a credential
  const std::vector<FailedAttempt>* history = nullptr;
  if (call.response) {
    history = set_answer(row, call, *call.response, secrets);
    // A checked complete() went through complete_checked, whose outcome is the status already;
    // a streamed answer is checked by the caller after the stream ended, so here again.
    if (call.operation == CallOperation::stream && call.status == RowStatus::ok && call.format != ResponseFormat::text) {
      check_answer(call, row);
    }
  }
  if (call.error) history = set_error(row, call, history);
  if (history != nullptr) {
    row.failed_attempt_count = static_cast<int64_t>(history->size());
    std::string attempts;
    append_failed_attempts_json(attempts, *history, secrets.filters());
    row.failed_attempts = std::move(attempts);
  }
  set_sender(row, call, secrets);
  scrub_provider_texts(row, secrets);
  return row;
}

// The caller's JSON or schema check of a streamed answer, repeated here so that the row's
// status is the outcome the caller saw (StructuredStream::finish runs after the stream ended).
void RowBuilder::check_answer(const PendingCall& call, LogRecord& row) {
  try {
    if (call.format == ResponseFormat::json_object) {
      (void)parse_json_response(*call.response);
    } else if (!call.schema_json.empty()) {
      const std::string& text = call.schema_json;
      auto found = schemas_.find(text);
      if (found == schemas_.end()) {
        if (schemas_.size() >= kCachedSchemas) schemas_.clear();
        found = schemas_.emplace(text, JsonSchema(text, row.provider)).first;
      }
      (void)found->second.check(*call.response);
    }
  } catch (const Error& error) {
    row.status = "error";
    row.error_kind = std::string(to_string(error.kind()));
    row.error_message = error.details().message;
  }
}

std::pair<std::string, std::string> RowBuilder::bodies(const PendingCall& call, const LogRecord& row) const {
  const CallSecrets secrets(secrets_, call);
  const JsonTextFilters filters = secrets.filters();
  const AttemptRecord* last = last_record(call);
  std::string request_text;
  JsonWriter json(request_text);
  json.begin_object().key("request_id").string(row.request_id);
  if (last != nullptr && last->request) {
    // The request exactly as it went on the wire (redacted when it was recorded).
    const SentRequest& sent = *last->request;
    json.key("provider").string(secrets.value(last->provider));
    json.key("model").string(secrets.value(last->model));
    json.key("method").string(sent.method);
    json.key("url").string(secrets.text(sent.url));
    json.key("headers").begin_array();
    for (const auto& header : sent.headers) {
      json.begin_object();
      json.key("name").string(log_text::valid_utf8(header.name));
      json.key("value").string(secrets.value(header.value));
      json.end_object();
    }
    json.end_array();
    json.key("body").string(secrets.text(sent.body));
  } else {
    json.key("unavailable").string("no request was sent: the call failed before one was built");
  }
  json.end_object();
  request_text += '\n';

  std::string response_text;
  JsonWriter out(response_text);
  out.begin_object().key("request_id").string(row.request_id);
  out.key("status").string(row.status);
  if (call.response) {
    // The answer object of `majordomo ask --output json` (response_json.hpp).
    ResponseJsonOptions options;
    options.filters = filters;
    out.key("response").raw_value(response_json(*call.response, options));
  }
  if (call.error || row.status == "error") {
    out.key("error").begin_object();
    out.key("kind").string(row.error_kind);
    out.key("message").string(secrets.text(row.error_message));
    out.key("http_status");
    if (row.http_status > 0) out.number(row.http_status); else out.null();
    if (call.error) out.key("partial_content").string(secrets.text(call.error->partial_content));
    out.end_object();
  }
  out.key("failed_attempts").raw_value(row.failed_attempts);
  // Every attempt's outcome; the request of the last one is the request file.
  std::string records;
  append_records_json(records, records_of(call), filters, false);
  out.key("records").raw_value(records);
  out.end_object();
  response_text += '\n';
  return {std::move(request_text), std::move(response_text)};
}

}  // namespace majordomo::log_rows
