// The Anthropic plugin's 0.5 request pieces (see anthropic_request.hpp).
#include "anthropic_request.hpp"

#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/str.hpp>
#include <majordomo/sdk/turns.hpp>

#include <fmt/format.h>
#include <simdjson.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace majordomo::anthropic {
namespace {

// The Messages API's smallest thinking budget (PROTOCOLS.md §3.1).
constexpr int64_t kMinThinkingBudget = 1024;

// An image the API fetches itself ({"type":"url"}), or bytes it is given ({"type":"base64"}).
// A data: URL carries bytes, so it is sent as them: the url source takes only fetchable URLs.
void append_image(sdk::JsonWriter& json, const mj_part& part, std::size_t turn_index) {
  std::string_view media_type;
  std::string_view data;
  if (part.type == MJ_PART_IMAGE_DATA) {
    media_type = sdk::view(part.media_type);
    data = sdk::view(part.text);
  } else {
    const std::string_view url = sdk::view(part.text);
    if (!url.starts_with("data:")) {
      json.raw(R"({"type":"image","source":{"type":"url","url":)").string(url).raw("}}");
      return;
    }
    // data:<media type>;base64,<data>: only the base64 form maps onto a base64 source.
    const std::size_t comma = url.find(',');
    const std::string_view head = url.substr(5, comma == std::string_view::npos ? 0 : comma - 5);
    if (comma == std::string_view::npos || !head.ends_with(";base64") || head.size() == 7) {
      throw sdk::ProviderError(
          MJ_ERR_CONFIGURATION,
          fmt::format("the image data: URL of message {} is not of the form data:<image type>;base64,<data>; "
                      "Anthropic takes inline images in base64 only: pass the bytes instead",
                      turn_index));
    }
    media_type = head.substr(0, head.size() - 7);
    data = url.substr(comma + 1);
  }
  json.raw(R"({"type":"image","source":{"type":"base64","media_type":)")
      .string(media_type)
      .raw(R"(,"data":)")
      .string(data)
      .raw("}}");
}

// A user turn's content blocks, after any already in the message (`has_blocks`).
void append_user_blocks(sdk::JsonWriter& json, const mj_turn& turn, std::size_t turn_index, bool has_blocks) {
  for (std::size_t i = 0; i < turn.part_count; ++i) {
    const mj_part part = sdk::part_at(turn, i);
    if (has_blocks) json.raw(",");
    has_blocks = true;
    switch (part.type) {
      case MJ_PART_TEXT:
        json.raw(R"({"type":"text","text":)").string(sdk::view(part.text)).raw("}");
        break;
      case MJ_PART_IMAGE_URL:
      case MJ_PART_IMAGE_DATA:
        append_image(json, part, turn_index);
        break;
      default:
        throw sdk::ProviderError(MJ_ERR_UNSUPPORTED,
                                 fmt::format("content part type {} of message {} is not known to the anthropic "
                                             "plugin: update the plugin",
                                             part.type, turn_index));
    }
  }
}

// An assistant turn: the continuation items first (the API wants the thinking that led to the
// calls before them, unchanged), then the text, then the calls. A turn of text only stays a string.
void append_assistant_content(sdk::JsonWriter& json, const mj_turn& turn, std::size_t turn_index) {
  const std::string text = sdk::joined_text(turn);
  const std::size_t continuation_count = turn.continuation != nullptr ? turn.continuation_count : 0;
  if (turn.tool_call_count == 0 && continuation_count == 0) {
    json.string(text);
    return;
  }
  json.raw("[");
  bool has_blocks = false;
  for (std::size_t i = 0; i < continuation_count; ++i) {
    const std::string_view item = sdk::view(turn.continuation[i]);
    // Items come back only from this plugin's own answers; anything else would be placed in the
    // body unchecked, so it is refused rather than sent.
    if (!is_thinking_block(item)) {
      throw sdk::ProviderError(MJ_ERR_CONFIGURATION,
                               fmt::format("continuation item {} of message {} is not an Anthropic thinking block: "
                                           "pass back the items of the Response unchanged",
                                           i, turn_index));
    }
    if (has_blocks) json.raw(",");
    has_blocks = true;
    json.raw(item);
  }
  if (!text.empty()) {
    if (has_blocks) json.raw(",");
    has_blocks = true;
    json.raw(R"({"type":"text","text":)").string(text).raw("}");
  }
  for (std::size_t i = 0; i < turn.tool_call_count; ++i) {
    const mj_tool_call call = sdk::tool_call_at(turn, i);
    const std::string_view arguments = sdk::view(call.arguments);
    if (has_blocks) json.raw(",");
    has_blocks = true;
    json.raw(R"({"type":"tool_use","id":)").string(sdk::view(call.id));
    json.raw(R"(,"name":)").string(sdk::view(call.name));
    // The host checked the arguments are one JSON object; input takes it as an object.
    json.raw(R"(,"input":)").raw(arguments.empty() ? std::string_view("{}") : arguments).raw("}");
  }
  json.raw("]");
}

void append_tool_result(sdk::JsonWriter& json, const mj_turn& turn) {
  json.raw(R"({"type":"tool_result","tool_use_id":)").string(sdk::view(turn.tool_call_id));
  json.raw(R"(,"content":)").string(sdk::joined_text(turn));
  json.raw(R"(,"is_error":)").raw((turn.flags & MJ_TURN_TOOL_ERROR) != 0 ? "true" : "false").raw("}");
}

void append_text_messages(sdk::JsonWriter& json, const mj_request& request) {
  for (std::size_t i = 0; i < request.message_count; ++i) {
    const mj_message& message = request.messages[i];
    if (i > 0) json.raw(",");
    switch (message.role) {
      case MJ_ROLE_USER: json.raw(R"({"role":"user","content":)"); break;
      case MJ_ROLE_ASSISTANT: json.raw(R"({"role":"assistant","content":)"); break;
      default:
        throw sdk::ProviderError(MJ_ERR_CONFIGURATION, fmt::format("message {} has unknown role {}", i, message.role));
    }
    json.string(sdk::view(message.content)).raw("}");
  }
}

}  // namespace

void append_messages(sdk::JsonWriter& json, const mj_request& request) {
  json.raw(R"(,"messages":[)");
  if (!sdk::has_turns(request)) {
    append_text_messages(json, request);
    json.raw("]");
    return;
  }
  // The API alternates user and assistant messages and wants a message's tool_result blocks
  // first: results of one round, and a user turn right after them, share one user message.
  bool open_results = false;  // a user message of tool_result blocks is open
  for (std::size_t i = 0; i < request.turn_count; ++i) {
    const mj_turn turn = sdk::turn_at(request, i);
    switch (turn.role) {
      case MJ_ROLE_TOOL:
        json.raw(open_results ? "," : (i > 0 ? R"(,{"role":"user","content":[)" : R"({"role":"user","content":[)"));
        append_tool_result(json, turn);
        open_results = true;
        break;
      case MJ_ROLE_USER:
        if (open_results) {
          append_user_blocks(json, turn, i, true);
          json.raw("]}");
          open_results = false;
          break;
        }
        if (i > 0) json.raw(",");
        json.raw(R"({"role":"user","content":)");
        if (sdk::text_only(turn)) {
          json.string(sdk::joined_text(turn));
        } else {
          json.raw("[");
          append_user_blocks(json, turn, i, false);
          json.raw("]");
        }
        json.raw("}");
        break;
      case MJ_ROLE_ASSISTANT:
        if (open_results) json.raw("]}");
        open_results = false;
        if (i > 0) json.raw(",");
        json.raw(R"({"role":"assistant","content":)");
        append_assistant_content(json, turn, i);
        json.raw("}");
        break;
      default:
        throw sdk::ProviderError(MJ_ERR_CONFIGURATION, fmt::format("message {} has unknown role {}", i, turn.role));
    }
  }
  if (open_results) json.raw("]}");
  json.raw("]");
}

void append_thinking(sdk::JsonWriter& json, const mj_request& request, int64_t max_tokens) {
  switch (sdk::thinking_mode(request)) {
    case MJ_THINKING_OFF: json.raw(R"(,"thinking":{"type":"disabled"})"); break;
    // Adaptive: the model decides how much to think (output_config.effort steers it). Models
    // before the 4.6 generation take only a budget (docs/providers.md).
    case MJ_THINKING_ON: json.raw(R"(,"thinking":{"type":"adaptive"})"); break;
    case MJ_THINKING_BUDGET: {
      const int64_t budget = request.thinking_budget_tokens;
      if (budget < kMinThinkingBudget || budget >= max_tokens) {
        throw sdk::ProviderError(
            MJ_ERR_CONFIGURATION,
            fmt::format("Anthropic takes a thinking budget of at least {} tokens and below max_tokens ({}), "
                        "which includes the thinking; {} is not: change the budget or raise max_tokens",
                        kMinThinkingBudget, max_tokens, budget));
      }
      json.raw(R"(,"thinking":{"type":"enabled","budget_tokens":)").number(budget).raw("}");
      break;
    }
    default: break;  // the model's default
  }
}

void append_output_config(sdk::JsonWriter& json, const mj_request& request, std::string_view output_schema) {
  const int32_t effort = sdk::reasoning_effort(request);
  if (effort == MJ_EFFORT_DEFAULT && output_schema.empty()) return;
  json.raw(R"(,"output_config":{)");
  if (effort != MJ_EFFORT_DEFAULT) {
    // The API's levels are low, medium, high and max: minimal is its nearest, low.
    json.raw(R"("effort":)").string(effort == MJ_EFFORT_MINIMAL ? "low" : sdk::effort_name(effort));
    if (!output_schema.empty()) json.raw(",");
  }
  if (!output_schema.empty()) {
    json.raw(R"("format":{"type":"json_schema","schema":)").raw(output_schema).raw("}");
  }
  json.raw("}");
}

void append_tool_fields(sdk::JsonWriter& json, const mj_request& request) {
  const std::size_t count = sdk::tool_count(request);
  if (count == 0) return;
  const bool single_call = request.parallel_tool_calls == MJ_TRISTATE_OFF;
  switch (request.tool_choice) {
    case MJ_TOOL_CHOICE_NONE: json.raw(R"(,"tool_choice":{"type":"none")"); break;
    case MJ_TOOL_CHOICE_REQUIRED: json.raw(R"(,"tool_choice":{"type":"any")"); break;
    case MJ_TOOL_CHOICE_NAMED:
      json.raw(R"(,"tool_choice":{"type":"tool","name":)").string(sdk::view(request.tool_choice_name));
      break;
    default:
      // auto is the API's default; it is spelled out only to carry disable_parallel_tool_use.
      if (single_call) json.raw(R"(,"tool_choice":{"type":"auto")");
      break;
  }
  if (request.tool_choice != MJ_TOOL_CHOICE_AUTO || single_call) {
    // No call at all cannot be more than one; the API takes the flag on the other types only.
    if (single_call && request.tool_choice != MJ_TOOL_CHOICE_NONE) json.raw(R"(,"disable_parallel_tool_use":true)");
    json.raw("}");
  }
  json.raw(R"(,"tools":[)");
  for (std::size_t i = 0; i < count; ++i) {
    const mj_tool tool = sdk::tool_at(request, i);
    if (i > 0) json.raw(",");
    json.raw(R"({"name":)").string(sdk::view(tool.name));
    if (tool.description.size > 0) json.raw(R"(,"description":)").string(sdk::view(tool.description));
    json.raw(R"(,"input_schema":)").raw(sdk::view(tool.parameters_json));  // the host checked it is one object
    if (tool.flags & MJ_TOOL_STRICT) json.raw(R"(,"strict":true)");
    json.raw("}");
  }
  json.raw("]");
}

bool is_thinking_block(std::string_view item) {
  // The DOM parser validates the whole text, unlike on-demand, which skips what it is not asked for.
  simdjson::dom::parser parser;
  simdjson::dom::object block;
  if (parser.parse(item.data(), item.size()).get(block) != simdjson::SUCCESS) return false;
  std::string_view type;
  if (block["type"].get(type) != simdjson::SUCCESS) return false;
  return type == "thinking" || type == "redacted_thinking";
}

}  // namespace majordomo::anthropic
