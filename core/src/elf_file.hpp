// What discovery learns from a plugin file before the dynamic loader maps it: soundness and exports.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace majordomo {

struct ElfInspection {
  // Empty when the file is a complete 64-bit ELF shared object for this machine; otherwise a short
  // sentence ("not an ELF shared object", "truncated or corrupt ELF file …"). A truncated shared
  // object makes the loader fault with SIGBUS, which no handler can turn into an error.
  std::string problem;
  // Whether the dynamic symbol table defines the symbol asked for: discovery uses it so that a
  // shared library that is not a plugin is never loaded and its constructors never run.
  // std::nullopt when the file does not say (no section headers): it must be loaded to know.
  std::optional<bool> defines_symbol;
};

// Reads the file alone, with every offset and size checked against the file's size; nothing is
// mapped. `symbol` empty: only the soundness check.
ElfInspection inspect_elf(const std::filesystem::path& path, std::string_view symbol);

// inspect_elf(path, {}).problem.
std::string elf_problem(const std::filesystem::path& path);

}  // namespace majordomo
