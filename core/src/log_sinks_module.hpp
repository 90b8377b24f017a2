// The internal boundary between libmajordomo_logging and libmajordomo-logsinks.so, the module that alone links Poco::Data, SQLite and libpq.
#pragma once

#include <majordomo/logging.hpp>
#include <majordomo/version.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

// Poco::Data, its SQLite connector and libpq (with OpenSSL, Kerberos, LDAP and
// GnuTLS behind it) are about 7 MiB of RSS and most of the dynamic linker's start-up work. A
// shared build keeps them in a module loaded on the first open_log_sink() or read_log(), so a
// program that links libmajordomo_logging but logs nothing (a gateway without "log") maps none of
// it. C++ types cross (a sink, rows, majordomo::Error), so both sides must come from one build:
// the module is looked for only beside the library's own file (or where the environment says),
// and a table whose version string or row size differs is refused. Errors the module throws
// come from libmajordomo's throw functions; catches on both sides match them by type name, as
// libstdc++ compares type information, although each side keeps its own (hidden) copy.
namespace majordomo::log_sinks {

inline constexpr std::uint32_t kApiVersion = 1;
inline constexpr const char* kEntryName = "majordomo_log_sinks_v1";
inline constexpr const char* kModuleFile = "libmajordomo-logsinks.so";

struct LogSinksApi {
  std::uint32_t version;
  std::uint32_t struct_size;
  const char* build;          // MAJORDOMO_VERSION_STRING of the module's build
  std::size_t log_record_size;  // sizeof(LogRecord) there
  // As open_log_sink() and read_log() (majordomo/logging.hpp) promise, errors included.
  std::unique_ptr<LogSink> (*open)(std::string_view target);
  std::vector<LogRecord> (*read)(std::string_view target, std::size_t count);
};

// The module's one exported symbol: the table, or null when `caller_struct_size` is larger
// than the table this module has.
using LogSinksEntry = const LogSinksApi* (*)(std::size_t caller_struct_size) noexcept;

// True when `api` may be used by this build.
inline bool same_build(const LogSinksApi& api) {
  return api.version == kApiVersion && api.struct_size >= sizeof(LogSinksApi) && api.build != nullptr &&
         std::string_view(api.build) == MAJORDOMO_VERSION_STRING && api.log_record_size == sizeof(LogRecord);
}

// The sinks: defined by log_sinks.cpp in a static build, by the loader (log_sinks_loader.cpp) in
// a shared one, where the first call loads the module. Throws ConfigurationError naming the
// places searched when the module cannot be loaded.
const LogSinksApi& database_sinks();

}  // namespace majordomo::log_sinks
