// Reads a plugin candidate's ELF headers and dynamic symbol table with bounds checks, before any dlopen.
#include "elf_file.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace majordomo {
namespace {

// A table larger than this is not a plugin's (ours hold a few hundred entries).
constexpr std::uint64_t kMaxTableBytes = std::uint64_t{16} << 20;

#if defined(__x86_64__)
constexpr Elf64_Half kMachine = EM_X86_64;
#elif defined(__aarch64__)
constexpr Elf64_Half kMachine = EM_AARCH64;
#else
constexpr Elf64_Half kMachine = 0;  // not checked on other machines
#endif

// offset + size within [0, limit], without overflow.
bool fits(std::uint64_t offset, std::uint64_t size, std::uint64_t limit) {
  return offset <= limit && size <= limit - offset;
}

// One open file read with pread: a handful of system calls per candidate, as discovery runs on
// every program's start-up.
class ElfReader {
 public:
  explicit ElfReader(const std::filesystem::path& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    struct stat status {};
    if (fd_ >= 0 && ::fstat(fd_, &status) == 0) size_ = static_cast<std::uint64_t>(status.st_size);
  }
  ~ElfReader() {
    if (fd_ >= 0) ::close(fd_);
  }
  ElfReader(const ElfReader&) = delete;
  ElfReader& operator=(const ElfReader&) = delete;

  bool open() const noexcept { return fd_ >= 0; }
  std::uint64_t size() const noexcept { return size_; }

  // Reads [offset, offset + out.size()) whole, or fails.
  bool read(std::uint64_t offset, void* out, std::size_t bytes) const {
    if (!fits(offset, bytes, size_)) return false;
    auto* cursor = static_cast<char*>(out);
    while (bytes > 0) {
      const ssize_t n = ::pread(fd_, cursor, bytes, static_cast<off_t>(offset));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      cursor += n;
      offset += static_cast<std::uint64_t>(n);
      bytes -= static_cast<std::size_t>(n);
    }
    return true;
  }

  template <class Entry>
  bool read_table(std::uint64_t offset, std::uint64_t count, std::uint64_t entry_size, std::vector<Entry>& out) const {
    if (entry_size < sizeof(Entry) || count * entry_size > kMaxTableBytes) return false;
    std::vector<char> raw(static_cast<std::size_t>(count * entry_size));
    if (!read(offset, raw.data(), raw.size())) return false;
    out.resize(static_cast<std::size_t>(count));
    for (std::size_t i = 0; i < out.size(); ++i) std::memcpy(&out[i], raw.data() + i * entry_size, sizeof(Entry));
    return true;
  }

 private:
  int fd_;
  std::uint64_t size_ = 0;
};

std::string truncated(const char* what, std::uint64_t size) {
  return fmt::format(
      "truncated or corrupt ELF file ({} lies beyond its {} bytes); reinstall the plugin, writing it to "
      "a temporary name and renaming it into place",
      what, size);
}

// Whether the dynamic symbol table (found through the section headers) defines `symbol`.
std::optional<bool> defines_symbol(const ElfReader& file, const Elf64_Ehdr& header,
                                   const std::vector<Elf64_Shdr>& sections, std::string_view symbol) {
  for (const Elf64_Shdr& symbols : sections) {
    if (symbols.sh_type != SHT_DYNSYM) continue;
    if (symbols.sh_link >= header.e_shnum) return std::nullopt;
    const Elf64_Shdr& names = sections[symbols.sh_link];
    if (names.sh_type != SHT_STRTAB || names.sh_size > kMaxTableBytes) return std::nullopt;
    std::vector<Elf64_Sym> table;
    std::vector<char> strings(static_cast<std::size_t>(names.sh_size));
    if (!file.read_table(symbols.sh_offset, symbols.sh_size / sizeof(Elf64_Sym), sizeof(Elf64_Sym), table) ||
        !file.read(names.sh_offset, strings.data(), strings.size())) {
      return std::nullopt;
    }
    for (const Elf64_Sym& entry : table) {
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

}  // namespace

ElfInspection inspect_elf(const std::filesystem::path& path, std::string_view symbol) {
  ElfInspection result;
  const ElfReader file(path);
  if (!file.open()) {
    result.problem = fmt::format("cannot open the file for reading: {}", std::strerror(errno));
    return result;
  }
  Elf64_Ehdr header{};
  if (!file.read(0, &header, sizeof(header)) || std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0) {
    result.problem = "not an ELF shared object";
    return result;
  }
  if (header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_type != ET_DYN ||
      (kMachine != 0 && header.e_machine != kMachine)) {
    result.problem = "not a 64-bit ELF shared object for this machine";
    return result;
  }
  if (!fits(header.e_shoff, static_cast<std::uint64_t>(header.e_shnum) * header.e_shentsize, file.size())) {
    result.problem = truncated("the section header table", file.size());
    return result;
  }
  std::vector<Elf64_Phdr> programs;
  if (!file.read_table(header.e_phoff, header.e_phnum, header.e_phentsize, programs)) {
    result.problem = truncated("the program header table", file.size());
    return result;
  }
  for (const Elf64_Phdr& program : programs) {
    if (!fits(program.p_offset, program.p_filesz, file.size())) {
      result.problem = truncated("a loadable segment", file.size());
      return result;
    }
  }
  std::vector<Elf64_Shdr> sections;
  if (!symbol.empty() && header.e_shnum > 0 &&
      file.read_table(header.e_shoff, header.e_shnum, header.e_shentsize, sections)) {
    result.defines_symbol = defines_symbol(file, header, sections, symbol);
  }
  return result;
}

std::string elf_problem(const std::filesystem::path& path) { return inspect_elf(path, {}).problem; }

}  // namespace majordomo
