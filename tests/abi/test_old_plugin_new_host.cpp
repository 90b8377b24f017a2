// A plugin built against a frozen plugin.h keeps loading and working in this host, and in a host whose structs grew.
#include "fake_server.hpp"
#include "scripted_streams.hpp"

#include <majordomo/majordomo.hpp>
#include <majordomo/plugin.h>

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <string>

using namespace majordomo;

namespace {

Host frozen_plugin_host() {
  HostOptions options;
  options.plugin_dirs = {MAJORDOMO_TEST_FROZEN_PLUGIN_DIR};
  options.use_env_path = false;
  options.use_default_dir = false;
  return Host(options);
}

ClientOptions frozen_options() {
  ClientOptions options;
  options.api_key = "frozen-key-0000";
  options.base_url = "http://127.0.0.1:9/frozen-gateway";
  options.retry.max_attempts = 1;
  return options;
}

}  // namespace

// This file is compiled twice: into the normal test build, and (MAJORDOMO_TEST_GROWN_HOST) against
// a copy of the host whose every growable plugin struct has an extra field at its end, as a later
// release would. The plugins never change: frozen-echo was built from tests/abi/frozen/0.2 and
// frozen-echo-0-1 from tests/abi/frozen/0.1, the header of the first release.
TEST_CASE("plugins built against the frozen 0.1 and 0.2 headers load and answer", "[abi]") {
  Host host = frozen_plugin_host();
  REQUIRE(host.skipped().empty());
  for (const std::string id : {"frozen-echo", "frozen-echo-0-1"}) {
  DYNAMIC_SECTION("plugin " << id) {
  const PluginInfo* info = host.find_plugin(id);
  REQUIRE(info != nullptr);
  CHECK(info->display_name == "Frozen echo (ABI test)");
  REQUIRE(info->models.size() == 1);
  CHECK(info->models[0].id == "frozen-1");
  CHECK(info->models[0].priced());

  auto llm = host.get_llm_instance(id, "frozen-1", frozen_options());
  const Response answer = llm->get_response("hello");
  // The sizes the plugin was handed are this host's; a grown host's are larger than the plugin's own.
  CHECK(answer.content == fmt::format("hello | offer={} config={} request={} params={} event={} | "
                                      "http://127.0.0.1:9/frozen-gateway/frozen",
                                      sizeof(mj_host_offer), sizeof(mj_instance_config), sizeof(mj_request),
                                      sizeof(mj_call_params), sizeof(mj_event)));
#ifdef MAJORDOMO_TEST_GROWN_HOST
  CHECK(sizeof(mj_request) > MJ_REQUEST_V1_SIZE);
  CHECK(sizeof(mj_event) > MJ_EVENT_V1_SIZE);
  CHECK(sizeof(mj_host_offer) > 48);  // the 0.2 size
#endif
  CHECK(answer.request_id == "frozen-req-1");
  CHECK(answer.stop_reason == StopReason::end_turn);
  CHECK(answer.raw_stop_reason == "done");
  CHECK(answer.usage.input_tokens == 3);
  CHECK(answer.usage.output_tokens == 5);
  CHECK(answer.cost.priced);
  CHECK(answer.cost.total == Approx(3 * 1.0e-6 + 5 * 2.0e-6));

  ResponseStream stream = llm->get_response_stream("streamed");
  std::string text;
  for (std::string_view piece : stream) text.append(piece);
  CHECK_THAT(text, Catch::StartsWith("streamed | offer="));
  CHECK(stream.response().usage.output_tokens == 5);

  try {
    (void)llm->get_response("fail");
    FAIL("no error");
  } catch (const RateLimitedError& error) {
    CHECK(error.http_status() == 429);
    CHECK(error.retry_after_ms() == 1500);
    CHECK(error.request_id() == "frozen-req-1");
    CHECK(std::string(error.what()) == id + ": slow down");
  }
  }
  }
}

TEST_CASE("a plugin that reads only the v1 call params is refused a proxy, not silently sent direct", "[abi]") {
  Host host = frozen_plugin_host();
  ClientOptions options = frozen_options();
  options.proxy = "http://127.0.0.1:3128";
  CHECK_THROWS_AS(host.get_llm_instance("frozen-echo", "frozen-1", options), ConfigurationError);
  CHECK_THROWS_AS(host.get_llm_instance("frozen-echo-0-1", "frozen-1", options), ConfigurationError);
}

TEST_CASE("a plugin built before 0.5 is refused tools, images and reasoning, and still answers plain requests", "[abi]") {
  Host host = frozen_plugin_host();
  for (const std::string id : {"frozen-echo", "frozen-echo-0-1"}) {
    DYNAMIC_SECTION("plugin " << id) {
      auto llm = host.get_llm_instance(id, "frozen-1", frozen_options());
      LLMRequest with_tools = LLMRequest::from_prompt("hello");
      with_tools.tools.push_back(ToolDefinition{"get_weather", "", R"({"type":"object"})", false});
      LLMRequest with_image = LLMRequest::from_prompt("hello");
      with_image.messages[0].parts.push_back(ContentPart::image_from_url("https://example.com/a.png"));
      LLMRequest with_thinking = LLMRequest::from_prompt("hello");
      with_thinking.options.thinking = Thinking::budget(2048);
      for (const LLMRequest* request : {&with_tools, &with_image, &with_thinking}) {
        try {
          (void)llm->complete(*request);
          FAIL("sent a request the plugin would misread");
        } catch (const UnsupportedError& error) {
          CHECK_THAT(error.what(), Catch::Contains("declares no support"));
        }
      }
      // A system message and text parts need nothing new: they reach it as ABI v1 text.
      LLMRequest plain;
      plain.messages.push_back(Message::system("be brief"));
      plain.messages.push_back(Message::user("hel"));
      plain.messages.back().parts.push_back(ContentPart::from_text("lo"));
      CHECK_THAT(llm->complete(plain).content, Catch::StartsWith("hello | offer="));
    }
  }
}

TEST_CASE("today's plugins answer through this host too", "[abi]") {
  majordomo::fake::FakeProviderServer server{majordomo::fake::FakeServerOptions{}};
  server.start();
  HostOptions options;
  options.plugin_dirs = {MAJORDOMO_TEST_PLUGIN_DIR};
  options.use_env_path = false;
  options.use_default_dir = false;
  const Host host(options);
  ClientOptions client;
  client.api_key = "sk-grown-0000";
  client.base_url = server.origin() + "/v1";
  auto llm = host.get_llm_instance("openai", "gpt-4o", client);
  const Response answer = llm->get_response("hello");
  CHECK_FALSE(answer.content.empty());
  CHECK(answer.usage.output_tokens > 0);
  // (0.6) Its call_ready reaches the host: a stream the fake writes at once (its default is a
  // write per event, whose arrival would decide the count) lets chunks find the next one at hand.
  majordomo::testing::stream_next(server, majordomo::testing::numbered_words(8));
  ResponseStream stream = llm->get_response_stream("hello");
  std::string text;
  int ready_after = 0;
  StreamChunk chunk;
  while (stream.next(chunk)) {
    text.append(chunk.text);
    if (stream.ready()) ++ready_after;
  }
  CHECK_FALSE(text.empty());
  CHECK(ready_after > 0);

  // (0.5) Turns, parts, calls and tools reach the plugin strided by the host's struct sizes (larger
  // than the plugin's own in the grown host): a whole tool loop.
  LLMRequest request = LLMRequest::from_prompt("weather?");
  request.tools.push_back(ToolDefinition{"get_weather", "weather", R"({"type":"object","properties":{"city":{"type":"string"}}})", false});
  const Response first = llm->complete(request);
  REQUIRE(first.tool_calls.size() == 1);
  CHECK(first.tool_calls[0].name == "get_weather");
  request.messages.push_back(Message::assistant(first));
  request.messages.push_back(Message::tool_result(first.tool_calls[0], "sunny"));
  const Response second = llm->complete(request);
  CHECK(second.tool_calls.empty());
  CHECK_FALSE(second.content.empty());
  const auto sent = server.requests().back().body;
  CHECK_THAT(sent, Catch::Contains(R"("role":"tool","tool_call_id":")" + first.tool_calls[0].id + R"(","content":"sunny")"));
}

TEST_CASE("a plugin built before 0.6 cannot see the cancel descriptor and is cancelled between two of its events",
          "[abi][cancel]") {
  Host host = frozen_plugin_host();
  for (const std::string id : {"frozen-echo", "frozen-echo-0-1"}) {
  DYNAMIC_SECTION("plugin " << id) {
  auto llm = host.get_llm_instance(id, "frozen-1", frozen_options());
  auto cancellation = std::make_shared<CallCancellation>();
  LLMRequest request = LLMRequest::from_prompt("streamed");
  request.cancellation = cancellation;
  ResponseStream stream = llm->stream(request);
  StreamChunk chunk;
  REQUIRE(stream.next(chunk));
  CHECK_THAT(std::string(chunk.text), Catch::StartsWith("streamed | offer="));
  // The plugin has its usage and stop events still to give: the host closes the call instead.
  cancellation->cancel();
  try {
    (void)stream.next(chunk);
    FAIL("no error");
  } catch (const CancelledError& error) {
    CHECK_THAT(error.what(), Catch::Contains("cancelled by its caller"));
    CHECK_THAT(error.partial_content(), Catch::StartsWith("streamed | offer="));
    REQUIRE(error.details().records.size() == 1);
    CHECK(error.details().records.back().error == ErrorKind::cancelled);
  }
  CHECK(stream.response().usage.output_tokens == 0);
  }
  }
}

TEST_CASE("a plugin built before 0.6 has no call_ready: its streams never claim a chunk is at hand", "[abi][ready]") {
  Host host = frozen_plugin_host();
  for (const std::string id : {"frozen-echo", "frozen-echo-0-1"}) {
  DYNAMIC_SECTION("plugin " << id) {
  auto llm = host.get_llm_instance(id, "frozen-1", frozen_options());
  ResponseStream stream = llm->get_response_stream("streamed");
  StreamChunk chunk;
  int chunks = 0;
  while (stream.next(chunk)) {
    ++chunks;
    // Its events are all at hand, but the host cannot know that: it must relay each at once.
    CHECK_FALSE(stream.ready());
  }
  CHECK(chunks > 0);
  CHECK(stream.response().usage.output_tokens > 0);
  }
  }
}
