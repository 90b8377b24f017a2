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

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace majordomo::sdk {
inline namespace v1 {
namespace {

namespace ondemand = simdjson::ondemand;

// More calls or continuation items than any model makes in one answer: a server sending more is
// broken or hostile.
constexpr std::size_t kMaxToolCalls = 1024;
constexpr std::size_t kMaxContinuationItems = 1024;

// What an output item says beside its content parts. Views point into the parser's string buffer,
// and `raw` into the document itself: both stay valid until the step's events are drained.
struct ItemFields {
  std::string_view type, id, call_id, name, arguments, status;
  std::string_view raw;  // the whole item as JSON text: a reasoning item goes back as it came
  bool has_name = false;
  bool has_encrypted_content = false;  // a non-empty encrypted_content string
};

// A call is complete when its item says so; without a status, unless the Response was cut off.
bool call_complete(const ItemFields& call, std::string_view response_status) noexcept {
  if (!call.status.empty()) return call.status == "completed";
  return response_status != "incomplete";
}

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
  // (0.5) What `output[]` holds beside text, in order: the calls, and the reasoning items that
  // carry encrypted content (the continuation items).
  std::vector<ItemFields> calls;
  std::vector<std::string_view> continuation;
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

// One `output[]` item (of a Response, or the `item` of a stream event). Any item's `content` and
// `summary` parts are read whatever its type: only message and reasoning items carry such parts.
simdjson::error_code read_item(ondemand::value& value, ResponseSummary& summary, const TextTargets& to,
                               ItemFields& item) {
  ondemand::object object;
  if (auto error = value.get_object().get(object)) return error;
  if (auto error = object.raw_json().get(item.raw)) return error;
  bool empty = false;
  if (auto error = object.reset().get(empty)) return error;  // raw_json consumed it: read it again
  return for_each_field(object, [&](ondemand::raw_json_string key, ondemand::value& field) -> simdjson::error_code {
    bool present = false;
    if (key == "type") return read_optional_string(field, item.type, present);
    if (key == "content" || key == "summary") {
      return for_each_element_if_array(field, [&](ondemand::value& part) { return read_part(part, summary, to); });
    }
    if (key == "id") return read_optional_string(field, item.id, present);
    if (key == "call_id") return read_optional_string(field, item.call_id, present);
    if (key == "name") return read_optional_string(field, item.name, item.has_name);
    if (key == "arguments") return read_optional_string(field, item.arguments, present);
    if (key == "status") return read_optional_string(field, item.status, present);
    if (key == "encrypted_content") {
      std::string_view content;
      const simdjson::error_code error = read_optional_string(field, content, present);
      item.has_encrypted_content = !content.empty();
      return error;
    }
    return simdjson::SUCCESS;
  });
}

// A function_call item must name its function: a call of nothing cannot be answered.
void check_call_named(const ItemFields& call, std::string_view provider) {
  if (!call.has_name || call.name.empty()) {
    throw ProviderError(MJ_ERR_PARSE, fmt::format("{} sent a function_call item without a name", provider));
  }
}

// Keeps what a whole Response's item means beside its text: a call, or a continuation item.
void note_item(const ItemFields& item, ResponseSummary& summary) {
  if (item.type == "function_call") {
    summary.function_call = true;
    check_call_named(item, summary.provider);
    if (summary.calls.size() == kMaxToolCalls) {
      throw ProviderError(MJ_ERR_PARSE, fmt::format("{} sent more than {} function calls in one answer",
                                                    summary.provider, kMaxToolCalls));
    }
    summary.calls.push_back(item);
  } else if (item.type == "reasoning" && item.has_encrypted_content) {
    // Without encrypted content a reasoning item cannot be sent back (store is false: the server
    // kept nothing to look its id up in), so only self-contained ones are continuation items.
    if (summary.continuation.size() == kMaxContinuationItems) {
      throw ProviderError(MJ_ERR_PARSE, fmt::format("{} sent more than {} reasoning items in one answer",
                                                    summary.provider, kMaxContinuationItems));
    }
    summary.continuation.push_back(item.raw);
  }
}

// A whole Response's calls and continuation items, as events: each call starts and, unless it
// was cut off, ends at once.
void emit_items(const ResponseSummary& summary, EventSink& sink) {
  for (const std::string_view item : summary.continuation) sink.continuation(item);
  for (std::size_t i = 0; i < summary.calls.size(); ++i) {
    const ItemFields& call = summary.calls[i];
    const auto index = static_cast<int32_t>(i);
    sink.tool_call_start(index, call.call_id, call.name, call.arguments);
    if (call_complete(call, summary.status)) sink.tool_call_end(index);
  }
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
      return for_each_element_if_array(field, [&](ondemand::value& value) {
        ItemFields item;
        if (auto error = read_item(value, summary, to, item)) return error;
        note_item(item, summary);
        return simdjson::SUCCESS;
      });
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

// The events about output items and function-call arguments.
bool is_item_event(std::string_view type) noexcept {
  return type == "response.output_item.added" || type == "response.output_item.done" ||
         type == "response.function_call_arguments.delta" || type == "response.function_call_arguments.done";
}

// What one such event says: its item, or the item it continues and the arguments (a delta's
// piece, or the done event's whole text).
struct CallEventFields {
  ItemFields item;
  std::string_view item_id;
  std::string_view arguments;
  int64_t output_index = 0;
  bool has_output_index = false;
};

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
    if (summary.status != "failed") emit_items(summary, sink);
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
    // A function call's events: the keys after `type` come in any order (2026 captures sort
    // them), so they are acted on once the whole event is read.
    CallEventFields call_event;
    read_root_fields(root, provider, "stream event",
        [&](ondemand::raw_json_string key, ondemand::value& field) -> simdjson::error_code {
      bool present = false;
      if (key == "type") {
        return type.empty() ? read_optional_string(field, type, present) : simdjson::SUCCESS;
      }
      if (key == "delta") {
        std::string_view delta;
        if (type == "response.function_call_arguments.delta") {
          return read_optional_string(field, call_event.arguments, present);
        }
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
      if (key == "item") return read_item(field, summary, TextTargets{}, call_event.item);
      if (is_item_event(type)) {
        if (key == "output_index") {
          call_event.has_output_index = true;
          return field.get_int64().get(call_event.output_index);
        }
        if (key == "item_id") return read_optional_string(field, call_event.item_id, present);
        if (key == "arguments") return read_optional_string(field, call_event.arguments, present);
        return simdjson::SUCCESS;
      }
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

    if (!model_seen_ && !summary.model.empty()) {
      model_seen_ = true;
      sink.meta({}, summary.model);
    }
    if (type == "error") throw_failed(error_fields, provider, "stream error");
    if (is_item_event(type)) on_item_event(type, call_event, sink);
    if (is_terminal(type)) {
      if (!items_seen_) {
        // A server that announced no items: the terminal Response is the only account of them.
        if (summary.status != "failed") emit_items(summary, sink);
      } else if (type == "response.completed") {
        // A completed Response has complete items, whether or not their done events came.
        for (std::size_t i = 0; i < stream_calls_.size(); ++i) end_call(i, sink);
      }
      summary.function_call = summary.function_call || !stream_calls_.empty();
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

  // The events of output items: function calls are numbered densely from 0 in the order they
  // are announced, whatever output_index the server gives them (a reasoning or message item
  // before them takes an index too); reasoning items with encrypted content are continuation.
  void on_item_event(std::string_view type, const CallEventFields& event, EventSink& sink) {
    const ItemFields& item = event.item;
    const bool item_event = type == "response.output_item.added" || type == "response.output_item.done";
    if (item_event) items_seen_ = true;
    if (item_event && item.type == "reasoning") {
      if (type == "response.output_item.done" && item.has_encrypted_content) {
        if (continuation_items_ == kMaxContinuationItems) {
          throw ProviderError(MJ_ERR_PARSE, fmt::format("{} sent more than {} reasoning items in one answer",
                                                        flavour_.display_name, kMaxContinuationItems));
        }
        ++continuation_items_;
        sink.continuation(item.raw);
      }
      return;
    }
    if (item_event && item.type != "function_call") return;
    std::size_t call = find_call(event);
    if (call == stream_calls_.size()) {
      // An item announced only by its done event still counts; an argument event for an item
      // never announced cannot be placed.
      if (!item_event) {
        throw ProviderError(MJ_ERR_PARSE, fmt::format("{} stream continued a function call it never announced",
                                                      flavour_.display_name));
      }
      start_call(event, sink);
      if (type == "response.output_item.added") return;
    } else if (type == "response.output_item.added") {
      throw ProviderError(MJ_ERR_PARSE, fmt::format("{} stream announced the same function call twice",
                                                    flavour_.display_name));
    }
    StreamCall& state = stream_calls_[call];
    if (type == "response.function_call_arguments.delta") {
      if (state.ended) {
        throw ProviderError(MJ_ERR_PARSE, fmt::format("{} stream continued a function call after its end",
                                                      flavour_.display_name));
      }
      add_arguments(call, event.arguments, sink);
      return;
    }
    // The done events carry the whole arguments: a server that sent no deltas is read from them.
    const std::string_view whole = item_event ? item.arguments : event.arguments;
    if (state.argument_bytes == 0 && !state.ended) add_arguments(call, whole, sink);
    // An item cut off by the output cap is done with status incomplete: the call stays open.
    if (type == "response.output_item.done" && !item.status.empty() && item.status != "completed") return;
    end_call(call, sink);
  }

  std::size_t find_call(const CallEventFields& event) const {
    const std::string_view item_id = event.item.id.empty() ? event.item_id : event.item.id;
    for (std::size_t i = 0; i < stream_calls_.size(); ++i) {
      const StreamCall& call = stream_calls_[i];
      if (event.has_output_index && call.has_output_index) {
        if (call.output_index == event.output_index) return i;
      } else if (!item_id.empty() && call.item_id == item_id) {
        return i;
      }
    }
    return stream_calls_.size();
  }

  void start_call(const CallEventFields& event, EventSink& sink) {
    const ItemFields& item = event.item;
    check_call_named(item, flavour_.display_name);
    if (stream_calls_.size() == kMaxToolCalls) {
      throw ProviderError(MJ_ERR_PARSE, fmt::format("{} sent more than {} function calls in one answer",
                                                    flavour_.display_name, kMaxToolCalls));
    }
    StreamCall call;
    call.output_index = event.output_index;
    call.has_output_index = event.has_output_index;
    call.item_id.assign(item.id);
    call.argument_bytes = item.arguments.size();
    stream_calls_.push_back(std::move(call));
    sink.tool_call_start(static_cast<int32_t>(stream_calls_.size() - 1), item.call_id, item.name, item.arguments);
  }

  void add_arguments(std::size_t call, std::string_view piece, EventSink& sink) {
    if (piece.empty()) return;
    stream_calls_[call].argument_bytes += piece.size();
    sink.tool_call_arguments(static_cast<int32_t>(call), piece);
  }

  void end_call(std::size_t call, EventSink& sink) {
    if (stream_calls_[call].ended) return;
    stream_calls_[call].ended = true;
    sink.tool_call_end(static_cast<int32_t>(call));
  }

  // One function call of the stream, by the server's numbers.
  struct StreamCall {
    int64_t output_index = 0;
    bool has_output_index = false;
    std::string item_id{};  // the fc_… id, for events that name the item without an index
    std::size_t argument_bytes = 0;
    bool ended = false;
  };

  ParserPool::Lease parser_;
  const ResponsesApiFlavour& flavour_;
  std::vector<StreamCall> stream_calls_;
  std::size_t continuation_items_ = 0;
  bool items_seen_ = false;  // an output_item event came: the terminal Response repeats what they said
  bool model_seen_ = false;
  bool text_seen_ = false;
  bool reasoning_seen_ = false;
  bool refused_ = false;
};

}  // namespace

std::unique_ptr<ResponseDecoder> make_responses_decoder(ParserPool::Lease parser,
                                                        const ResponsesApiFlavour& flavour) {
  return std::make_unique<ResponsesDecoder>(std::move(parser), flavour);
}

}  // namespace v1
}  // namespace majordomo::sdk
