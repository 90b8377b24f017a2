// The internal boundary between the SDK transport and libmajordomo-tls.so, the module that alone links Poco NetSSL.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

// Plugins must not NEED libPocoNetSSL (and with it libssl, libcrypto, PocoCrypto, PocoUtil,
// PocoXML...) nor even libPocoNet: that closure costs start-up and RSS in every host process, also
// in those that never speak https. So the transport speaks TCP on POSIX sockets itself
// (posix_socket.hpp) and loads this module on its first https request, handing it a connected file
// descriptor. No Poco type and no exception crosses here: errors come back as a SocketFault and a
// text. Both sides come from one SDK build and share the libstdc++ soname, which is why
// std::string may cross; the version in the entry's name, the table's version field and its
// struct_size stop a module from another SDK build from being used.
namespace majordomo::sdk {
inline namespace v1 {
namespace tls {

inline constexpr std::uint32_t kTlsApiVersion = 2;
inline constexpr const char* kTlsEntryName = "majordomo_tls_v2";
inline constexpr const char* kTlsModuleFile = "libmajordomo-tls.so";

// What a socket failure means for the user; the transport words the message. Shared by plain
// sockets (from errno) and the TLS module (from its Poco exceptions).
enum class SocketFault : int {
  none = 0,
  timeout,                // a connect, read, write or handshake waited longer than allowed
  refused,                // nobody listens on the port
  unresolved,             // DNS failed for the host
  reset,                  // ECONNRESET, ECONNABORTED, EPIPE, or the peer closed while we wrote
  other,                  // any other system error
  tls_certificate_name,   // the certificate does not name the host that was connected to
  tls_certificate_untrusted,  // the chain does not lead to a trusted CA
  tls_closed,             // the peer closed the connection without a TLS goodbye
  tls_other,
  cancelled,              // (0.6) the call's cancel descriptor became readable; transport only
};

// A failure reported by the module: `message` is the library's own text (e.g. OpenSSL's reason).
struct TlsError {
  SocketFault fault = SocketFault::none;
  std::string message;
};

struct TlsContext;  // a Poco::Net::Context, opaque on the transport's side
struct TlsSocket;   // a TLS client connection, opaque on the transport's side

// Every function is noexcept: failures come back through `error`.
struct TlsApi {
  std::uint32_t version;
  std::uint32_t struct_size;
  // A client context: verify on → VERIFY_STRICT (host name checked also for loopback hosts);
  // empty ca_file → the system CA store. Null on failure (e.g. an unreadable CA file).
  TlsContext* (*create_context)(const std::string& ca_file, bool verify, TlsError& error) noexcept;
  void (*release_context)(TlsContext* context) noexcept;
  // The client handshake on `fd`, a connected blocking TCP socket (direct, or a proxy's CONNECT
  // tunnel), bounded by `timeout_ms`; SNI and the name check use `host`, the origin's name. The
  // module owns `fd` from the call on, also when it fails (then it is closed). Null on failure.
  TlsSocket* (*wrap)(TlsContext* context, int fd, const std::string& host, int timeout_ms, TlsError& error) noexcept;
  // The socket's timeouts (SO_RCVTIMEO / SO_SNDTIMEO and the module's own waits), ≥ 1 ms; a
  // negative value leaves that one as it was.
  bool (*set_timeouts)(TlsSocket* socket, int receive_ms, int send_ms, TlsError& error) noexcept;
  // One read of at most `size` bytes: > 0 bytes read, 0 at EOF, -1 on failure.
  long (*receive)(TlsSocket* socket, char* dst, std::size_t size, TlsError& error) noexcept;
  // One write of at most `size` bytes: > 0 bytes written, -1 on failure. OpenSSL writes with
  // write(), so the caller blocks SIGPIPE around it.
  long (*send)(TlsSocket* socket, const char* bytes, std::size_t size, TlsError& error) noexcept;
  // Decrypted bytes OpenSSL holds that a poll on fd() would not announce.
  std::size_t (*pending)(TlsSocket* socket) noexcept;
  int (*fd)(TlsSocket* socket) noexcept;
  // Closes without a TLS goodbye (nothing is written, so neither SIGPIPE nor a wait is possible)
  // and frees the socket.
  void (*abort)(TlsSocket* socket) noexcept;
  // Closes with a TLS goodbye (the caller blocks SIGPIPE) and frees the socket.
  void (*close)(TlsSocket* socket) noexcept;
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

}  // namespace tls
}  // namespace v1
}  // namespace majordomo::sdk
