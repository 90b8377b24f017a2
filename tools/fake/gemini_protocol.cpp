// Google Gemini generateContent as the fake server speaks it: model in the path, x-goog-api-key auth, alt=sse streams.
#include "provider_protocol.hpp"

#include "json_text.hpp"
#include "schema_example.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace majordomo::fake {
namespace {

constexpr std::string_view generate_fixture = "gemini/generate_content.json";
constexpr std::string_view stream_fixture = "gemini/stream_generate_content.sse";
constexpr std::string_view generate_method = ":generateContent";
constexpr std::string_view stream_method = ":streamGenerateContent";
// What the built-in replies say, in the pieces the built-in stream sends them.
constexpr auto built_in_pieces = built_in_reply_pieces(" (gemini).");
constexpr int built_in_output_tokens = 9;

// The google.rpc.Status envelope of PROTOCOLS.md §4.4; `reason` adds an ErrorInfo detail.
ScriptedResponse gemini_error(int status, std::string_view canonical, std::string_view message,
                              std::string_view reason = {}) {
  ScriptedResponse response;
  response.status = status;
  response.content_type = "application/json";
  std::string details;
  if (!reason.empty()) {
    details = fmt::format(R"(,"details":[{{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":{},)"
                          R"("domain":"googleapis.com","metadata":{{"service":"generativelanguage.googleapis.com"}}}}])",
                          json_quote(reason));
  }
  response.body = fmt::format(R"({{"error":{{"code":{},"message":{},"status":{}{}}}}})", status, json_quote(message),
                              json_quote(canonical), details);
  return response;
}

// The value of one query parameter of the request URI, or nothing.
std::optional<std::string_view> query_parameter(std::string_view uri, std::string_view name) {
  const auto question = uri.find('?');
  if (question == std::string_view::npos) return std::nullopt;
  std::string_view query = uri.substr(question + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) return eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

std::string_view path_of(std::string_view uri) { return uri.substr(0, uri.find('?')); }

// The key from x-goog-api-key, else from ?key= as the real API also accepts it.
std::string_view presented_key(const RecordedRequest& request) {
  if (const std::string* header = find_header(request, "x-goog-api-key"); header != nullptr && !header->empty()) {
    return *header;
  }
  return query_parameter(request.uri, "key").value_or(std::string_view{});
}

// The model segment between ".../models/" and ":method", as it appears on the wire.
std::string model_of(std::string_view path) {
  const auto colon = path.rfind(':');
  const auto models = path.rfind("/models/", colon);
  if (colon == std::string_view::npos || models == std::string_view::npos) return {};
  return std::string(path.substr(models + 8, colon - models - 8));
}

// A rough stand-in for a tokenizer: about four bytes per token.
int prompt_tokens_for(const RecordedRequest& request) { return estimated_prompt_tokens(request); }

std::string built_in_response_id(const RecordedRequest& request) { return fmt::format("fakeResp{:08}", request.seq); }

std::string usage_json(const RecordedRequest& request, int candidates) {
  const int prompt = prompt_tokens_for(request);
  return fmt::format(R"("usageMetadata":{{"promptTokenCount":{},"candidatesTokenCount":{},"totalTokenCount":{}}})", prompt,
                     candidates, prompt + candidates);
}

ScriptedResponse built_in_generate(const RecordedRequest& request, const std::string& model, const std::string& text) {
  ScriptedResponse response;
  response.content_type = "application/json";
  response.body = fmt::format(
      R"({{"candidates":[{{"content":{{"parts":[{{"text":{}}}],"role":"model"}},"finishReason":"STOP","index":0}}],{},)"
      R"("modelVersion":{},"responseId":"{}"}})",
      json_quote(text), usage_json(request, built_in_output_tokens), json_quote(model), built_in_response_id(request));
  return response;
}

// CRLF events, no terminator, like the real stream (§4.3); the chunked body's end closes it.
ScriptedResponse built_in_stream(const RecordedRequest& request, const std::string& model,
                                 const std::vector<std::string>& pieces, int output_tokens) {
  ScriptedResponse response;
  response.content_type = "text/event-stream";
  int sent = 0;
  const size_t count = pieces.size();
  for (size_t i = 0; i < count; ++i) {
    sent += i + 1 == count ? output_tokens - sent : 1;
    response.body += fmt::format(
        "data: {{\"candidates\": [{{\"content\": {{\"parts\": [{{\"text\": {}}}],\"role\": \"model\"}}{},\"index\": 0}}],"
        "{},\"modelVersion\": {},\"responseId\": \"{}\"}}\r\n\r\n",
        json_quote(pieces[i]), i + 1 == count ? R"(,"finishReason": "STOP")" : "", usage_json(request, sent),
        json_quote(model), built_in_response_id(request));
  }
  return response;
}

// A function call the fake answers with: the function's name and arguments from its schema.
struct PlannedFunctionCall {
  std::string name;
  std::string args;  // compact JSON object text
};

// Whether the content's parts hold a functionResponse: the application answered a call.
bool answers_a_call(const Poco::JSON::Object::Ptr& content) {
  const auto parts = content.isNull() ? nullptr : content->getArray("parts");
  if (parts.isNull()) return false;
  for (unsigned i = 0; i < parts->size(); ++i) {
    const auto part = parts->getObject(i);
    if (!part.isNull() && part->has("functionResponse")) return true;
  }
  return false;
}

// The call to make for a request that offers functions, as the real service would: none when the
// mode is NONE or the last content answers a call; else the first allowed function, with
// arguments generated from its parameters schema.
std::optional<PlannedFunctionCall> planned_function_call(const Poco::JSON::Object& body) {
  const auto tools = body.getArray("tools");
  if (tools.isNull() || tools->size() == 0) return std::nullopt;
  if (const auto contents = body.getArray("contents"); !contents.isNull() && contents->size() > 0) {
    if (answers_a_call(contents->getObject(static_cast<unsigned>(contents->size() - 1)))) return std::nullopt;
  }
  std::string wanted;
  if (const auto config = body.getObject("toolConfig"); !config.isNull()) {
    if (const auto calling = config->getObject("functionCallingConfig"); !calling.isNull()) {
      if (calling->optValue<std::string>("mode", "") == "NONE") return std::nullopt;
      if (const auto allowed = calling->getArray("allowedFunctionNames"); !allowed.isNull() && allowed->size() > 0) {
        wanted = allowed->getElement<std::string>(0);
      }
    }
  }
  for (unsigned t = 0; t < tools->size(); ++t) {
    const auto tool = tools->getObject(t);
    const auto declarations = tool.isNull() ? nullptr : tool->getArray("functionDeclarations");
    if (declarations.isNull()) continue;
    for (unsigned d = 0; d < declarations->size(); ++d) {
      const auto declaration = declarations->getObject(d);
      if (declaration.isNull()) continue;
      const std::string name = declaration->optValue<std::string>("name", "");
      if (!wanted.empty() && name != wanted) continue;
      // A function without parameters leaves the schema out; parametersJsonSchema is the
      // ordinary-JSON-Schema alternative the API also takes.
      const char* schema_key = declaration->has("parameters") ? "parameters" : "parametersJsonSchema";
      return PlannedFunctionCall{name, declaration->has(schema_key) ? schema_example(declaration->get(schema_key)) : "{}"};
    }
  }
  return std::nullopt;
}

// A functionCall answer, JSON or one SSE chunk, with a thoughtSignature on the part as Gemini 2.5
// and later send it (fixtures/gemini/stream_function_call_thought_signature.sse); no call id, as
// in the fixture.
ScriptedResponse function_call_reply(const RecordedRequest& request, const std::string& model,
                                     const PlannedFunctionCall& call, bool stream) {
  const std::string answer = fmt::format(
      R"({{"candidates":[{{"content":{{"parts":[{{"functionCall":{{"name":{},"args":{}}},"thoughtSignature":"ZmFrZVNpZw{:04}"}}],)"
      R"("role":"model"}},"finishReason":"STOP","index":0,"finishMessage":"Model generated function call(s)."}}],{},)"
      R"("modelVersion":{},"responseId":"{}"}})",
      json_quote(call.name), call.args, request.seq % 10000, usage_json(request, 14), json_quote(model),
      built_in_response_id(request));
  ScriptedResponse response;
  response.content_type = stream ? "text/event-stream" : "application/json";
  response.body = stream ? "data: " + answer + "\r\n\r\n" : answer;
  return response;
}

class GeminiProtocol final : public ProviderProtocol {
public:
  std::string_view name() const override { return "gemini"; }

  // Any prefix: users put gateways and proxies in front (/gateway/gemini/v1beta/models/m:generateContent).
  bool matches(std::string_view method, std::string_view path) const override {
    return method == "POST" && path.find("/models/") != std::string_view::npos &&
           (ends_with(path, generate_method) || ends_with(path, stream_method));
  }

  // [?] PROTOCOLS.md §6.4: 403 without any key is a guess; a wrong key is a recorded 400.
  std::optional<ScriptedResponse> check_auth(const RecordedRequest& request,
                                             const FakeServerOptions& options) const override {
    const std::string_view key = presented_key(request);
    if (key.empty()) {
      return gemini_error(403, "PERMISSION_DENIED",
                          "Method doesn't allow unregistered callers (callers without established identity). "
                          "Please use API Key or other form of API consumer identity to call this API.");
    }
    if (!options.required_api_key.empty() && key != options.required_api_key) {
      return gemini_error(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", "API_KEY_INVALID");
    }
    return std::nullopt;
  }

  ScriptedResponse default_response(const RecordedRequest& request, const FakeServerOptions& options) const override {
    const std::string_view path = path_of(request.uri);
    const bool stream = ends_with(path, stream_method);
    if (stream && query_parameter(request.uri, "alt") != std::optional<std::string_view>("sse")) {
      // The real API would answer a JSON array in pieces; no client of ours wants that.
      return gemini_error(400, "INVALID_ARGUMENT", "majordomo-fake serves streamGenerateContent only with ?alt=sse");
    }
    const std::string model = model_of(path);
    if (model.empty()) return gemini_error(404, "NOT_FOUND", "models/ is not found for API version v1beta");
    Poco::Dynamic::Var response_schema;
    std::optional<PlannedFunctionCall> call;
    try {
      const auto object = body_object(request);
      call = planned_function_call(*object);
      // The one field the real API requires.
      if (object->getArray("contents").isNull()) {
        return gemini_error(400, "INVALID_ARGUMENT", "* GenerateContentRequest.contents: contents is not specified");
      }
      if (const auto config = object->getObject("generationConfig")) {
        if (config->has("responseSchema") && config->has("responseJsonSchema")) {
          return gemini_error(400, "INVALID_ARGUMENT",
                              "responseSchema and responseJsonSchema cannot both be set");
        }
        for (const char* key : {"responseSchema", "responseJsonSchema"}) {
          if (!config->has(key)) continue;
          if (config->optValue<std::string>("responseMimeType", "") != "application/json") {
            return gemini_error(400, "INVALID_ARGUMENT",
                                "response_mime_type must be application/json when a response schema is set");
          }
          response_schema = config->get(key);
        }
      }
    } catch (const Poco::Exception&) {
      return gemini_error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.");
    }

    if (call) return function_call_reply(request, model, *call, stream);

    // Structured output: one value that fits the schema, as the real service constrains it.
    if (!response_schema.isEmpty()) {
      const std::string answer = schema_example(response_schema);
      if (!stream) return built_in_generate(request, model, answer);
      std::vector<std::string> pieces;
      for (std::size_t start = 0; start < answer.size();) {
        std::size_t end = std::min(answer.size(), start + 7);
        while (end < answer.size() && (static_cast<unsigned char>(answer[end]) & 0xC0) == 0x80) ++end;
        pieces.push_back(answer.substr(start, end - start));
        start = end;
      }
      return built_in_stream(request, model, pieces, static_cast<int>(pieces.size()));
    }

    const std::string_view fixture = stream ? stream_fixture : generate_fixture;
    if (fixture_exists(options, fixture)) {
      ScriptedResponse response = fixture_reply(fixture);
      if (stream) response.content_type = "text/event-stream";
      return response;
    }
    std::vector<std::string> pieces(std::begin(built_in_pieces), std::end(built_in_pieces));
    const std::string text = joined(pieces);
    return stream ? built_in_stream(request, model, pieces, built_in_output_tokens)
                  : built_in_generate(request, model, text);
  }

  // Gemini sends no request id or rate-limit headers (PROTOCOLS.md §0.5); Server-Timing is what
  // the real responses carry.
  std::vector<Header> standard_headers(const RecordedRequest& /*request*/,
                                       std::chrono::milliseconds handling_time) const override {
    return {{"Server-Timing", fmt::format("gfet4t7; dur={}", handling_time.count())}};
  }
};

}  // namespace

std::unique_ptr<ProviderProtocol> make_gemini_protocol() { return std::make_unique<GeminiProtocol>(); }

}  // namespace majordomo::fake
