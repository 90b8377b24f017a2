// LoggingLLM: captures each call's outcome on the caller's thread and turns it into a row on a writer thread.
#include <majordomo/logging.hpp>

#include "log_conversation.hpp"
#include "log_rows.hpp"
#include "log_text.hpp"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <mutex>
#include <thread>
#include <utility>

namespace majordomo {

using log_rows::PendingCall;
using log_rows::RowStatus;
using Clock = std::chrono::steady_clock;

DeliveryError::DeliveryError(const std::string& message, Response answer)
    : std::runtime_error(message), answer_(std::move(answer)) {}

// The bounded queue, its writer thread and the sink. Shared by the LoggingLLMs that write to it
// (0.6) and their open streams, so a stream that outlives its LoggingLLM still has somewhere to
// report (a dropped row).
struct LoggingLLM::Writer {
  Writer(std::unique_ptr<LogSink> sink, LoggingOptions options)
      : sink_(std::move(sink)), options_(std::move(options)), rows_(log_rows::log_target_secrets(options_.target)) {
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

  // (0.6) The LoggingLLMs writing here: the last one to go closes the log.
  void add_logger() noexcept { loggers_.fetch_add(1); }
  // Whether recording a call can wait for room in the queue (LogOverflow::block).
  bool may_wait() const noexcept { return options_.overflow == LogOverflow::block; }
  bool remove_logger() noexcept { return loggers_.fetch_sub(1) == 1; }

  // What the caller's thread captures before calling the wrapped LLM `inner`.
  PendingCall begin(CallOperation operation, const LLMRequest& request, const LLM& inner) const {
    PendingCall call;
    call.provider.assign(inner.provider());
    call.model.assign(inner.model());
    call.log_metadata = request.log_metadata;
    call.started_at = std::chrono::system_clock::now();
    call.started = Clock::now();
    call.operation = operation;
    call.format = request.format;
    call.extra_headers = request.options.extra_headers;
    call.request_extras = log_rows::request_extras_json(request);
    // A streamed structured answer is checked again by the writer (log_rows.cpp).
    if (operation == CallOperation::stream && request.format == ResponseFormat::json_schema) {
      call.schema_json = request.schema_json;
    }
    return call;
  }

  bool keeps_text(ResponseFormat format) const {
    return options_.bodies_dir.has_value() || format != ResponseFormat::text;
  }

  void finish(PendingCall call, RowStatus status, const Response* response, const ErrorDetails* error) noexcept {
    try {
      call.elapsed_s = std::chrono::duration<double>(Clock::now() - call.started).count();
      call.status = status;
      if (response != nullptr) call.response = log_rows::outcome_of(*response, keeps_text(call.format));
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
      const RowStatus status = error.kind() == ErrorKind::cancelled ? RowStatus::cancelled : RowStatus::error;
      finish(std::move(call), status, response, &error.details());
    } catch (const DeliveryError& error) {
      // The answer arrived (its usage and cost count) but the caller could not pass it on.
      ErrorDetails details;
      details.message = error.what();
      details.provider = error.answer().provider;
      call.delivery_failed = true;
      finish(std::move(call), RowStatus::error, response != nullptr ? response : &error.answer(), &details);
    } catch (const std::exception& error) {
      ErrorDetails details;
      details.kind = ErrorKind::server;
      details.message = fmt::format("unexpected failure: {}", error.what());
      finish(std::move(call), RowStatus::error, response, &details);
    } catch (...) {
      ErrorDetails details;
      details.kind = ErrorKind::server;
      details.message = "unexpected failure";
      finish(std::move(call), RowStatus::error, response, &details);
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
    message = log_text::valid_utf8(rows_.scrubbed(message));
    const std::lock_guard lock(mutex_);
    stats_.last_error = std::move(message);
  }

  LogRecord to_record(PendingCall& call) {
    LogRecord row = rows_.build(call);
    if (options_.bodies_dir) {
      const auto [request_text, response_text] = rows_.bodies(call, row);
      const std::string request_key = row.request_id + ".request.json";
      const std::string response_key = row.request_id + ".response.json";
      if (write_file(*options_.bodies_dir / request_key, request_text)) row.request_body_key = request_key;
      if (write_file(*options_.bodies_dir / response_key, response_text)) row.response_body_key = response_key;
    }
    return row;
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

  std::unique_ptr<LogSink> sink_;
  const LoggingOptions options_;
  log_rows::RowBuilder rows_;  // writer thread only

  mutable std::mutex mutex_;
  std::condition_variable queue_changed_, room_, progress_;
  std::deque<PendingCall> queue_;
  LoggingStats stats_;
  uint64_t processed_ = 0;
  bool closing_ = false;
  bool stopped_ = false;
  std::mutex join_mutex_;
  std::thread thread_;
  std::atomic<int> loggers_{1};
};

namespace {

// Passes the wrapped stream through and records it once: at its end, at its error, or when the
// caller abandons it.
class LoggingStreamSource final : public StreamSource {
 public:
  LoggingStreamSource(std::shared_ptr<LoggingLLM::Writer> writer, ResponseStream inner, PendingCall call,
                      std::shared_ptr<CallCancellation> cancellation)
      : writer_(std::move(writer)), inner_(std::move(inner)), call_(std::move(call)),
        cancellation_(std::move(cancellation)) {}
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
    record(RowStatus::ok);
    return false;
  }

  const Response& response() const override { return inner_.response(); }
  // The row goes in at the end, which waits for room when the log blocks on a full queue.
  bool ready() noexcept override { return !writer_->may_wait() && inner_.ready(); }

  void close() noexcept override {
    // Closed first, so that the response recorded has its attempt ended (as cancelled).
    inner_.close();
    // A caller that cancels a call and then drops its stream cancelled it; one that only drops
    // the stream abandoned it.
    record(cancellation_ && cancellation_->cancelled() ? RowStatus::cancelled : RowStatus::abandoned);
  }

 private:
  void record(RowStatus status) noexcept {
    if (recorded_) return;
    recorded_ = true;
    writer_->finish(std::move(call_), status, &inner_.response(), nullptr);
  }

  std::shared_ptr<LoggingLLM::Writer> writer_;
  ResponseStream inner_;
  PendingCall call_;
  std::shared_ptr<CallCancellation> cancellation_;  // the request's (0.6)
  bool recorded_ = false;
};

}  // namespace

LoggingLLM::LoggingLLM(std::shared_ptr<LLM> inner, LoggingOptions options)
    : LoggingLLM(inner, open_log_sink(options.target), options) {}

LoggingLLM::LoggingLLM(std::shared_ptr<LLM> inner, std::unique_ptr<LogSink> sink, LoggingOptions options)
    : ForwardingLLM(std::move(inner)) {
  if (!sink) throw_configuration_error("LoggingLLM needs a sink");
  writer_ = std::make_shared<Writer>(std::move(sink), std::move(options));
}

LoggingLLM::LoggingLLM(std::shared_ptr<LLM> inner, const LoggingLLM& same_log_as)
    : ForwardingLLM(std::move(inner)), writer_(same_log_as.writer_) {
  writer_->add_logger();
}

LoggingLLM::~LoggingLLM() {
  if (writer_->remove_logger()) writer_->close();
}


Response LoggingLLM::complete(const LLMRequest& request) {
  PendingCall call = writer_->begin(CallOperation::complete, request, *inner());
  try {
    Response response = inner()->complete(request);
    writer_->finish(std::move(call), RowStatus::ok, &response, nullptr);
    return response;
  } catch (...) {
    writer_->finish_failed(std::move(call), nullptr);
    throw;
  }
}

ResponseStream LoggingLLM::stream(const LLMRequest& request) {
  PendingCall call = writer_->begin(CallOperation::stream, request, *inner());
  try {
    ResponseStream inner = this->inner()->stream(request);
    return ResponseStream(
        std::make_unique<LoggingStreamSource>(writer_, std::move(inner), std::move(call), request.cancellation));
  } catch (...) {
    writer_->finish_failed(std::move(call), nullptr);
    throw;
  }
}

void LoggingLLM::flush() { writer_->flush(); }
void LoggingLLM::close() { writer_->close(); }
LoggingStats LoggingLLM::stats() const { return writer_->stats(); }

Layer logging_layer(LoggingOptions options) {
  return [options = std::move(options)](std::shared_ptr<LLM> inner) -> std::shared_ptr<LLM> {
    return std::make_shared<LoggingLLM>(std::move(inner), options);
  };
}

}  // namespace majordomo
