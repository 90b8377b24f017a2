// OpenAI-shaped SSE streams of numbered words for the fake server: written at once, or paused where a test needs a gap.
#pragma once

#include "fake_server.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace majordomo::testing {

// "w0 ", "w1 ", …: pieces whose order a test can check anywhere they end up.
inline std::vector<std::string> numbered_words(int count) {
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) out.push_back(fmt::format("w{} ", i));
  return out;
}

inline std::string joined(const std::vector<std::string>& pieces) {
  std::string text;
  for (const std::string& piece : pieces) text += piece;
  return text;
}

// One OpenAI stream event carrying `word` as its text.
inline std::string word_event(const std::string& word) {
  return fmt::format(R"(data: {{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o",)"
                     R"("choices":[{{"index":0,"delta":{{"content":"{}"}},"finish_reason":null}}]}})"
                     "\n\n",
                     word);
}

// The events that end an OpenAI stream: the stop, the usage (one output token per word), the terminator.
inline std::string stream_end(std::size_t output_tokens) {
  return fmt::format(R"(data: {{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o",)"
                     R"("choices":[{{"index":0,"delta":{{}},"finish_reason":"stop"}}]}})"
                     "\n\n"
                     R"(data: {{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[],)"
                     R"("usage":{{"prompt_tokens":3,"completion_tokens":{},"total_tokens":{}}}}})"
                     "\n\ndata: [DONE]\n\n",
                     output_tokens, output_tokens + 3);
}

// Body bytes of the events of the first `count` words: where a pause after them begins.
inline std::size_t bytes_of_words(const std::vector<std::string>& pieces, std::size_t count) {
  std::size_t bytes = 0;
  for (std::size_t i = 0; i < count && i < pieces.size(); ++i) bytes += word_event(pieces[i]).size();
  return bytes;
}

// The fake's next answer: `pieces` as one stream, written at once unless `pause_after` (body
// bytes) stops it there for a minute, far longer than any test waits: only a cancellation, or the
// server's stop, ends that pause.
inline void stream_next(fake::FakeProviderServer& server, const std::vector<std::string>& pieces,
                        std::optional<std::size_t> pause_after = std::nullopt) {
  fake::ScriptedResponse answer;
  answer.content_type = "text/event-stream";
  for (const std::string& word : pieces) answer.body += word_event(word);
  answer.body += stream_end(pieces.size());
  answer.split_at = {answer.body.size()};  // one write (the fake's default is one per event)
  if (pause_after) {
    answer.stall_after = pause_after;
    answer.stall_for = std::chrono::seconds(60);
  }
  server.push_response(std::move(answer));
}

}  // namespace majordomo::testing
