// A third-party plugin for a self-hosted OpenAI-compatible server, built on the SDK's shared Chat Completions codec.
#include "provider_table.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <string>

using namespace majordomo;
using namespace majordomo::testing;

namespace {

HostOptions compatible_host_options() {
  return testing::only_plugin_dirs({MAJORDOMO_TEST_COMPATIBLE_PLUGIN_DIR});
}

}  // namespace

TEST_CASE("a plugin built on the SDK codec speaks to an OpenAI-compatible server with its own flavour",
          "[sdk][compatible]") {
  ProviderTestEnv env;
  const Host host(compatible_host_options());
  ClientOptions options;
  options.api_key = "local-key";  // such servers take any key, or one set at their start
  options.base_url = env.server.origin() + "/v1";
  const auto llm = host.get_llm_instance("selfhosted", "llama-3-70b", options);

  SECTION("reasoning_content, usage and max_tokens") {
    env.server.push_response(json_body(
        R"({"id":"c1","object":"chat.completion","model":"llama-3-70b","choices":[{"index":0,"message":)"
        R"({"role":"assistant","content":"Hi there","reasoning_content":"Think."},"finish_reason":"stop"}],)"
        R"("usage":{"prompt_tokens":4,"completion_tokens":6,"total_tokens":10}})"));
    RequestOptions request;
    request.max_tokens = 50;
    const Response answer = llm->get_response("hi", request);
    check_answer(answer, {.text = "Hi there", .reasoning = "Think.", .input = 4, .output = 6, .raw_stop = "stop"});
    CHECK_FALSE(answer.cost.priced);  // a self-hosted model is not in any catalog
    const auto requests = env.server.requests();
    REQUIRE(requests.size() == 1);
    CHECK(requests[0].uri == "/v1/chat/completions");
    CHECK(ProviderTestEnv::only_header(requests[0], "Authorization") == "Bearer local-key");
    const auto body = parse_object(requests[0].body);
    CHECK(body->getValue<int>("max_tokens") == 50);
    CHECK_FALSE(body->has("max_completion_tokens"));
  }
  SECTION("the flavour's own failure finish reason becomes a server error keeping the text") {
    env.server.push_response(json_body(
        R"({"id":"c2","object":"chat.completion","model":"llama-3-70b","choices":[{"index":0,"message":)"
        R"({"role":"assistant","content":"Hi th"},"finish_reason":"abort"}],)"
        R"("usage":{"prompt_tokens":4,"completion_tokens":2,"total_tokens":6}})"));
    const auto error = thrown_by<ServerError>([&] { (void)llm->get_response("hi"); });
    CHECK(error.provider_error_type() == "abort");
    CHECK(error.partial_content() == "Hi th");
  }
  SECTION("a recorded OpenAI stream decodes the same through the shared codec") {
    env.push_fixture("openai/chat_completion_stream.sse");
    ResponseStream stream = llm->get_response_stream("weather");
    CHECK_THAT(drain(stream), Catch::StartsWith("I'm unable to provide real-time weather updates."));
    CHECK(stream.response().usage.output_tokens == 30);
    CHECK(stream.response().stop_reason == StopReason::end_turn);
  }
  SECTION("without json_schema the schema goes into the system prompt, with json_object") {
    const std::string schema = R"({"type":"object","properties":{"city":{"type":"string"}},"required":["city"]})";
    LLMRequest request = LLMRequest::from_prompt("Where?");
    request.format = ResponseFormat::json_schema;
    request.schema_name = "Location";
    request.schema_json = schema;
    const auto resolved = llm->resolve(request, false);
    REQUIRE(resolved.size() == 1);
    const auto body = parse_object(resolved[0].body);
    CHECK(body->getObject("response_format")->getValue<std::string>("type") == "json_object");
    const auto system = body->getArray("messages")->getObject(0);
    CHECK(system->getValue<std::string>("role") == "system");
    CHECK_THAT(system->getValue<std::string>("content"), Catch::EndsWith(schema));
  }
}
