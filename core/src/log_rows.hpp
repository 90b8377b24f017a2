// The call log's rows: what a call hands to the writer, and how the writer turns it into a scrubbed row and body files.
#pragma once

#include "secret_values.hpp"

#include <majordomo/logging.hpp>
#include <majordomo/structured.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace majordomo::log_rows {

// How a logged call ended: the row's status column.
enum class RowStatus { ok, error, abandoned, cancelled };  // cancelled: (0.6) ErrorKind::cancelled
std::string_view to_string(RowStatus status) noexcept;

// What the caller's thread hands to the writer: copies of the outcome, no formatting yet.
struct PendingCall {
  std::string provider;  // (0.6) the logging LLM's wrapped LLM's, as asked for: loggers may share a writer
  std::string model;
  std::chrono::system_clock::time_point started_at;
  std::chrono::steady_clock::time_point started;
  double elapsed_s = 0;
  CallOperation operation = CallOperation::complete;
  ResponseFormat format = ResponseFormat::text;
  RowStatus status = RowStatus::ok;
  std::optional<Response> response;   // answer text only when a body or a JSON check needs it
  std::optional<ErrorDetails> error;
  bool delivery_failed = false;       // the caller could not pass the answer on (DeliveryError)
  HeaderSet extra_headers;
  std::string schema_json;            // a streamed json_schema answer is checked again here
  std::string request_extras = "{}";  // (0.5) LogRecord::request_extras, made on the caller's thread
  std::map<std::string, std::string> log_metadata;  // (0.6) LLMRequest::log_metadata
};

// The outcome's fields a row needs; the answer text only when asked for.
Response outcome_of(const Response& response, bool with_text);

// The credentials of a log target: a PostgreSQL password in its user info or query (log_sinks.cpp).
SecretValues log_target_secrets(std::string_view target);

// Builds rows and body files on the writer thread from the call's records (Response::records,
// ErrorDetails::records), never from a dry run. Every text that came from a provider or a caller
// is scrubbed of the credentials the records' requests carried, of the log target's password and
// of the call's own extra headers, then made valid UTF-8.
class RowBuilder {
 public:
  static constexpr std::size_t kMaxMessageBytes = 4096;  // of error_message, after scrubbing

  explicit RowBuilder(SecretValues target_secrets);

  LogRecord build(PendingCall& call);
  // The texts of <request_id>.request.json and <request_id>.response.json.
  std::pair<std::string, std::string> bodies(const PendingCall& call, const LogRecord& row) const;
  // A message about the log itself (a database error) as it may be kept in stats: scrubbed.
  std::string scrubbed(std::string_view message) const { return secrets_.scrubbed(message); }

 private:
  void check_answer(const PendingCall& call, LogRecord& row);

  static constexpr std::size_t kCachedSchemas = 16;

  SecretValues secrets_;  // of the log target
  std::map<std::string, JsonSchema> schemas_;
};

}  // namespace majordomo::log_rows
