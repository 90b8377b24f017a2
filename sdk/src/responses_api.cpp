// The OpenAI Responses API codec (see responses_api.hpp; wire format in PROTOCOLS §1b).
#include <majordomo/sdk/chat_completions.hpp>
#include <majordomo/sdk/chat_messages.hpp>
#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/json_read.hpp>
#include <majordomo/sdk/json_writer.hpp>
#include <majordomo/sdk/provider_support.hpp>
#include <majordomo/sdk/responses_api.hpp>
#include <majordomo/sdk/sse.hpp>
#include <majordomo/sdk/str.hpp>

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

simdjson::error_code read_null_or_error(ondemand::value value, OpenAIErrorFields& fields, bool& present) {
  ondemand::json_type type;
  if (auto error = value.type().get(type)) return error;
  if (type != ondemand::json_type::object && type != ondemand::json_type::string) return simdjson::SUCCESS;
  present = true;
  return read_openai_error(value, fields);
}

// One content part of a message item (output_text, refusal) or a reasoning item's summary or
// content part (summary_text, reasoning_text).
simdjson::error_code read_part(ondemand::value value, ResponseSummary& summary, const TextTargets& to) {
  ondemand::object part;
  if (auto error = value.get_object().get(part)) return error;
  std::string_view type, text, refusal;
  bool has_type = false, has_text = false, has_refusal = false, text_null = false;
  for (auto member : part) {
    ondemand::field field;
    if (auto error = std::move(member).get(field)) return error;
    const ondemand::raw_json_string key = field.key();
    simdjson::error_code error = simdjson::SUCCESS;
    if (key == "type") {
      error = read_optional_string(field.value(), type, has_type);
    } else if (key == "text") {
      // A string, or null (checked below, once the part's type is known); nothing else.
      read_answer_text(field.value(), text, has_text, summary.provider, "output[].content[].text", true);
      text_null = !has_text;
    } else if (key == "refusal") {
      read_answer_text(field.value(), refusal, has_refusal, summary.provider, "output[].content[].refusal", true);
    }
    if (error != simdjson::SUCCESS) return error;
  }
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

simdjson::error_code read_parts(ondemand::value value, ResponseSummary& summary, const TextTargets& to) {
  ondemand::array parts;
  if (value.get_array().get(parts) != simdjson::SUCCESS) return simdjson::SUCCESS;  // null
  for (auto element : parts) {
    ondemand::value part;
    if (auto error = std::move(element).get(part)) return error;
    if (auto error = read_part(part, summary, to)) return error;
  }
  return simdjson::SUCCESS;
}

// One `output[]` item. Any item's `content` and `summary` parts are read whatever its type comes
// before or after them: only message and reasoning items carry such parts.
simdjson::error_code read_item(ondemand::value value, ResponseSummary& summary, const TextTargets& to) {
  ondemand::object item;
  if (auto error = value.get_object().get(item)) return error;
  for (auto member : item) {
    ondemand::field field;
    if (auto error = std::move(member).get(field)) return error;
    const ondemand::raw_json_string key = field.key();
    simdjson::error_code error = simdjson::SUCCESS;
    if (key == "type") {
      std::string_view type;
      bool present = false;
      error = read_optional_string(field.value(), type, present);
      if (type == "function_call") summary.function_call = true;
    } else if (key == "content" || key == "summary") {
      error = read_parts(field.value(), summary, to);
    }
    if (error != simdjson::SUCCESS) return error;
  }
  return simdjson::SUCCESS;
}

simdjson::error_code read_response(ondemand::object& response, ResponseSummary& summary,
                                   const TextTargets& to) {
  for (auto member : response) {
    ondemand::field field;
    if (auto error = std::move(member).get(field)) return error;
    const ondemand::raw_json_string key = field.key();
    simdjson::error_code error = simdjson::SUCCESS;
    if (key == "status") {
      error = read_optional_string(field.value(), summary.status, summary.has_status);
    } else if (key == "model") {
      bool present = false;
      error = read_optional_string(field.value(), summary.model, present);
    } else if (key == "error") {
      error = read_null_or_error(field.value(), summary.error, summary.has_error);
    } else if (key == "incomplete_details") {
      ondemand::object details;
      if (field.value().get_object().get(details) != simdjson::SUCCESS) continue;  // null
      for (auto detail_member : details) {
        ondemand::field detail;
        if ((error = std::move(detail_member).get(detail))) break;
        if (detail.key() == "reason") {
          error = read_optional_string(detail.value(), summary.incomplete_reason,
                                       summary.has_incomplete_reason);
          if (error) break;
        }
      }
    } else if (key == "output") {
      ondemand::array items;
      if (field.value().get_array().get(items) != simdjson::SUCCESS) continue;  // null
      for (auto element : items) {
        ondemand::value item;
        if ((error = std::move(element).get(item))) break;
        if ((error = read_item(item, summary, to))) break;
      }
    } else if (key == "usage") {
      error = read_openai_usage(field.value(), kResponsesUsageFields, summary.usage, summary.has_usage,
                                summary.provider);
    }
    if (error != simdjson::SUCCESS) return error;
  }
  return simdjson::SUCCESS;
}

// An error the service reports with HTTP 200: `status: failed` or an `error` event.
[[noreturn]] void throw_failed(const OpenAIErrorFields& fields, std::string_view provider,
                               std::string_view where) {
  const std::string_view tag = fields.provider_type();
  // invalid_prompt (the prompt was refused, e.g. by a safety check) is not fixed by a retry.
  const int32_t kind = tag == "invalid_prompt" ? MJ_ERR_BAD_REQUEST
                                               : openai_error_kind_for_tags(fields.type, fields.code);
  const std::string_view message = fields.has_message && !fields.message.empty()
                                       ? fields.message
                                       : std::string_view{"(no message)"};
  throw ProviderError(kind, fmt::format("{} {}: {}", provider, where, message), 200, std::string(tag));
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
    for (auto member : root) {
      ondemand::field field;
      if (auto error = std::move(member).get(field)) throw_invalid_json(provider, "stream event", error);
      const ondemand::raw_json_string key = field.key();
      simdjson::error_code error = simdjson::SUCCESS;
      if (key == "type") {
        if (type.empty()) {
          bool present = false;
          error = read_optional_string(field.value(), type, present);
        }
      } else if (key == "delta") {
        std::string_view delta;
        bool present = false;
        if (is_text_delta(type)) {
          read_answer_text(field.value(), delta, present, provider, "delta", false);
        } else {
          error = read_optional_string(field.value(), delta, present);
        }
        if (error == simdjson::SUCCESS && !delta.empty()) on_delta(type, delta, sink);
      } else if (key == "response") {
        ondemand::object response;
        error = field.value().get_object().get(response);
        if (error == simdjson::SUCCESS) {
          // The terminal event repeats the whole output; it is the answer only when no delta
          // brought it (a server that sends no deltas).
          const TextTargets to{is_terminal(type) && !text_seen_ ? &sink : nullptr,
                               is_terminal(type) && !reasoning_seen_ ? &sink : nullptr};
          error = read_response(response, summary, to);
        }
      } else if (key == "item") {
        error = read_item(field.value(), summary, TextTargets{});
      } else if (type == "error") {
        // Both shapes of the `error` event: flat {code, message, param} and nested {error:{…}}.
        if (key == "error") {
          error = read_null_or_error(field.value(), error_fields, has_error);
        } else if (key == "message") {
          error = read_optional_string(field.value(), error_fields.message, error_fields.has_message);
          has_error = true;
        } else if (key == "code") {
          error = read_optional_string(field.value(), error_fields.code, error_fields.has_code);
          has_error = true;
        }
      }
      if (error != simdjson::SUCCESS) throw_invalid_json(provider, "stream event", error);
    }

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
      throw ProviderError(MJ_ERR_CONFIGURATION,
                          fmt::format("unknown response format {}", request.response_format));
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
