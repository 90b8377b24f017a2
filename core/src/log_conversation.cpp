// The call log's conversation columns (log_conversation.hpp).
#include "log_conversation.hpp"

#include <majordomo/sdk/json_writer.hpp>

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

#include <cstdint>

namespace majordomo::log_rows {
namespace {

using sdk::JsonWriter;

std::string_view effort_name(ReasoningEffort effort) {
  switch (effort) {
    case ReasoningEffort::unset: return {};
    case ReasoningEffort::minimal: return "minimal";
    case ReasoningEffort::low: return "low";
    case ReasoningEffort::medium: return "medium";
    case ReasoningEffort::high: return "high";
    case ReasoningEffort::max: return "max";
  }
  return {};
}

std::string_view choice_name(ToolChoice::Mode mode) {
  switch (mode) {
    case ToolChoice::Mode::automatic: return "auto";
    case ToolChoice::Mode::none: return "none";
    case ToolChoice::Mode::required: return "required";
    case ToolChoice::Mode::named: return "named";
  }
  return "auto";
}

std::string sha256_hex(std::string_view bytes) {
  Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
  engine.update(bytes.data(), static_cast<unsigned>(bytes.size()));
  return Poco::DigestEngine::digestToHex(engine.digest());
}

// A data: URL carries the image itself: it is described like bytes, by its length and hash.
void write_image(JsonWriter& json, const ContentPart& part) {
  json.begin_object();
  if (part.kind == ContentPart::Kind::image_data) {
    json.key("media_type").string(part.media_type);
    json.key("bytes").number(static_cast<int64_t>(part.data.size()));
    json.key("sha256").string(sha256_hex(part.data));
  } else if (std::string_view(part.text).starts_with("data:")) {
    json.key("data_url_bytes").number(static_cast<int64_t>(part.text.size()));
    json.key("sha256").string(sha256_hex(part.text));
  } else {
    // A signed URL's query and a user:password are credentials: the log keeps the rest.
    std::string url = part.text.substr(0, part.text.find_first_of("?#"));
    if (const auto scheme = url.find("://"); scheme != std::string::npos) {
      const auto at = url.find('@', scheme + 3);
      const auto slash = url.find('/', scheme + 3);
      if (at != std::string::npos && (slash == std::string::npos || at < slash)) url.erase(scheme + 3, at - scheme - 2);
    }
    json.key("url").string(url);
  }
  json.end_object();
}

}  // namespace

std::string request_extras_json(const LLMRequest& request) {
  const RequestOptions& options = request.options;
  bool has_images = false;
  for (const Message& message : request.messages) {
    for (const ContentPart& part : message.parts) has_images = has_images || part.kind != ContentPart::Kind::text;
  }
  if (request.tools.empty() && !has_images && options.reasoning_effort == ReasoningEffort::unset &&
      options.thinking.mode == Thinking::Mode::unset && options.prompt_cache) {
    return "{}";
  }
  std::string out;
  JsonWriter json(out);
  json.begin_object();
  if (!request.tools.empty()) {
    json.key("tools").begin_array();
    for (const ToolDefinition& tool : request.tools) json.string(tool.name);
    json.end_array();
    json.key("tool_choice").string(request.tool_choice.mode == ToolChoice::Mode::named ? request.tool_choice.name
                                                                                        : choice_name(request.tool_choice.mode));
  }
  if (has_images) {
    json.key("images").begin_array();
    for (const Message& message : request.messages) {
      for (const ContentPart& part : message.parts) {
        if (part.kind != ContentPart::Kind::text) write_image(json, part);
      }
    }
    json.end_array();
  }
  if (options.reasoning_effort != ReasoningEffort::unset) {
    json.key("reasoning_effort").string(effort_name(options.reasoning_effort));
  }
  switch (options.thinking.mode) {
    case Thinking::Mode::unset: break;
    case Thinking::Mode::off: json.key("thinking").string("off"); break;
    case Thinking::Mode::on: json.key("thinking").string("on"); break;
    case Thinking::Mode::budget: json.key("thinking").number(options.thinking.budget_tokens); break;
  }
  if (!options.prompt_cache) json.key("prompt_cache").boolean(false);
  json.end_object();
  return out;
}

std::string tool_calls_json(const std::vector<ToolCall>& calls,
                            const std::function<std::string(std::string_view)>& text) {
  std::string out;
  JsonWriter json(out);
  json.begin_array();
  for (const ToolCall& call : calls) {
    json.begin_object();
    json.key("id").string(text(call.id));
    json.key("name").string(text(call.name));
    json.key("problem");
    if (call.problem == ToolCallProblem::none) {
      json.null();
    } else {
      json.string(to_string(call.problem));
    }
    json.key("arguments_bytes").number(static_cast<int64_t>(call.arguments.size()));
    json.end_object();
  }
  json.end_array();
  return out;
}

}  // namespace majordomo::log_rows
