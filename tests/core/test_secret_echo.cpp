// A server that echoes credentials back (request-id headers, model names, error bodies): the host scrubs them by value.
#include "provider_table.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace majordomo;
using namespace majordomo::testing;

namespace {

struct EchoCase {
  std::string provider;
  std::string request_id_header;
  std::string json_fixture;
  std::string stream_fixture;
};

std::shared_ptr<LLM> llm_for(const ProviderTestEnv& env, const std::string& provider, const std::string& key) {
  ClientOptions options = provider_row(provider).options(env);
  options.api_key = key;
  return provider_row(provider).llm(env, options);
}

}  // namespace

TEST_CASE("a key echoed in the request-id header is never the request id of an answer or error", "[secrets]") {
  ProviderTestEnv env;
  const std::vector<EchoCase> cases = {
      {"openai", "x-request-id", "openai/chat_completion.json", "openai/chat_completion_stream.sse"},
      {"anthropic", "request-id", "anthropic/message.json", "anthropic/message_stream.sse"},
      {"deepseek", "x-request-id", "deepseek/chat_completion.json", "deepseek/chat_completion_stream.sse"}};
  // A long key anywhere, and a one-character one that only a whole-value match can find.
  for (const std::string key : {"sk-echoed-secret-0001", "k"}) {
    for (const auto& c : cases) {
      DYNAMIC_SECTION(c.provider << " with a key of " << key.size() << " byte(s)") {
        const auto llm = llm_for(env, c.provider, key);
        env.push_fixture(c.json_fixture, {{c.request_id_header, key}});
        const Response answer = llm->get_response("hi");
        CHECK(answer.request_id == "[REDACTED]");

        env.push_fixture(c.stream_fixture, {{c.request_id_header, key}});
        ResponseStream stream = llm->get_response_stream("hi");
        (void)drain(stream);
        CHECK(stream.response().request_id == "[REDACTED]");

        auto failure = ProviderTestEnv::scripted_status(
            500, R"({"error":{"message":"bad key )" + key + R"(","type":"server_error"}})");
        failure.headers = {{c.request_id_header, "req-" + key}};
        env.server.push_response(failure);
        const Error error = thrown_by([&] { (void)llm->get_response("hi"); });
        CHECK(error.request_id() == "[REDACTED]");
        if (key.size() > 1) CHECK_THAT(error.what(), !Catch::Contains(key));
      }
    }
  }
}

TEST_CASE("a request id that holds no credential is kept as sent", "[secrets]") {
  ProviderTestEnv env;
  const auto llm = env.openai();
  env.push_fixture("openai/chat_completion.json", {{"x-request-id", "req_abc123"}});
  CHECK(llm->get_response("hi").request_id == "req_abc123");
}

TEST_CASE("a one-character key quoted back in an error message is replaced there", "[secrets]") {
  ProviderTestEnv env;
  ClientOptions options = env.openai_options();
  options.api_key = "k";
  const auto llm = env.openai(options);
  env.server.push_response(ProviderTestEnv::scripted_status(
      401, R"({"error":{"message":"Incorrect API key provided: k. Check your keys.","type":"invalid_request_error","code":"invalid_api_key"}})"));
  const auto error = thrown_by<AuthenticationError>([&] { (void)llm->get_response("hi"); });
  CHECK_THAT(error.what(), Catch::Contains("Incorrect API key provided: [REDACTED]. Check your keys."));
}

TEST_CASE("a per-request credential header echoed as the model name is redacted", "[secrets]") {
  ProviderTestEnv env;
  const auto llm = env.openai();
  const std::string token = "tok-request-secret-42";
  RequestOptions options;
  options.extra_headers.set("X-Session-Token", token);
  env.server.push_response(json_body(
      R"({"id":"c1","object":"chat.completion","model":")" + token +
      R"(","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],)"
      R"("usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}})"));
  const Response answer = llm->get_response("hi", options);
  CHECK(answer.content == "hi");
  CHECK(answer.model == "[REDACTED]");
}

TEST_CASE("a proxy password echoed in its Basic form is scrubbed from the error", "[secrets][proxy]") {
  ProviderTestEnv env;
  ClientOptions options = env.openai_options();
  // The password is one character; the transport sends "Basic base64(alice:p)" to the proxy.
  options.proxy = "http://alice:p@127.0.0.1:" + std::to_string(env.server.port());
  options.no_proxy = "";
  const auto llm = env.openai(options);
  const std::string basic = "Basic YWxpY2U6cA==";
  env.server.push_response(ProviderTestEnv::scripted_status(
      502, R"({"error":{"message":"proxy refused )" + basic + R"( and password: p","type":"server_error"}})"));
  const Error error = thrown_by([&] { (void)llm->get_response("hi"); });
  INFO(error.what());
  CHECK_THAT(error.what(), !Catch::Contains("YWxpY2U6cA"));
  CHECK_THAT(error.what(), Catch::Contains("password: [REDACTED]"));
}
