// The Anthropic Messages shape of the gateway: requests in, message objects and stream events out.
#pragma once

#include "client_request.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace majordomo::gateway::anthropic_messages {

// Decodes a POST /v1/messages body into the neutral request: system (string or text blocks),
// messages with text, image (base64 and url sources), tool_use, tool_result and thinking blocks,
// tools, tool_choice, max_tokens, temperature, top_p, thinking, cache_control, stream. A field
// that would change the answer and has no neutral form (stop_sequences, top_k, …) is refused,
// never dropped; fields that only label the call (metadata) are accepted and ignored
// (docs/gateway.md lists both). Throws ClientRefusal naming the field.
[[nodiscard]] ClientRequest read_request(std::string_view body);

// The message object of a complete answer.
[[nodiscard]] std::string message_json(const Response& answer, const AnswerLabel& label);

// {"type":"error","error":{"type","message"}}, the type chosen from the status the way
// Anthropic does (400 invalid_request_error, 401 authentication_error, 429 rate_limit_error,
// 529 overloaded_error, …).
[[nodiscard]] std::string error_json(const ClientError& error);

// Encodes one streamed answer as Messages stream events (message_start, content_block_start /
// _delta / _stop, message_delta, message_stop). Each call appends whole events
// ("event: …\ndata: …\n\n") to `out`, so the server can flush after every call.
class EventEncoder {
 public:
  explicit EventEncoder(AnswerLabel label);
  // The event(s) for one chunk (the first call also writes message_start); `so_far` is the
  // stream's response() after the chunk.
  void chunk(const StreamChunk& chunk, const Response& so_far, std::string& out);
  // Closes the open block, then message_delta (stop_reason, usage) and message_stop.
  void finish(const Response& answer, std::string& out);
  // A failure after the response head went out: an `error` event in Anthropic's error shape.
  void error(const ClientError& error, std::string& out);

 private:
  enum class Block { none, text, thinking, tool_use };
  void start(const Response& so_far, std::string& out);
  void open(Block kind, std::string_view content_block, std::string& out);
  void close(std::string& out);
  void replay_continuation(const Response& so_far, std::string& out);

  AnswerLabel label_;
  bool started_ = false;
  Block open_ = Block::none;        // the kind of the block open now
  std::size_t next_index_ = 0;      // the index the next block gets (blocks are numbered densely)
  std::size_t items_seen_ = 0;      // continuation items already turned into signatures or blocks
};

}  // namespace majordomo::gateway::anthropic_messages
