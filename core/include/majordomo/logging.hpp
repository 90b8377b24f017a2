// LoggingLLM: records every call of a wrapped LLM to SQLite or PostgreSQL from a background writer.
#pragma once

#include <majordomo/export.hpp>
#include <majordomo/layers.hpp>
#include <majordomo/llm.hpp>

#include <cstddef>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace majordomo {

// The SQLite file used when a caller asks for logging without naming a target.
inline constexpr std::string_view kDefaultLogTarget = "sqlite:majordomo-log.db";

// One row of the call log (table majordomo_calls; docs/architecture.md has the column list).
// Text fields are empty when they do not apply; no field ever holds a credential: every credential
// the wrapped LLM's members, the call's extra headers and the log target carry is scrubbed by value
// (docs/reliability.md, "Secrets"), and text is valid UTF-8.
struct LogRecord {
  std::string request_id;           // majordomo's own id of the call (UUID v4), unique
  std::string created_at;           // call start, UTC, "2026-01-31T12:00:00.123Z"
  std::string provider;             // the wrapped LLM's provider and model, as asked for
  std::string model;
  std::string served_by;            // "provider:model" that answered; empty when none did
  std::string response_model;       // the model the provider says answered
  std::string alias;
  std::string operation;            // "complete" or "stream"
  std::string format;               // "text", "json_object" or "json_schema"
  // "ok", "error", "abandoned" (a stream closed early) or (0.6) "cancelled" (the call ended with
  // ErrorKind::cancelled: its caller cancelled it through LLMRequest::cancellation)
  std::string status;
  std::string error_kind;           // an ErrorKind name, or "output" (0.3: a DeliveryError), for status "error"
  std::string error_message;
  int64_t http_status = 0;          // of the final error; 0 when none
  double response_time_s = 0;       // as the caller saw it: from the call to the row's outcome
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  int64_t cached_tokens = 0;
  int64_t cache_write_tokens = 0;
  int64_t reasoning_tokens = 0;
  // USD; empty when the model is not priced or the call produced no usage.
  std::optional<double> input_cost, output_cost, total_cost;
  std::string stop_reason;
  int64_t attempts = 0;             // Response::attempts of an answer; 0 on other rows
  int64_t failed_attempt_count = 0;
  // JSON array of {"provider","model","kind","http_status","message","waited_ms"}, in order.
  std::string failed_attempts = "[]";
  std::string warnings = "[]";      // JSON array of strings
  std::string api_key_hash;         // first 16 hex digits of SHA-256 of the API key used
  // JSON object: the request's X-Majordomo-* headers as sent, and (0.6) the caller's
  // LLMRequest::log_metadata labels (never sent; a header sent wins over a label of its name)
  std::string metadata = "{}";
  std::string request_body_key;     // file names under LoggingOptions::bodies_dir, when kept
  std::string response_body_key;
  std::string provider_request_id;
  // (0.5) JSON array of the answer's tool calls: {"id","name","problem","arguments_bytes"} (the
  // arguments themselves are answer text: they are in the response body file, when kept).
  std::string tool_calls = "[]";
  // (0.5) JSON object of what the request asked beyond text, each key only when used: "tools"
  // (names offered), "tool_choice", "images" ([{"media_type","bytes","sha256"}] or {"url"}: never
  // the bytes), "reasoning_effort", "thinking", "prompt_cache" (false when turned off).
  std::string request_extras = "{}";
};

// Thrown by a caller's own delivery of an answer (0.3): the answer arrived but could not be passed
// on (standard output closed or full, a socket to a client gone). A middleware wrapped by a
// LoggingLLM that delivers answers (the CLI's printer) throws it, so that the row says so: status
// "error", error_kind "output", the message, and the answer's usage and cost (it was paid for).
// The LoggingLLM rethrows it. It is not an Error: no retry or cascade acts on it.
class MAJORDOMO_API DeliveryError : public std::runtime_error {
 public:
  DeliveryError(const std::string& message, Response answer);
  const Response& answer() const noexcept { return answer_; }

 private:
  Response answer_;
};

// Where rows go. write() is called from one thread at a time (the writer thread), with the rows
// of one batch; it either stores them all and returns, or throws (nothing of the batch stored).
class MAJORDOMO_API LogSink {
 public:
  virtual ~LogSink() = default;
  virtual void write(const std::vector<LogRecord>& rows) = 0;
  // Called after a write() threw, before the next one: drop and re-open the connection.
  virtual void reconnect() {}
};

// Opens "sqlite:PATH" (the file and its table are created when missing) or
// "postgresql://user[:password]@host[:port]/dbname[?param=value&...]" (the table is created when
// missing, under an advisory lock so several processes may start at once; core/sql has the DDL).
// Throws ConfigurationError naming the remedy; a password in the target never appears in it.
[[nodiscard]] MAJORDOMO_API std::unique_ptr<LogSink> open_log_sink(std::string_view target);

// The last `count` rows of a log target, oldest first. Throws ConfigurationError when the
// target cannot be opened or has no call log.
[[nodiscard]] MAJORDOMO_API std::vector<LogRecord> read_log(std::string_view target, std::size_t count);

enum class LogOverflow {
  drop_newest,  // a call whose row finds the queue full is not recorded; dropped() counts it
  block,        // the calling thread waits for room (only for callers who prefer that to loss)
};

struct LoggingOptions {
  std::string target = std::string(kDefaultLogTarget);
  // When set, each call's request and response are written there as
  // <request_id>.request.json / <request_id>.response.json, credentials redacted.
  std::optional<std::filesystem::path> bodies_dir;
  std::size_t queue_capacity = 10'000;
  LogOverflow overflow = LogOverflow::drop_newest;
  std::size_t max_batch = 256;  // rows per sink transaction
};

struct LoggingStats {
  uint64_t recorded = 0;  // rows queued
  uint64_t written = 0;   // rows the sink stored
  uint64_t dropped = 0;   // rows not queued: the queue was full, or the logger was closed
  uint64_t failed = 0;    // rows the sink refused even when retried alone
  std::string last_error; // the sink's last failure, credentials removed
};

// Wraps any LLM (a provider-bound one, a cascade, another middleware) and records one row per
// call: complete, stream (at its end with the final usage, at a mid-stream error, or when
// abandoned), JSON and structured output (the row's status is what the answer's check decided:
// the check travels with the request, and a streamed JSON or structured answer is checked again by
// the writer the way the caller's StructuredStream::finish checks it). (0.4) A row is built from
// the call's records (Response::records, ErrorDetails::records): the request body file holds the
// request exactly as sent, redacted; nothing is resolved again.
// Obligations:
//  - requests and options pass to the wrapped LLM unchanged, extra_headers included; this layer
//    never retries and never changes a Response or an error;
//  - recording never waits for the database: rows go to a bounded queue drained by one writer
//    thread (overflow as LoggingOptions::overflow says, counted in stats().dropped);
//  - flush() returns once every row queued before it is stored or counted as failed; close()
//    flushes and stops the writer; destruction closes. Rows of streams still open at close()
//    are counted as dropped when those streams end.
//  - (0.6) Loggers made with the `same_log_as` constructor share one log: its queue, writer
//    thread, sink (one database connection) and options. Each row names the provider and model
//    of the LLM its own logger wraps. flush(), close() and stats() act on the shared log, through
//    any of them: flush() waits for the rows of all, stats() counts the rows of all, and close()
//    ends the log for all (rows that come later are counted as dropped). Destroying a logger
//    closes the log only when it was the last one sharing it.
class MAJORDOMO_API LoggingLLM final : public ForwardingLLM {
 public:
  // Opens options.target now (ConfigurationError before any call when it cannot be opened).
  LoggingLLM(std::shared_ptr<LLM> inner, LoggingOptions options = {});
  // Writes to the given sink instead of options.target.
  LoggingLLM(std::shared_ptr<LLM> inner, std::unique_ptr<LogSink> sink, LoggingOptions options = {});
  // (0.6) Writes to the log of `same_log_as` (above): e.g. a gateway wraps one LLM per routed
  // model and keeps one queue, one writer thread and one database connection for all of them.
  // Thread-safe with calls running on `same_log_as`.
  LoggingLLM(std::shared_ptr<LLM> inner, const LoggingLLM& same_log_as);
  ~LoggingLLM() override;
  LoggingLLM(const LoggingLLM&) = delete;
  LoggingLLM& operator=(const LoggingLLM&) = delete;

  // (0.4) provider(), model(), resolve(), warnings(), alias() and call_deadline() are the wrapped
  // LLM's (ForwardingLLM).
  [[nodiscard]] Response complete(const LLMRequest& request) override;
  [[nodiscard]] ResponseStream stream(const LLMRequest& request) override;

  void flush();
  void close();
  [[nodiscard]] LoggingStats stats() const;

  struct Writer;  // the queue and its thread; shared with open streams

 private:
  std::shared_ptr<Writer> writer_;
};

// (0.4) The layer (layers.hpp) that wraps an LLM in a LoggingLLM with `options`:
//   layered(host.get_cascade(members), {logging_layer(options)})
[[nodiscard]] MAJORDOMO_API Layer logging_layer(LoggingOptions options = {});

}  // namespace majordomo
