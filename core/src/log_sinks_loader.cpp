// open_log_sink and read_log: target checks here, the database work in the sinks module (loaded on first use in a shared build).
#include <majordomo/errors.hpp>
#include <majordomo/logging.hpp>

#include "log_sinks_module.hpp"
#include "log_targets.hpp"

#include <fmt/format.h>

#ifndef MAJORDOMO_STATIC
#include "versioned_module.hpp"  // the SDK's (sdk/src), which this library links

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <system_error>
#include <vector>
#endif

namespace majordomo {

#ifndef MAJORDOMO_STATIC
namespace log_sinks {
namespace {

struct LoadResult {
  const LogSinksApi* api = nullptr;
  std::string error;
};

// The module sits in majordomo/ beside this library's own file, in the build tree and in an
// installed tree alike, wherever the prefix was moved. No configured prefix is searched: a
// module from another install could be of another build.
std::vector<std::string> candidates() {
  std::vector<std::string> paths;
  if (const char* forced = std::getenv("MAJORDOMO_LOG_SINKS_MODULE"); forced != nullptr && *forced != '\0')
    paths.emplace_back(forced);
  if (const std::string self = sdk::modules::file_of(reinterpret_cast<const void*>(&candidates)); !self.empty()) {
    std::error_code no_cwd;
    std::filesystem::path file = std::filesystem::absolute(self, no_cwd);
    if (no_cwd) file = self;
    paths.push_back((file.parent_path() / "majordomo" / kModuleFile).lexically_normal().string());
  }
  return paths;
}

LoadResult load() {
  LoadResult result;
  std::string looked;
  const auto check = [&](void* entry) -> std::string {
    if (entry == nullptr) return "not a majordomo log sinks module";
    const LogSinksApi* api = reinterpret_cast<LogSinksEntry>(entry)(sizeof(LogSinksApi));
    if (api == nullptr || !same_build(*api)) return "from another majordomo build";
    result.api = api;
    return {};
  };
  if (!sdk::modules::load_first(candidates(), kEntryName, check, looked)) {
    result.error = fmt::format("the call log needs {}, looked in: {}; reinstall majordomo, or set "
                               "MAJORDOMO_LOG_SINKS_MODULE to the module's path",
                               kModuleFile, looked);
  }
  return result;
}

}  // namespace

const LogSinksApi& database_sinks() {
  static std::once_flag once;
  static LoadResult loaded;
  std::call_once(once, [] { loaded = load(); });
  if (loaded.api == nullptr) throw_configuration_error(loaded.error);
  return *loaded.api;
}

}  // namespace log_sinks
#endif

std::unique_ptr<LogSink> open_log_sink(std::string_view target) {
  // A malformed target is named as such, before (and without) loading the module.
  (void)log_targets::parse_target(target);
  return log_sinks::database_sinks().open(target);
}

std::vector<LogRecord> read_log(std::string_view target, std::size_t count) {
  (void)log_targets::parse_target(target);
  return log_sinks::database_sinks().read(target, count);
}

}  // namespace majordomo
