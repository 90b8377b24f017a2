// Where the host's files are: the plugin directory and the TLS module, found from the host's own location.
#pragma once

#include <filesystem>

// One layout for the build tree and for an install, wherever its prefix is and even after the
// tree was moved:
//   <libdir>/libmajordomo.so            the host (shared build)
//   <bindir>/<program>                  a program that linked the static host
//   <libdir>/majordomo/libmajordomo-tls.so
//   <libdir>/majordomo/plugins/
// with <libdir> = <bindir>/MAJORDOMO_LIBDIR_FROM_BINDIR ("../lib"). Nothing here reads the
// environment: MAJORDOMO_PLUGIN_PATH and explicit directories are the caller's business.
namespace majordomo::install_layout {

// The file the host's code runs from: libmajordomo.so, or the program that linked libmajordomo.a
// (through /proc/self/exe, so a relative argv[0] or a symlink to the program does not matter).
// Empty when the loader cannot tell (never expected on Linux).
std::filesystem::path host_file();

// The directory the host loads plugins from when the caller gives none: <libdir>/majordomo/plugins
// next to the host; else, for a test program in the build tree that linked the host statically,
// the build tree's plugin directory; else the directory the build was configured to install to
// (a program that linked the static host but lives outside a majordomo tree). The last one is
// returned even when it does not exist, so that the caller can name it.
std::filesystem::path plugin_dir();

// The TLS module (libmajordomo-tls.so) that belongs to this host, in the same order as
// plugin_dir(): <libdir>/majordomo/ next to the host, the build tree, the configured libdir. Empty
// when none of them holds the file. Plugins receive it so that one installed anywhere (out of
// the tree) can still speak https.
std::filesystem::path tls_module_path();

}  // namespace majordomo::install_layout
