// The Acme Answers API (the SDK's example provider) as the fake server speaks it: X-Acme-Key auth, JSON and SSE replies, Acme's errors.
#include "provider_protocol.hpp"

#include "json_text.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace majordomo::fake {
namespace {

// Acme is made up: sdk/examples/acme/acme_plugin.cpp describes its wire format, and this file is
// the server side of that description. No fixtures exist for it; every reply is built here.
constexpr std::string_view answers_path = "/v1/answers";
constexpr std::string_view key_header = "X-Acme-Key";
constexpr std::string_view version_header = "Acme-Version";
constexpr std::string_view served_suffix = "-2025-06";  // answers name the dated snapshot that served
// What the built-in replies say, one output token per piece (so --max-tokens N cuts after N pieces).
constexpr std::string_view text_pieces[] = {"Hello", " from", " majordomo", "-fake", " (acme)."};
constexpr std::string_view json_pieces[] = {"{\"greeting\":", "\"Hello from", " majordomo-fake", " (acme).\"}"};

// {"error":{"code","message"[,"retry_in_ms"]}}, Acme's only error shape.
ScriptedResponse acme_error(int status, std::string_view code, std::string_view message) {
  ScriptedResponse response;
  response.status = status;
  response.content_type = "application/json";
  response.body = fmt::format(R"({{"error":{{"code":{},"message":{}}}}})", json_quote(code), json_quote(message));
  return response;
}

// The parts of a request body the built-in replies depend on.
struct AnswerRequest {
  std::string model;
  bool stream = false;
  bool json = false;
  int64_t max_output_tokens = 0;  // 0: no cap
};

// The request, or the 400/404 Acme would answer instead.
std::variant<AnswerRequest, ScriptedResponse> read_request(const RecordedRequest& request) {
  AnswerRequest out;
  Poco::JSON::Object::Ptr root;
  try {
    root = body_object(request);
  } catch (const Poco::Exception&) {
    return acme_error(400, "invalid_request", "the body is not a JSON object");
  }
  const auto model = root->get("model");
  if (!model.isString() || model.extract<std::string>().empty()) {
    return acme_error(400, "invalid_request", "'model' is required");
  }
  out.model = model.extract<std::string>();
  if (out.model.rfind("acme-", 0) != 0) {
    return acme_error(404, "unknown_model",
                      fmt::format("unknown model '{}'; the models are acme-swift and acme-deep", out.model));
  }
  const auto turns = root->getArray("turns");
  if (turns.isNull() || turns->size() == 0) {
    return acme_error(400, "invalid_request", "'turns' must be a non-empty array");
  }
  const auto stream = root->get("stream");
  out.stream = stream.isBoolean() && stream.extract<bool>();
  const auto format = root->get("answer_format");
  out.json = format.isString() && format.extract<std::string>() == "json";
  const auto cap = root->get("max_output_tokens");
  if (!cap.isEmpty()) {
    if (!cap.isInteger() || cap.convert<int64_t>() <= 0) {
      return acme_error(400, "invalid_request", "'max_output_tokens' must be a positive integer");
    }
    out.max_output_tokens = cap.convert<int64_t>();
  }
  return out;
}

// The pieces of the answer that fit under the cap, and how it ended.
struct Answer {
  std::vector<std::string_view> pieces;
  std::string_view end = "done";
};

Answer built_in_answer(const AnswerRequest& request) {
  Answer answer;
  const auto all = request.json ? std::vector<std::string_view>(std::begin(json_pieces), std::end(json_pieces))
                                : std::vector<std::string_view>(std::begin(text_pieces), std::end(text_pieces));
  for (const auto piece : all) {
    if (request.max_output_tokens > 0 && static_cast<int64_t>(answer.pieces.size()) >= request.max_output_tokens) {
      answer.end = "limit";
      break;
    }
    answer.pieces.push_back(piece);
  }
  return answer;
}

std::string tokens_json(const RecordedRequest& request, const Answer& answer) {
  return fmt::format(R"({{"in":{},"out":{},"cached_in":0}})", estimated_prompt_tokens(request), answer.pieces.size());
}

ScriptedResponse built_in_json(const RecordedRequest& request, const AnswerRequest& parsed) {
  const Answer answer = built_in_answer(parsed);
  std::string text;
  for (const auto piece : answer.pieces) text += piece;
  ScriptedResponse response;
  response.content_type = "application/json";
  response.body = fmt::format(R"({{"id":"ans_{:06}","model":{},"text":{},"end":{},"tokens":{}}})", request.seq,
                              json_quote(parsed.model + std::string(served_suffix)), json_quote(text),
                              json_quote(answer.end), tokens_json(request, answer));
  return response;
}

// start, a ping, a comment line, one text event per piece, finish: every event a client must skip
// or read is there.
ScriptedResponse built_in_stream(const RecordedRequest& request, const AnswerRequest& parsed) {
  const Answer answer = built_in_answer(parsed);
  const auto event = [](std::string_view type, const std::string& data) {
    return fmt::format("event: {}\ndata: {}\n\n", type, data);
  };
  ScriptedResponse response;
  response.content_type = "text/event-stream";
  response.body = event("start", fmt::format(R"({{"id":"ans_{:06}","model":{}}})", request.seq,
                                             json_quote(parsed.model + std::string(served_suffix))));
  response.body += event("ping", "{}");
  response.body += ": the answer follows\n\n";
  for (const auto piece : answer.pieces) response.body += event("text", fmt::format(R"({{"text":{}}})", json_quote(piece)));
  response.body += event("finish", fmt::format(R"({{"end":{},"tokens":{}}})", json_quote(answer.end),
                                               tokens_json(request, answer)));
  return response;
}

class AcmeProtocol final : public PostRoutedProtocol {
public:
  AcmeProtocol() : PostRoutedProtocol("acme", answers_path) {}

  // The key goes in X-Acme-Key; a Bearer token alone is the mistake a new plugin makes first, so
  // the answer names the header it expected.
  std::optional<ScriptedResponse> check_auth(const RecordedRequest& request,
                                             const FakeServerOptions& options) const override {
    const std::string* key = find_header(request, key_header);
    const std::string_view value = key == nullptr ? std::string_view{} : trim_blanks(*key);
    if (value.empty()) {
      return acme_error(401, "invalid_key",
                        bearer_key(request).empty()
                            ? "no API key: send it in the X-Acme-Key header"
                            : "no API key in X-Acme-Key (Acme does not read Authorization: Bearer)");
    }
    if (!options.required_api_key.empty() && value != options.required_api_key) {
      return acme_error(401, "invalid_key", "the API key is not valid");
    }
    return std::nullopt;
  }

  ScriptedResponse default_response(const RecordedRequest& request, const FakeServerOptions& /*options*/) const override {
    const std::string* version = find_header(request, version_header);
    if (version == nullptr || trim_blanks(*version).empty()) {
      return acme_error(400, "invalid_request", "the Acme-Version header is required (e.g. Acme-Version: 2024-10-01)");
    }
    auto parsed = read_request(request);
    if (auto* refusal = std::get_if<ScriptedResponse>(&parsed)) return std::move(*refusal);
    const auto& answer_request = std::get<AnswerRequest>(parsed);
    return answer_request.stream ? built_in_stream(request, answer_request) : built_in_json(request, answer_request);
  }

  std::vector<Header> standard_headers(const RecordedRequest& request,
                                       std::chrono::milliseconds /*handling_time*/) const override {
    return {{"Acme-Request-Id", fmt::format("req_acme_{:06}", request.seq)}};
  }
};

}  // namespace

std::unique_ptr<ProviderProtocol> make_acme_protocol() { return std::make_unique<AcmeProtocol>(); }

}  // namespace majordomo::fake
