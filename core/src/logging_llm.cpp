// LoggingLLM: captures each call's outcome on the caller's thread and turns it into a row on a writer thread.
#include <majordomo/logging.hpp>
#include <majordomo/sdk/json_writer.hpp>
#include <majordomo/structured.hpp>

#include "log_text.hpp"
#include "resolution.hpp"

#include <Poco/SHA2Engine.h>
#include <Poco/UUIDGenerator.h>

#include <fmt/format.h>

#include <chrono>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

namespace majordomo {
namespace {

using sdk::JsonWriter;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kMetadataPrefix = "x-majordomo-";

// What the caller's thread hands to the writer: copies of the outcome, no formatting yet.
struct PendingCall {
  std::chrono::system_clock::time_point started_at;
  Clock::time_point started;
  double elapsed_s = 0;
  std::string operation;
  ResponseFormat format = ResponseFormat::text;
  std::string status;
  std::optional<Response> response;   // answer text only when a body or a JSON check needs it
  std::optional<ErrorDetails> error;
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

std::vector<MemberIdentity> identify_members(const LLM& inner) {
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

void write_failed_attempts(JsonWriter& json, const std::vector<FailedAttempt>& attempts) {
  json.raw("[");
  bool first = true;
  for (const auto& attempt : attempts) {
    json.raw(first ? "{" : ",{");
    first = false;
    json.key("provider").string(log_text::valid_utf8(attempt.provider));
    json.raw(",").key("model").string(log_text::valid_utf8(attempt.model));
    json.raw(",").key("kind").string(to_string(attempt.kind));
    json.raw(",").key("http_status").number(static_cast<int64_t>(attempt.http_status));
    json.raw(",").key("message").string(log_text::valid_utf8(attempt.message));
    json.raw(",").key("waited_ms").number(attempt.waited_ms);
    json.raw("}");
  }
  json.raw("]");
}

// The outcome's fields a row needs; the answer text only when asked for.
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

}  // namespace

// The bounded queue, its writer thread and the sink. Shared by the LoggingLLM and its open
// streams, so a stream that outlives the LoggingLLM still has somewhere to report (a dropped row).
struct LoggingLLM::Writer {
  Writer(std::shared_ptr<LLM> inner, std::unique_ptr<LogSink> sink, LoggingOptions options)
      : inner_(std::move(inner)), sink_(std::move(sink)), options_(std::move(options)),
        members_(identify_members(*inner_)) {
    if (options_.queue_capacity == 0) throw_configuration_error("the logging queue_capacity must be at least 1");
    if (options_.max_batch == 0) throw_configuration_error("the logging max_batch must be at least 1");
    if (options_.bodies_dir) {
      std::error_code error;
      std::filesystem::create_directories(*options_.bodies_dir, error);
      if (error || !std::filesystem::is_directory(*options_.bodies_dir)) {
        throw_configuration_error(fmt::format("cannot create the bodies directory {} ({}); pass a "
                                              "writable directory",
                                              options_.bodies_dir->string(), error.message()));
      }
    }
    thread_ = std::thread([this] { run(); });
  }
  ~Writer() { close(); }

  // What the caller's thread captures before calling the wrapped LLM.
  PendingCall begin(std::string operation, const LLMRequest& request) const {
    PendingCall call;
    call.started_at = std::chrono::system_clock::now();
    call.started = Clock::now();
    call.operation = std::move(operation);
    call.format = request.format;
    call.extra_headers = request.options.extra_headers;
    if (keeps_text(request.format)) call.request = request;
    return call;
  }

  bool keeps_text(ResponseFormat format) const {
    return options_.bodies_dir.has_value() || format != ResponseFormat::text;
  }

  void finish(PendingCall call, std::string status, const Response* response,
              const ErrorDetails* error) noexcept {
    try {
      call.elapsed_s = std::chrono::duration<double>(Clock::now() - call.started).count();
      call.status = std::move(status);
      if (response != nullptr) call.response = outcome_of(*response, keeps_text(call.format));
      if (error != nullptr) {
        call.error = *error;
        if (!options_.bodies_dir) call.error->partial_content.clear();
      }
      enqueue(std::move(call));
    } catch (...) {
      const std::lock_guard lock(mutex_);
      ++stats_.dropped;  // out of memory while copying the outcome: the call itself is unharmed
    }
  }

  // The error row of the exception being handled: an Error as it is, anything else as a server
  // error. Only inside a catch block.
  void finish_failed(PendingCall call, const Response* response) noexcept {
    try {
      throw;
    } catch (const Error& error) {
      finish(std::move(call), "error", response, &error.details());
    } catch (const std::exception& error) {
      ErrorDetails details;
      details.kind = ErrorKind::server;
      details.message = fmt::format("unexpected failure: {}", error.what());
      finish(std::move(call), "error", response, &details);
    } catch (...) {
      ErrorDetails details;
      details.kind = ErrorKind::server;
      details.message = "unexpected failure";
      finish(std::move(call), "error", response, &details);
    }
  }

  void flush() {
    std::unique_lock lock(mutex_);
    const uint64_t target = stats_.recorded;
    progress_.wait(lock, [&] { return processed_ >= target || stopped_; });
  }

  void close() {
    {
      std::lock_guard lock(mutex_);
      closing_ = true;
    }
    queue_changed_.notify_all();
    room_.notify_all();
    const std::lock_guard join_lock(join_mutex_);
    if (thread_.joinable()) thread_.join();
    sink_.reset();
  }

  LoggingStats stats() const {
    const std::lock_guard lock(mutex_);
    return stats_;
  }

 private:
  void enqueue(PendingCall call) {
    std::unique_lock lock(mutex_);
    if (options_.overflow == LogOverflow::block) {
      room_.wait(lock, [&] { return queue_.size() < options_.queue_capacity || closing_; });
    }
    if (closing_ || queue_.size() >= options_.queue_capacity) {
      ++stats_.dropped;
      return;
    }
    queue_.push_back(std::move(call));
    ++stats_.recorded;
    lock.unlock();
    queue_changed_.notify_one();
  }

  void run() {
    std::vector<PendingCall> batch;
    std::vector<LogRecord> rows;
    for (;;) {
      {
        std::unique_lock lock(mutex_);
        queue_changed_.wait(lock, [&] { return !queue_.empty() || closing_; });
        if (queue_.empty()) break;  // closing, and everything queued before is done
        batch.clear();
        while (!queue_.empty() && batch.size() < options_.max_batch) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      room_.notify_all();
      rows.clear();
      uint64_t unusable = 0;
      for (auto& call : batch) {
        try {
          rows.push_back(to_record(call));
        } catch (const std::exception& error) {
          ++unusable;
          note_error(fmt::format("a row could not be built: {}", error.what()));
        } catch (...) {
          ++unusable;
          note_error("a row could not be built");
        }
      }
      const uint64_t stored = store(rows);
      {
        const std::lock_guard lock(mutex_);
        stats_.written += stored;
        stats_.failed += unusable + (rows.size() - stored);
        processed_ += batch.size();
      }
      progress_.notify_all();
    }
    {
      const std::lock_guard lock(mutex_);
      stopped_ = true;
    }
    progress_.notify_all();
  }

  // Writes the batch in one transaction; when that fails, reconnects and writes the rows one by
  // one so that one bad row costs only itself. Returns the number of rows stored.
  uint64_t store(const std::vector<LogRecord>& rows) {
    if (rows.empty()) return 0;
    try {
      sink_->write(rows);
      return rows.size();
    } catch (...) {
      note_current_error();
    }
    try {
      sink_->reconnect();
    } catch (...) {
      note_current_error();
      return 0;
    }
    uint64_t stored = 0;
    for (const auto& row : rows) {
      try {
        sink_->write({row});
        ++stored;
      } catch (...) {
        note_current_error();
      }
    }
    return stored;
  }

  // Only inside a catch block: a sink may throw anything.
  void note_current_error() {
    try {
      throw;
    } catch (const std::exception& error) {
      note_error(error.what());
    } catch (...) {
      note_error("the sink failed with an exception that is not a std::exception");
    }
  }

  void note_error(std::string message) {
    const std::lock_guard lock(mutex_);
    stats_.last_error = log_text::valid_utf8(message);
  }

  const MemberIdentity* member_for(const PendingCall& call) const {
    std::string provider(inner_->provider());
    std::string model(inner_->model());
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

  LogRecord to_record(PendingCall& call) {
    LogRecord row;
    row.request_id = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
    row.created_at = utc_text(call.started_at);
    row.provider = std::string(inner_->provider());
    row.model = std::string(inner_->model());
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
        json.string(log_text::valid_utf8(response.warnings[i]));
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
      row.error_kind = std::string(to_string(error.kind));
      row.error_message = error.message;
      row.http_status = error.http_status;
      if (row.provider_request_id.empty()) row.provider_request_id = error.request_id;
      if (error.failed_attempts.size() > (history ? history->size() : 0)) history = &error.failed_attempts;
    }
    if (history != nullptr) {
      row.failed_attempt_count = static_cast<int64_t>(history->size());
      std::string attempts;
      JsonWriter json(attempts);
      write_failed_attempts(json, *history);
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
      json.key(log_text::valid_utf8(header.name)).string(log_text::valid_utf8(header.value));
    }
    json.raw("}");
    row.metadata = std::move(metadata_json);

    // Middleware above a provider may quote a caller's credential: remove what this call carried.
    resolution::redact_secret_values(row.error_message, call.extra_headers);
    if (row.error_message.size() > kMaxMessageBytes) row.error_message.resize(kMaxMessageBytes);
    // Provider text may carry any bytes; the databases accept UTF-8 only.
    for (std::string* text : {&row.error_message, &row.response_model, &row.alias, &row.provider_request_id}) {
      *text = log_text::valid_utf8(*text);
    }
    if (options_.bodies_dir) write_bodies(call, row, member);
    return row;
  }

  // The caller's JSON or schema check of a streamed answer, repeated here so that the row's
  // status is the outcome the caller saw (StructuredStream::finish runs after the stream ended).
  void check_answer(const PendingCall& call, LogRecord& row) {
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

  void write_bodies(const PendingCall& call, LogRecord& row, const MemberIdentity* member) {
    const std::filesystem::path& dir = *options_.bodies_dir;
    // Every credential this call could have carried: the member's resolved headers and the caller's.
    HeaderSet secrets = call.extra_headers;
    std::string request_text;
    JsonWriter json(request_text);
    json.raw("{").key("request_id").string(row.request_id);
    try {
      if (!call.request) throw std::logic_error("the request was not kept");
      const auto resolved = inner_->resolve(*call.request, call.operation == "stream");
      const ResolvedRequest* chosen = resolved.empty() ? nullptr : &resolved.front();
      for (const auto& candidate : resolved) {
        if (member != nullptr && candidate.provider == member->provider && candidate.model == member->model) {
          chosen = &candidate;
        }
      }
      for (const auto& candidate : resolved) {
        for (const auto& header : candidate.headers) {
          if (resolution::is_secret_header(header.name, candidate.auth_header)) secrets.set(header.name, header.value);
        }
      }
      if (chosen == nullptr) throw std::logic_error("the wrapped LLM resolved to no request");
      json.raw(",").key("provider").string(chosen->provider);
      json.raw(",").key("model").string(chosen->model);
      json.raw(",").key("method").string(chosen->method);
      json.raw(",").key("url").string(log_text::valid_utf8(chosen->redacted_url()));
      json.raw(",").key("headers").raw("[");
      bool first = true;
      for (const auto& header : chosen->redacted_headers()) {
        json.raw(first ? "{" : ",{");
        first = false;
        json.key("name").string(log_text::valid_utf8(header.name));
        json.raw(",").key("value").string(log_text::valid_utf8(header.value));
        json.raw("}");
      }
      json.raw("],").key("body").string(log_text::valid_utf8(chosen->body));
    } catch (const std::exception& error) {
      json.raw(",").key("unavailable").string(log_text::valid_utf8(error.what()));
    }
    json.raw("}\n");

    std::string response_text;
    JsonWriter out(response_text);
    out.raw("{").key("request_id").string(row.request_id);
    out.raw(",").key("status").string(row.status);
    if (call.response) {
      const Response& response = *call.response;
      out.raw(",").key("response").raw("{");
      out.key("content").string(log_text::valid_utf8(response.content));
      out.raw(",").key("reasoning").string(log_text::valid_utf8(response.reasoning));
      out.raw(",").key("provider").string(log_text::valid_utf8(response.provider));
      out.raw(",").key("model").string(log_text::valid_utf8(response.model));
      out.raw(",").key("stop_reason").string(to_string(response.stop_reason));
      out.raw(",").key("raw_stop_reason").string(log_text::valid_utf8(response.raw_stop_reason));
      out.raw(",").key("request_id").string(log_text::valid_utf8(response.request_id));
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
      out.raw(",").key("message").string(row.error_message);
      out.raw(",").key("http_status").number(row.http_status);
      if (call.error) out.raw(",").key("partial_content").string(log_text::valid_utf8(call.error->partial_content));
      out.raw("}");
    }
    out.raw(",").key("failed_attempts").raw(row.failed_attempts);
    out.raw("}\n");

    resolution::redact_secret_values(request_text, secrets);
    resolution::redact_secret_values(response_text, secrets);
    const std::string request_key = row.request_id + ".request.json";
    const std::string response_key = row.request_id + ".response.json";
    if (write_file(dir / request_key, request_text)) row.request_body_key = request_key;
    if (write_file(dir / response_key, response_text)) row.response_body_key = response_key;
  }

  // Owner-only (0600): credentials are redacted, but prompts and answers are the caller's data.
  bool write_file(const std::filesystem::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    std::error_code mode_error;
    std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                                 std::filesystem::perm_options::replace, mode_error);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.close();
    if (out && !mode_error) return true;
    note_error(fmt::format("cannot write the body file {}", path.string()));
    return false;
  }

  static constexpr std::size_t kMaxMessageBytes = 4096;
  static constexpr std::size_t kCachedSchemas = 16;

  std::shared_ptr<LLM> inner_;  // for dry runs of logged requests (body files)
  std::unique_ptr<LogSink> sink_;
  const LoggingOptions options_;
  const std::vector<MemberIdentity> members_;
  std::map<std::string, JsonSchema> schemas_;  // writer thread only

  mutable std::mutex mutex_;
  std::condition_variable queue_changed_, room_, progress_;
  std::deque<PendingCall> queue_;
  LoggingStats stats_;
  uint64_t processed_ = 0;
  bool closing_ = false;
  bool stopped_ = false;
  std::mutex join_mutex_;
  std::thread thread_;
};

namespace {

// Passes the wrapped stream through and records it once: at its end, at its error, or when the
// caller abandons it.
class LoggingStreamSource final : public StreamSource {
 public:
  LoggingStreamSource(std::shared_ptr<LoggingLLM::Writer> writer, ResponseStream inner, PendingCall call)
      : writer_(std::move(writer)), inner_(std::move(inner)), call_(std::move(call)) {}
  ~LoggingStreamSource() override { close(); }

  bool next(StreamChunk& chunk) override {
    try {
      if (inner_.next(chunk)) return true;
    } catch (...) {
      if (!recorded_) {
        recorded_ = true;
        writer_->finish_failed(std::move(call_), &inner_.response());
      }
      throw;
    }
    record("ok");
    return false;
  }

  const Response& response() const override { return inner_.response(); }

  void close() noexcept override {
    record("abandoned");
    inner_.close();
  }

 private:
  void record(std::string status) noexcept {
    if (recorded_) return;
    recorded_ = true;
    writer_->finish(std::move(call_), std::move(status), &inner_.response(), nullptr);
  }

  std::shared_ptr<LoggingLLM::Writer> writer_;
  ResponseStream inner_;
  PendingCall call_;
  bool recorded_ = false;
};

}  // namespace

LoggingLLM::LoggingLLM(std::shared_ptr<LLM> inner, LoggingOptions options)
    : LoggingLLM(inner, open_log_sink(options.target), options) {}

LoggingLLM::LoggingLLM(std::shared_ptr<LLM> inner, std::unique_ptr<LogSink> sink, LoggingOptions options)
    : inner_(std::move(inner)) {
  if (!inner_) throw_configuration_error("LoggingLLM needs an LLM to wrap");
  if (!sink) throw_configuration_error("LoggingLLM needs a sink");
  writer_ = std::make_shared<Writer>(inner_, std::move(sink), std::move(options));
}

LoggingLLM::~LoggingLLM() { close(); }

std::string_view LoggingLLM::provider() const noexcept { return inner_->provider(); }
std::string_view LoggingLLM::model() const noexcept { return inner_->model(); }

Response LoggingLLM::complete(const LLMRequest& request) {
  PendingCall call = writer_->begin("complete", request);
  try {
    Response response = inner_->complete(request);
    writer_->finish(std::move(call), "ok", &response, nullptr);
    return response;
  } catch (...) {
    writer_->finish_failed(std::move(call), nullptr);
    throw;
  }
}

ResponseStream LoggingLLM::stream(const LLMRequest& request) {
  PendingCall call = writer_->begin("stream", request);
  try {
    ResponseStream inner = inner_->stream(request);
    return ResponseStream(std::make_unique<LoggingStreamSource>(writer_, std::move(inner), std::move(call)));
  } catch (...) {
    writer_->finish_failed(std::move(call), nullptr);
    throw;
  }
}

std::vector<ResolvedRequest> LoggingLLM::resolve(const LLMRequest& request, bool stream) const {
  return inner_->resolve(request, stream);
}

JsonResponse LoggingLLM::complete_checked(const LLMRequest& request, const AnswerCheck& check) {
  PendingCall call = writer_->begin("complete", request);
  // The last answer the check saw: its usage and cost belong to the row even when it failed.
  std::optional<Response> checked;
  try {
    JsonResponse answer = inner_->complete_checked(request, [&](Response response) {
      checked = outcome_of(response, writer_->keeps_text(request.format));
      return check(std::move(response));
    });
    writer_->finish(std::move(call), "ok", &answer.response, nullptr);
    return answer;
  } catch (...) {
    writer_->finish_failed(std::move(call), checked ? &*checked : nullptr);
    throw;
  }
}

std::vector<std::string> LoggingLLM::warnings() const { return inner_->warnings(); }
std::string_view LoggingLLM::alias() const noexcept { return inner_->alias(); }

void LoggingLLM::flush() { writer_->flush(); }
void LoggingLLM::close() { writer_->close(); }
LoggingStats LoggingLLM::stats() const { return writer_->stats(); }

}  // namespace majordomo
