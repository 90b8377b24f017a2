// What discovery learns from a plugin file before the dynamic loader maps it: soundness and exports.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace majordomo {

// Checks that an ELF file is complete before it is mapped: a truncated shared object makes the
// loader fault with SIGBUS, which no handler can turn into an error. Empty string when sound;
// otherwise a short sentence ("not an ELF shared object", "truncated or corrupt ELF file …").
std::string elf_problem(const std::filesystem::path& path);

// Whether the ELF shared object defines `symbol` in its dynamic symbol table, read from the file
// alone: discovery uses it so that a shared library that is not a plugin is never loaded, and its
// constructors never run. std::nullopt when the file does not say (no section headers, e.g. a
// stripped-down object): the caller then has to load it to know. Every offset and size read from
// the file is checked against the file's size; nothing is mapped.
std::optional<bool> elf_defines_symbol(const std::filesystem::path& path, std::string_view symbol);

}  // namespace majordomo
