// The gateway's key table in PostgreSQL ("key_table"): keys read at start and on SIGHUP in addition to the file's "gateway_keys".
#pragma once

#include "gateway_config.hpp"

#include <string>
#include <vector>

namespace majordomo::gateway {

// The table, created when missing (under the advisory lock the call log's DDL takes):
//   majordomo_gateway_keys(name TEXT PRIMARY KEY, sha256 TEXT UNIQUE, models TEXT[],
//                          requests_per_minute DOUBLE PRECISION, usd_per_day DOUBLE PRECISION, …)
// Every row is checked as a key of the file is. A row that fails, or whose name or hash a key of
// the file already has, is left out; its message names the row by its key name.
struct KeyTableRows {
  std::vector<GatewayKey> keys;
  std::vector<std::string> refused;
};

// Reads the table at `target`. Throws DatabaseUnavailable (postgres_pool.hpp) when it cannot.
[[nodiscard]] KeyTableRows read_key_table(const std::string& target, const std::vector<GatewayKey>& file_keys);

// config.keys plus the rows of config.key_table (when set); the refused rows' messages go to
// `refused`. Throws DatabaseUnavailable.
void add_key_table_keys(GatewayConfig& config, std::vector<std::string>& refused);

}  // namespace majordomo::gateway
