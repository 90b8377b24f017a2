// Plugin discovery: directory scan, ELF sanity check, Boost.DLL load, ABI handshake, metadata copy.
#include "plugin_library.hpp"

#include "install_layout.hpp"

#include <majordomo/sdk/str.hpp>
#include <majordomo/version.hpp>

#include <boost/dll/runtime_symbol_info.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <elf.h>
#include <fstream>
#include <set>
#include <system_error>

#ifndef MAJORDOMO_INSTALL_PLUGIN_DIR
#error "MAJORDOMO_INSTALL_PLUGIN_DIR must be defined by the build"
#endif

namespace majordomo {
namespace fs = std::filesystem;

namespace {

std::string as_string(mj_str text) { return std::string(sdk::view(text)); }

// The default plugin directory, found from where the host itself is (install_layout.hpp).
fs::path default_plugin_dir() { return install_layout::plugin_dir(); }

template <class T>
bool read_at(std::ifstream& in, std::uint64_t offset, T& out) {
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(reinterpret_cast<char*>(&out), sizeof(T));
  return static_cast<bool>(in);
}

bool valid_provider_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

ModelInfo copy_model(const mj_model_info& model) {
  ModelInfo out;
  out.id = as_string(model.id);
  out.input_usd_per_mtok = model.input_usd_per_mtok;
  out.output_usd_per_mtok = model.output_usd_per_mtok;
  out.cached_input_usd_per_mtok = model.cached_input_usd_per_mtok;
  out.cache_write_usd_per_mtok = model.cache_write_usd_per_mtok;
  out.max_output_tokens = model.max_output_tokens;
  out.capabilities = model.capabilities;
  return out;
}

struct LoadOutcome {
  std::shared_ptr<LoadedPlugin> plugin;
  SkipReason reason = SkipReason::failed_to_load;
  std::string message;
};

LoadOutcome load_one(const fs::path& path) {
  LoadOutcome outcome;
  if (std::string problem = elf_problem(path); !problem.empty()) {
    outcome.reason = problem.rfind("not an ELF", 0) == 0 ? SkipReason::not_a_plugin
                                                         : SkipReason::failed_to_load;
    outcome.message = std::move(problem);
    return outcome;
  }
  auto library = std::make_shared<boost::dll::shared_library>();
  try {
    // RTLD_NOW: a plugin with an unresolved symbol fails here, not in the middle of a request.
    library->load(path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& error) {
    outcome.reason = SkipReason::failed_to_load;
    outcome.message = fmt::format("the dynamic loader refused it: {}", error.what());
    return outcome;
  }
  if (!library->has(MJ_PLUGIN_ENTRY_SYMBOL)) {
    outcome.reason = SkipReason::not_a_plugin;
    outcome.message = fmt::format("a shared library without the {} symbol", MJ_PLUGIN_ENTRY_SYMBOL);
    return outcome;
  }
  auto& entry = library->get<int32_t(const mj_host_offer*, mj_plugin_answer*)>(MJ_PLUGIN_ENTRY_SYMBOL);
  static constexpr char kHostVersion[] = MAJORDOMO_VERSION_STRING;
  const mj_host_offer offer{sizeof(mj_host_offer), kHostAbiMin, kHostAbiMax, 0,
                            {kHostVersion, sizeof(kHostVersion) - 1}};
  mj_plugin_answer answer{};
  answer.struct_size = sizeof(mj_plugin_answer);
  const int32_t refused = entry(&offer, &answer);
  if (refused != 0 || answer.table == nullptr || answer.abi_chosen < kHostAbiMin ||
      answer.abi_chosen > kHostAbiMax) {
    outcome.reason = SkipReason::abi_out_of_range;
    outcome.message = fmt::format(
        "plugin speaks plugin ABI {}..{}, this host speaks {}..{}; rebuild the plugin against a "
        "majordomo SDK with ABI {} (or use a majordomo release that speaks ABI {})",
        answer.abi_min, answer.abi_max, kHostAbiMin, kHostAbiMax, kHostAbiMax, answer.abi_max);
    return outcome;
  }
  const auto* table = static_cast<const mj_plugin_v1*>(answer.table);
  const mj_provider_info* info = table->info;
  const bool complete_table =
      table->struct_size >= sizeof(mj_plugin_v1) && table->abi_version == answer.abi_chosen &&
      table->instance_create && table->instance_destroy && table->request_build &&
      table->prepared_release && table->call_open && table->call_next && table->call_close &&
      table->status_release && info != nullptr && info->struct_size >= sizeof(mj_provider_info);
  if (!complete_table) {
    outcome.reason = SkipReason::invalid_metadata;
    outcome.message = "the plugin's function table or provider info is incomplete for ABI 1";
    return outcome;
  }
  auto plugin = std::make_shared<LoadedPlugin>();
  plugin->library = library;
  plugin->table = table;
  if (answer.call_params_size > MJ_CALL_PARAMS_V1_SIZE) plugin->call_params_size = answer.call_params_size;
  PluginInfo& out = plugin->info;
  out.provider_id = as_string(info->provider_id);
  if (!valid_provider_id(out.provider_id)) {
    outcome.reason = SkipReason::invalid_metadata;
    outcome.message = fmt::format("provider id '{}' is not lower-case [a-z0-9_-], 1 to 64 bytes",
                                  out.provider_id);
    return outcome;
  }
  out.display_name = as_string(info->display_name);
  out.version = as_string(info->plugin_version);
  out.path = path;
  out.abi_version = answer.abi_chosen;
  out.default_base_url = as_string(info->default_base_url);
  out.api_key_env = as_string(info->api_key_env);
  out.base_url_env = as_string(info->base_url_env);
  for (std::size_t i = 0; i < info->model_count; ++i) out.models.push_back(copy_model(info->models[i]));
  outcome.plugin = std::move(plugin);
  return outcome;
}

}  // namespace

std::string elf_problem(const fs::path& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) return fmt::format("cannot read the file: {}", ec.message());
  std::ifstream in(path, std::ios::binary);
  if (!in) return "cannot open the file for reading";
  Elf64_Ehdr header{};
  if (size < sizeof(header) || !read_at(in, 0, header) ||
      std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0) {
    return "not an ELF shared object";
  }
  if (header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_type != ET_DYN) {
    return "not a 64-bit ELF shared object for this machine";
  }
  const auto truncated = [&](const char* what) {
    return fmt::format(
        "truncated or corrupt ELF file ({} lies beyond its {} bytes); reinstall the plugin, "
        "writing it to a temporary name and renaming it into place",
        what, size);
  };
  if (header.e_shoff + static_cast<std::uint64_t>(header.e_shnum) * header.e_shentsize > size) {
    return truncated("the section header table");
  }
  if (header.e_phoff + static_cast<std::uint64_t>(header.e_phnum) * header.e_phentsize > size) {
    return truncated("the program header table");
  }
  for (unsigned i = 0; i < header.e_phnum; ++i) {
    Elf64_Phdr program{};
    if (!read_at(in, header.e_phoff + static_cast<std::uint64_t>(i) * header.e_phentsize, program)) {
      return truncated("a program header");
    }
    if (program.p_offset + program.p_filesz > size) return truncated("a loadable segment");
  }
  return {};
}

std::vector<fs::path> plugin_search_path(const HostOptions& options) {
  std::vector<fs::path> dirs = options.plugin_dirs;
  if (options.use_env_path) {
    if (const char* env = std::getenv("MAJORDOMO_PLUGIN_PATH"); env != nullptr) {
      std::string_view rest(env);
      while (!rest.empty()) {
        const auto colon = rest.find(':');
        const auto part = rest.substr(0, colon);
        if (!part.empty()) dirs.emplace_back(part);
        if (colon == std::string_view::npos) break;
        rest.remove_prefix(colon + 1);
      }
    }
  }
  if (options.use_default_dir) dirs.push_back(default_plugin_dir());
  // The same directory named twice is scanned once.
  std::vector<fs::path> unique;
  std::set<fs::path> seen;
  for (const auto& dir : dirs) {
    std::error_code ec;
    const fs::path key = fs::weakly_canonical(dir, ec);
    if (seen.insert(ec ? dir : key).second) unique.push_back(dir);
  }
  return unique;
}

DiscoveryResult discover_plugins(const HostOptions& options) {
  DiscoveryResult result;
  result.search_path = plugin_search_path(options);
  const fs::path default_dir = options.use_default_dir ? default_plugin_dir() : fs::path();
  for (const fs::path& dir : result.search_path) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      // A directory the caller named (option or MAJORDOMO_PLUGIN_PATH) must exist; the default
      // one may be absent (nothing installed yet).
      if (dir != default_dir) {
        result.skipped.push_back({dir, SkipReason::failed_to_load,
                                  "plugin directory does not exist or is not a directory"});
      }
      continue;
    }
    std::vector<fs::path> files;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      if (it->is_regular_file(ec) || it->is_symlink(ec)) files.push_back(it->path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      const std::string name = file.filename().string();
      if (name.size() < 4 || (name.compare(name.size() - 3, 3, ".so") != 0 &&
                              name.find(".so.") == std::string::npos)) {
        result.skipped.push_back({file, SkipReason::not_a_plugin,
                                  "not a shared library (the name does not end in .so)"});
        continue;
      }
      LoadOutcome outcome = load_one(file);
      if (!outcome.plugin) {
        result.skipped.push_back({file, outcome.reason, std::move(outcome.message)});
        continue;
      }
      const auto existing = std::find_if(result.plugins.begin(), result.plugins.end(), [&](const auto& p) {
        return p->info.provider_id == outcome.plugin->info.provider_id;
      });
      if (existing != result.plugins.end()) {
        result.skipped.push_back(
            {file, SkipReason::duplicate_provider,
             fmt::format("provider id '{}' is already provided by {}; remove one of the two or "
                         "order the plugin directories so the one you want comes first",
                         outcome.plugin->info.provider_id, (*existing)->info.path.string())});
        continue;
      }
      result.plugins.push_back(std::move(outcome.plugin));
    }
  }
  return result;
}

}  // namespace majordomo
