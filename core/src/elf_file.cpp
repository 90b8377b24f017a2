// Reads a plugin candidate's ELF headers and dynamic symbol table with bounds checks, before any dlopen.
#include "elf_file.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <cstring>
#include <elf.h>
#include <fstream>
#include <system_error>
#include <vector>

namespace majordomo {
namespace {

// A dynamic symbol table larger than this is not a plugin's (ours hold a few thousand entries).
constexpr std::uint64_t kMaxDynamicSectionBytes = std::uint64_t{64} << 20;

template <class T>
bool read_at(std::ifstream& in, std::uint64_t offset, T& out) {
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(reinterpret_cast<char*>(&out), sizeof(T));
  return static_cast<bool>(in);
}

bool read_bytes(std::ifstream& in, std::uint64_t offset, std::uint64_t size, std::vector<char>& out) {
  out.resize(static_cast<std::size_t>(size));
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(out.data(), static_cast<std::streamsize>(size));
  return static_cast<bool>(in);
}

// offset + size within [0, limit], without overflow.
bool fits(std::uint64_t offset, std::uint64_t size, std::uint64_t limit) {
  return offset <= limit && size <= limit - offset;
}

}  // namespace

std::string elf_problem(const std::filesystem::path& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return fmt::format("cannot read the file: {}", ec.message());
  std::ifstream in(path, std::ios::binary);
  if (!in) return "cannot open the file for reading";
  Elf64_Ehdr header{};
  if (size < sizeof(header) || !read_at(in, 0, header) ||
      std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0) {
    return "not an ELF shared object";
  }
#if defined(__x86_64__)
  constexpr Elf64_Half kMachine = EM_X86_64;
#elif defined(__aarch64__)
  constexpr Elf64_Half kMachine = EM_AARCH64;
#else
  constexpr Elf64_Half kMachine = 0;  // not checked on other machines
#endif
  if (header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_type != ET_DYN ||
      (kMachine != 0 && header.e_machine != kMachine)) {
    return "not a 64-bit ELF shared object for this machine";
  }
  const auto truncated = [&](const char* what) {
    return fmt::format(
        "truncated or corrupt ELF file ({} lies beyond its {} bytes); reinstall the plugin, "
        "writing it to a temporary name and renaming it into place",
        what, size);
  };
  if (!fits(header.e_shoff, static_cast<std::uint64_t>(header.e_shnum) * header.e_shentsize, size)) {
    return truncated("the section header table");
  }
  if (!fits(header.e_phoff, static_cast<std::uint64_t>(header.e_phnum) * header.e_phentsize, size)) {
    return truncated("the program header table");
  }
  for (unsigned i = 0; i < header.e_phnum; ++i) {
    Elf64_Phdr program{};
    if (!read_at(in, header.e_phoff + static_cast<std::uint64_t>(i) * header.e_phentsize, program)) {
      return truncated("a program header");
    }
    if (!fits(program.p_offset, program.p_filesz, size)) return truncated("a loadable segment");
  }
  return {};
}

std::optional<bool> elf_defines_symbol(const std::filesystem::path& path, std::string_view symbol) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  Elf64_Ehdr header{};
  if (!in || size < sizeof(header) || !read_at(in, 0, header)) return std::nullopt;
  if (header.e_shnum == 0 || header.e_shentsize < sizeof(Elf64_Shdr) ||
      !fits(header.e_shoff, static_cast<std::uint64_t>(header.e_shnum) * header.e_shentsize, size)) {
    return std::nullopt;
  }
  const auto section = [&](unsigned index, Elf64_Shdr& out) {
    return index < header.e_shnum &&
           read_at(in, header.e_shoff + static_cast<std::uint64_t>(index) * header.e_shentsize, out);
  };
  for (unsigned i = 0; i < header.e_shnum; ++i) {
    Elf64_Shdr symbols{};
    if (!section(i, symbols)) return std::nullopt;
    if (symbols.sh_type != SHT_DYNSYM) continue;
    Elf64_Shdr names{};
    if (!section(symbols.sh_link, names) || names.sh_type != SHT_STRTAB) return std::nullopt;
    if (symbols.sh_size > kMaxDynamicSectionBytes || names.sh_size > kMaxDynamicSectionBytes ||
        !fits(symbols.sh_offset, symbols.sh_size, size) || !fits(names.sh_offset, names.sh_size, size)) {
      return std::nullopt;
    }
    std::vector<char> table, strings;
    if (!read_bytes(in, symbols.sh_offset, symbols.sh_size, table) ||
        !read_bytes(in, names.sh_offset, names.sh_size, strings)) {
      return std::nullopt;
    }
    const std::size_t count = table.size() / sizeof(Elf64_Sym);
    for (std::size_t k = 0; k < count; ++k) {
      Elf64_Sym entry{};
      std::memcpy(&entry, table.data() + k * sizeof(Elf64_Sym), sizeof(entry));
      if (entry.st_shndx == SHN_UNDEF || entry.st_name >= strings.size()) continue;
      const int binding = ELF64_ST_BIND(entry.st_info);
      if (binding != STB_GLOBAL && binding != STB_WEAK) continue;
      // The name runs to the next NUL inside the string table, never past its end.
      const char* name = strings.data() + entry.st_name;
      const std::size_t room = strings.size() - entry.st_name;
      const std::size_t length = strnlen(name, room);
      if (length < room && std::string_view(name, length) == symbol) return true;
    }
    return false;
  }
  return std::nullopt;  // no dynamic symbol table listed
}

}  // namespace majordomo
