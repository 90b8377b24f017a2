// A fake provider server on loopback plus a host that loads the build's plugins, for call tests.
#pragma once

#include "fake_server.hpp"
#include "plugin_dirs.hpp"

#include <majordomo/majordomo.hpp>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <fmt/format.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace majordomo::testing {

// The whole answer text of a stream.
inline std::string drain(ResponseStream& stream) {
  std::string text;
  for (std::string_view piece : stream) text.append(piece);
  return text;
}

// A cascade member at `base_url`; the options it leaves empty come from the cascade's shared ones.
inline CascadeMember member_at(std::string provider, std::string model, std::string base_url,
                               std::optional<std::string> api_key = std::nullopt) {
  CascadeMember member;
  member.provider = std::move(provider);
  member.model = std::move(model);
  member.base_url = std::move(base_url);
  member.api_key = std::move(api_key);
  return member;
}

// A fake server that answers its next request with `fixture` (e.g. a JSON answer that passes a check).
inline void answer_next_with(fake::FakeProviderServer& server, std::string fixture) {
  fake::ScriptedResponse answer;
  answer.fixture = std::move(fixture);
  server.push_response(std::move(answer));
}

// `text` as a JSON string literal, quotes included (escapes quotes, backslashes and newlines:
// enough for the answers the tests write).
inline std::string json_quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// An OpenAI chat completion whose answer text is `content` (any text: it is escaped here).
inline fake::ScriptedResponse openai_answer(std::string_view content) {
  fake::ScriptedResponse response;
  response.content_type = "application/json";
  response.body = fmt::format(
      R"({{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o",)"
      R"("choices":[{{"index":0,"message":{{"role":"assistant","content":{}}},"finish_reason":"stop"}}],)"
      R"("usage":{{"prompt_tokens":5,"completion_tokens":5,"total_tokens":10}}}})",
      json_quoted(content));
  return response;
}

// A Response that carries only `content`, as a check_answer callback or a schema check sees one.
inline Response answer_only(std::string content) {
  Response response;
  response.provider = "test";
  response.content = std::move(content);
  return response;
}

// A JSON text that must be an object (request bodies, CLI output).
inline Poco::JSON::Object::Ptr parse_object(const std::string& json) {
  Poco::JSON::Parser parser;
  return parser.parse(json).extract<Poco::JSON::Object::Ptr>();
}

struct ProviderTestEnv {
  fake::FakeProviderServer server;
  Host host;

  explicit ProviderTestEnv(fake::FakeServerOptions options = default_options())
      : server(std::move(options)), host(host_options()) {
    server.start();
  }

  static fake::FakeServerOptions default_options() {
    fake::FakeServerOptions options;
    options.fixtures_dir = MAJORDOMO_TEST_FIXTURES;
    return options;
  }

  static HostOptions host_options() {
    return only_plugin_dirs({MAJORDOMO_TEST_PLUGIN_DIR});
  }

  // Call tests see every scripted failure exactly once; the retry tests turn retrying back on.
  static ClientOptions single_attempt() {
    ClientOptions options;
    options.retry.max_attempts = 1;
    return options;
  }

  // Each provider's test key and a base URL on the fake (with "/v1" only where the provider's own
  // base URL has it: the other plugins put their version in the path).
  ClientOptions options_with(std::string key, std::string_view version_path = {}) const {
    ClientOptions options = single_attempt();
    options.api_key = std::move(key);
    options.base_url = server.origin() + std::string(version_path);
    return options;
  }
  ClientOptions openai_options() const { return options_with("sk-test-0000", "/v1"); }
  ClientOptions anthropic_options() const { return options_with("sk-ant-test-0000"); }
  ClientOptions gemini_options() const { return options_with("AIza-test-0000"); }
  ClientOptions deepseek_options() const { return options_with("sk-ds-test-0000"); }
  ClientOptions cohere_options() const { return options_with("co-test-0000"); }

  std::shared_ptr<LLM> openai(ClientOptions options) const { return provider_llm("openai", "gpt-4o", std::move(options)); }
  std::shared_ptr<LLM> anthropic(ClientOptions options, std::string_view model = "claude-haiku-4-5") const {
    return provider_llm("anthropic", model, std::move(options));
  }
  std::shared_ptr<LLM> gemini(ClientOptions options, std::string_view model = "gemini-2.5-flash") const {
    return provider_llm("gemini", model, std::move(options));
  }
  std::shared_ptr<LLM> deepseek(ClientOptions options, std::string_view model = "deepseek-flash") const {
    return provider_llm("deepseek", model, std::move(options));
  }
  std::shared_ptr<LLM> cohere(ClientOptions options, std::string_view model = "command-a-03-2025") const {
    return provider_llm("cohere", model, std::move(options));
  }

  // With the provider's test options.
  std::shared_ptr<LLM> openai() const { return openai(openai_options()); }
  std::shared_ptr<LLM> anthropic() const { return anthropic(anthropic_options()); }
  std::shared_ptr<LLM> gemini() const { return gemini(gemini_options()); }
  std::shared_ptr<LLM> deepseek() const { return deepseek(deepseek_options()); }
  std::shared_ptr<LLM> cohere() const { return cohere(cohere_options()); }

  std::shared_ptr<LLM> provider_llm(std::string_view provider, std::string_view model, ClientOptions options) const {
    return host.get_llm_instance(provider, model, std::move(options));
  }

  // A response with this status and JSON body for the next request whose path contains
  // `path_contains` (any request when empty).
  static fake::ScriptedResponse scripted_status(int status, std::string body, std::string path_contains = {}) {
    fake::ScriptedResponse response;
    response.status = status;
    response.content_type = "application/json";
    response.body = std::move(body);
    response.path_contains = std::move(path_contains);
    return response;
  }

  void push_fixture(const std::string& fixture, std::vector<fake::Header> headers = {}) {
    fake::ScriptedResponse response;
    response.fixture = fixture;
    response.headers = std::move(headers);
    server.push_response(std::move(response));
  }

  // The one value of a recorded header, or "<absent>" / "<N times>" when not exactly one.
  static std::string only_header(const fake::RecordedRequest& request, std::string_view name) {
    std::string value = "<absent>";
    int count = 0;
    for (const auto& header : request.headers) {
      if (header_name_equals(header.name, name)) {
        ++count;
        value = header.value;
      }
    }
    if (count > 1) return fmt::format("<{} times>", count);
    return value;
  }
};

}  // namespace majordomo::testing
