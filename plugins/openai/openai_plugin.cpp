// OpenAI provider plugin: builds Chat Completions requests and decodes their JSON and SSE responses.
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
#include <majordomo/sdk/schema_dialects.hpp>
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

namespace majordomo::openai {
namespace {

namespace sdk = majordomo::sdk;
namespace ondemand = simdjson::ondemand;
using sdk::read_optional_string;

static_assert(sdk::SseDecoder::kPadding >= simdjson::SIMDJSON_PADDING,
              "SSE data and bodies must carry enough padding to be parsed in place");

// How messages name the provider; the catalog id names it in configuration errors.
constexpr std::string_view kDisplayName = "OpenAI";

// ---------------------------------------------------------------------------------------------
// Catalog
// ---------------------------------------------------------------------------------------------

// MJ_CAP_TOOLS is not claimed yet: tool calls do not cross ABI v1's canonical request.
constexpr uint32_t kChatCapabilities = MJ_CAP_STREAMING | MJ_CAP_JSON_MODE | MJ_CAP_JSON_SCHEMA;
constexpr uint32_t kReasoningCapabilities = kChatCapabilities | MJ_CAP_REASONING;
// OpenAI caches prompts automatically and bills no cache writes.
constexpr double kNotPriced = -1.0;

constexpr mj_model_info model_entry(std::string_view id, uint32_t capabilities, double input,
                                    double output, double cached_input,
                                    int64_t max_output_tokens) {
  return mj_model_info{sizeof(mj_model_info), capabilities, sdk::to_mj(id), input, output,
                       cached_input, kNotPriced, max_output_tokens};
}

// USD per 1M tokens, standard tier, read 2026-11 through the project's search index. Official
// model pages (developers.openai.com/api/docs/models/...): gpt-5-mini, gpt-5-nano. The rest are
// the list prices repeated by pricing tables that cite developers.openai.com/api/docs/pricing
// (deploybase.ai 2026-03, tokenmath.io 2026-06, docs.rs adk-model 2026-03, helicone.ai) and
// agreed between them. [?] marks a price only one secondary source gave, or sources disagreed on.
constexpr mj_model_info kModels[] = {
    model_entry("gpt-5.4", kReasoningCapabilities, 2.50, 15.00, 0.25, 128'000),        // [?]
    model_entry("gpt-5.4-mini", kReasoningCapabilities, 0.75, 4.50, 0.075, 128'000),   // [?]
    model_entry("gpt-5", kReasoningCapabilities, 1.25, 10.00, 0.125, 128'000),
    model_entry("gpt-5-mini", kReasoningCapabilities, 0.25, 2.00, 0.025, 128'000),
    model_entry("gpt-5-nano", kReasoningCapabilities, 0.05, 0.40, 0.005, 128'000),
    model_entry("gpt-4.1", kChatCapabilities, 2.00, 8.00, 0.50, 32'768),
    model_entry("gpt-4.1-mini", kChatCapabilities, 0.40, 1.60, 0.10, 32'768),  // cached [?]
    model_entry("gpt-4.1-nano", kChatCapabilities, 0.10, 0.40, 0.025, 32'768),  // cached [?]
    model_entry("gpt-4o", kChatCapabilities, 2.50, 10.00, 1.25, 16'384),
    model_entry("gpt-4o-mini", kChatCapabilities, 0.15, 0.60, 0.075, 16'384),
    model_entry("o3", kReasoningCapabilities, 2.00, 8.00, 0.50, 100'000),  // cached [?]
    model_entry("o4-mini", kReasoningCapabilities, 1.10, 4.40, 0.275, 100'000),
};

constexpr mj_provider_info kProviderInfo{
    sizeof(mj_provider_info),
    MJ_AUTH_BEARER,
    sdk::to_mj("openai"),
    sdk::to_mj("OpenAI"),
    sdk::to_mj("0.1.0"),
    sdk::to_mj("https://api.openai.com/v1"),
    sdk::to_mj("OPENAI_API_KEY"),
    sdk::to_mj("OPENAI_BASE_URL"),
    mj_str{nullptr, 0},
    nullptr,
    0,
    nullptr,
    0,
    kModels,
    std::size(kModels),
};

// ---------------------------------------------------------------------------------------------
// Decoding helpers (simdjson On-Demand, error codes only)
// ---------------------------------------------------------------------------------------------

simdjson::error_code read_usage(ondemand::value& value, mj_usage& usage, bool& present) {
  ondemand::json_type type;
  if (auto error = value.type().get(type)) return error;
  if (type != ondemand::json_type::object) return simdjson::SUCCESS;  // "usage": null
  ondemand::object object;
  if (auto error = value.get_object().get(object)) return error;
  present = true;
  usage = mj_usage{};
  for (auto member : object) {
    ondemand::field field;
    if (auto error = std::move(member).get(field)) return error;
    const ondemand::raw_json_string key = field.key();
    if (key == "prompt_tokens") {
      usage.input_tokens = sdk::int64_or_zero(field.value());
    } else if (key == "completion_tokens") {
      usage.output_tokens = sdk::int64_or_zero(field.value());
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
        } else if (prompt_side && detail_key == "cache_write_tokens") {
          usage.cache_write_tokens = sdk::int64_or_zero(detail.value());
        } else if (!prompt_side && detail_key == "reasoning_tokens") {
          usage.reasoning_tokens = sdk::int64_or_zero(detail.value());
        }
      }
    }
  }
  return simdjson::SUCCESS;
}

// The parts of one `choices[]` element we use. Views point into the parser's string buffer.
struct ChoiceFields {
  int64_t index = 0;  // OpenAI always sends it; a missing index can only mean the single choice
  std::string_view content;
  std::string_view refusal;
  std::string_view finish_reason;
  bool has_content = false;
  bool has_refusal = false;
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
        if (message_field_key == "content") {
          if (auto error = read_optional_string(message_field.value(), choice.content,
                                                choice.has_content)) {
            return error;
          }
        } else if (message_field_key == "refusal") {
          if (auto error = read_optional_string(message_field.value(), choice.refusal,
                                                choice.has_refusal)) {
            return error;
          }
        }
      }
    }
  }
  return simdjson::SUCCESS;
}

// `{"error":{"message","type","param","code"}}`; some OpenAI-compatible servers send a bare string.
struct ErrorFields {
  std::string_view message;
  std::string_view type;
  std::string_view code;
  bool has_message = false;
  bool has_type = false;
  bool has_code = false;

  // The most specific tag OpenAI gives: `code` tells insufficient_quota from rate_limit_exceeded.
  std::string_view provider_type() const noexcept {
    return has_code && !code.empty() ? code : type;
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
int32_t error_kind_for_tags(std::string_view type, std::string_view code) noexcept {
  for (const std::string_view tag : {code, type}) {
    if (tag.starts_with("rate_limit") || tag == "insufficient_quota") return MJ_ERR_RATE_LIMITED;
    if (tag.find("overloaded") != std::string_view::npos) return MJ_ERR_OVERLOADED;
  }
  return MJ_ERR_SERVER;
}

// `where` names the carrier ("stream", "response") so a reader knows the HTTP status said 200.
[[noreturn]] void throw_in_band_error(const ErrorFields& fields, std::string_view where) {
  const std::string_view message = fields.has_message && !fields.message.empty()
                                       ? fields.message
                                       : std::string_view{"(no message)"};
  throw sdk::ProviderError(error_kind_for_tags(fields.type, fields.code),
                           fmt::format("OpenAI {} error: {}", where, message), 200,
                           std::string(fields.provider_type()));
}

int32_t normalise_finish_reason(std::string_view reason) noexcept {
  if (reason == "stop") return MJ_STOP_END_TURN;
  if (reason == "length") return MJ_STOP_MAX_TOKENS;
  if (reason == "tool_calls" || reason == "function_call") return MJ_STOP_TOOL_USE;
  if (reason == "content_filter") return MJ_STOP_CONTENT_FILTER;
  return MJ_STOP_UNKNOWN;
}

// ---------------------------------------------------------------------------------------------
// Response decoder
// ---------------------------------------------------------------------------------------------

class ChatCompletionsDecoder final : public sdk::ResponseDecoder {
 public:
  explicit ChatCompletionsDecoder(sdk::ParserPool::Lease parser) : parser_(std::move(parser)) {}

  std::string_view request_id_header() const override { return "x-request-id"; }

  void on_body(std::string_view body, sdk::EventSink& sink) override {
    ondemand::document document;
    ondemand::object root =
        sdk::open_root_object(*parser_, body, document, kDisplayName, "response");

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
          // choices[0] is the answer (PROTOCOLS §6.3); a body with n > 1 is never asked for.
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
      throw sdk::ProviderError(MJ_ERR_PARSE, "OpenAI response has no choices");
    }

    if (!model.empty()) sink.meta({}, model);
    if (choice.has_content && !choice.content.empty()) {
      sink.text(choice.content);
    } else if (choice.has_refusal && !choice.refusal.empty()) {
      sink.text(choice.refusal);
    }
    if (choice.has_refusal) {
      // A refused Structured Outputs request still says finish_reason "stop": the refusal wins.
      sink.stop(MJ_STOP_CONTENT_FILTER, "refusal");
    } else if (choice.has_finish_reason) {
      sink.stop(normalise_finish_reason(choice.finish_reason), choice.finish_reason);
    }
    if (has_usage) sink.usage(usage);
  }

  bool on_event(const sdk::SseEvent& event, sdk::EventSink& sink) override {
    const std::string_view data = event.data;
    if (data == "[DONE]") return false;
    if (data.empty()) return true;  // nothing to decode; OpenAI never sends one

    ondemand::document document;
    ondemand::object root =
        sdk::open_root_object(*parser_, data, document, kDisplayName, "stream chunk");

    std::string_view model;
    ChoiceFields answer;  // choices[].index == 0 only: with n > 1 the other choices are ignored
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
      if (answer.has_content && !answer.content.empty()) sink.text(answer.content);
      if (answer.has_refusal && !answer.refusal.empty()) {
        refused_ = true;
        sink.text(answer.refusal);
      }
      if (answer.has_finish_reason) {
        if (refused_) {
          sink.stop(MJ_STOP_CONTENT_FILTER, "refusal");
        } else {
          sink.stop(normalise_finish_reason(answer.finish_reason), answer.finish_reason);
        }
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
  bool refused_ = false;     // a streamed refusal turns the final stop into content_filter
};

// ---------------------------------------------------------------------------------------------
// Request building
// ---------------------------------------------------------------------------------------------

bool valid_schema_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 64) return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Provider
// ---------------------------------------------------------------------------------------------

class OpenAIProvider {
 public:
  static const mj_provider_info& info() { return kProviderInfo; }

  explicit OpenAIProvider(const mj_instance_config& config)
      : transport_(sdk::TransportConfig::from(config)) {
    // No options yet; `api=responses` (the Responses API) is the first one planned.
    sdk::reject_all_options(config, "openai");
  }

  sdk::Prepared build(const mj_request& request) const {
    const std::string_view model = sdk::validated_model(request, "openai");

    sdk::Prepared prepared;
    prepared.path = "/chat/completions";
    std::string& body = prepared.body;
    body.reserve(sdk::estimated_body_size(request, 192));
    sdk::JsonWriter json(body);

    json.raw(R"({"model":)").string(model).raw(R"(,"messages":[)");
    bool first_message = true;
    if (const std::string_view system = sdk::view(request.system); !system.empty()) {
      json.raw(R"({"role":"system","content":)").string(system).raw("}");
      first_message = false;
    }
    sdk::append_chat_turns(json, request, first_message);
    body.push_back(']');

    if (request.flags & MJ_REQUEST_HAS_TEMPERATURE) {
      json.raw(R"(,"temperature":)").number(request.temperature);
    }
    if (request.flags & MJ_REQUEST_HAS_TOP_P) {
      json.raw(R"(,"top_p":)").number(request.top_p);
    }
    if (request.max_tokens > 0) {
      // Reasoning models reject the deprecated max_tokens; this one works for every model.
      json.raw(R"(,"max_completion_tokens":)").number(request.max_tokens);
    }
    if (request.flags & MJ_REQUEST_STREAM) {
      json.raw(R"(,"stream":true,"stream_options":{"include_usage":true})");
    }
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
        std::string_view name = sdk::view(request.schema_name);
        if (name.empty()) name = "response";
        if (!valid_schema_name(name)) {
          throw sdk::ProviderError(
              MJ_ERR_CONFIGURATION,
              fmt::format("schema name '{}' is not accepted by OpenAI: use 1-64 characters from "
                          "a-z, A-Z, 0-9, '_' and '-'",
                          name));
        }
        json.raw(R"(,"response_format":{"type":"json_schema","json_schema":{"name":)")
            .string(name)
            .raw(R"(,"strict":true,"schema":)")
            .raw(sdk::openai_strict_schema(schema))  // sdk/schema_dialects.hpp: strict-mode rules
            .raw("}}");
        break;
      }
      default:
        throw sdk::ProviderError(
            MJ_ERR_CONFIGURATION,
            fmt::format("unknown response format {}", request.response_format));
    }
    body.push_back('}');
    return prepared;
  }

  std::unique_ptr<sdk::Call> open(const mj_call_params& params) {
    return std::make_unique<sdk::HttpCall>(transport_, params,
                                           std::make_unique<ChatCompletionsDecoder>(parsers_.acquire()));
  }

 private:
  sdk::HttpTransport transport_;
  sdk::ParserPool parsers_;
};

}  // namespace majordomo::openai

MAJORDOMO_EXPORT_PROVIDER(majordomo::openai::OpenAIProvider)
