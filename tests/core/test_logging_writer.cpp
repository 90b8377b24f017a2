// LoggingLLM's writer: a bounded queue and its policies, flush and close, what each row holds, bad targets, checked answers.
#include "logging_test_env.hpp"
#include "logging_test_setup.hpp"
#include "provider_test_env.hpp"

#include <majordomo/logging.hpp>

#include <catch2/catch.hpp>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <stdlib.h>

using namespace majordomo;
using namespace majordomo::testing;

namespace {

// Throws the given error from every call: a provider-like failure without a server.
class FailingLLM final : public LLM {
 public:
  explicit FailingLLM(ErrorDetails details) : details_(std::move(details)) {}
  std::string_view provider() const noexcept override { return "openai"; }
  std::string_view model() const noexcept override { return "gpt-4o"; }
  Response complete(const LLMRequest&) override { throw_error(details_); }
  ResponseStream stream(const LLMRequest&) override { throw_error(details_); }
  std::vector<ResolvedRequest> resolve(const LLMRequest&, bool) const override { return {}; }

 private:
  ErrorDetails details_;
};

// A sink that holds the writer inside write() until released, to fill the queue on purpose.
class GatedSink final : public LogSink {
 public:
  void write(const std::vector<LogRecord>& rows) override {
    std::unique_lock lock(mutex_);
    ++writes_in_progress_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return open_; });
    for (const auto& row : rows) {
      if (row.metadata.find("poison") != std::string::npos) throw std::runtime_error("refused a poisoned row");
    }
    rows_.insert(rows_.end(), rows.begin(), rows.end());
    ++batches_;
  }
  void wait_until_writing() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return writes_in_progress_ > 0; });
  }
  void open() {
    const std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }
  std::vector<LogRecord> rows() {
    const std::lock_guard lock(mutex_);
    return rows_;
  }
  int batches() {
    const std::lock_guard lock(mutex_);
    return batches_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int writes_in_progress_ = 0;
  int batches_ = 0;
  bool open_ = false;
  std::vector<LogRecord> rows_;
};

// A logger over the fake OpenAI whose sink holds every batch at a gate until the test opens it.
struct GatedLogger {
  ProviderTestEnv env;
  GatedSink* gate = nullptr;
  std::unique_ptr<LoggingLLM> logger;

  explicit GatedLogger(const LoggingOptions& options) {
    auto sink = std::make_unique<GatedSink>();
    gate = sink.get();
    logger = std::make_unique<LoggingLLM>(env.openai(), std::move(sink), options);
  }
};

}  // namespace

TEST_CASE("a full queue drops the newest row and counts it, and flush writes the rest", "[logging]") {
  LoggingOptions options;
  options.queue_capacity = 2;
  options.max_batch = 1;
  GatedLogger gated(options);
  GatedSink& gate = *gated.gate;
  LoggingLLM& logger = *gated.logger;

  (void)logger.get_response("first");  // taken by the writer, which then waits at the gate
  gate.wait_until_writing();
  (void)logger.get_response("second");  // queued
  (void)logger.get_response("third");   // queued: the queue is full
  const Response answered = logger.get_response("fourth");  // dropped, yet answered
  CHECK(answered.content == "Hello! How can I assist you today?");
  CHECK(logger.stats().dropped == 1);
  CHECK(logger.stats().recorded == 3);

  gate.open();
  logger.flush();
  const LoggingStats stats = logger.stats();
  CHECK(stats.written == 3);
  CHECK(stats.dropped == 1);
  CHECK(gate.rows().size() == 3);
  CHECK(gated.env.server.requests().size() == 4);
}

TEST_CASE("the block policy makes callers wait for room instead of dropping", "[logging]") {
  LoggingOptions options;
  options.queue_capacity = 1;
  options.max_batch = 1;
  options.overflow = LogOverflow::block;
  GatedLogger gated(options);
  GatedSink& gate = *gated.gate;
  LoggingLLM& logger = *gated.logger;
  (void)logger.get_response("first");
  gate.wait_until_writing();
  std::thread callers([&] {
    for (int i = 0; i < 3; ++i) (void)logger.get_response("more");
  });
  gate.open();
  callers.join();
  logger.flush();
  const LoggingStats stats = logger.stats();
  CHECK(stats.dropped == 0);
  CHECK(stats.written == 4);
  CHECK(gate.rows().size() == 4);
}

TEST_CASE("a row the sink refuses costs only itself: the batch is retried row by row", "[logging]") {
  LoggingOptions options;
  options.max_batch = 100;
  GatedLogger gated(options);
  GatedSink& gate = *gated.gate;
  LoggingLLM& logger = *gated.logger;
  RequestOptions poisoned;
  poisoned.extra_headers.set("X-Majordomo-Note", "poison");
  (void)logger.get_response("first");  // the writer holds this one at the gate
  gate.wait_until_writing();
  (void)logger.get_response("a");      // these three wait in the queue and leave it as one batch
  (void)logger.get_response("b", poisoned);
  (void)logger.get_response("c");
  gate.open();
  logger.flush();
  const LoggingStats stats = logger.stats();
  CHECK(stats.written == 3);
  CHECK(stats.failed == 1);
  CHECK(stats.last_error.find("poisoned") != std::string::npos);
  CHECK(gate.rows().size() == 3);
  CHECK(gate.batches() == 3);  // "first", then "a" and "c" alone after the batch failed
}

TEST_CASE("destroying the logger writes every row it recorded", "[logging]") {
  ProviderTestEnv env;
  TempDir dir;
  const std::string target = "sqlite:" + (dir.path / "calls.db").string();
  {
    LoggingLLM logger(env.openai(), logging_to(target));
    for (int i = 0; i < 20; ++i) (void)logger.get_response("Hello");
    ResponseStream stream = logger.get_response_stream("Hello");
    CHECK(!testing::drain(stream).empty());
  }
  const auto rows = read_log(target, 100);
  REQUIRE(rows.size() == 21);
  CHECK(rows.back().operation == "stream");
  CHECK(rows.back().status == "ok");
  CHECK(rows.back().output_tokens > 0);
}

TEST_CASE("a stream still open when its logger closes is counted as dropped, not lost silently", "[logging]") {
  ProviderTestEnv env;
  TempDir dir;
  const std::string target = "sqlite:" + (dir.path / "calls.db").string();
  LoggingLLM logger(env.openai(), logging_to(target));
  ResponseStream stream = logger.get_response_stream("Hello");
  logger.close();
  CHECK(!testing::drain(stream).empty());  // the call itself is unharmed
  CHECK(logger.stats().dropped == 1);
  CHECK(read_log(target, 10).empty());
}

TEST_CASE("provider text that is not UTF-8 is stored with replacement characters", "[logging]") {
  TempDir dir;
  const std::string target = "sqlite:" + (dir.path / "calls.db").string();
  ErrorDetails details;
  details.kind = ErrorKind::server;
  details.provider = "openai";
  details.http_status = 500;
  details.message = std::string("bad \xff byte and a NUL \0 here", 27);
  {
    LoggingLLM logger(std::make_shared<FailingLLM>(details), logging_to(target));
    CHECK_THROWS_AS(logger.get_response("Hello"), ServerError);
  }
  const auto rows = read_log(target, 10);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].status == "error");
  CHECK(rows[0].http_status == 500);
  CHECK(rows[0].error_message == "bad \xef\xbf\xbd byte and a NUL \xef\xbf\xbd here");
  CHECK(rows[0].api_key_hash.empty());
  CHECK(!rows[0].total_cost.has_value());
}

TEST_CASE("a per-request auth header is what the row's key hash names", "[logging]") {
  ProviderTestEnv env;
  TempDir dir;
  const std::string target = "sqlite:" + (dir.path / "calls.db").string();
  {
    LoggingLLM logger(env.openai(), logging_to(target));
    RequestOptions options;
    options.extra_headers.set("authorization", "Bearer sk-per-request-key-1");
    (void)logger.get_response("Hello", options);
    (void)logger.get_response("Hello");
  }
  const auto rows = read_log(target, 10);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].api_key_hash == sha256_prefix16("sk-per-request-key-1"));
  CHECK(rows[1].api_key_hash == sha256_prefix16(kOpenAIKey));
  CHECK(env.server.requests().at(0).headers.size() > 0);
  CHECK(ProviderTestEnv::only_header(env.server.requests().at(0), "Authorization") == "Bearer sk-per-request-key-1");
}

TEST_CASE("log targets that cannot be used are configuration errors naming the remedy", "[logging]") {
  ProviderTestEnv env;
  const auto message_of = [&](const std::string& target) {
    try {
      LoggingLLM logger(env.openai(), logging_to(target));
    } catch (const ConfigurationError& error) {
      return std::string(error.what());
    }
    return std::string("<no error>");
  };
  CHECK(message_of("mysql://db/x").find("use sqlite:PATH or postgresql://") != std::string::npos);
  CHECK(message_of("sqlite:").find("names no file") != std::string::npos);
  CHECK(message_of("sqlite:/nonexistent-dir/x/calls.db").find("cannot open the call log") != std::string::npos);
  // A closed port: the error must not show the password of the target.
  const std::string refused = message_of("postgresql://test:hunter2-secret@127.0.0.1:1/postgres");
  CHECK(refused.find("cannot open the call log") != std::string::npos);
  CHECK(refused.find("hunter2-secret") == std::string::npos);
  // The same password given as a query parameter, in the URL text and as libpq may echo it.
  for (const std::string target : {"postgresql://test@127.0.0.1:1/postgres?password=hunter2-secret",
                                   "postgresql://test@127.0.0.1:1/postgres?sslmode=disable&sslpassword=hunter2-secret",
                                   "postgresql://test@127.0.0.1:1/postgres?password=hunter2 secret"}) {
    const std::string message = message_of(target);
    INFO(message);
    CHECK(message.find("hunter2") == std::string::npos);
    CHECK(message.find("[REDACTED]") != std::string::npos);
  }
  CHECK(message_of("postgresql://test:with%20space@127.0.0.1:1/db").find("PGPASSWORD") != std::string::npos);
  CHECK_THROWS_AS(read_log("sqlite:/nonexistent-dir/calls.db", 5), ConfigurationError);
}

TEST_CASE("a streamed structured answer is one stream row whose status is the schema check", "[logging]") {
  ProviderTestEnv env;
  // A streamed answer in two pieces of JSON text, for each of the two calls.
  const auto chunk = [](std::string_view delta, std::string_view finish) {
    return fmt::format(R"(data: {{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o",)"
                       R"("choices":[{{"index":0,"delta":{{"content":{}}},"finish_reason":{}}}]}})"
                       "\n\n",
                       delta, finish);
  };
  for (int i = 0; i < 2; ++i) {
    fake::ScriptedResponse response;
    response.content_type = "text/event-stream";
    response.body = chunk(R"("{\"city\":\"Paris\",")", "null") +
                    chunk(R"("\"temperature\":20,\"units\":\"c\"}")", R"("stop")") + "data: [DONE]\n\n";
    env.server.push_response(response);
  }
  TempDir dir;
  const std::string target = "sqlite:" + (dir.path / "calls.db").string();
  {
    LoggingLLM logger(env.openai(), logging_to(target));
    StructuredStream answer = get_json_schema_response_stream(logger, "Weather?", kLocationSchema, "weather");
    const JsonResponse checked = answer.finish();
    CHECK(checked.value.is_object());
    // The same answer against a schema it cannot meet: the caller's check fails, and so does the row.
    StructuredStream refused = get_json_schema_response_stream(
        logger, "Weather?", R"({"type":"object","properties":{"humidity":{"type":"number"}},"required":["humidity"]})",
        "humidity");
    CHECK_THROWS_AS(refused.finish(), SchemaMismatchError);
  }
  const auto rows = read_log(target, 10);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].operation == "stream");
  CHECK(rows[0].format == "json_schema");
  CHECK(rows[0].status == "ok");
  CHECK(rows[1].status == "error");
  CHECK(rows[1].error_kind == "schema_mismatch");
}

TEST_CASE("a logged cascade still fails over on a failed JSON check, and the row says so", "[logging]") {
  ProviderTestEnv env;  // its OpenAI route answers text that is not JSON
  fake::FakeProviderServer json_server{fixture_server_options()};
  json_server.start();
  testing::answer_next_with(json_server, "openai/structured_output.json");
  std::vector<CascadeMember> members = {testing::member_at("openai", "gpt-4o", env.server.origin() + "/v1"),
                                        testing::member_at("openai", "gpt-4o-mini", json_server.origin() + "/v1")};
  ClientOptions shared;
  shared.api_key = kOpenAIKey;
  TempDir dir;
  const std::string target = "sqlite:" + (dir.path / "calls.db").string();
  {
    LoggingLLM logger(env.host.get_cascade(std::move(members), shared), logging_to(target));
    const JsonResponse parsed = logger.get_json_response("Weather?");
    CHECK(parsed.response.served_by == "openai:gpt-4o-mini");
  }
  const auto rows = read_log(target, 10);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].status == "ok");
  CHECK(rows[0].format == "json_object");
  CHECK(rows[0].served_by == "openai:gpt-4o-mini");
  CHECK(rows[0].failed_attempt_count == 1);
  CHECK(rows[0].failed_attempts.find(R"("kind":"parse")") != std::string::npos);
  CHECK(rows[0].input_tokens == 79);  // the answer that passed the check
}

TEST_CASE("one retry owner: a 503-twice-then-200 member inside a logged cascade is called exactly 3 times", "[logging][retry]") {
  ProviderTestEnv env;
  const std::string overloaded = R"({"error":{"message":"busy","type":"server_error","param":null,"code":null}})";
  env.server.push_response(ProviderTestEnv::scripted_status(503, overloaded, "/chat/completions"));
  env.server.push_response(ProviderTestEnv::scripted_status(503, overloaded, "/chat/completions"));
  std::vector<std::chrono::milliseconds> waits;  // recorded instead of slept
  std::vector<CascadeMember> members(2);
  members[0].provider = "openai";
  members[0].model = "gpt-4o";
  members[0].base_url = env.server.origin() + "/v1";
  members[1].provider = "anthropic";
  members[1].model = "claude-haiku-4-5";
  members[1].base_url = env.server.origin();
  ClientOptions shared;
  shared.api_key = kOpenAIKey;
  shared.retry.wait = [&waits](std::chrono::milliseconds wait) { waits.push_back(wait); };
  TempDir dir;
  const std::string target = "sqlite:" + (dir.path / "calls.db").string();
  {
    LoggingLLM logger(env.host.get_cascade(std::move(members), shared), logging_to(target));
    const Response response = logger.get_response("hi");
    CHECK(response.served_by == "openai:gpt-4o");
    CHECK(response.attempts == 3);
    CHECK(response.failed_attempts.size() == 2);
  }
  // Neither the cascade nor the logger retried on top of the provider-bound LLM.
  const auto requests = env.server.requests();
  REQUIRE(requests.size() == 3);
  for (const auto& request : requests) CHECK(request.uri == "/v1/chat/completions");
  CHECK(waits.size() == 2);
  const auto rows = read_log(target, 10);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].status == "ok");
  CHECK(rows[0].attempts == 3);
  CHECK(rows[0].failed_attempt_count == 2);
  CHECK(rows[0].served_by == "openai:gpt-4o");
}
