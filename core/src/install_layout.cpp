// The host's own location and the install layout around it: plugin directory and TLS module.
#include "install_layout.hpp"

#include <dlfcn.h>
#include <link.h>

#include <system_error>
#include <vector>

#if !defined(MAJORDOMO_LIBDIR_FROM_BINDIR) || !defined(MAJORDOMO_INSTALL_LIBDIR) || \
    !defined(MAJORDOMO_INSTALL_PLUGIN_DIR) || !defined(MAJORDOMO_BUILD_PLUGIN_DIR) || !defined(MAJORDOMO_BUILD_ROOT)
#error "the build defines the install layout (core/CMakeLists.txt)"
#endif

namespace majordomo::install_layout {
namespace fs = std::filesystem;

namespace {

constexpr const char* kTlsModuleFile = "libmajordomo-tls.so";

struct HostLocation {
  fs::path file;
  bool is_program = false;  // the static host, linked into the running program
};

HostLocation locate_host() {
  HostLocation location;
  Dl_info info{};
  link_map* map = nullptr;
  if (dladdr1(reinterpret_cast<const void*>(&locate_host), &info, reinterpret_cast<void**>(&map),
              RTLD_DL_LINKMAP) == 0 || map == nullptr) {
    return location;
  }
  std::error_code ec;
  // The loader names the main program "" in its link map (and dladdr falls back to argv[0],
  // which may be relative or a bare name found on $PATH): ask the kernel instead.
  if (map->l_name == nullptr || map->l_name[0] == '\0') {
    location.is_program = true;
    location.file = fs::read_symlink("/proc/self/exe", ec);
    if (ec) location.file.clear();
    return location;
  }
  location.file = fs::weakly_canonical(fs::absolute(map->l_name, ec), ec);
  if (ec) location.file = map->l_name;
  return location;
}

// The installed tree's <libdir>, from where the host is.
fs::path libdir_beside(const HostLocation& host) {
  if (host.file.empty()) return {};
  const fs::path dir = host.file.parent_path();
  return host.is_program ? (dir / MAJORDOMO_LIBDIR_FROM_BINDIR).lexically_normal() : dir;
}

bool in_build_tree(const fs::path& file) {
  if (file.empty()) return false;
  std::error_code ec;
  const fs::path root = fs::weakly_canonical(MAJORDOMO_BUILD_ROOT, ec);
  if (ec) return false;
  const fs::path relative = file.lexically_relative(root);
  return !relative.empty() && *relative.begin() != "..";
}

// The host's location, found once per process: the library cannot move while it is loaded, and
// canonical paths cost a readlink per component (dozens of system calls for every Host).
const HostLocation& host_location() {
  static const HostLocation location = locate_host();
  return location;
}

// In order: beside the host, the build tree (for a host inside it), the configured install.
const std::vector<fs::path>& majordomo_dirs() {
  static const std::vector<fs::path> dirs = [] {
    const HostLocation& host = host_location();
    std::vector<fs::path> found;
    if (const fs::path libdir = libdir_beside(host); !libdir.empty()) found.push_back(libdir / "majordomo");
    if (in_build_tree(host.file)) found.push_back(fs::path(MAJORDOMO_BUILD_PLUGIN_DIR).parent_path());
    found.push_back(fs::path(MAJORDOMO_INSTALL_LIBDIR) / "majordomo");
    return found;
  }();
  return dirs;
}

}  // namespace

fs::path host_file() { return host_location().file; }

fs::path plugin_dir() {
  std::error_code ec;
  for (const fs::path& dir : majordomo_dirs()) {
    if (fs::is_directory(dir / "plugins", ec)) return dir / "plugins";
  }
  return fs::path(MAJORDOMO_INSTALL_PLUGIN_DIR);
}

fs::path tls_module_path() {
  std::error_code ec;
  for (const fs::path& dir : majordomo_dirs()) {
    if (fs::is_regular_file(dir / kTlsModuleFile, ec)) return dir / kTlsModuleFile;
  }
  return {};
}

}  // namespace majordomo::install_layout
