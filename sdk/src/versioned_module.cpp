// The search through candidate paths for a versioned module: existence, dlopen, entry, the caller's check.
#include "versioned_module.hpp"

#include <fmt/format.h>

#include <dlfcn.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace majordomo::sdk {
inline namespace v1 {
namespace modules {

bool load_first(const std::vector<std::string>& candidates, const char* entry_name,
                const std::function<std::string(void* entry)>& check, std::string& looked) {
  for (const std::string& path : candidates) {
    if (!looked.empty()) looked += ", ";
    looked += path;
    struct stat status {};
    if (::stat(path.c_str(), &status) != 0) {
      const int error = errno;
      looked += error == ENOENT ? std::string(" (absent)") : fmt::format(" ({})", std::strerror(error));
      continue;
    }
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* why = ::dlerror();
      looked += fmt::format(" ({})", why != nullptr ? why : "cannot be loaded");
      continue;
    }
    const std::string refused = check(::dlsym(handle, entry_name));
    if (refused.empty()) return true;
    looked += fmt::format(" ({})", refused);
  }
  return false;
}

std::string file_of(const void* code) {
  Dl_info info{};
  if (::dladdr(code, &info) == 0 || info.dli_fname == nullptr) return {};
  return info.dli_fname;
}

}  // namespace modules
}  // namespace v1
}  // namespace majordomo::sdk
