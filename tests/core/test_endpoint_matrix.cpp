// The endpoint-and-header matrix: provider × operation × base-URL source, checked on the fake's record.
#include "provider_table.hpp"
#include "scoped_env.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace majordomo;
using namespace majordomo::testing;

namespace {

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

// Runs one operation to its end and returns the answer text.
std::string run(LLM& llm, const ProviderRow& provider, Operation op, const RequestOptions& options) {
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
  for (const auto& provider : provider_rows()) {
    for (Operation op : {Operation::text, Operation::stream, Operation::json, Operation::structured}) {
      for (const bool from_env : {true, false}) {
        const std::string label =
            fmt::format("{} {} base URL from {}", provider.name, name_of(op), from_env ? "env var" : "option");
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
            prefix = "/gateway/" + provider.name;
            options.base_url = env.server.origin() + prefix + provider.version_path;
          }
          const auto llm = provider.llm(env, options);

          env.push_fixture(op == Operation::text     ? provider.text_fixture
                           : op == Operation::stream ? provider.stream_fixture
                                                     : provider.json_fixture);
          RequestOptions request;
          request.extra_headers = {{"x-majordomo-team", "request"}, {"X-Majordomo-Operation", name_of(op)}};
          CHECK_FALSE(run(*llm, provider, op, request).empty());

          const auto recorded = env.server.requests();
          REQUIRE(recorded.size() == 1);
          const auto& wire = recorded[0];
          CHECK(wire.protocol == provider.protocol);
          CHECK(wire.uri == prefix + provider.version_path + provider.api_path(op == Operation::stream));
          CHECK(ProviderTestEnv::only_header(wire, provider.auth_header) == provider.auth_value(provider.api_key));
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
          if (provider.body_names_model) {
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
  for (const auto& provider : provider_rows()) {
    DYNAMIC_SECTION(provider.name) {
      ClientOptions client;
      client.api_key = provider.api_key;
      client.base_url = env.server.origin() + provider.version_path;
      const auto llm = provider.llm(env, client);
      const Response whole = llm->get_response("Count the usage of this prompt");
      ResponseStream stream = llm->get_response_stream("Count the usage of this prompt");
      const std::string streamed_text = drain(stream);
      const Response& streamed = stream.response();
      CHECK(streamed_text == whole.content);
      CHECK(whole.usage.output_tokens > 0);
      check_same_answer(whole, streamed);
      CHECK(streamed.stop_reason == whole.stop_reason);
    }
  }
}
