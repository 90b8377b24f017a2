// The host's side of the plugin ABI boundary: plugin structs read by the sizes their fields came with.
#pragma once

#include <majordomo/plugin.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>

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
  const T* element = reinterpret_cast<const T*>(reinterpret_cast<const char*>(first) + index * stride);
  if (element->struct_size != stride) return std::nullopt;
  return read_plugin_struct(element, v1_size);
}

// Call inside a catch block: the exception being handled, in words ("std::runtime_error: x" is
// given as its what(); anything else as a sentence). Used where a plugin let an exception escape
// through the C ABI, which its rules forbid: the host survives it and reports it.
std::string describe_current_exception();

}  // namespace majordomo
