// Cohere Chat v2 conversations (0.5): the request side of turns, tools and thinking, and the tool-call events of answers.
#include "cohere_tools.hpp"

#include <majordomo/sdk/chat_messages.hpp>
#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/json_fields.hpp>
#include <majordomo/sdk/json_read.hpp>
#include <majordomo/sdk/str.hpp>
#include <majordomo/sdk/turns.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <utility>

namespace majordomo::cohere {
namespace {

namespace ondemand = simdjson::ondemand;
using sdk::ProviderError;
using sdk::view;

[[noreturn]] void refuse(std::string message) { throw ProviderError(MJ_ERR_UNSUPPORTED, std::move(message)); }

// A user turn's content: Cohere takes the Chat shape, inline images as data: URLs as well as
// http(s) ones (docs.cohere.com image-inputs): the SDK's append_chat_user_content.

// The tool plan an assistant turn carried when Cohere made it (continuation items this plugin
// emitted). Items of another kind, from a newer plugin, are not this version's to send.
std::string tool_plan_of(const mj_turn& turn) {
  std::string plan;
  for (std::size_t i = 0; i < turn.continuation_count; ++i) {
    const std::string_view item = view(turn.continuation[i]);
    if (item.starts_with(kToolPlanItemPrefix)) plan.append(item.substr(kToolPlanItemPrefix.size()));
  }
  return plan;
}

// Cohere asks for a tool result as "a JSON object string, or a list of tool content blocks": JSON
// object text goes as the string, anything else as one text block, so it is never misread.
bool is_json_object_text(std::string_view text) {
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  return parser.parse(text.data(), text.size()).get(object) == simdjson::SUCCESS;
}

void append_turn(sdk::JsonWriter& json, const mj_turn& turn, std::size_t index) {
  json.begin_object();
  switch (turn.role) {
    case MJ_ROLE_USER:
      json.key("role").string("user").key("content");
      sdk::append_chat_user_content(json, turn);
      break;
    case MJ_ROLE_ASSISTANT: {
      json.key("role").string("assistant");
      // The plan goes back with the calls it planned, as Cohere's tool-use guide appends it.
      if (const std::string plan = tool_plan_of(turn); !plan.empty()) json.key("tool_plan").string(plan);
      const std::string text = sdk::joined_text(turn);
      // content is optional beside tool calls; Cohere's schema has no null for it.
      if (!text.empty() || turn.tool_call_count == 0) json.key("content").string(text);
      if (turn.tool_call_count > 0) {
        json.key("tool_calls").begin_array();
        for (std::size_t c = 0; c < turn.tool_call_count; ++c) {
          const mj_tool_call call = sdk::tool_call_at(turn, c);
          json.begin_object().key("id").string(view(call.id)).key("type").string("function");
          json.key("function").begin_object().key("name").string(view(call.name));
          json.key("arguments").string(view(call.arguments)).end_object().end_object();
        }
        json.end_array();
      }
      break;
    }
    case MJ_ROLE_TOOL: {
      // Cohere has no error flag on a result (MJ_TURN_TOOL_ERROR): the text says what failed.
      json.key("role").string("tool").key("tool_call_id").string(view(turn.tool_call_id)).key("content");
      const std::string text = sdk::joined_text(turn);
      if (is_json_object_text(text)) {
        json.string(text);
      } else {
        json.begin_array().begin_object().key("type").string("text").key("text").string(text).end_object().end_array();
      }
      break;
    }
    default:
      throw ProviderError(MJ_ERR_CONFIGURATION, fmt::format("turn {} has unknown role {}", index, turn.role));
  }
  json.end_object();
}

void append_tool(std::string& body, sdk::JsonWriter& json, const mj_tool& tool) {
  json.raw(R"({"type":"function","function":{"name":)").string(view(tool.name));
  if (tool.description.size > 0) json.raw(R"(,"description":)").string(view(tool.description));
  json.raw(R"(,"parameters":)").raw(view(tool.parameters_json));  // the host checked it is one object
  body.append("}}");
}

}  // namespace

void append_messages(sdk::JsonWriter& json, const mj_request& request, bool first) {
  if (!sdk::has_turns(request)) {
    sdk::append_chat_turns(json, request, first);
    return;
  }
  json.resume_array(!first);  // the caller opened `messages` by hand
  for (std::size_t i = 0; i < request.turn_count; ++i) append_turn(json, sdk::turn_at(request, i), i);
  json.suspend_array();
}

void append_tool_fields(sdk::JsonWriter& json, const mj_request& request) {
  const std::size_t count = sdk::tool_count(request);
  if (count == 0) return;
  if (request.response_format != MJ_FORMAT_TEXT) {
    refuse("Cohere cannot combine tools with a JSON response format (response_format); send the tools or the "
           "response format, not both");
  }
  const bool has_choice = MJ_HAS_FIELD(&request, mj_request, tool_choice_name);
  const int32_t choice = has_choice ? request.tool_choice : MJ_TOOL_CHOICE_AUTO;
  if (has_choice && request.parallel_tool_calls == MJ_TRISTATE_OFF) {
    refuse("Cohere has no switch to turn parallel tool calls off; leave parallel_tool_calls unset");
  }
  // Cohere has no named choice: listing only that tool and requiring a call asks for the same.
  const std::string_view named = choice == MJ_TOOL_CHOICE_NAMED ? view(request.tool_choice_name) : std::string_view{};
  std::vector<mj_tool> listed;
  listed.reserve(choice == MJ_TOOL_CHOICE_NAMED ? 1 : count);
  for (std::size_t i = 0; i < count; ++i) {
    mj_tool tool = sdk::tool_at(request, i);
    if (choice != MJ_TOOL_CHOICE_NAMED || view(tool.name) == named) listed.push_back(tool);
  }
  if (listed.empty()) {
    throw ProviderError(MJ_ERR_CONFIGURATION,
                        fmt::format("tool_choice names '{}', which is not one of the request's tools",
                                    named.substr(0, 64)));
  }
  // strict_tools covers every tool of the request; a mix cannot be said, and dropping either
  // half of it silently would change what the caller asked for.
  const auto strict = [](const mj_tool& tool) { return (tool.flags & MJ_TOOL_STRICT) != 0; };
  const bool all_strict = std::all_of(listed.begin(), listed.end(), strict);
  if (!all_strict && std::any_of(listed.begin(), listed.end(), strict)) {
    refuse("Cohere holds either every tool to its schema or none (strict_tools); mark all the request's tools "
           "strict, or none");
  }
  std::string& body = json.out();
  json.raw(R"(,"tools":[)");
  for (std::size_t i = 0; i < listed.size(); ++i) {
    if (i > 0) body.push_back(',');
    append_tool(body, json, listed[i]);
  }
  body.push_back(']');
  if (all_strict) json.raw(R"(,"strict_tools":true)");
  switch (choice) {
    case MJ_TOOL_CHOICE_AUTO: break;  // Cohere's default when tool_choice is left out
    case MJ_TOOL_CHOICE_NONE: json.raw(R"(,"tool_choice":"NONE")"); break;
    case MJ_TOOL_CHOICE_REQUIRED:
    case MJ_TOOL_CHOICE_NAMED: json.raw(R"(,"tool_choice":"REQUIRED")"); break;
    default: refuse(fmt::format("tool choice {} is not known to the Cohere plugin; upgrade the plugin", choice));
  }
}

void append_thinking_field(sdk::JsonWriter& json, const mj_request& request, bool model_thinks) {
  if (sdk::reasoning_effort(request) != MJ_EFFORT_DEFAULT) {
    refuse("Cohere takes no reasoning effort; leave it out and set thinking (off, on or a token budget) instead");
  }
  switch (sdk::thinking_mode(request)) {
    case MJ_THINKING_DEFAULT: break;
    case MJ_THINKING_OFF:
      if (model_thinks) json.raw(R"(,"thinking":{"type":"disabled"})");
      break;
    case MJ_THINKING_ON: json.raw(R"(,"thinking":{"type":"enabled"})"); break;
    case MJ_THINKING_BUDGET: {
      const int64_t budget =
          MJ_HAS_FIELD(&request, mj_request, thinking_budget_tokens) ? request.thinking_budget_tokens : 0;
      if (budget <= 0) {
        throw ProviderError(MJ_ERR_CONFIGURATION, "a thinking budget must be a positive number of tokens");
      }
      json.raw(R"(,"thinking":{"type":"enabled","token_budget":)").number(budget).raw("}");
      break;
    }
    default:
      refuse(fmt::format("thinking mode {} is not known to the Cohere plugin; upgrade the plugin",
                         sdk::thinking_mode(request)));
  }
}

simdjson::error_code read_tool_call_piece(ondemand::value& value, ToolCallPiece& piece) {
  bool has_id = false;
  return sdk::for_each_field_if_object(value, [&](ondemand::raw_json_string key, ondemand::value& field) {
    if (key == "id") return sdk::read_optional_string(field, piece.id, has_id);
    if (key != "function") return simdjson::SUCCESS;
    return sdk::for_each_field_if_object(field, [&](ondemand::raw_json_string name, ondemand::value& member) {
      if (name == "name") return sdk::read_optional_string(member, piece.name, piece.has_name);
      if (name != "arguments") return simdjson::SUCCESS;
      ondemand::json_type type{};
      if (auto error = member.type().get(type)) return error;
      // Arguments are JSON text; an object in their place is taken as its own text.
      if (type == ondemand::json_type::object) {
        ondemand::object object;
        if (auto error = member.get_object().get(object)) return error;
        return object.raw_json().get(piece.arguments);
      }
      if (type != ondemand::json_type::string && type != ondemand::json_type::null) {
        throw ProviderError(MJ_ERR_PARSE, "Cohere tool call arguments are neither a string nor an object");
      }
      bool has_arguments = false;
      return sdk::read_optional_string(member, piece.arguments, has_arguments);
    });
  });
}

int32_t ToolCallEvents::new_call(int64_t server_index) {
  if (server_indices_.size() == kMaxToolCalls) {
    throw ProviderError(MJ_ERR_PARSE, fmt::format("Cohere sent more than {} tool calls in one answer", kMaxToolCalls));
  }
  server_indices_.push_back(server_index);
  ended_.push_back(false);
  return static_cast<int32_t>(server_indices_.size() - 1);
}

std::size_t ToolCallEvents::call_for(int64_t server_index, std::string_view what) const {
  const auto known = std::find(server_indices_.begin(), server_indices_.end(), server_index);
  if (known == server_indices_.end()) {
    throw ProviderError(MJ_ERR_PARSE,
                        fmt::format("Cohere stream {} tool call {}, which it never started", what, server_index));
  }
  return static_cast<std::size_t>(known - server_indices_.begin());
}

void ToolCallEvents::whole_call(const ToolCallPiece& piece, sdk::EventSink& sink) {
  if (!piece.has_name || piece.name.empty()) {
    throw ProviderError(MJ_ERR_PARSE,
                        fmt::format("Cohere tool call {} has no function name", server_indices_.size()));
  }
  const int32_t index = new_call(static_cast<int64_t>(server_indices_.size()));
  sink.tool_call_start(index, piece.id, piece.name, piece.arguments);
  sink.tool_call_end(index);
  ended_.back() = true;
}

void ToolCallEvents::start(int64_t server_index, const ToolCallPiece& piece, sdk::EventSink& sink) {
  if (std::find(server_indices_.begin(), server_indices_.end(), server_index) != server_indices_.end()) {
    throw ProviderError(MJ_ERR_PARSE, fmt::format("Cohere stream started tool call {} twice", server_index));
  }
  if (!piece.has_name || piece.name.empty()) {
    throw ProviderError(MJ_ERR_PARSE,
                        fmt::format("Cohere stream started tool call {} without a function name", server_index));
  }
  sink.tool_call_start(new_call(server_index), piece.id, piece.name, piece.arguments);
}

void ToolCallEvents::arguments(int64_t server_index, std::string_view piece, sdk::EventSink& sink) {
  const std::size_t call = call_for(server_index, "continued");
  if (!piece.empty()) sink.tool_call_arguments(static_cast<int32_t>(call), piece);
}

void ToolCallEvents::end(int64_t server_index, sdk::EventSink& sink) {
  const std::size_t call = call_for(server_index, "ended");
  if (ended_[call]) return;
  ended_[call] = true;
  sink.tool_call_end(static_cast<int32_t>(call));
}

void ToolCallEvents::finish(bool cut_off, sdk::EventSink& sink) {
  if (!cut_off) {
    for (std::size_t i = 0; i < ended_.size(); ++i) {
      if (ended_[i]) continue;
      ended_[i] = true;
      sink.tool_call_end(static_cast<int32_t>(i));
    }
  }
  if (has_plan_ && plan_item_.size() > kToolPlanItemPrefix.size()) sink.continuation(plan_item_);
  has_plan_ = false;  // once per answer
}

void ToolCallEvents::add_plan(std::string_view piece) {
  if (!has_plan_) {
    plan_item_.assign(kToolPlanItemPrefix);
    has_plan_ = true;
  }
  if (plan_item_.size() + piece.size() > kMaxToolPlanBytes) {
    throw ProviderError(MJ_ERR_PARSE, fmt::format("Cohere sent a tool plan over {} bytes", kMaxToolPlanBytes));
  }
  plan_item_.append(piece);
}

}  // namespace majordomo::cohere
