// The OpenAI Responses API codec (see responses_api.hpp; wire format in PROTOCOLS §1b).
#include <majordomo/sdk/chat_completions.hpp>
#include <majordomo/sdk/chat_messages.hpp>
#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/json_fields.hpp>
#include <majordomo/sdk/json_read.hpp>
#include <majordomo/sdk/json_writer.hpp>
#include <majordomo/sdk/provider_support.hpp>
#include <majordomo/sdk/responses_api.hpp>
#include <majordomo/sdk/sse.hpp>
#include <majordomo/sdk/str.hpp>
#include <majordomo/sdk/turns.hpp>

#include <fmt/format.h>

#include <string>
#include <utility>

namespace majordomo::sdk {
inline namespace v1 {
namespace {

namespace ondemand = simdjson::ondemand;

// What a Response object (a body, or the `response` of a stream event) tells beyond its text.
struct ResponseSummary {
  std::string_view provider;  // the display name, for parse errors
  std::string_view status;
  std::string_view incomplete_reason;
  std::string_view model;
  OpenAIErrorFields error;
  mj_usage usage{};
  bool has_status = false;
  bool has_incomplete_reason = false;
  bool has_error = false;
  bool has_usage = false;
  bool function_call = false;  // a function_call item: the model wants a tool
  bool refusal = false;        // a refusal content part
};

// Where the texts of a Response object go: into a sink, or nowhere (a stream that already
// delivered them as deltas).
struct TextTargets {
  EventSink* answer = nullptr;
  EventSink* reasoning = nullptr;
};

simdjson::error_code read_null_or_error(ondemand::value& value, OpenAIErrorFields& fields, bool& present) {
  ondemand::json_type type;
  if (auto error = value.type().get(type)) return error;
  if (type != ondemand::json_type::object && type != ondemand::json_type::string) return simdjson::SUCCESS;
  present = true;
  return read_openai_error(value, fields);
}

// One content part of a message item (output_text, refusal) or a reasoning item's summary or
// content part (summary_text, reasoning_text).
simdjson::error_code read_part(ondemand::value& value, ResponseSummary& summary, const TextTargets& to) {
  std::string_view type, text, refusal;
  bool has_type = false, has_text = false, has_refusal = false, text_null = false;
  const simdjson::error_code error = for_each_field(value, [&](ondemand::raw_json_string key, ondemand::value& field) {
    if (key == "type") return read_optional_string(field, type, has_type);
    if (key == "text") {
      // A string, or null (checked below, once the part's type is known); nothing else.
      read_answer_text(field, text, has_text, summary.provider, "output[].content[].text", true);
      text_null = !has_text;
    } else if (key == "refusal") {
      read_answer_text(field, refusal, has_refusal, summary.provider, "output[].content[].refusal", true);
    }
    return simdjson::SUCCESS;
  });
  if (error != simdjson::SUCCESS) return error;
  if (type == "output_text") {
    if (text_null) {
      throw ProviderError(MJ_ERR_PARSE, fmt::format("{} output[].content[].text of an output_text part is null: the "
                                                    "answer is malformed", summary.provider));
    }
    if (to.answer != nullptr && !text.empty()) to.answer->text(text);
  } else if (type == "refusal") {
    summary.refusal = true;
    if (to.answer != nullptr && !refusal.empty()) to.answer->text(refusal);
  } else if (type == "summary_text" || type == "reasoning_text") {
    if (to.reasoning != nullptr && !text.empty()) to.reasoning->reasoning(text);
  }
  return simdjson::SUCCESS;
}

// One `output[]` item. Any item's `content` and `summary` parts are read whatever its type comes
// before or after them: only message and reasoning items carry such parts.
simdjson::error_code read_item(ondemand::value& value, ResponseSummary& summary, const TextTargets& to) {
  return for_each_field(value, [&](ondemand::raw_json_string key, ondemand::value& field) -> simdjson::error_code {
    if (key == "type") {
      std::string_view type;
      bool present = false;
      const simdjson::error_code error = read_optional_string(field, type, present);
      if (type == "function_call") summary.function_call = true;
      return error;
    }
    if (key == "content" || key == "summary") {
      return for_each_element_if_array(field, [&](ondemand::value& part) { return read_part(part, summary, to); });
    }
    return simdjson::SUCCESS;
  });
}

simdjson::error_code read_response(ondemand::object& response, ResponseSummary& summary,
                                   const TextTargets& to) {
  return for_each_field(response, [&](ondemand::raw_json_string key, ondemand::value& field) -> simdjson::error_code {
    if (key == "status") return read_optional_string(field, summary.status, summary.has_status);
    if (key == "model") {
      bool present = false;
      return read_optional_string(field, summary.model, present);
    }
    if (key == "error") return read_null_or_error(field, summary.error, summary.has_error);
    if (key == "incomplete_details") {
      return for_each_field_if_object(field, [&](ondemand::raw_json_string detail_key, ondemand::value& detail) {
        if (detail_key != "reason") return simdjson::SUCCESS;
        return read_optional_string(detail, summary.incomplete_reason, summary.has_incomplete_reason);
      });
    }
    if (key == "output") {
      return for_each_element_if_array(field, [&](ondemand::value& item) { return read_item(item, summary, to); });
    }
    if (key == "usage") {
      return read_openai_usage(field, kResponsesUsageFields, summary.usage, summary.has_usage, summary.provider);
    }
    return simdjson::SUCCESS;
  });
}

// An error the service reports with HTTP 200: `status: failed` or an `error` event.
[[noreturn]] void throw_failed(const OpenAIErrorFields& fields, std::string_view provider,
                               std::string_view where) {
  const std::string_view tag = fields.provider_type();
  // invalid_prompt (the prompt was refused, e.g. by a safety check) is not fixed by a retry.
  const int32_t kind = tag == "invalid_prompt" ? MJ_ERR_BAD_REQUEST
                                               : openai_error_kind_for_tags(fields.type, fields.code);
  throw ProviderError(kind, fmt::format("{} {}: {}", provider, where, fields.message_or_placeholder()), 200,
                      std::string(tag));
}

// The end of a Response: its stop reason and usage, or the typed error of a failed one.
void finish(const ResponseSummary& summary, std::string_view provider, std::string_view where,
            EventSink& sink) {
  const std::string_view status = summary.status;
  if (status == "failed") throw_failed(summary.error, provider, where);
  if (status == "incomplete") {
    // The spec's example once said "max_tokens"; the enum and the recordings say max_output_tokens.
    const std::string_view reason = summary.has_incomplete_reason ? summary.incomplete_reason : status;
    int32_t stop = MJ_STOP_UNKNOWN;
    if (reason == "max_output_tokens" || reason == "max_tokens") stop = MJ_STOP_MAX_TOKENS;
    if (reason == "content_filter") stop = MJ_STOP_CONTENT_FILTER;
    sink.stop(stop, reason);
  } else if (status == "completed") {
    if (summary.refusal) {
      sink.stop(MJ_STOP_CONTENT_FILTER, "refusal");
    } else {
      sink.stop(summary.function_call ? MJ_STOP_TOOL_USE : MJ_STOP_END_TURN, status);
    }
  } else if (status == "cancelled") {
    sink.stop(MJ_STOP_ERROR, status);
  } else if (summary.has_status) {
    sink.stop(MJ_STOP_UNKNOWN, status);  // queued / in_progress: only with background, never sent
  }
  if (summary.has_usage) sink.usage(summary.usage);
}

// The events whose `delta` is answer or reasoning text: a string, never null or another type.
bool is_text_delta(std::string_view type) noexcept {
  return type == "response.output_text.delta" || type == "response.refusal.delta" ||
         type == "response.reasoning_summary_text.delta" || type == "response.reasoning_text.delta";
}

bool is_terminal(std::string_view type) noexcept {
  return type == "response.completed" || type == "response.incomplete" || type == "response.failed";
}

class ResponsesDecoder final : public ResponseDecoder {
 public:
  ResponsesDecoder(ParserPool::Lease parser, const ResponsesApiFlavour& flavour)
      : parser_(std::move(parser)), flavour_(flavour) {}

  std::string_view request_id_header() const override { return flavour_.request_id_header; }

  void on_body(std::string_view body, EventSink& sink) override {
    const std::string_view provider = flavour_.display_name;
    ondemand::document document;
    ondemand::object root = open_root_object(*parser_, body, document, provider, "response");
    ResponseSummary summary;
    summary.provider = provider;
    if (auto error = read_response(root, summary, TextTargets{&sink, &sink})) {
      throw_invalid_json(provider, "response", error);
    }
    // {"error":{…}} without a status: the error envelope, sent with HTTP 200 by some proxies.
    if (summary.has_error && !summary.has_status) {
      throw_openai_in_band_error(summary.error, provider, "response");
    }
    if (!summary.has_status) {
      throw ProviderError(MJ_ERR_PARSE, fmt::format("{} response has no status", provider));
    }
    if (!summary.model.empty()) sink.meta({}, summary.model);
    finish(summary, provider, "response failed", sink);
  }

  bool on_event(const SseEvent& event, EventSink& sink) override {
    const std::string_view provider = flavour_.display_name;
    if (event.data.empty() || event.data == "[DONE]") return true;  // no terminal event: see on_stream_end

    ondemand::document document;
    ondemand::object root = open_root_object(*parser_, event.data, document, provider, "stream event");
    // The `event:` name equals data.type; data.type (always the first key) serves servers that
    // leave the event line out.
    std::string_view type = event.type;
    ResponseSummary summary;
    summary.provider = provider;
    OpenAIErrorFields error_fields;
    bool has_error = false;
    read_root_fields(root, provider, "stream event",
        [&](ondemand::raw_json_string key, ondemand::value& field) -> simdjson::error_code {
      if (key == "type") {
        bool present = false;
        return type.empty() ? read_optional_string(field, type, present) : simdjson::SUCCESS;
      }
      if (key == "delta") {
        std::string_view delta;
        bool present = false;
        if (is_text_delta(type)) {
          read_answer_text(field, delta, present, provider, "delta", false);
        } else if (auto error = read_optional_string(field, delta, present)) {
          return error;
        }
        if (!delta.empty()) on_delta(type, delta, sink);
        return simdjson::SUCCESS;
      }
      if (key == "response") {
        ondemand::object response;
        if (auto error = field.get_object().get(response)) return error;
        // The terminal event repeats the whole output; it is the answer only when no delta
        // brought it (a server that sends no deltas).
        const TextTargets to{is_terminal(type) && !text_seen_ ? &sink : nullptr,
                             is_terminal(type) && !reasoning_seen_ ? &sink : nullptr};
        return read_response(response, summary, to);
      }
      if (key == "item") return read_item(field, summary, TextTargets{});
      if (type != "error") return simdjson::SUCCESS;
      // Both shapes of the `error` event: flat {code, message, param} and nested {error:{…}}.
      if (key == "error") return read_null_or_error(field, error_fields, has_error);
      if (key == "message") {
        has_error = true;
        return read_optional_string(field, error_fields.message, error_fields.has_message);
      }
      if (key == "code") {
        has_error = true;
        return read_optional_string(field, error_fields.code, error_fields.has_code);
      }
      return simdjson::SUCCESS;
    });

    if (summary.function_call) function_call_ = true;
    if (!model_seen_ && !summary.model.empty()) {
      model_seen_ = true;
      sink.meta({}, summary.model);
    }
    if (type == "error") throw_failed(error_fields, provider, "stream error");
    if (is_terminal(type)) {
      summary.function_call = summary.function_call || function_call_;
      summary.refusal = summary.refusal || refused_;
      if (!summary.has_status) {
        // A terminal event names its outcome even when its snapshot leaves the status out.
        summary.status = type.substr(std::string_view("response.").size());
        summary.has_status = true;
      }
      finish(summary, provider, "response failed", sink);
      return false;
    }
    return true;
  }

  void on_stream_end(bool terminator_seen, EventSink& /*sink*/) override {
    if (!terminator_seen) {
      throw ProviderError(MJ_ERR_CONNECTION,
                          "stream ended before response.completed, response.incomplete or "
                          "response.failed: the connection was closed mid-response");
    }
  }

  [[noreturn]] void on_error_status(const HttpExchange& exchange, std::string_view body) override {
    throw_openai_error_status(exchange, body, *parser_, flavour_.display_name,
                              flavour_.request_id_header);
  }

 private:
  void on_delta(std::string_view type, std::string_view delta, EventSink& sink) {
    if (type == "response.output_text.delta") {
      text_seen_ = true;
      sink.text(delta);
    } else if (type == "response.refusal.delta") {
      text_seen_ = true;
      refused_ = true;
      sink.text(delta);
    } else if (type == "response.reasoning_summary_text.delta" || type == "response.reasoning_text.delta") {
      reasoning_seen_ = true;
      sink.reasoning(delta);
    }
    // Function-call argument deltas and built-in tool events carry no answer text.
  }

  ParserPool::Lease parser_;
  const ResponsesApiFlavour& flavour_;
  bool model_seen_ = false;
  bool text_seen_ = false;
  bool reasoning_seen_ = false;
  bool refused_ = false;
  bool function_call_ = false;
};

}  // namespace

Prepared build_responses_request(const mj_request& request, const ResponsesApiFlavour& flavour) {
  const std::string_view model = validated_model(request, flavour.provider_id);
  if (request.max_tokens > 0 && request.max_tokens < kResponsesMinOutputTokens) {
    throw ProviderError(
        MJ_ERR_CONFIGURATION,
        fmt::format("the Responses API takes max_tokens of at least {} (got {}): raise it, or "
                    "use the Chat Completions API (the default)",
                    kResponsesMinOutputTokens, request.max_tokens));
  }

  // (0.5) Not mapped for this API yet: refused rather than sent without them.
  if (has_tools_or_images(request) || reasoning_effort(request) != MJ_EFFORT_DEFAULT ||
      thinking_mode(request) != MJ_THINKING_DEFAULT) {
    throw ProviderError(MJ_ERR_UNSUPPORTED,
                        fmt::format("{} through the Responses API does not take tools, images or reasoning controls "
                                    "in this version; use the Chat Completions API (the default)",
                                    flavour.display_name));
  }
  Prepared prepared;
  prepared.path = "/responses";
  std::string& body = prepared.body;
  body.reserve(estimated_body_size(request, 192));
  JsonWriter json(body);

  json.raw(R"({"model":)").string(model);
  if (const std::string_view system = view(request.system); !system.empty()) {
    json.raw(R"(,"instructions":)").string(system);
  }
  // Message items with plain-string content: accepted for user and assistant turns alike.
  json.raw(R"(,"input":[)");
  append_chat_turns(json, request, true);
  body.push_back(']');

  append_sampling_fields(json, request);
  if (request.max_tokens > 0) {
    json.raw(R"(,"max_output_tokens":)").number(request.max_tokens);
  }
  // Stored responses are kept server-side (the default); nothing here continues one.
  json.raw(R"(,"store":false)");
  if (request.flags & MJ_REQUEST_STREAM) json.raw(R"(,"stream":true)");
  switch (request.response_format) {
    case MJ_FORMAT_TEXT: break;
    case MJ_FORMAT_JSON_OBJECT:
      json.raw(R"(,"text":{"format":{"type":"json_object"}})");
      break;
    case MJ_FORMAT_JSON_SCHEMA:
      // Flat: the schema members sit in `format` itself, not in a json_schema object.
      json.raw(R"(,"text":{"format":{"type":"json_schema",)");
      append_strict_json_schema_members(json, request, flavour.display_name);
      json.raw("}}");
      break;
    default:
      throw_unknown_response_format(request.response_format);
  }
  body.push_back('}');
  return prepared;
}

std::unique_ptr<ResponseDecoder> make_responses_decoder(ParserPool::Lease parser,
                                                        const ResponsesApiFlavour& flavour) {
  return std::make_unique<ResponsesDecoder>(std::move(parser), flavour);
}

}  // namespace v1
}  // namespace majordomo::sdk
