// Answers, errors and failed attempts as JSON text: the one serialisation behind the CLI's --output json (0.4).
#pragma once

#include <majordomo/errors.hpp>
#include <majordomo/export.hpp>
#include <majordomo/response.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace majordomo {

// Turns a text into what goes between the quotes of a JSON string (before escaping), e.g. with
// credentials scrubbed. What it returns must be valid UTF-8.
using JsonTextFilter = std::function<std::string(std::string_view)>;

// How the texts of an answer or error pass into the JSON. An empty filter keeps the text with
// invalid UTF-8 and NUL replaced by U+FFFD, so the output is valid JSON whatever a server sent.
struct JsonTextFilters {
  JsonTextFilter text;   // free text: content, reasoning, error and attempt messages, warnings
  JsonTextFilter value;  // whole values: provider, model, stop reason as sent, request id, served_by, alias
};

struct ResponseJsonOptions {
  JsonTextFilters filters;
  // Written as "content" instead of Response::content (e.g. the checked JSON text of a JSON
  // answer, code fences stripped); passes the text filter like the content would.
  std::optional<std::string_view> content;
};

// {"content","provider","model","stop_reason","raw_stop_reason","reasoning" (only when not empty),
//  "usage":{…},"cost":{"input","output","total"} (each null when unpriced),"response_time_s",
//  "request_id","served_by","alias" (null when empty),"attempts","failed_attempts":[…],"warnings":[…]}
MAJORDOMO_API void append_response_json(std::string& out, const Response& response,
                                        const ResponseJsonOptions& options = {});
[[nodiscard]] MAJORDOMO_API std::string response_json(const Response& response,
                                                      const ResponseJsonOptions& options = {});

// {"error":{"kind","message","http_status" (null when 0),"provider","failed_attempts":[…]},
//  "partial_content" (only when not empty)}
MAJORDOMO_API void append_error_json(std::string& out, const ErrorDetails& error,
                                     const JsonTextFilters& filters = {});
[[nodiscard]] MAJORDOMO_API std::string error_json(const ErrorDetails& error, const JsonTextFilters& filters = {});

// [{"provider","model","kind","http_status" (null when 0),"message","waited_ms"}…]
MAJORDOMO_API void append_failed_attempts_json(std::string& out, const std::vector<FailedAttempt>& attempts,
                                               const JsonTextFilters& filters = {});

// (0.4) A request as sent (call_record.hpp): {"method","url","headers":[{"name","value"}…],"body",
// "proxy" (null when direct)}. Its fields are redacted already; the filters still apply.
MAJORDOMO_API void append_sent_request_json(std::string& out, const SentRequest& request,
                                            const JsonTextFilters& filters = {});

// (0.4) Call records, in order: [{"provider","model","operation","request" (append_sent_request_json,
// null when none or when `with_requests` is false),"api_key_hash","metadata":{name:value…},
// "error" (null when the attempt answered, else {"kind","http_status","message"}),"request_id",
// "response_model","stop_reason","usage":{…},"cost":{…},"response_time_s","waited_ms"}…]
MAJORDOMO_API void append_records_json(std::string& out, const std::vector<AttemptRecord>& records,
                                       const JsonTextFilters& filters = {}, bool with_requests = true);

// {"input_tokens","output_tokens","cached_tokens","cache_write_tokens","reasoning_tokens"}
MAJORDOMO_API void append_usage_json(std::string& out, const Usage& usage);

}  // namespace majordomo
