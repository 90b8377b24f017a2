// Parses log targets into what the sinks open (a SQLite file, a libpq conninfo) and how they may be shown, and lists their secrets.
#include "log_targets.hpp"

#include "log_rows.hpp"
#include "resolution.hpp"

#include <majordomo/errors.hpp>

#include <Poco/Exception.h>
#include <Poco/URI.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace majordomo {
namespace log_targets {
namespace {

// A query member that carries a credential (password=, sslpassword=, …).
bool is_secret_parameter(std::string_view key) {
  std::string lower(key);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower.find("pass") != std::string::npos || lower.find("secret") != std::string::npos ||
         lower.find("token") != std::string::npos || lower.find("key") != std::string::npos;
}

// The target as it may be shown: user-info password and credential query values replaced. Works
// on the raw text, so it also covers targets that do not parse as a URL.
std::string shown_target(std::string_view text) {
  std::string shown = resolution::redact_url(text);
  const auto query = shown.find('?');
  if (query == std::string::npos) return shown;
  std::string out = shown.substr(0, query + 1);
  std::string_view rest = std::string_view(shown).substr(query + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const auto eq = pair.find('=');
    if (eq != std::string_view::npos && is_secret_parameter(pair.substr(0, eq))) {
      out += std::string(pair.substr(0, eq + 1)) + "[REDACTED]";
    } else {
      out += std::string(pair);
    }
    if (amp == std::string_view::npos) break;
    out += '&';
    rest = rest.substr(amp + 1);
  }
  return out;
}

[[noreturn]] void target_error(std::string_view target, std::string_view problem) {
  throw_configuration_error(fmt::format(
      "log target '{}' {}; use sqlite:PATH or postgresql://user@host:port/dbname", target, problem));
}

// libpq key=value pairs, separated by spaces, values unquoted. A value with a space, quote or
// backslash is refused, as it was when Poco's connector (which could not pass one) read them:
// the PG* environment variables carry such values.
void append_pair(std::string& out, std::string_view key, const std::string& value, std::string_view shown) {
  if (value.empty()) return;
  if (value.find_first_of(" \t\r\n'\\") != std::string::npos) {
    target_error(shown, fmt::format("has a {} with a space, quote or backslash, which the PostgreSQL "
                                    "connector cannot pass; set it through the PG* environment variables "
                                    "(e.g. PGPASSWORD) instead",
                                    key));
  }
  if (!out.empty()) out += ' ';
  out += fmt::format("{}={}", key, value);
}

}  // namespace

LogTarget parse_target(std::string_view text) {
  LogTarget target;
  target.shown = shown_target(text);
  if (text.rfind("sqlite:", 0) == 0) {
    target.dialect = Dialect::sqlite;
    target.connection = std::string(text.substr(7));
    if (target.connection.empty()) target_error(target.shown, "names no file");
    return target;
  }
  if (text.rfind("postgresql://", 0) != 0 && text.rfind("postgres://", 0) != 0) {
    target_error(target.shown, "is neither an sqlite: nor a postgresql:// target");
  }
  target.dialect = Dialect::postgresql;
  Poco::URI uri;
  try {
    uri = Poco::URI(std::string(text));
  } catch (const Poco::Exception&) {
    target_error(target.shown, "is not a valid URL");
  }
  // Poco::URI keeps the user info percent-encoded; the path and query come decoded.
  std::string user, password;
  const std::string& info = uri.getUserInfo();
  const auto colon = info.find(':');
  Poco::URI::decode(info.substr(0, colon), user);
  if (colon != std::string::npos) Poco::URI::decode(info.substr(colon + 1), password);
  target.secrets.add(password);
  std::string database = uri.getPath();
  while (!database.empty() && database.front() == '/') database.erase(0, 1);
  append_pair(target.connection, "host", uri.getHost(), target.shown);
  append_pair(target.connection, "port", uri.getPort() != 0 ? std::to_string(uri.getPort()) : "", target.shown);
  append_pair(target.connection, "user", user, target.shown);
  append_pair(target.connection, "password", password, target.shown);
  append_pair(target.connection, "dbname", database, target.shown);
  bool has_connect_timeout = false;
  for (const auto& [key, value] : uri.getQueryParameters()) {
    if (is_secret_parameter(key)) target.secrets.add(value);
    has_connect_timeout = has_connect_timeout || key == "connect_timeout";
    append_pair(target.connection, key, value, target.shown);
  }
  // libpq waits for ever on an unreachable host by default; the writer thread (and close(),
  // which joins it) must not.
  if (!has_connect_timeout) append_pair(target.connection, "connect_timeout", "10", target.shown);
  return target;
}

}  // namespace log_targets

namespace log_rows {

SecretValues log_target_secrets(std::string_view target) {
  if (target.rfind("postgresql://", 0) != 0 && target.rfind("postgres://", 0) != 0) return {};
  try {
    SecretValues secrets = log_targets::parse_target(target).secrets;
    secrets.add_url_userinfo(target);  // as written, percent-encoded
    return secrets;
  } catch (const Error&) {
    return {};  // a target that does not parse is refused when it is opened
  }
}

}  // namespace log_rows

}  // namespace majordomo
