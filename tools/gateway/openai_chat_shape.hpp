// The OpenAI Chat Completions shape of the gateway: requests in, chat.completion objects and chunk events out.
#pragma once

#include "client_request.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace majordomo::gateway::openai_chat {

// Decodes a POST /v1/chat/completions body into the neutral request: messages (system,
// developer, user with text and image parts, assistant with tool_calls, tool results), tools,
// tool_choice, parallel_tool_calls, response_format, max_tokens / max_completion_tokens,
// temperature, top_p, reasoning_effort, stream and stream_options. A field that would change the
// answer and has no neutral form (n > 1, stop, logprobs, …) is refused, never dropped; fields
// that only label the call are accepted and ignored (docs/gateway.md lists both). Throws
// ClientRefusal naming the field.
[[nodiscard]] ClientRequest read_request(std::string_view body);

// The chat.completion object of a complete answer.
[[nodiscard]] std::string completion_json(const Response& answer, const AnswerLabel& label);

// {"error":{"message","type","param","code"}}, the type chosen from the status the way OpenAI
// does (400 invalid_request_error, 401 authentication_error, 429 rate_limit_exceeded, …).
[[nodiscard]] std::string error_json(const ClientError& error);

// Encodes one streamed answer as chat.completion.chunk server-sent events. Each call appends
// whole events ("data: …\n\n") to `out`, so the server can flush after every call.
class ChunkEncoder {
 public:
  ChunkEncoder(AnswerLabel label, bool include_usage);
  // The event(s) for one chunk of the stream (the first call also writes the role chunk);
  // `so_far` is the stream's response() after the chunk (tool call ids and names live there).
  void chunk(const StreamChunk& chunk, const Response& so_far, std::string& out);
  // The finish_reason chunk, the usage chunk when it was asked for, then "data: [DONE]".
  void finish(const Response& answer, std::string& out);
  // A failure after the response head went out: an error event in OpenAI's error shape.
  void error(const ClientError& error, std::string& out);

 private:
  // A text event's bytes before and after its escaped text, made once per stream and field.
  struct TextFrame {
    std::string head;
    std::string tail;
  };
  TextFrame text_frame(std::string_view field) const;

  AnswerLabel label_;
  bool include_usage_;
  bool started_ = false;
  std::optional<TextFrame> content_frame_;
  std::optional<TextFrame> reasoning_frame_;
};

}  // namespace majordomo::gateway::openai_chat
