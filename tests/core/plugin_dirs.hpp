// Test hosts that see only the plugin directories a test names (no MAJORDOMO_PLUGIN_PATH, no installed plugins).
#pragma once

#include <majordomo/host.hpp>

#include <catch2/catch.hpp>

#include <filesystem>
#include <string_view>
#include <utility>
#include <vector>

namespace majordomo::testing {

// Options for a host that loads plugins from `dirs` alone, whatever the environment and install hold.
inline HostOptions only_plugin_dirs(std::vector<std::filesystem::path> dirs) {
  HostOptions options;
  options.plugin_dirs = std::move(dirs);
  options.use_env_path = false;
  options.use_default_dir = false;
  return options;
}

// The skip entry of the file called `filename`, or null when it was not skipped.
inline const SkippedPlugin* skipped_file(const Host& host, std::string_view filename) {
  for (const auto& skipped : host.skipped()) {
    if (skipped.path.filename() == filename) return &skipped;
  }
  return nullptr;
}

// The skip entry of `filename`, which must be there, skipped for `reason`.
inline const SkippedPlugin& expect_skipped(const Host& host, std::string_view filename, SkipReason reason) {
  const SkippedPlugin* skipped = skipped_file(host, filename);
  INFO(filename);
  REQUIRE(skipped != nullptr);
  CHECK(skipped->reason == reason);
  return *skipped;
}

}  // namespace majordomo::testing
