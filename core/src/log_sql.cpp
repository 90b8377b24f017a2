// The call log's SQL text for both sinks: the insert and select statements per dialect and the schema script's statements.
#include "log_sql.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace majordomo::log_sql {
namespace {

using log_targets::Dialect;

// The 0.5 columns: a log written only by an older majordomo lacks them until a 0.5 writer opens
// it, and reading it must still work.
bool added_in_0_5(std::string_view column) { return column == "tool_calls" || column == "request_extras"; }

}  // namespace

bool is_json_column(std::string_view column) {
  return column == "failed_attempts" || column == "warnings" || column == "metadata" || column == "tool_calls" ||
         column == "request_extras";
}

std::vector<std::string> statements_of(std::string_view script) {
  std::vector<std::string> out;
  std::string current;
  std::size_t at = 0;
  while (at < script.size()) {
    std::size_t end = script.find('\n', at);
    if (end == std::string_view::npos) end = script.size();
    std::string_view line = script.substr(at, end - at);
    at = end + 1;
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string_view::npos || line.substr(first, 2) == "--") continue;
    for (char c : line) {
      if (c == ';') {
        out.push_back(current);
        current.clear();
      } else {
        current += c;
      }
    }
    current += '\n';
  }
  if (current.find_first_not_of(" \t\r\n") != std::string::npos) out.push_back(current);
  return out;
}

std::string insert_sql(Dialect dialect) {
  std::string names, values;
  for (std::size_t i = 0; i < kColumnCount; ++i) {
    const std::string_view column = kColumns[i];
    if (i > 0) {
      names += ", ";
      values += ", ";
    }
    names += column;
    if (dialect == Dialect::sqlite) {
      values += '?';
    } else {
      values += fmt::format("${}", i + 1);
      if (is_json_column(column)) values += "::jsonb";
      if (column == "created_at") values += "::timestamptz";
    }
  }
  return fmt::format("INSERT INTO majordomo_calls ({}) VALUES ({})", names, values);
}

std::string select_sql(Dialect dialect, std::size_t count, bool has_0_5_columns) {
  std::string names;
  for (std::size_t i = 0; i < kColumnCount; ++i) {
    const std::string_view column = kColumns[i];
    if (i > 0) names += ", ";
    if (!has_0_5_columns && added_in_0_5(column)) {
      names += fmt::format("'{}' AS {}", column == "tool_calls" ? "[]" : "{}", column);
      continue;
    }
    if (dialect == Dialect::postgresql && column == "created_at") {
      names += "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS created_at";
    } else if (dialect == Dialect::postgresql && is_json_column(column)) {
      names += fmt::format("{0}::text AS {0}", column);
    } else {
      names += column;
    }
  }
  return fmt::format("SELECT {} FROM majordomo_calls ORDER BY id DESC LIMIT {}", names, count);
}

bool adds_present_column(std::string_view statement, const std::vector<std::string>& present) {
  constexpr std::string_view kAdd = "ALTER TABLE majordomo_calls ADD COLUMN IF NOT EXISTS ";
  const auto first = statement.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || statement.substr(first, kAdd.size()) != kAdd) return false;
  const std::string_view rest = statement.substr(first + kAdd.size());
  const std::string_view column = rest.substr(0, rest.find(' '));
  return std::find(present.begin(), present.end(), column) != present.end();
}

}  // namespace majordomo::log_sql
