// The call log's DDL: core/sql/*.sql, compiled in so that a sink creates the table it writes to.
#pragma once

#include <string_view>

namespace majordomo::log_schema {

extern const std::string_view sqlite;      // core/sql/sqlite.sql
extern const std::string_view postgresql;  // core/sql/postgresql.sql

}  // namespace majordomo::log_schema
