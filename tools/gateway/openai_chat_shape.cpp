// The OpenAI Chat Completions shape, answer side: chat.completion objects, chunk events and error objects.
#include "openai_chat_shape.hpp"

#include <majordomo/sdk/json_writer.hpp>

#include <fmt/format.h>

namespace majordomo::gateway::openai_chat {
namespace {

using sdk::JsonWriter;

std::string_view finish_reason(const Response& answer) {
  switch (answer.stop_reason) {
    case StopReason::max_tokens: return "length";
    case StopReason::tool_use: return "tool_calls";
    case StopReason::content_filter: return "content_filter";
    case StopReason::end_turn:
    case StopReason::stop_sequence:
    case StopReason::unknown:
    case StopReason::error: break;
  }
  // A provider that ends an answer with calls as a plain stop (Gemini) still made calls.
  return answer.tool_calls.empty() ? "stop" : "tool_calls";
}

// Gemini's calls have no id; a client needs one to answer the call, unique within the answer.
void write_call_id(JsonWriter& json, const ToolCall& call, const AnswerLabel& label, std::size_t index) {
  if (!call.id.empty()) {
    json.string(call.id);
  } else {
    json.string(fmt::format("call_{}_{}", label.id, index));
  }
}

void write_usage(JsonWriter& json, const Usage& usage) {
  json.begin_object();
  json.key("prompt_tokens").number(usage.input_tokens);
  json.key("completion_tokens").number(usage.output_tokens);
  json.key("total_tokens").number(usage.input_tokens + usage.output_tokens);
  json.key("prompt_tokens_details").begin_object().key("cached_tokens").number(usage.cached_tokens).end_object();
  json.key("completion_tokens_details").begin_object();
  json.key("reasoning_tokens").number(usage.reasoning_tokens).end_object();
  json.end_object();
}

// The members every object of the answer starts with.
void write_head(JsonWriter& json, const AnswerLabel& label, std::string_view object) {
  json.key("id").string(label.id);
  json.key("object").string(object);
  json.key("created").number(label.created);
  json.key("model").string(label.model);
}

std::string_view error_type(int status) {
  if (status == 401) return "invalid_request_error";  // OpenAI's own 401s: code invalid_api_key
  if (status == 403) return "request_forbidden";
  if (status == 429) return "requests";               // OpenAI's type for a request-rate limit
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

std::string_view default_code(int status) {
  if (status == 401) return "invalid_api_key";
  if (status == 429) return "rate_limit_exceeded";
  return {};
}

void write_error(JsonWriter& json, const ClientError& error) {
  json.begin_object().key("error").begin_object();
  json.key("message").string(error.message);
  json.key("type").string(error_type(error.status));
  json.key("param").string_or_null(error.param);
  json.key("code").string_or_null(error.code.empty() ? default_code(error.status) : std::string_view(error.code));
  json.end_object().end_object();
}

}  // namespace

std::string completion_json(const Response& answer, const AnswerLabel& label) {
  std::string out;
  out.reserve(256 + answer.content.size() + answer.reasoning.size());
  JsonWriter json(out);
  json.begin_object();
  write_head(json, label, "chat.completion");
  json.key("choices").begin_array().begin_object();
  json.key("index").number(int64_t{0});
  json.key("message").begin_object();
  json.key("role").string("assistant");
  json.key("content");
  if (answer.content.empty() && !answer.tool_calls.empty()) {
    json.null();
  } else {
    json.string(answer.content);
  }
  json.key("refusal").null();
  if (!answer.reasoning.empty()) json.key("reasoning_content").string(answer.reasoning);
  if (!answer.tool_calls.empty()) {
    json.key("tool_calls").begin_array();
    for (std::size_t i = 0; i < answer.tool_calls.size(); ++i) {
      const ToolCall& call = answer.tool_calls[i];
      json.begin_object().key("id");
      write_call_id(json, call, label, i);
      json.key("type").string("function");
      json.key("function").begin_object().key("name").string(call.name);
      // As the model wrote them, even when they do not parse: OpenAI passes them on the same way.
      json.key("arguments").string(call.arguments).end_object();
      json.end_object();
    }
    json.end_array();
  }
  json.end_object();
  json.key("logprobs").null();
  json.key("finish_reason").string(finish_reason(answer));
  json.end_object().end_array();
  json.key("usage");
  write_usage(json, answer.usage);
  json.end_object();
  return out;
}

std::string error_json(const ClientError& error) {
  std::string out;
  JsonWriter json(out);
  write_error(json, error);
  return out;
}

ChunkEncoder::ChunkEncoder(AnswerLabel label, bool include_usage)
    : label_(std::move(label)), include_usage_(include_usage) {}

namespace {

// One chunk event: the head, one choice whose delta `write_delta` fills, and the finish reason.
template <class WriteDelta>
void write_chunk(std::string& out, const AnswerLabel& label, bool include_usage, std::string_view finish,
                 WriteDelta&& write_delta) {
  out.append("data: ");
  JsonWriter json(out);
  json.begin_object();
  write_head(json, label, "chat.completion.chunk");
  json.key("choices").begin_array().begin_object();
  json.key("index").number(int64_t{0});
  json.key("delta").begin_object();
  write_delta(json);
  json.end_object();
  json.key("logprobs").null();
  json.key("finish_reason").string_or_null(finish);
  json.end_object().end_array();
  // OpenAI marks every chunk but the last with "usage": null when usage was asked for.
  if (include_usage) json.key("usage").null();
  json.end_object();
  out.append("\n\n");
}

// The first event: the role, as OpenAI opens every stream.
void write_role_chunk(std::string& out, const AnswerLabel& label, bool include_usage) {
  write_chunk(out, label, include_usage, {}, [](JsonWriter& json) {
    json.key("role").string("assistant").key("content").string("").key("refusal").null();
  });
}

}  // namespace

ChunkEncoder::TextFrame ChunkEncoder::text_frame(std::string_view field) const {
  // The event as write_chunk writes it, cut where the text goes: the text events of a stream
  // (nearly all of them) then cost two appends and the escaping, in the same bytes. The stand-in
  // is the byte 0x01, which JSON escapes as a six-byte sequence; the last one is the text's (the
  // label's strings come before it).
  std::string sample;
  write_chunk(sample, label_, include_usage_, {}, [&](JsonWriter& json) { json.key(field).string("\x01"); });
  const std::size_t at = sample.rfind("\\u0001");
  return TextFrame{sample.substr(0, at), sample.substr(at + 6)};
}

void ChunkEncoder::chunk(const StreamChunk& chunk, const Response& so_far, std::string& out) {
  if (!started_) {
    started_ = true;
    write_role_chunk(out, label_, include_usage_);
  }
  switch (chunk.kind) {
    case StreamChunk::Kind::text:
    case StreamChunk::Kind::reasoning: {
      if (chunk.text.empty()) return;
      const bool text = chunk.kind == StreamChunk::Kind::text;
      std::optional<TextFrame>& frame = text ? content_frame_ : reasoning_frame_;
      if (!frame) frame = text_frame(text ? "content" : "reasoning_content");
      out.append(frame->head);
      sdk::append_json_escaped(out, chunk.text);
      out.append(frame->tail);
      return;
    }
    case StreamChunk::Kind::tool_call_start:
    case StreamChunk::Kind::tool_call_arguments: {
      if (chunk.tool_index >= so_far.tool_calls.size()) return;  // nothing to name it by: the host's contract
      const bool start = chunk.kind == StreamChunk::Kind::tool_call_start;
      if (!start && chunk.text.empty()) return;
      const ToolCall& call = so_far.tool_calls[chunk.tool_index];
      write_chunk(out, label_, include_usage_, {}, [&](JsonWriter& json) {
        json.key("tool_calls").begin_array().begin_object();
        json.key("index").number(static_cast<int64_t>(chunk.tool_index));
        if (start) {
          json.key("id");
          write_call_id(json, call, label_, chunk.tool_index);
          json.key("type").string("function");
          json.key("function").begin_object().key("name").string(call.name);
        } else {
          json.key("function").begin_object();
        }
        json.key("arguments").string(chunk.text).end_object();
        json.end_object().end_array();
      });
      return;
    }
    case StreamChunk::Kind::tool_call_end: return;  // OpenAI marks no call's end
  }
}

void ChunkEncoder::finish(const Response& answer, std::string& out) {
  if (!started_) {
    started_ = true;
    write_role_chunk(out, label_, include_usage_);
  }
  write_chunk(out, label_, include_usage_, finish_reason(answer), [](JsonWriter&) {});
  if (include_usage_) {
    out.append("data: ");
    JsonWriter json(out);
    json.begin_object();
    write_head(json, label_, "chat.completion.chunk");
    json.key("choices").begin_array().end_array();
    json.key("usage");
    write_usage(json, answer.usage);
    json.end_object();
    out.append("\n\n");
  }
  out.append("data: [DONE]\n\n");
}

void ChunkEncoder::error(const ClientError& error, std::string& out) {
  // The openai SDK raises an APIError for any data event with an "error" member.
  out.append("data: ");
  JsonWriter json(out);
  write_error(json, error);
  out.append("\n\n");
}

}  // namespace majordomo::gateway::openai_chat
