// Target: a request URL parsed and routed (directly or through a forward proxy), as the transport's connection pool keys it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace majordomo::sdk {
inline namespace v1 {
namespace http {

// The forward proxy a target is reached through (HttpRequestSpec::proxy, parsed).
struct ProxyRoute {
  std::string host;           // without brackets, for DNS
  std::uint16_t port = 0;
  std::string authorization;  // the Proxy-Authorization value ("Basic …"); empty without user info
  std::string name;           // the proxy URL with any password replaced: safe in messages
};

struct Target {
  bool secure = false;
  std::string host;       // without brackets, for DNS
  std::uint16_t port = 0;
  std::string host_name;  // lower-case, an IPv6 literal in brackets: the host as messages name it
  std::string host_header;  // the default Host value: host[:port], the port only when not the default
  std::string path;       // request target: path and query
  std::string origin;     // scheme://host:port (scheme://[v6]:port), the name used in messages
  std::string url;        // what this was parsed from: URLs repeat, so the last one is reused
  std::optional<ProxyRoute> proxy;  // set: every connection goes through this forward proxy
  std::string proxy_spec;  // what `proxy` was parsed from (empty: direct)
  // The pool key: the origin alone for direct connections; proxy and origin for proxied ones, so
  // that a direct connection is never reused for a proxied request or the other way round (nor
  // one proxy's connection for another proxy, or for other credentials).
  std::string pool_key;
};

// Parses `url` (http:// or https:// only, no credentials) and routes it through `proxy_spec`
// (empty: directly). Throws ProviderError MJ_ERR_CONFIGURATION naming what is wrong, never the
// URL itself (its query may carry a key) nor the proxy's password.
Target route_target(std::string_view url, std::string_view proxy_spec);

}  // namespace http
}  // namespace v1
}  // namespace majordomo::sdk
