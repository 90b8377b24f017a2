// DeepSeek Chat Completions as the fake server speaks it: routing beside OpenAI, Bearer auth, fixture replay.
#include "provider_protocol.hpp"

#include "json_text.hpp"
#include "openai_wire.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>

namespace majordomo::fake {
namespace {

constexpr std::string_view chat_completion_fixture = "deepseek/chat_completion.json";
constexpr std::string_view chat_stream_fixture = "deepseek/chat_completion_stream.sse";
constexpr std::string_view chat_path = "/chat/completions";
// What the built-in replies say, in the pieces the built-in stream sends them.
constexpr auto built_in_pieces = built_in_reply_pieces(" (deepseek).");
constexpr int built_in_completion_tokens = 9;
// The reasoning_content of a built-in tool call (thinking mode, PROTOCOLS.md §2).
constexpr std::string_view built_in_tool_reasoning = "The user asks about the weather; the tool can tell.";

// DeepSeek's error envelope is compact, and its `code` is invalid_request_error whatever the
// type (PROTOCOLS.md §2).
ScriptedResponse deepseek_error(int status, std::string_view message, std::string_view type) {
  ScriptedResponse response;
  response.status = status;
  response.content_type = "application/json";
  response.body = fmt::format(R"({{"error":{{"message":{},"type":{},"param":null,"code":"invalid_request_error"}}}})",
                              json_quote(message), json_quote(type));
  return response;
}

// DeepSeek shows only the last four characters of a rejected key.
std::string redact(std::string_view key) {
  return fmt::format("****{}", key.size() > 4 ? key.substr(key.size() - 4) : std::string_view{});
}

using ChatRequest = ChatCompletionsBody;
constexpr std::string_view default_model = "deepseek-flash";

// The model named in a JSON body, or nothing when the body is not a JSON object naming one.
std::optional<std::string> model_of(const RecordedRequest& request) {
  try {
    const auto object = body_object(request);
    if (!object->has("model") || !object->get("model").isString()) return std::nullopt;
    return object->getValue<std::string>("model");
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
}

std::string built_in_usage(int prompt_tokens) {
  return fmt::format(
      R"({{"prompt_tokens":{},"completion_tokens":{},"total_tokens":{},"prompt_tokens_details":{{"cached_tokens":0}},)"
      R"("prompt_cache_hit_tokens":0,"prompt_cache_miss_tokens":{}}})",
      prompt_tokens, built_in_completion_tokens, prompt_tokens + built_in_completion_tokens, prompt_tokens);
}

std::string built_in_id(const RecordedRequest& request) {
  return fmt::format("00000000-0000-4000-8000-{:012}", request.seq);
}

ScriptedResponse built_in_completion(const RecordedRequest& request, const ChatRequest& chat) {
  const std::string text = joined(built_in_pieces);
  ScriptedResponse response;
  response.content_type = "application/json";
  response.body = fmt::format(
      R"({{"id":"{}","object":"chat.completion","created":{},"model":{},"choices":[{{"index":0,"message":)"
      R"({{"role":"assistant","content":{}}},"logprobs":null,"finish_reason":"stop"}}],"usage":{},)"
      R"("system_fingerprint":"fp_fake_deepseek"}})",
      built_in_id(request), unix_now(), json_quote(chat.model), json_quote(text),
      built_in_usage(estimated_prompt_tokens(request)));
  return response;
}

// Usage rides on the chunk with finish_reason; there is no separate usage chunk (PROTOCOLS.md §2).
ScriptedResponse built_in_stream(const RecordedRequest& request, const ChatRequest& chat) {
  const std::string prefix =
      fmt::format(R"({{"id":"{}","object":"chat.completion.chunk","created":{},"model":{},"system_fingerprint":"fp_fake_deepseek",)",
                  built_in_id(request), unix_now(), json_quote(chat.model));
  const auto chunk = [&](std::string_view delta, std::string_view finish_reason, std::string_view usage) {
    return fmt::format(R"(data: {}"choices":[{{"index":0,"delta":{},"logprobs":null,"finish_reason":{}}}]{}}})"
                       "\n\n",
                       prefix, delta, finish_reason, usage);
  };
  ScriptedResponse response;
  response.content_type = "text/event-stream; charset=utf-8";
  response.body = chunk(R"({"role":"assistant","content":""})", "null", "");
  for (auto piece : built_in_pieces) response.body += chunk(fmt::format(R"({{"content":{}}})", json_quote(piece)), "null", "");
  response.body += chunk(R"({"content":""})", R"("stop")",
                         fmt::format(R"(,"usage":{})", built_in_usage(estimated_prompt_tokens(request))));
  response.body += "data: [DONE]\n\n";
  return response;
}

// Routed by the path DeepSeek serves; claims() decides between DeepSeek and OpenAI, which share it.
class DeepSeekProtocol final : public PostRoutedProtocol {
public:
  DeepSeekProtocol() : PostRoutedProtocol("deepseek", chat_path) {}

  // DeepSeek when the plugin's gateway header says so, when the path has no prefix (DeepSeek's
  // base URL has no /v1, OpenAI's has), or when the model is a DeepSeek one; OpenAI otherwise.
  bool claims(const RecordedRequest& request, std::string_view path) const override {
    if (!matches(request.method, path)) return false;
    const std::string* provider = find_header(request, "x-majordomo-provider");
    if (provider != nullptr && equals_ignoring_case(trim_blanks(*provider), "deepseek")) return true;
    if (path == chat_path) return true;
    const auto model = model_of(request);
    return model && model->rfind("deepseek", 0) == 0;
  }

  std::optional<ScriptedResponse> check_auth(const RecordedRequest& request,
                                             const FakeServerOptions& options) const override {
    const std::string_view key = bearer_key(request);
    if (key.empty()) {
      return deepseek_error(401, "Authentication Fails, no api key provided", "authentication_error");
    }
    if (!options.required_api_key.empty() && key != options.required_api_key) {
      return deepseek_error(401, fmt::format("Authentication Fails, Your api key: {} is invalid", redact(key)),
                            "authentication_error");
    }
    return std::nullopt;
  }

  ScriptedResponse default_response(const RecordedRequest& request, const FakeServerOptions& options) const override {
    const std::optional<ChatRequest> chat = read_chat_completions_body(request, default_model);
    if (!chat) {
      return deepseek_error(400, "Failed to deserialize the JSON body into the target type", "invalid_request_error");
    }
    if (chat->tool_call) {
      // DeepSeek thinks unless told not to, and a thinking model's call comes with its reasoning.
      return chat_tool_call_reply(request, *chat, "fake-deepseek-", built_in_usage(estimated_prompt_tokens(request)),
                                  chat->thinking_disabled ? std::string_view{} : built_in_tool_reasoning);
    }
    const std::string_view fixture = chat->stream ? chat_stream_fixture : chat_completion_fixture;
    if (fixture_exists(options, fixture)) return fixture_reply(fixture);
    return chat->stream ? built_in_stream(request, *chat) : built_in_completion(request, *chat);
  }
};

}  // namespace

std::unique_ptr<ProviderProtocol> make_deepseek_protocol() { return std::make_unique<DeepSeekProtocol>(); }

}  // namespace majordomo::fake
