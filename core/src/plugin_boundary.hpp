// The host's side of the plugin ABI boundary: plugin structs read by the sizes their fields came with.
#pragma once

#include <majordomo/plugin.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace majordomo {

// A struct the plugin filled, copied into this host's layout. Never compared with this host's
// sizeof: the plugin's struct must hold the ABI v1 prefix (`v1_size`, an MJ_*_V1_SIZE), fields
// this host knows and the plugin's struct lacks read as zero (so a plugin built before a struct
// grew keeps working), fields the plugin knows and this host does not are not copied, and the
// copy's struct_size is what it really holds (MJ_HAS_FIELD on it says what the plugin sent).
// std::nullopt for a null pointer or a struct smaller than v1: the plugin is broken.
template <class T>
std::optional<T> read_plugin_struct(const T* from, std::size_t v1_size) noexcept {
  if (from == nullptr || from->struct_size < v1_size) return std::nullopt;
  T copy;
  std::memset(&copy, 0, sizeof(T));
  const std::size_t size = std::min<std::size_t>(from->struct_size, sizeof(T));
  std::memcpy(&copy, from, size);
  copy.struct_size = static_cast<uint32_t>(size);
  return copy;
}

// Element `index` of a plugin's array of sized structs. The array's stride is its first
// element's struct_size (the size the plugin was built with), never this host's sizeof; every
// element must declare that same size. std::nullopt when the array breaks those rules.
template <class T>
std::optional<T> read_plugin_array_element(const T* first, std::size_t index, std::size_t v1_size) noexcept {
  if (first == nullptr || first->struct_size < v1_size) return std::nullopt;
  const std::size_t stride = first->struct_size;
  if (stride % alignof(T) != 0) return std::nullopt;  // elements would be misaligned
  const T* element = reinterpret_cast<const T*>(reinterpret_cast<const char*>(first) + index * stride);
  if (element->struct_size != stride) return std::nullopt;
  return read_plugin_struct(element, v1_size);
}

// mj_str's contract: data may be null only when size is 0; `max_size` bounds what a plugin may
// claim (a metadata string of SIZE_MAX bytes is a broken plugin, not an allocation to attempt).
inline bool sound(mj_str text, std::size_t max_size = std::size_t{1} << 30) noexcept {
  return text.size <= max_size && (text.size == 0 || text.data != nullptr);
}

// A plugin string as a view, empty when it breaks mj_str's contract (used for error texts, where
// a broken string must not stop the error from being reported).
inline std::string_view plugin_view(mj_str text) noexcept {
  return sound(text) ? std::string_view(text.data, text.size) : std::string_view();
}

// Call inside a catch block: the exception being handled, in words ("std::runtime_error: x" is
// given as its what(); anything else as a sentence). Used where a plugin let an exception escape
// through the C ABI, which its rules forbid: the host survives it and reports it.
std::string describe_current_exception();

}  // namespace majordomo
