// The internal boundary between the SDK transport and libmajordomo-tls.so, the module that alone links Poco NetSSL.
#pragma once

#include <Poco/Exception.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Timespan.h>

#include <cstdint>
#include <string>
#include <string_view>

// Plugins must not NEED libPocoNetSSL (and with it libssl, libcrypto, PocoCrypto, PocoUtil,
// PocoXML...): that closure costs ≈ 3 ms of start-up and ≈ 3 MiB of RSS in every host process,
// also in those that never speak https. So the transport loads this module on its first https
// request. Both sides come from one SDK build and share the Poco and libstdc++ sonames, which is
// why C++ types may cross here; the version in the entry's name, the table's version field and
// its struct_size stop a module from another SDK build from being used.
namespace majordomo::sdk {
inline namespace v1 {
namespace detail_tls {

inline constexpr std::uint32_t kTlsApiVersion = 1;
inline constexpr const char* kTlsEntryName = "majordomo_tls_v1";
inline constexpr const char* kTlsModuleFile = "libmajordomo-tls.so";

// What a failure raised by the TLS layer means for the user; the transport words the message.
enum class TlsErrorKind : int {
  not_tls = 0,       // any other Poco exception: the transport maps it as for plain sockets
  certificate_name,  // the certificate does not name the host that was connected to
  certificate_untrusted,  // the chain does not lead to a trusted CA
  closed,            // the peer closed the connection without a TLS goodbye
  other,
};

struct TlsContext;  // a Poco::Net::Context, opaque on the transport's side

struct TlsApi {
  std::uint32_t version;
  std::uint32_t struct_size;
  // A client context: verify on → VERIFY_STRICT (host name checked also for loopback hosts);
  // empty ca_file → the system CA store. Throws Poco::Exception (e.g. an unreadable CA file).
  TlsContext* (*create_context)(const std::string& ca_file, bool verify);
  void (*release_context)(TlsContext* context) noexcept;
  // TCP connect plus handshake, both bounded by `timeout`; SNI and the name check use `host`.
  // The returned socket's impl is the secure one: its reads and writes run inside this module.
  // Throws Poco::Exception.
  Poco::Net::StreamSocket (*connect)(TlsContext* context, const std::string& host,
                                     const Poco::Net::SocketAddress& address, Poco::Timespan timeout);
  // Closes without a TLS goodbye (nothing is written, so neither SIGPIPE nor a wait is possible).
  void (*abort)(Poco::Net::StreamSocket& socket) noexcept;
  TlsErrorKind (*classify)(const Poco::Exception& error) noexcept;
  // The handshake on an already connected socket (a proxy's CONNECT tunnel), bounded by
  // `timeout`; SNI and the name check use `host`, the origin's name. Throws Poco::Exception.
  Poco::Net::StreamSocket (*wrap)(TlsContext* context, const std::string& host, const Poco::Net::StreamSocket& plain,
                                  Poco::Timespan timeout);
};

// The module's only export. Returns null when it cannot serve a caller whose TlsApi has
// `caller_struct_size` bytes.
using TlsEntry = const TlsApi* (*)(std::uint32_t caller_struct_size);

// The transport's side (tls_loader.cpp): loads the module once per process, on first use, and
// never unloads it (its code runs inside every TLS socket). Throws ProviderError
// MJ_ERR_CONFIGURATION naming the places it looked in when no usable module was found.
const TlsApi& tls_api();
// Keeps the host's module path (the first non-empty one) as a candidate of tls_api()'s search.
void remember_host_module(std::string_view path);

}  // namespace detail_tls
}  // namespace v1
}  // namespace majordomo::sdk
