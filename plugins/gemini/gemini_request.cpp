// Gemini request pieces of the 0.5 conversation: contents from turns, tools and toolConfig, thinkingConfig, thought signatures.
#include "gemini_request.hpp"

#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/schema_dialects.hpp>
#include <majordomo/sdk/str.hpp>
#include <majordomo/sdk/turns.hpp>

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <limits>
#include <optional>
#include <vector>

namespace majordomo::gemini {
namespace {

namespace sdk = majordomo::sdk;
namespace dom = simdjson::dom;

// `text` parsed as one JSON value, or nothing when it is not JSON. The DOM parser validates the
// whole text, so what it accepts can be placed in the body as a value.
std::optional<dom::element> parse_json(dom::parser& parser, std::string_view text) {
  dom::element element;
  if (parser.parse(text.data(), text.size()).get(element) != simdjson::SUCCESS) return std::nullopt;
  return element;
}

// ---------------------------------------------------------------------------------------------
// Images
// ---------------------------------------------------------------------------------------------

// A MIME type for an image URL from its file extension; empty when the URL does not say (Gemini
// then finds the type itself [?]). Query and fragment are not part of the name.
std::string_view image_type_from_url(std::string_view url) {
  url = url.substr(0, url.find_first_of("?#"));
  const auto dot = url.rfind('.');
  if (dot == std::string_view::npos || url.find('/', dot) != std::string_view::npos) return {};
  std::string extension;
  for (const char c : url.substr(dot + 1)) extension.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
  if (extension == "png") return "image/png";
  if (extension == "jpg" || extension == "jpeg") return "image/jpeg";
  if (extension == "gif") return "image/gif";
  if (extension == "webp") return "image/webp";
  return {};
}

void append_inline_image(sdk::JsonWriter& json, std::string_view media_type, std::string_view base64) {
  json.begin_object().key("inlineData").begin_object();
  json.key("mimeType").string(media_type).key("data").string(base64);
  json.end_object().end_object();
}

// An image URL part. https URLs go as fileData, which the Gemini API fetches itself (external
// URLs, docs/providers.md); a base64 data: URL is decoded into inlineData. Anything else is
// refused before sending, naming the remedy.
void append_image_url(sdk::JsonWriter& json, std::string_view url, std::size_t turn_index) {
  if (url.starts_with("data:")) {
    const auto comma = url.find(',');
    const std::string_view header = url.substr(5, comma == std::string_view::npos ? 0 : comma - 5);
    if (comma == std::string_view::npos || !header.ends_with(";base64")) {
      throw sdk::ProviderError(
          MJ_ERR_UNSUPPORTED,
          fmt::format("turn {}: Gemini takes a data: image URL only in base64 (data:image/png;base64,…); pass the "
                      "image's bytes instead (ContentPart::image_from_bytes)",
                      turn_index));
    }
    // The MIME type is what comes before any parameter (";base64", ";charset=…").
    append_inline_image(json, header.substr(0, header.find(';')), url.substr(comma + 1));
    return;
  }
  if (!url.starts_with("https://")) {
    throw sdk::ProviderError(MJ_ERR_UNSUPPORTED,
                             fmt::format("turn {}: Gemini fetches image URLs over https only; use an https URL or "
                                         "pass the image's bytes (ContentPart::image_from_bytes)",
                                         turn_index));
  }
  json.begin_object().key("fileData").begin_object();
  if (const std::string_view type = image_type_from_url(url); !type.empty()) json.key("mimeType").string(type);
  json.key("fileUri").string(url);
  json.end_object().end_object();
}

// ---------------------------------------------------------------------------------------------
// Turns
// ---------------------------------------------------------------------------------------------

void append_user_turn(sdk::JsonWriter& json, const mj_turn& turn, std::size_t index) {
  json.begin_object().key("role").string("user").key("parts").begin_array();
  for (std::size_t p = 0; p < turn.part_count; ++p) {
    const mj_part part = sdk::part_at(turn, p);
    switch (part.type) {
      case MJ_PART_TEXT: json.begin_object().key("text").string(sdk::view(part.text)).end_object(); break;
      case MJ_PART_IMAGE_DATA: append_inline_image(json, sdk::view(part.media_type), sdk::view(part.text)); break;
      case MJ_PART_IMAGE_URL: append_image_url(json, sdk::view(part.text), index); break;
      default:
        throw sdk::ProviderError(MJ_ERR_UNSUPPORTED,
                                 fmt::format("turn {}: content part type {} is not known to the gemini plugin; update "
                                             "the plugin",
                                             index, part.type));
    }
  }
  // Gemini refuses a content without parts; an empty user turn says "".
  if (turn.part_count == 0) json.begin_object().key("text").string("").end_object();
  json.end_array().end_object();
}

constexpr std::string_view kPlaceholderSignature = "skip_thought_signature_validator";

// Gemini 3 and later check the signatures of function calls; 1.x and 2.x do not, nor do the
// other models the API serves (gemma-*). A name without a version (gemini-flash-latest) may
// point at a Gemini 3 model, so it gets the placeholder too, which Google documents for exactly
// such calls.
bool validates_thought_signatures(std::string_view model) {
  if (model.starts_with("models/")) model.remove_prefix(7);
  if (!model.starts_with("gemini-")) return false;
  return !(model.starts_with("gemini-1.") || model.starts_with("gemini-2.") || model.starts_with("gemini-2-") ||
           model.starts_with("gemini-1-") || model.starts_with("gemini-exp-"));
}

// The signatures of one model turn, read back from the continuation items this plugin wrote.
struct TurnSignatures {
  std::string text;                // the text part's, if any
  std::vector<std::string> calls;  // per call, empty when none
};

[[noreturn]] void refuse_item(std::size_t turn_index, std::size_t item_index, std::string_view why) {
  throw sdk::ProviderError(
      MJ_ERR_CONFIGURATION,
      fmt::format("turn {}: continuation item {} is not one the gemini plugin wrote ({}); send the assistant "
                  "message back as Message::assistant(response) made it, or drop its continuation",
                  turn_index, item_index, why));
}

TurnSignatures read_signatures(const mj_turn& turn, std::size_t turn_index, dom::parser& parser) {
  TurnSignatures signatures;
  signatures.calls.resize(turn.tool_call_count);
  if (turn.continuation == nullptr) return signatures;
  for (std::size_t i = 0; i < turn.continuation_count; ++i) {
    const std::optional<dom::element> item = parse_json(parser, sdk::view(turn.continuation[i]));
    dom::object object;
    if (!item || item->get_object().get(object) != simdjson::SUCCESS) refuse_item(turn_index, i, "not a JSON object");
    std::string_view signature;
    if (object["thoughtSignature"].get_string().get(signature) != simdjson::SUCCESS || signature.empty()) {
      refuse_item(turn_index, i, "no thoughtSignature string");
    }
    uint64_t call = 0;
    bool text = false;
    if (object["call"].get_uint64().get(call) == simdjson::SUCCESS) {
      if (call >= turn.tool_call_count) refuse_item(turn_index, i, "it names a call the turn does not carry");
      signatures.calls[call] = std::string(signature);
    } else if (object["text"].get_bool().get(text) == simdjson::SUCCESS && text) {
      // The first one wins: a part holds one signature, and Gemini sends one per text.
      if (signatures.text.empty()) signatures.text = std::string(signature);
    } else {
      refuse_item(turn_index, i, "neither a call number nor a text mark");
    }
  }
  return signatures;
}

// A model turn as Gemini answered it: the text (joined, one part), then one functionCall part per
// call, each with the thoughtSignature it came with. Parts are otherwise sent back as the host
// holds them (PROTOCOLS.md §4.1: "send model parts back as received").
void append_model_turn(sdk::JsonWriter& json, const mj_turn& turn, std::size_t index, dom::parser& parser,
                       bool validates_signatures) {
  TurnSignatures signatures = read_signatures(turn, index, parser);
  // Gemini 3 refuses (400) a model turn whose first functionCall lacks a signature, which is
  // what calls made by another provider or model look like; Google documents this placeholder
  // for them ("thought signatures" page). Older models take the turn without one.
  const bool unsigned_calls = std::all_of(signatures.calls.begin(), signatures.calls.end(),
                                          [](const std::string& signature) { return signature.empty(); });
  if (validates_signatures && turn.tool_call_count > 0 && unsigned_calls) {
    signatures.calls.front() = std::string(kPlaceholderSignature);
  }
  json.begin_object().key("role").string("model").key("parts").begin_array();
  const std::string text = sdk::joined_text(turn);
  // A text part also carries a text signature when the answer had no text to put it on.
  if (!text.empty() || !signatures.text.empty() || turn.tool_call_count == 0) {
    json.begin_object().key("text").string(text);
    if (!signatures.text.empty()) json.key("thoughtSignature").string(signatures.text);
    json.end_object();
  }
  for (std::size_t c = 0; c < turn.tool_call_count; ++c) {
    const mj_tool_call call = sdk::tool_call_at(turn, c);
    std::string_view arguments = sdk::view(call.arguments);
    if (arguments.empty()) arguments = "{}";
    json.begin_object().key("functionCall").begin_object();
    json.key("name").string(sdk::view(call.name));
    json.key("args").raw_value(arguments);  // the host checked it is one JSON object
    if (call.id.size > 0) json.key("id").string(sdk::view(call.id));
    json.end_object();
    if (!signatures.calls[c].empty()) json.key("thoughtSignature").string(signatures.calls[c]);
    json.end_object();
  }
  json.end_array().end_object();
}

// One functionResponse part. Gemini wants `response` to be an object: a result that is a JSON
// object goes as is, anything else as {"result": <the text>}; a failed call as
// {"error": <the object, or the text>} so the model can tell a failure from a result.
void append_function_response(sdk::JsonWriter& json, const mj_turn& turn, std::size_t index, dom::parser& parser) {
  const std::string_view name = sdk::view(turn.tool_name);
  if (name.empty()) {
    throw sdk::ProviderError(MJ_ERR_CONFIGURATION,
                             fmt::format("turn {}: a tool result without the tool's name; Gemini matches results by "
                                         "name (Message::tool_result fills it)",
                                         index));
  }
  const std::string text = sdk::joined_text(turn);
  const std::optional<dom::element> parsed = parse_json(parser, text);
  const bool object = parsed && parsed->is_object();
  json.begin_object().key("functionResponse").begin_object();
  json.key("name").string(name);
  json.key("response");
  const bool is_error = (turn.flags & MJ_TURN_TOOL_ERROR) != 0;
  if (is_error) json.begin_object().key("error");
  if (object) {
    json.raw_value(simdjson::minify(*parsed));
  } else if (is_error) {
    json.string(text);
  } else {
    json.begin_object().key("result").string(text).end_object();
  }
  if (is_error) json.end_object();
  if (turn.tool_call_id.size > 0) json.key("id").string(sdk::view(turn.tool_call_id));
  json.end_object().end_object();
}

void append_turns(sdk::JsonWriter& json, const mj_request& request) {
  dom::parser parser;
  const bool validates_signatures = validates_thought_signatures(sdk::view(request.model));
  bool in_results = false;  // consecutive tool turns share one user content
  for (std::size_t i = 0; i < request.turn_count; ++i) {
    const mj_turn turn = sdk::turn_at(request, i);
    if (turn.role == MJ_ROLE_TOOL) {
      if (!in_results) json.begin_object().key("role").string("user").key("parts").begin_array();
      in_results = true;
      append_function_response(json, turn, i, parser);
      continue;
    }
    if (in_results) json.end_array().end_object();
    in_results = false;
    switch (turn.role) {
      case MJ_ROLE_USER: append_user_turn(json, turn, i); break;
      case MJ_ROLE_ASSISTANT: append_model_turn(json, turn, i, parser, validates_signatures); break;
      default:
        throw sdk::ProviderError(MJ_ERR_CONFIGURATION, fmt::format("turn {} has unknown role {}", i, turn.role));
    }
  }
  if (in_results) json.end_array().end_object();
}

}  // namespace

void append_contents(sdk::JsonWriter& json, const mj_request& request) {
  json.begin_array();
  if (sdk::has_turns(request)) {
    append_turns(json, request);
  } else {
    for (std::size_t i = 0; i < request.message_count; ++i) {
      const mj_message& message = request.messages[i];
      std::string_view role;
      switch (message.role) {
        case MJ_ROLE_USER: role = "user"; break;
        case MJ_ROLE_ASSISTANT: role = "model"; break;
        default:
          throw sdk::ProviderError(MJ_ERR_CONFIGURATION, fmt::format("message {} has unknown role {}", i, message.role));
      }
      json.begin_object().key("role").string(role).key("parts").begin_array();
      json.begin_object().key("text").string(sdk::view(message.content)).end_object();
      json.end_array().end_object();
    }
  }
  json.end_array();
}

void append_tool_fields(sdk::JsonWriter& json, const mj_request& request) {
  const std::size_t count = sdk::tool_count(request);
  if (count == 0) return;
  // Gemini calls functions in parallel as it sees fit and has no switch to stop it.
  if (request.parallel_tool_calls == MJ_TRISTATE_OFF) {
    throw sdk::ProviderError(MJ_ERR_UNSUPPORTED,
                             "Gemini has no switch to turn parallel function calls off; leave parallel_tool_calls unset");
  }
  json.raw(",").key("tools").begin_array().begin_object().key("functionDeclarations").begin_array();
  for (std::size_t i = 0; i < count; ++i) {
    const mj_tool tool = sdk::tool_at(request, i);
    json.begin_object().key("name").string(sdk::view(tool.name));
    if (tool.description.size > 0) json.key("description").string(sdk::view(tool.description));
    // The Schema dialect structured output uses too (PROTOCOLS.md §4.1 shows it for parameters).
    // A function without parameters leaves the field out: Gemini refuses an OBJECT schema
    // without properties [?], and its docs say to leave `parameters` unset then.
    const std::string_view schema = sdk::view(tool.parameters_json);
    dom::parser parser;
    const std::optional<dom::element> parsed = parse_json(parser, schema);
    dom::object properties;
    const bool has_properties = parsed && (*parsed)["properties"].get_object().get(properties) == simdjson::SUCCESS &&
                                properties.begin() != properties.end();
    if (has_properties) json.key("parameters").raw_value(sdk::gemini_response_schema(schema));
    json.end_object();
  }
  json.end_array().end_object().end_array();

  std::string_view mode;
  switch (request.tool_choice) {
    case MJ_TOOL_CHOICE_NONE: mode = "NONE"; break;
    case MJ_TOOL_CHOICE_REQUIRED:
    case MJ_TOOL_CHOICE_NAMED: mode = "ANY"; break;
    default: return;  // AUTO is the service's default: nothing to send
  }
  json.raw(",").key("toolConfig").begin_object().key("functionCallingConfig").begin_object();
  json.key("mode").string(mode);
  if (request.tool_choice == MJ_TOOL_CHOICE_NAMED) {
    json.key("allowedFunctionNames").begin_array().string(sdk::view(request.tool_choice_name)).end_array();
  }
  json.end_object().end_object();
}

std::string thinking_config(const mj_request& request, std::string_view model) {
  const int32_t effort = sdk::reasoning_effort(request);
  const int32_t thinking = sdk::thinking_mode(request);
  if (effort == MJ_EFFORT_DEFAULT && thinking == MJ_THINKING_DEFAULT) return {};
  std::string config;
  sdk::JsonWriter json(config);
  json.begin_object();
  if (effort != MJ_EFFORT_DEFAULT) {
    // The API answers 400 to thinkingLevel beside thinkingBudget; a level already turns thinking
    // on, so only "on" goes with it.
    if (thinking == MJ_THINKING_OFF || thinking == MJ_THINKING_BUDGET) {
      throw sdk::ProviderError(MJ_ERR_UNSUPPORTED,
                               "Gemini takes a thinking level (reasoning effort) or a thinking budget, not both; leave "
                               "one of them out");
    }
    // thinkingLevel is Gemini 3's; the 2.x models take a budget only.
    if (model.starts_with("gemini-2") || model.starts_with("gemini-1")) {
      throw sdk::ProviderError(MJ_ERR_UNSUPPORTED,
                               fmt::format("gemini model '{}' takes a thinking budget, not a reasoning effort; set "
                                           "thinking to a token budget instead",
                                           model));
    }
    // Gemini's levels are minimal, low, medium and high; "max" is its highest, high.
    json.key("thinkingLevel").string(effort == MJ_EFFORT_MAX ? std::string_view("high") : sdk::effort_name(effort));
  } else if (thinking == MJ_THINKING_OFF) {
    json.key("thinkingBudget").number(int64_t{0});
  } else if (thinking == MJ_THINKING_ON) {
    json.key("thinkingBudget").number(int64_t{-1});  // dynamic: the model decides
  } else if (thinking == MJ_THINKING_BUDGET) {
    const int64_t budget = request.thinking_budget_tokens;
    if (budget <= 0 || budget > std::numeric_limits<int32_t>::max()) {
      throw sdk::ProviderError(MJ_ERR_CONFIGURATION,
                               fmt::format("a Gemini thinking budget must be 1 to {} tokens",
                                           std::numeric_limits<int32_t>::max()));
    }
    json.key("thinkingBudget").number(budget);
  }
  json.end_object();
  return config;
}

std::string call_signature_item(std::size_t call_index, std::string_view signature) {
  std::string item;
  sdk::JsonWriter json(item);
  json.begin_object().key("call").number(static_cast<int64_t>(call_index));
  json.key("thoughtSignature").string(signature).end_object();
  return item;
}

std::string text_signature_item(std::string_view signature) {
  std::string item;
  sdk::JsonWriter json(item);
  json.begin_object().key("text").boolean(true).key("thoughtSignature").string(signature).end_object();
  return item;
}

}  // namespace majordomo::gemini
