// The Anthropic Messages shape, answer side: message objects, stream events and error objects.
#include "anthropic_messages_shape.hpp"
#include "shape_json.hpp"

#include <majordomo/sdk/json_writer.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace majordomo::gateway::anthropic_messages {
namespace {

using sdk::JsonWriter;

std::string_view stop_reason(const Response& answer) {
  switch (answer.stop_reason) {
    case StopReason::max_tokens: return "max_tokens";
    case StopReason::stop_sequence: return "stop_sequence";
    case StopReason::tool_use: return "tool_use";
    case StopReason::content_filter: return "refusal";
    case StopReason::end_turn:
    case StopReason::unknown:
    case StopReason::error: break;
  }
  return answer.tool_calls.empty() ? "end_turn" : "tool_use";
}

// Anthropic's input_tokens leaves out the tokens read from and written to the cache, which the
// neutral count includes.
void write_usage_members(JsonWriter& json, const Usage& usage) {
  const int64_t uncached = std::max<int64_t>(0, usage.input_tokens - usage.cached_tokens - usage.cache_write_tokens);
  json.key("input_tokens").number(uncached);
  json.key("cache_creation_input_tokens").number(usage.cache_write_tokens);
  json.key("cache_read_input_tokens").number(usage.cached_tokens);
  json.key("output_tokens").number(usage.output_tokens);
}

std::string tool_use_id(const ToolCall& call, const AnswerLabel& label, std::size_t index) {
  // Gemini's calls have no id; the client needs one to answer the call.
  return call.id.empty() ? fmt::format("toolu_{}_{}", label.id, index) : call.id;
}

// A call's input must be an object: arguments that are not one (unparsable, or cut off at
// max_tokens) become {}, and the stop reason tells a cut call (docs/gateway-shapes.md).
std::string_view tool_input(const ToolCall& call) {
  if (call.problem == ToolCallProblem::unparsable || call.problem == ToolCallProblem::cut_off ||
      call.arguments.empty()) {
    return "{}";
  }
  return call.arguments;
}

// The thinking blocks of an answer from Anthropic are its continuation items, the blocks as the
// API sent them; anything else among the items is not placed in the answer.
bool is_thinking_item(std::string_view item) {
  return item.starts_with(R"({"type":"thinking",)") || item.starts_with(R"({"type":"redacted_thinking",)");
}

bool has_anthropic_items(const Response& answer) {
  return answer.continuation.provider == "anthropic" && !answer.continuation.items.empty();
}

void write_content(JsonWriter& json, const Response& answer, const AnswerLabel& label) {
  json.key("content").begin_array();
  if (has_anthropic_items(answer)) {
    for (const std::string& item : answer.continuation.items) {
      if (is_thinking_item(item)) json.raw_value(item);
    }
  } else if (!answer.reasoning.empty()) {
    // Another provider's reasoning: no signature, so it is not sent back (the reader drops it).
    json.begin_object().key("type").string("thinking").key("thinking").string(answer.reasoning);
    json.key("signature").string("").end_object();
  }
  if (!answer.content.empty()) {
    json.begin_object().key("type").string("text").key("text").string(answer.content).end_object();
  }
  for (std::size_t i = 0; i < answer.tool_calls.size(); ++i) {
    const ToolCall& call = answer.tool_calls[i];
    json.begin_object().key("type").string("tool_use").key("id").string(tool_use_id(call, label, i));
    json.key("name").string(call.name).key("input").raw_value(tool_input(call)).end_object();
  }
  json.end_array();
}

std::string_view error_type(int status) {
  switch (status) {
    case 401: return "authentication_error";
    case 402: return "billing_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 413: return "request_too_large";
    case 429: return "rate_limit_error";
    case 503:
    case 529: return "overloaded_error";
    case 504: return "timeout_error";
    default: return status >= 500 ? "api_error" : "invalid_request_error";
  }
}

void write_error(JsonWriter& json, const ClientError& error) {
  json.begin_object().key("type").string("error");
  json.key("error").begin_object().key("type").string(error_type(error.status));
  json.key("message").string(error.message).end_object();
  json.end_object();
}

// One event: "event: <name>\ndata: <json>\n\n", the name being the data's type as Anthropic sends.
template <class WriteData>
void write_event(std::string& out, std::string_view name, WriteData&& write_data) {
  out.append("event: ").append(name).append("\ndata: ");
  JsonWriter json(out);
  json.begin_object().key("type").string(name);
  write_data(json);
  json.end_object();
  out.append("\n\n");
}

void write_delta(std::string& out, std::size_t index, std::string_view type, std::string_view field,
                 std::string_view text) {
  write_event(out, "content_block_delta", [&](JsonWriter& json) {
    json.key("index").number(static_cast<int64_t>(index));
    json.key("delta").begin_object().key("type").string(type).key(field).string(text).end_object();
  });
}

// A string member of a continuation item, empty when absent.
std::string_view member_text(simdjson::dom::object item, std::string_view key) {
  std::string_view text;
  if (item[key].get(text) != simdjson::SUCCESS) return {};
  return text;
}

}  // namespace

std::string message_json(const Response& answer, const AnswerLabel& label) {
  std::string out;
  out.reserve(256 + answer.content.size() + answer.reasoning.size());
  JsonWriter json(out);
  json.begin_object();
  json.key("id").string(label.id).key("type").string("message").key("role").string("assistant");
  json.key("model").string(label.model);
  write_content(json, answer, label);
  json.key("stop_reason").string(stop_reason(answer)).key("stop_sequence").null();
  json.key("usage").begin_object();
  write_usage_members(json, answer.usage);
  json.end_object().end_object();
  return out;
}

std::string error_json(const ClientError& error) {
  std::string out;
  JsonWriter json(out);
  write_error(json, error);
  return out;
}

EventEncoder::EventEncoder(AnswerLabel label) : label_(std::move(label)) {}

void EventEncoder::start(const Response& so_far, std::string& out) {
  if (started_) return;
  started_ = true;
  write_event(out, "message_start", [&](JsonWriter& json) {
    json.key("message").begin_object();
    json.key("id").string(label_.id).key("type").string("message").key("role").string("assistant");
    json.key("model").string(label_.model).key("content").begin_array().end_array();
    json.key("stop_reason").null().key("stop_sequence").null();
    // What is known now (Anthropic upstream: the input tokens); message_delta has the final count.
    json.key("usage").begin_object();
    write_usage_members(json, so_far.usage);
    json.end_object().end_object();
  });
}

void EventEncoder::open(Block kind, std::string_view content_block, std::string& out) {
  close(out);
  write_event(out, "content_block_start", [&](JsonWriter& json) {
    json.key("index").number(static_cast<int64_t>(next_index_));
    json.key("content_block").raw_value(content_block);
  });
  open_ = kind;
}

void EventEncoder::close(std::string& out) {
  if (open_ == Block::none) return;
  write_event(out, "content_block_stop",
              [&](JsonWriter& json) { json.key("index").number(static_cast<int64_t>(next_index_)); });
  open_ = Block::none;
  ++next_index_;
}

// Anthropic's thinking blocks end with a signature, which arrives as a continuation item when the
// block closed upstream: it ends the open thinking block, or, for a block whose text never came
// (redacted, or empty), becomes a whole block of its own.
void EventEncoder::replay_continuation(const Response& so_far, std::string& out) {
  const Continuation& continuation = so_far.continuation;
  if (continuation.provider != "anthropic") return;
  for (; items_seen_ < continuation.items.size(); ++items_seen_) {
    simdjson::dom::object item;
    if (!parse_side_object(continuation.items[items_seen_], item)) continue;
    const std::string_view type = member_text(item, "type");
    if (type == "thinking") {
      const std::string_view thinking = member_text(item, "thinking");
      const std::string_view signature = member_text(item, "signature");
      if (open_ != Block::thinking) {
        open(Block::thinking, R"({"type":"thinking","thinking":"","signature":""})", out);
        if (!thinking.empty()) write_delta(out, next_index_, "thinking_delta", "thinking", thinking);
      }
      write_delta(out, next_index_, "signature_delta", "signature", signature);
      close(out);
    } else if (type == "redacted_thinking") {
      std::string block;
      JsonWriter json(block);
      json.begin_object().key("type").string("redacted_thinking").key("data").string(member_text(item, "data"));
      json.end_object();
      open(Block::thinking, block, out);
      close(out);
    }
  }
}

void EventEncoder::chunk(const StreamChunk& chunk, const Response& so_far, std::string& out) {
  start(so_far, out);
  replay_continuation(so_far, out);
  switch (chunk.kind) {
    case StreamChunk::Kind::text:
      if (chunk.text.empty()) return;
      if (open_ != Block::text) open(Block::text, R"({"type":"text","text":""})", out);
      write_delta(out, next_index_, "text_delta", "text", chunk.text);
      return;
    case StreamChunk::Kind::reasoning:
      if (chunk.text.empty()) return;
      if (open_ != Block::thinking) open(Block::thinking, R"({"type":"thinking","thinking":"","signature":""})", out);
      write_delta(out, next_index_, "thinking_delta", "thinking", chunk.text);
      return;
    case StreamChunk::Kind::tool_call_start: {
      if (chunk.tool_index >= so_far.tool_calls.size()) return;  // nothing to name it by: the host's contract
      const ToolCall& call = so_far.tool_calls[chunk.tool_index];
      std::string block;
      JsonWriter json(block);
      json.begin_object().key("type").string("tool_use").key("id").string(tool_use_id(call, label_, chunk.tool_index));
      json.key("name").string(call.name).key("input").raw_value("{}").end_object();
      open(Block::tool_use, block, out);
      if (!chunk.text.empty()) write_delta(out, next_index_, "input_json_delta", "partial_json", chunk.text);
      return;
    }
    case StreamChunk::Kind::tool_call_arguments:
      // As the model writes them, like Anthropic's own stream (a cut-off call stays partial).
      if (open_ == Block::tool_use && !chunk.text.empty()) {
        write_delta(out, next_index_, "input_json_delta", "partial_json", chunk.text);
      }
      return;
    case StreamChunk::Kind::tool_call_end:
      if (open_ == Block::tool_use) close(out);
      return;
  }
}

void EventEncoder::finish(const Response& answer, std::string& out) {
  start(answer, out);
  replay_continuation(answer, out);
  close(out);
  write_event(out, "message_delta", [&](JsonWriter& json) {
    json.key("delta").begin_object().key("stop_reason").string(stop_reason(answer));
    json.key("stop_sequence").null().end_object();
    json.key("usage").begin_object();
    write_usage_members(json, answer.usage);
    json.end_object();
  });
  write_event(out, "message_stop", [](JsonWriter&) {});
}

void EventEncoder::error(const ClientError& error, std::string& out) {
  // The anthropic SDK raises an APIError for an event named "error", typed by error.type.
  out.append("event: error\ndata: ");
  JsonWriter json(out);
  write_error(json, error);
  out.append("\n\n");
}

}  // namespace majordomo::gateway::anthropic_messages
