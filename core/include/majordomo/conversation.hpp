// The conversation model (0.5): messages with text and image parts, tools, tool calls and provider continuation data.
#pragma once

#include <majordomo/export.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace majordomo {

struct Response;

// One piece of a message's content after its `content` text.
struct MAJORDOMO_API ContentPart {
  enum class Kind { text, image_url, image_data };
  Kind kind = Kind::text;
  std::string text{};        // text: the text; image_url: an https:, http: or data: URL
  std::string data{};        // image_data: the image's bytes as they are (the host encodes them)
  std::string media_type{};  // image_data: image/png, image/jpeg, image/gif or image/webp

  [[nodiscard]] static ContentPart from_text(std::string text);
  [[nodiscard]] static ContentPart image_from_url(std::string url);
  [[nodiscard]] static ContentPart image_from_bytes(std::string bytes, std::string media_type);
};

// What is wrong with the arguments of a call the model made. The call is kept either way, so the
// application can answer it with an error result and let the model try again.
enum class ToolCallProblem {
  none,
  unparsable,       // the arguments are not one JSON object
  schema_mismatch,  // they do not match the tool's parameters schema
  cut_off,          // the answer ended (max_tokens) inside the arguments
  unknown_tool      // the model named a tool the request did not list
};

[[nodiscard]] MAJORDOMO_API std::string_view to_string(ToolCallProblem problem) noexcept;

// A call of one of the request's tools: in a Response, what the model asked for; in an assistant
// Message of the history, the call as the model made it.
struct ToolCall {
  // The provider's call id; empty when the provider gives none (Gemini). Sent to a provider
  // that needs ids (every one but Gemini), a call without one gets an id made by the host, and
  // a tool result without a tool_call_id answers the first unanswered call of its tool_name.
  std::string id{};
  std::string name{};
  std::string arguments{};  // one JSON object as text ("{}" when the model sent none)
  // Response side only: what the host found wrong with the arguments, and the details.
  ToolCallProblem problem = ToolCallProblem::none;
  std::string problem_detail{};
};

// Provider-only data a provider needs back to continue the conversation (thinking signatures,
// reasoning items): opaque items, returned only to the provider that produced them, and only to
// the same model where the provider ties them to it (Gemini). Left out, after a fail-over, they
// are not needed: docs/conversations.md says what each provider does without them.
struct Continuation {
  std::string provider{};             // the provider id that produced the answer
  std::vector<std::string> items{};   // in order, byte for byte
  std::string model{};                // the model asked; empty: any model of `provider`
  [[nodiscard]] bool empty() const noexcept { return items.empty(); }
};

// One turn of a conversation. Text goes in `content` (a tool result's text or JSON text too);
// images and further text in `parts`, after it. System messages may only come first: they are
// joined, after RequestOptions::system, into the request's system prompt.
struct MAJORDOMO_API Message {
  enum class Role { user, assistant, system, tool };
  Role role = Role::user;
  std::string content{};
  std::vector<ContentPart> parts{};       // (0.5) user: text and images; assistant: text
  std::vector<ToolCall> tool_calls{};     // (0.5) assistant: the calls the model made
  std::string tool_call_id{};             // (0.5) tool: the id of the call answered
  std::string tool_name{};                // (0.5) tool: the tool's name (filled from the call when empty)
  bool is_error = false;                  // (0.5) tool: the call failed; content says why
  Continuation continuation{};            // (0.5) assistant: as the Response carried it

  [[nodiscard]] static Message user(std::string text);
  [[nodiscard]] static Message system(std::string text);
  // The assistant turn of an answer: its text, tool calls and continuation data, to append to
  // the history before sending the tool results.
  [[nodiscard]] static Message assistant(const Response& answer);
  // The result of `call` for the model, text or JSON text.
  [[nodiscard]] static Message tool_result(const ToolCall& call, std::string result, bool is_error = false);
};

// A function the model may call.
struct ToolDefinition {
  std::string name{};         // 1-64 of a-z A-Z 0-9 _ -, unique in the request
  std::string description{};  // tells the model when to call it
  // A JSON Schema (draft 7) for the arguments object, checked before sending; each call's
  // arguments are checked against it on arrival (ToolCall::problem).
  std::string parameters_json = R"({"type":"object","properties":{}})";
  bool strict = false;        // ask the provider to hold the arguments to the schema, where it can
};

struct ToolChoice {
  enum class Mode { automatic, none, required, named };
  Mode mode = Mode::automatic;
  std::string name{};  // Mode::named: one of the request's tools

  [[nodiscard]] static ToolChoice tool(std::string name) { return ToolChoice{Mode::named, std::move(name)}; }
};

}  // namespace majordomo
