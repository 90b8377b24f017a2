// libFuzzer target: the user catalog-file loader, through Host as an application uses it.
#include <majordomo/errors.hpp>
#include <majordomo/host.hpp>

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

// One file per fuzzing process, rewritten for each input.
const std::filesystem::path& catalog_file() {
  static const std::filesystem::path file = [] {
    const char* dir = std::getenv("TMPDIR");
    return std::filesystem::path(dir != nullptr && *dir != '\0' ? dir : "/tmp") /
           ("majordomo-fuzz-catalog-" + std::to_string(::getpid()) + ".json");
  }();
  return file;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  {
    std::ofstream out(catalog_file(), std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  majordomo::HostOptions options;
  options.use_env_path = false;
  options.use_default_dir = false;  // no plugins: the catalog alone is read
  options.use_env_catalog = false;
  options.catalog_files = {catalog_file()};
  try {
    const majordomo::Host host(options);
    for (const auto& alias : host.aliases()) (void)host.alias_members(alias);
  } catch (const majordomo::ConfigurationError&) {
  }
  return 0;
}
