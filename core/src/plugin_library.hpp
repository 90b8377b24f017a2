// LoadedPlugin and plugin discovery: scanning directories, checking files, the ABI handshake.
#pragma once

#include <majordomo/host.hpp>
#include <majordomo/plugin.h>

#include "elf_file.hpp"

#include <boost/dll/shared_library.hpp>

#include <filesystem>
#include <memory>
#include <vector>

namespace majordomo {

// The plugin ABI versions this host speaks.
inline constexpr uint32_t kHostAbiMin = 1;
inline constexpr uint32_t kHostAbiMax = MJ_ABI_VERSION;

// A plugin library kept loaded for as long as anything holds this object (every LLM created
// from the plugin holds it, so the library outlives all code and data it handed out).
struct LoadedPlugin {
  std::shared_ptr<boost::dll::shared_library> library;
  // The plugin's function table and provider description as this host reads them (copied
  // through read_plugin_struct; their strings and arrays point into the plugin's static storage).
  mj_plugin_v1 table{};
  mj_provider_info provider{};
  PluginInfo info;
  // The mj_call_params size the plugin reads (mj_plugin_answer.call_params_size); a plugin that
  // did not say reads MJ_CALL_PARAMS_V1_SIZE bytes and so never sees mj_call_params.proxy.
  uint32_t call_params_size = MJ_CALL_PARAMS_V1_SIZE;

  // "the openai plugin (/usr/lib/majordomo/plugins/libmajordomo-openai.so)", for messages.
  std::string label() const;
};

struct DiscoveryResult {
  std::vector<std::filesystem::path> search_path;
  std::vector<std::shared_ptr<const LoadedPlugin>> plugins;
  std::vector<SkippedPlugin> skipped;
};

// The directories to scan, in order: explicit, MAJORDOMO_PLUGIN_PATH, then the default one.
std::vector<std::filesystem::path> plugin_search_path(const HostOptions& options);

// Loads every plugin in the search path; the first of two plugins with one provider id wins.
// Nothing a plugin does while it is examined stops discovery: an exception from its entry point
// or a failure it reports there skips it with SkipReason::plugin_fault. (A plugin that crashes
// the process while the loader maps it, or in a static constructor, cannot be contained.)
DiscoveryResult discover_plugins(const HostOptions& options);


}  // namespace majordomo
