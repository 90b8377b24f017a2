// The files `majordomo plugin new NAME` writes: the example plugin renamed to NAME, and a README of what to change next.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace majordomo::cli {

struct SkeletonFile {
  std::string name;     // relative to the new directory
  std::string content;
};

// Why `id` cannot name a new plugin (not 1 to 64 of a-z 0-9 _ -, or a target name CMake reserves),
// or nothing when it can.
std::optional<std::string> provider_id_problem(std::string_view id);

// The skeleton for provider `id` (checked with provider_id_problem first): CMakeLists.txt,
// <id>_plugin.cpp and README.md. `sdk_prefix` is where the SDK the reader builds against is
// installed, shown in the README's commands; empty when unknown.
std::vector<SkeletonFile> plugin_skeleton(std::string_view id, std::string_view sdk_prefix);

}  // namespace majordomo::cli
