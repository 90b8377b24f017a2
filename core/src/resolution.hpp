// The resolution pipeline: the one place where base URLs and request headers are decided.
#pragma once

#include "secret_values.hpp"

#include <majordomo/headers.hpp>
#include <majordomo/plugin.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace majordomo::resolution {

enum class BaseUrlSource { option, environment, plugin_default };
std::string_view to_string(BaseUrlSource source) noexcept;

struct ResolvedEndpoint {
  std::string base_url;  // validated http(s) URL without trailing '/'
  BaseUrlSource source = BaseUrlSource::plugin_default;
  bool is_default = true;  // equal to the plugin's default after normalisation
};

// base URL = option > the provider's env var (when set and non-empty) > plugin default.
// Throws ConfigurationError naming the source of a malformed URL.
ResolvedEndpoint resolve_base_url(const std::optional<std::string>& option,
                                  std::string_view env_var, std::string_view plugin_default,
                                  std::string_view provider);

struct ResolvedProxy {
  std::string url;       // "http://[user:password@]host:port" for the transport; empty: direct
  std::string redacted;  // url with the password replaced by [REDACTED]: safe to print
  std::string source;    // where url came from: "the proxy option", "$https_proxy", …; empty: none
};

// proxy = option > environment (https_proxy, HTTPS_PROXY for an https base URL; http_proxy for an
// http one — never HTTP_PROXY, which CGI servers fill from a request's Proxy header; then
// all_proxy, ALL_PROXY). "" as option: no proxy. Then no_proxy (option > no_proxy > NO_PROXY)
// is matched against the base URL's host and port (no_proxy_matches); a match means direct.
// Throws ConfigurationError, naming the source and the remedy, for a proxy URL that is not
// http:// (https://, socks4/5), has a path, query or fragment, or lacks a valid host or port.
ResolvedProxy resolve_proxy(const std::optional<std::string>& option, const std::optional<std::string>& no_proxy,
                            std::string_view base_url, std::string_view provider);

// NO_PROXY matching as curl documents it: a comma-separated list; "*" matches every host; an
// entry matches its host and every subdomain (a leading "." or "*." is ignored); "host:port"
// matches that port only; IPv6 addresses with or without brackets; "addr/bits" matches an IP
// range. Host names compare case-insensitively. Loopback hosts get no special treatment.
bool no_proxy_matches(std::string_view list, std::string_view host, uint16_t port);

// Joins a base URL and a path with exactly one '/' between them.
std::string join_url(std::string_view base, std::string_view path);

// Rejects names that are not RFC 9110 tokens, values with control characters (CR, LF, NUL, …;
// HTAB is allowed), and the framing headers majordomo owns (Content-Length, Transfer-Encoding,
// Connection). `layer` names where the header came from, for the error message. Values are
// never echoed in errors: they may be credentials.
void validate_headers(const HeaderSet& headers, std::string_view layer, std::string_view provider);

// The provider's own layer: its auth header (from the API key) and its required headers, plus its
// gateway headers when the endpoint is not the default one.
HeaderSet provider_headers(const mj_provider_info& info, const std::string& api_key,
                           const ResolvedEndpoint& endpoint);

// True for header names whose values are credentials: Authorization, Proxy-Authorization,
// x-api-key, x-goog-api-key, api-key, the provider's auth header, and any name containing
// "key", "token", "secret", "password" or "cookie".
bool is_secret_header(std::string_view name, std::string_view provider_auth_header = {}) noexcept;
// The value shown instead of a secret: the scheme of an Authorization value is kept.
std::string redacted_value(std::string_view name, std::string_view value);
// Replaces the value of any key=, api_key=, token= query parameter.
std::string redact_url(std::string_view url);
// Replaces in `text` every value of a secret header of `headers` (the whole value, the token of a
// "Scheme token" value, the decoded parts of a Basic one) with [REDACTED], under SecretValues'
// rule for short values: for text that may echo a credential.
void redact_secret_values(std::string& text, const HeaderSet& headers,
                          std::string_view provider_auth_header = {});
// The headers as they may be shown (0.3: by value as well as by name): a secret header keeps only
// its scheme (redacted_value); any other header whose value is, or contains, a credential of
// `headers` or of `known` is [REDACTED] whole.
HeaderSet redacted_headers(const HeaderSet& headers, std::string_view provider_auth_header,
                           const SecretValues* known = nullptr);

}  // namespace majordomo::resolution
