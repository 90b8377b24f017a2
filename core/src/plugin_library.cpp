// Plugin discovery: directory scan, ELF checks, Boost.DLL load, the guarded ABI handshake, metadata read through the boundary.
#include "plugin_library.hpp"

#include "elf_file.hpp"
#include "install_layout.hpp"
#include "plugin_boundary.hpp"

#include <majordomo/sdk/str.hpp>
#include <majordomo/version.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <set>
#include <system_error>
#include <utility>

#include <sys/stat.h>

namespace majordomo {
namespace fs = std::filesystem;

namespace {

std::string as_string(mj_str text) { return std::string(sdk::view(text)); }

// The default plugin directory, found from where the host itself is (install_layout.hpp).
fs::path default_plugin_dir() { return install_layout::plugin_dir(); }

bool valid_provider_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

// The TLS module of this host (install_layout.hpp), handed to every plugin at the handshake so that
// a plugin installed anywhere does https. Empty when the host has none.
std::string host_tls_module_path() { return install_layout::tls_module_path().string(); }

// Metadata strings are names, URLs and header values: 64 KiB is far beyond any of them.
constexpr std::size_t kMaxMetadataString = 64 * 1024;
bool sound_metadata(mj_str text) noexcept { return sound(text, kMaxMetadataString); }
bool sound(const mj_header* headers, std::size_t count) noexcept {
  if (count == 0) return true;
  if (headers == nullptr || count > 256) return false;
  return std::all_of(headers, headers + count,
                     [](const mj_header& h) { return sound_metadata(h.name) && sound_metadata(h.value); });
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

// The dynamic loader's reason in a short sentence: Boost.DLL wraps dlerror() as
// "boost::dll::shared_library::load() failed (dlerror system message: <path>: <why>): <errno text>",
// and only <why> means anything to a user.
std::string loader_reason(std::string_view what, const fs::path& path) {
  constexpr std::string_view marker = "dlerror system message: ";
  if (const auto at = what.find(marker); at != std::string_view::npos) {
    what.remove_prefix(at + marker.size());
    if (const auto close = what.rfind("): "); close != std::string_view::npos) what = what.substr(0, close);
  }
  const std::string prefix = path.string() + ": ";
  if (what.substr(0, prefix.size()) == prefix) what.remove_prefix(prefix.size());
  constexpr std::string_view missing = ": cannot open shared object file: No such file or directory";
  if (what.size() > missing.size() && what.substr(what.size() - missing.size()) == missing) {
    return fmt::format("it needs {}, which the dynamic loader cannot find",
                       what.substr(0, what.size() - missing.size()));
  }
  constexpr std::string_view undefined = "undefined symbol: ";
  if (const auto at = what.find(undefined); at != std::string_view::npos) {
    return fmt::format("it needs the symbol {}, which none of the loaded libraries defines (was it built "
                       "against other versions of its libraries?)",
                       what.substr(at + undefined.size()));
  }
  return fmt::format("the dynamic loader refused it: {}", what);
}

// The plugin's reason for MJ_ENTRY_FAILED, cut at its NUL and made printable.
std::string entry_failure(const char* buffer, std::size_t capacity) {
  std::string text(buffer, strnlen(buffer, capacity));
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return text;
}

struct LoadOutcome {
  std::shared_ptr<LoadedPlugin> plugin;
  SkipReason reason = SkipReason::failed_to_load;
  std::string message;
};

LoadOutcome skip(SkipReason reason, std::string message) {
  LoadOutcome outcome;
  outcome.reason = reason;
  outcome.message = std::move(message);
  return outcome;
}

// Reads the plugin's table and provider info through the boundary and checks what the host will
// rely on: every v1 function present, every string and array well formed, a valid provider id.
LoadOutcome read_metadata(const fs::path& path, const mj_plugin_answer& answer) {
  const auto table = read_plugin_struct(static_cast<const mj_plugin_v1*>(answer.table), MJ_PLUGIN_V1_SIZE);
  const bool complete_table = table && table->abi_version == answer.abi_chosen && table->instance_create &&
                              table->instance_destroy && table->request_build && table->prepared_release &&
                              table->call_open && table->call_next && table->call_close && table->status_release;
  if (!complete_table) {
    return skip(SkipReason::invalid_metadata, "its function table is incomplete for plugin ABI 1");
  }
  const auto info = read_plugin_struct(table->info, MJ_PROVIDER_INFO_V1_SIZE);
  if (!info) return skip(SkipReason::invalid_metadata, "its provider description is missing or truncated");
  const bool sound_info =
      sound_metadata(info->provider_id) && sound_metadata(info->display_name) &&
      sound_metadata(info->plugin_version) && sound_metadata(info->default_base_url) &&
      sound_metadata(info->api_key_env) && sound_metadata(info->base_url_env) &&
      sound_metadata(info->auth_header) && sound(info->required_headers, info->required_header_count) &&
      sound(info->gateway_headers, info->gateway_header_count) &&
      info->model_count <= 65536 && (info->model_count == 0 || info->models != nullptr);
  if (!sound_info) {
    return skip(SkipReason::invalid_metadata,
                "its provider description has a null or oversized string, or a malformed header list");
  }
  auto plugin = std::make_shared<LoadedPlugin>();
  plugin->table = *table;
  // A table that ends inside call_ready (0.6) would leave part of a pointer: only a whole one counts.
  if (!MJ_HAS_FIELD(&plugin->table, mj_plugin_v1, call_ready)) plugin->table.call_ready = nullptr;
  plugin->provider = *info;
  if (answer.call_params_size > MJ_CALL_PARAMS_V1_SIZE) plugin->call_params_size = answer.call_params_size;
  PluginInfo& out = plugin->info;
  out.provider_id = as_string(info->provider_id);
  if (!valid_provider_id(out.provider_id)) {
    return skip(SkipReason::invalid_metadata,
                fmt::format("its provider id '{}' is not lower-case [a-z0-9_-], 1 to 64 bytes",
                            entry_failure(out.provider_id.data(), out.provider_id.size())));
  }
  out.display_name = as_string(info->display_name);
  out.version = as_string(info->plugin_version);
  out.path = path;
  out.abi_version = answer.abi_chosen;
  out.default_base_url = as_string(info->default_base_url);
  out.api_key_env = as_string(info->api_key_env);
  out.base_url_env = as_string(info->base_url_env);
  for (std::size_t i = 0; i < info->model_count; ++i) {
    const auto model = read_plugin_array_element(info->models, i, MJ_MODEL_INFO_V1_SIZE);
    if (!model || !sound_metadata(model->id) || model->id.size == 0) {
      return skip(SkipReason::invalid_metadata,
                  fmt::format("its model catalog entry {} is malformed (sizes differ, or no id)", i + 1));
    }
    out.models.push_back(copy_model(*model));
  }
  LoadOutcome outcome;
  outcome.plugin = std::move(plugin);
  return outcome;
}

LoadOutcome load_one(const fs::path& path, const std::string& tls_module) {
  ElfInspection elf = inspect_elf(path, MJ_PLUGIN_ENTRY_SYMBOL);
  if (!elf.problem.empty()) {
    const bool not_elf = elf.problem.rfind("not an ELF", 0) == 0 || elf.problem.rfind("not a 64-bit", 0) == 0;
    return skip(not_elf ? SkipReason::not_a_plugin : SkipReason::failed_to_load, std::move(elf.problem));
  }
  // A shared library that is not a plugin is recognised from its symbol table, so its
  // constructors never run in this process.
  if (elf.defines_symbol == false) {
    return skip(SkipReason::not_a_plugin,
                fmt::format("a shared library that does not export {}", MJ_PLUGIN_ENTRY_SYMBOL));
  }
  auto library = std::make_shared<boost::dll::shared_library>();
  try {
    // RTLD_NOW: a plugin with an unresolved symbol fails here, not in the middle of a request.
    library->load(path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& error) {
    return skip(SkipReason::failed_to_load, loader_reason(error.what(), path));
  } catch (...) {
    return skip(SkipReason::plugin_fault, "a constructor of the library threw while it was loaded");
  }
  if (!library->has(MJ_PLUGIN_ENTRY_SYMBOL)) {
    return skip(SkipReason::not_a_plugin,
                fmt::format("a shared library that does not export {}", MJ_PLUGIN_ENTRY_SYMBOL));
  }
  auto& entry = library->get<int32_t(const mj_host_offer*, mj_plugin_answer*)>(MJ_PLUGIN_ENTRY_SYMBOL);
  static constexpr char kHostVersion[] = MAJORDOMO_VERSION_STRING;
  mj_host_offer offer{};
  offer.struct_size = sizeof(offer);
  offer.abi_min = kHostAbiMin;
  offer.abi_max = kHostAbiMax;
  offer.host_version = {kHostVersion, sizeof(kHostVersion) - 1};
  offer.tls_module_path = sdk::to_mj(tls_module);
  char failure[256] = {};
  mj_plugin_answer answer{};
  answer.struct_size = sizeof(answer);
  answer.failure = failure;
  answer.failure_capacity = sizeof(failure);
  int32_t result = MJ_ENTRY_REFUSED;
  try {
    result = entry(&offer, &answer);
  } catch (...) {
    return skip(SkipReason::plugin_fault,
                fmt::format("its entry point threw instead of answering: {}", describe_current_exception()));
  }
  // MJ_ENTRY_FAILED with a reason; without one it is a refusal (before 0.2 any non-zero result was).
  if (result == MJ_ENTRY_FAILED) {
    if (const std::string why = entry_failure(failure, sizeof(failure)); !why.empty()) {
      return skip(SkipReason::plugin_fault, fmt::format("it could not describe itself: {}", why));
    }
  }
  if (result != MJ_ENTRY_ACCEPTED || answer.table == nullptr || answer.abi_chosen < kHostAbiMin ||
      answer.abi_chosen > kHostAbiMax) {
    return skip(SkipReason::abi_out_of_range,
                fmt::format("it speaks plugin ABI {}..{}, this host speaks {}..{}; rebuild the plugin against a "
                            "majordomo SDK with ABI {} (or use a majordomo release that speaks ABI {})",
                            answer.abi_min, answer.abi_max, kHostAbiMin, kHostAbiMax, kHostAbiMax,
                            answer.abi_max));
  }
  LoadOutcome outcome;
  try {
    outcome = read_metadata(path, answer);
  } catch (...) {  // e.g. out of memory for a catalog the plugin claims: one plugin, not discovery
    return skip(SkipReason::invalid_metadata,
                fmt::format("its provider description could not be read: {}", describe_current_exception()));
  }
  if (outcome.plugin) outcome.plugin->library = std::move(library);
  return outcome;
}

}  // namespace

std::string describe_current_exception() {
  try {
    throw;
  } catch (const std::exception& error) {
    return error.what();
  } catch (...) {
    return "an exception that is not a std::exception";
  }
}

std::string LoadedPlugin::label() const {
  return fmt::format("the {} plugin ({})", info.provider_id, info.path.string());
}

namespace {

// The search path, given the default directory (looked up once by the caller).
std::vector<fs::path> search_path_with(const HostOptions& options, const fs::path& default_dir) {
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
  if (options.use_default_dir) dirs.push_back(default_dir);
  // The same directory named twice (through a symlink, a trailing slash, "..") is scanned once:
  // compared by file identity, one stat each, or by its normal form when it does not exist.
  std::vector<fs::path> unique;
  std::set<std::pair<dev_t, ino_t>> seen_files;
  std::set<fs::path> seen_names;
  for (const auto& dir : dirs) {
    struct stat status {};
    const bool fresh = ::stat(dir.c_str(), &status) == 0
                           ? seen_files.emplace(status.st_dev, status.st_ino).second
                           : seen_names.insert(dir.lexically_normal()).second;
    if (fresh) unique.push_back(dir);
  }
  return unique;
}

}  // namespace

std::vector<fs::path> plugin_search_path(const HostOptions& options) {
  return search_path_with(options, options.use_default_dir ? default_plugin_dir() : fs::path());
}

DiscoveryResult discover_plugins(const HostOptions& options) {
  DiscoveryResult result;
  const fs::path default_dir = options.use_default_dir ? default_plugin_dir() : fs::path();
  result.search_path = search_path_with(options, default_dir);
  std::optional<std::string> tls_module;  // looked up once, at the first candidate file
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
      // Only "*.so": a versioned name (libz.so.1) is an ordinary library, and loading one would
      // run its constructors in this process for nothing.
      if (name.size() < 4 || name.compare(name.size() - 3, 3, ".so") != 0) {
        result.skipped.push_back({file, SkipReason::not_a_plugin,
                                  name.find(".so.") != std::string::npos
                                      ? "a versioned library name; plugins are named *.so"
                                      : "the name does not end in .so"});
        continue;
      }
      if (!tls_module) tls_module = host_tls_module_path();
      LoadOutcome outcome = load_one(file, *tls_module);
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
