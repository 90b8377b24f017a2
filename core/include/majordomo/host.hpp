// Host: finds and loads provider plugins, and creates provider-bound LLM instances.
#pragma once

#include <majordomo/export.hpp>
#include <majordomo/cascade.hpp>
#include <majordomo/llm.hpp>
#include <majordomo/options.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace majordomo {

// The version of the majordomo library the program runs with, e.g. "0.2.0" (MAJORDOMO_VERSION_STRING
// in <majordomo/version.hpp> is the one it was compiled against).
[[nodiscard]] MAJORDOMO_API std::string_view version() noexcept;

// The plugin ABI versions this host loads: a plugin must speak one of [min, max].
struct PluginAbiRange {
  uint32_t min = 0;
  uint32_t max = 0;
};
[[nodiscard]] MAJORDOMO_API PluginAbiRange plugin_abi_range() noexcept;

struct ModelInfo {
  std::string id;
  // USD per million tokens; negative when not priced.
  double input_usd_per_mtok = -1;
  double output_usd_per_mtok = -1;
  double cached_input_usd_per_mtok = -1;
  double cache_write_usd_per_mtok = -1;
  int64_t max_output_tokens = 0;  // 0 when unknown
  uint32_t capabilities = 0;      // MJ_CAP_* bits of the plugin ABI
  bool priced() const noexcept { return input_usd_per_mtok >= 0 && output_usd_per_mtok >= 0; }
};

struct MAJORDOMO_API PluginInfo {
  std::string provider_id;
  std::string display_name;
  std::string version;
  std::filesystem::path path;
  uint32_t abi_version = 0;
  std::string default_base_url;
  std::string api_key_env;
  std::string base_url_env;
  std::vector<ModelInfo> models;
  [[nodiscard]] const ModelInfo* find_model(std::string_view id) const noexcept;
};

enum class SkipReason {
  not_a_plugin,
  abi_out_of_range,
  duplicate_provider,
  failed_to_load,
  invalid_metadata,
  plugin_fault,  // its entry point threw or reported a failure (added in 0.2)
};
[[nodiscard]] MAJORDOMO_API std::string_view to_string(SkipReason reason) noexcept;

// A file in a plugin directory that was not loaded, and why (with the remedy where there is one).
struct SkippedPlugin {
  std::filesystem::path path;
  SkipReason reason = SkipReason::failed_to_load;
  std::string message;
};

struct HostOptions {
  // Searched first, in order.
  std::vector<std::filesystem::path> plugin_dirs;
  // Then the directories of MAJORDOMO_PLUGIN_PATH (':'-separated).
  bool use_env_path = true;
  // Then the install's plugin directory, or the build tree's for a binary run from the build tree.
  bool use_default_dir = true;
  // User catalog files (JSON, format in docs/catalog.md): model entries, deprecated ids and
  // aliases merged over the plugins' catalogs. Read at construction, after the file named by
  // MAJORDOMO_CATALOG (when use_env_catalog and it is set); a later file wins on a conflict.
  std::vector<std::filesystem::path> catalog_files;
  bool use_env_catalog = true;
};

// Loads every plugin and the user catalog once at construction (a bad catalog file throws
// ConfigurationError naming the file and key); afterwards read-only and safe to share between
// threads. A plugin library stays loaded while any LLM created from it lives, even after the
// Host itself is destroyed.
//
// Movable, not copyable. Moving hands the loaded plugins and catalog over to the target (LLMs
// created before keep working; a Host assigned over releases what it held, and its plugins are
// unloaded once no LLM of theirs is left). The moved-from Host is empty and every member stays
// safe on it: plugins(), skipped(), search_path(), aliases() and supported_providers() are
// empty, find_plugin() is nullptr, and the functions that create LLMs or name a provider or alias
// (get_llm_instance, get_cascade, get_alias, alias_members, supported_models, model_pricing)
// throw ConfigurationError saying so. Assigning a Host to it makes it usable again. Moving is not
// safe while another thread uses either Host.
class MAJORDOMO_API Host {
 public:
  explicit Host(HostOptions options = {});
  ~Host();
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;
  Host(Host&& other) noexcept;
  Host& operator=(Host&& other) noexcept;

  [[nodiscard]] const std::vector<PluginInfo>& plugins() const noexcept;
  [[nodiscard]] const std::vector<SkippedPlugin>& skipped() const noexcept;
  [[nodiscard]] const std::vector<std::filesystem::path>& search_path() const noexcept;
  [[nodiscard]] const PluginInfo* find_plugin(std::string_view provider_id) const noexcept;

  // A provider-bound LLM. Throws ConfigurationError (unknown provider, no API key, bad base URL,
  // invalid default header, bad retry policy) before any I/O. A model id the catalog marks
  // deprecated is replaced by its successor, with a warning on the instance (LLM::warnings) and
  // on every Response.
  [[nodiscard]] std::shared_ptr<LLM> get_llm_instance(std::string_view provider, std::string_view model,
                                                      ClientOptions options = {}) const;

  // A cascade over provider-bound members, each created as get_llm_instance would with `shared`
  // plus the member's own overrides, so each resolves its own URL, key and headers. Throws
  // ConfigurationError naming the member (its position and provider:model) before any I/O.
  [[nodiscard]] std::shared_ptr<CascadeLLM> get_cascade(std::vector<CascadeMember> members,
                                                        ClientOptions shared = {}) const;

  // The LLM a catalog alias names: a provider-bound LLM for an alias of one model, a cascade for
  // an alias of several, created with `options` (shared by all members). Response::alias and
  // LLM::alias() carry the name. Throws ConfigurationError for an unknown alias, listing the
  // known ones.
  [[nodiscard]] std::shared_ptr<LLM> get_alias(std::string_view alias, ClientOptions options = {}) const;
  // The alias names, sorted.
  [[nodiscard]] std::vector<std::string> aliases() const;
  // What an alias names (one member: a single model); throws ConfigurationError when unknown.
  [[nodiscard]] std::vector<CascadeMember> alias_members(std::string_view alias) const;

  // Provider ids of the loaded plugins, in load order.
  [[nodiscard]] std::vector<std::string> supported_providers() const;
  // Model ids of a provider's catalog (the plugin's merged with the user catalog); deprecated ids
  // are not listed. Throws ConfigurationError for an unknown provider.
  [[nodiscard]] std::vector<std::string> supported_models(std::string_view provider) const;
  // The catalog entry with the prices of a model (a deprecated id gives its successor's entry);
  // std::nullopt when the model is not in the catalog. Throws ConfigurationError for an unknown
  // provider.
  [[nodiscard]] std::optional<ModelInfo> model_pricing(std::string_view provider, std::string_view model) const;

 private:
  struct Impl;
  // The state to read: impl_, or an empty one when moved from.
  const Impl& state() const noexcept;
  // impl_, or ConfigurationError naming `operation` when moved from.
  const Impl& loaded(std::string_view operation) const;
  std::unique_ptr<Impl> impl_;  // null once moved from
};

}  // namespace majordomo
