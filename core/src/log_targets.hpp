// Log targets ("sqlite:PATH", "postgresql://…"): parsed once, shown without secrets; shared by the logger and the sinks module.
#pragma once

#include "secret_values.hpp"

#include <string>
#include <string_view>

namespace majordomo::log_targets {

enum class Dialect { sqlite, postgresql };

// A parsed log target: what the sink opens, and how the target may be shown.
struct LogTarget {
  Dialect dialect = Dialect::sqlite;
  std::string connection;  // a file path (Poco::Data SQLite), or libpq key=value pairs (PQconnectdb)
  std::string shown;       // the target with any password replaced
  SecretValues secrets;    // passwords, to remove them from database error texts and the rows
};

// Throws ConfigurationError naming the target as it may be shown and the two accepted forms.
LogTarget parse_target(std::string_view text);

}  // namespace majordomo::log_targets
