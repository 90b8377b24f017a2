// The OpenAI-compatible Chat Completions codec (see chat_completions.hpp).
#include <majordomo/sdk/chat_completions.hpp>
#include <majordomo/sdk/chat_messages.hpp>
#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/json_fields.hpp>
#include <majordomo/sdk/json_read.hpp>
#include <majordomo/sdk/provider_support.hpp>
#include <majordomo/sdk/schema_dialects.hpp>
#include <majordomo/sdk/sse.hpp>
#include <majordomo/sdk/str.hpp>
#include <majordomo/sdk/turns.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace majordomo::sdk {
inline namespace v1 {
namespace {

namespace ondemand = simdjson::ondemand;

bool is_json_whitespace(char c) noexcept { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

// A server that queues a non-streaming request may send blank lines before its body (DeepSeek,
// PROTOCOLS §2); simdjson skips leading whitespace itself, so only a body of nothing but
// whitespace needs its own message.
ondemand::object open_body_object(ondemand::parser& parser, std::string_view json,
                                  ondemand::document& document, std::string_view provider,
                                  std::string_view what) {
  std::size_t first = 0;
  while (first < json.size() && is_json_whitespace(json[first])) ++first;
  if (first == json.size()) throw_empty_json(provider, what);
  return open_root_object(parser, json, document, provider, what);
}

// One element of `tool_calls`: a whole call in a body, a fragment in a stream chunk (the first
// fragment of a call carries its id and name). Views point into the parser's string buffer.
struct ToolCallPiece {
  int64_t index = 0;  // the server's number for the call; a body's calls are in array order
  std::string_view id, name, arguments;
  bool has_name = false;
};

// More calls than any model makes in one answer: a server sending more is broken or hostile.
constexpr std::size_t kMaxToolCalls = 1024;

simdjson::error_code read_tool_call_piece(ondemand::value& value, ToolCallPiece& piece, std::string_view provider) {
  bool has_id = false, has_arguments = false;
  return for_each_field(value, [&](ondemand::raw_json_string key, ondemand::value& field) -> simdjson::error_code {
    if (key == "index") return field.get_int64().get(piece.index);
    if (key == "id") return read_optional_string(field, piece.id, has_id);
    if (key != "function") return simdjson::SUCCESS;
    return for_each_field_if_object(field, [&](ondemand::raw_json_string name, ondemand::value& member) {
      if (name == "name") return read_optional_string(member, piece.name, piece.has_name);
      if (name != "arguments") return simdjson::SUCCESS;
      ondemand::json_type type{};
      if (auto error = member.type().get(type)) return error;
      // Some compatible servers send the arguments as an object rather than as its text.
      if (type == ondemand::json_type::object) {
        ondemand::object object;
        if (auto error = member.get_object().get(object)) return error;
        return object.raw_json().get(piece.arguments);
      }
      if (type != ondemand::json_type::string && type != ondemand::json_type::null) {
        throw ProviderError(MJ_ERR_PARSE, fmt::format("{} tool call arguments are neither a string nor an object",
                                                      provider));
      }
      return read_optional_string(member, piece.arguments, has_arguments);
    });
  });
}

// The parts of one `choices[]` element we use. Views point into the parser's string buffer.
struct ChoiceFields {
  int64_t index = 0;  // always sent; a missing index can only mean the single choice
  std::string_view content;
  std::string_view refusal;
  std::string_view reasoning;
  std::string_view finish_reason;
  bool has_content = false;
  bool has_refusal = false;
  bool has_reasoning = false;
  bool has_finish_reason = false;
  bool content_null = false;    // "content": null, legitimate beside tool_calls or a refusal
  // A non-null reasoning_content, read or not by the flavour: a reasoning model cut off while
  // thinking (DeepSeek reasoner, vLLM) answers with it and "content": null.
  bool reasoning_present = false;
  bool has_tool_calls = false;  // tool_calls or function_call, non-null
  std::vector<ToolCallPiece> tool_calls;  // (0.5) in the order sent
};

// `message_key` is "message" in a body and "delta" in a stream chunk; both carry the same fields.
simdjson::error_code read_choice(ondemand::value& value, std::string_view message_key,
                                 const ChatCompletionsFlavour& flavour, ChoiceFields& choice) {
  const bool body = message_key == "message";
  const std::string_view provider = flavour.display_name;
  // The texts are strings or null (the wire format's "none here"); a number, object, array or
  // boolean is a malformed answer, never an empty one.
  const auto read_message = [&](ondemand::raw_json_string key, ondemand::value& field) -> simdjson::error_code {
    if (key == "content") {
      read_answer_text(field, choice.content, choice.has_content, provider,
                       body ? "choices[].message.content" : "choices[].delta.content", true);
      choice.content_null = !choice.has_content;
    } else if (flavour.refusal && key == "refusal") {
      read_answer_text(field, choice.refusal, choice.has_refusal, provider,
                       body ? "choices[].message.refusal" : "choices[].delta.refusal", true);
    } else if (flavour.reasoning_content && key == "reasoning_content") {
      read_answer_text(field, choice.reasoning, choice.has_reasoning, provider,
                       body ? "choices[].message.reasoning_content" : "choices[].delta.reasoning_content", true);
      choice.reasoning_present = choice.has_reasoning;
    } else if (key == "reasoning_content") {
      return read_non_null(field, choice.reasoning_present);
    } else if (key == "tool_calls") {
      bool non_null = false;
      if (auto error = read_non_null(field, non_null)) return error;
      choice.has_tool_calls = choice.has_tool_calls || non_null;
      if (!non_null) return simdjson::SUCCESS;
      return for_each_element(field, [&](ondemand::value& element) {
        if (choice.tool_calls.size() == kMaxToolCalls) {
          throw ProviderError(MJ_ERR_PARSE, fmt::format("{} sent more than {} tool calls in one answer", provider,
                                                        kMaxToolCalls));
        }
        ToolCallPiece piece;
        piece.index = static_cast<int64_t>(choice.tool_calls.size());
        if (auto error = read_tool_call_piece(element, piece, provider)) return error;
        choice.tool_calls.push_back(piece);
        return simdjson::SUCCESS;
      });
    } else if (key == "function_call") {
      bool non_null = false;
      if (auto error = read_non_null(field, non_null)) return error;
      choice.has_tool_calls = choice.has_tool_calls || non_null;
    }
    return simdjson::SUCCESS;
  };
  return for_each_field(value, [&](ondemand::raw_json_string key, ondemand::value& field) -> simdjson::error_code {
    if (key == "index") return field.get_int64().get(choice.index);
    if (key == "finish_reason") return read_optional_string(field, choice.finish_reason, choice.has_finish_reason);
    if (key == message_key) return for_each_field(field, read_message);
    return simdjson::SUCCESS;
  });
}

int32_t normalise_finish_reason(std::string_view reason,
                                const ChatCompletionsFlavour& flavour) noexcept {
  if (reason == "stop") return MJ_STOP_END_TURN;
  if (reason == "length") return MJ_STOP_MAX_TOKENS;
  if (reason == "tool_calls" || reason == "function_call") return MJ_STOP_TOOL_USE;
  if (reason == "content_filter") return MJ_STOP_CONTENT_FILTER;
  for (const FinishReasonName& extra : flavour.extra_finish_reasons) {
    if (reason == extra.raw) return extra.stop;
  }
  return MJ_STOP_UNKNOWN;
}

class ChatCompletionsDecoder final : public ResponseDecoder {
 public:
  ChatCompletionsDecoder(ParserPool::Lease parser, const ChatCompletionsFlavour& flavour)
      : parser_(std::move(parser)), flavour_(flavour) {
    usage_names_ = kChatUsageFields;
    usage_names_.cached_override = flavour.cached_tokens_field;
  }

  std::string_view request_id_header() const override { return flavour_.request_id_header; }

  void on_body(std::string_view body, EventSink& sink) override {
    const std::string_view provider = flavour_.display_name;
    ondemand::document document;
    ondemand::object root = open_body_object(*parser_, body, document, provider, "response");
    const CompletionFields fields = read_completion(root, "message", true, "response", "response");
    if (!fields.has_answer) {
      throw ProviderError(MJ_ERR_PARSE, fmt::format("{} response has no choices", provider));
    }
    const ChoiceFields& choice = fields.answer;
    // null content is the wire format's "no text" beside tool calls, a refusal, reasoning (a
    // reasoning model that spent its budget thinking), or a stop by a filter or the length cap;
    // alone, the answer is malformed.
    const bool stopped_early = choice.has_finish_reason &&
                               (choice.finish_reason == "content_filter" || choice.finish_reason == "length");
    if (choice.content_null && !choice.has_tool_calls && !choice.has_refusal && !choice.reasoning_present &&
        !stopped_early) {
      throw ProviderError(MJ_ERR_PARSE,
                          fmt::format("{} choices[].message.content is null without tool_calls, a refusal, "
                                      "reasoning_content, or finish_reason content_filter or length: the answer "
                                      "is malformed",
                                      provider));
    }
    if (!fields.model.empty()) sink.meta({}, fields.model);
    // Reasoning first, as the model produced it; it never goes into the answer.
    if (choice.has_reasoning && !choice.reasoning.empty()) {
      sink.reasoning(choice.reasoning);
      if (flavour_.reasoning_continuation && !choice.tool_calls.empty()) {
        reasoning_item_.assign(kReasoningContentItemPrefix).append(choice.reasoning);
        sink.continuation(reasoning_item_);
      }
    }
    if (choice.has_content && !choice.content.empty()) {
      sink.text(choice.content);
    } else if (choice.has_refusal && !choice.refusal.empty()) {
      sink.text(choice.refusal);
    }
    for (std::size_t i = 0; i < choice.tool_calls.size(); ++i) {
      const ToolCallPiece& call = choice.tool_calls[i];
      if (!call.has_name || call.name.empty()) {
        throw ProviderError(MJ_ERR_PARSE, fmt::format("{} tool call {} has no function name", provider, i));
      }
      sink.tool_call_start(static_cast<int32_t>(i), call.id, call.name, call.arguments);
      sink.tool_call_end(static_cast<int32_t>(i));
    }
    if (choice.has_refusal) {
      // A refused Structured Outputs request still says finish_reason "stop": the refusal wins.
      sink.stop(MJ_STOP_CONTENT_FILTER, "refusal");
    } else if (choice.has_finish_reason) {
      sink.stop(normalise_finish_reason(choice.finish_reason, flavour_), choice.finish_reason);
    }
    if (fields.has_usage) sink.usage(fields.usage);
  }

  bool on_event(const SseEvent& event, EventSink& sink) override {
    const std::string_view data = event.data;
    if (data == "[DONE]") return false;
    if (data.empty()) return true;  // nothing to decode

    ondemand::document document;
    ondemand::object root =
        open_body_object(*parser_, data, document, flavour_.display_name, "stream chunk");
    const CompletionFields fields = read_completion(root, "delta", !model_seen_, "stream chunk", "stream");
    if (!fields.model.empty()) {
      model_seen_ = true;
      sink.meta({}, fields.model);
    }
    if (fields.has_answer) {
      const ChoiceFields& answer = fields.answer;
      if (answer.has_reasoning && !answer.reasoning.empty()) {
        sink.reasoning(answer.reasoning);
        if (flavour_.reasoning_continuation) gather_reasoning(answer.reasoning, sink);
      }
      if (answer.has_content && !answer.content.empty()) sink.text(answer.content);
      if (answer.has_refusal && !answer.refusal.empty()) {
        refused_ = true;
        sink.text(answer.refusal);
      }
      for (const ToolCallPiece& piece : answer.tool_calls) on_tool_call_piece(piece, sink);
      if (answer.has_finish_reason) {
        // A call the length cap cut stays open: the host reports it as cut off.
        if (answer.finish_reason != "length") {
          for (std::size_t i = ended_calls_; i < stream_calls_.size(); ++i) sink.tool_call_end(static_cast<int32_t>(i));
        }
        ended_calls_ = stream_calls_.size();
        if (flavour_.reasoning_continuation) finish_reasoning(sink);
        if (refused_) {
          sink.stop(MJ_STOP_CONTENT_FILTER, "refusal");
        } else {
          sink.stop(normalise_finish_reason(answer.finish_reason, flavour_), answer.finish_reason);
        }
      }
    }
    // OpenAI sends usage in an extra `choices: []` chunk; DeepSeek in the chunk with
    // finish_reason, "usage": null elsewhere. Both are read the same way.
    if (fields.has_usage) sink.usage(fields.usage);
    return true;
  }

  void on_stream_end(bool terminator_seen, EventSink& /*sink*/) override {
    if (!terminator_seen) {
      throw ProviderError(MJ_ERR_CONNECTION,
                          "stream ended before [DONE]: the connection was closed mid-response");
    }
  }

  [[noreturn]] void on_error_status(const HttpExchange& exchange, std::string_view body) override {
    throw_openai_error_status(exchange, body, *parser_, flavour_.display_name,
                              flavour_.request_id_header, flavour_.error_type_before_code);
  }

 private:
  // What one body or stream chunk carries. Views point into the parser's string buffer.
  struct CompletionFields {
    std::string_view model;
    ChoiceFields answer;  // the first choice with index 0: with n > 1 the others are ignored
    bool has_answer = false;
    mj_usage usage{};
    bool has_usage = false;
  };

  // `message_key`: "message" in a body, "delta" in a chunk. `what` names the carrier in parse
  // errors, `where` in provider errors ("response", "stream"). An in-band error object throws.
  CompletionFields read_completion(ondemand::object& root, std::string_view message_key, bool want_model,
                                   std::string_view what, std::string_view where) const {
    const std::string_view provider = flavour_.display_name;
    CompletionFields fields;
    read_root_fields(root, provider, what,
        [&](ondemand::raw_json_string key, ondemand::value& field) -> simdjson::error_code {
      if (key == "model") {
        bool present = false;
        return want_model ? read_optional_string(field, fields.model, present) : simdjson::SUCCESS;
      }
      if (key == "choices") {
        return for_each_element(field, [&](ondemand::value& value) {
          ChoiceFields choice;
          if (auto error = read_choice(value, message_key, flavour_, choice)) return error;
          if (choice.index == 0 && !fields.has_answer) {
            fields.answer = choice;
            fields.has_answer = true;
          }
          return simdjson::SUCCESS;
        });
      }
      if (key == "usage") return read_openai_usage(field, usage_names_, fields.usage, fields.has_usage, provider);
      if (key == "error") {
        OpenAIErrorFields error_fields;
        if (auto error = read_openai_error(field, error_fields)) return error;
        throw_openai_in_band_error(error_fields, provider, where, flavour_.error_type_before_code);
      }
      return simdjson::SUCCESS;
    });
    return fields;
  }

  // A fragment of a streamed call: the first of a server index starts a call (numbered densely
  // from 0, whatever numbers the server uses), the others carry pieces of its arguments.
  void on_tool_call_piece(const ToolCallPiece& piece, EventSink& sink) {
    const auto known = std::find(stream_calls_.begin(), stream_calls_.end(), piece.index);
    if (known != stream_calls_.end() && !piece.id.empty() &&
        piece.id != stream_call_ids_[static_cast<std::size_t>(known - stream_calls_.begin())]) {
      // A new call under an index in use: joining it to the earlier call would corrupt both.
      throw ProviderError(MJ_ERR_PARSE, fmt::format("{} stream reused tool call index {} for another call",
                                                    flavour_.display_name, piece.index));
    }
    if (known != stream_calls_.end()) {
      if (!piece.arguments.empty()) {
        sink.tool_call_arguments(static_cast<int32_t>(known - stream_calls_.begin()), piece.arguments);
      }
      return;
    }
    if (!piece.has_name || piece.name.empty()) {
      throw ProviderError(MJ_ERR_PARSE, fmt::format("{} stream continued tool call {} before naming it",
                                                    flavour_.display_name, piece.index));
    }
    if (stream_calls_.size() == kMaxToolCalls) {
      throw ProviderError(MJ_ERR_PARSE, fmt::format("{} sent more than {} tool calls in one answer",
                                                    flavour_.display_name, kMaxToolCalls));
    }
    stream_calls_.push_back(piece.index);
    stream_call_ids_.emplace_back(piece.id);
    sink.tool_call_start(static_cast<int32_t>(stream_calls_.size() - 1), piece.id, piece.name, piece.arguments);
  }

  // A streamed answer's reasoning, kept while it arrives (charged to the call's budget): it
  // becomes the continuation item if the answer makes calls (reasoning_continuation).
  void gather_reasoning(std::string_view piece, EventSink& sink) {
    if (reasoning_emitted_) return;
    sink.retained().charge(piece.size());
    if (reasoning_item_.empty()) reasoning_item_.assign(kReasoningContentItemPrefix);
    reasoning_item_.append(piece);
  }

  void finish_reasoning(EventSink& sink) {
    if (reasoning_emitted_ || reasoning_item_.empty()) return;
    sink.retained().refund(reasoning_item_.size() - kReasoningContentItemPrefix.size());
    if (stream_calls_.empty()) {
      reasoning_item_.clear();  // no call to go back with: nothing points at it yet
      return;
    }
    reasoning_emitted_ = true;  // the sink's event points at the item until the call ends
    sink.continuation(reasoning_item_);
  }

  ParserPool::Lease parser_;  // from the instance's pool: buffers survive between calls
  const ChatCompletionsFlavour& flavour_;
  std::string reasoning_item_;  // (reasoning_continuation) the item, alive until drained
  bool reasoning_emitted_ = false;
  std::vector<int64_t> stream_calls_;  // the server's index of each call started, in order
  std::vector<std::string> stream_call_ids_;  // and its id (copied: the parser's buffer moves on)
  std::size_t ended_calls_ = 0;        // calls before this one were ended by a finish_reason
  UsageFieldNames usage_names_;
  bool model_seen_ = false;  // META(model) once per stream, from the first chunk that names it
  bool refused_ = false;     // a streamed refusal turns the final stop into content_filter
};

std::string_view required_schema(const mj_request& request) {
  const std::string_view schema = view(request.schema_json);
  if (schema.empty()) {
    throw ProviderError(MJ_ERR_CONFIGURATION, "a JSON-schema response format needs a schema");
  }
  return schema;
}

// A server without json_schema must be told in the prompt: JSON mode there fails with a 400
// unless the prompt contains the word "json" (DeepSeek, PROTOCOLS §2), and a schema has nowhere
// else to go.
constexpr std::string_view kJsonObjectInstruction =
    "Respond with a single JSON object and nothing else.";
constexpr std::string_view kJsonSchemaInstruction =
    "Respond with a single JSON object and nothing else. The JSON object must conform to this "
    "JSON Schema:\n";

// reasoning_effort and the thinking switch, as the flavour has them (ChatCompletionsFlavour).
void append_reasoning_fields(JsonWriter& json, const mj_request& request, const ChatCompletionsFlavour& flavour) {
  const int32_t effort = reasoning_effort(request);
  const int32_t thinking = thinking_mode(request);
  if (effort == MJ_EFFORT_DEFAULT && thinking == MJ_THINKING_DEFAULT) return;
  const auto refuse = [&](std::string_view what) {
    throw ProviderError(MJ_ERR_UNSUPPORTED, fmt::format("{} takes no {}; leave it out", flavour.display_name, what));
  };
  if (thinking == MJ_THINKING_BUDGET) refuse("thinking budget (set a reasoning effort instead)");
  if (effort != MJ_EFFORT_DEFAULT) {
    if (!flavour.reasoning_effort_field) refuse("reasoning effort");
    json.raw(",").key("reasoning_effort").string(effort_name(effort));
  }
  if (thinking == MJ_THINKING_DEFAULT) return;
  if (flavour.thinking_switch) {
    json.raw(R"(,"thinking":{"type":)").string(thinking == MJ_THINKING_OFF ? "disabled" : "enabled").raw("}");
  } else if (thinking == MJ_THINKING_OFF) {
    if (!flavour.reasoning_effort_field) refuse("switch to turn thinking off");
    if (effort != MJ_EFFORT_DEFAULT) refuse("reasoning effort together with thinking off");
    json.raw(R"(,"reasoning_effort":"none")");
  }
  // Thinking on without a switch is what a reasoning model does anyway.
}

}  // namespace

void append_chat_tool_fields(JsonWriter& json, const mj_request& request) {
  const std::size_t count = tool_count(request);
  if (count == 0) return;
  json.raw(R"(,"tools":[)");
  for (std::size_t i = 0; i < count; ++i) {
    const mj_tool tool = tool_at(request, i);
    if (i > 0) json.raw(",");
    json.raw(R"({"type":"function","function":{"name":)").string(view(tool.name));
    if (tool.description.size > 0) json.raw(R"(,"description":)").string(view(tool.description));
    json.raw(R"(,"parameters":)").raw(view(tool.parameters_json));  // the host checked it is one object
    if (tool.flags & MJ_TOOL_STRICT) json.raw(R"(,"strict":true)");
    json.raw("}}");
  }
  json.raw("]");
  switch (request.tool_choice) {
    case MJ_TOOL_CHOICE_NONE: json.raw(R"(,"tool_choice":"none")"); break;
    case MJ_TOOL_CHOICE_REQUIRED: json.raw(R"(,"tool_choice":"required")"); break;
    case MJ_TOOL_CHOICE_NAMED:
      json.raw(R"(,"tool_choice":{"type":"function","function":{"name":)").string(view(request.tool_choice_name)).raw("}}");
      break;
    default: break;  // auto: the server's default
  }
  if (request.parallel_tool_calls == MJ_TRISTATE_ON) json.raw(R"(,"parallel_tool_calls":true)");
  if (request.parallel_tool_calls == MJ_TRISTATE_OFF) json.raw(R"(,"parallel_tool_calls":false)");
}

Prepared build_chat_completions_request(const mj_request& request,
                                        const ChatCompletionsFlavour& flavour) {
  const std::string_view model = validated_model(request, flavour.provider_id);
  switch (request.response_format) {
    case MJ_FORMAT_TEXT:
    case MJ_FORMAT_JSON_OBJECT: break;
    case MJ_FORMAT_JSON_SCHEMA: required_schema(request); break;
    default:
      throw_unknown_response_format(request.response_format);
  }
  const bool prompted_json = !flavour.native_json_schema && request.response_format != MJ_FORMAT_TEXT;

  Prepared prepared;
  prepared.path = "/chat/completions";
  std::string& body = prepared.body;
  body.reserve(estimated_body_size(request, prompted_json ? 320 : 192));
  JsonWriter json(body);

  json.raw(R"({"model":)").string(model).raw(R"(,"messages":[)");
  bool first_message = true;
  const std::string_view system = view(request.system);
  if (prompted_json) {
    std::string prompt(system);
    if (!prompt.empty()) prompt += "\n\n";
    if (request.response_format == MJ_FORMAT_JSON_OBJECT) {
      prompt += kJsonObjectInstruction;
    } else {
      prompt += kJsonSchemaInstruction;
      prompt += view(request.schema_json);  // the host checked it is one JSON object
    }
    json.raw(R"({"role":"system","content":)").string(prompt).raw("}");
    first_message = false;
  } else if (!system.empty()) {
    json.raw(R"({"role":"system","content":)").string(system).raw("}");
    first_message = false;
  }
  // Reasoning goes back only where the flavour says (DeepSeek's tool loop); R1 rejected it.
  ChatTurnOptions turn_options;
  turn_options.reasoning_content = flavour.reasoning_continuation;
  append_chat_turns(json, request, first_message, turn_options);
  body.push_back(']');

  append_sampling_fields(json, request);
  if (request.max_tokens > 0) {
    json.raw(",").key(flavour.max_tokens_field).number(request.max_tokens);
  }
  if (request.flags & MJ_REQUEST_STREAM) {
    // Servers that put usage in the last content chunk anyway ignore include_usage; gateways in
    // front of them drop usage from streams without it.
    json.raw(R"(,"stream":true,"stream_options":{"include_usage":true})");
  }
  append_chat_tool_fields(json, request);
  append_reasoning_fields(json, request, flavour);
  if (prompted_json || request.response_format == MJ_FORMAT_JSON_OBJECT) {
    json.raw(R"(,"response_format":{"type":"json_object"})");
  } else if (request.response_format == MJ_FORMAT_JSON_SCHEMA) {
    json.raw(R"(,"response_format":{"type":"json_schema","json_schema":{)");
    append_strict_json_schema_members(json, request, flavour.display_name);
    json.raw("}}");
  }
  body.push_back('}');
  return prepared;
}

std::unique_ptr<ResponseDecoder> make_chat_completions_decoder(ParserPool::Lease parser,
                                                               const ChatCompletionsFlavour& flavour) {
  return std::make_unique<ChatCompletionsDecoder>(std::move(parser), flavour);
}

void append_sampling_fields(JsonWriter& json, const mj_request& request) {
  if (request.flags & MJ_REQUEST_HAS_TEMPERATURE) {
    json.raw(R"(,"temperature":)").number(request.temperature);
  }
  if (request.flags & MJ_REQUEST_HAS_TOP_P) {
    json.raw(R"(,"top_p":)").number(request.top_p);
  }
}

void append_strict_json_schema_members(JsonWriter& json, const mj_request& request,
                                       std::string_view provider) {
  // The one place both OpenAI APIs take their schema from, made strict (schema_dialects.hpp).
  const std::string schema = openai_strict_schema(required_schema(request));
  std::string_view name = view(request.schema_name);
  if (name.empty()) name = "response";
  if (!valid_schema_name(name)) {
    throw ProviderError(
        MJ_ERR_CONFIGURATION,
        fmt::format("schema name '{}' is not accepted by {}: use 1-64 characters from "
                    "a-z, A-Z, 0-9, '_' and '-'",
                    name, provider));
  }
  json.raw(R"("name":)")
      .string(name)
      .raw(R"(,"strict":true,"schema":)")
      .raw(schema);
}

std::string_view OpenAIErrorFields::provider_type(bool type_first) const noexcept {
  if (type_first) return has_type && !type.empty() ? type : code;
  return has_code && !code.empty() ? code : type;
}

simdjson::error_code read_openai_error(ondemand::value& value, OpenAIErrorFields& fields) {
  ondemand::json_type type;
  if (auto error = value.type().get(type)) return error;
  if (type == ondemand::json_type::string) {
    fields.has_message = true;
    return value.get_string().get(fields.message);
  }
  return read_error_object(value, fields);
}

int32_t openai_error_kind_for_tags(std::string_view type, std::string_view code) noexcept {
  for (const std::string_view tag : {code, type}) {
    if (tag.starts_with("rate_limit") || tag == "insufficient_quota") return MJ_ERR_RATE_LIMITED;
    if (tag.find("overloaded") != std::string_view::npos) return MJ_ERR_OVERLOADED;
  }
  return MJ_ERR_SERVER;
}

void throw_openai_in_band_error(const OpenAIErrorFields& fields, std::string_view provider,
                                std::string_view where, bool type_first) {
  throw ProviderError(openai_error_kind_for_tags(fields.type, fields.code),
                      fmt::format("{} {} error: {}", provider, where, fields.message_or_placeholder()), 200,
                      std::string(fields.provider_type(type_first)));
}

void throw_openai_error_status(const HttpExchange& exchange, std::string_view body,
                               ondemand::parser& parser, std::string_view provider,
                               std::string_view request_id_header, bool type_first) {
  const int status = exchange.status();
  const int32_t kind = error_kind_for_http_status(status);
  std::string request_id(request_id_header.empty() ? std::string_view{}
                                                   : exchange.header(request_id_header));
  const int64_t retry_after = retry_after_ms(exchange);

  ErrorBody error_body(body);
  OpenAIErrorFields fields;
  bool parsed = false;
  ondemand::object root;
  if (error_body.open_object(parser, root)) {
    bool seen = false;  // the first error object decides
    (void)for_each_field(root, [&](ondemand::raw_json_string key, ondemand::value& field) {
      if (key != "error" || seen) return;
      seen = true;
      parsed = read_openai_error(field, fields) == simdjson::SUCCESS && fields.has_message;
    });
  }

  std::string message = error_status_message(
      provider, status, body,
      parsed ? std::optional<std::string_view>(fields.message) : std::nullopt);
  throw ProviderError(kind, std::move(message), status,
                      parsed ? std::string(fields.provider_type(type_first)) : std::string{},
                      std::move(request_id), retry_after);
}

simdjson::error_code read_openai_usage(ondemand::value& value, const UsageFieldNames& names,
                                       mj_usage& usage, bool& present) {
  return read_openai_usage(value, names, usage, present, "the provider");
}

simdjson::error_code read_openai_usage(ondemand::value& value, const UsageFieldNames& names,
                                       mj_usage& usage, bool& present, std::string_view provider) {
  mj_usage counts{};  // replaces `usage` whole when the value is an object
  int64_t cached_override = -1;
  const auto read_details = [&](ondemand::value& details, bool input_side) {
    return for_each_field_if_object(details, [&](ondemand::raw_json_string key, ondemand::value& detail) {
      if (input_side && key == "cached_tokens") {
        counts.cached_tokens = token_count_or_zero(detail, provider, "cached_tokens");
      } else if (input_side && key == "cache_write_tokens") {
        counts.cache_write_tokens = token_count_or_zero(detail, provider, "cache_write_tokens");
      } else if (!input_side && key == "reasoning_tokens") {
        counts.reasoning_tokens = token_count_or_zero(detail, provider, "reasoning_tokens");
      }
    });
  };
  bool object = false;
  const simdjson::error_code error = for_each_field_if_object(value, object,
      [&](ondemand::raw_json_string key, ondemand::value& field) {
    if (key == names.input) {
      counts.input_tokens = token_count_or_zero(field, provider, names.input);
    } else if (key == names.output) {
      counts.output_tokens = token_count_or_zero(field, provider, names.output);
    } else if (!names.cached_override.empty() && key == names.cached_override) {
      read_token_count(field, cached_override, provider, names.cached_override);
    } else if (key == names.input_details || key == names.output_details) {
      return read_details(field, key == names.input_details);
    }
    return simdjson::SUCCESS;
  });
  if (!object) return error;  // "usage": null
  present = true;
  if (cached_override >= 0) counts.cached_tokens = cached_override;
  usage = counts;
  return error;
}

}  // namespace v1
}  // namespace majordomo::sdk
