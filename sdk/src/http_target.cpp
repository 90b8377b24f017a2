// URL and forward-proxy parsing for the transport: the target of a request, its Host header, its pool key.
#include "http_target.hpp"

#include <majordomo/sdk/errors.hpp>

#include "ascii.hpp"

#include <Poco/Base64Encoder.h>

#include <fmt/format.h>

#include <charconv>
#include <sstream>

namespace majordomo::sdk {
inline namespace v1 {
namespace http {

using ascii::iequals;

namespace {

[[noreturn]] void bad_url(std::string_view reason) {
  // The URL itself is not quoted: its query may carry a key.
  throw ProviderError(MJ_ERR_CONFIGURATION, fmt::format("malformed URL: {}", reason));
}

Target parse_url(std::string_view url) {
  Target target;
  std::size_t at = 0;
  if (url.size() >= 7 && iequals(url.substr(0, 7), "http://")) {
    at = 7;
  } else if (url.size() >= 8 && iequals(url.substr(0, 8), "https://")) {
    at = 8;
    target.secure = true;
  } else {
    bad_url("only http:// and https:// URLs are supported");
  }
  const std::size_t authority_end = std::min(url.find_first_of("/?#", at), url.size());
  const std::string_view authority = url.substr(at, authority_end - at);
  if (authority.find('@') != std::string_view::npos) bad_url("credentials in the URL are not supported");
  if (authority.empty()) bad_url("the host is missing");
  std::string_view host = authority;
  std::string_view port;
  if (authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) bad_url("unterminated IPv6 address");
    host = authority.substr(1, close - 1);
    const std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') bad_url("unexpected text after the IPv6 address");
      port = rest.substr(1);
    }
  } else if (const std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (host.find(':') != std::string_view::npos)
      bad_url("an IPv6 address must be in brackets, e.g. http://[::1]:8080");
  }
  if (host.empty()) bad_url("the host is missing");
  // "http://host:" would silently mean the default port: a port that was cut off or forgotten.
  if (authority.back() == ':') bad_url("the port after ':' is empty; give one (e.g. :8080) or drop the ':'");
  for (const char c : host) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) bad_url("the host contains a space or control character");
  }
  target.port = target.secure ? 443 : 80;
  if (!port.empty()) {
    unsigned value = 0;
    const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (error != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535)
      bad_url("the port is not a number between 1 and 65535");
    target.port = static_cast<std::uint16_t>(value);
  }
  target.host.assign(host);
  if (authority.front() == '[') {
    target.host_header.append("[").append(host).append("]");
  } else {
    target.host_header.assign(host);
  }
  if (target.port != (target.secure ? 443 : 80)) target.host_header.append(":").append(std::to_string(target.port));

  std::string_view rest = url.substr(authority_end);
  if (const std::size_t hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  for (const char c : rest) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) bad_url("the path contains a space or control character");
  }
  if (rest.empty() || rest.front() != '/') target.path.push_back('/');
  target.path.append(rest);

  std::string lower_host(host);
  for (char& c : lower_host) c = ascii::fold(c);
  // IPv6 literals keep their brackets in every message: "http://[::1]:1", never "http://::1:1".
  if (lower_host.find(':') != std::string::npos) lower_host = fmt::format("[{}]", lower_host);
  target.host_name = lower_host;
  target.origin = fmt::format("{}://{}:{}", target.secure ? "https" : "http", lower_host, target.port);
  target.url.assign(url);
  return target;
}

[[noreturn]] void bad_proxy(std::string_view reason) {
  // The proxy URL itself is not quoted: its user info may carry a password.
  throw ProviderError(MJ_ERR_CONFIGURATION,
                      fmt::format("malformed proxy URL: {}; use http://[user:password@]host:port", reason));
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// User info is percent-encoded in a URL ("p%40ss" for "p@ss"); Basic credentials carry it decoded.
std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%') {
      const int high = i + 2 < text.size() ? hex_value(text[i + 1]) : -1;
      const int low = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
      if (high < 0 || low < 0) bad_proxy("a '%' in the user info is not followed by two hex digits");
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// "http://[user[:password]@]host[:port][/]". Only http proxies: the connection to the proxy is
// plain TCP, https origins are reached through a CONNECT tunnel inside it.
ProxyRoute parse_proxy(std::string_view spec) {
  if (spec.size() < 7 || !iequals(spec.substr(0, 7), "http://"))
    bad_proxy("only http:// proxies are supported (https:// and socks proxies are not)");
  std::string_view rest = spec.substr(7);
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find_first_of("/?#") != std::string_view::npos) bad_proxy("a proxy URL has no path, query or fragment");
  ProxyRoute route;
  std::string_view authority = rest;
  std::string_view userinfo;
  if (const std::size_t at = rest.rfind('@'); at != std::string_view::npos) {
    userinfo = rest.substr(0, at);
    authority = rest.substr(at + 1);
  }
  // The host and port are checked as an http URL's would be.
  Target parsed;
  try {
    parsed = parse_url(fmt::format("http://{}/", authority));
  } catch (const ProviderError&) {
    bad_proxy("its host or port is not valid (the port must be a number from 1 to 65535)");
  }
  route.host = parsed.host;
  const std::size_t host_end = authority.front() == '[' ? authority.find(']') + 1 : authority.find(':');
  const bool has_port = host_end < authority.size();
  route.port = has_port ? parsed.port : std::uint16_t{1080};  // the customary proxy port
  const std::string host_port = fmt::format("{}:{}", authority.substr(0, host_end), route.port);
  if (userinfo.empty()) {
    route.name = fmt::format("http://{}", host_port);
    return route;
  }
  const std::size_t colon = userinfo.find(':');
  const std::string_view user = userinfo.substr(0, colon);
  const std::string credentials = percent_decode(userinfo);  // "user:password" decoded as a whole
  for (const char c : credentials) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) bad_proxy("the user info contains a control character");
  }
  std::ostringstream encoded;
  {
    Poco::Base64Encoder encoder(encoded);
    encoder.rdbuf()->setLineLength(0);
    encoder << credentials;
    encoder.close();
  }
  route.authorization = "Basic " + encoded.str();
  route.name = colon == std::string_view::npos ? fmt::format("http://{}@{}", user, host_port)
                                                : fmt::format("http://{}:[REDACTED]@{}", user, host_port);
  return route;
}

}  // namespace

// A target reached through `proxy_spec` (empty: directly).
Target route_target(std::string_view url, std::string_view proxy_spec) {
  Target target = parse_url(url);
  target.pool_key = target.origin;
  if (proxy_spec.empty()) return target;
  target.proxy = parse_proxy(proxy_spec);
  target.proxy_spec.assign(proxy_spec);
  // Through a proxy a plain request names its whole URL (absolute form, RFC 9112 3.2.2); an
  // https one goes through a tunnel and keeps the origin form.
  if (!target.secure) target.path = fmt::format("http://{}{}", target.host_header, target.path);
  target.pool_key = fmt::format("{} via {}:{} {}", target.origin, target.proxy->host, target.proxy->port,
                                target.proxy->authorization);
  return target;
}

}  // namespace http
}  // namespace v1
}  // namespace majordomo::sdk
