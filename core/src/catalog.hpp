// The user catalog: model entries, deprecated ids and aliases read from JSON files (docs/catalog.md).
#pragma once

#include <majordomo/cascade.hpp>
#include <majordomo/host.hpp>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace majordomo::catalog {

// A model entry of a user catalog: the fields given replace the plugin's, the rest are kept (a new
// id starts from "not priced, cap unknown").
struct ModelEntry {
  std::string id;
  std::optional<double> input_usd_per_mtok, output_usd_per_mtok, cached_input_usd_per_mtok,
      cache_write_usd_per_mtok;
  std::optional<int64_t> max_output_tokens;
};

struct Deprecation {
  std::string replacement;
  std::filesystem::path file;  // where it was declared, for the warning
};

struct Alias {
  std::vector<CascadeMember> members;  // one: a single model; more: a cascade
  std::filesystem::path file;
};

struct UserCatalog {
  std::map<std::string, std::vector<ModelEntry>> models;                  // by provider id
  std::map<std::string, std::map<std::string, Deprecation>> deprecated;  // provider → old id → …
  std::map<std::string, Alias> aliases;                                   // by alias name
};

// Reads `file` and merges it into `into` (a later file's entries win). Validates everything
// against the loaded plugins; throws ConfigurationError naming the file and the offending key
// (e.g. "aliases.fast") with what is expected there.
void load_file(const std::filesystem::path& file, const std::vector<PluginInfo>& plugins, UserCatalog& into);

// The plugin's catalog with the user entries for its provider applied.
std::vector<ModelInfo> merged_models(const PluginInfo& plugin, const UserCatalog& user);

}  // namespace majordomo::catalog
