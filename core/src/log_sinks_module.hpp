// The internal boundary between libmajordomo_logging and libmajordomo-logsinks.so, the module that alone links Poco::Data, SQLite and libpq.
#pragma once

#include <majordomo/logging.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

// Poco::Data, its SQLite and PostgreSQL connectors and libpq (with OpenSSL, Kerberos, LDAP and
// GnuTLS behind it) are about 5 MiB of RSS and most of the dynamic linker's start-up work. A
// shared build keeps them in a module loaded on the first open_log_sink() or read_log(), so a
// program that links libmajordomo_logging but logs nothing (a gateway without "log") maps none of
// it. Both sides come from one build (the entry's version, the table's version and struct_size
// refuse a module of another build), so C++ types cross: a sink, rows, and majordomo::Error
// (its type information lives in libmajordomo, one copy for the process).
namespace majordomo::log_sinks {

inline constexpr std::uint32_t kApiVersion = 1;
inline constexpr const char* kEntryName = "majordomo_log_sinks_v1";
inline constexpr const char* kModuleFile = "libmajordomo-logsinks.so";

struct LogSinksApi {
  std::uint32_t version;
  std::uint32_t struct_size;
  // As open_log_sink() and read_log() (majordomo/logging.hpp) promise, errors included.
  std::unique_ptr<LogSink> (*open)(std::string_view target);
  std::vector<LogRecord> (*read)(std::string_view target, std::size_t count);
};

// The module's one exported symbol: the table, or null when `caller_struct_size` is larger
// than the table this module has.
using LogSinksEntry = const LogSinksApi* (*)(std::size_t caller_struct_size) noexcept;

// The sinks: defined by log_sinks.cpp in a static build, by the loader (log_sinks_loader.cpp) in
// a shared one, where the first call loads the module. Throws ConfigurationError naming the
// places searched when the module cannot be loaded.
const LogSinksApi& database_sinks();

}  // namespace majordomo::log_sinks
