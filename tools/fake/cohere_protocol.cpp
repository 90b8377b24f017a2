// Cohere Chat v2 as the fake server speaks it: Bearer auth, fixture replay, built-in replies.
#include "provider_protocol.hpp"

#include "json_text.hpp"

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

constexpr std::string_view chat_fixture = "cohere/chat.json";
constexpr std::string_view chat_stream_fixture = "cohere/chat_stream.sse";
constexpr std::string_view chat_path = "/v2/chat";
// What the built-in replies say, in the pieces the built-in stream sends them.
constexpr auto built_in_pieces = built_in_reply_pieces(" (cohere).");
constexpr int built_in_output_tokens = 9;

// Cohere's error bodies are an id and a message, nothing else (PROTOCOLS.md §5.4).
ScriptedResponse cohere_error(const RecordedRequest& request, int status, std::string_view message) {
  ScriptedResponse response;
  response.status = status;
  response.content_type = "application/json";
  response.body = fmt::format(R"({{"id":"00000000-0000-4000-9000-{:012}","message":{}}})", request.seq,
                              json_quote(message));
  return response;
}

std::string built_in_id(const RecordedRequest& request) {
  return fmt::format("00000000-0000-4000-8000-{:012}", request.seq);
}

std::string built_in_usage(const RecordedRequest& request) {
  const int input = estimated_prompt_tokens(request);
  return fmt::format(R"({{"billed_units":{{"input_tokens":{},"output_tokens":{}}},"tokens":{{"input_tokens":{},"output_tokens":{}}}}})",
                     input, built_in_output_tokens, input + 64, built_in_output_tokens);
}

ScriptedResponse built_in_chat(const RecordedRequest& request) {
  const std::string text = joined(built_in_pieces);
  ScriptedResponse response;
  response.content_type = "application/json";
  response.body = fmt::format(
      R"({{"id":"{}","message":{{"role":"assistant","content":[{{"type":"text","text":{}}}]}},"finish_reason":"COMPLETE","usage":{}}})",
      built_in_id(request), json_quote(text), built_in_usage(request));
  return response;
}

ScriptedResponse built_in_stream(const RecordedRequest& request) {
  const auto event = [](std::string_view type, const std::string& data) {
    return fmt::format("event: {}\ndata: {}\n\n", type, data);
  };
  ScriptedResponse response;
  response.content_type = "text/event-stream";
  response.body = event("message-start",
                        fmt::format(R"({{"id":"{}","type":"message-start","delta":{{"message":{{"role":"assistant","content":[],"tool_plan":"","tool_calls":[],"citations":[]}}}}}})",
                                    built_in_id(request)));
  response.body += event("content-start",
                         R"({"type":"content-start","index":0,"delta":{"message":{"content":{"type":"text","text":""}}}})");
  for (auto piece : built_in_pieces) {
    response.body += event("content-delta",
                           fmt::format(R"({{"type":"content-delta","index":0,"delta":{{"message":{{"content":{{"text":{}}}}}}}}})",
                                       json_quote(piece)));
  }
  response.body += event("content-end", R"({"type":"content-end","index":0})");
  response.body += event("message-end",
                         fmt::format(R"({{"type":"message-end","delta":{{"finish_reason":"COMPLETE","usage":{}}}}})",
                                     built_in_usage(request)));
  response.body += "data: [DONE]\n\n";
  return response;
}

class CohereProtocol final : public PostRoutedProtocol {
public:
  CohereProtocol() : PostRoutedProtocol("cohere", chat_path) {}

  // The scheme name is matched case-insensitively; Cohere's docs write "bearer" (PROTOCOLS.md §0.2).
  std::optional<ScriptedResponse> check_auth(const RecordedRequest& request,
                                             const FakeServerOptions& options) const override {
    const std::string_view key = bearer_key(request);
    if (key.empty()) return cohere_error(request, 401, "no api key supplied");
    if (!options.required_api_key.empty() && key != options.required_api_key) {
      return cohere_error(request, 401, "invalid api token");
    }
    return std::nullopt;
  }

  ScriptedResponse default_response(const RecordedRequest& request, const FakeServerOptions& options) const override {
    bool stream = false;
    try {
      stream = is_true(*body_object(request), "stream");
    } catch (const Poco::Exception&) {
      return cohere_error(request, 400, "invalid request: the body is not valid JSON");
    }
    const std::string_view fixture = stream ? chat_stream_fixture : chat_fixture;
    if (fixture_exists(options, fixture)) return fixture_reply(fixture);
    return stream ? built_in_stream(request) : built_in_chat(request);
  }
};

}  // namespace

std::unique_ptr<ProviderProtocol> make_cohere_protocol() { return std::make_unique<CohereProtocol>(); }

}  // namespace majordomo::fake
