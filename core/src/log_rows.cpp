// The call log's rows: identities of the wrapped members, row columns, body files, all scrubbed of secrets.
#include "log_rows.hpp"

#include "log_text.hpp"
#include "resolution.hpp"

#include <majordomo/sdk/json_writer.hpp>

#include <Poco/SHA2Engine.h>
#include <Poco/UUIDGenerator.h>

#include <fmt/format.h>

#include <ctime>
#include <stdexcept>
#include <utility>

namespace majordomo::log_rows {
namespace {

using sdk::JsonWriter;

constexpr std::string_view kMetadataPrefix = "x-majordomo-";

bool is_metadata_header(std::string_view name) {
  return name.size() > kMetadataPrefix.size() &&
         header_name_equals(name.substr(0, kMetadataPrefix.size()), kMetadataPrefix) &&
         !resolution::is_secret_header(name);
}

std::string key_hash(std::string_view key) {
  Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
  engine.update(key.data(), static_cast<unsigned>(key.size()));
  return Poco::DigestEngine::digestToHex(engine.digest()).substr(0, 16);
}

// The API key inside an auth header value: the token of "Bearer <token>", else the whole value.
std::string_view key_of(std::string_view name, std::string_view value) {
  if (header_name_equals(name, "Authorization") || header_name_equals(name, "Proxy-Authorization")) {
    if (const auto space = value.find(' '); space != std::string_view::npos) return value.substr(space + 1);
  }
  return value;
}

// The credential a request carries under `auth_header` (or Authorization), hashed; empty when none.
std::string hash_of_auth(const HeaderSet& headers, std::string_view auth_header) {
  for (std::string_view name : {auth_header, std::string_view("Authorization")}) {
    if (name.empty()) continue;
    if (const std::string* value = headers.find(name); value != nullptr && !value->empty()) {
      return key_hash(key_of(name, *value));
    }
  }
  return {};
}

// The members of the wrapped LLM, and the credentials their resolved requests carry.
std::vector<MemberIdentity> identify_members(const LLM& inner, SecretValues& secrets) {
  std::vector<MemberIdentity> members;
  std::vector<ResolvedRequest> resolved;
  try {
    resolved = inner.resolve(LLMRequest::from_prompt("majordomo logging probe"), false);
  } catch (const std::exception&) {
    return members;  // an LLM without a dry run: rows then carry no key hash or instance metadata
  }
  for (const auto& request : resolved) {
    MemberIdentity member{request.provider, request.model, request.auth_header,
                          hash_of_auth(request.headers, request.auth_header), {}};
    for (const auto& header : request.headers) {
      if (is_metadata_header(header.name)) member.metadata.push_back(header);
    }
    secrets.add_headers(request.headers, request.auth_header);
    members.push_back(std::move(member));
  }
  return members;
}

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

// Provider or caller text as a row or body file may hold it: no credential, valid UTF-8.
std::string clean(const SecretValues& secrets, std::string_view text) {
  return log_text::valid_utf8(secrets.scrubbed(text));
}
std::string clean_value(const SecretValues& secrets, std::string_view value) {
  return log_text::valid_utf8(secrets.scrubbed_value(value));
}

void write_failed_attempts(JsonWriter& json, const std::vector<FailedAttempt>& attempts, const SecretValues& secrets) {
  json.raw("[");
  bool first = true;
  for (const auto& attempt : attempts) {
    json.raw(first ? "{" : ",{");
    first = false;
    json.key("provider").string(clean_value(secrets, attempt.provider));
    json.raw(",").key("model").string(clean_value(secrets, attempt.model));
    json.raw(",").key("kind").string(to_string(attempt.kind));
    json.raw(",").key("http_status").number(static_cast<int64_t>(attempt.http_status));
    json.raw(",").key("message").string(clean(secrets, attempt.message));
    json.raw(",").key("waited_ms").number(attempt.waited_ms);
    json.raw("}");
  }
  json.raw("]");
}

}  // namespace

Response outcome_of(const Response& response, bool with_text) {
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
  return out;
}

RowBuilder::RowBuilder(const LLM& inner, SecretValues target_secrets)
    : inner_(inner), secrets_(std::move(target_secrets)) {
  members_ = identify_members(inner_, secrets_);
}

const MemberIdentity* RowBuilder::member_for(const PendingCall& call) const {
  std::string provider(inner_.provider());
  std::string model(inner_.model());
  if (call.response && !call.response->served_by.empty()) {
    const auto colon = call.response->served_by.find(':');
    provider = call.response->served_by.substr(0, colon);
    model = colon == std::string::npos ? std::string() : call.response->served_by.substr(colon + 1);
  } else if (call.error && !call.error->provider.empty()) {
    provider = call.error->provider;
    model.clear();
  }
  const MemberIdentity* same_provider = nullptr;
  for (const auto& member : members_) {
    if (member.provider != provider) continue;
    if (member.model == model) return &member;
    if (same_provider == nullptr) same_provider = &member;
  }
  return same_provider;
}

SecretValues RowBuilder::secrets_of(const PendingCall& call) const {
  SecretValues secrets = secrets_;
  const MemberIdentity* member = member_for(call);
  secrets.add_headers(call.extra_headers, member != nullptr ? member->auth_header : std::string_view());
  return secrets;
}

LogRecord RowBuilder::build(PendingCall& call) {
  // Middleware above a provider may quote a caller's credential: every text column is scrubbed.
  const SecretValues secrets = secrets_of(call);
  LogRecord row;
  row.request_id = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
  row.created_at = utc_text(call.started_at);
  row.provider = std::string(inner_.provider());
  row.model = std::string(inner_.model());
  row.operation = call.operation;
  row.format = std::string(format_name(call.format));
  row.status = call.status;
  row.response_time_s = call.elapsed_s;
  const std::vector<FailedAttempt>* history = nullptr;
  if (call.response) {
    const Response& response = *call.response;
    if (call.status == "ok") {
      row.served_by = response.served_by.empty() ? fmt::format("{}:{}", row.provider, row.model)
                                                 : response.served_by;
      row.attempts = response.attempts;
    }
    row.response_model = response.model;
    row.alias = response.alias;
    row.input_tokens = response.usage.input_tokens;
    row.output_tokens = response.usage.output_tokens;
    row.cached_tokens = response.usage.cached_tokens;
    row.cache_write_tokens = response.usage.cache_write_tokens;
    row.reasoning_tokens = response.usage.reasoning_tokens;
    if (response.cost.priced) {
      row.input_cost = response.cost.input;
      row.output_cost = response.cost.output;
      row.total_cost = response.cost.total;
    }
    row.stop_reason = std::string(to_string(response.stop_reason));
    row.provider_request_id = response.request_id;
    history = &response.failed_attempts;
    std::string warnings;
    JsonWriter json(warnings);
    json.raw("[");
    for (std::size_t i = 0; i < response.warnings.size(); ++i) {
      if (i > 0) json.raw(",");
      json.string(clean(secrets, response.warnings[i]));
    }
    json.raw("]");
    row.warnings = std::move(warnings);
    // A checked complete() went through complete_checked, whose outcome is the status already;
    // a streamed answer is checked by the caller after the stream ended, so here again.
    if (call.operation == "stream" && call.status == "ok" && call.format != ResponseFormat::text) {
      check_answer(call, row);
    }
  }
  if (call.error) {
    const ErrorDetails& error = *call.error;
    row.error_kind = call.delivery_failed ? "output" : std::string(to_string(error.kind));
    row.error_message = error.message;
    row.http_status = error.http_status;
    if (row.provider_request_id.empty()) row.provider_request_id = error.request_id;
    if (error.failed_attempts.size() > (history ? history->size() : 0)) history = &error.failed_attempts;
  }
  if (history != nullptr) {
    row.failed_attempt_count = static_cast<int64_t>(history->size());
    std::string attempts;
    JsonWriter json(attempts);
    write_failed_attempts(json, *history, secrets);
    row.failed_attempts = std::move(attempts);
  }

  const MemberIdentity* member = member_for(call);
  const std::string auth_header = member != nullptr ? member->auth_header : std::string();
  row.api_key_hash = hash_of_auth(call.extra_headers, auth_header);
  if (row.api_key_hash.empty() && member != nullptr) row.api_key_hash = member->api_key_hash;
  HeaderSet metadata;
  if (member != nullptr) {
    for (const auto& header : member->metadata) metadata.set(header.name, header.value);
  }
  for (const auto& header : call.extra_headers) {
    if (is_metadata_header(header.name)) metadata.set(header.name, header.value);
  }
  std::string metadata_json;
  JsonWriter json(metadata_json);
  json.raw("{");
  bool first = true;
  for (const auto& header : metadata) {
    if (!first) json.raw(",");
    first = false;
    json.key(log_text::valid_utf8(header.name)).string(clean_value(secrets, header.value));
  }
  json.raw("}");
  row.metadata = std::move(metadata_json);

  secrets.scrub(row.error_message);
  if (row.error_message.size() > kMaxMessageBytes) row.error_message.resize(kMaxMessageBytes);
  // Provider text may carry any bytes; the databases accept UTF-8 only.
  row.error_message = log_text::valid_utf8(row.error_message);
  for (std::string* value : {&row.response_model, &row.alias, &row.provider_request_id}) {
    *value = clean_value(secrets, *value);
  }
  return row;
}

// The caller's JSON or schema check of a streamed answer, repeated here so that the row's
// status is the outcome the caller saw (StructuredStream::finish runs after the stream ended).
void RowBuilder::check_answer(const PendingCall& call, LogRecord& row) {
  try {
    if (call.format == ResponseFormat::json_object) {
      (void)parse_json_response(*call.response);
    } else if (call.request) {
      const std::string& text = call.request->schema_json;
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
  // Every credential this call could have carried: the members' resolved headers and the caller's.
  SecretValues secrets = secrets_of(call);
  const MemberIdentity* member = member_for(call);
  std::string request_text;
  JsonWriter json(request_text);
  json.raw("{").key("request_id").string(row.request_id);
  try {
    if (!call.request) throw std::logic_error("the request was not kept");
    const auto resolved = inner_.resolve(*call.request, call.operation == "stream");
    const ResolvedRequest* chosen = resolved.empty() ? nullptr : &resolved.front();
    for (const auto& candidate : resolved) {
      if (member != nullptr && candidate.provider == member->provider && candidate.model == member->model) {
        chosen = &candidate;
      }
      secrets.add_headers(candidate.headers, candidate.auth_header);
    }
    if (chosen == nullptr) throw std::logic_error("the wrapped LLM resolved to no request");
    json.raw(",").key("provider").string(chosen->provider);
    json.raw(",").key("model").string(chosen->model);
    json.raw(",").key("method").string(chosen->method);
    json.raw(",").key("url").string(clean(secrets, chosen->redacted_url()));
    json.raw(",").key("headers").raw("[");
    bool first = true;
    for (const auto& header : resolution::redacted_headers(chosen->headers, chosen->auth_header, &secrets)) {
      json.raw(first ? "{" : ",{");
      first = false;
      json.key("name").string(log_text::valid_utf8(header.name));
      json.raw(",").key("value").string(log_text::valid_utf8(header.value));
      json.raw("}");
    }
    json.raw("],").key("body").string(clean(secrets, chosen->body));
  } catch (const std::exception& error) {
    json.raw(",").key("unavailable").string(clean(secrets, error.what()));
  }
  json.raw("}\n");

  std::string response_text;
  JsonWriter out(response_text);
  out.raw("{").key("request_id").string(row.request_id);
  out.raw(",").key("status").string(row.status);
  if (call.response) {
    const Response& response = *call.response;
    out.raw(",").key("response").raw("{");
    out.key("content").string(clean(secrets, response.content));
    out.raw(",").key("reasoning").string(clean(secrets, response.reasoning));
    out.raw(",").key("provider").string(clean_value(secrets, response.provider));
    out.raw(",").key("model").string(clean_value(secrets, response.model));
    out.raw(",").key("stop_reason").string(to_string(response.stop_reason));
    out.raw(",").key("raw_stop_reason").string(clean_value(secrets, response.raw_stop_reason));
    out.raw(",").key("request_id").string(clean_value(secrets, response.request_id));
    out.raw(",").key("served_by").string(row.served_by);
    out.raw(",").key("usage").raw("{");
    out.key("input_tokens").number(response.usage.input_tokens);
    out.raw(",").key("output_tokens").number(response.usage.output_tokens);
    out.raw(",").key("cached_tokens").number(response.usage.cached_tokens);
    out.raw(",").key("cache_write_tokens").number(response.usage.cache_write_tokens);
    out.raw(",").key("reasoning_tokens").number(response.usage.reasoning_tokens);
    out.raw("}}");
  }
  if (call.error || row.status == "error") {
    out.raw(",").key("error").raw("{");
    out.key("kind").string(row.error_kind);
    out.raw(",").key("message").string(clean(secrets, row.error_message));
    out.raw(",").key("http_status").number(row.http_status);
    if (call.error) out.raw(",").key("partial_content").string(clean(secrets, call.error->partial_content));
    out.raw("}");
  }
  out.raw(",").key("failed_attempts").raw(row.failed_attempts);
  out.raw("}\n");
  return {std::move(request_text), std::move(response_text)};
}

}  // namespace majordomo::log_rows
