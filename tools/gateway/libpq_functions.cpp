// Loads libpq.so.5 on first use and resolves the functions the gateway calls.
#include "libpq_functions.hpp"

#include <majordomo/errors.hpp>

#include <fmt/format.h>

#include <dlfcn.h>

#include <mutex>
#include <string>

namespace majordomo::gateway {
namespace {

constexpr const char* kLibpqFile = "libpq.so.5";

struct LoadedLibpq {
  LibpqFunctions functions{};
  std::string error;  // empty when loaded
};

template <typename Function>
bool resolve(void* handle, const char* name, Function& slot, std::string& error) {
  void* symbol = ::dlsym(handle, name);
  if (symbol == nullptr) {
    if (error.empty()) error = fmt::format("{} has no {}", kLibpqFile, name);
    return false;
  }
  slot = reinterpret_cast<Function>(symbol);
  return true;
}

LoadedLibpq load() {
  LoadedLibpq loaded;
  // RTLD_LOCAL: its symbols serve this table only. Never closed: connections outlive any scope here.
  void* handle = ::dlopen(kLibpqFile, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    loaded.error = why != nullptr ? why : "cannot be loaded";
    return loaded;
  }
  LibpqFunctions& f = loaded.functions;
  std::string& e = loaded.error;
  // Each resolve() keeps the first missing name; the && chain stops there.
  (void)(resolve(handle, "PQconninfoParse", f.conninfo_parse, e) && resolve(handle, "PQconninfoFree", f.conninfo_free, e) &&
         resolve(handle, "PQfreemem", f.freemem, e) && resolve(handle, "PQconnectdbParams", f.connectdb_params, e) &&
         resolve(handle, "PQstatus", f.status, e) && resolve(handle, "PQtransactionStatus", f.transaction_status, e) &&
         resolve(handle, "PQsetNoticeProcessor", f.set_notice_processor, e) &&
         resolve(handle, "PQerrorMessage", f.error_message, e) && resolve(handle, "PQfinish", f.finish, e) &&
         resolve(handle, "PQexec", f.exec, e) && resolve(handle, "PQexecParams", f.exec_params, e) &&
         resolve(handle, "PQprepare", f.prepare, e) && resolve(handle, "PQexecPrepared", f.exec_prepared, e) &&
         resolve(handle, "PQresultStatus", f.result_status, e) &&
         resolve(handle, "PQresultErrorMessage", f.result_error_message, e) && resolve(handle, "PQntuples", f.ntuples, e) &&
         resolve(handle, "PQgetisnull", f.getisnull, e) && resolve(handle, "PQgetvalue", f.getvalue, e) &&
         resolve(handle, "PQgetlength", f.getlength, e) && resolve(handle, "PQclear", f.clear, e));
  return loaded;
}

}  // namespace

const LibpqFunctions& libpq() {
  static std::once_flag once;
  static LoadedLibpq loaded;
  std::call_once(once, [] { loaded = load(); });
  if (!loaded.error.empty()) {
    throw_configuration_error(fmt::format(
        "postgresql:// targets need {} (Debian package libpq5; install it, or leave shared_limits and key_table "
        "out of the configuration): {}",
        kLibpqFile, loaded.error));
  }
  return loaded.functions;
}

}  // namespace majordomo::gateway
