// LLM: the one interface of provider-bound clients and middleware, plus streams and resolved requests.
#pragma once

#include <majordomo/export.hpp>
#include <majordomo/cancellation.hpp>
#include <majordomo/conversation.hpp>
#include <majordomo/errors.hpp>
#include <majordomo/headers.hpp>
#include <majordomo/json_value.hpp>
#include <majordomo/options.hpp>
#include <majordomo/response.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace majordomo {

enum class ResponseFormat { text, json_object, json_schema };

// A provider-neutral request: what LLM implementations and middleware pass along.
struct MAJORDOMO_API LLMRequest {
  std::vector<Message> messages;
  RequestOptions options;
  ResponseFormat format = ResponseFormat::text;
  std::string schema_json;  // ResponseFormat::json_schema only
  std::string schema_name;
  // (0.3) The latest moment this call may end, set by a middleware that shares its own deadline
  // among the LLMs it calls (a cascade gives each member its share). A provider-bound LLM ends
  // the call at the earlier of this and its own Timeouts::deadline; empty: only the latter.
  std::optional<std::chrono::steady_clock::time_point> deadline;
  // (0.4) Run by the provider-bound LLM on a complete answer before it returns it; throws (an
  // Error such as ParseError or SchemaMismatchError) to refuse the answer, which then fails the
  // call like any provider error: its record keeps the answer's usage and a cascade fails over on
  // parse and schema_mismatch. It travels with the request, so middleware has nothing to forward.
  // Not run for streams (the caller checks a streamed answer after its end). May be called from
  // the thread that called complete() only.
  std::function<void(const Response&)> check_answer;
  // (0.5) Functions the model may call (conversation.hpp). A plugin or model that cannot take
  // tools refuses the request with UnsupportedError before sending.
  std::vector<ToolDefinition> tools{};
  ToolChoice tool_choice{};
  std::optional<bool> parallel_tool_calls{};  // several calls in one answer; unset: the provider's default
  // (0.6) Ends the call when another thread calls cancel() on it (cancellation.hpp): the call then
  // throws CancelledError and its connection is closed at once. It travels with the request
  // through every middleware, like `deadline`; empty: the call cannot be cancelled.
  std::shared_ptr<CallCancellation> cancellation{};
  // (0.6) Labels the caller puts on the call log's row (LoggingLLM merges them into the metadata
  // column, e.g. which gateway key made the call). Never sent to the provider, never in a call
  // record; a label named like an X-Majordomo-* header that was sent gives way to the header.
  std::map<std::string, std::string> log_metadata{};

  [[nodiscard]] static LLMRequest from_prompt(std::string_view prompt, const RequestOptions& options = {});
};

// A request as it would go on the wire: the output of the resolution pipeline.
struct MAJORDOMO_API ResolvedRequest {
  std::string provider;
  std::string model;
  std::string method = "POST";
  std::string url;
  HeaderSet headers;  // final and validated: exactly what is sent
  std::string body;
  bool stream = false;
  // The provider's auth header name (e.g. "x-api-key"): redacted whatever it is called.
  std::string auth_header;
  // The forward proxy the request goes through, its password already replaced by [REDACTED];
  // empty: a direct connection.
  std::string proxy;

  // The headers with every credential (Authorization, x-api-key, x-goog-api-key, the provider's
  // auth header, anything named like a key or token) replaced; safe to print or log.
  [[nodiscard]] HeaderSet redacted_headers() const;
  // The URL with any `key=` query value replaced; safe to print or log.
  [[nodiscard]] std::string redacted_url() const;
};

struct StreamChunk {
  // (0.5) The tool_call_* kinds: a call of response().tool_calls[tool_index] began (its id and
  // name are set there; text: the first piece of its arguments), a further piece of its
  // arguments' JSON arrived, or its arguments are complete.
  enum class Kind { text, reasoning, tool_call_start, tool_call_arguments, tool_call_end };
  Kind kind = Kind::text;
  std::string_view text;  // valid until the next call on the stream
  std::size_t tool_index = 0;  // (0.5) the tool_call_* kinds
};

// What a ResponseStream pulls from. Implemented by provider-bound LLMs and by middleware.
// Obligations: next() after it returned false or threw, or after close(), is not called;
// close() and destruction at any point release the connection (closing it when the response
// was not read to its end) and keep response() readable.
class MAJORDOMO_API StreamSource {
 public:
  virtual ~StreamSource() = default;
  // Fills `chunk` and returns true, or returns false at the successful end. Throws Error; a stream
  // error carries the answer text received so far in details().partial_content.
  [[nodiscard]] virtual bool next(StreamChunk& chunk) = 0;
  // Content so far; after the end also usage, cost, stop reason and response time.
  [[nodiscard]] virtual const Response& response() const = 0;
  // Abandons the rest of the response now. Idempotent.
  virtual void close() noexcept = 0;
  // (0.6) True only when the next next() will return without waiting (its chunk, the end or its
  // error is at hand): a caller relaying the stream sends what it holds once this is false, so
  // that chunks which arrived together leave together and none is held back. It may read ahead,
  // so the last chunk's text is no longer valid and response() may already hold what next()
  // returns. Never waits, never throws; false is always a correct answer (the default), true
  // must be exact. A source that wraps another forwards it where its own next() adds no wait.
  [[nodiscard]] virtual bool ready() noexcept { return false; }
};

// A streamed answer, pulled chunk by chunk by the caller. Movable, not copyable. Abandoning it
// (destroying or close()) before the end closes its connection instead of reading the rest.
class MAJORDOMO_API ResponseStream {
 public:
  explicit ResponseStream(std::unique_ptr<StreamSource> source);
  ResponseStream(ResponseStream&&) noexcept;
  ResponseStream& operator=(ResponseStream&&) noexcept;
  ResponseStream(const ResponseStream&) = delete;
  ResponseStream& operator=(const ResponseStream&) = delete;
  ~ResponseStream();

  // Next chunk of any kind; false at the end.
  [[nodiscard]] bool next(StreamChunk& chunk);
  // Next piece of the answer text (reasoning is only accumulated in response().reasoning);
  // std::nullopt at the end. The view is valid until the next call.
  [[nodiscard]] std::optional<std::string_view> next_text();
  bool finished() const noexcept { return finished_; }
  // (0.6) Whether next() would return without waiting (StreamSource::ready): relay what was
  // pulled so far once this is false. It ends the validity of the last chunk's text.
  [[nodiscard]] bool ready() noexcept { return finished_ || !source_ || source_->ready(); }
  [[nodiscard]] const Response& response() const;
  void close() noexcept;

  // Range-for over the answer text: for (std::string_view piece : stream) { … }
  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = std::string_view;
    using difference_type = std::ptrdiff_t;
    using pointer = const std::string_view*;
    using reference = const std::string_view&;
    iterator() = default;
    explicit iterator(ResponseStream* stream) : stream_(stream) { advance(); }
    reference operator*() const { return current_; }
    iterator& operator++() { advance(); return *this; }
    void operator++(int) { advance(); }
    bool operator==(const iterator& other) const { return stream_ == other.stream_; }

   private:
    void advance();
    ResponseStream* stream_ = nullptr;
    std::string_view current_;
  };
  iterator begin() { return iterator(this); }
  iterator end() { return iterator(); }

 private:
  std::unique_ptr<StreamSource> source_;
  bool finished_ = false;
};

// A JSON answer. The value is built once, while the answer is checked (the check needs the parsed
// document anyway), and handed over as it was checked.
struct JsonResponse {
  Response response;       // response.content is the text as received
  std::string json_text;   // the JSON document (Markdown code fences stripped)
  JsonValue value;         // json_text parsed (after JsonSchema::check: the answer as checked)
};

// Checks a complete answer and turns it into a JsonResponse, or throws (ParseError,
// SchemaMismatchError, …): what get_json_response and get_json_schema_response apply.
using AnswerCheck = std::function<JsonResponse(Response)>;

// The interface every client and every middleware implements, so they nest freely.
// A middleware implements provider(), model(), complete(), stream() and resolve() by passing the
// request on (changed or not) to the LLMs it wraps; everything a request needs travels inside
// LLMRequest, and everything a call did comes back in Response::records or ErrorDetails::records.
// Obligations of implementations:
//  - complete/stream/resolve may be called from many threads at once;
//  - configuration errors (bad header, missing key, bad URL) are thrown before any I/O;
//  - a stream never retries or fails over after its first chunk reached the caller;
//  - only the provider-bound LLM retries (ClientOptions::retry); middleware never resends.
class MAJORDOMO_API LLM {
 public:
  virtual ~LLM() = default;

  virtual std::string_view provider() const noexcept = 0;
  virtual std::string_view model() const noexcept = 0;

  [[nodiscard]] virtual Response complete(const LLMRequest& request) = 0;
  [[nodiscard]] virtual ResponseStream stream(const LLMRequest& request) = 0;
  // What complete (stream=false) or stream (stream=true) would send, with nothing sent. A
  // middleware that may send to several providers returns one entry per possible request.
  [[nodiscard]] virtual std::vector<ResolvedRequest> resolve(const LLMRequest& request, bool stream) const = 0;

  // complete() with `check` run on the answer through LLMRequest::check_answer (so the check
  // happens inside the provider-bound LLM, and a cascade fails over when it throws ParseError or
  // SchemaMismatchError); the JSON conveniences below are built on it. (0.4) Middleware need not
  // override it: the check travels with the request. An override from before 0.4 that forwards
  // it to the LLM it wraps keeps working.
  [[nodiscard]] virtual JsonResponse complete_checked(const LLMRequest& request, const AnswerCheck& check);
  // Notes on how the instance was set up (e.g. "model 'x' is deprecated, 'y' is used instead");
  // every Response of the instance repeats them in Response::warnings. Middleware returns those
  // of the LLMs it wraps.
  [[nodiscard]] virtual std::vector<std::string> warnings() const { return {}; }
  // The catalog alias the instance was created from (Host::get_alias), empty otherwise; also
  // in Response::alias.
  virtual std::string_view alias() const noexcept { return {}; }
  // (0.3) How long one call of this LLM may take in all: a provider-bound LLM's
  // Timeouts::deadline, zero when it has none. A cascade reads it to share its time among its
  // members; a middleware that wraps one LLM should return that LLM's.
  virtual std::chrono::milliseconds call_deadline() const noexcept { return {}; }

  [[nodiscard]] Response get_response(std::string_view prompt, const RequestOptions& options = {});
  [[nodiscard]] ResponseStream get_response_stream(std::string_view prompt, const RequestOptions& options = {});
  // Asks for a JSON object (the provider's JSON mode) and parses the answer. A parse failure
  // throws ParseError whose partial_content is the raw text.
  [[nodiscard]] JsonResponse get_json_response(std::string_view prompt, const RequestOptions& options = {});
  // Asks for an answer in the shape of a JSON Schema (draft 7; the provider's structured-output
  // mode, sent under schema_name) and checks the parsed answer against that schema here, since
  // providers enforce only a subset of it. Throws ConfigurationError before sending when the
  // schema is unusable; ParseError (partial_content = raw text) when the answer is not JSON or
  // is an empty object; SchemaMismatchError (partial_content = raw text, the first violations in
  // the message) when it does not match. Providers without the mode throw UnsupportedError.
  [[nodiscard]] JsonResponse get_json_schema_response(std::string_view prompt, std::string_view schema_json,
                                                      std::string_view schema_name,
                                                      const RequestOptions& options = {});
};

// Strips surrounding white space and a Markdown code fence (```json … ```) from model output.
[[nodiscard]] MAJORDOMO_API std::string_view strip_json_fences(std::string_view text) noexcept;

}  // namespace majordomo
