// RequestTurns: checking a conversation before sending and laying it out for the plugin ABI.
#include "request_turns.hpp"

#include "secret_values.hpp"

#include <majordomo/errors.hpp>
#include <majordomo/sdk/str.hpp>

#include <simdjson.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace majordomo {
namespace {

using sdk::to_mj;

[[noreturn]] void refuse(ErrorKind kind, std::string message, std::string_view provider) {
  ErrorDetails details;
  details.kind = kind;
  details.provider = std::string(provider);
  details.message = std::move(message);
  throw_error(std::move(details));
}

void require_utf8(std::string_view text, std::string_view what, std::string_view provider) {
  if (!simdjson::validate_utf8(text.data(), text.size())) {
    refuse(ErrorKind::bad_request, fmt::format("{} is not valid UTF-8; providers accept UTF-8 text only", what),
           provider);
  }
}

std::string_view role_name(Message::Role role) {
  switch (role) {
    case Message::Role::user: return "user";
    case Message::Role::assistant: return "assistant";
    case Message::Role::system: return "system";
    case Message::Role::tool: return "tool";
  }
  return "unknown";
}

bool valid_tool_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

// Whether `json` is one JSON object; `error` says why not.
bool is_json_object(std::string_view json, std::string& error) {
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (const auto code = parser.parse(json.data(), json.size()).get(object)) {
    error = simdjson::error_message(code);
    return false;
  }
  return true;
}

// Field by field, not aggregate initialisation: a struct may gain fields at its end.
mj_part make_part(int32_t type, mj_str text, mj_str media_type = {}) {
  mj_part part{};
  part.struct_size = sizeof(mj_part);
  part.type = type;
  part.text = text;
  part.media_type = media_type;
  return part;
}

constexpr std::array<std::string_view, 4> kImageTypes{"image/png", "image/jpeg", "image/gif", "image/webp"};

}  // namespace

RequestTurns::RequestTurns(const LLMRequest& request, const RequestReceiver& receiver) : receiver_(receiver) {
  const std::string_view provider = receiver.provider;
  if (request.messages.empty()) {
    refuse(ErrorKind::configuration, "a request needs at least one message (the prompt)", provider);
  }
  if (request.options.system) {
    require_utf8(*request.options.system, "the system prompt", provider);
    system_ = *request.options.system;
    system_set_ = true;
  }
  messages_.reserve(request.messages.size());
  turns_.reserve(request.messages.size());
  bool conversation_started = false;
  for (std::size_t i = 0; i < request.messages.size(); ++i) {
    const Message& message = request.messages[i];
    if (message.role == Message::Role::system) {
      if (conversation_started) {
        refuse(ErrorKind::configuration,
               fmt::format("message {} is a system message after the conversation started; system messages may "
                           "only come first (or use RequestOptions::system)", i),
               provider);
      }
      add_system(message, i);
      continue;
    }
    conversation_started = true;
    add_turn(message, i);
  }
  if (turns_.empty()) {
    refuse(ErrorKind::configuration, "a request needs at least one user message besides its system messages",
           provider);
  }
  link();
  add_tools(request);
  add_reasoning(request.options);
}

void RequestTurns::add_system(const Message& message, std::size_t index) {
  require_utf8(message.content, fmt::format("system message {}", index), receiver_.provider);
  if (system_set_) system_ += "\n\n";
  system_ += message.content;
  system_set_ = true;
  for (const ContentPart& part : message.parts) {
    if (part.kind != ContentPart::Kind::text) {
      refuse(ErrorKind::configuration,
             fmt::format("system message {} has an image; images go in user messages", index), receiver_.provider);
    }
    require_utf8(part.text, fmt::format("system message {}", index), receiver_.provider);
    system_ += part.text;
  }
}

void RequestTurns::add_turn(const Message& message, std::size_t index) {
  const std::string_view provider = receiver_.provider;
  mj_turn turn{};
  turn.struct_size = sizeof(mj_turn);
  spans_.push_back(Spans{parts_.size(), calls_.size(), continuation_.size()});
  std::string v1_text;
  switch (message.role) {
    case Message::Role::user: turn.role = MJ_ROLE_USER; break;
    case Message::Role::assistant: turn.role = MJ_ROLE_ASSISTANT; break;
    case Message::Role::tool: turn.role = MJ_ROLE_TOOL; break;
    case Message::Role::system: break;  // folded into the system prompt by the caller
  }
  // Results answer the assistant message right before them: any other turn ends that loop.
  if (message.role != Message::Role::tool) last_assistant_ = nullptr;
  add_parts(message, index, v1_text);
  if (message.role != Message::Role::assistant && (!message.tool_calls.empty() || !message.continuation.empty())) {
    refuse(ErrorKind::configuration,
           fmt::format("message {} ({}) carries tool calls or continuation data, which only assistant messages "
                       "may carry", index, role_name(message.role)),
           provider);
  }
  if (message.role != Message::Role::tool && (!message.tool_call_id.empty() || message.is_error)) {
    refuse(ErrorKind::configuration,
           fmt::format("message {} ({}) has a tool_call_id or is_error, which only tool messages may have", index,
                       role_name(message.role)),
           provider);
  }
  if (message.role == Message::Role::assistant) add_tool_calls(message, index);
  if (message.role == Message::Role::tool) add_tool_result(message, index, turn);
  if (message.role != Message::Role::tool) {
    // The ABI v1 view: the user and assistant texts, for plugins that read `messages`.
    const std::string& text = message.parts.empty() ? message.content : texts_.emplace_back(std::move(v1_text));
    messages_.push_back(mj_message{turn.role, 0, to_mj(text)});
  }
  turns_.push_back(turn);
}

void RequestTurns::add_parts(const Message& message, std::size_t index, std::string& v1_text) {
  const std::string_view provider = receiver_.provider;
  const std::string what = fmt::format("message {}", index);
  require_utf8(message.content, what, provider);
  if (!message.content.empty() || message.parts.empty()) {
    parts_.push_back(make_part(MJ_PART_TEXT, to_mj(message.content)));
    v1_text = message.content;
  }
  for (std::size_t p = 0; p < message.parts.size(); ++p) {
    const ContentPart& part = message.parts[p];
    if (part.kind == ContentPart::Kind::text) {
      require_utf8(part.text, what, provider);
      parts_.push_back(make_part(MJ_PART_TEXT, to_mj(part.text)));
      v1_text += part.text;
      continue;
    }
    if (message.role != Message::Role::user) {
      refuse(ErrorKind::configuration,
             fmt::format("message {} ({}) has an image; images go in user messages", index, role_name(message.role)),
             provider);
    }
    require_feature(MJ_FEATURE_IMAGES, "images");
    require_capability(MJ_CAP_IMAGES, "images");
    if (part.kind == ContentPart::Kind::image_url) {
      const std::string_view url = part.text;
      if (!(url.starts_with("https://") || url.starts_with("http://") || url.starts_with("data:image/"))) {
        refuse(ErrorKind::configuration,
               fmt::format("message {} part {}: an image URL must start with https://, http:// or data:image/",
                           index, p),
               provider);
      }
      require_utf8(url, what, provider);
      if (url.starts_with("data:")) {
        // Plugins that decode a data: URL send only what follows the comma.
        image_texts_.push_back(url);
        if (const auto comma = url.find(','); comma != std::string_view::npos && url.size() - comma > 64) {
          image_texts_.push_back(url.substr(comma + 1));
        }
      }
      parts_.push_back(make_part(MJ_PART_IMAGE_URL, to_mj(part.text)));
      continue;
    }
    if (std::find(kImageTypes.begin(), kImageTypes.end(), part.media_type) == kImageTypes.end()) {
      refuse(ErrorKind::configuration,
             fmt::format("message {} part {}: image media type '{}' is not one providers take; use image/png, "
                         "image/jpeg, image/gif or image/webp",
                         index, p, sdk::view(to_mj(part.media_type)).substr(0, 64)),
             provider);
    }
    if (part.data.empty()) {
      refuse(ErrorKind::configuration, fmt::format("message {} part {}: the image has no bytes", index, p), provider);
    }
    const std::string& encoded = texts_.emplace_back(base64_encode(part.data));
    image_texts_.push_back(encoded);
    parts_.push_back(make_part(MJ_PART_IMAGE_DATA, to_mj(encoded), to_mj(part.media_type)));
  }
}

void RequestTurns::add_tool_calls(const Message& message, std::size_t index) {
  const std::string_view provider = receiver_.provider;
  // Continuation data goes back only to the provider that wrote it, and to the same model when
  // the plugin says its data is tied to the model (conversation.hpp). An empty model is any of
  // the provider's (a hand-written history).
  const Continuation& continuation = message.continuation;
  const bool per_model = (receiver_.features & MJ_FEATURE_CONTINUATION_PER_MODEL) != 0;
  const bool continuation_fits =
      continuation.provider == receiver_.provider &&
      (!per_model || continuation.model.empty() || continuation.model == receiver_.model);
  const bool keeps_missing_ids = (receiver_.features & MJ_FEATURE_CALLS_WITHOUT_IDS) != 0;
  if (!message.tool_calls.empty()) {
    require_feature(MJ_FEATURE_TOOLS, "tool calls in the history");
    last_assistant_ = &message;
    last_call_ids_.clear();
    last_answered_.assign(message.tool_calls.size(), false);
  }
  for (std::size_t c = 0; c < message.tool_calls.size(); ++c) {
    const ToolCall& call = message.tool_calls[c];
    if (!valid_tool_name(call.name)) {
      refuse(ErrorKind::configuration,
             fmt::format("message {} tool call {}: the name must be 1-64 of a-z, A-Z, 0-9, '_' and '-'", index, c),
             provider);
    }
    require_utf8(call.id, fmt::format("message {} tool call {}'s id", index, c), provider);
    std::string_view arguments = call.arguments;
    if (arguments.empty()) arguments = "{}";
    std::string error;
    if (!is_json_object(arguments, error)) {
      refuse(ErrorKind::configuration,
             fmt::format("message {} tool call {} ('{}'): the arguments are not one JSON object ({}); send the "
                         "call back as the model made it",
                         index, c, call.name, error),
             provider);
    }
    // Every provider but Gemini needs an id to pair a result with its call. A call Gemini made
    // has none, so sent to a plugin without MJ_FEATURE_CALLS_WITHOUT_IDS it gets one here, the
    // same for the call and its result within this request.
    mj_str id = to_mj(call.id);
    if (call.id.empty() && !keeps_missing_ids) {
      id = to_mj(texts_.emplace_back(fmt::format("mj_call_{}_{}", index, c)));
    }
    last_call_ids_.push_back(id);
    mj_tool_call raw{};
    raw.struct_size = sizeof(mj_tool_call);
    raw.id = id;
    raw.name = to_mj(call.name);
    raw.arguments = mj_str{arguments.data(), arguments.size()};
    calls_.push_back(raw);
  }
  if (continuation_fits) {
    for (const std::string& item : continuation.items) continuation_.push_back(to_mj(item));
  }
}

void RequestTurns::add_tool_result(const Message& message, std::size_t index, mj_turn& turn) {
  const std::string_view provider = receiver_.provider;
  require_feature(MJ_FEATURE_TOOLS, "tool results");
  if (last_assistant_ == nullptr) {
    refuse(ErrorKind::configuration,
           fmt::format("message {} is a tool result, but no assistant message with tool calls comes right before it "
                       "(results follow the assistant message whose calls they answer, before any other message)",
                       index),
           provider);
  }
  // By id; a result without one (to a call Gemini made) answers the first call of its tool name
  // not yet answered, so parallel calls of one tool pair up in order.
  const std::vector<ToolCall>& calls = last_assistant_->tool_calls;
  std::size_t answered = calls.size();
  for (std::size_t c = 0; c < calls.size() && answered == calls.size(); ++c) {
    const ToolCall& call = calls[c];
    if (message.tool_call_id.empty() ? (call.id.empty() && call.name == message.tool_name && !last_answered_[c])
                                     : call.id == message.tool_call_id) {
      answered = c;
    }
  }
  if (answered < calls.size() && last_answered_[answered]) {
    refuse(ErrorKind::configuration,
           fmt::format("message {} answers tool call '{}' a second time; providers take one result per call, so "
                       "put everything in one result",
                       index, message.tool_call_id.substr(0, 64)),
           provider);
  }
  if (answered == calls.size() && message.tool_call_id.empty()) {
    refuse(ErrorKind::configuration,
           fmt::format("message {} answers a call of '{}' without a tool_call_id, but the assistant message before "
                       "it has no unanswered call of that name without an id; set tool_call_id, or answer each call "
                       "once (Message::tool_result does both)",
                       index, message.tool_name.substr(0, 64)),
           provider);
  }
  if (answered == calls.size()) {
    refuse(ErrorKind::configuration,
           fmt::format("message {} answers tool call '{}' ('{}'), which the assistant message before it did not "
                       "make; set tool_call_id to one of that message's call ids (Message::tool_result does)",
                       index, message.tool_call_id.substr(0, 64), message.tool_name.substr(0, 64)),
           provider);
  }
  last_answered_[answered] = true;
  turn.tool_call_id = last_call_ids_[answered];
  turn.tool_name = to_mj(calls[answered].name);
  if (message.is_error) turn.flags |= MJ_TURN_TOOL_ERROR;
}

void RequestTurns::link() {
  // Turn i's parts run from its span to the next turn's span (or the array's end).
  for (std::size_t i = 0; i < turns_.size(); ++i) {
    const Spans& from = spans_[i];
    const Spans to = i + 1 < spans_.size() ? spans_[i + 1] : Spans{parts_.size(), calls_.size(), continuation_.size()};
    mj_turn& turn = turns_[i];
    turn.part_count = to.parts - from.parts;
    turn.parts = turn.part_count > 0 ? parts_.data() + from.parts : nullptr;
    turn.tool_call_count = to.calls - from.calls;
    turn.tool_calls = turn.tool_call_count > 0 ? calls_.data() + from.calls : nullptr;
    turn.continuation_count = to.continuation - from.continuation;
    turn.continuation = turn.continuation_count > 0 ? continuation_.data() + from.continuation : nullptr;
  }
}

void RequestTurns::add_tools(const LLMRequest& request) {
  const std::string_view provider = receiver_.provider;
  if (request.tools.empty()) {
    if (request.tool_choice.mode != ToolChoice::Mode::automatic || request.parallel_tool_calls) {
      refuse(ErrorKind::configuration, "tool_choice and parallel_tool_calls need tools in the request", provider);
    }
    return;
  }
  require_feature(MJ_FEATURE_TOOLS, "tools");
  require_capability(MJ_CAP_TOOLS, "tools");
  schemas_ = std::make_shared<ToolSchemas>();
  tools_.reserve(request.tools.size());
  for (std::size_t t = 0; t < request.tools.size(); ++t) {
    const ToolDefinition& tool = request.tools[t];
    if (!valid_tool_name(tool.name)) {
      refuse(ErrorKind::configuration,
             fmt::format("tool {}: the name must be 1-64 of a-z, A-Z, 0-9, '_' and '-'", t), provider);
    }
    if (std::find(schemas_->names.begin(), schemas_->names.end(), tool.name) != schemas_->names.end()) {
      refuse(ErrorKind::configuration, fmt::format("tool {}: the name '{}' is listed twice", t, tool.name), provider);
    }
    require_utf8(tool.description, fmt::format("tool '{}''s description", tool.name), provider);
    std::string error;
    if (!is_json_object(tool.parameters_json, error)) {
      refuse(ErrorKind::configuration,
             fmt::format("tool '{}': parameters_json is not one JSON object ({}); pass its JSON Schema as text",
                         tool.name, error),
             provider);
    }
    schemas_->names.push_back(tool.name);
    schemas_->schemas.emplace_back(tool.parameters_json, provider);  // throws ConfigurationError when unusable
    mj_tool raw{};
    raw.struct_size = sizeof(mj_tool);
    raw.flags = tool.strict ? static_cast<uint32_t>(MJ_TOOL_STRICT) : 0u;
    raw.name = to_mj(tool.name);
    raw.description = to_mj(tool.description);
    raw.parameters_json = to_mj(tool.parameters_json);
    tools_.push_back(raw);
  }
  switch (request.tool_choice.mode) {
    case ToolChoice::Mode::automatic: tool_choice_ = MJ_TOOL_CHOICE_AUTO; break;
    case ToolChoice::Mode::none: tool_choice_ = MJ_TOOL_CHOICE_NONE; break;
    case ToolChoice::Mode::required: tool_choice_ = MJ_TOOL_CHOICE_REQUIRED; break;
    case ToolChoice::Mode::named:
      if (std::find(schemas_->names.begin(), schemas_->names.end(), request.tool_choice.name) ==
          schemas_->names.end()) {
        refuse(ErrorKind::configuration,
               fmt::format("tool_choice names '{}', which is not one of the request's tools",
                           request.tool_choice.name.substr(0, 64)),
               provider);
      }
      tool_choice_ = MJ_TOOL_CHOICE_NAMED;
      tool_choice_name_ = request.tool_choice.name;
      break;
  }
  if (request.parallel_tool_calls) parallel_ = *request.parallel_tool_calls ? MJ_TRISTATE_ON : MJ_TRISTATE_OFF;
}

void RequestTurns::add_reasoning(const RequestOptions& options) {
  prompt_cache_ = options.prompt_cache;
  if (options.reasoning_effort == ReasoningEffort::unset && options.thinking.mode == Thinking::Mode::unset) return;
  // Turning thinking off is what every model does already when it has none.
  const bool asks_for_reasoning = options.reasoning_effort != ReasoningEffort::unset ||
                                  options.thinking.mode != Thinking::Mode::off;
  require_feature(MJ_FEATURE_REASONING, "reasoning controls");
  if (asks_for_reasoning) require_capability(MJ_CAP_REASONING, "reasoning controls");
  switch (options.reasoning_effort) {
    case ReasoningEffort::unset: effort_ = MJ_EFFORT_DEFAULT; break;
    case ReasoningEffort::minimal: effort_ = MJ_EFFORT_MINIMAL; break;
    case ReasoningEffort::low: effort_ = MJ_EFFORT_LOW; break;
    case ReasoningEffort::medium: effort_ = MJ_EFFORT_MEDIUM; break;
    case ReasoningEffort::high: effort_ = MJ_EFFORT_HIGH; break;
    case ReasoningEffort::max: effort_ = MJ_EFFORT_MAX; break;
  }
  switch (options.thinking.mode) {
    case Thinking::Mode::unset: thinking_ = MJ_THINKING_DEFAULT; break;
    case Thinking::Mode::off:
      // A listed model without reasoning has none to turn off: nothing is sent (OpenAI's older
      // models refuse reasoning_effort "none").
      thinking_ = receiver_.catalog_entry != nullptr && (receiver_.catalog_entry->capabilities & MJ_CAP_REASONING) == 0
                      ? MJ_THINKING_DEFAULT
                      : MJ_THINKING_OFF;
      break;
    case Thinking::Mode::on: thinking_ = MJ_THINKING_ON; break;
    case Thinking::Mode::budget:
      if (options.thinking.budget_tokens <= 0) {
        refuse(ErrorKind::configuration, "a thinking budget must be a positive number of tokens", receiver_.provider);
      }
      thinking_ = MJ_THINKING_BUDGET;
      thinking_budget_ = options.thinking.budget_tokens;
      break;
  }
}

void RequestTurns::require_feature(uint32_t feature, std::string_view what) const {
  if ((receiver_.features & feature) != 0) return;
  refuse(ErrorKind::unsupported,
         fmt::format("{} does not take {}: the plugin declares no support for them (plugins built before majordomo "
                     "0.5 declare none); leave them out, or use a provider that takes them",
                     receiver_.plugin_label, what),
         receiver_.provider);
}

void RequestTurns::require_capability(uint32_t capability, std::string_view what) const {
  if (receiver_.catalog_entry == nullptr || (receiver_.catalog_entry->capabilities & capability) != 0) return;
  refuse(ErrorKind::unsupported,
         fmt::format("model '{}' of provider '{}' cannot take {} (its catalog entry says so); choose a model that "
                     "can (majordomo models {})",
                     receiver_.model, receiver_.provider, what, receiver_.provider),
         receiver_.provider);
}

std::string RequestTurns::body_without_images(std::string_view body) const {
  if (image_texts_.empty()) return {};
  std::string out(body);
  for (const std::string_view image : image_texts_) {
    // Base64 and data: URLs hold no character JSON escapes: they appear in the body as they are.
    const std::string placeholder = fmt::format("[image omitted: {} characters]", image.size());
    for (std::size_t at = out.find(image); at != std::string::npos; at = out.find(image, at + placeholder.size())) {
      out.replace(at, image.size(), placeholder);
    }
  }
  return out;
}

void RequestTurns::fill(mj_request& raw) const {
  if (system_set_) raw.system = to_mj(system_);
  raw.messages = messages_.data();
  raw.message_count = messages_.size();
  if (!prompt_cache_) raw.flags |= MJ_REQUEST_NO_PROMPT_CACHE;
  if (receiver_.features == 0) return;  // a plugin that reads none of the 0.5 fields
  raw.turns = turns_.data();
  raw.turn_count = turns_.size();
  raw.tools = tools_.empty() ? nullptr : tools_.data();
  raw.tool_count = tools_.size();
  raw.tool_choice = tool_choice_;
  raw.parallel_tool_calls = parallel_;
  raw.tool_choice_name = to_mj(tool_choice_name_);
  raw.reasoning_effort = effort_;
  raw.thinking = thinking_;
  raw.thinking_budget_tokens = thinking_budget_;
}

}  // namespace majordomo
