// The resolution pipeline: base URL precedence, URL joining, header layering and validation.
#include "resolution.hpp"

#include <majordomo/errors.hpp>
#include <majordomo/sdk/str.hpp>

#include <Poco/Exception.h>
#include <Poco/URI.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdlib>

namespace majordomo::resolution {
namespace {

using sdk::view;

bool is_token_char(unsigned char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Strips trailing slashes and checks the URL is an absolute http(s) URL with a host.
std::string normalise_base_url(std::string_view url, std::string_view source,
                               std::string_view provider) {
  for (unsigned char c : url) {
    if (c <= 0x20 || c == 0x7f) {
      throw_configuration_error(
          fmt::format("base URL from {} for provider '{}' contains white space or a control "
                      "character; pass an absolute URL such as https://host/v1",
                      source, provider),
          std::string(provider));
    }
  }
  std::string trimmed(url);
  while (!trimmed.empty() && trimmed.back() == '/') trimmed.pop_back();
  // The URL is never echoed in these messages: it may carry credentials.
  Poco::URI uri;
  try {
    uri = Poco::URI(trimmed);
  } catch (const Poco::Exception&) {
    throw_configuration_error(
        fmt::format("base URL from {} for provider '{}' is not a valid URL", source, provider),
        std::string(provider));
  }
  const std::string scheme = lower(uri.getScheme());
  if ((scheme != "http" && scheme != "https") || uri.getHost().empty()) {
    throw_configuration_error(
        fmt::format("base URL from {} for provider '{}' must be an absolute http:// or https:// "
                    "URL with a host",
                    source, provider),
        std::string(provider));
  }
  if (!uri.getUserInfo().empty() || trimmed.find('@') != std::string::npos) {
    throw_configuration_error(
        fmt::format("base URL from {} for provider '{}' must not carry user info (user:password@); "
                    "pass credentials as the API key or in default_headers",
                    source, provider),
        std::string(provider));
  }
  if (!uri.getRawQuery().empty() || !uri.getFragment().empty() ||
      trimmed.find_first_of("?#") != std::string::npos) {
    throw_configuration_error(
        fmt::format("base URL from {} for provider '{}' must not contain a query or fragment; "
                    "put only scheme, host, port and path prefix in it",
                    source, provider),
        std::string(provider));
  }
  return trimmed;
}

}  // namespace

std::string_view to_string(BaseUrlSource source) noexcept {
  switch (source) {
    case BaseUrlSource::option: return "option";
    case BaseUrlSource::environment: return "environment";
    case BaseUrlSource::plugin_default: return "plugin default";
  }
  return "plugin default";
}

ResolvedEndpoint resolve_base_url(const std::optional<std::string>& option,
                                  std::string_view env_var, std::string_view plugin_default,
                                  std::string_view provider) {
  ResolvedEndpoint endpoint;
  const std::string normalised_default =
      plugin_default.empty() ? std::string()
                             : normalise_base_url(plugin_default, "the plugin default", provider);
  if (option) {
    endpoint.base_url = normalise_base_url(*option, "the base_url option", provider);
    endpoint.source = BaseUrlSource::option;
  } else if (const char* env = env_var.empty() ? nullptr : std::getenv(std::string(env_var).c_str());
             env != nullptr && *env != '\0') {
    endpoint.base_url = normalise_base_url(env, fmt::format("${}", env_var), provider);
    endpoint.source = BaseUrlSource::environment;
  } else {
    if (normalised_default.empty()) {
      throw_configuration_error(
          fmt::format("provider '{}' has no default base URL; pass base_url (--base-url){}",
                      provider, env_var.empty() ? "" : fmt::format(" or set {}", env_var)),
          std::string(provider));
    }
    endpoint.base_url = normalised_default;
    endpoint.source = BaseUrlSource::plugin_default;
  }
  endpoint.is_default = endpoint.base_url == normalised_default;
  return endpoint;
}

std::string join_url(std::string_view base, std::string_view path) {
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  std::string url;
  url.reserve(base.size() + path.size() + 1);
  url.append(base);
  if (!path.empty()) {
    url.push_back('/');
    url.append(path);
  }
  return url;
}

void validate_headers(const HeaderSet& headers, std::string_view layer, std::string_view provider) {
  for (const auto& header : headers) {
    if (header.name.empty()) {
      throw_configuration_error(fmt::format("a header in {} has an empty name", layer),
                                std::string(provider));
    }
    for (std::size_t i = 0; i < header.name.size(); ++i) {
      const auto c = static_cast<unsigned char>(header.name[i]);
      if (!is_token_char(c)) {
        // Only the part before the bad character is shown: a mis-split header line can carry a
        // credential after it ("Authorization Bearer sk-…").
        throw_configuration_error(
            fmt::format("header name '{}…' in {} is not a valid HTTP token (bad character 0x{:02x} "
                        "at byte {}); names may use letters, digits and !#$%&'*+-.^_`|~",
                        header.name.substr(0, i), layer, static_cast<unsigned>(c), i),
            std::string(provider));
      }
    }
    if (header_name_equals(header.name, "Content-Length") ||
        header_name_equals(header.name, "Transfer-Encoding") ||
        header_name_equals(header.name, "Connection")) {
      throw_configuration_error(
          fmt::format("header '{}' in {} cannot be set: majordomo owns message framing", header.name,
                      layer),
          std::string(provider));
    }
    for (std::size_t i = 0; i < header.value.size(); ++i) {
      const auto c = static_cast<unsigned char>(header.value[i]);
      if ((c < 0x20 && c != '\t') || c == 0x7f) {
        const char* what = c == '\r' ? "CR" : c == '\n' ? "LF" : c == 0 ? "NUL" : "control";
        throw_configuration_error(
            fmt::format("value of header '{}' in {} contains a {} character at byte {}; header "
                        "values must be a single line without control characters",
                        header.name, layer, what, i),
            std::string(provider));
      }
    }
  }
}

HeaderSet provider_headers(const mj_provider_info& info, const std::string& api_key,
                           const ResolvedEndpoint& endpoint) {
  HeaderSet headers;
  if (!api_key.empty()) {
    if (info.auth_scheme == MJ_AUTH_BEARER) {
      headers.set("Authorization", "Bearer " + api_key);
    } else if (info.auth_scheme == MJ_AUTH_HEADER && info.auth_header.size > 0) {
      headers.set(std::string(view(info.auth_header)), api_key);
    }
  }
  for (std::size_t i = 0; i < info.required_header_count; ++i) {
    const mj_header& h = info.required_headers[i];
    headers.set(std::string(view(h.name)), std::string(view(h.value)));
  }
  if (!endpoint.is_default) {
    for (std::size_t i = 0; i < info.gateway_header_count; ++i) {
      const mj_header& h = info.gateway_headers[i];
      headers.set(std::string(view(h.name)), std::string(view(h.value)));
    }
  }
  return headers;
}

bool is_secret_header(std::string_view name, std::string_view provider_auth_header) noexcept {
  if (!provider_auth_header.empty() && header_name_equals(name, provider_auth_header)) return true;
  static constexpr std::array<std::string_view, 5> exact = {
      "authorization", "proxy-authorization", "x-api-key", "x-goog-api-key", "api-key"};
  for (auto candidate : exact) {
    if (header_name_equals(name, candidate)) return true;
  }
  for (std::string_view part : {"key", "token", "secret", "password", "cookie", "auth"}) {
    for (std::size_t at = 0; at + part.size() <= name.size(); ++at) {
      if (header_name_equals(name.substr(at, part.size()), part)) return true;
    }
  }
  return false;
}

std::string redacted_value(std::string_view name, std::string_view value) {
  if (header_name_equals(name, "authorization") || header_name_equals(name, "proxy-authorization")) {
    const auto space = value.find(' ');
    if (space != std::string_view::npos && space > 0) {
      return std::string(value.substr(0, space)) + " [REDACTED]";
    }
  }
  return "[REDACTED]";
}

std::string redact_url(std::string_view url) {
  std::string out(url);
  // user:password@ in the authority.
  if (const auto scheme_end = out.find("://"); scheme_end != std::string::npos) {
    const auto authority = scheme_end + 3;
    const auto authority_end = out.find_first_of("/?#", authority);
    const auto at = out.rfind('@', authority_end == std::string::npos ? out.size() : authority_end);
    if (at != std::string::npos && at >= authority) out.replace(authority, at - authority, "[REDACTED]");
  }
  const auto query = out.find('?');
  if (query == std::string::npos) return out;
  std::size_t pos = query + 1;
  while (pos < out.size()) {
    std::size_t end = out.find('&', pos);
    if (end == std::string::npos) end = out.size();
    const std::size_t eq = out.find('=', pos);
    if (eq != std::string::npos && eq < end) {
      const std::string name = lower(out.substr(pos, eq - pos));
      if (name == "key" || name == "api_key" || name == "apikey" || name == "token" ||
          name == "access_token") {
        out.replace(eq + 1, end - eq - 1, "[REDACTED]");
        end = eq + 1 + std::string_view("[REDACTED]").size();
      }
    }
    pos = end + 1;
  }
  return out;
}

}  // namespace majordomo::resolution
