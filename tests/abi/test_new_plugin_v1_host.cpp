// A plugin built against today's plugin.h works with a host that offers only the ABI v1 sizes.
// This test is such a host: it drives the real openai plugin through the C ABI with every host
// struct allocated at exactly its MJ_*_V1_SIZE (0.1's layout; mj_call_params without `proxy`,
// mj_plugin_answer without call_params_size), so that a plugin reading or writing past the v1
// fields of a host struct is caught by AddressSanitizer, against the fake server on loopback.
#include "fake_server.hpp"

#include <majordomo/plugin.h>

#include <catch2/catch.hpp>

#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct FreeDeleter {
  void operator()(void* p) const noexcept { std::free(p); }
};

// A host struct of exactly `size` bytes, zeroed, with its struct_size set: nothing lies beyond it.
template <class T>
std::unique_ptr<T, FreeDeleter> v1_struct(std::size_t size) {
  void* memory = std::calloc(1, size);
  REQUIRE(memory != nullptr);
  auto* typed = static_cast<T*>(memory);
  typed->struct_size = static_cast<uint32_t>(size);
  return std::unique_ptr<T, FreeDeleter>(typed);
}

mj_str str(std::string_view text) { return mj_str{text.data(), text.size()}; }
std::string_view view(mj_str text) { return text.size == 0 ? std::string_view{} : std::string_view{text.data, text.size}; }

struct V1Host {
  void* library = nullptr;
  const mj_plugin_v1* table = nullptr;
  mj_instance* instance = nullptr;

  explicit V1Host(const std::string& path) {
    library = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    REQUIRE(library != nullptr);
    const auto entry = reinterpret_cast<mj_plugin_entry_fn>(::dlsym(library, MJ_PLUGIN_ENTRY_SYMBOL));
    REQUIRE(entry != nullptr);
    auto offer = v1_struct<mj_host_offer>(MJ_HOST_OFFER_V1_SIZE);
    offer->abi_min = 1;
    offer->abi_max = 1;
    offer->host_version = str("0.1.0");
    auto answer = v1_struct<mj_plugin_answer>(MJ_PLUGIN_ANSWER_V1_SIZE);
    REQUIRE(entry(offer.get(), answer.get()) == MJ_ENTRY_ACCEPTED);
    CHECK(answer->struct_size == MJ_PLUGIN_ANSWER_V1_SIZE);
    REQUIRE(answer->abi_chosen == 1);
    table = static_cast<const mj_plugin_v1*>(answer->table);
    REQUIRE(table->struct_size >= MJ_PLUGIN_V1_SIZE);

    auto config = v1_struct<mj_instance_config>(MJ_INSTANCE_CONFIG_V1_SIZE);
    config->connect_timeout_ms = 5000;
    config->first_byte_timeout_ms = 10000;
    REQUIRE(table->instance_create(config.get(), &instance) == nullptr);
  }
  ~V1Host() {
    if (instance != nullptr) table->instance_destroy(instance);
    // The plugin stays mapped: the process is short-lived and other tests may hold it.
  }

  struct Outcome {
    std::string text;
    int64_t output_tokens = 0;
    int32_t error_kind = MJ_OK;
    int32_t http_status = 0;
  };

  // The body the plugin builds for a v1-sized request of one user message.
  std::string build_body(const char* model) {
    mj_message message{MJ_ROLE_USER, 0, str("Say hello")};
    auto request = v1_struct<mj_request>(MJ_REQUEST_V1_SIZE);
    request->model = str(model);
    request->max_tokens = 256;
    request->messages = &message;
    request->message_count = 1;
    mj_prepared* prepared = nullptr;
    REQUIRE(table->request_build(instance, request.get(), &prepared) == nullptr);
    std::string body(view(prepared->body));
    table->prepared_release(prepared);
    return body;
  }

  Outcome call(const std::string& origin, bool stream) {
    mj_message message{MJ_ROLE_USER, 0, str("Say hello")};
    auto request = v1_struct<mj_request>(MJ_REQUEST_V1_SIZE);
    request->flags = stream ? static_cast<uint32_t>(MJ_REQUEST_STREAM) : 0u;
    request->model = str("gpt-4o");
    request->messages = &message;
    request->message_count = 1;
    mj_prepared* prepared = nullptr;
    REQUIRE(table->request_build(instance, request.get(), &prepared) == nullptr);

    const std::string url = origin + "/v1" + std::string(view(prepared->path));
    const std::vector<mj_header> headers = {{str("Authorization"), str("Bearer sk-v1-host-0000")},
                                            {str("Content-Type"), str("application/json")}};
    auto params = v1_struct<mj_call_params>(MJ_CALL_PARAMS_V1_SIZE);
    params->flags = stream ? static_cast<uint32_t>(MJ_CALL_STREAM) : 0u;
    params->url = str(url);
    params->headers = headers.data();
    params->header_count = headers.size();
    params->body = prepared->body;
    mj_call* call = nullptr;
    mj_status* status = table->call_open(instance, params.get(), &call);
    table->prepared_release(prepared);
    REQUIRE(status == nullptr);

    Outcome outcome;
    for (int guard = 0; guard < 10'000; ++guard) {
      auto event = v1_struct<mj_event>(MJ_EVENT_V1_SIZE);
      mj_status* error = nullptr;
      const int32_t result = table->call_next(call, event.get(), &error);
      if (result == 0) break;
      if (result < 0) {
        REQUIRE(error != nullptr);
        REQUIRE(error->struct_size >= MJ_STATUS_V1_SIZE);
        outcome.error_kind = error->kind;
        outcome.http_status = error->http_status;
        table->status_release(error);
        break;
      }
      CHECK(event->struct_size <= MJ_EVENT_V1_SIZE);
      if (event->type == MJ_EVENT_TEXT) outcome.text.append(view(event->text));
      if (event->type == MJ_EVENT_USAGE) outcome.output_tokens = event->usage.output_tokens;
    }
    table->call_close(call);
    return outcome;
  }
};

}  // namespace

TEST_CASE("today's openai plugin answers a host that offers only the v1 struct sizes", "[abi]") {
  majordomo::fake::FakeServerOptions options;
  majordomo::fake::FakeProviderServer server(options);
  server.start();
  V1Host host(std::string(MAJORDOMO_TEST_PLUGIN_DIR) + "/libmajordomo-openai.so");

  for (const bool stream : {false, true}) {
    INFO((stream ? "stream" : "json"));
    const V1Host::Outcome outcome = host.call(server.origin(), stream);
    CHECK(outcome.error_kind == MJ_OK);
    CHECK_FALSE(outcome.text.empty());
    CHECK(outcome.output_tokens > 0);
  }
  REQUIRE(server.requests().size() == 2);
  // A v1 host sends no proxy, and the plugin connected directly: the fake saw origin-form targets.
  CHECK(server.requests()[0].uri == "/v1/chat/completions");

  majordomo::fake::ScriptedResponse limited;
  limited.status = 429;
  limited.content_type = "application/json";
  limited.body = R"({"error":{"message":"slow down","type":"rate_limit_exceeded"}})";
  server.push_response(limited);
  const V1Host::Outcome refused = host.call(server.origin(), false);
  CHECK(refused.error_kind == MJ_ERR_RATE_LIMITED);
  CHECK(refused.http_status == 429);
}

// A server may answer with tool calls that the host never asked for (it could not: v1 has no
// tools). Their events must not reach past the v1 event the host gave (AddressSanitizer), and the
// answer's text still arrives.
TEST_CASE("today's openai plugin keeps tool-call events inside a v1 host's event", "[abi][tools]") {
  majordomo::fake::FakeServerOptions options;
  options.fixtures_dir = MAJORDOMO_TEST_FIXTURES;
  majordomo::fake::FakeProviderServer server(options);
  server.start();
  V1Host host(std::string(MAJORDOMO_TEST_PLUGIN_DIR) + "/libmajordomo-openai.so");
  for (const bool stream : {false, true}) {
    INFO((stream ? "stream" : "json"));
    majordomo::fake::ScriptedResponse calls;
    calls.fixture = stream ? "openai/stream_parallel_tool_calls.sse" : "openai/chat_completion_tool_calls.json";
    server.push_response(calls);
    const V1Host::Outcome outcome = host.call(server.origin(), stream);
    CHECK(outcome.error_kind == MJ_OK);
    CHECK(outcome.output_tokens > 0);
  }
  CHECK(server.requests().size() == 2);
}

// A host from before 0.5 cannot send MJ_REQUEST_NO_PROMPT_CACHE, so it cannot turn Anthropic's
// cache breakpoint off: the plugin marks none for it, as the plugins it was built with did.
TEST_CASE("today's anthropic plugin marks no cache breakpoint for a host that cannot turn it off", "[abi]") {
  V1Host host(std::string(MAJORDOMO_TEST_PLUGIN_DIR) + "/libmajordomo-anthropic.so");
  const std::string body = host.build_body("claude-haiku-4-5");
  CHECK(body.find("\"messages\"") != std::string::npos);
  CHECK(body.find("cache_control") == std::string::npos);
}
