// DeepSeek provider plugin: builds OpenAI-compatible Chat Completions requests and decodes DeepSeek's answers.
#include <majordomo/plugin.h>
#include <majordomo/sdk/call.hpp>
#include <majordomo/sdk/chat_messages.hpp>
#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/http.hpp>
#include <majordomo/sdk/json_read.hpp>
#include <majordomo/sdk/json_writer.hpp>
#include <majordomo/sdk/parser_pool.hpp>
#include <majordomo/sdk/plugin.hpp>
#include <majordomo/sdk/provider_support.hpp>
#include <majordomo/sdk/sse.hpp>

#include <fmt/format.h>
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace majordomo::deepseek {
namespace {

namespace sdk = majordomo::sdk;
namespace ondemand = simdjson::ondemand;
using sdk::read_optional_string;

static_assert(sdk::SseDecoder::kPadding >= simdjson::SIMDJSON_PADDING,
              "SSE data and bodies must carry enough padding to be parsed in place");

// How messages name the provider; the catalog id names it in configuration errors.
constexpr std::string_view kDisplayName = "DeepSeek";

// ---------------------------------------------------------------------------------------------
// Catalog
// ---------------------------------------------------------------------------------------------

// JSON schema is claimed because build() emulates it: DeepSeek only has json_object, so the
// schema goes into the system prompt and the host checks the answer against it.
constexpr uint32_t kChatCapabilities = MJ_CAP_STREAMING | MJ_CAP_JSON_MODE | MJ_CAP_JSON_SCHEMA;
constexpr uint32_t kReasonerCapabilities = kChatCapabilities | MJ_CAP_REASONING;
// DeepSeek caches prompts on disk automatically and bills no cache writes.
constexpr double kNotPriced = -1.0;

constexpr mj_model_info model_entry(std::string_view id, uint32_t capabilities, double input,
                                    double output, double cache_hit_input,
                                    int64_t max_output_tokens) {
  return mj_model_info{sizeof(mj_model_info), capabilities, sdk::to_mj(id), input, output,
                       cache_hit_input, kNotPriced, max_output_tokens};
}

// USD per 1M tokens, read 2026-11 through the project's search index: the DeepSeek-V3.2 table of
// api-docs.deepseek.com/quick_start/pricing as repeated by benchlm.ai (2026-04) and flowith.io
// (2026-03), which agree: cache miss 0.28, cache hit 0.028, output 0.42, the same for both ids.
// Output caps from the same page: deepseek-chat 8K, deepseek-reasoner 64K.
// [?] DeepSeek re-points these ids at new model versions and reprices without renaming them.
constexpr mj_model_info kModels[] = {
    model_entry("deepseek-chat", kChatCapabilities, 0.28, 0.42, 0.028, 8'192),
    model_entry("deepseek-reasoner", kReasonerCapabilities, 0.28, 0.42, 0.028, 65'536),
};

// Lets a gateway in front of several providers route the request; the host sends it only when
// the base URL is not DeepSeek's own, and a caller's header of the same name wins.
constexpr mj_header kGatewayHeaders[] = {
    {sdk::to_mj("x-majordomo-provider"), sdk::to_mj("deepseek")},
};

constexpr mj_provider_info kProviderInfo{
    sizeof(mj_provider_info),
    MJ_AUTH_BEARER,
    sdk::to_mj("deepseek"),
    sdk::to_mj("DeepSeek"),
    sdk::to_mj("0.1.0"),
    sdk::to_mj("https://api.deepseek.com"),
    sdk::to_mj("DEEPSEEK_API_KEY"),
    sdk::to_mj("DEEPSEEK_BASE_URL"),
    mj_str{nullptr, 0},
    nullptr,
    0,
    kGatewayHeaders,
    std::size(kGatewayHeaders),
    kModels,
    std::size(kModels),
};

// ---------------------------------------------------------------------------------------------
// Decoding helpers (simdjson On-Demand, error codes only)
// ---------------------------------------------------------------------------------------------

bool is_json_whitespace(char c) noexcept { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

// A queued non-streaming request gets blank lines before its body (PROTOCOLS §2); simdjson skips
// leading whitespace itself, so only a body of nothing but whitespace needs its own message.
ondemand::object open_root_object(ondemand::parser& parser, std::string_view json,
                                  ondemand::document& document, std::string_view what) {
  std::size_t first = 0;
  while (first < json.size() && is_json_whitespace(json[first])) ++first;
  if (first == json.size()) sdk::throw_empty_json(kDisplayName, what);
  return sdk::open_root_object(parser, json, document, kDisplayName, what);
}

// prompt_cache_hit_tokens is DeepSeek's own count and the one it bills by; the OpenAI-style
// prompt_tokens_details.cached_tokens carries the same number and is only the fallback.
simdjson::error_code read_usage(ondemand::value& value, mj_usage& usage, bool& present) {
  ondemand::json_type type;
  if (auto error = value.type().get(type)) return error;
  if (type != ondemand::json_type::object) return simdjson::SUCCESS;  // "usage": null
  ondemand::object object;
  if (auto error = value.get_object().get(object)) return error;
  present = true;
  usage = mj_usage{};
  int64_t cache_hits = -1;
  for (auto member : object) {
    ondemand::field field;
    if (auto error = std::move(member).get(field)) return error;
    const ondemand::raw_json_string key = field.key();
    if (key == "prompt_tokens") {
      usage.input_tokens = sdk::int64_or_zero(field.value());
    } else if (key == "completion_tokens") {
      usage.output_tokens = sdk::int64_or_zero(field.value());
    } else if (key == "prompt_cache_hit_tokens") {
      cache_hits = sdk::int64_or_zero(field.value());
    } else if (key == "prompt_tokens_details" || key == "completion_tokens_details") {
      const bool prompt_side = key == "prompt_tokens_details";
      ondemand::object details;
      if (field.value().get_object().get(details) != simdjson::SUCCESS) continue;  // null
      for (auto detail_member : details) {
        ondemand::field detail;
        if (auto error = std::move(detail_member).get(detail)) return error;
        const ondemand::raw_json_string detail_key = detail.key();
        if (prompt_side && detail_key == "cached_tokens") {
          usage.cached_tokens = sdk::int64_or_zero(detail.value());
        } else if (!prompt_side && detail_key == "reasoning_tokens") {
          usage.reasoning_tokens = sdk::int64_or_zero(detail.value());
        }
      }
    }
  }
  if (cache_hits >= 0) usage.cached_tokens = cache_hits;
  return simdjson::SUCCESS;
}

// The parts of one `choices[]` element we use. Views point into the parser's string buffer.
struct ChoiceFields {
  int64_t index = 0;  // always sent; a missing index can only mean the single choice
  std::string_view content;
  std::string_view reasoning;
  std::string_view finish_reason;
  bool has_content = false;
  bool has_reasoning = false;
  bool has_finish_reason = false;
};

// `message_key` is "message" in a body and "delta" in a stream chunk; both carry the same fields.
simdjson::error_code read_choice(ondemand::value& value, std::string_view message_key,
                                 ChoiceFields& choice) {
  ondemand::object object;
  if (auto error = value.get_object().get(object)) return error;
  for (auto member : object) {
    ondemand::field field;
    if (auto error = std::move(member).get(field)) return error;
    const ondemand::raw_json_string key = field.key();
    if (key == "index") {
      if (auto error = field.value().get_int64().get(choice.index)) return error;
    } else if (key == "finish_reason") {
      if (auto error = read_optional_string(field.value(), choice.finish_reason,
                                            choice.has_finish_reason)) {
        return error;
      }
    } else if (key == message_key) {
      ondemand::object message;
      if (auto error = field.value().get_object().get(message)) return error;
      for (auto message_member : message) {
        ondemand::field message_field;
        if (auto error = std::move(message_member).get(message_field)) return error;
        const ondemand::raw_json_string message_field_key = message_field.key();
        simdjson::error_code error = simdjson::SUCCESS;
        if (message_field_key == "content") {
          error = read_optional_string(message_field.value(), choice.content, choice.has_content);
        } else if (message_field_key == "reasoning_content") {
          error = read_optional_string(message_field.value(), choice.reasoning,
                                       choice.has_reasoning);
        }
        if (error != simdjson::SUCCESS) return error;
      }
    }
  }
  return simdjson::SUCCESS;
}

// `{"error":{"message","type","param","code"}}`; some compatible servers send a bare string.
struct ErrorFields {
  std::string_view message;
  std::string_view type;
  std::string_view code;
  bool has_message = false;
  bool has_type = false;
  bool has_code = false;

  // DeepSeek's `code` is "invalid_request_error" even on 401, 402 and 429 (PROTOCOLS §2), so
  // `type` is the telling tag; `code` is the fallback for servers that only fill that.
  std::string_view provider_type() const noexcept {
    return has_type && !type.empty() ? type : code;
  }
};

simdjson::error_code read_error(ondemand::value& value, ErrorFields& fields) {
  ondemand::json_type type;
  if (auto error = value.type().get(type)) return error;
  if (type == ondemand::json_type::string) {
    fields.has_message = true;
    return value.get_string().get(fields.message);
  }
  ondemand::object object;
  if (auto error = value.get_object().get(object)) return error;
  for (auto member : object) {
    ondemand::field field;
    if (auto error = std::move(member).get(field)) return error;
    const ondemand::raw_json_string key = field.key();
    simdjson::error_code error = simdjson::SUCCESS;
    if (key == "message") {
      error = read_optional_string(field.value(), fields.message, fields.has_message);
    } else if (key == "type") {
      error = read_optional_string(field.value(), fields.type, fields.has_type);
    } else if (key == "code") {
      error = read_optional_string(field.value(), fields.code, fields.has_code);
    }
    if (error != simdjson::SUCCESS) return error;
  }
  return simdjson::SUCCESS;
}

// An error that arrives in a 2xx response (mid-stream, or a body) has no status to go by.
int32_t error_kind_for_type(std::string_view type) noexcept {
  if (type.starts_with("rate_limit")) return MJ_ERR_RATE_LIMITED;
  if (type.find("overloaded") != std::string_view::npos) return MJ_ERR_OVERLOADED;
  return MJ_ERR_SERVER;
}

// `where` names the carrier ("stream", "response") so a reader knows the HTTP status said 200.
[[noreturn]] void throw_in_band_error(const ErrorFields& fields, std::string_view where) {
  const std::string_view message = fields.has_message && !fields.message.empty()
                                       ? fields.message
                                       : std::string_view{"(no message)"};
  throw sdk::ProviderError(error_kind_for_type(fields.provider_type()),
                           fmt::format("DeepSeek {} error: {}", where, message), 200,
                           std::string(fields.provider_type()));
}

int32_t normalise_finish_reason(std::string_view reason) noexcept {
  if (reason == "stop") return MJ_STOP_END_TURN;
  if (reason == "length") return MJ_STOP_MAX_TOKENS;
  if (reason == "tool_calls" || reason == "function_call") return MJ_STOP_TOOL_USE;
  if (reason == "content_filter") return MJ_STOP_CONTENT_FILTER;
  // The backend ran out of capacity and cut the answer short: not a normal end.
  if (reason == "insufficient_system_resource") return MJ_STOP_ERROR;
  return MJ_STOP_UNKNOWN;
}

// ---------------------------------------------------------------------------------------------
// Response decoder
// ---------------------------------------------------------------------------------------------

class DeepSeekDecoder final : public sdk::ResponseDecoder {
 public:
  explicit DeepSeekDecoder(sdk::ParserPool::Lease parser) : parser_(std::move(parser)) {}

  // DeepSeek documents no request id header [?]; OpenAI-compatible gateways in front send this.
  std::string_view request_id_header() const override { return "x-request-id"; }

  void on_body(std::string_view body, sdk::EventSink& sink) override {
    ondemand::document document;
    ondemand::object root = open_root_object(*parser_, body, document, "response");

    std::string_view model;
    ChoiceFields choice;
    bool has_choice = false;
    mj_usage usage{};
    bool has_usage = false;
    for (auto member : root) {
      ondemand::field field;
      if (auto error = std::move(member).get(field)) {
        sdk::throw_invalid_json(kDisplayName, "response", error);
      }
      const ondemand::raw_json_string key = field.key();
      simdjson::error_code error = simdjson::SUCCESS;
      if (key == "model") {
        bool present = false;
        error = read_optional_string(field.value(), model, present);
      } else if (key == "choices") {
        ondemand::array choices;
        error = field.value().get_array().get(choices);
        if (error == simdjson::SUCCESS) {
          // choices[0] is the answer (PROTOCOLS §6.3); n > 1 is never asked for.
          for (auto element : choices) {
            ondemand::value value;
            if ((error = std::move(element).get(value))) break;
            error = read_choice(value, "message", choice);
            has_choice = error == simdjson::SUCCESS;
            break;
          }
        }
      } else if (key == "usage") {
        error = read_usage(field.value(), usage, has_usage);
      } else if (key == "error") {
        ErrorFields fields;
        if ((error = read_error(field.value(), fields)) == simdjson::SUCCESS) {
          throw_in_band_error(fields, "response");
        }
      }
      if (error != simdjson::SUCCESS) sdk::throw_invalid_json(kDisplayName, "response", error);
    }
    if (!has_choice) {
      throw sdk::ProviderError(MJ_ERR_PARSE, "DeepSeek response has no choices");
    }

    if (!model.empty()) sink.meta({}, model);
    // Reasoning first, as the model produced it; it never goes into the answer.
    if (choice.has_reasoning && !choice.reasoning.empty()) sink.reasoning(choice.reasoning);
    if (choice.has_content && !choice.content.empty()) sink.text(choice.content);
    if (choice.has_finish_reason) {
      sink.stop(normalise_finish_reason(choice.finish_reason), choice.finish_reason);
    }
    if (has_usage) sink.usage(usage);
  }

  bool on_event(const sdk::SseEvent& event, sdk::EventSink& sink) override {
    const std::string_view data = event.data;
    if (data == "[DONE]") return false;
    if (data.empty()) return true;  // nothing to decode

    ondemand::document document;
    ondemand::object root = open_root_object(*parser_, data, document, "stream chunk");

    std::string_view model;
    ChoiceFields answer;  // choices[].index == 0 only
    bool has_answer = false;
    mj_usage usage{};
    bool has_usage = false;
    for (auto member : root) {
      ondemand::field field;
      if (auto error = std::move(member).get(field)) {
        sdk::throw_invalid_json(kDisplayName, "stream chunk", error);
      }
      const ondemand::raw_json_string key = field.key();
      simdjson::error_code error = simdjson::SUCCESS;
      if (key == "model") {
        if (!model_seen_) {
          bool present = false;
          error = read_optional_string(field.value(), model, present);
        }
      } else if (key == "choices") {
        ondemand::array choices;
        error = field.value().get_array().get(choices);
        if (error == simdjson::SUCCESS) {
          for (auto element : choices) {
            ondemand::value value;
            if ((error = std::move(element).get(value))) break;
            ChoiceFields choice;
            if ((error = read_choice(value, "delta", choice))) break;
            if (choice.index == 0) {
              answer = choice;
              has_answer = true;
            }
          }
        }
      } else if (key == "usage") {
        // DeepSeek puts usage in the chunk with finish_reason, "usage": null elsewhere; a
        // gateway that adds an OpenAI-style usage chunk is read the same way.
        error = read_usage(field.value(), usage, has_usage);
      } else if (key == "error") {
        ErrorFields fields;
        if ((error = read_error(field.value(), fields)) == simdjson::SUCCESS) {
          throw_in_band_error(fields, "stream");
        }
      }
      if (error != simdjson::SUCCESS) sdk::throw_invalid_json(kDisplayName, "stream chunk", error);
    }

    if (!model.empty()) {
      model_seen_ = true;
      sink.meta({}, model);
    }
    if (has_answer) {
      if (answer.has_reasoning && !answer.reasoning.empty()) sink.reasoning(answer.reasoning);
      if (answer.has_content && !answer.content.empty()) sink.text(answer.content);
      if (answer.has_finish_reason) {
        sink.stop(normalise_finish_reason(answer.finish_reason), answer.finish_reason);
      }
    }
    if (has_usage) sink.usage(usage);
    return true;
  }

  void on_stream_end(bool terminator_seen, sdk::EventSink& /*sink*/) override {
    if (!terminator_seen) {
      throw sdk::ProviderError(
          MJ_ERR_CONNECTION, "stream ended before [DONE]: the connection was closed mid-response");
    }
  }

  [[noreturn]] void on_error_status(const sdk::HttpExchange& exchange,
                                    std::string_view body) override {
    const int status = exchange.status();
    const int32_t kind = sdk::error_kind_for_http_status(status);
    std::string request_id(exchange.header("x-request-id"));
    const int64_t retry_after = sdk::retry_after_ms(exchange);

    sdk::ErrorBody error_body(body);
    ErrorFields fields;
    bool parsed = false;
    ondemand::object root;
    if (error_body.open_object(*parser_, root)) {
      for (auto member : root) {
        ondemand::field field;
        if (std::move(member).get(field) != simdjson::SUCCESS) break;
        if (field.key() == "error") {
          parsed = read_error(field.value(), fields) == simdjson::SUCCESS && fields.has_message;
          break;
        }
      }
    }

    std::string message = sdk::error_status_message(
        kDisplayName, status, body,
        parsed ? std::optional<std::string_view>(fields.message) : std::nullopt);
    throw sdk::ProviderError(kind, std::move(message), status,
                             parsed ? std::string(fields.provider_type()) : std::string{},
                             std::move(request_id), retry_after);
  }

 private:
  sdk::ParserPool::Lease parser_;  // from the instance's pool: buffers survive between calls
  bool model_seen_ = false;  // META(model) once per stream, from the first chunk that names it
};

// ---------------------------------------------------------------------------------------------
// Request building
// ---------------------------------------------------------------------------------------------

// JSON mode fails with a 400 unless the prompt contains the word "json" (PROTOCOLS §2), and a
// schema has nowhere else to go: both are said in the system prompt.
constexpr std::string_view kJsonObjectInstruction =
    "Respond with a single JSON object and nothing else.";
constexpr std::string_view kJsonSchemaInstruction =
    "Respond with a single JSON object and nothing else. The JSON object must conform to this "
    "JSON Schema:\n";

}  // namespace

// ---------------------------------------------------------------------------------------------
// Provider
// ---------------------------------------------------------------------------------------------

class DeepSeekProvider {
 public:
  static const mj_provider_info& info() { return kProviderInfo; }

  explicit DeepSeekProvider(const mj_instance_config& config)
      : transport_(sdk::TransportConfig::from(config)) {
    sdk::reject_all_options(config, "deepseek");
  }

  sdk::Prepared build(const mj_request& request) const {
    const std::string_view model = sdk::validated_model(request, "deepseek");
    std::string_view schema;
    switch (request.response_format) {
      case MJ_FORMAT_TEXT:
      case MJ_FORMAT_JSON_OBJECT: break;
      case MJ_FORMAT_JSON_SCHEMA:
        schema = sdk::view(request.schema_json);
        if (schema.empty()) {
          throw sdk::ProviderError(MJ_ERR_CONFIGURATION,
                                   "a JSON-schema response format needs a schema");
        }
        break;
      default:
        throw sdk::ProviderError(
            MJ_ERR_CONFIGURATION,
            fmt::format("unknown response format {}", request.response_format));
    }
    const bool json_output = request.response_format != MJ_FORMAT_TEXT;

    sdk::Prepared prepared;
    prepared.path = "/chat/completions";
    std::string& body = prepared.body;
    body.reserve(sdk::estimated_body_size(request, 320));
    sdk::JsonWriter json(body);

    json.raw(R"({"model":)").string(model).raw(R"(,"messages":[)");
    bool first_message = true;
    const std::string_view system = sdk::view(request.system);
    if (json_output) {
      std::string prompt(system);
      if (!prompt.empty()) prompt += "\n\n";
      if (schema.empty()) {
        prompt += kJsonObjectInstruction;
      } else {
        prompt += kJsonSchemaInstruction;
        prompt += schema;  // the host checked it is one JSON object
      }
      json.raw(R"({"role":"system","content":)").string(prompt).raw("}");
      first_message = false;
    } else if (!system.empty()) {
      json.raw(R"({"role":"system","content":)").string(system).raw("}");
      first_message = false;
    }
    // Only the answer text is sent back: R1 rejects reasoning_content in history with a 400.
    sdk::append_chat_turns(json, request, first_message);
    body.push_back(']');

    if (request.flags & MJ_REQUEST_HAS_TEMPERATURE) {
      json.raw(R"(,"temperature":)").number(request.temperature);
    }
    if (request.flags & MJ_REQUEST_HAS_TOP_P) {
      json.raw(R"(,"top_p":)").number(request.top_p);
    }
    if (request.max_tokens > 0) {
      // DeepSeek has no max_completion_tokens (PROTOCOLS §2).
      json.raw(R"(,"max_tokens":)").number(request.max_tokens);
    }
    if (request.flags & MJ_REQUEST_STREAM) {
      // DeepSeek sends usage in the last content chunk either way; include_usage is for
      // OpenAI-style gateways in front of it, which otherwise drop usage from streams.
      json.raw(R"(,"stream":true,"stream_options":{"include_usage":true})");
    }
    if (json_output) json.raw(R"(,"response_format":{"type":"json_object"})");
    body.push_back('}');
    return prepared;
  }

  std::unique_ptr<sdk::Call> open(const mj_call_params& params) {
    return std::make_unique<sdk::HttpCall>(transport_, params,
                                           std::make_unique<DeepSeekDecoder>(parsers_.acquire()));
  }

 private:
  sdk::HttpTransport transport_;
  sdk::ParserPool parsers_;
};

}  // namespace majordomo::deepseek

MAJORDOMO_EXPORT_PROVIDER(majordomo::deepseek::DeepSeekProvider)
