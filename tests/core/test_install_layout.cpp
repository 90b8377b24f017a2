// Where the host finds its files when it is linked statically into a program of the build tree.
#include "install_layout.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

namespace fs = std::filesystem;
using namespace majordomo;

// This test program links the host's objects (majordomo_internal) and lives in tests/core/ of the
// build tree, outside bin/: the layout beside it does not exist, so the build tree's is used.
// (Installed and moved trees, with the shared host, are covered by the embedding package test.)
TEST_CASE("a program in the build tree that holds the host finds the build's plugins and TLS module", "[install-layout]") {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  REQUIRE_FALSE(ec);
  CHECK(install_layout::host_file() == self);

  const fs::path build_plugins = fs::weakly_canonical(MAJORDOMO_TEST_PLUGIN_DIR);
  CHECK(fs::weakly_canonical(install_layout::plugin_dir()) == build_plugins);

  const fs::path tls = install_layout::tls_module_path();
  CHECK(tls.filename() == "libmajordomo-tls.so");
  CHECK(fs::weakly_canonical(tls.parent_path()) == build_plugins.parent_path());
  CHECK(fs::is_regular_file(tls));
}
