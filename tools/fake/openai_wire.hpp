// What the fake's OpenAI-shaped protocols share: error bodies, auth, response headers, the Chat Completions body reader (DeepSeek's too).
#pragma once

#include "fake_server.hpp"
#include "provider_protocol.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace majordomo::fake {

// The real API formats its error envelope differently per endpoint (PROTOCOLS.md §1.4, §1b.4).
enum class OpenAIErrorLayout {
  chat,       // four-space indentation and a trailing newline
  responses,  // two-space indentation, no trailing newline
};

// {"error":{"message","type","param":null,"code"}} with the given status.
ScriptedResponse openai_error(int status, std::string_view message, std::string_view type,
                              std::optional<std::string_view> code,
                              OpenAIErrorLayout layout = OpenAIErrorLayout::chat);

// The 400 for a body that is not JSON.
ScriptedResponse openai_invalid_json(OpenAIErrorLayout layout);

// The 401 the real API gives for a missing or (with FakeServerOptions::required_api_key) wrong
// Bearer key; nothing when the request may proceed.
std::optional<ScriptedResponse> check_openai_auth(const RecordedRequest& request, const FakeServerOptions& options,
                                                  OpenAIErrorLayout layout);

// Request id, processing time, version and rate-limit headers as OpenAI sends them.
std::vector<Header> openai_standard_headers(const RecordedRequest& request, std::chrono::milliseconds handling_time);

// The tool call the fake answers a request with: of the named tool_choice, else of the first
// tool, with arguments made from its parameters schema (schema_example).
struct PlannedToolCall {
  std::string name;
  std::string arguments;  // compact JSON text
};

// What the fake reads from a Chat Completions body (OpenAI's, and DeepSeek's copy of it).
struct ChatCompletionsBody {
  std::string model;           // the caller's, else the default given to the reader
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
  // Set when the body lists tools, tool_choice is not "none" and the last message is not a tool
  // result: the model "calls" a tool. After a tool result it answers with text, so an offline
  // conversation loop runs to its end.
  std::optional<PlannedToolCall> tool_call;
  bool thinking_disabled = false;  // DeepSeek's `thinking: {"type":"disabled"}`
};

// The tool call as a Chat Completions reply: a body with `tool_calls` and finish_reason
// "tool_calls", or a stream of its fragments (id and name first, then the arguments in two
// pieces) ending with a usage chunk and [DONE]. `id_prefix` starts the response id ("chatcmpl-").
// A non-empty `reasoning` is the message's `reasoning_content` (DeepSeek's thinking mode): in a
// stream, two deltas of it before the call's fragments.
ScriptedResponse chat_tool_call_reply(const RecordedRequest& request, const ChatCompletionsBody& chat,
                                      std::string_view id_prefix, std::string_view usage_json,
                                      std::string_view reasoning = {});

// The body's fields; nothing when the body is not a JSON object.
std::optional<ChatCompletionsBody> read_chat_completions_body(const RecordedRequest& request,
                                                              std::string_view default_model);

// Auth and response headers as both OpenAI APIs handle them; each API adds its routes and replies.
class OpenAIFamilyProtocol : public PostRoutedProtocol {
public:
  OpenAIFamilyProtocol(std::string_view name, std::string_view path_suffix, OpenAIErrorLayout layout)
      : PostRoutedProtocol(name, path_suffix), layout_(layout) {}

  std::optional<ScriptedResponse> check_auth(const RecordedRequest& request,
                                             const FakeServerOptions& options) const override {
    return check_openai_auth(request, options, layout_);
  }

  std::vector<Header> standard_headers(const RecordedRequest& request,
                                       std::chrono::milliseconds handling_time) const override {
    return openai_standard_headers(request, handling_time);
  }

protected:
  const OpenAIErrorLayout layout_;
};

}  // namespace majordomo::fake
