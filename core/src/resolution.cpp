// The resolution pipeline: base URL precedence, URL joining, header layering and validation.
#include "resolution.hpp"

#include "http_token.hpp"

#include <majordomo/errors.hpp>
#include <majordomo/sdk/str.hpp>

#include <Poco/Exception.h>
#include <Poco/URI.h>

#include <fmt/format.h>

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>
#include <cstring>

namespace majordomo::resolution {
namespace {

using sdk::view;

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
  // "http://host:" would silently mean the default port: a port that was cut off or forgotten.
  if (const std::size_t start = trimmed.find("://"); start != std::string::npos) {
    const std::size_t end = std::min(trimmed.find_first_of("/?#", start + 3), trimmed.size());
    if (end > start + 3 && trimmed[end - 1] == ':') {
      throw_configuration_error(
          fmt::format("base URL from {} for provider '{}' has an empty port after ':'; give the port "
                      "(e.g. :8080) or drop the ':'",
                      source, provider),
          std::string(provider));
    }
  }
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

namespace {

std::string_view trim_blanks(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::optional<std::string> environment(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;  // set but empty counts as unset
  return std::string(value);
}

bool parse_port(std::string_view text, uint16_t& port) noexcept {
  unsigned value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535)
    return false;
  port = static_cast<uint16_t>(value);
  return true;
}

// An IPv4 or IPv6 address in binary; size 0 when `text` is neither.
struct Address {
  unsigned char bytes[16] = {};
  std::size_t size = 0;
};

Address parse_address(std::string_view text) {
  Address address;
  const std::string copy(text);
  if (::inet_pton(AF_INET, copy.c_str(), address.bytes) == 1) address.size = 4;
  else if (::inet_pton(AF_INET6, copy.c_str(), address.bytes) == 1) address.size = 16;
  return address;
}

bool in_range(const Address& host, const Address& network, unsigned bits) noexcept {
  if (host.size == 0 || host.size != network.size || bits > host.size * 8) return false;
  const std::size_t whole = bits / 8;
  if (std::memcmp(host.bytes, network.bytes, whole) != 0) return false;
  const unsigned rest = bits % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<unsigned char>(0xffu << (8 - rest));
  return (host.bytes[whole] & mask) == (network.bytes[whole] & mask);
}

// Checks and normalises a proxy URL to "http://[userinfo@]host:port". The URL is never quoted
// in errors: its user info may carry a password.
std::string normalise_proxy(std::string_view url, std::string_view source, std::string_view provider) {
  const auto fail = [&](std::string_view why) {
    throw_configuration_error(
        fmt::format("proxy URL from {} for provider '{}' {}; use http://[user:password@]host:port, or \"\" "
                    "(--no-proxy) for no proxy",
                    source, provider, why),
        std::string(provider));
  };
  for (unsigned char c : url) {
    if (c <= 0x20 || c == 0x7f) fail("contains white space or a control character");
  }
  std::string_view rest = url;
  if (const auto scheme_end = rest.find("://"); scheme_end != std::string_view::npos) {
    const std::string scheme = lower(rest.substr(0, scheme_end));
    if (scheme == "https")
      fail("uses https://, and TLS to the proxy itself is not supported (an https provider is still "
           "reached with end-to-end TLS through an http:// proxy's CONNECT tunnel)");
    if (scheme.rfind("socks", 0) == 0) fail(fmt::format("uses {}://, and SOCKS proxies are not supported", scheme));
    if (scheme != "http") fail(fmt::format("uses the unsupported scheme '{}'", scheme));
    rest.remove_prefix(scheme_end + 3);
  }  // no scheme: an http proxy, as the *_proxy variables are commonly written ("proxy:3128")
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find_first_of("/?#") != std::string_view::npos) fail("has a path, query or fragment");
  const auto at = rest.rfind('@');
  const std::string_view userinfo = at == std::string_view::npos ? std::string_view{} : rest.substr(0, at + 1);
  const std::string_view authority = at == std::string_view::npos ? rest : rest.substr(at + 1);
  std::string_view host = authority;
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) fail("has an unterminated IPv6 address");
    host = authority.substr(0, close + 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') fail("has text after its IPv6 address");
      port_text = authority.substr(close + 2);
    }
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port_text = authority.substr(colon + 1);
  }
  if (host.empty() || host == "[]") fail("has no host");
  uint16_t port = 1080;  // the customary proxy port when none is given
  if (!port_text.empty() && !parse_port(port_text, port)) fail("has a port that is not a number from 1 to 65535");
  return fmt::format("http://{}{}:{}", userinfo, lower(host), port);
}

// "http://user:password@host:port" → "http://user:[REDACTED]@host:port".
std::string redact_proxy(std::string_view url) {
  const auto start = url.find("://") + 3;
  const auto at = url.rfind('@');
  if (at == std::string_view::npos || at < start) return std::string(url);
  const auto colon = url.find(':', start);
  // User info without a password may itself be a token (http://TOKEN@proxy): hide all of it.
  if (colon == std::string_view::npos || colon > at) return fmt::format("{}[REDACTED]{}", url.substr(0, start), url.substr(at));
  return fmt::format("{}:[REDACTED]{}", url.substr(0, colon), url.substr(at));
}

}  // namespace

bool no_proxy_matches(std::string_view list, std::string_view host, uint16_t port) {
  std::string name = lower(host);
  if (name.size() > 2 && name.front() == '[' && name.back() == ']') name = name.substr(1, name.size() - 2);
  while (!name.empty() && name.back() == '.') name.pop_back();
  const Address host_address = parse_address(name);
  while (!list.empty()) {
    const auto comma = list.find(',');
    std::string_view entry = trim_blanks(list.substr(0, comma));
    list.remove_prefix(comma == std::string_view::npos ? list.size() : comma + 1);
    if (entry.empty()) continue;
    if (entry == "*") return true;
    // An optional port: "host:port", "[v6]:port"; a bare IPv6 address has several colons.
    std::optional<uint16_t> entry_port;
    if (entry.front() == '[') {
      const auto close = entry.find(']');
      if (close == std::string_view::npos) continue;
      if (close + 1 < entry.size() && entry[close + 1] == ':') {
        uint16_t value = 0;
        if (!parse_port(entry.substr(close + 2), value)) continue;
        entry_port = value;
      }
      entry = entry.substr(1, close - 1);
    } else if (std::count(entry.begin(), entry.end(), ':') == 1) {
      const auto colon = entry.find(':');
      uint16_t value = 0;
      if (!parse_port(entry.substr(colon + 1), value)) continue;
      entry_port = value;
      entry = entry.substr(0, colon);
    }
    if (entry_port && *entry_port != port) continue;
    if (const auto slash = entry.find('/'); slash != std::string_view::npos) {
      unsigned bits = 0;
      const std::string_view bits_text = entry.substr(slash + 1);
      const auto [end, error] = std::from_chars(bits_text.data(), bits_text.data() + bits_text.size(), bits);
      if (error != std::errc() || end != bits_text.data() + bits_text.size()) continue;
      if (in_range(host_address, parse_address(entry.substr(0, slash)), bits)) return true;
      continue;
    }
    if (entry.substr(0, 2) == "*.") entry.remove_prefix(2);
    while (!entry.empty() && entry.front() == '.') entry.remove_prefix(1);
    while (!entry.empty() && entry.back() == '.') entry.remove_suffix(1);
    if (entry.empty()) continue;
    const std::string wanted = lower(entry);
    if (name == wanted) return true;
    if (host_address.size == 0 && name.size() > wanted.size() &&
        name.compare(name.size() - wanted.size(), wanted.size(), wanted) == 0 &&
        name[name.size() - wanted.size() - 1] == '.')
      return true;
  }
  return false;
}

ResolvedProxy resolve_proxy(const std::optional<std::string>& option, const std::optional<std::string>& no_proxy,
                            std::string_view base_url, std::string_view provider) {
  ResolvedProxy resolved;
  Poco::URI uri;
  try {
    uri = Poco::URI(std::string(base_url));
  } catch (const Poco::Exception&) {
    return resolved;  // resolve_base_url validated it already; nothing to route
  }
  const bool https = lower(uri.getScheme()) == "https";
  std::optional<std::string> chosen;
  if (option) {
    if (option->empty()) return resolved;  // explicitly no proxy
    chosen = *option;
    resolved.source = "the proxy option (--proxy)";
  } else {
    // Lower case first, as the variables are conventionally written.
    const std::array<const char*, 4> https_names = {"https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"};
    const std::array<const char*, 4> http_names = {"http_proxy", "all_proxy", "ALL_PROXY", nullptr};
    for (const char* name : https ? https_names : http_names) {
      if (name == nullptr) break;
      if ((chosen = environment(name))) {
        resolved.source = fmt::format("${}", name);
        break;
      }
    }
  }
  if (!chosen) return resolved;
  // Checked before the bypass list: a broken setting is reported even for a bypassed host.
  const std::string url = normalise_proxy(*chosen, resolved.source, provider);
  std::optional<std::string> bypass = no_proxy;
  if (!bypass) bypass = environment("no_proxy");
  if (!bypass) bypass = environment("NO_PROXY");
  if (bypass && no_proxy_matches(*bypass, uri.getHost(), uri.getPort())) {
    resolved.source.clear();
    return resolved;
  }
  resolved.url = url;
  resolved.redacted = redact_proxy(url);
  return resolved;
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
      if (!is_http_token_char(c)) {
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

void redact_secret_values(std::string& text, const HeaderSet& headers,
                          std::string_view provider_auth_header) {
  SecretValues secrets;
  secrets.add_headers(headers, provider_auth_header);
  secrets.scrub(text);
}

HeaderSet redacted_headers(const HeaderSet& headers, std::string_view provider_auth_header,
                           const SecretValues* known) {
  SecretValues secrets;
  secrets.add_headers(headers, provider_auth_header);
  if (known != nullptr) secrets.merge(*known);
  HeaderSet out;
  for (const auto& header : headers) {
    if (is_secret_header(header.name, provider_auth_header)) {
      out.set(header.name, redacted_value(header.name, header.value));
    } else {
      out.set(header.name, secrets.scrubbed_value(header.value));
    }
  }
  return out;
}

}  // namespace majordomo::resolution
