// RequestTurns: a request's conversation, tools and reasoning controls checked and laid out in the ABI's structs.
#pragma once

#include <majordomo/host.hpp>
#include <majordomo/llm.hpp>
#include <majordomo/plugin.h>
#include <majordomo/structured.hpp>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace majordomo {

// Who will receive the request, to refuse before sending what it cannot take.
struct RequestReceiver {
  std::string_view provider;         // the provider id: names errors, matches continuation data
  std::string_view plugin_label;     // "the openai plugin (/path)"
  uint32_t features = 0;             // the plugin's MJ_FEATURE_* bits
  std::string_view model;
  const ModelInfo* catalog_entry = nullptr;  // the plugin's own entry for the model, when it lists it
};

// The request's tool schemas, parsed once while the request is checked, for checking the
// arguments of the calls in the answer.
struct ToolSchemas {
  std::vector<std::string> names;
  std::vector<JsonSchema> schemas;  // schemas[i] is names[i]'s
};

// Checks an LLMRequest's messages, tools and reasoning options against what the receiver can
// take, and lays them out for mj_request. Throws ConfigurationError (a malformed conversation,
// a bad tool definition or image) or UnsupportedError (a feature the plugin or the model lacks)
// before anything is sent. Holds views into `request`: keep it alive while the layout is used.
class RequestTurns {
 public:
  RequestTurns(const LLMRequest& request, const RequestReceiver& receiver);
  RequestTurns(const RequestTurns&) = delete;
  RequestTurns& operator=(const RequestTurns&) = delete;

  // Fills system, messages and, for a plugin that declares features, the 0.5 fields.
  void fill(mj_request& raw) const;
  // The tools' parsed schemas; null when the request lists none.
  std::shared_ptr<const ToolSchemas> tool_schemas() const { return schemas_; }
  // `body` with every image's bytes (base64, or a data: URL) replaced by a short placeholder: what
  // call records keep, so that no log or body file holds an image. Empty when there are none.
  std::string body_without_images(std::string_view body) const;

 private:
  void add_system(const Message& message, std::size_t index);
  void add_turn(const Message& message, std::size_t index);
  void add_parts(const Message& message, std::size_t index, std::string& v1_text);
  void add_tool_calls(const Message& message, std::size_t index);
  void add_tool_result(const Message& message, std::size_t index, mj_turn& turn);
  void add_tools(const LLMRequest& request);
  void add_reasoning(const RequestOptions& options);
  void require_feature(uint32_t feature, std::string_view what) const;
  void require_capability(uint32_t capability, std::string_view what) const;
  // Points the turns into the part, call and continuation arrays once those stop growing.
  void link();

  const RequestReceiver& receiver_;
  std::string system_;
  bool system_set_ = false;
  std::deque<std::string> texts_;  // joined v1 texts, base64 images, host-made call ids: stable addresses
  std::vector<std::string_view> image_texts_;  // as they appear in a body: base64 or data: URLs
  std::vector<mj_message> messages_;
  std::vector<mj_turn> turns_;
  std::vector<mj_part> parts_;
  std::vector<mj_tool_call> calls_;
  std::vector<mj_str> continuation_;
  // Per turn: where its parts, calls and continuation items start in the arrays above.
  struct Spans {
    std::size_t parts, calls, continuation;
  };
  std::vector<Spans> spans_;
  const Message* last_assistant_ = nullptr;  // the latest assistant message with tool calls
  std::vector<mj_str> last_call_ids_;          // its calls' ids as sent (made here when empty)
  std::vector<bool> last_answered_;            // which of its calls a result answered
  std::vector<mj_tool> tools_;
  std::shared_ptr<ToolSchemas> schemas_;
  int32_t tool_choice_ = MJ_TOOL_CHOICE_AUTO;
  int32_t parallel_ = MJ_TRISTATE_DEFAULT;
  std::string_view tool_choice_name_;
  int32_t effort_ = MJ_EFFORT_DEFAULT;
  int32_t thinking_ = MJ_THINKING_DEFAULT;
  int64_t thinking_budget_ = 0;
  bool prompt_cache_ = true;
};

}  // namespace majordomo
