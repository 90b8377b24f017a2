// The call log's SQL text shared by its SQLite (Poco::Data) and PostgreSQL (libpq) sinks: columns, insert, select, schema statements.
#pragma once

#include "log_targets.hpp"

#include <cstddef>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace majordomo::log_sql {

// The columns of majordomo_calls that a row fills, in insert and select order.
inline constexpr std::string_view kColumns[] = {
    "request_id", "created_at", "provider", "model", "served_by", "response_model", "alias",
    "operation", "format", "status", "error_kind", "error_message", "http_status", "response_time_s",
    "input_tokens", "output_tokens", "cached_tokens", "cache_write_tokens", "reasoning_tokens",
    "input_cost", "output_cost", "total_cost", "stop_reason", "attempts", "failed_attempt_count",
    "failed_attempts", "warnings", "api_key_hash", "metadata", "request_body_key", "response_body_key",
    "provider_request_id", "tool_calls", "request_extras"};
inline constexpr std::size_t kColumnCount = std::size(kColumns);

// JSONB in PostgreSQL, TEXT in SQLite.
bool is_json_column(std::string_view column);

// A schema file split into statements (the files have no ';' inside literals), comments dropped.
std::vector<std::string> statements_of(std::string_view script);

// INSERT of every column in kColumns order: '?' placeholders for SQLite, "$n" (with the casts the
// text parameters need) for PostgreSQL.
std::string insert_sql(log_targets::Dialect dialect);

// The newest `count` rows, newest first, every column in kColumns order; created_at as the row's
// "2026-01-31T12:00:00.123Z" text and JSON columns as text in both dialects. A log written only
// by a majordomo older than 0.5 lacks tool_calls and request_extras: they then read "[]" and "{}".
std::string select_sql(log_targets::Dialect dialect, std::size_t count, bool has_0_5_columns);

// True for a schema statement "ALTER TABLE majordomo_calls ADD COLUMN IF NOT EXISTS c …" whose
// column is in `present`. ALTER TABLE takes an exclusive lock before it looks for the column: on
// a shared log every start would queue behind readers and stall every writer, so only a missing
// column is added.
bool adds_present_column(std::string_view statement, const std::vector<std::string>& present);

}  // namespace majordomo::log_sql
