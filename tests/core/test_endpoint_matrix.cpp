// The endpoint-and-header matrix: provider × operation × base-URL source, checked on the fake's record.
#include "provider_test_env.hpp"
#include "scoped_env.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>
#include <vector>

using namespace majordomo;
using majordomo::testing::ProviderTestEnv;
using majordomo::testing::drain;
using majordomo::testing::parse_object;
using majordomo::testing::ScopedEnv;

namespace {

// What differs between providers for this matrix; everything else is asserted alike.
struct ProviderCase {
  std::string id;
  std::string model;
  std::string api_key;
  std::string base_url_env;
  std::string version_path;  // the part of the default base URL after the host ("/v1" for OpenAI)
  std::string auth_header;
  std::string auth_value;
  std::string text_fixture, stream_fixture, json_fixture;
  std::vector<std::pair<std::string, std::string>> version_headers;  // required on every request
  std::string gateway_header;  // sent when the base URL is not the provider's default
  std::string schema;          // what the provider's structured-output fixture answers
};

// An object schema with these string-or-number properties, all required, closed.
std::string closed_object(std::initializer_list<std::pair<const char*, const char*>> properties) {
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

std::vector<ProviderCase> provider_cases() {
  return {
      {"openai", "gpt-4o", "sk-matrix-openai", "OPENAI_BASE_URL", "/v1", "Authorization",
       "Bearer sk-matrix-openai", "openai/chat_completion.json", "openai/chat_completion_stream.sse",
       "openai/structured_output.json", {}, "",
       closed_object({{"city", "string"}, {"temperature", "number"}, {"units", "string"}})},
      {"anthropic", "claude-haiku-4-5", "sk-ant-matrix", "ANTHROPIC_BASE_URL", "", "x-api-key",
       "sk-ant-matrix", "anthropic/message.json", "anthropic/message_stream.sse",
       "anthropic/structured_output.json", {{"anthropic-version", "2023-06-01"}}, "",
       closed_object({{"product_name", "string"}, {"price", "number"}, {"quantity", "integer"}})},
      {"gemini", "gemini-2.5-flash", "AIza-matrix", "GOOGLE_GEMINI_BASE_URL", "", "x-goog-api-key",
       "AIza-matrix", "gemini/generate_content.json", "gemini/stream_generate_content.sse",
       "gemini/structured_output.json", {}, "",
       R"({"type":"array","items":{"type":"object","properties":{"recipeName":{"type":"string"},)"
       R"("ingredients":{"type":"array","items":{"type":"string"}}},"required":["recipeName","ingredients"]}})"},
      {"deepseek", "deepseek-flash", "sk-ds-matrix", "DEEPSEEK_BASE_URL", "", "Authorization",
       "Bearer sk-ds-matrix", "deepseek/chat_completion.json", "deepseek/chat_completion_stream.sse",
       "deepseek/structured_output.json", {}, "x-majordomo-provider",
       closed_object({{"question", "string"}, {"answer", "string"}})},
      {"cohere", "command-a-03-2025", "co-matrix", "COHERE_BASE_URL", "", "Authorization",
       "Bearer co-matrix", "cohere/chat.json", "cohere/chat_stream.sse", "cohere/structured_output.json",
       {}, "", closed_object({{"title", "string"}, {"author", "string"}, {"publication_year", "integer"}})},
  };
}

enum class Operation { text, stream, json, structured };
const char* name_of(Operation op) {
  switch (op) {
    case Operation::text: return "text";
    case Operation::stream: return "stream";
    case Operation::json: return "json";
    case Operation::structured: return "structured";
  }
  return "?";
}

// The path the provider's API puts after its base URL for this model and operation.
std::string api_path(const ProviderCase& provider, Operation op) {
  if (provider.id == "openai") return "/chat/completions";
  if (provider.id == "anthropic") return "/v1/messages";
  if (provider.id == "deepseek") return "/chat/completions";
  if (provider.id == "cohere") return "/v2/chat";
  return "/v1beta/models/" + provider.model +
         (op == Operation::stream ? ":streamGenerateContent?alt=sse" : ":generateContent");
}

// Runs one operation to its end and returns the answer text.
std::string run(LLM& llm, const ProviderCase& provider, Operation op, const RequestOptions& options) {
  switch (op) {
    case Operation::text: return llm.get_response("matrix", options).content;
    case Operation::stream: {
      ResponseStream stream = llm.get_response_stream("matrix", options);
      return drain(stream);
    }
    case Operation::json: return llm.get_json_response("matrix", options).json_text;
    case Operation::structured:
      return llm.get_json_schema_response("matrix", provider.schema, "matrix_answer", options).json_text;
  }
  return {};
}

}  // namespace

TEST_CASE("every provider and operation honours base_url, default_headers and extra_headers", "[matrix][pipeline]") {
  ProviderTestEnv env;
  for (const auto& provider : provider_cases()) {
    for (Operation op : {Operation::text, Operation::stream, Operation::json, Operation::structured}) {
      for (const bool from_env : {true, false}) {
        const std::string label =
            fmt::format("{} {} base URL from {}", provider.id, name_of(op), from_env ? "env var" : "option");
        DYNAMIC_SECTION(label) {
          ClientOptions options;
          options.api_key = provider.api_key;
          options.default_headers = {{"X-Majordomo-Team", "instance"}, {"X-Majordomo-Feature", "matrix"}};
          std::string prefix;
          std::string env_value;  // outlives env_var, which points into it
          std::optional<ScopedEnv> env_var;
          if (from_env) {
            env_value = env.server.origin() + provider.version_path;
            env_var.emplace(std::initializer_list<std::pair<const char*, const char*>>{
                {provider.base_url_env.c_str(), env_value.c_str()}});
          } else {
            prefix = "/gateway/" + provider.id;
            options.base_url = env.server.origin() + prefix + provider.version_path;
          }
          const auto llm = env.host.get_llm_instance(provider.id, provider.model, options);

          env.push_fixture(op == Operation::text     ? provider.text_fixture
                           : op == Operation::stream ? provider.stream_fixture
                                                     : provider.json_fixture);
          RequestOptions request;
          request.extra_headers = {{"x-majordomo-team", "request"}, {"X-Majordomo-Operation", name_of(op)}};
          CHECK_FALSE(run(*llm, provider, op, request).empty());

          const auto recorded = env.server.requests();
          REQUIRE(recorded.size() == 1);
          const auto& wire = recorded[0];
          CHECK(wire.protocol == provider.id);
          CHECK(wire.uri == prefix + provider.version_path + api_path(provider, op));
          CHECK(ProviderTestEnv::only_header(wire, provider.auth_header) == provider.auth_value);
          for (const auto& [name, value] : provider.version_headers) {
            CHECK(ProviderTestEnv::only_header(wire, name) == value);
          }
          // The per-request layer wins over the instance layer, once, whatever the spelling.
          CHECK(ProviderTestEnv::only_header(wire, "X-Majordomo-Team") == "request");
          CHECK(ProviderTestEnv::only_header(wire, "X-Majordomo-Feature") == "matrix");
          CHECK(ProviderTestEnv::only_header(wire, "X-Majordomo-Operation") == name_of(op));
          if (!provider.gateway_header.empty()) {
            // Both bases here differ from the provider's own endpoint: a gateway needs the header.
            CHECK(ProviderTestEnv::only_header(wire, provider.gateway_header) == provider.id);
          }
          CHECK(wire.uri.find("key=") == std::string::npos);
          if (provider.id != "gemini") {
            const auto body = parse_object(wire.body);
            CHECK(body->getValue<std::string>("model") == provider.model);
            CHECK(body->optValue("stream", false) == (op == Operation::stream));
          }
          env.server.clear_requests();
        }
      }
    }
  }
}

TEST_CASE("every provider reports the same usage and cost for one answer as JSON and as a stream", "[matrix][usage]") {
  // The fake's built-in replies: the same answer for the same prompt, as a body or as events, so
  // any difference comes from the plugin's two decoding paths.
  fake::FakeServerOptions options;  // no fixtures dir: built-in replies only
  ProviderTestEnv env(options);
  for (const auto& provider : provider_cases()) {
    for (const bool responses_api : {false, true}) {
      if (responses_api && provider.id != "openai") continue;
      DYNAMIC_SECTION(provider.id << (responses_api ? " responses" : "")) {
        ClientOptions client;
        client.api_key = provider.api_key;
        client.base_url = env.server.origin() + provider.version_path;
        if (responses_api) client.provider_options["api"] = "responses";
        const auto llm = env.host.get_llm_instance(provider.id, provider.model, client);
        const Response whole = llm->get_response("Count the usage of this prompt");
        ResponseStream stream = llm->get_response_stream("Count the usage of this prompt");
        const std::string streamed_text = drain(stream);
        const Response& streamed = stream.response();
        CHECK(streamed_text == whole.content);
        CHECK(whole.usage.input_tokens > 0);
        CHECK(whole.usage.output_tokens > 0);
        CHECK(streamed.usage.input_tokens == whole.usage.input_tokens);
        CHECK(streamed.usage.output_tokens == whole.usage.output_tokens);
        CHECK(streamed.usage.cached_tokens == whole.usage.cached_tokens);
        CHECK(streamed.usage.cache_write_tokens == whole.usage.cache_write_tokens);
        CHECK(streamed.usage.reasoning_tokens == whole.usage.reasoning_tokens);
        CHECK(streamed.cost.priced == whole.cost.priced);
        CHECK(streamed.cost.total == Approx(whole.cost.total));
        CHECK(streamed.stop_reason == whole.stop_reason);
      }
    }
  }
}
