// libFuzzer target: one provider plugin's JSON and stream decoders, through its C ABI entry point as the host calls it, fed over loopback.
#include "fuzz_input.hpp"
#include "loopback_server.hpp"

#include <majordomo/plugin.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

// The plugin's own sources are compiled into this program (MAJORDOMO_FUZZ_PROVIDER names it), so
// its entry point is called directly instead of through dlopen.
extern "C" int32_t majordomo_plugin_entry(const mj_host_offer* offer, mj_plugin_answer* answer);

namespace {

mj_str str(std::string_view text) { return {text.data(), text.size()}; }

[[noreturn]] void broken(const char* what) {
  std::fprintf(stderr, "fuzz_plugin: ABI contract broken: %s\n", what);
  std::abort();
}

struct Plugin {
  const mj_plugin_v1* table = nullptr;
  mj_instance* instances[2] = {nullptr, nullptr};  // [1]: provider option api=responses (OpenAI)

  Plugin() {
    mj_host_offer offer{};
    offer.struct_size = sizeof offer;
    offer.abi_min = MJ_ABI_MIN;
    offer.abi_max = MJ_ABI_MAX;
    offer.host_version = str("0.3.0");
    char failure[256] = {};
    mj_plugin_answer answer{};
    answer.struct_size = sizeof answer;
    answer.failure = failure;
    answer.failure_capacity = sizeof failure;
    if (majordomo_plugin_entry(&offer, &answer) != 0 || answer.table == nullptr) broken("the entry point refused");
    table = static_cast<const mj_plugin_v1*>(answer.table);
    for (int i = 0; i < 2; ++i) {
      const mj_header responses_api[] = {{str("api"), str("responses")}};
      mj_instance_config config{};
      config.struct_size = sizeof config;
      // The server always closes after its answer: these only bound a bug.
      config.connect_timeout_ms = 2000;
      config.first_byte_timeout_ms = 2000;
      config.idle_timeout_ms = 2000;
      config.total_timeout_ms = 5000;
      config.max_event_bytes = 1 << 20;
      config.max_body_bytes = 1 << 20;
      const bool openai = std::string_view(table->info->provider_id.data, table->info->provider_id.size) == "openai";
      if (i == 1 && openai) {
        config.options = responses_api;
        config.option_count = 1;
      }
      if (mj_status* error = table->instance_create(&config, &instances[i])) {
        table->status_release(error);
        broken("instance_create failed");
      }
    }
  }
};

Plugin& plugin() {
  static Plugin instance;
  return instance;
}

majordomo::fuzz::LoopbackServer& server() {
  static majordomo::fuzz::LoopbackServer instance;
  return instance;
}

void check_str(const mj_str& text, const char* what) {
  if (text.size > 0 && text.data == nullptr) broken(what);
  if (text.size > (1u << 30)) broken(what);
}

}  // namespace

// Input: split points (fuzz_input.hpp) and a mode byte, then the response body (an odd length
// also calls call_ready before every call_next). Mode bit 0:
// stream; bits 1-2: status 200, 400, 429, 500; bits 3-4: Content-Length, chunked (one chunk per
// piece), until close, chunked; bit 5: the Responses API instance (OpenAI); bit 6: a JSON Schema request;
// bit 7: a request with a tool (0.5).
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = majordomo::fuzz::split_input(data, size);
  if (input.payload.empty()) return 0;
  const auto mode = static_cast<std::uint8_t>(input.payload.front());
  const bool stream = (mode & 1) != 0;
  constexpr int kStatuses[] = {200, 400, 429, 500};
  const int status = kStatuses[(mode >> 1) & 3];
  const int framing = (mode >> 3) & 3;
  const std::string_view body = input.payload.substr(1);

  std::vector<std::string> pieces;
  std::string head = "HTTP/1.1 " + std::to_string(status) + " Fuzz\r\nContent-Type: " +
                     (stream && status == 200 ? "text/event-stream" : "application/json") + "\r\n";
  if (framing == 0) head += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  if (framing == 1 || framing == 3) head += "Transfer-Encoding: chunked\r\n";
  head += "Connection: close\r\n\r\n";
  pieces.push_back(head);
  std::size_t skip = 1;
  for (std::string_view piece : input.pieces) {
    const std::size_t drop = std::min(skip, piece.size());
    skip -= drop;
    piece.remove_prefix(drop);
    if (piece.empty()) continue;
    if (framing == 1 || framing == 3) {
      char size_line[32];
      std::snprintf(size_line, sizeof size_line, "%zx\r\n", piece.size());
      pieces.push_back(size_line + std::string(piece) + "\r\n");
    } else {
      pieces.emplace_back(piece);
    }
  }
  if (framing == 1 || framing == 3) pieces.emplace_back("0\r\n\r\n");
  server().respond_with(std::move(pieces));

  Plugin& loaded = plugin();
  mj_instance* instance = loaded.instances[(mode >> 5) & 1];
  const mj_message message{MJ_ROLE_USER, 0, str("Say hello")};
  mj_request request{};
  request.struct_size = sizeof request;
  request.model = loaded.table->info->model_count > 0 ? loaded.table->info->models[0].id : str("fuzz-model");
  request.messages = &message;
  request.message_count = 1;
  // Bit 7 (0.5): a request with one tool, through the turns a current host sends, so that the
  // decoders run their tool-call paths as they do for a tool request.
  mj_part part{};
  part.struct_size = sizeof part;
  part.type = MJ_PART_TEXT;
  part.text = str("Say hello");
  mj_turn turn{};
  turn.struct_size = sizeof turn;
  turn.role = MJ_ROLE_USER;
  turn.parts = &part;
  turn.part_count = 1;
  mj_tool tool{};
  tool.struct_size = sizeof tool;
  tool.name = str("get_weather");
  tool.parameters_json = str(R"({"type":"object","properties":{"city":{"type":"string"}}})");
  if ((mode & 128) != 0 && loaded.table->info->struct_size >= MJ_FIELD_END(mj_provider_info, request_features) &&
      (loaded.table->info->request_features & MJ_FEATURE_TOOLS) != 0) {
    request.turns = &turn;
    request.turn_count = 1;
    request.tools = &tool;
    request.tool_count = 1;
  }
  if ((mode & 64) != 0) {
    request.response_format = MJ_FORMAT_JSON_SCHEMA;
    request.schema_json = str(R"({"type":"object","properties":{"a":{"type":"string"}},"required":["a"]})");
    request.schema_name = str("Fuzz");
  }
  mj_prepared* prepared = nullptr;
  if (mj_status* error = loaded.table->request_build(instance, &request, &prepared)) {
    loaded.table->status_release(error);
    return 0;  // a model or format this provider refuses: nothing to decode
  }
  const std::string url = server().url() + std::string(prepared->path.data + 1, prepared->path.size - 1);
  const mj_header headers[] = {{str("Authorization"), str("Bearer fuzz-key")}, {str("x-api-key"), str("fuzz-key")}};
  mj_call_params params{};
  params.struct_size = sizeof params;
  params.flags = stream ? MJ_CALL_STREAM : 0u;
  params.url = str(url);
  params.headers = headers;
  params.header_count = 2;
  params.body = prepared->body;
  params.time_left_ms = 5000;
  mj_call* call = nullptr;
  mj_status* error = loaded.table->call_open(instance, &params, &call);
  loaded.table->prepared_release(prepared);
  if (error != nullptr) {
    check_str(error->message, "call_open message");
    loaded.table->status_release(error);
    return 0;
  }
  // (0.6) An odd body length also asks call_ready before each call_next, as a relaying host does:
  // the decoders then run ahead of call_next, and an error they meet waits for it.
  const bool ask_ready = (body.size() & 1) != 0 && loaded.table->call_ready != nullptr;
  // Bounded: every event comes from input bytes, and a stop ends the response.
  int32_t calls_started = 0;  // the tool-call numbering contract (plugin.h, 0.5)
  for (std::size_t events = 0; events < (1u << 20); ++events) {
    if (ask_ready) {
      const int32_t ready = loaded.table->call_ready(call);
      if (ready != 0 && ready != 1) broken("call_ready returned neither 0 nor 1");
    }
    mj_event event{};
    event.struct_size = sizeof event;
    mj_status* failure = nullptr;
    const int32_t result = loaded.table->call_next(call, &event, &failure);
    if (result == 1) {
      if (event.type < MJ_EVENT_TEXT || event.type > MJ_EVENT_CONTINUATION) broken("unknown event type");
      if (event.type >= MJ_EVENT_TOOL_CALL_START && event.type <= MJ_EVENT_TOOL_CALL_END) {
        check_str(event.tool_call_id, "tool call id");
        check_str(event.tool_name, "tool name");
        if (event.type == MJ_EVENT_TOOL_CALL_START) {
          if (event.tool_index != calls_started) broken("a tool call started out of order");
          ++calls_started;
        } else if (event.tool_index < 0 || event.tool_index >= calls_started) {
          broken("an event for a tool call never started");
        }
      }
      check_str(event.text, "event text");
      check_str(event.request_id, "event request_id");
      check_str(event.model, "event model");
      continue;
    }
    if (result == -1) {
      if (failure == nullptr) broken("-1 without a status");
      if (failure->kind < MJ_ERR_CONFIGURATION || failure->kind > MJ_ERR_PROTOCOL) broken("unknown error kind");
      check_str(failure->message, "error message");
      loaded.table->status_release(failure);
    } else if (result != 0) {
      broken("call_next returned neither 1, 0 nor -1");
    }
    break;
  }
  loaded.table->call_close(call);
  return 0;
}
