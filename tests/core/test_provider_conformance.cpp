// The call scenarios every provider must pass alike, written once and run for each row of provider_table.hpp.
#include "provider_table.hpp"
#include "scoped_env.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace majordomo;
using namespace majordomo::testing;

namespace {

// One recorded answer and what it must decode to; unset fields are not checked.
struct FixtureCase {
  const char* provider;
  const char* fixture;
  std::optional<bool> stream;  // unset: both ways (the Responses fixtures replay either way)
  std::string content;
  std::size_t content_size;  // 0: `content` is all of it, else its start
  std::optional<std::string> reasoning;
  StopReason stop;
  const char* raw_stop;
  int64_t input, output;
  std::optional<int64_t> cached, reasoning_tokens;
  const char* model;       // nullptr: not checked
  const char* request_id;  // nullptr: the fake's own req_fake_ id, "": not checked
};

const std::string kOpenAILocation = R"({"city":"San Francisco","temperature":65,"units":"f"})";
const std::string kTaxText =
    "I'll create a comprehensive tax guide for someone with multiple W2s and save it in a file "
    "called taxes.txt. Let me do that for you now.";
const std::string kThinkingTools =
    "I will first find the sales summary for 29th September 2023. Then, I will find the details of the "
    "products in the 'Electronics' category.";
const std::string kDeepSeekReasoning =
    "Okay, the user wrote \"hello\". That's pretty straightforward. I should respond in a friendly "
    "and welcoming manner. Maybe say \"Hello! How can I assist you today?\" to prompt them to ask for "
    "help. Keep it open-ended so they feel comfortable to ask anything. Let me check for any typos and "
    "make sure the tone is right. Yep, that sounds good. Send it off.";

// Expected values were read off the fixture files by hand, not produced by our decoders.
const std::vector<FixtureCase>& fixture_cases() {
  const std::optional<std::string> none = std::string();
  const std::optional<bool> json = false, stream = true, both = std::nullopt;
  const auto e = StopReason::end_turn, m = StopReason::max_tokens, t = StopReason::tool_use;
  static const std::vector<FixtureCase> cases = {
      {"openai", "openai/chat_completion.json", json, answers::openai_hello, 0, {}, e, "stop", 19, 10, {}, {}, nullptr, nullptr},
      {"openai", "openai/chat_completion_length.json", json, "{\"", 0, {}, m, "length", 79, 1, {}, {}, nullptr, nullptr},
      {"openai", "openai/chat_completion_tool_calls.json", json, "", 0, {}, t, "tool_calls", 76, 24, {}, {}, nullptr, nullptr},
      {"openai", "openai/structured_output.json", json, kOpenAILocation, 0, {}, e, "stop", 79, 14, {}, {}, nullptr, nullptr},
      {"openai", "openai/chat_completion_stream.sse", stream, answers::openai_weather, 0, {}, e, "stop", 14, 30, {}, {}, nullptr, nullptr},
      {"openai", "openai/stream_length_truncated.sse", stream, "{\"", 0, {}, m, "length", 79, 1, {}, {}, nullptr, nullptr},
      {"openai", "openai/stream_n3_choices.sse", stream, kOpenAILocation, 0, {}, e, "stop", 79, 42, {}, {}, nullptr, nullptr},
      {"openai", "openai/stream_parallel_tool_calls.sse", stream, "", 0, {}, t, "tool_calls", 149, 60, {}, {}, nullptr, nullptr},
      {"openai-responses", "openai/responses.json", both, "Arr, matey! How can I assist ye today?", 0, {}, e, "completed",
       26, 13, 0, 0, "gpt-4o-mini-2024-07-18", nullptr},
      {"openai-responses", "openai/responses_reasoning.json", both, "Ahoy! How can I help you today?", 0, {}, e, "completed",
       23, 89, 0, 64, "gpt-5-2025-08-07", nullptr},
      {"openai-responses", "openai/responses_structured_output.json", both,
       R"({"animal_data_list":["Lion","Elephant","Giraffe","Kangaroo","Penguin"]})", 0, {}, e, "completed", 48, 23, 0, 0,
       "gpt-4o-mini-2024-07-18", nullptr},
      {"openai-responses", "openai/responses_incomplete.json", both,
       "Mango sun-kissed sweet,  \nGolden nectar drips like rain,  \nSummer's bliss revealed", 0, {}, m,
       "max_output_tokens", 14, 20, 0, 0, "gpt-4o-mini-2024-07-18", nullptr},
      {"openai-responses", "openai/responses_stream.sse", both, answers::openai_hello, 0, {}, e, "completed", 11, 10, 0, 0,
       "gpt-4o-mini-2024-07-18", nullptr},
      {"openai-responses", "openai/responses_stream_function_call.sse", both, "", 0, {}, t, "completed", 74, 20, 0, 0,
       "gpt-4o-mini-2024-07-18", nullptr},
      {"openai-responses", "openai/responses_stream_incomplete.sse", both,
       "Rivers are vital components of Earth's hydrological system, serving as lifelines for", 0, {}, m,
       "max_output_tokens", 16, 16, 0, 0, "gpt-4o-mini-2024-07-18", nullptr},
      {"anthropic", "anthropic/message.json", json, answers::anthropic_weather, 0, none, e, "end_turn", 770, 26, 0, {},
       "claude-haiku-4-5-20251001", nullptr},
      {"anthropic", "anthropic/message_text_and_tool_use.json", json,
       "I'll get the weather for each of those cities. Let me start by checking San Francisco.", 0, none, t, "tool_use",
       701, 93, 0, {}, "claude-haiku-4-5-20251001", nullptr},
      {"anthropic", "anthropic/structured_output.json", json, R"({"product_name": "Green Tea", "price": 5.50, "quantity": 2})",
       0, none, e, "end_turn", 249, 26, 0, {}, "claude-sonnet-4-5-20250929", nullptr},
      {"anthropic", "anthropic/message_stream.sse", stream, "Hello there!", 0, none, e, "end_turn", 11, 6, 0, {},
       "claude-3-opus-latest", nullptr},
      {"anthropic", "anthropic/stream_max_tokens_partial_tool_input.sse", stream, kTaxText, 0, none, m, "max_tokens", 450,
       124, 0, {}, "claude-3-7-sonnet-20250219", nullptr},
      {"anthropic", "anthropic/stream_thinking.sse", stream, answers::anthropic_greeting, 0, answers::anthropic_thinking, e,
       "end_turn", 778, 104, 0, {}, "claude-3-7-sonnet-20250219", nullptr},
      {"anthropic", "anthropic/stream_tool_use_padded.sse", stream, "", 0, none, t, "tool_use", 656, 74, 0, {},
       "claude-haiku-4-5-20251001", nullptr},
      {"gemini", "gemini/generate_content.json", json, "Hello!", 6, none, e, "STOP", 3, 2 + 17, 0, 17, "gemini-2.5-flash",
       "FugfaZasF6ra2roP_9i9KQ"},
      {"gemini", "gemini/structured_output.json", json, "[\n  {\n    \"recipeName\": \"Chocolate Chip Cookies\",", 495,
       none, e, "STOP", 10, 143 + 528, 0, 528, "gemini-2.5-flash", "mQ9haJL8M4KMz7IPv7uKmQc"},
      {"gemini", "gemini/stream_generate_content.sse", stream, answers::gemini_tetris_prefix, 19149, none, e, "STOP", 4,
       5947 + 2042, 0, 2042, "gemini-2.5-flash", "IZI2acSKMoWl0-kPmYj2yQc"},
      {"gemini", "gemini/stream_multibyte_ja.sse", stream, answers::gemini_ja, answers::gemini_ja.size(), none, e, "STOP", 138, 15, 0, 0,
       "gemini-2.5-flash", "45I2aaWZBumm2roPm8HR0Ao"},
      {"gemini", "gemini/stream_function_call_thought_signature.sse", stream, "", 0, none, t, "STOP", 83, 14 + 104, 0, 104,
       "gemini-2.5-flash", "qpc2afWVFJK4vr0Pq6WiyAU"},
      {"deepseek", "deepseek/chat_completion.json", json, "Hello! How can I assist you today?", 0, kDeepSeekReasoning, e,
       "stop", 6, 92, 0, 81, "deepseek-reasoner", ""},
      {"deepseek", "deepseek/structured_output.json", json,
       "{\n    \"question\": \"Which is the longest river in the world?\",\n    \"answer\": \"The Nile River\"\n}", 0,
       none, e, "stop", 88, 24, 64, 0, "deepseek-chat", ""},
      {"deepseek", "deepseek/chat_completion_stream.sse", stream, "Hello! How can I help you today?", 0,
       std::string("Okay, the user said \"hi\". I should greet them back warmly."), e, "stop", 6, 27, 0, 16,
       "deepseek-reasoner", ""},
      {"cohere", "cohere/structured_output.json", json,
       R"({"title":"The Great Gatsby","author":"F. Scott Fitzgerald","publication_year":1925})", 0, none, e, "COMPLETE",
       27, 24, {}, {}, nullptr, ""},
      {"cohere", "cohere/chat_tool_calls_thinking.json", json, "", 0, kThinkingTools, t, "TOOL_CALL", 127, 69, {}, {},
       nullptr, ""},
      {"cohere", "cohere/chat_stream.sse", stream, answers::cohere_coca_cola, 0, none, e, "COMPLETE", 21, 105, {}, {},
       nullptr, ""},
      {"cohere", "cohere/chat_stream_citations.sse", stream, "Both Nsync and Backstreet Boys were", 0, none, e, "COMPLETE",
       18, 6, {}, {}, nullptr, ""},
      {"cohere", "cohere/chat_stream_tool_plan_and_calls.sse", stream, "", 0, none, t, "TOOL_CALL", 126, 84, {}, {},
       nullptr, ""},
  };
  return cases;
}

// Prices per token of the requested model where a row checks the split of the cost.
std::optional<std::pair<double, double>> usd_per_token(const ProviderRow& row) {
  if (row.id == "anthropic") return std::pair{1.0e-6, 5.0e-6};  // claude-haiku-4-5
  if (row.id == "gemini") return std::pair{0.30e-6, 2.50e-6};   // gemini-2.5-flash; thinking billed as output
  return std::nullopt;
}

void check_replay(const ProviderTestEnv& env, const ProviderRow& row, const FixtureCase& c, bool stream,
                  const Response& response) {
  if (c.content_size == 0) CHECK(response.content == c.content);
  else CHECK(response.content.substr(0, c.content.size()) == c.content);
  if (c.content_size != 0) CHECK(response.content.size() == c.content_size);
  if (c.reasoning) CHECK(response.reasoning == *c.reasoning);
  CHECK(response.stop_reason == c.stop);
  CHECK(response.raw_stop_reason == c.raw_stop);
  CHECK(response.usage.input_tokens == c.input);
  CHECK(response.usage.output_tokens == c.output);
  if (c.cached) CHECK(response.usage.cached_tokens == *c.cached);
  if (row.id == "anthropic") CHECK(response.usage.cache_write_tokens == 0);
  if (c.reasoning_tokens) CHECK(response.usage.reasoning_tokens == *c.reasoning_tokens);
  if (c.model) CHECK(response.model == c.model);
  CHECK(response.provider == row.id);
  if (c.request_id == nullptr) CHECK(response.request_id.rfind("req_fake_", 0) == 0);
  else if (*c.request_id != '\0') CHECK(response.request_id == c.request_id);
  CHECK(response.cost.priced);
  CHECK(response.cost.total > 0);
  CHECK(response.cost.total == Approx(response.cost.input + response.cost.output));
  if (const auto price = usd_per_token(row)) {
    CHECK(response.cost.input == Approx(c.input * price->first));
    CHECK(response.cost.output == Approx(c.output * price->second));
  }
  CHECK(response.response_time.count() > 0);
  const auto requests = env.server.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].uri == row.version_path + row.api_path(stream));
  CHECK(requests[0].protocol == row.protocol);
  if (row.body_names_model) {
    const auto body = parse_object(requests[0].body);
    CHECK(body->optValue("stream", false) == stream);
    CHECK(body->getValue<std::string>("model") == row.model);
    if (row.protocol == "openai-responses") CHECK_FALSE(body->has("messages"));
  }
}

}  // namespace

TEST_CASE("every provider replays its recorded fixtures with content, usage, stop reason and cost", "[conformance]") {
  ProviderTestEnv env;
  for (const auto& c : fixture_cases()) {
    const ProviderRow& row = provider_row(c.provider);
    for (const bool stream : {false, true}) {
      if (c.stream && *c.stream != stream) continue;
      DYNAMIC_SECTION(row.name << " " << c.fixture << (stream ? " as a stream" : " as JSON")) {
        env.push_fixture(c.fixture);
        const Response response = ask(*row.llm(env), stream, "What's the weather?");
        check_replay(env, row, c, stream, response);
      }
    }
  }
}

TEST_CASE("every provider sends its key once in its own header, and request headers over instance ones",
          "[conformance][pipeline]") {
  ProviderTestEnv env;
  for (const auto& row : provider_rows()) {
    for (const bool stream : {false, true}) {
      DYNAMIC_SECTION(row.name << (stream ? " stream" : " json")) {
        const auto plain = only_request(env, [&] { ask(*row.llm(env), stream); });
        CHECK(ProviderTestEnv::only_header(plain, row.auth_header) == row.auth_value(row.api_key));
        CHECK(ProviderTestEnv::only_header(plain, row.other_auth_header) == "<absent>");
        for (const auto& [name, value] : row.version_headers) CHECK(ProviderTestEnv::only_header(plain, name) == value);
        CHECK(ProviderTestEnv::only_header(plain, "Content-Type") == "application/json");
        CHECK(ProviderTestEnv::only_header(plain, "Accept") == (stream ? "text/event-stream" : "application/json"));
        CHECK(ProviderTestEnv::only_header(plain, "Host") == "127.0.0.1:" + std::to_string(env.server.port()));
        CHECK(plain.uri == row.version_path + row.api_path(stream));
        CHECK(plain.uri.find("key=") == std::string::npos);
        // The fake is not the provider's own endpoint: a gateway header where the provider has one.
        CHECK(ProviderTestEnv::only_header(plain, "x-majordomo-provider") ==
              (row.gateway_header.empty() ? "<absent>" : row.id));

        ClientOptions layered = row.options(env);
        layered.default_headers.set("X-Trace-Tag", "instance-value");
        layered.default_headers.set("X-Team", "search");
        const auto llm = row.llm(env, layered);
        CHECK(ProviderTestEnv::only_header(only_request(env, [&] { ask(*llm, stream); }), "X-Trace-Tag") ==
              "instance-value");
        RequestOptions request;
        request.extra_headers.set("x-trace-tag", "request-value");
        const auto overridden = only_request(env, [&] { ask(*llm, stream, "hi", request); });
        CHECK(ProviderTestEnv::only_header(overridden, "X-Trace-Tag") == "request-value");
        CHECK(ProviderTestEnv::only_header(overridden, "X-Team") == "search");
        CHECK(ProviderTestEnv::only_header(overridden, row.auth_header) == row.auth_value(row.api_key));
        // The spelling on the wire is the one of the layer that won.
        bool request_spelling = false;
        for (const auto& header : overridden.headers) request_spelling |= header.name == "x-trace-tag";
        CHECK(request_spelling);

        // The dry run shows the same request with the key hidden.
        const auto resolved = llm->resolve(LLMRequest::from_prompt("hi", request), stream);
        REQUIRE(resolved.size() == 1);
        CHECK(resolved[0].url == env.server.origin() + overridden.uri);
        CHECK(resolved[0].body == overridden.body);
        CHECK(header_name_equals(resolved[0].auth_header, row.auth_header));
        const HeaderSet redacted = resolved[0].redacted_headers();
        REQUIRE(redacted.find(row.auth_header) != nullptr);
        CHECK(*redacted.find(row.auth_header) == row.auth_value("[REDACTED]"));
        CHECK(*redacted.find("x-trace-tag") == "request-value");
        for (const auto& header : redacted) {
          CHECK(ProviderTestEnv::only_header(overridden, header.name) ==
                (header_name_equals(header.name, row.auth_header) ? row.auth_value(row.api_key) : header.value));
          CHECK(header.value.find(row.api_key) == std::string::npos);
        }
      }
    }
  }
}

TEST_CASE("every provider's base URL: a gateway prefix, its env vars, the option over the env var, the default",
          "[conformance][pipeline]") {
  ProviderTestEnv env;
  for (const auto& row : provider_rows()) {
    DYNAMIC_SECTION(row.name << " option with a path prefix, with and without a trailing slash") {
      const std::string prefix = "/gateway/" + row.name;
      for (const char* slash : {"", "/"}) {
        ClientOptions options = row.options(env);
        options.base_url = env.server.origin() + prefix + row.version_path + slash;
        const auto llm = row.llm(env, options);
        for (const bool stream : {false, true}) {
          CHECK(only_request(env, [&] { ask(*llm, stream); }).uri == prefix + row.version_path + row.api_path(stream));
        }
      }
    }
    DYNAMIC_SECTION(row.name << " base URL and key from the env vars") {
      const std::string base = env.server.origin() + "/from-env" + row.version_path;
      const std::string key = row.api_key + "-from-env";
      std::shared_ptr<LLM> llm;
      {
        const ScopedEnv vars{{row.base_url_env.c_str(), base.c_str()}, {row.api_key_env.c_str(), key.c_str()}};
        llm = row.llm(env, ClientOptions{});
      }
      const auto wire = only_request(env, [&] { ask(*llm, false); });
      CHECK(wire.uri == "/from-env" + row.version_path + row.api_path(false));
      CHECK(ProviderTestEnv::only_header(wire, row.auth_header) == row.auth_value(key));
    }
    DYNAMIC_SECTION(row.name << " the option wins over the env var") {
      const std::string base = env.server.origin() + "/from-env" + row.version_path;
      std::shared_ptr<LLM> llm;
      {
        const ScopedEnv vars{{row.base_url_env.c_str(), base.c_str()}};
        ClientOptions options = row.options(env);
        options.base_url = env.server.origin() + "/from-option" + row.version_path;
        llm = row.llm(env, options);
      }
      for (const bool stream : {false, true}) {
        CHECK(only_request(env, [&] { ask(*llm, stream); }).uri == "/from-option" + row.version_path + row.api_path(stream));
      }
    }
    DYNAMIC_SECTION(row.name << " the default base URL, without the gateway header") {
      ClientOptions options;
      options.api_key = row.api_key;
      const auto llm = row.llm(env, options);
      for (const bool stream : {false, true}) {
        const auto resolved = llm->resolve(LLMRequest::from_prompt("hi"), stream);
        REQUIRE(resolved.size() == 1);
        CHECK(resolved[0].url == row.default_base_url + row.api_path(stream));
        CHECK(resolved[0].headers.find("x-majordomo-provider") == nullptr);
        CHECK(*resolved[0].redacted_headers().find(row.auth_header) == row.auth_value("[REDACTED]"));
      }
    }
  }
}

TEST_CASE("every plugin declares its name, default base URL and env vars", "[conformance]") {
  ProviderTestEnv env;
  for (const auto& row : provider_rows()) {
    CAPTURE(row.name);
    const PluginInfo* info = env.host.find_plugin(row.id);
    REQUIRE(info != nullptr);
    CHECK(info->display_name == row.display_name);
    CHECK(info->default_base_url == row.default_base_url);
    CHECK(info->api_key_env == row.api_key_env);
    CHECK(info->base_url_env == row.base_url_env);
  }
}

TEST_CASE("every provider refuses an empty key and an invalid header before a byte is sent", "[conformance][pipeline]") {
  ProviderTestEnv env;
  for (const auto& row : provider_rows()) {
    CAPTURE(row.name);
    ClientOptions options = row.options(env);
    options.api_key = "";
    CHECK_THROWS_AS(row.llm(env, options), ConfigurationError);
    RequestOptions request;
    request.extra_headers.set("X-Evil", "ok\r\nX-Injected: 1");
    CHECK_THROWS_AS(row.llm(env)->get_response("hi", request), ConfigurationError);
    CHECK_THROWS_AS(row.llm(env)->get_response_stream("hi", request), ConfigurationError);
  }
  CHECK(env.server.requests().empty());
}

namespace {

// A recorded error answer and the typed error it must become; unset fields are not checked.
struct ErrorFixtureCase {
  const char* provider;
  const char* fixture;
  std::vector<fake::Header> headers;
  std::optional<bool> stream;  // unset: both ways
  ErrorKind kind;
  int status;
  std::string type;
  std::string what_starts, what_contains;
  std::optional<int64_t> retry_after_ms;  // 0: none at all
  std::string request_id;
};

const std::vector<ErrorFixtureCase>& error_fixture_cases() {
  const std::optional<bool> json = false, stream = true, both = std::nullopt;
  const auto limited = ErrorKind::rate_limited, bad = ErrorKind::bad_request;
  static const std::vector<ErrorFixtureCase> cases = {
      {"openai", "openai/error_429.json", {{"retry-after", "2"}, {"x-request-id", "req_limited"}}, json, limited, 429,
       "rate_limit_exceeded", "", "Rate limit reached for gpt-4o", 2000, "req_limited"},
      {"openai", "openai/error_400.json", {}, stream, bad, 400, "unsupported_parameter", "", "Unsupported parameter", {}, ""},
      {"openai-responses", "openai/responses_error_400.json", {}, both, bad, 400, "invalid_request_error", "",
       "Unsupported parameter: 'temperature'", {}, ""},
      {"openai-responses", "openai/error_429.json", {{"retry-after", "3"}}, both, limited, 429, "rate_limit_exceeded", "",
       "", 3000, ""},
      {"anthropic", "anthropic/error_429.json", {{"retry-after", "2"}, {"x-should-retry", "true"}}, json, limited, 429,
       "rate_limit_error", "Anthropic 429: This request would exceed your organization's rate limit", "", 2000,
       // The body's id wins over the fake's request-id header; both name the same request in reality.
       "req_011CYK5n67SytMUxm8WMZUWY"},
      {"anthropic", "anthropic/error_400.json", {}, stream, bad, 400, "invalid_request_error", "",
       "unexpected `tool_use_id` found in `tool_result` blocks", 0, "req_011CYHyk9NPsBYeGbC9LuDNK"},
      {"gemini", "gemini/error_429.json", {}, json, limited, 429, "RESOURCE_EXHAUSTED",
       "Gemini 429: You exceeded your current quota", "", 26000, ""},
      // API_KEY_INVALID comes as a 400 but is an authentication error.
      {"gemini", "gemini/error_400.json", {}, stream, ErrorKind::authentication, 400, "INVALID_ARGUMENT",
       "Gemini 400: API key not valid. Please pass a valid API key.", "", 0, ""},
      // `code` says invalid_request_error even here; `type` is the telling tag.
      {"deepseek", "deepseek/error_429.json", {}, json, limited, 429, "rate_limit_error", "",
       "Your current concurrency is 26", {}, ""},
      {"deepseek", "deepseek/error_400.json", {}, stream, bad, 400, "invalid_request_error", "",
       "maximum context length is 131072 tokens", {}, ""},
      {"cohere", "cohere/error_429.json", {}, json, limited, 429, "", "",
       "You are using a Trial key, which is limited to 40 API calls / minute.", {}, "8f3c2d1e-5b7a-4c9e-a1d2-3e4f5a6b7c8d"},
      {"cohere", "cohere/error_400.json", {}, stream, bad, 400, "", "",
       "invalid request: message must be at least 1 token long", {}, ""},
  };
  return cases;
}

void check_error(const Error& error, const ProviderRow& row, const ErrorFixtureCase& c) {
  CHECK(error.kind() == c.kind);
  CHECK(error.http_status() == c.status);
  CHECK(error.provider() == row.id);
  if (!c.type.empty()) CHECK(error.provider_error_type() == c.type);
  if (!c.what_starts.empty()) CHECK_THAT(error.what(), Catch::StartsWith(c.what_starts));
  if (!c.what_contains.empty()) CHECK_THAT(error.what(), Catch::Contains(c.what_contains));
  if (c.retry_after_ms && *c.retry_after_ms == 0) CHECK_FALSE(error.retry_after_ms());
  if (c.retry_after_ms && *c.retry_after_ms > 0) {
    REQUIRE(error.retry_after_ms());
    CHECK(*error.retry_after_ms() == *c.retry_after_ms);
  }
  if (!c.request_id.empty()) CHECK(error.request_id() == c.request_id);
}

// An error answer in each provider's own envelope: HTTP status, error type, "scripted failure".
struct StatusCase {
  const char* provider;
  int status;
  const char* type;  // nullptr: an HTML page from something in between
  ErrorKind kind;
};

std::string error_envelope(const ProviderRow& row, int status, const char* type) {
  if (row.id == "anthropic")
    return fmt::format(R"({{"type":"error","error":{{"type":"{}","message":"scripted failure"}}}})", type);
  if (row.id == "gemini")
    return fmt::format(R"({{"error":{{"code":{},"message":"scripted failure","status":"{}"}}}})", status, type);
  return fmt::format(R"({{"error":{{"message":"scripted failure","type":"{}","param":null,"code":null}}}})", type);
}

const std::vector<StatusCase>& status_cases() {
  using K = ErrorKind;
  static const std::vector<StatusCase> cases = {
      {"openai", 401, "server_error", K::authentication}, {"openai", 403, "server_error", K::permission},
      {"openai", 404, "server_error", K::not_found},      {"openai", 500, "server_error", K::server},
      {"openai", 503, "server_error", K::overloaded},     {"openai", 502, nullptr, K::server},
      {"anthropic", 401, "authentication_error", K::authentication}, {"anthropic", 402, "billing_error", K::permission},
      {"anthropic", 403, "permission_error", K::permission},         {"anthropic", 404, "not_found_error", K::not_found},
      {"anthropic", 413, "request_too_large", K::bad_request},       {"anthropic", 500, "api_error", K::server},
      {"anthropic", 504, "timeout_error", K::timeout},               {"anthropic", 529, "overloaded_error", K::overloaded},
      // An error type we do not know falls back to the status.
      {"anthropic", 503, "some_future_error", K::overloaded},        {"anthropic", 502, nullptr, K::server},
      {"gemini", 400, "INVALID_ARGUMENT", K::bad_request},  {"gemini", 400, "FAILED_PRECONDITION", K::bad_request},
      {"gemini", 401, "UNAUTHENTICATED", K::authentication}, {"gemini", 403, "PERMISSION_DENIED", K::permission},
      {"gemini", 404, "NOT_FOUND", K::not_found},            {"gemini", 500, "INTERNAL", K::server},
      {"gemini", 503, "UNAVAILABLE", K::overloaded},         {"gemini", 504, "DEADLINE_EXCEEDED", K::timeout},
      // A status we do not know falls back to the HTTP status.
      {"gemini", 502, "SOMETHING_NEW", K::server},           {"gemini", 502, nullptr, K::server},
  };
  return cases;
}

}  // namespace

TEST_CASE("every provider's recorded error answers become typed errors with the provider's details",
          "[conformance][errors]") {
  ProviderTestEnv env;
  for (const auto& c : error_fixture_cases()) {
    const ProviderRow& row = provider_row(c.provider);
    for (const bool stream : {false, true}) {
      if (c.stream && *c.stream != stream) continue;
      DYNAMIC_SECTION(row.name << " " << c.fixture << (stream ? " as a stream" : " as JSON")) {
        env.push_fixture(c.fixture, c.headers);
        const auto llm = row.llm(env);
        check_error(thrown_by([&] { ask(*llm, stream); }), row, c);
      }
    }
  }
}

TEST_CASE("every provider maps HTTP statuses and error types to error kinds", "[conformance][errors]") {
  ProviderTestEnv env;
  for (const auto& c : status_cases()) {
    const ProviderRow& row = provider_row(c.provider);
    DYNAMIC_SECTION(row.name << " status " << c.status << " " << (c.type ? c.type : "html")) {
      env.server.push_response(c.type ? json_body(error_envelope(row, c.status, c.type), c.status)
                                      : scripted("text/html", "<html>\r\n<body>bad gateway</body>\r\n</html>", c.status));
      const Error error = thrown_by([&] { (void)row.llm(env)->get_response("hi"); });
      CHECK(error.kind() == c.kind);
      CHECK(error.http_status() == c.status);
      CHECK_THAT(error.what(), Catch::Contains(std::to_string(c.status)));
      if (row.id == "anthropic" || row.id == "openai") CHECK(error.request_id().rfind("req_fake_", 0) == 0);
      if (c.type == nullptr) {
        CHECK_THAT(error.what(), Catch::Contains("HTTP 502") && Catch::Contains("<body>bad gateway"));
        CHECK(error.provider_error_type().empty());
      } else if (row.id != "openai") {
        // Error messages name the provider shortly: "Gemini", not "Google Gemini".
        const std::string display = row.id == "anthropic" ? "Anthropic" : "Gemini";
        CHECK(std::string(error.what()) == fmt::format("{} {}: scripted failure", display, c.status));
        CHECK(error.provider_error_type() == c.type);
      }
    }
  }
}

TEST_CASE("every provider's stream cut mid-answer is a connection error keeping the text so far",
          "[conformance][stream][errors]") {
  ProviderTestEnv env;
  struct CutCase {
    const char* provider;
    const char* fixture;
    std::size_t cut_after;
    std::string starts;  // what the partial text must at least hold
  };
  const CutCase cases[] = {{"openai", "openai/chat_completion_stream.sse", 1500, ""},
                           {"openai-responses", "openai/responses_stream.sse", 4000, ""},
                           {"anthropic", "anthropic/stream_thinking.sse", 2600, ""},
                           {"gemini", "gemini/stream_generate_content.sse", 2000, answers::gemini_tetris_prefix},
                           {"cohere", "cohere/chat_stream.sse", 1200, ""}};
  for (const auto& c : cases) {
    const ProviderRow& row = provider_row(c.provider);
    DYNAMIC_SECTION(row.name << " " << c.fixture) {
      const auto llm = row.llm(env);
      env.push_fixture(c.fixture);
      const std::string whole = ask(*llm, true).content;
      fake::ScriptedResponse response;
      response.fixture = c.fixture;
      response.cut_after = c.cut_after;
      env.server.push_response(response);
      const auto error = thrown_by<ConnectionError>([&] { ask(*llm, true); });
      CHECK_FALSE(error.partial_content().empty());
      CHECK(whole.rfind(error.partial_content(), 0) == 0);
      CHECK(error.partial_content().rfind(c.starts, 0) == 0);
    }
  }
}

TEST_CASE("one LLM of every provider serves many threads at once", "[conformance][threads]") {
  ProviderTestEnv env;
  for (const auto& row : provider_rows()) {
    DYNAMIC_SECTION(row.name) {
      const auto llm = row.llm(env);
      // The fake's default answers, which every thread must get back whole.
      const std::string text = ask(*llm, false).content;
      const std::string streamed = ask(*llm, true).content;
      if (!row.text_answer.empty()) CHECK(text == row.text_answer);
      if (!row.stream_answer.empty()) CHECK(streamed == row.stream_answer);
      env.server.clear_requests();
      constexpr int kThreads = 8;
      constexpr int kCalls = 15;
      std::atomic<int> ok{0};
      std::vector<std::thread> threads;
      for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
          // No assertions in here: Catch2 2.x assertions are not thread-safe.
          for (int i = 0; i < kCalls; ++i) {
            if ((t + i) % 2 == 0) {
              if (llm->get_response("hi").content == text) ++ok;
            } else {
              ResponseStream stream = llm->get_response_stream("hi");
              if (drain(stream) == streamed) ++ok;
            }
          }
        });
      }
      for (auto& thread : threads) thread.join();
      CHECK(ok == kThreads * kCalls);
      CHECK(env.server.requests().size() == static_cast<std::size_t>(kThreads * kCalls));
    }
  }
}

TEST_CASE("without fixtures every provider's built-in fake reply decodes alike as JSON and as a stream",
          "[conformance][fake]") {
  ProviderTestEnv env(fake::FakeServerOptions{});  // no fixtures dir: built-in replies
  for (const auto& row : provider_rows()) {
    DYNAMIC_SECTION(row.name) {
      const auto llm = row.llm(env);
      for (const bool stream : {false, true}) {
        CAPTURE(stream);
        const Response answer = ask(*llm, stream);
        CHECK(answer.content == row.built_in_answer);
        CHECK(answer.stop_reason == StopReason::end_turn);
        CHECK(answer.usage.output_tokens == row.built_in_output_tokens);
        CHECK(answer.usage.input_tokens > 0);
        if (row.id == "anthropic" || row.id == "gemini") CHECK(answer.model == row.model);
      }
    }
  }
}

TEST_CASE("every provider's own auth failure from the fake reaches the caller as a typed error",
          "[conformance][errors]") {
  struct AuthCase {
    const char* provider;
    int status;
    std::string message, type;
  };
  const AuthCase cases[] = {
      {"anthropic", 401, "Anthropic 401: invalid x-api-key", "authentication_error"},
      {"gemini", 400, "Gemini 400: API key not valid. Please pass a valid API key.", ""},
  };
  for (const auto& c : cases) {
    const ProviderRow& row = provider_row(c.provider);
    DYNAMIC_SECTION(row.name) {
      fake::FakeServerOptions options = ProviderTestEnv::default_options();
      options.required_api_key = row.api_key + "-the-right-one";
      ProviderTestEnv env(options);
      const auto error = thrown_by<AuthenticationError>([&] { (void)row.llm(env)->get_response("hi"); });
      CHECK(error.http_status() == c.status);
      CHECK(std::string(error.what()) == c.message);
      if (!c.type.empty()) CHECK(error.provider_error_type() == c.type);
      ClientOptions right = row.options(env);
      right.api_key = options.required_api_key;
      CHECK(row.llm(env, right)->get_response("hi").content == row.text_answer);
    }
  }
}
