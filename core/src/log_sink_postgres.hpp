// The call log's PostgreSQL sink on libpq (log_sink_postgres.cpp): opened and read through log_sinks.cpp for postgresql:// targets.
#pragma once

#include "log_targets.hpp"

#include <majordomo/logging.hpp>

#include <cstddef>
#include <memory>
#include <vector>

namespace majordomo::log_sink_postgres {

// Connects, creates majordomo_calls or adds the columns it lacks (core/sql/postgresql.sql, in one
// transaction under an advisory lock), and returns the sink. Throws ConfigurationError
// "cannot open the call log <shown target>: <libpq's message>", the password scrubbed out.
std::unique_ptr<LogSink> open_sink(log_targets::LogTarget target);

// The newest `count` rows, newest first. Throws std::runtime_error with libpq's message as it
// came: the caller names the log and scrubs the target's password out.
std::vector<LogRecord> newest_rows(const log_targets::LogTarget& target, std::size_t count);

}  // namespace majordomo::log_sink_postgres
