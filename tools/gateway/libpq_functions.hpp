// libpq's functions as the gateway uses them, loaded on the first postgresql:// target rather than at start-up.
#pragma once

#include <libpq-fe.h>

namespace majordomo::gateway {

// libpq pulls in OpenSSL, Kerberos, LDAP, SASL and GnuTLS: about 5 MiB of RSS and most of the
// dynamic linker's start-up work in a process that never talks to PostgreSQL. The gateway only
// needs it for shared_limits and key_table, so it is dlopened by its soname when one of those is
// configured. The types come from libpq-fe.h of the same major version (soname libpq.so.5, whose
// ABI only grows).
struct LibpqFunctions {
  decltype(&::PQconninfoParse) conninfo_parse;
  decltype(&::PQconninfoFree) conninfo_free;
  decltype(&::PQfreemem) freemem;
  decltype(&::PQconnectdbParams) connectdb_params;
  decltype(&::PQstatus) status;
  decltype(&::PQtransactionStatus) transaction_status;
  decltype(&::PQsetNoticeProcessor) set_notice_processor;
  decltype(&::PQerrorMessage) error_message;
  decltype(&::PQfinish) finish;
  decltype(&::PQexec) exec;
  decltype(&::PQexecParams) exec_params;
  decltype(&::PQprepare) prepare;
  decltype(&::PQexecPrepared) exec_prepared;
  decltype(&::PQresultStatus) result_status;
  decltype(&::PQresultErrorMessage) result_error_message;
  decltype(&::PQntuples) ntuples;
  decltype(&::PQgetisnull) getisnull;
  decltype(&::PQgetvalue) getvalue;
  decltype(&::PQgetlength) getlength;
  decltype(&::PQclear) clear;
};

// Loads libpq.so.5 once (never unloaded) and returns its functions. Throws ConfigurationError
// naming the library, the Debian package that has it and the loader's reason when it cannot.
const LibpqFunctions& libpq();

}  // namespace majordomo::gateway
