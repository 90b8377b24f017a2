// Reading a request's conversation (0.5): turns, parts, tool calls and tools, whatever struct sizes the host sent.
#pragma once

#include <majordomo/sdk/requires_cxx20.hpp>

#include <majordomo/plugin.h>
#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/str.hpp>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

namespace majordomo::sdk {
inline namespace v1 {

// Element `index` of a host array of sized structs, strided by its first element's struct_size
// and copied into this header's layout (fields the host's struct lacks read as zero). A broken
// array (too small a first element, a misaligned stride) is an MJ_ERR_CONFIGURATION naming `what`.
template <class T>
T host_element(const T* first, std::size_t index, std::size_t v1_size, const char* what) {
  if (first == nullptr || first->struct_size < v1_size || first->struct_size % alignof(T) != 0) {
    throw ProviderError(MJ_ERR_CONFIGURATION, std::string("the host passed a malformed ") + what + " array");
  }
  const auto* element = reinterpret_cast<const T*>(reinterpret_cast<const char*>(first) + index * first->struct_size);
  T copy;
  std::memset(&copy, 0, sizeof(T));
  const std::size_t size = std::min<std::size_t>(first->struct_size, sizeof(T));
  std::memcpy(&copy, element, size);
  copy.struct_size = static_cast<uint32_t>(size);
  return copy;
}

// Whether the request carries the 0.5 conversation (the host fills it for a plugin that declares
// an MJ_FEATURE_*). Without it, read `messages` and `system` as in ABI v1.
inline bool has_turns(const mj_request& request) noexcept {
  return MJ_HAS_FIELD(&request, mj_request, thinking_budget_tokens) && request.turn_count > 0 &&
         request.turns != nullptr;
}

inline mj_turn turn_at(const mj_request& request, std::size_t index) {
  return host_element(request.turns, index, MJ_TURN_V1_SIZE, "mj_turn");
}
inline mj_part part_at(const mj_turn& turn, std::size_t index) {
  return host_element(turn.parts, index, MJ_PART_V1_SIZE, "mj_part");
}
inline mj_tool_call tool_call_at(const mj_turn& turn, std::size_t index) {
  return host_element(turn.tool_calls, index, MJ_TOOL_CALL_V1_SIZE, "mj_tool_call");
}
inline mj_tool tool_at(const mj_request& request, std::size_t index) {
  return host_element(request.tools, index, MJ_TOOL_V1_SIZE, "mj_tool");
}
inline std::size_t tool_count(const mj_request& request) noexcept {
  return MJ_HAS_FIELD(&request, mj_request, tool_count) && request.tools != nullptr ? request.tool_count : 0;
}

// The text parts of a turn, joined: what a turn says when a format has room for one string only.
inline std::string joined_text(const mj_turn& turn) {
  std::string text;
  for (std::size_t i = 0; i < turn.part_count; ++i) {
    const mj_part part = part_at(turn, i);
    if (part.type == MJ_PART_TEXT) text.append(view(part.text));
  }
  return text;
}

// An image part as one URL: the URL it carries, or its bytes as a data: URL (data:<type>;base64,…),
// the form Chat-style APIs take inline images in.
inline std::string image_url(const mj_part& part) {
  if (part.type == MJ_PART_IMAGE_URL) return std::string(view(part.text));
  std::string url = "data:";
  url.append(view(part.media_type)).append(";base64,").append(view(part.text));
  return url;
}

// Whether every part of the turn is text (a plain string content will do).
inline bool text_only(const mj_turn& turn) {
  for (std::size_t i = 0; i < turn.part_count; ++i) {
    if (part_at(turn, i).type != MJ_PART_TEXT) return false;
  }
  return true;
}

// Whether the request needs more than text turns: tools, tool turns, calls in the history or images.
inline bool has_tools_or_images(const mj_request& request) {
  if (tool_count(request) > 0) return true;
  if (!has_turns(request)) return false;
  for (std::size_t i = 0; i < request.turn_count; ++i) {
    const mj_turn turn = turn_at(request, i);
    if (turn.role == MJ_ROLE_TOOL || turn.tool_call_count > 0 || !text_only(turn)) return true;
  }
  return false;
}

// The names of the effort levels as most APIs spell them ("minimal" … "high"; "max" for MJ_EFFORT_MAX).
inline std::string_view effort_name(int32_t effort) noexcept {
  switch (effort) {
    case MJ_EFFORT_MINIMAL: return "minimal";
    case MJ_EFFORT_LOW: return "low";
    case MJ_EFFORT_MEDIUM: return "medium";
    case MJ_EFFORT_HIGH: return "high";
    case MJ_EFFORT_MAX: return "max";
    default: return {};
  }
}

// The reasoning fields of a request, zero when the host sent none.
inline int32_t reasoning_effort(const mj_request& request) noexcept {
  return MJ_HAS_FIELD(&request, mj_request, reasoning_effort) ? request.reasoning_effort : MJ_EFFORT_DEFAULT;
}
inline int32_t thinking_mode(const mj_request& request) noexcept {
  return MJ_HAS_FIELD(&request, mj_request, thinking) ? request.thinking : MJ_THINKING_DEFAULT;
}

}  // namespace v1
}  // namespace majordomo::sdk
