// The providers every conformance scenario runs for, and the steps the per-provider call tests share.
#pragma once

#include "provider_test_env.hpp"

#include <Poco/JSON/Array.h>

#include <catch2/catch.hpp>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <iterator>
#include <sstream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace majordomo::testing {

// What differs between providers for the shared scenarios; everything else is asserted alike.
// Every member has a default, so each row below names only what it needs.
struct ProviderRow {
  std::string name{};  // the label in section names: the provider id, or "openai-responses"
  std::string id{};  // the provider id the host knows
  std::string display_name{};  // as the plugin declares it, and as its error messages start
  std::string model{};
  std::string api_key{};
  std::map<std::string, std::string> provider_options{};
  std::string version_path{};  // the part of the default base URL after the host ("/v1" for OpenAI)
  std::string default_base_url{};
  std::string api_key_env{}, base_url_env{};
  std::string auth_header{};  // the header that carries the key
  bool bearer = false;  // the key goes after "Bearer "
  std::string other_auth_header{};  // a header this provider must not send ("" when none)
  std::vector<fake::Header> version_headers{};  // required on every request
  std::string gateway_header{};  // sent when the base URL is not the provider's default
  std::string protocol{};  // the fake's name for the route the request took
  bool body_names_model = true;  // Gemini puts the model in the path instead
  std::string text_fixture{}, stream_fixture{}, json_fixture{};
  std::string text_answer{}, stream_answer{};  // what the first two answer
  std::string schema{};  // a schema the json fixture's answer satisfies
  std::string built_in_answer{};  // the fake's own reply when it has no fixtures
  int64_t built_in_output_tokens = 0;

  std::string auth_value(const std::string& key) const { return (bearer ? "Bearer " : "") + key; }
  // The path the API puts after the base URL.
  std::string api_path(bool stream) const {
    if (protocol == "openai-responses") return "/responses";
    if (id == "openai" || id == "deepseek") return "/chat/completions";
    if (id == "anthropic") return "/v1/messages";
    if (id == "cohere") return "/v2/chat";
    return "/v1beta/models/" + model + (stream ? ":streamGenerateContent?alt=sse" : ":generateContent");
  }
  ClientOptions options(const ProviderTestEnv& env) const {
    ClientOptions options = ProviderTestEnv::single_attempt();
    options.api_key = api_key;
    options.base_url = env.server.origin() + version_path;
    options.provider_options = provider_options;
    return options;
  }
  std::shared_ptr<LLM> llm(const ProviderTestEnv& env, ClientOptions options) const {
    options.provider_options.insert(provider_options.begin(), provider_options.end());
    return env.host.get_llm_instance(id, model, std::move(options));
  }
  std::shared_ptr<LLM> llm(const ProviderTestEnv& env) const { return llm(env, options(env)); }
};

// The answer text of the fixtures that several files replay (read off the files by hand).
namespace answers {
inline const std::string openai_weather =
    "I'm unable to provide real-time weather updates. To get the current weather in San "
    "Francisco, I recommend checking a reliable weather website or a weather app.";
inline const std::string openai_hello = "Hello! How can I assist you today?";
inline const std::string anthropic_weather =
    "The weather in San Francisco, CA is currently **68\xc2\xb0"
    "F and Sunny**. Great day out there!";
inline const std::string anthropic_thinking =
    "The user has simply said \"hey\" as a greeting without any specific request or question. I "
    "don't need to use any tools for this type of interaction. I should respond with a friendly "
    "greeting and ask how I can help them today.";
inline const std::string anthropic_greeting =
    "Hello! I'm Assistant, an AI here to help you. How can I assist you today? Feel free to ask "
    "questions or let me know what you're looking for, and I'll do my best to help.";
inline const std::string cohere_coca_cola =
    "Coca-Cola is a carbonated soft drink sold in stores, restaurants, and vending machines in more than 200 "
    "countries. It is produced by The Coca-Cola Company, a publicly traded company which began in 1892 as a "
    "result of US businessman Asa Griggs Candler purchasing the Coca-Cola brand and formula from John "
    "Pemberton. The Coca-Cola Company today offers nearly 400 brands in over 200 countries and is one of the "
    "largest beverage companies in the world.";
inline const std::string gemini_ja =
    "\xe4\xbb\x8a\xe6\x97\xa5\xe3\x81\xae\xe6\x9d\xb1\xe4\xba\xac\xe3\x81\xae\xe5\xa4\xa9\xe6\xb0\x97"  // 今日の東京の天気
    "\xe3\x81\xaf\xe6\x9b\x87\xe3\x82\x8a\xe3\x81\xa7\xe3\x80\x81\xe6\xb0\x97\xe6\xb8\xa9\xe3\x81\xaf"  // は曇りで、気温は
    "22\xe5\xba\xa6\xe3\x81\xa7\xe3\x81\x99\xe3\x80\x82\n";                                             // 22度です。
inline const std::string gemini_tetris_prefix = "Okay, let's create a Tetris game in Python for the console!";
}  // namespace answers

// An object schema with these properties, all required, closed.
inline std::string closed_object(std::initializer_list<std::pair<const char*, const char*>> properties) {
  std::string props, required;
  for (const auto& [name, type] : properties) {
    if (!props.empty()) {
      props += ",";
      required += ",";
    }
    props += fmt::format(R"("{}":{{"type":"{}"}})", name, type);
    required += fmt::format(R"("{}")", name);
  }
  return fmt::format(R"({{"type":"object","properties":{{{}}},"required":[{}],"additionalProperties":false}})",
                     props, required);
}

inline const std::vector<ProviderRow>& provider_rows() {
  static const std::vector<ProviderRow> rows = {
      {.name = "openai", .id = "openai", .display_name = "OpenAI", .model = "gpt-4o", .api_key = "sk-test-0000", .version_path = "/v1",
       .default_base_url = "https://api.openai.com/v1", .api_key_env = "OPENAI_API_KEY",
       .base_url_env = "OPENAI_BASE_URL", .auth_header = "Authorization", .bearer = true,
       .other_auth_header = "x-api-key", .protocol = "openai", .text_fixture = "openai/chat_completion.json",
       .stream_fixture = "openai/chat_completion_stream.sse", .json_fixture = "openai/structured_output.json",
       .text_answer = answers::openai_hello, .stream_answer = answers::openai_weather,
       .schema = closed_object({{"city", "string"}, {"temperature", "number"}, {"units", "string"}}),
       .built_in_answer = "Hello from majordomo-fake.", .built_in_output_tokens = 7},
      // The same plugin speaking the Responses API.
      {.name = "openai-responses", .id = "openai", .display_name = "OpenAI", .model = "gpt-4o", .api_key = "sk-test-0000",
       .provider_options = {{"api", "responses"}}, .version_path = "/v1", .default_base_url = "https://api.openai.com/v1",
       .api_key_env = "OPENAI_API_KEY", .base_url_env = "OPENAI_BASE_URL", .auth_header = "Authorization",
       .bearer = true, .other_auth_header = "x-api-key", .protocol = "openai-responses",
       .text_fixture = "openai/responses.json", .stream_fixture = "openai/responses_stream.sse",
       .json_fixture = "openai/responses_structured_output.json",
       .text_answer = "Arr, matey! How can I assist ye today?", .stream_answer = answers::openai_hello,
       .schema = R"({"type":"object","properties":{"animal_data_list":{"type":"array","items":{"type":"string"}}},)"
                 R"("required":["animal_data_list"],"additionalProperties":false})",
       .built_in_answer = "Hello from majordomo-fake (responses).", .built_in_output_tokens = 8},
      {.name = "anthropic", .id = "anthropic", .display_name = "Anthropic", .model = "claude-haiku-4-5", .api_key = "sk-ant-test-0000",
       .default_base_url = "https://api.anthropic.com", .api_key_env = "ANTHROPIC_API_KEY",
       .base_url_env = "ANTHROPIC_BASE_URL", .auth_header = "x-api-key", .other_auth_header = "Authorization",
       .version_headers = {{"anthropic-version", "2023-06-01"}}, .protocol = "anthropic",
       .text_fixture = "anthropic/message.json", .stream_fixture = "anthropic/message_stream.sse",
       .json_fixture = "anthropic/structured_output.json", .text_answer = answers::anthropic_weather,
       .stream_answer = "Hello there!",
       .schema = closed_object({{"product_name", "string"}, {"price", "number"}, {"quantity", "integer"}}),
       .built_in_answer = "Hello from majordomo-fake (anthropic).", .built_in_output_tokens = 9},
      // The model goes in the path, not the body; the key in its own header, never in the query.
      {.name = "gemini", .id = "gemini", .display_name = "Google Gemini", .model = "gemini-2.5-flash", .api_key = "AIza-test-0000",
       .default_base_url = "https://generativelanguage.googleapis.com", .api_key_env = "GEMINI_API_KEY",
       .base_url_env = "GOOGLE_GEMINI_BASE_URL", .auth_header = "x-goog-api-key",
       .other_auth_header = "Authorization", .protocol = "gemini", .body_names_model = false,
       .text_fixture = "gemini/generate_content.json", .stream_fixture = "gemini/stream_generate_content.sse",
       .json_fixture = "gemini/structured_output.json", .text_answer = "Hello!",
       .schema = R"({"type":"array","items":{"type":"object","properties":{"recipeName":{"type":"string"},)"
                 R"("ingredients":{"type":"array","items":{"type":"string"}}},"required":["recipeName","ingredients"]}})",
       .built_in_answer = "Hello from majordomo-fake (gemini).", .built_in_output_tokens = 9},
      // Off its own endpoint, DeepSeek's plugin names itself for gateways.
      {.name = "deepseek", .id = "deepseek", .display_name = "DeepSeek", .model = "deepseek-flash", .api_key = "sk-ds-test-0000",
       .default_base_url = "https://api.deepseek.com", .api_key_env = "DEEPSEEK_API_KEY",
       .base_url_env = "DEEPSEEK_BASE_URL", .auth_header = "Authorization", .bearer = true,
       .other_auth_header = "x-api-key", .gateway_header = "x-majordomo-provider", .protocol = "deepseek",
       .text_fixture = "deepseek/chat_completion.json", .stream_fixture = "deepseek/chat_completion_stream.sse",
       .json_fixture = "deepseek/structured_output.json", .text_answer = answers::openai_hello,
       .stream_answer = "Hello! How can I help you today?",
       .schema = closed_object({{"question", "string"}, {"answer", "string"}}),
       .built_in_answer = "Hello from majordomo-fake (deepseek).", .built_in_output_tokens = 9},
      {.name = "cohere", .id = "cohere", .display_name = "Cohere", .model = "command-a-03-2025", .api_key = "co-test-0000",
       .default_base_url = "https://api.cohere.com", .api_key_env = "CO_API_KEY", .base_url_env = "COHERE_BASE_URL",
       .auth_header = "Authorization", .bearer = true, .other_auth_header = "x-api-key", .protocol = "cohere",
       .text_fixture = "cohere/chat.json", .stream_fixture = "cohere/chat_stream.sse",
       .json_fixture = "cohere/structured_output.json", .stream_answer = answers::cohere_coca_cola,
       .schema = closed_object({{"title", "string"}, {"author", "string"}, {"publication_year", "integer"}}),
       .built_in_answer = "Hello from majordomo-fake (cohere).", .built_in_output_tokens = 9},
  };
  return rows;
}

inline const ProviderRow& provider_row(std::string_view name) {
  for (const auto& row : provider_rows()) {
    if (row.name == name) return row;
  }
  throw std::invalid_argument("no provider row " + std::string(name));
}

// A fixture file's bytes.
inline std::string fixture_text(const std::string& relative) {
  std::ifstream in(std::string(MAJORDOMO_TEST_FIXTURES) + "/" + relative, std::ios::binary);
  REQUIRE(in);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A POST straight to the fake, no plugin in between: how the fake's own routes are tested.
inline std::string post_to_fake(Poco::Net::HTTPClientSession& session, const std::string& uri,
                                const std::vector<fake::Header>& headers, const std::string& body,
                                Poco::Net::HTTPResponse& response) {
  Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, uri, Poco::Net::HTTPMessage::HTTP_1_1);
  request.setContentType("application/json");
  request.setContentLength(static_cast<std::streamsize>(body.size()));
  for (const auto& header : headers) request.set(header.name, header.value);
  session.sendRequest(request) << body;
  std::ostringstream out;
  Poco::StreamCopier::copyStream(session.receiveResponse(response), out);
  return out.str();
}

// Sends one request as JSON or as a stream and returns the answer; a stream's pieces must add up
// to its response's content.
inline Response ask(LLM& llm, bool stream, std::string_view prompt = "hi", const RequestOptions& options = {}) {
  if (!stream) return llm.get_response(prompt, options);
  ResponseStream s = llm.get_response_stream(prompt, options);
  const std::string text = drain(s);
  CHECK(text == s.response().content);
  return s.response();
}

// The one request the server recorded for `call` (the record is cleared first).
template <class Call>
fake::RecordedRequest only_request(ProviderTestEnv& env, Call&& call) {
  env.server.clear_requests();
  call();
  const auto recorded = env.server.requests();
  REQUIRE(recorded.size() == 1);
  return recorded[0];
}

// What `call` threw, which must be a T; the test fails when it returns instead.
template <class T = Error, class Call>
T thrown_by(Call&& call) {
  try {
    call();
  } catch (const T& error) {
    return error;
  }
  FAIL("no error");
  throw std::logic_error("unreachable");
}

// A scripted body with its content type and status.
inline fake::ScriptedResponse scripted(std::string content_type, std::string body, int status = 200) {
  fake::ScriptedResponse response;
  response.status = status;
  response.content_type = std::move(content_type);
  response.body = std::move(body);
  return response;
}
inline fake::ScriptedResponse json_body(std::string body, int status = 200) {
  return scripted("application/json", std::move(body), status);
}

// What an answer must hold; unset fields are not checked.
struct ExpectedAnswer {
  std::string text{};
  std::string reasoning{};
  std::optional<int64_t> input{}, output{}, cached{}, reasoning_tokens{};
  StopReason stop = StopReason::end_turn;
  std::string raw_stop{};
  std::string model{};
};

inline bool holds(const Response& answer, const ExpectedAnswer& expected) {
  const auto unset_or = [](const std::optional<int64_t>& want, int64_t got) { return !want || *want == got; };
  return answer.content == expected.text && answer.reasoning == expected.reasoning &&
         unset_or(expected.input, answer.usage.input_tokens) && unset_or(expected.output, answer.usage.output_tokens) &&
         unset_or(expected.cached, answer.usage.cached_tokens) &&
         unset_or(expected.reasoning_tokens, answer.usage.reasoning_tokens) && answer.stop_reason == expected.stop &&
         (expected.raw_stop.empty() || answer.raw_stop_reason == expected.raw_stop) &&
         (expected.model.empty() || answer.model == expected.model);
}

// The same comparison field by field, so that a failure names the field.
inline void check_answer(const Response& answer, const ExpectedAnswer& expected) {
  CHECK(answer.content == expected.text);
  CHECK(answer.reasoning == expected.reasoning);
  if (expected.input) CHECK(answer.usage.input_tokens == *expected.input);
  if (expected.output) CHECK(answer.usage.output_tokens == *expected.output);
  if (expected.cached) CHECK(answer.usage.cached_tokens == *expected.cached);
  if (expected.reasoning_tokens) CHECK(answer.usage.reasoning_tokens == *expected.reasoning_tokens);
  CHECK(answer.stop_reason == expected.stop);
  if (!expected.raw_stop.empty()) CHECK(answer.raw_stop_reason == expected.raw_stop);
  if (!expected.model.empty()) CHECK(answer.model == expected.model);
}

// Serves `base` cut into writes at every offset of its `size` bytes (and `gap` bytes later, when
// gap > 0) and checks each stream decodes to the same answer; stops at the first offset that differs.
inline void check_every_split(ProviderTestEnv& env, LLM& llm, const fake::ScriptedResponse& base, std::size_t size,
                              std::size_t gap, const ExpectedAnswer& expected) {
  for (std::size_t offset = 1; offset < size; ++offset) {
    fake::ScriptedResponse response = base;
    response.split_at = {offset};
    if (gap > 0 && offset + gap < size) response.split_at.push_back(offset + gap);
    env.server.push_response(std::move(response));
    ResponseStream stream = llm.get_response_stream("hi");
    const std::string text = drain(stream);
    CAPTURE(offset);
    REQUIRE(text == expected.text);
    if (!holds(stream.response(), expected)) check_answer(stream.response(), expected);
    REQUIRE(holds(stream.response(), expected));
  }
}

// A fixture whose body stops for longer than any test waits after `after` bytes.
inline fake::ScriptedResponse stalled(std::string fixture, std::size_t after) {
  fake::ScriptedResponse response;
  response.fixture = std::move(fixture);
  response.stall_after = after;
  response.stall_for = std::chrono::milliseconds(30'000);
  return response;
}

// A recorded fixture served in writes of `step` bytes gives the answer it gives whole.
inline Response replay_in_pieces(ProviderTestEnv& env, LLM& llm, const std::string& fixture, std::size_t step) {
  fake::ScriptedResponse response;
  response.fixture = fixture;
  for (std::size_t offset = 3; offset < 6000; offset += step) response.split_at.push_back(offset);
  env.server.push_response(std::move(response));
  ResponseStream stream = llm.get_response_stream("hi");
  const std::string text = drain(stream);
  CHECK(text == stream.response().content);
  return stream.response();
}

// A conversation with a system prompt and sampling options, for the request-body tests.
inline LLMRequest conversation(std::string last, std::optional<int64_t> max_tokens, double temperature,
                               std::optional<double> top_p) {
  LLMRequest request;
  request.messages = {{Message::Role::user, "Name a colour."},
                      {Message::Role::assistant, "Blue."},
                      {Message::Role::user, std::move(last)}};
  request.options.system = "Be terse.";
  request.options.max_tokens = max_tokens;
  request.options.temperature = temperature;
  request.options.top_p = top_p;
  return request;
}

// Each model is listed and priced, with a cheaper cached input, an output cap and, where the
// provider bills cache writes, a dearer write.
inline void check_cached_pricing(const PluginInfo& info, std::initializer_list<const char*> ids, bool cache_writes) {
  for (const char* id : ids) {
    CAPTURE(id);
    const ModelInfo* model = info.find_model(id);
    REQUIRE(model != nullptr);
    CHECK(model->priced());
    CHECK(model->cached_input_usd_per_mtok > 0);
    CHECK(model->cached_input_usd_per_mtok < model->input_usd_per_mtok);
    if (cache_writes) CHECK(model->cache_write_usd_per_mtok > model->input_usd_per_mtok);
    CHECK(model->max_output_tokens > 0);
  }
}

// One answer decoded from a body and from events: the same text, usage and cost.
inline void check_same_answer(const Response& json, const Response& streamed) {
  CHECK(streamed.content == json.content);
  CHECK(json.usage.input_tokens > 0);
  CHECK(streamed.usage.input_tokens == json.usage.input_tokens);
  CHECK(streamed.usage.output_tokens == json.usage.output_tokens);
  CHECK(streamed.usage.cached_tokens == json.usage.cached_tokens);
  CHECK(streamed.usage.cache_write_tokens == json.usage.cache_write_tokens);
  CHECK(streamed.usage.reasoning_tokens == json.usage.reasoning_tokens);
  CHECK(streamed.cost.priced == json.cost.priced);
  CHECK(streamed.cost.total == Approx(json.cost.total));
}

// The body `request` resolves to, after checking where it goes (when `url` is given).
inline Poco::JSON::Object::Ptr resolved_body(LLM& llm, const LLMRequest& request, bool stream,
                                             const std::string& url = {}) {
  const auto resolved = llm.resolve(request, stream);
  REQUIRE(resolved.size() == 1);
  if (!url.empty()) CHECK(resolved[0].url == url);
  return parse_object(resolved[0].body);
}

// The conversation above as a messages array that starts with the system prompt.
inline void check_system_then_conversation(const Poco::JSON::Object::Ptr& body) {
  const auto messages = body->getArray("messages");
  REQUIRE(messages->size() == 4);
  CHECK(messages->getObject(0)->getValue<std::string>("role") == "system");
  CHECK(messages->getObject(0)->getValue<std::string>("content") == "Be terse.");
  CHECK(messages->getObject(2)->getValue<std::string>("role") == "assistant");
}

}  // namespace majordomo::testing
