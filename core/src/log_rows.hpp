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

// What the caller's thread hands to the writer: copies of the outcome, no formatting yet.
struct PendingCall {
  std::chrono::system_clock::time_point started_at;
  std::chrono::steady_clock::time_point started;
  double elapsed_s = 0;
  std::string operation;
  ResponseFormat format = ResponseFormat::text;
  std::string status;
  std::optional<Response> response;   // answer text only when a body or a JSON check needs it
  std::optional<ErrorDetails> error;
  bool delivery_failed = false;       // the caller could not pass the answer on (DeliveryError)
  HeaderSet extra_headers;
  std::optional<LLMRequest> request;  // only when bodies are kept or the answer must be checked
};

// A member the wrapped LLM may send to, as its dry run shows it: what a row needs of its
// credentials (a hash) and of its instance headers (the X-Majordomo-* ones).
struct MemberIdentity {
  std::string provider;
  std::string model;
  std::string auth_header;
  std::string api_key_hash;
  std::vector<Header> metadata;
};

// The outcome's fields a row needs; the answer text only when asked for.
Response outcome_of(const Response& response, bool with_text);

// The credentials of a log target: a PostgreSQL password in its user info or query (log_sinks.cpp).
SecretValues log_target_secrets(std::string_view target);

// Builds rows and body files on the writer thread. Every text that came from a provider or a
// caller is scrubbed of the credentials the wrapped LLM's members carry (their resolved headers),
// of the log target's password and of the call's own extra headers, then made valid UTF-8.
class RowBuilder {
 public:
  RowBuilder(const LLM& inner, SecretValues target_secrets);

  LogRecord build(PendingCall& call);
  // The texts of <request_id>.request.json and <request_id>.response.json.
  std::pair<std::string, std::string> bodies(const PendingCall& call, const LogRecord& row) const;
  // A message about the log itself (a database error) as it may be kept in stats: scrubbed.
  std::string scrubbed(std::string_view message) const { return secrets_.scrubbed(message); }

 private:
  const MemberIdentity* member_for(const PendingCall& call) const;
  SecretValues secrets_of(const PendingCall& call) const;
  void check_answer(const PendingCall& call, LogRecord& row);

  static constexpr std::size_t kMaxMessageBytes = 4096;
  static constexpr std::size_t kCachedSchemas = 16;

  const LLM& inner_;  // for dry runs of logged requests (body files)
  std::vector<MemberIdentity> members_;
  SecretValues secrets_;  // of every member, and of the log target
  std::map<std::string, JsonSchema> schemas_;
};

}  // namespace majordomo::log_rows
