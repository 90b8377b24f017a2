// Finds and loads libmajordomo-tls.so on the first https request: env override, beside the plugin, beside the program, install dir.
#include "tls_api.hpp"
#include "versioned_module.hpp"

#include <majordomo/sdk/errors.hpp>

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <system_error>
#include <vector>

#if !defined(MAJORDOMO_TLS_MODULE_INSTALL_PATH) || !defined(MAJORDOMO_TLS_MODULE_FROM_BINDIR)
#error "the build defines MAJORDOMO_TLS_MODULE_INSTALL_PATH and MAJORDOMO_TLS_MODULE_FROM_BINDIR"
#endif

namespace majordomo::sdk {
inline namespace v1 {
namespace tls {

namespace {

struct LoadResult {
  const TlsApi* api = nullptr;
  std::string error;
};

struct HostModule {
  std::mutex mutex;
  std::string path;
};

HostModule& host_module() {
  static HostModule module;
  return module;
}

std::vector<std::string> candidates() {
  std::vector<std::string> paths;
  if (const char* forced = std::getenv("MAJORDOMO_TLS_MODULE"); forced != nullptr && *forced != '\0')
    paths.emplace_back(forced);
  {
    HostModule& named = host_module();
    const std::lock_guard lock(named.mutex);
    if (!named.path.empty()) paths.push_back(named.path);
  }
  // Plugins live in <libdir>/majordomo/plugins/ and the module in <libdir>/majordomo/, in the
  // build tree and in an installed tree alike, wherever the prefix was.
  // The file this code lives in: the plugin that linked the static SDK (or the program).
  const std::string self = modules::file_of(reinterpret_cast<const void*>(&candidates));
  if (!self.empty()) {
    std::error_code no_cwd;
    std::filesystem::path file = std::filesystem::absolute(self, no_cwd);
    if (no_cwd) file = self;
    const std::filesystem::path plugin_dir = file.parent_path();
    paths.push_back((plugin_dir.parent_path() / kTlsModuleFile).string());
  }
  // A plugin kept outside the tree, loaded by an installed program (<prefix>/bin/majordomo, moved
  // or not): the module of that program's tree, <bindir>/../lib/majordomo/.
  std::error_code no_exe;
  const std::filesystem::path program = std::filesystem::read_symlink("/proc/self/exe", no_exe);
  if (!no_exe) paths.push_back((program.parent_path() / MAJORDOMO_TLS_MODULE_FROM_BINDIR).lexically_normal().string());
  // Last, where the SDK itself was configured to be installed.
  paths.emplace_back(MAJORDOMO_TLS_MODULE_INSTALL_PATH);
  return paths;
}

LoadResult load() {
  LoadResult result;
  std::string looked;
  const auto check = [&](void* entry) -> std::string {
    const TlsApi* api = entry != nullptr ? reinterpret_cast<TlsEntry>(entry)(sizeof(TlsApi)) : nullptr;
    if (api == nullptr || api->version != kTlsApiVersion || api->struct_size < sizeof(TlsApi))
      return "from another majordomo SDK version";
    result.api = api;
    return {};
  };
  if (!modules::load_first(candidates(), kTlsEntryName, check, looked)) {
    result.error = fmt::format("https needs {}, looked in: {}; set MAJORDOMO_TLS_MODULE to its path",
                               kTlsModuleFile, looked);
  }
  return result;
}

}  // namespace

void remember_host_module(std::string_view path) {
  if (path.empty()) return;
  HostModule& named = host_module();
  const std::lock_guard lock(named.mutex);
  if (named.path.empty()) named.path.assign(path);
}

const TlsApi& tls_api() {
  static std::once_flag once;
  static LoadResult loaded;
  std::call_once(once, [] { loaded = load(); });
  if (loaded.api == nullptr) throw ProviderError(MJ_ERR_CONFIGURATION, loaded.error);
  return *loaded.api;
}

}  // namespace tls

void use_host_tls_module(std::string_view path) { tls::remember_host_module(path); }

}  // namespace v1
}  // namespace majordomo::sdk
