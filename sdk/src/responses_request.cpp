// The OpenAI Responses API request body: input items, tools, reasoning controls (see responses_api.hpp, PROTOCOLS §1b.1).
#include <majordomo/sdk/chat_completions.hpp>
#include <majordomo/sdk/chat_messages.hpp>
#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/json_writer.hpp>
#include <majordomo/sdk/provider_support.hpp>
#include <majordomo/sdk/responses_api.hpp>
#include <majordomo/sdk/str.hpp>
#include <majordomo/sdk/turns.hpp>

#include <fmt/format.h>
#include <simdjson.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace majordomo::sdk {
inline namespace v1 {
namespace {

// A user turn's content: a plain string when it is all text, else input_text and input_image
// parts. `detail` is sent as "auto" (the API's own default) because the official SDKs' request
// types require the member.
void append_user_content(JsonWriter& json, const mj_turn& turn) {
  if (text_only(turn)) {
    json.string(joined_text(turn));
    return;
  }
  json.begin_array();
  for (std::size_t i = 0; i < turn.part_count; ++i) {
    const mj_part part = part_at(turn, i);
    json.begin_object();
    if (part.type == MJ_PART_TEXT) {
      json.key("type").string("input_text").key("text").string(view(part.text));
    } else if (part.type == MJ_PART_IMAGE_URL || part.type == MJ_PART_IMAGE_DATA) {
      json.key("type").string("input_image").key("image_url").string(image_url(part)).key("detail").string("auto");
    } else {
      throw ProviderError(MJ_ERR_UNSUPPORTED, fmt::format("content part type {} is not known to this plugin", part.type));
    }
    json.end_object();
  }
  json.end_array();
}

// A continuation item goes into the body as it is, so it must be one JSON object: the items come
// from this codec (MJ_EVENT_CONTINUATION), but the application keeps them and may have changed them.
void append_continuation_item(JsonWriter& json, std::string_view item, std::size_t turn_index,
                              std::optional<simdjson::dom::parser>& parser, std::string_view provider) {
  if (!parser) parser.emplace();
  simdjson::dom::element element;
  if (parser->parse(item.data(), item.size(), true).get(element) != simdjson::SUCCESS ||
      !element.is_object()) {
    throw ProviderError(MJ_ERR_CONFIGURATION,
                        fmt::format("the continuation data of message {} is not a {} Responses item (one JSON "
                                    "object): pass back the items the answer carried, unchanged",
                                    turn_index, provider));
  }
  json.raw_value(item);
}

// One turn as input items. An assistant turn is its continuation items (the reasoning items the
// model produced before its text and calls), then its text as a message with string content, then
// one function_call item per call; a tool turn is a function_call_output item. The string is the
// only assistant text the official SDKs' input types build (EasyInputMessage; their output_text
// part is an output message's, which needs the server's id and status), and input_text parts
// there are a 400 (PROTOCOLS §1b.1).
void append_turn_items(JsonWriter& json, const mj_turn& turn, std::size_t index,
                       std::optional<simdjson::dom::parser>& parser, std::string_view provider) {
  switch (turn.role) {
    case MJ_ROLE_USER:
      json.begin_object().key("role").string("user").key("content");
      append_user_content(json, turn);
      json.end_object();
      return;
    case MJ_ROLE_ASSISTANT: {
      for (std::size_t c = 0; c < turn.continuation_count; ++c) {
        append_continuation_item(json, view(turn.continuation[c]), index, parser, provider);
      }
      const std::string text = joined_text(turn);
      // A turn of calls alone has no message item: an empty text would be a turn the model never
      // produced.
      if (!text.empty() || turn.tool_call_count == 0) {
        json.begin_object().key("role").string("assistant").key("content").string(text).end_object();
      }
      for (std::size_t c = 0; c < turn.tool_call_count; ++c) {
        const mj_tool_call call = tool_call_at(turn, c);
        json.begin_object().key("type").string("function_call").key("call_id").string(view(call.id));
        json.key("name").string(view(call.name)).key("arguments").string(view(call.arguments)).end_object();
      }
      return;
    }
    case MJ_ROLE_TOOL:
      // `output` is a string; an error result has no flag on this API, its text says so.
      json.begin_object().key("type").string("function_call_output").key("call_id").string(view(turn.tool_call_id));
      json.key("output").string(joined_text(turn)).end_object();
      return;
    default:
      throw ProviderError(MJ_ERR_CONFIGURATION, fmt::format("turn {} has unknown role {}", index, turn.role));
  }
}

void append_input_items(JsonWriter& json, const mj_request& request, std::string_view provider) {
  if (!has_turns(request)) {
    append_chat_turns(json, request);  // ABI v1's text messages: {"role","content":"…"} items
    return;
  }
  std::optional<simdjson::dom::parser> parser;  // made only for a history with continuation items
  for (std::size_t i = 0; i < request.turn_count; ++i) append_turn_items(json, turn_at(request, i), i, parser, provider);
}

// `tools` (flat: no nested `function` object, unlike Chat Completions), `tool_choice` and
// `parallel_tool_calls`.
void append_tool_fields(JsonWriter& json, const mj_request& request, bool ask_encrypted_reasoning) {
  const std::size_t count = tool_count(request);
  if (count == 0) return;
  json.raw(R"(,"tools":[)");
  for (std::size_t i = 0; i < count; ++i) {
    const mj_tool tool = tool_at(request, i);
    if (i > 0) json.raw(",");
    json.raw(R"({"type":"function","name":)").string(view(tool.name));
    if (tool.description.size > 0) json.raw(R"(,"description":)").string(view(tool.description));
    json.raw(R"(,"parameters":)").raw(view(tool.parameters_json));  // the host checked it is one object
    // Always explicit: left out, this API makes the tool strict and rewrites the schema (every
    // property required, additionalProperties false), which turns optional arguments into
    // mandatory ones. Chat Completions defaults to non-strict; this keeps both APIs alike.
    json.raw((tool.flags & MJ_TOOL_STRICT) ? R"(,"strict":true})" : R"(,"strict":false})");
  }
  json.raw("]");
  switch (request.tool_choice) {
    case MJ_TOOL_CHOICE_NONE: json.raw(R"(,"tool_choice":"none")"); break;
    case MJ_TOOL_CHOICE_REQUIRED: json.raw(R"(,"tool_choice":"required")"); break;
    case MJ_TOOL_CHOICE_NAMED:
      json.raw(R"(,"tool_choice":{"type":"function","name":)").string(view(request.tool_choice_name)).raw("}");
      break;
    default: break;  // auto: the server's default
  }
  if (request.parallel_tool_calls == MJ_TRISTATE_ON) json.raw(R"(,"parallel_tool_calls":true)");
  if (request.parallel_tool_calls == MJ_TRISTATE_OFF) json.raw(R"(,"parallel_tool_calls":false)");
  // store is false, so a reasoning item can only be sent back with its encrypted content; a
  // reasoning model that calls a tool needs its reasoning back with the tool's result. Other
  // models answer the request for it with a 400 ("Encrypted content is not supported").
  if (ask_encrypted_reasoning) json.raw(R"(,"include":["reasoning.encrypted_content"])");
}

// `reasoning.effort`: the effort level by name (MJ_EFFORT_MAX as "max", PROTOCOLS §1b.1), or
// "none" for thinking off. The API has no token budget and no separate on switch.
void append_reasoning_field(JsonWriter& json, const mj_request& request, std::string_view provider) {
  const int32_t effort = reasoning_effort(request);
  const int32_t thinking = thinking_mode(request);
  const auto refuse = [&](std::string_view what) {
    throw ProviderError(MJ_ERR_UNSUPPORTED, fmt::format("{} through the Responses API takes no {}", provider, what));
  };
  if (thinking == MJ_THINKING_BUDGET) refuse("thinking budget: set a reasoning effort instead");
  std::string_view name;
  if (thinking == MJ_THINKING_OFF) {
    if (effort != MJ_EFFORT_DEFAULT) refuse("reasoning effort together with thinking off: leave one of them out");
    name = "none";
  } else if (effort != MJ_EFFORT_DEFAULT) {
    name = effort_name(effort);
    if (name.empty()) {
      throw ProviderError(MJ_ERR_UNSUPPORTED, fmt::format("reasoning effort {} is not known to this plugin", effort));
    }
  }
  // Thinking on is what a reasoning model does anyway: nothing to send.
  if (!name.empty()) json.raw(R"(,"reasoning":{"effort":)").string(name).raw("}");
}

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
  json.raw(R"(,"input":)").begin_array();
  append_input_items(json, request, flavour.display_name);
  json.end_array();

  append_sampling_fields(json, request);
  if (request.max_tokens > 0) {
    json.raw(R"(,"max_output_tokens":)").number(request.max_tokens);
  }
  // Nothing is kept on the server: every call carries its whole conversation.
  json.raw(R"(,"store":false)");
  if (request.flags & MJ_REQUEST_STREAM) json.raw(R"(,"stream":true)");
  append_tool_fields(json, request, flavour.model_reasons == nullptr || flavour.model_reasons(model));
  append_reasoning_field(json, request, flavour.display_name);
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

}  // namespace v1
}  // namespace majordomo::sdk
