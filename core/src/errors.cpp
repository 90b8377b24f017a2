// Error kinds' names and the factory that throws the exception class of a kind.
#include <majordomo/errors.hpp>

#include <array>
#include <utility>

namespace majordomo {
namespace {

constexpr std::array<std::string_view, 18> kKindNames = {
    "",            "configuration", "authentication", "permission", "not_found", "bad_request",
    "rate_limited", "overloaded",   "server",         "timeout",    "connection", "truncated",
    "parse",       "schema_mismatch", "cancelled",    "unsupported", "plugin",
    "protocol"};

}  // namespace

std::string_view to_string(ErrorKind kind) noexcept {
  const auto index = static_cast<std::size_t>(kind);
  return index > 0 && index < kKindNames.size() ? kKindNames[index] : std::string_view("server");
}

std::optional<ErrorKind> error_kind_from_string(std::string_view name) noexcept {
  for (std::size_t i = 1; i < kKindNames.size(); ++i) {
    if (kKindNames[i] == name) return static_cast<ErrorKind>(i);
  }
  return std::nullopt;
}

Error::Error(ErrorDetails details)
    : std::runtime_error(details.message), details_(std::move(details)) {}

void throw_error(ErrorDetails details) {
  switch (details.kind) {
    case ErrorKind::configuration: throw ConfigurationError(std::move(details));
    case ErrorKind::authentication: throw AuthenticationError(std::move(details));
    case ErrorKind::permission: throw PermissionError(std::move(details));
    case ErrorKind::not_found: throw NotFoundError(std::move(details));
    case ErrorKind::bad_request: throw BadRequestError(std::move(details));
    case ErrorKind::rate_limited: throw RateLimitedError(std::move(details));
    case ErrorKind::overloaded: throw OverloadedError(std::move(details));
    case ErrorKind::server: throw ServerError(std::move(details));
    case ErrorKind::timeout: throw TimeoutError(std::move(details));
    case ErrorKind::connection: throw ConnectionError(std::move(details));
    case ErrorKind::truncated: throw TruncatedError(std::move(details));
    case ErrorKind::parse: throw ParseError(std::move(details));
    case ErrorKind::schema_mismatch: throw SchemaMismatchError(std::move(details));
    case ErrorKind::cancelled: throw CancelledError(std::move(details));
    case ErrorKind::unsupported: throw UnsupportedError(std::move(details));
    case ErrorKind::plugin: throw PluginError(std::move(details));
    case ErrorKind::protocol: throw ProtocolError(std::move(details));
  }
  // A kind number from a newer plugin that this host does not know yet.
  details.kind = ErrorKind::server;
  throw ServerError(std::move(details));
}

void throw_configuration_error(std::string message, std::string provider) {
  ErrorDetails details;
  details.kind = ErrorKind::configuration;
  details.message = std::move(message);
  details.provider = std::move(provider);
  throw ConfigurationError(std::move(details));
}

}  // namespace majordomo
