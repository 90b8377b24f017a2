// Provider-shaped answers and error bodies for --misbehave (the shapes of PROTOCOLS.md, trimmed to what clients read).
#include "misbehaving_answers.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>

namespace majordomo::fake {
namespace {

std::string quoted(std::string_view text) {
  // Only for the fixed ids and model names of this file and the request's model, which the route
  // parser already limited to [A-Za-z0-9._:-].
  return fmt::format("\"{}\"", text);
}

std::string openai_usage(const AnswerShape& s) {
  return fmt::format(R"({{"prompt_tokens":{},"completion_tokens":{},"total_tokens":{},)"
                     R"("prompt_tokens_details":{{"cached_tokens":{}}},"completion_tokens_details":{{"reasoning_tokens":0}}}})",
                     s.input_tokens, s.output_tokens, s.input_tokens, s.cached_tokens);
}

std::string deepseek_usage(const AnswerShape& s) {
  return fmt::format(R"({{"prompt_tokens":{},"completion_tokens":{},"total_tokens":{},)"
                     R"("prompt_tokens_details":{{"cached_tokens":{}}},"prompt_cache_hit_tokens":{},"prompt_cache_miss_tokens":{}}})",
                     s.input_tokens, s.output_tokens, s.input_tokens, s.cached_tokens, s.cached_tokens, s.input_tokens);
}

std::string chat_completion(std::string_view model, const AnswerShape& s, const std::string& usage) {
  return fmt::format(R"({{"id":"chatcmpl-hostile","object":"chat.completion","created":1765000000,"model":{},)"
                     R"("choices":[{{"index":0,"message":{{"role":"assistant","content":{},"refusal":null}},)"
                     R"("logprobs":null,"finish_reason":"stop"}}],"usage":{}}})",
                     quoted(model), s.content, usage);
}

std::string chat_stream(std::string_view model, const AnswerShape& s, const std::string& usage) {
  const std::string head = fmt::format(
      R"("id":"chatcmpl-hostile","object":"chat.completion.chunk","created":1765000000,"model":{})", quoted(model));
  std::string out;
  out += fmt::format(R"(data: {{{},"choices":[{{"index":0,"delta":{{"role":"assistant","content":""}},"finish_reason":null}}]}})"
                     "\n\n", head);
  out += fmt::format(R"(data: {{{},"choices":[{{"index":0,"delta":{{"content":{}}},"finish_reason":null}}]}})"
                     "\n\n", head, s.content);
  out += fmt::format(R"(data: {{{},"choices":[{{"index":0,"delta":{{}},"finish_reason":"stop"}}]}})"
                     "\n\n", head);
  out += fmt::format(R"(data: {{{},"choices":[],"usage":{}}})"
                     "\n\n", head, usage);
  out += "data: [DONE]\n\n";
  return out;
}

std::string responses_object(std::string_view model, const AnswerShape& s, bool completed) {
  const std::string output =
      completed ? fmt::format(R"([{{"type":"message","id":"msg_hostile","status":"completed","role":"assistant",)"
                              R"("content":[{{"type":"output_text","text":{},"annotations":[]}}]}}])",
                              s.content)
                : "[]";
  const std::string usage =
      completed ? fmt::format(R"({{"input_tokens":{},"input_tokens_details":{{"cached_tokens":{}}},"output_tokens":{},)"
                              R"("output_tokens_details":{{"reasoning_tokens":0}},"total_tokens":{}}})",
                              s.input_tokens, s.cached_tokens, s.output_tokens, s.input_tokens)
                : "null";
  return fmt::format(R"({{"id":"resp_hostile","object":"response","created_at":1765000000,"status":{},"error":null,)"
                     R"("incomplete_details":null,"model":{},"output":{},"usage":{}}})",
                     completed ? R"("completed")" : R"("in_progress")", quoted(model), output, usage);
}

std::string responses_stream(std::string_view model, const AnswerShape& s) {
  const auto event = [](std::string_view type, const std::string& data) {
    return fmt::format("event: {}\ndata: {}\n\n", type, data);
  };
  std::string out;
  out += event("response.created", fmt::format(R"({{"type":"response.created","sequence_number":0,"response":{}}})",
                                               responses_object(model, s, false)));
  out += event("response.output_item.added",
               R"({"type":"response.output_item.added","sequence_number":1,"output_index":0,)"
               R"("item":{"id":"msg_hostile","type":"message","status":"in_progress","content":[],"role":"assistant"}})");
  out += event("response.output_text.delta",
               fmt::format(R"({{"type":"response.output_text.delta","sequence_number":2,"item_id":"msg_hostile",)"
                           R"("output_index":0,"content_index":0,"delta":{}}})",
                           s.content));
  out += event("response.completed", fmt::format(R"({{"type":"response.completed","sequence_number":3,"response":{}}})",
                                                 responses_object(model, s, true)));
  return out;
}

std::string anthropic_usage(const AnswerShape& s, std::string_view output) {
  return fmt::format(R"({{"input_tokens":{},"cache_creation_input_tokens":{},"cache_read_input_tokens":{},"output_tokens":{}}})",
                     s.input_tokens, s.cache_write_tokens, s.cached_tokens, output);
}

std::string anthropic_message(std::string_view model, const AnswerShape& s) {
  return fmt::format(R"({{"id":"msg_hostile","type":"message","role":"assistant","model":{},)"
                     R"("content":[{{"type":"text","text":{}}}],"stop_reason":"end_turn","stop_sequence":null,"usage":{}}})",
                     quoted(model), s.content, anthropic_usage(s, s.output_tokens));
}

std::string anthropic_stream(std::string_view model, const AnswerShape& s) {
  const auto event = [](std::string_view type, const std::string& data) {
    return fmt::format("event: {}\ndata: {}\n\n", type, data);
  };
  std::string out;
  out += event("message_start",
               fmt::format(R"({{"type":"message_start","message":{{"id":"msg_hostile","type":"message","role":"assistant",)"
                           R"("model":{},"content":[],"stop_reason":null,"stop_sequence":null,"usage":{}}}}})",
                           quoted(model), anthropic_usage(s, "1")));
  out += event("content_block_start", R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})");
  out += event("content_block_delta",
               fmt::format(R"({{"type":"content_block_delta","index":0,"delta":{{"type":"text_delta","text":{}}}}})", s.content));
  out += event("content_block_stop", R"({"type":"content_block_stop","index":0})");
  out += event("message_delta",
               fmt::format(R"({{"type":"message_delta","delta":{{"stop_reason":"end_turn","stop_sequence":null}},"usage":{{"output_tokens":{}}}}})",
                           s.output_tokens));
  out += event("message_stop", R"({"type":"message_stop"})");
  return out;
}

std::string gemini_response(std::string_view model, const AnswerShape& s) {
  return fmt::format(R"({{"candidates":[{{"content":{{"parts":[{{"text":{}}}],"role":"model"}},"finishReason":"STOP","index":0}}],)"
                     R"("usageMetadata":{{"promptTokenCount":{},"candidatesTokenCount":{},"totalTokenCount":{},"cachedContentTokenCount":{}}},)"
                     R"("modelVersion":{},"responseId":"hostile"}})",
                     s.content, s.input_tokens, s.output_tokens, s.input_tokens, s.cached_tokens, quoted(model));
}

std::string cohere_usage(const AnswerShape& s) {
  return fmt::format(R"({{"billed_units":{{"input_tokens":{},"output_tokens":{}}},"tokens":{{"input_tokens":{},"output_tokens":{}}},"cached_tokens":{}}})",
                     s.input_tokens, s.output_tokens, s.input_tokens, s.output_tokens, s.cached_tokens);
}

std::string cohere_chat(const AnswerShape& s) {
  return fmt::format(R"({{"id":"hostile","finish_reason":"COMPLETE","message":{{"role":"assistant","content":[{{"type":"text","text":{}}}]}},"usage":{}}})",
                     s.content, cohere_usage(s));
}

std::string cohere_stream(const AnswerShape& s) {
  const auto event = [](std::string_view type, const std::string& data) {
    return fmt::format("event: {}\ndata: {}\n\n", type, data);
  };
  std::string out;
  out += event("message-start",
               R"({"id":"hostile","type":"message-start","delta":{"message":{"role":"assistant","content":[],"tool_plan":"","tool_calls":[],"citations":[]}}})");
  out += event("content-start", R"({"type":"content-start","index":0,"delta":{"message":{"content":{"type":"text","text":""}}}})");
  out += event("content-delta",
               fmt::format(R"({{"type":"content-delta","index":0,"delta":{{"message":{{"content":{{"text":{}}}}}}}}})", s.content));
  out += event("content-end", R"({"type":"content-end","index":0})");
  out += event("message-end",
               fmt::format(R"({{"type":"message-end","delta":{{"finish_reason":"COMPLETE","usage":{}}}}})", cohere_usage(s)));
  return out;
}

uint32_t crc32(std::string_view data) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t n = 0; n < 256; ++n) {
      uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1u) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[n] = c;
    }
    return t;
  }();
  uint32_t c = 0xFFFFFFFFu;
  for (const char ch : data) c = table[(c ^ static_cast<unsigned char>(ch)) & 0xFFu] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

void append_le32(std::string& out, uint32_t value) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((value >> (8 * i)) & 0xFFu);
}

}  // namespace

std::string_view answer_content_type(bool stream) {
  return stream ? "text/event-stream; charset=utf-8" : "application/json";
}

std::string answer_body(Route route, bool stream, std::string_view model, const AnswerShape& shape) {
  switch (route) {
    case Route::openai_chat:
      return stream ? chat_stream(model, shape, openai_usage(shape)) : chat_completion(model, shape, openai_usage(shape));
    case Route::deepseek:
      return stream ? chat_stream(model, shape, deepseek_usage(shape)) : chat_completion(model, shape, deepseek_usage(shape));
    case Route::openai_responses:
      return stream ? responses_stream(model, shape) : responses_object(model, shape, true);
    case Route::anthropic:
      return stream ? anthropic_stream(model, shape) : anthropic_message(model, shape);
    case Route::gemini:
      // Gemini streams are a series of whole GenerateContentResponse objects; one is enough.
      return stream ? fmt::format("data: {}\r\n\r\n", gemini_response(model, shape)) : gemini_response(model, shape);
    case Route::cohere:
      return stream ? cohere_stream(shape) : cohere_chat(shape);
    case Route::unknown:
      break;
  }
  return "{}";
}

std::string kept_flood_opening(Route route, std::string_view model) {
  switch (route) {
    case Route::openai_chat:
    case Route::deepseek:
      return fmt::format(R"(data: {{"id":"chatcmpl-flood","object":"chat.completion.chunk","created":1765000000,)"
                         R"("model":{},"choices":[{{"index":0,"delta":{{"role":"assistant","content":null,)"
                         R"("tool_calls":[{{"index":0,"id":"call_flood","type":"function",)"
                         R"("function":{{"name":"flood","arguments":""}}}}]}},"finish_reason":null}}]}})"
                         "\n\n",
                         quoted(model));
    case Route::openai_responses:
      return fmt::format("event: response.created\ndata: {{\"type\":\"response.created\",\"sequence_number\":0,"
                         "\"response\":{}}}\n\n",
                         responses_object(model, AnswerShape{}, false));
    case Route::anthropic:
      return fmt::format("event: message_start\ndata: {{\"type\":\"message_start\",\"message\":{{\"id\":\"msg_flood\","
                         "\"type\":\"message\",\"role\":\"assistant\",\"model\":{},\"content\":[],\"stop_reason\":null,"
                         "\"stop_sequence\":null,\"usage\":{}}}}}\n\n",
                         quoted(model), anthropic_usage(AnswerShape{}, "1"));
    case Route::cohere:
      return "event: message-start\ndata: {\"id\":\"flood\",\"type\":\"message-start\",\"delta\":{\"message\":"
             "{\"role\":\"assistant\"}}}\n\n"
             "event: tool-call-start\ndata: {\"type\":\"tool-call-start\",\"index\":0,\"delta\":{\"message\":"
             "{\"tool_calls\":{\"id\":\"call_flood\",\"type\":\"function\",\"function\":{\"name\":\"flood\","
             "\"arguments\":\"\"}}}}}\n\n";
    case Route::gemini:
    case Route::unknown:
      break;
  }
  return {};
}

std::string kept_flood_piece(Route route, size_t n, std::string_view filler) {
  switch (route) {
    case Route::openai_chat:
    case Route::deepseek:
      return fmt::format(R"(data: {{"id":"chatcmpl-flood","object":"chat.completion.chunk","created":1765000000,)"
                         R"("choices":[{{"index":0,"delta":{{"tool_calls":[{{"index":0,"function":{{"arguments":"{}"}}}}]}},)"
                         R"("finish_reason":null}}]}})"
                         "\n\n",
                         filler);
    case Route::openai_responses:
      return fmt::format("event: response.output_item.done\ndata: {{\"type\":\"response.output_item.done\","
                         "\"sequence_number\":{},\"output_index\":{},\"item\":{{\"id\":\"rs_{}\",\"type\":\"reasoning\","
                         "\"summary\":[],\"encrypted_content\":\"{}\"}}}}\n\n",
                         n + 1, n, n, filler);
    case Route::anthropic: {
      std::string out = fmt::format(
          "event: content_block_start\ndata: {{\"type\":\"content_block_start\",\"index\":{0},\"content_block\":"
          "{{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}}}}\n\n"
          "event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":{0},\"delta\":"
          "{{\"type\":\"thinking_delta\",\"thinking\":\"{1}\"}}}}\n\n"
          "event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":{0},\"delta\":"
          "{{\"type\":\"signature_delta\",\"signature\":\"sig{0}\"}}}}\n\n",
          n, filler);
      // Odd blocks stay open: what a decoder gathers counts as much as what it emitted.
      if (n % 2 == 0) {
        out += fmt::format("event: content_block_stop\ndata: {{\"type\":\"content_block_stop\",\"index\":{}}}\n\n", n);
      }
      return out;
    }
    case Route::gemini:
      return fmt::format(R"(data: {{"candidates":[{{"content":{{"parts":[{{"text":"{}.","thoughtSignature":"{}"}}],)"
                         R"("role":"model"}},"index":0}}],"modelVersion":"gemini-flood"}})"
                         "\r\n\r\n",
                         n, filler);
    case Route::cohere:
      return fmt::format("event: tool-call-delta\ndata: {{\"type\":\"tool-call-delta\",\"index\":0,\"delta\":"
                         "{{\"message\":{{\"tool_calls\":{{\"function\":{{\"arguments\":\"{}\"}}}}}}}}}}\n\n",
                         filler);
    case Route::unknown:
      break;
  }
  return {};
}

std::string error_body(Route route, int status, std::string_view message_json) {
  switch (route) {
    case Route::openai_chat:
    case Route::openai_responses:
    case Route::deepseek:
      return fmt::format(R"({{"error":{{"message":{},"type":"invalid_request_error","param":null,"code":null}}}})", message_json);
    case Route::anthropic:
      return fmt::format(R"({{"type":"error","error":{{"type":"{}","message":{}}}}})",
                         status >= 500 ? "api_error" : "invalid_request_error", message_json);
    case Route::gemini:
      return fmt::format(R"({{"error":{{"code":{},"message":{},"status":"{}"}}}})", status, message_json,
                         status >= 500 ? "INTERNAL" : "INVALID_ARGUMENT");
    case Route::cohere:
    case Route::unknown:
      break;
  }
  return fmt::format(R"({{"id":"hostile","message":{}}})", message_json);
}

std::string gzip_stored(std::string_view data) {
  std::string out("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", 10);  // magic, deflate, no flags, no mtime, unknown OS
  size_t offset = 0;
  do {
    const size_t length = std::min<size_t>(data.size() - offset, 0xFFFF);
    const bool last = offset + length == data.size();
    out += static_cast<char>(last ? 1 : 0);  // BFINAL, BTYPE 00 (stored)
    out += static_cast<char>(length & 0xFFu);
    out += static_cast<char>(length >> 8);
    out += static_cast<char>(~length & 0xFFu);
    out += static_cast<char>((~length >> 8) & 0xFFu);
    out.append(data.substr(offset, length));
    offset += length;
  } while (offset < data.size());
  append_le32(out, crc32(data));
  append_le32(out, static_cast<uint32_t>(data.size()));
  return out;
}

}  // namespace majordomo::fake
