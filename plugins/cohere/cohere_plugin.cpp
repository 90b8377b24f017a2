// Cohere provider plugin: builds Chat v2 requests and decodes their JSON and SSE responses.
#include "cohere_tools.hpp"

#include <majordomo/plugin.h>
#include <majordomo/sdk/call.hpp>
#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/http.hpp>
#include <majordomo/sdk/http_provider.hpp>
#include <majordomo/sdk/json_fields.hpp>
#include <majordomo/sdk/json_read.hpp>
#include <majordomo/sdk/json_writer.hpp>
#include <majordomo/sdk/parser_pool.hpp>
#include <majordomo/sdk/plugin.hpp>
#include <majordomo/version.hpp>
#include <majordomo/sdk/provider_support.hpp>
#include <majordomo/sdk/sse.hpp>

#include <fmt/format.h>
#include <simdjson.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace majordomo::cohere {
namespace {

namespace sdk = majordomo::sdk;
using sdk::model_entry;
namespace ondemand = simdjson::ondemand;
using sdk::read_optional_string;

// How messages name the provider; the catalog id names it in configuration errors.
constexpr std::string_view kDisplayName = "Cohere";

// ---------------------------------------------------------------------------------------------
// Catalog
// ---------------------------------------------------------------------------------------------

// Every listed chat model takes tools (docs.cohere.com tool-use pages: Command R 08-2024 and
// newer, Command R7B, Command A); only the vision model takes images, and only the reasoning
// model reasons (docs/providers.md, "Tools, images and reasoning (0.5)").
constexpr uint32_t kChatCapabilities = MJ_CAP_STREAMING | MJ_CAP_JSON_MODE | MJ_CAP_JSON_SCHEMA | MJ_CAP_TOOLS;
constexpr uint32_t kReasoningCapabilities = kChatCapabilities | MJ_CAP_REASONING;
// Command A Vision: images and streaming are what its model page documents; tools and JSON
// modes are not claimed for it, so the host refuses them before sending.
constexpr uint32_t kVisionCapabilities = MJ_CAP_STREAMING | MJ_CAP_IMAGES;
// Cohere publishes no separate cached-input or cache-write prices.
using sdk::kNotPriced;

// USD per 1M tokens, read 2026-11 through the project's search index. Official: cohere.com/pricing
// and the model pages of docs.cohere.com for command-a-03-2025 and command-r-08-2024. The other
// rows were confirmed against secondary price tables only. Output caps from the model pages:
// Command A 8K (32K for the reasoning model), Command R family 4K. command-a-plus-05-2026 is not
// listed: no price for it could be verified. command-a-vision-07-2025 is listed for what it can
// take (the host refuses images to every other model) but not priced: its costs read as unknown;
// its 8K output cap is from Cohere's announcement of the model.
constexpr mj_model_info kModels[] = {
    model_entry("command-a-03-2025", kChatCapabilities, 2.50, 10.00, kNotPriced, kNotPriced, 8'000),
    model_entry("command-a-reasoning-08-2025", kReasoningCapabilities, 2.50, 10.00, kNotPriced, kNotPriced, 32'000),
    model_entry("command-a-vision-07-2025", kVisionCapabilities, kNotPriced, kNotPriced, kNotPriced, kNotPriced, 8'000),
    model_entry("command-r-plus-08-2024", kChatCapabilities, 2.50, 10.00, kNotPriced, kNotPriced, 4'000),
    model_entry("command-r-08-2024", kChatCapabilities, 0.15, 0.60, kNotPriced, kNotPriced, 4'000),
    model_entry("command-r7b-12-2024", kChatCapabilities, 0.0375, 0.15, kNotPriced, kNotPriced, 4'000),
};

// CO_API_KEY is what Cohere's official SDKs read; they have no base-URL variable of their own
// that all agree on, so COHERE_BASE_URL follows the other plugins' <PROVIDER>_BASE_URL pattern.
constexpr mj_provider_info kProviderInfo = sdk::provider_entry({
    .id = "cohere", .display_name = "Cohere", .version = MAJORDOMO_VERSION_STRING,
    .default_base_url = "https://api.cohere.com", .api_key_env = "CO_API_KEY", .base_url_env = "COHERE_BASE_URL",
    .models = kModels, .request_features = MJ_FEATURE_TOOLS | MJ_FEATURE_IMAGES | MJ_FEATURE_REASONING});

// ---------------------------------------------------------------------------------------------
// Decoding helpers (simdjson On-Demand, error codes only)
// ---------------------------------------------------------------------------------------------

struct TokenPair {
  int64_t input = -1;
  int64_t output = -1;
};

// Cohere's counts are JSON numbers that may be floats ("18.0", PROTOCOLS §5.2), which
// sdk::read_token_count takes when their value is whole; 18.5, "18" or -1 is a parse error.
simdjson::error_code read_token_pair(ondemand::value& value, TokenPair& pair, std::string_view input_name,
                                     std::string_view output_name) {
  return sdk::for_each_field_if_object(value, [&](ondemand::raw_json_string key, ondemand::value& field) {
    if (key == "input_tokens") {
      sdk::read_token_count(field, pair.input, kDisplayName, input_name);
    } else if (key == "output_tokens") {
      sdk::read_token_count(field, pair.output, kDisplayName, output_name);
    }
  });
}

// `usage.billed_units` holds what Cohere charges for; `usage.tokens` the raw counts including the
// prompt template (larger). The host prices from mj_usage, so billed units are reported when
// present, each count on its own, and the raw counts fill in what billing leaves out.
simdjson::error_code read_usage(ondemand::value& value, mj_usage& usage, bool& present) {
  TokenPair billed;
  TokenPair raw;
  int64_t cached = 0;
  bool object = false;
  const simdjson::error_code error = sdk::for_each_field_if_object(value, object,
      [&](ondemand::raw_json_string key, ondemand::value& field) {
    if (key == "billed_units") {
      return read_token_pair(field, billed, "usage.billed_units.input_tokens", "usage.billed_units.output_tokens");
    }
    if (key == "tokens") return read_token_pair(field, raw, "usage.tokens.input_tokens", "usage.tokens.output_tokens");
    if (key == "cached_tokens") sdk::read_token_count(field, cached, kDisplayName, "usage.cached_tokens");
    return simdjson::SUCCESS;
  });
  if (!object || error != simdjson::SUCCESS) return error;
  present = true;
  const auto pick = [](int64_t preferred, int64_t fallback) {
    if (preferred >= 0) return preferred;
    return fallback >= 0 ? fallback : 0;
  };
  usage = mj_usage{};
  usage.input_tokens = pick(billed.input, raw.input);
  usage.output_tokens = pick(billed.output, raw.output);
  usage.cached_tokens = cached;
  return simdjson::SUCCESS;
}

int32_t normalise_finish_reason(std::string_view reason) noexcept {
  if (reason == "COMPLETE") return MJ_STOP_END_TURN;
  if (reason == "STOP_SEQUENCE") return MJ_STOP_STOP_SEQUENCE;
  if (reason == "MAX_TOKENS") return MJ_STOP_MAX_TOKENS;
  if (reason == "TOOL_CALL") return MJ_STOP_TOOL_USE;
  if (reason == "ERROR" || reason == "TIMEOUT") return MJ_STOP_ERROR;
  return MJ_STOP_UNKNOWN;
}

// One content block: `{"type":"text","text"}` or `{"type":"thinking","thinking"}`; in a stream
// delta the type is left out and the key alone tells which it is.
struct ContentFields {
  std::string_view type;
  std::string_view text;
  std::string_view thinking;
  bool has_type = false;
  bool has_text = false;
  bool has_thinking = false;
};

simdjson::error_code read_content(ondemand::value& value, ContentFields& fields) {
  return sdk::for_each_field(value, [&](ondemand::raw_json_string key, ondemand::value& field) {
    if (key == "type") return read_optional_string(field, fields.type, fields.has_type);
    if (key == "text") {
      // Strings wherever they appear; null or another type is a malformed answer.
      sdk::read_answer_text(field, fields.text, fields.has_text, kDisplayName, "content[].text", false);
    } else if (key == "thinking") {
      sdk::read_answer_text(field, fields.thinking, fields.has_thinking, kDisplayName, "content[].thinking", false);
    }
    return simdjson::SUCCESS;
  });
}

// Text goes to the answer and thinking to the reasoning; other block types (images, future
// kinds) are skipped.
void emit_content(const ContentFields& fields, sdk::EventSink& sink) {
  const bool text_block = !fields.has_type || fields.type == "text";
  const bool thinking_block = !fields.has_type || fields.type == "thinking";
  if (text_block && fields.has_text && !fields.text.empty()) sink.text(fields.text);
  if (thinking_block && fields.has_thinking && !fields.thinking.empty()) {
    sink.reasoning(fields.thinking);
  }
}

// ---------------------------------------------------------------------------------------------
// Response decoder
// ---------------------------------------------------------------------------------------------

class ChatDecoder final : public sdk::ResponseDecoder {
 public:
  explicit ChatDecoder(sdk::ParserPool::Lease parser) : parser_(std::move(parser)) {}

  // Cohere documents no request id header; bodies carry an `id` instead (PROTOCOLS §0.5).
  std::string_view request_id_header() const override { return {}; }

  void on_body(std::string_view body, sdk::EventSink& sink) override {
    ondemand::document document;
    ondemand::object root =
        sdk::open_root_object(*parser_, body, document, kDisplayName, "response");
    std::string_view id;
    std::string_view finish_reason;
    bool has_id = false;
    bool has_finish_reason = false;
    bool has_message = false;
    mj_usage usage{};
    bool has_usage = false;
    sdk::read_root_fields(root, kDisplayName, "response", [&](ondemand::raw_json_string key, ondemand::value& field) {
      if (key == "id") return read_optional_string(field, id, has_id);
      if (key == "finish_reason") return read_optional_string(field, finish_reason, has_finish_reason);
      if (key == "usage") return read_usage(field, usage, has_usage);
      // Events are queued in the sink, so the message's text may be emitted as it is read.
      if (key == "message") return read_message(field, sink, has_message);
      return simdjson::SUCCESS;
    });
    if (!has_message) {
      throw sdk::ProviderError(MJ_ERR_PARSE, "Cohere response has no message");
    }
    tools_.finish(has_finish_reason && finish_reason == "MAX_TOKENS", sink);
    if (has_id) sink.meta(id, {});
    if (has_finish_reason) sink.stop(normalise_finish_reason(finish_reason), finish_reason);
    if (has_usage) sink.usage(usage);
  }

  bool on_event(const sdk::SseEvent& event, sdk::EventSink& sink) override {
    const std::string_view data = event.data;
    if (data == "[DONE]") return false;
    if (data.empty()) return true;

    ondemand::document document;
    ondemand::object root =
        sdk::open_root_object(*parser_, data, document, kDisplayName, "stream event");
    // The event name is repeated as data.type; data.type is read so a missing `event:` line
    // (a proxy that strips it) changes nothing.
    std::string_view type;
    bool has_type = false;
    int64_t index = 0;
    bool has_index = false;
    StreamToolCall call;  // tool-call-start and tool-call-delta: acted on once `index` is known
    sdk::read_root_fields(root, kDisplayName, "stream event",
        [&](ondemand::raw_json_string key, ondemand::value& field) -> simdjson::error_code {
      if (key == "type") return read_optional_string(field, type, has_type);
      if (key == "index") {
        has_index = true;
        return field.get_int64().get(index);
      }
      if (key == "id") {
        std::string_view id;
        bool has_id = false;
        if (auto error = read_optional_string(field, id, has_id)) return error;
        if (has_id && !id_seen_) {
          id_seen_ = true;
          sink.meta(id, {});
        }
      } else if (key == "delta") {
        // `type` precedes `delta` in every recorded event; an event that names its type after
        // the delta is decoded by the delta's own keys, which do not overlap between types.
        return read_delta(field, has_type ? type : std::string_view{}, call, sink);
      }
      return simdjson::SUCCESS;
    });
    on_tool_call_event(has_type ? type : std::string_view{}, has_index, index, call, sink);
    return true;
  }

  void on_stream_end(bool /*terminator_seen*/, sdk::EventSink& /*sink*/) override {
    // message-end is the real end (it carries the finish reason and usage); [DONE] is a courtesy
    // that may be missing, and a [DONE] without message-end still leaves the answer unfinished.
    if (!message_ended_) {
      throw sdk::ProviderError(
          MJ_ERR_CONNECTION,
          "stream ended before message-end: the connection was closed mid-response");
    }
  }

  [[noreturn]] void on_error_status(const sdk::HttpExchange& exchange,
                                    std::string_view body) override {
    const int status = exchange.status();
    int32_t kind = sdk::error_kind_for_http_status(status);
    if (status == 498) kind = MJ_ERR_BAD_REQUEST;    // "invalid token": deny-listed prompt text
    if (status == 499) kind = MJ_ERR_CANCELLED;      // the request was cancelled
    const int64_t retry_after = sdk::retry_after_ms(exchange);

    sdk::ErrorBody error_body(body);
    std::string_view message;
    std::string_view id;
    bool has_message = false;
    bool has_id = false;
    ondemand::object root;
    if (error_body.open_object(*parser_, root)) {
      // The walk stops at the first unreadable field; a message or id that cannot be read leaves
      // the message untrusted.
      (void)sdk::for_each_field(root, [&](ondemand::raw_json_string key, ondemand::value& field) {
        simdjson::error_code error = simdjson::SUCCESS;
        if (key == "message") {
          error = read_optional_string(field, message, has_message);
        } else if (key == "id") {
          error = read_optional_string(field, id, has_id);
        }
        if (error != simdjson::SUCCESS) has_message = false;
        return error;
      });
    }

    std::string text = sdk::error_status_message(
        kDisplayName, status, body,
        has_message ? std::optional<std::string_view>(message) : std::nullopt);
    // Cohere's error bodies have no type field; the body's id is the request's id.
    throw sdk::ProviderError(kind, std::move(text), status, std::string{},
                             has_id ? std::string(id) : std::string{}, retry_after);
  }

 private:
  // What a tool-call-start or tool-call-delta event's `delta.message.tool_calls` held.
  struct StreamToolCall {
    ToolCallPiece piece{};
    bool present = false;
  };

  // A stream's tool-call events, by the server's `index` (PROTOCOLS §5.3). An event without a
  // type (a proxy that strips it) is a start when it names the function, else more arguments.
  void on_tool_call_event(std::string_view type, bool has_index, int64_t index, const StreamToolCall& call,
                          sdk::EventSink& sink) {
    const bool end = type == "tool-call-end";
    if (!end && !call.present) return;
    if (!has_index) {
      throw sdk::ProviderError(MJ_ERR_PARSE, "Cohere stream sent a tool call event without an index");
    }
    if (end) {
      tools_.end(index, sink);
    } else if (type == "tool-call-start" || (type.empty() && call.piece.has_name)) {
      tools_.start(index, call.piece, sink);
    } else {
      tools_.arguments(index, call.piece.arguments, sink);
    }
  }

  // `message.content[]` (text and thinking blocks), `tool_plan` and `tool_calls`; citations are
  // not part of the ABI's events and are skipped.
  simdjson::error_code read_message(ondemand::value& value, sdk::EventSink& sink, bool& present) {
    ondemand::object message;
    if (auto error = value.get_object().get(message)) return error;
    present = true;
    return sdk::for_each_field(message, [&](ondemand::raw_json_string key, ondemand::value& content) {
      if (key == "tool_plan") return read_tool_plan(content, "message.tool_plan");
      if (key == "tool_calls") {
        return sdk::for_each_element_if_array(content, [&](ondemand::value& element) {
          ToolCallPiece piece;
          if (auto error = read_tool_call_piece(element, piece)) return error;
          tools_.whole_call(piece, sink);
          return simdjson::SUCCESS;
        });
      }
      if (key != "content") return simdjson::SUCCESS;
      return sdk::for_each_element_if_array(content, [&](ondemand::value& block) {
        ContentFields fields;
        if (auto error = read_content(block, fields)) return error;
        // A body's blocks always name their type; one without it is not text we know.
        if (fields.has_type) emit_content(fields, sink);
        return simdjson::SUCCESS;
      });
    });
  }

  // A tool plan, whole or a piece: text, or null for none.
  simdjson::error_code read_tool_plan(ondemand::value& value, std::string_view field) {
    std::string_view plan;
    bool has_plan = false;
    sdk::read_answer_text(value, plan, has_plan, kDisplayName, field, true);
    if (has_plan) tools_.add_plan(plan);
    return simdjson::SUCCESS;
  }

  // content-delta: `delta.message.content.{text|thinking}`; tool-plan-delta:
  // `delta.message.tool_plan`; tool-call-start and tool-call-delta: `delta.message.tool_calls`;
  // message-end: `delta.finish_reason`, `delta.usage`, `delta.error`. Other event types are ignored.
  simdjson::error_code read_delta(ondemand::value& value, std::string_view type, StreamToolCall& call,
                                  sdk::EventSink& sink) {
    const bool message_delta = type.empty() || type == "content-delta" || type == "tool-plan-delta" ||
                               type == "tool-call-start" || type == "tool-call-delta";
    const bool message_end = type.empty() || type == "message-end";
    if (!message_delta && !message_end) return simdjson::SUCCESS;
    std::string_view finish_reason;
    std::string_view failure;
    bool has_finish_reason = false;
    bool has_failure = false;
    mj_usage usage{};
    bool has_usage = false;
    const simdjson::error_code error = sdk::for_each_field(value,
        [&](ondemand::raw_json_string key, ondemand::value& field) {
      if (message_delta && key == "message") return read_delta_message(field, type, call, sink);
      if (message_end && key == "finish_reason") return read_optional_string(field, finish_reason, has_finish_reason);
      if (message_end && key == "usage") return read_usage(field, usage, has_usage);
      if (message_end && key == "error") return read_optional_string(field, failure, has_failure);
      return simdjson::SUCCESS;
    });
    if (error != simdjson::SUCCESS) return error;
    if (has_finish_reason) {
      message_ended_ = true;
      // A call the output cap cut stays open: the host reports it as cut off.
      tools_.finish(finish_reason == "MAX_TOKENS", sink);
      if (has_usage) sink.usage(usage);
      if (finish_reason == "ERROR" && has_failure && !failure.empty()) {
        // A failure during generation (PROTOCOLS §5.3): the text so far stays with the error.
        throw sdk::ProviderError(MJ_ERR_SERVER,
                                 fmt::format("Cohere stream error: {}", failure), 200, "ERROR");
      }
      sink.stop(normalise_finish_reason(finish_reason), finish_reason);
    } else if (has_usage) {
      sink.usage(usage);
    }
    return simdjson::SUCCESS;
  }

  simdjson::error_code read_delta_message(ondemand::value& value, std::string_view type, StreamToolCall& call,
                                          sdk::EventSink& sink) {
    const bool any = type.empty();
    return sdk::for_each_field_if_object(value, [&](ondemand::raw_json_string key, ondemand::value& content) {
      if ((any || type == "tool-plan-delta") && key == "tool_plan") {
        return read_tool_plan(content, "delta.message.tool_plan");
      }
      if ((any || type == "tool-call-start" || type == "tool-call-delta") && key == "tool_calls") {
        ondemand::json_type json_type{};
        if (auto error = content.type().get(json_type)) return error;
        if (json_type != ondemand::json_type::object) return simdjson::SUCCESS;  // message-start's []
        call.present = true;
        return read_tool_call_piece(content, call.piece);
      }
      if (!(any || type == "content-delta") || key != "content") return simdjson::SUCCESS;
      ondemand::json_type content_type{};
      if (auto error = content.type().get(content_type)) return error;
      if (content_type != ondemand::json_type::object) return simdjson::SUCCESS;
      ContentFields fields;
      if (auto error = read_content(content, fields)) return error;
      emit_content(fields, sink);
      return simdjson::SUCCESS;
    });
  }

  sdk::ParserPool::Lease parser_;  // from the instance's pool: buffers survive between calls
  bool id_seen_ = false;           // META(request id) once, from message-start
  bool message_ended_ = false;     // message-end arrived: the answer is complete
  ToolCallEvents tools_;           // (0.5) the answer's tool calls and tool plan
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Provider
// ---------------------------------------------------------------------------------------------

class CohereProvider : public sdk::OptionlessHttpProvider<kProviderInfo> {
 public:
  using OptionlessHttpProvider::OptionlessHttpProvider;

  sdk::Prepared build(const mj_request& request) const {
    const std::string_view model = sdk::validated_model(request, "cohere");

    sdk::Prepared prepared;
    prepared.path = "/v2/chat";
    std::string& body = prepared.body;
    body.reserve(sdk::estimated_body_size(request, 256));
    sdk::JsonWriter json(body);

    json.raw(R"({"model":)").string(model).raw(R"(,"messages":[)");
    bool first_message = true;
    if (const std::string_view system = sdk::view(request.system); !system.empty()) {
      json.raw(R"({"role":"system","content":)").string(system).raw("}");
      first_message = false;
    }
    // Turns in Cohere's own shape: the Chat Completions one, with tool plans and without null
    // content (cohere_tools.cpp).
    append_messages(json, request, first_message);
    body.push_back(']');

    if (request.max_tokens > 0) json.raw(R"(,"max_tokens":)").number(request.max_tokens);
    if (request.flags & MJ_REQUEST_HAS_TEMPERATURE) {
      json.raw(R"(,"temperature":)").number(request.temperature);
    }
    if (request.flags & MJ_REQUEST_HAS_TOP_P) {
      // Cohere calls top-p `p` (PROTOCOLS §5.1).
      json.raw(R"(,"p":)").number(request.top_p);
    }
    if (request.flags & MJ_REQUEST_STREAM) json.raw(R"(,"stream":true)");
    switch (request.response_format) {
      case MJ_FORMAT_TEXT: break;
      case MJ_FORMAT_JSON_OBJECT:
        json.raw(R"(,"response_format":{"type":"json_object"})");
        break;
      case MJ_FORMAT_JSON_SCHEMA: {
        const std::string_view schema = sdk::view(request.schema_json);
        if (schema.empty()) {
          throw sdk::ProviderError(MJ_ERR_CONFIGURATION,
                                   "a JSON-schema response format needs a schema");
        }
        json.raw(R"(,"response_format":{"type":"json_object","json_schema":)")
            .raw(schema)  // the host checked it is one JSON object; spliced, never re-serialised
            .raw("}");
        break;
      }
      default:
        sdk::throw_unknown_response_format(request.response_format);
    }
    append_tool_fields(json, request);
    // Thinking off is not sent to a listed model without reasoning: it has none to turn off.
    const mj_model_info* listed = sdk::find_model(kModels, model);
    append_thinking_field(json, request, listed == nullptr || (listed->capabilities & MJ_CAP_REASONING) != 0);
    body.push_back('}');
    return prepared;
  }

  std::unique_ptr<sdk::Call> open(const mj_call_params& params) {
    return open_call(params, std::make_unique<ChatDecoder>(lease_parser()));
  }
};

}  // namespace majordomo::cohere

MAJORDOMO_EXPORT_PROVIDER(majordomo::cohere::CohereProvider)
