// Google Gemini provider plugin: builds generateContent requests and decodes their JSON and SSE responses.
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
#include <majordomo/sdk/schema_dialects.hpp>
#include <majordomo/sdk/sse.hpp>

#include "gemini_errors.hpp"
#include "gemini_request.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace majordomo::gemini {
namespace {

namespace sdk = majordomo::sdk;
using sdk::kNotPriced;
using sdk::model_entry;
namespace ondemand = simdjson::ondemand;
using sdk::read_optional_string;

// How messages name the provider; the catalog id names it in configuration errors.
constexpr std::string_view kDisplayName = "Gemini";

// ---------------------------------------------------------------------------------------------
// Catalog
// ---------------------------------------------------------------------------------------------

// JSON mode is native (responseMimeType), JSON-schema output is responseSchema with the caller's
// schema rewritten (sdk/schema_dialects.hpp). Function calling and image input (0.5) are taken by
// every Gemini model listed (gemini_request.cpp maps them).
constexpr uint32_t kThinkingCapabilities = MJ_CAP_STREAMING | MJ_CAP_JSON_MODE | MJ_CAP_JSON_SCHEMA |
                                           MJ_CAP_REASONING | MJ_CAP_TOOLS | MJ_CAP_IMAGES;
// Gemma models served by the Gemini API answer text only: the service refuses JSON mode for them,
// and function calling is not claimed for them either, so tool requests are refused before sending.
constexpr uint32_t kTextOnlyCapabilities = MJ_CAP_STREAMING;

// Gemini has no cache-write premium (explicit caches are billed per hour of storage instead),
// so the write price is "not priced" and the host bills such tokens, never reported, as input.
// USD per 1M tokens, paid tier, text input, read 2026-11 through the project's search index.
// Official: ai.google.dev/gemini-api/docs/generate-content/latest-model (Gemini 4 Argon: price,
// output limit), ai.google.dev/gemini-api/docs/deprecations (shutdown dates). The other prices
// are ai.google.dev/gemini-api/docs/pricing as quoted by deploybase.ai (2026-03), morphllm.com
// and aifreeapi.com (2026-01), which agreed on every input/output price below. Tiered models
// (2.5 Pro and the 3.x Pro line) cost more once a prompt exceeds 200K tokens; the <=200K tier is
// listed here, so very long prompts are under-priced (Argon has no long-context tier). Cached
// input is the context-caching read price of the same tier (implicit and explicit caching bill
// the same rate). Output prices include thinking tokens, which the plugin counts as output.
// Output caps: the model pages (65,536 for the 2.5, 3 and 4 families). [?] marks a value only
// secondary sources gave. Removed as shut down: gemini-3-pro-preview (2026-03-09),
// gemini-2.0-flash and gemini-2.0-flash-lite (2026-06-01).
constexpr mj_model_info kModels[] = {
    // Argon's introductory price ($2 in, $10 out, $0.10 cached) runs through 2026-11-30; the
    // standard price from 2026-12-01 is listed, so calls made until then are over-priced 2x
    // rather than every later call under-priced. Its cap is the per-request output limit; long
    // decoding beyond it (up to 1M tokens with the prompt) is not modelled.
    model_entry("gemini-4-argon", kThinkingCapabilities, 4.00, 20.00, 0.20, kNotPriced, 65'536),
    model_entry("gemini-3.1-pro-preview", kThinkingCapabilities, 2.00, 12.00, 0.20, kNotPriced, 65'536),  // [?]
    model_entry("gemini-3-flash-preview", kThinkingCapabilities, 0.50, 3.00, 0.05, kNotPriced, 65'536),   // [?]
    // Shut down 2026-12-01; successors per secondary summaries of the deprecations page [?]:
    // gemini-2.5-pro -> gemini-3.8-flash, gemini-2.5-flash -> gemini-3.5-flash-lite.
    model_entry("gemini-2.5-pro", kThinkingCapabilities, 1.25, 10.00, 0.125, kNotPriced, 65'536),
    model_entry("gemini-2.5-flash", kThinkingCapabilities, 0.30, 2.50, 0.03, kNotPriced, 65'536),
    model_entry("gemini-2.5-flash-lite", kThinkingCapabilities, 0.10, 0.40, 0.01, kNotPriced, 65'536),
    // Open-weights model on the same API; free of charge there, so not priced. [?] output cap.
    model_entry("gemma-3-27b-it", kTextOnlyCapabilities, -1.0, -1.0, -1.0, kNotPriced, 8'192),
};

// No API version in the base URL: the path carries it, as in the official SDK (PROTOCOLS.md §0.1).
// The key goes in a header, never the ?key= query: a URL ends up in logs and proxies' access records.
constexpr mj_provider_info kProviderInfo = sdk::provider_entry({
    .auth_scheme = MJ_AUTH_HEADER, .id = "gemini", .display_name = "Google Gemini", .version = MAJORDOMO_VERSION_STRING,
    .default_base_url = "https://generativelanguage.googleapis.com", .api_key_env = "GEMINI_API_KEY",
    .base_url_env = "GOOGLE_GEMINI_BASE_URL", .auth_header = "x-goog-api-key", .models = kModels,
    .request_features = MJ_FEATURE_TOOLS | MJ_FEATURE_IMAGES | MJ_FEATURE_REASONING | MJ_FEATURE_CALLS_WITHOUT_IDS |
                        MJ_FEATURE_CONTINUATION_PER_MODEL});

// ---------------------------------------------------------------------------------------------
// Decoding helpers (simdjson On-Demand, error codes only)
// ---------------------------------------------------------------------------------------------

// usageMetadata is a complete snapshot in every chunk (PROTOCOLS.md §4.3), so each one replaces
// the previous one whole; merging would keep a count a later snapshot dropped for being zero.
struct WireUsage {
  int64_t prompt = 0;      // promptTokenCount, cached tokens included
  int64_t cached = 0;      // cachedContentTokenCount
  int64_t candidates = 0;  // candidatesTokenCount: the answer, thoughts NOT included
  int64_t thoughts = 0;    // thoughtsTokenCount

  // PROTOCOLS.md §6.2: output is billed as candidates + thoughts (each at most 2^53, so the sum
  // cannot overflow; the host refuses one above 2^53).
  mj_usage normalised() const noexcept {
    mj_usage usage{};
    usage.input_tokens = prompt;
    usage.cached_tokens = cached;
    usage.output_tokens = candidates + thoughts;
    usage.reasoning_tokens = thoughts;
    return usage;
  }
};

simdjson::error_code read_usage(ondemand::value& value, WireUsage& usage, bool& present) {
  WireUsage snapshot;  // replaces `usage` whole when the value is an object
  bool object = false;
  const simdjson::error_code error = sdk::for_each_field_if_object(value, object,
      [&](ondemand::raw_json_string key, ondemand::value& field) {
    if (key == "promptTokenCount") {
      sdk::read_token_count(field, snapshot.prompt, kDisplayName, "usageMetadata.promptTokenCount");
    } else if (key == "cachedContentTokenCount") {
      sdk::read_token_count(field, snapshot.cached, kDisplayName, "usageMetadata.cachedContentTokenCount");
    } else if (key == "candidatesTokenCount") {
      sdk::read_token_count(field, snapshot.candidates, kDisplayName, "usageMetadata.candidatesTokenCount");
    } else if (key == "thoughtsTokenCount") {
      sdk::read_token_count(field, snapshot.thoughts, kDisplayName, "usageMetadata.thoughtsTokenCount");
    }
  });
  if (object) {
    present = true;
    usage = snapshot;
  }
  return error;
}

// What a chunk (or a whole response) said about how generation ended.
struct ChunkOutcome {
  std::string_view finish_reason;
  std::string_view block_reason;  // promptFeedback.blockReason: the prompt itself was refused
  bool has_finish_reason = false;
  bool has_block_reason = false;
  bool has_candidates = false;
  bool saw_function_call = false;
};

// The calls of one answer, numbered across its chunks, and the texts built while decoding one
// step, which the sink's events point into until the next step (hence a deque: no moves).
struct CallNumbering {
  std::size_t started = 0;
  std::deque<std::string> texts;
};

// functionCall {name, args, id?}: views into the parser's buffers.
struct FunctionCallFields {
  std::string_view name;
  std::string_view id;
  std::string_view args;  // the raw JSON text of the args object; empty when absent or null
  bool has_name = false;
  bool has_id = false;
};

simdjson::error_code read_function_call(ondemand::value& value, FunctionCallFields& call) {
  return sdk::for_each_field_if_object(value, [&](ondemand::raw_json_string key, ondemand::value& field) {
    if (key == "name") return read_optional_string(field, call.name, call.has_name);
    if (key == "id") return read_optional_string(field, call.id, call.has_id);
    if (key != "args") return simdjson::SUCCESS;
    ondemand::json_type type{};
    if (auto error = field.type().get(type)) return error;
    if (type == ondemand::json_type::null) return simdjson::SUCCESS;
    if (type != ondemand::json_type::object) {
      throw sdk::ProviderError(MJ_ERR_PARSE, "Gemini functionCall args is not a JSON object");
    }
    ondemand::object object;
    if (auto error = field.get_object().get(object)) return error;
    return object.raw_json().get(call.args);
  });
}

// The args as compact JSON text, kept in `numbering.texts` ("{}" when the model sent none).
std::string_view compact_arguments(std::string_view args, CallNumbering& numbering) {
  if (args.empty()) return "{}";
  std::string& out = numbering.texts.emplace_back(args.size() + simdjson::SIMDJSON_PADDING, '\0');
  std::size_t length = 0;
  if (simdjson::minify(args.data(), args.size(), out.data(), length) != simdjson::SUCCESS) {
    throw sdk::ProviderError(MJ_ERR_PARSE, "Gemini functionCall args could not be read");
  }
  out.resize(length);
  return out;
}

// One part of candidates[0].content.parts. Fields are collected before anything is emitted:
// JSON does not promise that "thought" comes before "text", or the signature after the call.
simdjson::error_code read_part(ondemand::value& value, sdk::EventSink& sink,
                               ChunkOutcome& outcome, CallNumbering& numbering) {
  std::string_view text;
  bool has_text = false;
  bool thought = false;
  FunctionCallFields call;
  bool has_call = false;
  std::string_view signature;
  bool has_signature = false;
  const simdjson::error_code error = sdk::for_each_field_if_object(value,
      [&](ondemand::raw_json_string key, ondemand::value& field) {
    if (key == "text") {
      sdk::read_answer_text(field, text, has_text, kDisplayName, "candidates[].content.parts[].text", false);
    } else if (key == "thought") {
      bool flag = false;
      if (field.get_bool().get(flag) == simdjson::SUCCESS) thought = flag;
    } else if (key == "functionCall") {
      has_call = true;
      return read_function_call(field, call);
    } else if (key == "thoughtSignature") {
      return read_optional_string(field, signature, has_signature);
    }
    return simdjson::SUCCESS;
  });
  if (error != simdjson::SUCCESS) return error;
  if (has_call) {
    if (!call.has_name || call.name.empty()) {
      throw sdk::ProviderError(MJ_ERR_PARSE, "Gemini sent a functionCall part without a function name");
    }
    if (numbering.started == kMaxToolCalls) {
      throw sdk::ProviderError(MJ_ERR_PARSE,
                               fmt::format("Gemini answer makes more than {} function calls", kMaxToolCalls));
    }
    outcome.saw_function_call = true;
    // Each functionCall part arrives whole, in the body and in a stream chunk alike.
    const auto index = static_cast<int32_t>(numbering.started++);
    sink.tool_call_start(index, call.id, call.name, compact_arguments(call.args, numbering));
    sink.tool_call_end(index);
    if (!signature.empty()) {
      sink.continuation(numbering.texts.emplace_back(call_signature_item(static_cast<std::size_t>(index), signature)));
    }
    return simdjson::SUCCESS;
  }
  if (has_text && !text.empty()) {
    // Thought parts are summaries of the model's thinking, never part of the answer (§4.2).
    if (thought) {
      sink.reasoning(text);
    } else {
      sink.text(text);
    }
  }
  // A signature on a text part (or on a part of its own, at a stream's end) goes back on the
  // model turn's text part.
  if (!signature.empty()) sink.continuation(numbering.texts.emplace_back(text_signature_item(signature)));
  return simdjson::SUCCESS;
}

// A candidate: its parts are emitted while iterating (the views live in the parser's string
// buffer until the next document, and the parts' order is the answer's order).
simdjson::error_code read_candidate(ondemand::value& value, sdk::EventSink& sink,
                                    ChunkOutcome& outcome, CallNumbering& numbering) {
  return sdk::for_each_field_if_object(value, [&](ondemand::raw_json_string key, ondemand::value& field) {
    if (key == "content") {
      // `content` may lack `parts` entirely, e.g. when MAX_TOKENS hit during thinking (§4.2).
      return sdk::for_each_field_if_object(field, [&](ondemand::raw_json_string content_key, ondemand::value& parts) {
        if (content_key != "parts") return simdjson::SUCCESS;
        return sdk::for_each_element_if_array(parts,
            [&](ondemand::value& part) { return read_part(part, sink, outcome, numbering); });
      });
    }
    if (key == "finishReason") return read_optional_string(field, outcome.finish_reason, outcome.has_finish_reason);
    return simdjson::SUCCESS;
  });
}

simdjson::error_code read_prompt_feedback(ondemand::value& value, ChunkOutcome& outcome) {
  return sdk::for_each_field_if_object(value, [&](ondemand::raw_json_string key, ondemand::value& field) {
    if (key != "blockReason") return simdjson::SUCCESS;
    return read_optional_string(field, outcome.block_reason, outcome.has_block_reason);
  });
}

// PROTOCOLS.md §6.1. Gemini says STOP also when the model called a function.
int32_t normalise_finish_reason(std::string_view reason, bool saw_function_call) noexcept {
  if (reason == "STOP") return saw_function_call ? MJ_STOP_TOOL_USE : MJ_STOP_END_TURN;
  if (reason == "MAX_TOKENS") return MJ_STOP_MAX_TOKENS;
  if (reason == "SAFETY" || reason == "RECITATION" || reason == "BLOCKLIST" ||
      reason == "PROHIBITED_CONTENT" || reason == "SPII" || reason == "IMAGE_SAFETY" ||
      reason == "IMAGE_PROHIBITED_CONTENT" || reason == "IMAGE_RECITATION") {
    return MJ_STOP_CONTENT_FILTER;
  }
  // The model produced a tool call the API could not accept: the turn failed.
  if (reason == "MALFORMED_FUNCTION_CALL" || reason == "UNEXPECTED_TOOL_CALL" ||
      reason == "TOO_MANY_TOOL_CALLS") {
    return MJ_STOP_ERROR;
  }
  return MJ_STOP_UNKNOWN;  // OTHER, LANGUAGE, FINISH_REASON_UNSPECIFIED, NO_IMAGE, newer ones
}

// ---------------------------------------------------------------------------------------------
// Response decoder
// ---------------------------------------------------------------------------------------------

class GenerateContentDecoder final : public sdk::ResponseDecoder {
 public:
  explicit GenerateContentDecoder(sdk::ParserPool::Lease parser) : parser_(std::move(parser)) {}

  // Gemini sends no request-id header; responseId in the body stands in for it.

  void on_body(std::string_view body, sdk::EventSink& sink) override {
    const ChunkOutcome outcome = decode(body, "response", sink);
    // A 200 body with neither candidates nor a block reason answers nothing.
    if (!outcome.has_candidates && !outcome.has_block_reason) {
      throw sdk::ProviderError(MJ_ERR_PARSE, "Gemini response has no candidates");
    }
  }

  bool on_event(const sdk::SseEvent& event, sdk::EventSink& sink) override {
    if (event.data.empty()) return true;
    decode(event.data, "stream chunk", sink);
    ++chunks_;
    return true;  // no terminator: the stream ends when the body does
  }

  void on_stream_end(bool /*terminator_seen*/, sdk::EventSink& /*sink*/) override {
    // Gemini has no terminator: the body's end is the normal end, but only after a chunk carried
    // a finishReason (or blockReason). Ending before that means the answer was cut (a proxy
    // closing a close-delimited body, or an error sent as bare JSON, which SSE drops): never a
    // success with half an answer.
    if (chunks_ == 0) {
      throw sdk::ProviderError(MJ_ERR_CONNECTION,
                               "Gemini stream ended before any chunk arrived");
    }
    if (!finished_) {
      throw sdk::ProviderError(MJ_ERR_CONNECTION,
                               "Gemini stream ended before a finishReason: the answer was cut off");
    }
  }

  [[noreturn]] void on_error_status(const sdk::HttpExchange& exchange,
                                    std::string_view body) override {
    const int status = exchange.status();
    const int32_t status_kind = sdk::error_kind_for_http_status(status);

    sdk::ErrorBody error_body(body);
    ErrorFields fields;
    bool parsed = false;
    ondemand::value root;
    if (error_body.open(*parser_, root)) {
      // The streaming endpoint without alt=sse wraps the error in an array: use its first element.
      ondemand::array wrapped;
      ondemand::object object;
      if (root.get_array().get(wrapped) == simdjson::SUCCESS) {
        for (auto element : wrapped) {
          ondemand::value first;
          if (std::move(element).get(first) != simdjson::SUCCESS) break;
          if (first.get_object().get(object) == simdjson::SUCCESS) parsed = read_error_root(object, fields);
          break;
        }
      } else if (root.get_object().get(object) == simdjson::SUCCESS) {
        parsed = read_error_root(object, fields);
      }
    }

    int64_t retry_after = parsed && fields.has_retry_delay ? duration_to_ms(fields.retry_delay) : -1;
    if (retry_after < 0) retry_after = sdk::retry_after_ms(exchange);

    std::string message = sdk::error_status_message(
        kDisplayName, status, body,
        parsed ? std::optional<std::string_view>(
                     fields.has_message && !fields.message.empty() ? fields.message : fields.status)
               : std::nullopt);
    throw sdk::ProviderError(parsed ? error_kind_for(fields, status_kind) : status_kind,
                             std::move(message), status,
                             parsed ? std::string(fields.status) : std::string{}, std::string{},
                             retry_after);
  }

 private:
  // {"error": {...}}: true when the error object carried a message or a status.
  static bool read_error_root(ondemand::object& object, ErrorFields& fields) {
    bool parsed = false;
    bool seen = false;  // the first error object decides
    (void)sdk::for_each_field(object, [&](ondemand::raw_json_string key, ondemand::value& field) {
      if (key != "error" || seen) return;
      seen = true;
      parsed = read_error(field, fields) == simdjson::SUCCESS && (fields.has_message || fields.has_status);
    });
    return parsed;
  }

  // One GenerateContentResponse: a whole answer, or one stream chunk holding only the new text.
  ChunkOutcome decode(std::string_view json, std::string_view what, sdk::EventSink& sink) {
    numbering_.texts.clear();  // the previous step's events are drained by now
    ondemand::document document;
    ondemand::object root = sdk::open_root_object(*parser_, json, document, kDisplayName, what);

    ChunkOutcome outcome;
    std::string_view model;
    std::string_view response_id;
    bool has_model = false;
    bool has_response_id = false;
    WireUsage usage;
    bool has_usage = false;
    ErrorFields error_fields;
    bool has_error = false;
    sdk::read_root_fields(root, kDisplayName, what, [&](ondemand::raw_json_string key, ondemand::value& field) {
      if (key == "candidates") {
        // We never ask for candidateCount > 1, so the first candidate is the answer; taking it
        // by position keeps the parts streaming out without waiting for its "index" field.
        bool first = true;
        return sdk::for_each_element_if_array(field, [&](ondemand::value& candidate) {
          if (!first) return simdjson::SUCCESS;
          first = false;
          outcome.has_candidates = true;
          return read_candidate(candidate, sink, outcome, numbering_);
        });
      }
      if (key == "promptFeedback") return read_prompt_feedback(field, outcome);
      if (key == "usageMetadata") return read_usage(field, usage, has_usage);
      if (key == "modelVersion") return read_optional_string(field, model, has_model);
      if (key == "responseId") return read_optional_string(field, response_id, has_response_id);
      if (key == "error") {
        const simdjson::error_code error = read_error(field, error_fields);
        has_error = error == simdjson::SUCCESS;
        return error;
      }
      return simdjson::SUCCESS;
    });
    if (has_error) throw_in_band_error(error_fields, what);

    // Every chunk repeats the model and the response id; one META event is enough.
    if (!meta_sent_ && ((has_model && !model.empty()) || (has_response_id && !response_id.empty()))) {
      sink.meta(response_id, model);
      meta_sent_ = true;
    }
    saw_function_call_ = saw_function_call_ || outcome.saw_function_call;
    if (outcome.has_finish_reason) {
      sink.stop(normalise_finish_reason(outcome.finish_reason, saw_function_call_),
                outcome.finish_reason);
      finished_ = true;
    } else if (!outcome.has_candidates && outcome.has_block_reason) {
      // The prompt was refused before generation: no candidates at all (§4.2).
      sink.stop(MJ_STOP_CONTENT_FILTER, outcome.block_reason);
      finished_ = true;
    }
    if (has_usage) sink.usage(usage.normalised());
    return outcome;
  }

  sdk::ParserPool::Lease parser_;  // from the instance's pool: buffers survive between calls
  std::size_t chunks_ = 0;
  bool finished_ = false;  // a finishReason or blockReason arrived: the answer is complete
  bool meta_sent_ = false;
  // A functionCall part may arrive a chunk before the finishReason that ends the turn.
  bool saw_function_call_ = false;
  CallNumbering numbering_;  // (0.5) function calls across the stream's chunks
};

// ---------------------------------------------------------------------------------------------
// Request building
// ---------------------------------------------------------------------------------------------

// The model id becomes one path segment: anything outside RFC 3986's unreserved characters is
// percent-encoded so that a '/', '?' or ':' in an id cannot change the route.
void append_path_segment(std::string& out, std::string_view segment) {
  constexpr char kHex[] = "0123456789ABCDEF";
  for (const char c : segment) {
    const auto byte = static_cast<unsigned char>(c);
    const bool unreserved = (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') ||
                            (byte >= '0' && byte <= '9') || c == '-' || c == '.' || c == '_' ||
                            c == '~';
    if (unreserved) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0x0F]);
    }
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Provider
// ---------------------------------------------------------------------------------------------

class GeminiProvider : public sdk::OptionlessHttpProvider<kProviderInfo> {
 public:
  using OptionlessHttpProvider::OptionlessHttpProvider;

  sdk::Prepared build(const mj_request& request) const {
    sdk::require_request_covers_read_fields(request);
    std::string_view model = sdk::view(request.model);
    // The official SDKs accept "models/<id>" too; the path adds that prefix itself.
    if (model.starts_with("models/")) model.remove_prefix(std::string_view("models/").size());
    sdk::require_model_and_messages(request, model, "gemini");
    sdk::require_known_response_format(request);
    const bool json_object = request.response_format == MJ_FORMAT_JSON_OBJECT;
    const bool json_schema = request.response_format == MJ_FORMAT_JSON_SCHEMA;
    if (json_object || json_schema) require_json_capability(model, json_schema);
    // Rewritten before anything else is built: a schema responseSchema cannot express is
    // refused without a request.
    const std::string response_schema =
        json_schema ? sdk::gemini_response_schema(sdk::view(request.schema_json)) : std::string{};
    const bool stream = (request.flags & MJ_REQUEST_STREAM) != 0;

    sdk::Prepared prepared;
    prepared.path = "/v1beta/models/";
    append_path_segment(prepared.path, model);
    // Without alt=sse the streaming method answers one JSON array in pieces, not SSE (§4).
    prepared.path += stream ? ":streamGenerateContent?alt=sse" : ":generateContent";

    std::string& body = prepared.body;
    body.reserve(sdk::estimated_body_size(request, 200));
    sdk::JsonWriter json(body);

    // Built before the body: a reasoning combination Gemini cannot express is refused first.
    const std::string thinking = thinking_config(request, model);

    json.raw(R"({"contents":)");
    append_contents(json, request);

    // The system prompt is a top-level field: Gemini has no system role.
    if (const std::string_view system = sdk::view(request.system); !system.empty()) {
      json.raw(R"(,"systemInstruction":{"parts":[{"text":)").string(system).raw("}]}");
    }
    append_tool_fields(json, request);

    const bool has_temperature = (request.flags & MJ_REQUEST_HAS_TEMPERATURE) != 0;
    const bool has_top_p = (request.flags & MJ_REQUEST_HAS_TOP_P) != 0;
    const bool has_max_tokens = request.max_tokens > 0;
    if (has_temperature || has_top_p || has_max_tokens || json_object || json_schema || !thinking.empty()) {
      json.raw(R"(,"generationConfig":{)");
      bool first = true;
      const auto field = [&](std::string_view name) {
        if (!first) body.push_back(',');
        first = false;
        json.key(name);
      };
      if (has_temperature) {
        field("temperature");
        json.number(request.temperature);
      }
      if (has_top_p) {
        field("topP");
        json.number(request.top_p);
      }
      // No cap when the caller gives none: unlike Anthropic, Gemini does not require one and
      // applies the model's own limit.
      if (has_max_tokens) {
        field("maxOutputTokens");
        json.number(request.max_tokens);
      }
      if (json_object || json_schema) {
        field("responseMimeType");
        json.string("application/json");
      }
      if (json_schema) {
        field("responseSchema");
        json.raw(response_schema);
      }
      // includeThoughts stays unset, as before 0.5: thought summaries are not asked for.
      if (!thinking.empty()) {
        field("thinkingConfig");
        json.raw(thinking);
      }
      body.push_back('}');
    }
    body.push_back('}');
    return prepared;
  }

  std::unique_ptr<sdk::Call> open(const mj_call_params& params) {
    return open_call(params, std::make_unique<GenerateContentDecoder>(lease_parser()));
  }

 private:
  // A listed model whose catalog entry lacks the mode is refused before sending; models not in
  // the catalog are sent as asked (the service answers for them).
  static void require_json_capability(std::string_view model, bool json_schema) {
    const mj_model_info* entry = sdk::find_model(kModels, model);
    const uint32_t needed = json_schema ? MJ_CAP_JSON_SCHEMA : MJ_CAP_JSON_MODE;
    if (entry != nullptr && (entry->capabilities & needed) == 0) {
      throw sdk::ProviderError(
          MJ_ERR_UNSUPPORTED,
          fmt::format("gemini model '{}' does not support {}; use a Gemini model (e.g. "
                      "gemini-2.5-flash) or ask for plain text",
                      model, json_schema ? "JSON-schema structured output" : "JSON mode"));
    }
  }
};

}  // namespace majordomo::gemini

MAJORDOMO_EXPORT_PROVIDER(majordomo::gemini::GeminiProvider)
