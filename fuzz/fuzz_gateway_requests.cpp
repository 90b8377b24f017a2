// libFuzzer target: the gateway's client-shape readers (OpenAI Chat, Anthropic Messages) on any body, and the encoders on what they read.
#include "anthropic_messages_shape.hpp"
#include "openai_chat_shape.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using majordomo::Response;
using majordomo::StreamChunk;
using majordomo::gateway::AnswerLabel;
using majordomo::gateway::ClientRefusal;
using majordomo::gateway::ClientRequest;

// What a decoded request promises the server, whatever the body was.
void check_invariants(const ClientRequest& request) {
  if (request.model.empty() || request.request.messages.empty()) std::abort();
  if (request.include_usage && !request.stream) std::abort();
  if (request.request.tool_choice.mode != majordomo::ToolChoice::Mode::automatic && request.request.tools.empty()) {
    std::abort();
  }
}

// The request's texts sent back through both encoders as an answer: arbitrary UTF-8 and JSON
// arguments through the writers.
void encode_back(const ClientRequest& request) {
  AnswerLabel label;
  label.id = "id";
  label.model = request.model;
  Response answer;
  for (const auto& message : request.request.messages) {
    answer.content += message.content;
    for (const auto& call : message.tool_calls) answer.tool_calls.push_back(call);
    if (!message.continuation.empty()) answer.continuation = message.continuation;
  }
  std::string out = majordomo::gateway::openai_chat::completion_json(answer, label);
  out += majordomo::gateway::anthropic_messages::message_json(answer, label);
  majordomo::gateway::openai_chat::ChunkEncoder chunks(label, true);
  majordomo::gateway::anthropic_messages::EventEncoder events(label);
  StreamChunk chunk;
  chunk.text = answer.content;
  chunks.chunk(chunk, answer, out);
  events.chunk(chunk, answer, out);
  for (std::size_t i = 0; i < answer.tool_calls.size(); ++i) {
    chunk.kind = StreamChunk::Kind::tool_call_start;
    chunk.tool_index = i;
    chunk.text = answer.tool_calls[i].arguments;
    chunks.chunk(chunk, answer, out);
    events.chunk(chunk, answer, out);
  }
  chunks.finish(answer, out);
  events.finish(answer, out);
}

template <class Read>
void try_shape(std::string_view body, Read&& read) {
  ClientRequest request;
  try {
    request = read(body);
  } catch (const ClientRefusal& refusal) {
    if (refusal.status() != 400 && refusal.status() != 413) std::abort();
    return;  // refusing is fine; any other exception escapes and is reported as a crash
  }
  check_invariants(request);
  encode_back(request);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  try_shape(body, majordomo::gateway::openai_chat::read_request);
  try_shape(body, majordomo::gateway::anthropic_messages::read_request);
  return 0;
}
