// A fake provider server on loopback plus a host that loads the build's plugins, for call tests.
#pragma once

#include "fake_server.hpp"
#include "plugin_dirs.hpp"

#include <majordomo/majordomo.hpp>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <fmt/format.h>

#include <memory>
#include <string>
#include <string_view>

namespace majordomo::testing {

// The whole answer text of a stream.
inline std::string drain(ResponseStream& stream) {
  std::string text;
  for (std::string_view piece : stream) text.append(piece);
  return text;
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

  ClientOptions openai_options() const {
    ClientOptions options = single_attempt();
    options.api_key = "sk-test-0000";
    options.base_url = server.origin() + "/v1";
    return options;
  }

  std::shared_ptr<LLM> openai(ClientOptions options) const {
    return host.get_llm_instance("openai", "gpt-4o", std::move(options));
  }
  std::shared_ptr<LLM> openai() const { return openai(openai_options()); }

  // Anthropic's base URL has no /v1: the plugin's path is /v1/messages.
  ClientOptions anthropic_options() const {
    ClientOptions options = single_attempt();
    options.api_key = "sk-ant-test-0000";
    options.base_url = server.origin();
    return options;
  }

  std::shared_ptr<LLM> anthropic(ClientOptions options, std::string_view model = "claude-haiku-4-5") const {
    return host.get_llm_instance("anthropic", model, std::move(options));
  }
  std::shared_ptr<LLM> anthropic() const { return anthropic(anthropic_options()); }

  // Gemini's base URL has no version: the plugin's path starts with /v1beta/models/.
  ClientOptions gemini_options() const {
    ClientOptions options = single_attempt();
    options.api_key = "AIza-test-0000";
    options.base_url = server.origin();
    return options;
  }

  std::shared_ptr<LLM> gemini(ClientOptions options, std::string_view model = "gemini-2.5-flash") const {
    return host.get_llm_instance("gemini", model, std::move(options));
  }
  std::shared_ptr<LLM> gemini() const { return gemini(gemini_options()); }

  // DeepSeek's base URL has no /v1: the plugin's path is /chat/completions.
  ClientOptions deepseek_options() const {
    ClientOptions options = single_attempt();
    options.api_key = "sk-ds-test-0000";
    options.base_url = server.origin();
    return options;
  }

  std::shared_ptr<LLM> deepseek(ClientOptions options, std::string_view model = "deepseek-flash") const {
    return host.get_llm_instance("deepseek", model, std::move(options));
  }
  std::shared_ptr<LLM> deepseek() const { return deepseek(deepseek_options()); }

  // Cohere's base URL has no version: the plugin's path is /v2/chat.
  ClientOptions cohere_options() const {
    ClientOptions options = single_attempt();
    options.api_key = "co-test-0000";
    options.base_url = server.origin();
    return options;
  }

  std::shared_ptr<LLM> cohere(ClientOptions options, std::string_view model = "command-a-03-2025") const {
    return host.get_llm_instance("cohere", model, std::move(options));
  }
  std::shared_ptr<LLM> cohere() const { return cohere(cohere_options()); }

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
