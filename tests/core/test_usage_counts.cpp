// Numbers a bill can trust: token counts checked once in the host, read strictly by every plugin, and answer text of the right JSON type.
#include "provider_test_env.hpp"

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

using namespace majordomo;
using majordomo::testing::ProviderTestEnv;

namespace {

std::string fixture_text(const std::string& relative) {
  std::ifstream in(std::string(MAJORDOMO_TEST_FIXTURES) + "/" + relative, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  REQUIRE_FALSE(text.str().empty());
  return text.str();
}

// `text` with the value of JSON key `key` (a number or a string) replaced by `value`, at its
// first occurrence after skipping `skip` of them.
std::string with_first_value(const std::string& text, const std::string& key, const std::string& value,
                             int skip = 0) {
  const std::regex pattern(fmt::format(R"("{}"\s*:\s*("(?:[^"\\]|\\.)*"|-?[0-9][0-9.eE+-]*))", key));
  auto match = std::sregex_iterator(text.begin(), text.end(), pattern);
  for (int i = 0; i < skip && match != std::sregex_iterator(); ++i) ++match;
  REQUIRE(match != std::sregex_iterator());
  const auto at = static_cast<std::size_t>(match->position(0));
  return fmt::format("{}\"{}\":{}{}", text.substr(0, at), key, value,
                     text.substr(at + static_cast<std::size_t>(match->length(0))));
}

// One provider's recorded answer, as JSON and as a stream, and the keys that carry a token count
// and the answer text in each.
struct ProviderCase {
  std::string name;
  std::function<std::shared_ptr<LLM>(ProviderTestEnv&)> make;
  std::string json_fixture, stream_fixture;
  std::string count_key;                   // a token count present in both
  std::string json_text_key, stream_text_key;
  bool null_text_refused;                  // null is malformed there (not OpenAI's content: null)
  int stream_text_skip = 0;                // occurrences of the stream key before the first text
};

std::vector<ProviderCase> provider_cases() {
  return {
      {"openai", [](ProviderTestEnv& env) { return env.openai(); }, "openai/chat_completion.json",
       "openai/chat_completion_stream.sse", "prompt_tokens", "content", "content", true},
      {"openai responses",
       [](ProviderTestEnv& env) {
         ClientOptions options = env.openai_options();
         options.provider_options["api"] = "responses";
         return env.openai(options);
       },
       "openai/responses.json", "openai/responses_stream.sse", "input_tokens", "text", "delta", true},
      {"anthropic", [](ProviderTestEnv& env) { return env.anthropic(); }, "anthropic/message.json",
       "anthropic/message_stream.sse", "input_tokens", "text", "text", true},
      {"gemini", [](ProviderTestEnv& env) { return env.gemini(); }, "gemini/generate_content.json",
       "gemini/stream_generate_content.sse", "promptTokenCount", "text", "text", true},
      // DeepSeek's fixture carries reasoning_content, beside which content: null is the reasoning
      // model's legitimate "no answer text" (tests/sdk/chat_completions_test.cpp): not refused.
      {"deepseek", [](ProviderTestEnv& env) { return env.deepseek(); }, "deepseek/chat_completion.json",
       "deepseek/chat_completion_stream.sse", "prompt_tokens", "content", "content", false},
      // Cohere's content-start carries an empty "text" the plugin does not read: the first delta's.
      {"cohere", [](ProviderTestEnv& env) { return env.cohere(); }, "cohere/chat.json", "cohere/chat_stream.sse",
       "input_tokens", "text", "text", true, 1},
  };
}

void push_body(ProviderTestEnv& env, std::string body, bool stream) {
  fake::ScriptedResponse response;
  response.body = std::move(body);
  response.content_type = stream ? "text/event-stream" : "application/json";
  env.server.push_response(std::move(response));
}

// The call's ParseError message; fails the test when the call succeeds or throws anything else.
std::string parse_error_of(const std::shared_ptr<LLM>& llm, bool stream) {
  try {
    if (stream) {
      ResponseStream answer = llm->get_response_stream("hi");
      (void)majordomo::testing::drain(answer);
    } else {
      (void)llm->get_response("hi");
    }
  } catch (const ParseError& error) {
    return error.what();
  }
  FAIL("no ParseError");
  return {};
}

}  // namespace

TEST_CASE("a token count that is not a whole number from 0 to 2^53 is a parse error naming the field, every provider",
          "[usage]") {
  for (const ProviderCase& provider : provider_cases()) {
    for (const bool stream : {false, true}) {
      for (const char* bad : {"12.5", "\"12\"", "true", "1e300", "-1", "9007199254740993", "{}"}) {
        INFO(provider.name << (stream ? " stream " : " json ") << bad);
        ProviderTestEnv env;
        const std::string fixture = fixture_text(stream ? provider.stream_fixture : provider.json_fixture);
        push_body(env, with_first_value(fixture, provider.count_key, bad), stream);
        const std::string message = parse_error_of(provider.make(env), stream);
        CHECK_THAT(message, Catch::Contains(provider.count_key) && Catch::Contains("not a token count"));
      }
    }
  }
}

TEST_CASE("answer text of the wrong JSON type is a parse error naming the field, every provider", "[usage][content]") {
  for (const ProviderCase& provider : provider_cases()) {
    for (const bool stream : {false, true}) {
      std::vector<std::string> bad = {"42", "{\"a\":1}", "[\"x\"]", "false"};
      if (provider.null_text_refused && !(stream && provider.stream_text_key == "content")) bad.push_back("null");
      for (const std::string& value : bad) {
        INFO(provider.name << (stream ? " stream " : " json ") << value);
        ProviderTestEnv env;
        const std::string fixture = fixture_text(stream ? provider.stream_fixture : provider.json_fixture);
        const std::string& key = stream ? provider.stream_text_key : provider.json_text_key;
        push_body(env, with_first_value(fixture, key, value, stream ? provider.stream_text_skip : 0), stream);
        const std::string message = parse_error_of(provider.make(env), stream);
        CHECK_THAT(message, Catch::Contains(key) && Catch::Contains("malformed"));
      }
    }
  }
}

TEST_CASE("OpenAI's content: null stays an answer beside tool calls, and in stream deltas", "[usage][content]") {
  ProviderTestEnv env;
  env.push_fixture("openai/chat_completion_tool_calls.json");
  const Response response = env.openai()->get_response("hi");
  CHECK(response.content.empty());
  CHECK(response.stop_reason == StopReason::tool_use);

  const std::string stream = with_first_value(fixture_text("openai/chat_completion_stream.sse"), "content", "null");
  push_body(env, stream, true);
  ResponseStream answer = env.openai()->get_response_stream("hi");
  CHECK_FALSE(majordomo::testing::drain(answer).empty());
}

TEST_CASE("Anthropic's three input counts are summed without overflow and the sum is checked", "[usage]") {
  ProviderTestEnv env;
  std::string body = fixture_text("anthropic/message.json");
  body = with_first_value(body, "input_tokens", "9223372036854775807");
  push_body(env, body, false);
  CHECK_THAT(parse_error_of(env.anthropic(), false), Catch::Contains("usage.input_tokens"));

  // Three counts of 2^53 each are each readable; their sum (the prompt) is refused by the host.
  body = fixture_text("anthropic/message.json");
  body = with_first_value(body, "input_tokens", "9007199254740992");
  body = with_first_value(body, "cache_read_input_tokens", "9007199254740992");
  body = with_first_value(body, "cache_creation_input_tokens", "9007199254740992");
  push_body(env, body, false);
  CHECK_THAT(parse_error_of(env.anthropic(), false), Catch::Contains("input_tokens is above 2^53"));
}

TEST_CASE("the host refuses counts that cannot be true from any plugin, JSON and stream", "[usage]") {
  Host host(majordomo::testing::only_plugin_dirs({MAJORDOMO_TEST_GOOD_PLUGIN_DIR}));
  ClientOptions options;
  options.api_key = "echo-key-0000";
  const auto llm = host.get_llm_instance("echo", "echo-1", options);
  const bool stream = GENERATE(false, true);
  const auto refused = [&](const char* prompt) {
    INFO(prompt << (stream ? " stream" : " json"));
    try {
      if (stream) {
        ResponseStream answer = llm->get_response_stream(prompt);
        (void)majordomo::testing::drain(answer);
      } else {
        (void)llm->get_response(prompt);
      }
    } catch (const ParseError& error) {
      CHECK(error.provider() == "echo");
      return std::string(error.what());
    }
    FAIL("no ParseError");
    return std::string();
  };
  CHECK_THAT(refused("usage -5 3 0 0 0"), Catch::Contains("input_tokens is negative"));
  CHECK_THAT(refused("usage 10 -1 0 0 0"), Catch::Contains("output_tokens is negative"));
  CHECK_THAT(refused("usage 9007199254740993 1 0 0 0"), Catch::Contains("input_tokens is above 2^53"));
  CHECK_THAT(refused("usage 10 5 11 0 0"), Catch::Contains("cached_tokens (11)"));
  CHECK_THAT(refused("usage 10 5 6 6 0"), Catch::Contains("cache_write_tokens (6) exceed input_tokens (10)"));
  CHECK_THAT(refused("usage 10 5 0 0 6"), Catch::Contains("reasoning_tokens (6) exceed output_tokens (5)"));
  CHECK_THAT(refused("usage 9223372036854775807 9223372036854775807 9223372036854775807 0 0"),
             Catch::Contains("above 2^53"));

  // Counts that can be true are priced from the catalog (echo-1: $1 in, $2 out, $0.5 cached per 1M).
  const Response response = llm->get_response("usage 1000000 1000000 500000 0 1000");
  CHECK(response.usage.input_tokens == 1'000'000);
  CHECK(response.usage.cached_tokens == 500'000);
  CHECK(response.cost.priced);
  CHECK(response.cost.input == Approx(0.5 + 0.25));
  CHECK(response.cost.output == Approx(2.0));
}

TEST_CASE("a catalog price so large the cost overflows leaves the answer unpriced, never inf", "[usage]") {
  const auto dir = std::filesystem::temp_directory_path() / fmt::format("majordomo-usage-{}", ::getpid());
  std::filesystem::create_directories(dir);
  const auto file = dir / "catalog.json";
  std::ofstream(file, std::ios::binary)
      << R"({"models": {"echo": [{"id": "echo-1", "input_usd_per_mtok": 1e308, "output_usd_per_mtok": 1e308}]}})";
  HostOptions host_options = majordomo::testing::only_plugin_dirs({MAJORDOMO_TEST_GOOD_PLUGIN_DIR});
  host_options.use_env_catalog = false;
  host_options.catalog_files = {file};
  Host host(host_options);
  std::filesystem::remove_all(dir);
  ClientOptions options;
  options.api_key = "echo-key-0000";
  const Response response =
      host.get_llm_instance("echo", "echo-1", options)->get_response("usage 9007199254740992 9007199254740992 0 0 0");
  CHECK(response.usage.input_tokens == 9007199254740992);
  CHECK_FALSE(response.cost.priced);
  CHECK(response.cost.total == 0);
}
