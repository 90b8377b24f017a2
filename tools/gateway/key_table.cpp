// Reads gateway keys from PostgreSQL: the table's DDL, one SELECT, and every row checked as a key of the configuration file.
#include "key_table.hpp"

#include "postgres_pool.hpp"

#include <majordomo/errors.hpp>

#include <fmt/format.h>

#include "libpq_functions.hpp"

#include <memory>

namespace majordomo::gateway {
namespace {

// Under the advisory lock of every majordomo DDL, so that several gateways may start together.
constexpr std::string_view kKeyTable = R"sql(
BEGIN;
SELECT pg_advisory_xact_lock(7342105601);
CREATE TABLE IF NOT EXISTS majordomo_gateway_keys (
  name TEXT PRIMARY KEY,
  sha256 TEXT NOT NULL UNIQUE,
  models TEXT[] NOT NULL DEFAULT '{}',
  requests_per_minute DOUBLE PRECISION,
  usd_per_day DOUBLE PRECISION,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
COMMIT;
)sql";

// Each row as the JSON object a key of the file is, absent limits left out, so that one check
// serves both.
constexpr std::string_view kRows = R"sql(
SELECT name, json_strip_nulls(json_build_object('name', name, 'sha256', sha256, 'models', models,
         'requests_per_minute', requests_per_minute, 'usd_per_day', usd_per_day))::text
  FROM majordomo_gateway_keys ORDER BY name
)sql";

// The row's key name as a message may show it: bounded, and printable.
std::string row_label(std::string_view name) {
  std::string label;
  for (const char c : name.substr(0, 64)) label += (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f && c != '\'') ? c : '?';
  if (name.size() > 64) label += "…";
  return fmt::format("majordomo_gateway_keys['{}']", label);
}

}  // namespace

KeyTableRows read_key_table(const std::string& target, const std::vector<GatewayKey>& file_keys) {
  const PostgresTarget parsed(target, "key_table");
  const std::unique_ptr<pg_conn, void (*)(pg_conn*)> connection(parsed.connect(), libpq().finish);
  (void)run_sql(connection.get(), parsed, kKeyTable);
  const PgResult rows = run_sql(connection.get(), parsed, kRows);
  KeyTableRows out;
  const std::string source = fmt::format("key_table {}", parsed.shown());
  for (int row = 0; row < rows.rows(); ++row) {
    const std::string name = rows.text(row, 0);
    const std::string place = row_label(name);
    try {
      GatewayKey key = parse_gateway_key(JsonValue::parse(rows.text(row, 1)), source, place);
      for (const GatewayKey& file_key : file_keys) {
        if (file_key.name == key.name) {
          throw_configuration_error(fmt::format("{}: {}: has the name of a key in gateway_keys; the file's key is used",
                                                source, place));
        }
        if (file_key.sha256 == key.sha256) {
          throw_configuration_error(fmt::format("{}: {}: has the hash of key '{}' in gateway_keys; the file's key is "
                                                "used", source, place, file_key.name));
        }
      }
      out.keys.push_back(std::move(key));
    } catch (const Error& refused) {
      out.refused.emplace_back(refused.what());
    }
  }
  return out;
}

void add_key_table_keys(GatewayConfig& config, std::vector<std::string>& refused) {
  if (config.key_table.empty()) return;
  KeyTableRows rows = read_key_table(config.key_table, config.keys);
  for (GatewayKey& key : rows.keys) config.keys.push_back(std::move(key));
  for (std::string& message : rows.refused) refused.push_back(std::move(message));
}

}  // namespace majordomo::gateway
