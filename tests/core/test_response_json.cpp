// The one serialisation of answers, errors and failed attempts (response_json.hpp), pinned byte for byte.
#include <majordomo/response_json.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <utility>

namespace {

majordomo::FailedAttempt attempt(std::string provider, int http_status, std::string message, int64_t waited_ms) {
  majordomo::FailedAttempt failed;
  failed.provider = std::move(provider);
  failed.model = "m-1";
  failed.kind = http_status == 0 ? majordomo::ErrorKind::connection : majordomo::ErrorKind::overloaded;
  failed.http_status = http_status;
  failed.message = std::move(message);
  failed.waited_ms = waited_ms;
  return failed;
}

majordomo::Response full_response() {
  majordomo::Response response;
  response.content = "Hello \"world\"\n";
  response.reasoning = "think";
  response.usage = {12, 7, 3, 1, 2};
  response.cost = {0.25, 0.5, 0.75, true};
  response.response_time = std::chrono::duration<double>(1.5);
  response.stop_reason = majordomo::StopReason::end_turn;
  response.raw_stop_reason = "stop";
  response.provider = "openai";
  response.model = "gpt-x";
  response.request_id = "req_1";
  response.served_by = "openai:gpt-x";
  response.alias = "fast";
  response.attempts = 2;
  response.failed_attempts = {attempt("anthropic", 529, "busy", 412), attempt("anthropic", 0, "refused", 0)};
  response.warnings = {"model renamed", "second"};
  return response;
}

// A filter that shows where it ran.
std::string tagged(std::string_view tag, std::string_view text) { return std::string(tag) + std::string(text); }

}  // namespace

TEST_CASE("response_json writes the answer object of ask --output json", "[response_json]") {
  CHECK(majordomo::response_json(full_response()) ==
        R"({"content":"Hello \"world\"\n","provider":"openai","model":"gpt-x","stop_reason":"end_turn",)"
        R"("raw_stop_reason":"stop","reasoning":"think","usage":{"input_tokens":12,"output_tokens":7,)"
        R"("cached_tokens":3,"cache_write_tokens":1,"reasoning_tokens":2},"cost":{"input":0.25,"output":0.5,)"
        R"("total":0.75},"response_time_s":1.5,"request_id":"req_1","served_by":"openai:gpt-x","alias":"fast",)"
        R"("attempts":2,"failed_attempts":[{"provider":"anthropic","model":"m-1","kind":"overloaded",)"
        R"("http_status":529,"message":"busy","waited_ms":412},{"provider":"anthropic","model":"m-1",)"
        R"("kind":"connection","http_status":null,"message":"refused","waited_ms":0}],)"
        R"("warnings":["model renamed","second"],"tool_calls":[],"continuation":null})");
}

TEST_CASE("response_json of a bare answer: nulls for unpriced cost, served_by and alias, no reasoning",
          "[response_json]") {
  majordomo::Response response;
  response.content = "x";
  CHECK(majordomo::response_json(response) ==
        R"({"content":"x","provider":"","model":"","stop_reason":"unknown","raw_stop_reason":"",)"
        R"("usage":{"input_tokens":0,"output_tokens":0,"cached_tokens":0,"cache_write_tokens":0,)"
        R"("reasoning_tokens":0},"cost":{"input":null,"output":null,"total":null},"response_time_s":0,)"
        R"("request_id":"","served_by":null,"alias":null,"attempts":1,"failed_attempts":[],"warnings":[],)"
        R"("tool_calls":[],"continuation":null})");
}

TEST_CASE("response_json passes texts and values through the caller's filters", "[response_json]") {
  majordomo::ResponseJsonOptions options;
  options.filters.text = [](std::string_view text) { return tagged("t:", text); };
  options.filters.value = [](std::string_view value) { return tagged("v:", value); };
  options.content = R"({"checked":true})";
  majordomo::Response response = full_response();
  response.failed_attempts.resize(1);
  response.warnings.resize(1);
  response.served_by.clear();
  // (0.5) Arguments are filtered as text and kept as a JSON value while they stay JSON; this
  // filter breaks them, so they are shown as their (filtered) text.
  response.tool_calls.push_back(majordomo::ToolCall{"call_1", "get_weather", R"({"city":"Paris"})",
                                                    majordomo::ToolCallProblem::none, {}});
  response.continuation.provider = "anthropic";
  response.continuation.model = "claude-haiku-4-5";
  response.continuation.items = {"signed"};
  CHECK(majordomo::response_json(response, options) ==
        R"({"content":"t:{\"checked\":true}","provider":"v:openai","model":"v:gpt-x","stop_reason":"end_turn",)"
        R"("raw_stop_reason":"v:stop","reasoning":"t:think","usage":{"input_tokens":12,"output_tokens":7,)"
        R"("cached_tokens":3,"cache_write_tokens":1,"reasoning_tokens":2},"cost":{"input":0.25,"output":0.5,)"
        R"("total":0.75},"response_time_s":1.5,"request_id":"v:req_1","served_by":null,"alias":"v:fast",)"
        R"("attempts":2,"failed_attempts":[{"provider":"v:anthropic","model":"v:m-1","kind":"overloaded",)"
        R"("http_status":529,"message":"t:busy","waited_ms":412}],"warnings":["t:model renamed"],)"
        R"("tool_calls":[{"id":"v:call_1","name":"v:get_weather","arguments":"t:{\"city\":\"Paris\"}",)"
        R"("problem":null,"problem_detail":null}],"continuation":{"provider":"v:anthropic","model":"v:claude-haiku-4-5","items":["t:signed"]}})");
}

TEST_CASE("response_json writes tool calls' arguments as JSON values, and their problems", "[response_json][tools]") {
  majordomo::Response response;
  response.tool_calls.push_back(majordomo::ToolCall{"call_1", "get_weather", R"({"city": "Paris"})",
                                                    majordomo::ToolCallProblem::none, {}});
  response.tool_calls.push_back(majordomo::ToolCall{"", "get_weather", R"({"city":)",
                                                    majordomo::ToolCallProblem::cut_off, "raise max_tokens"});
  const std::string json = majordomo::response_json(response);
  CHECK_THAT(json, Catch::EndsWith(
      R"("tool_calls":[{"id":"call_1","name":"get_weather","arguments":{"city":"Paris"},"problem":null,)"
      R"("problem_detail":null},{"id":"","name":"get_weather","arguments":"{\"city\":","problem":"cut_off",)"
      R"("problem_detail":"raise max_tokens"}],"continuation":null})"));
}

TEST_CASE("response_json without filters replaces invalid UTF-8 and NUL", "[response_json]") {
  majordomo::Response response;
  response.content = std::string("a\xff" "b\0c", 5);
  const std::string json = majordomo::response_json(response);
  CHECK(json.rfind("{\"content\":\"a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c\",", 0) == 0);
}

TEST_CASE("error_json writes the error object of ask --output json", "[response_json]") {
  majordomo::ErrorDetails error;
  error.kind = majordomo::ErrorKind::rate_limited;
  error.message = "slow down";
  error.provider = "openai";
  error.http_status = 429;
  error.provider_error_type = "not written";
  error.request_id = "not written either";
  error.failed_attempts = {attempt("openai", 503, "busy", 100)};
  CHECK(majordomo::error_json(error) ==
        R"({"error":{"kind":"rate_limited","message":"slow down","http_status":429,"provider":"openai",)"
        R"("failed_attempts":[{"provider":"openai","model":"m-1","kind":"overloaded","http_status":503,)"
        R"("message":"busy","waited_ms":100}]}})");

  majordomo::ErrorDetails broken;
  broken.kind = majordomo::ErrorKind::truncated;
  broken.message = "cut";
  broken.partial_content = "half an ans";
  majordomo::JsonTextFilters filters;
  filters.text = [](std::string_view text) { return tagged("t:", text); };
  filters.value = [](std::string_view value) { return tagged("v:", value); };
  CHECK(majordomo::error_json(broken, filters) ==
        R"({"error":{"kind":"truncated","message":"t:cut","http_status":null,"provider":"v:",)"
        R"("failed_attempts":[]},"partial_content":"t:half an ans"})");
}

TEST_CASE("the append_ forms add to what the string holds", "[response_json]") {
  std::string out = "[";
  majordomo::append_failed_attempts_json(out, {attempt("p", 0, "m", 5)});
  out += ",";
  majordomo::append_usage_json(out, {1, 2, 3, 4, 5});
  out += ",";
  majordomo::append_error_json(out, majordomo::ErrorDetails{});
  out += ",";
  majordomo::Response response;
  response.cost.priced = true;
  majordomo::append_response_json(out, response);
  out += "]";
  CHECK(out.rfind(R"([[{"provider":"p","model":"m-1","kind":"connection","http_status":null,"message":"m",)"
                  R"("waited_ms":5}],{"input_tokens":1,"output_tokens":2,"cached_tokens":3,"cache_write_tokens":4,)"
                  R"("reasoning_tokens":5},{"error":{"kind":"server","message":"","http_status":null,"provider":"",)"
                  R"("failed_attempts":[]}},{"content":"",)", 0) == 0);
  CHECK(out.find(R"("cost":{"input":0,"output":0,"total":0})") != std::string::npos);
  CHECK(out.back() == ']');
}
