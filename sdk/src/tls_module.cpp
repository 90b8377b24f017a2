// libmajordomo-tls.so: Poco NetSSL client sockets for the SDK transport, loaded only when an https URL is used.
#include "tls_api.hpp"

#include <Poco/Net/Context.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SecureStreamSocket.h>

#include <mutex>

namespace majordomo::sdk {
inline namespace v1 {
namespace detail_tls {

struct TlsContext {
  Poco::Net::Context::Ptr context;
};

namespace {

std::once_flag ssl_initialized;

TlsContext* create_context(const std::string& ca_file, bool verify) {
  std::call_once(ssl_initialized, [] { Poco::Net::initializeSSL(); });
  auto* result = new TlsContext;
  try {
    result->context = new Poco::Net::Context(
        Poco::Net::Context::TLS_CLIENT_USE, "", "", ca_file,
        // STRICT: RELAXED skips the host name check for loopback hosts.
        verify ? Poco::Net::Context::VERIFY_STRICT : Poco::Net::Context::VERIFY_NONE, 9, ca_file.empty());
  } catch (...) {
    delete result;
    throw;
  }
  return result;
}

void release_context(TlsContext* context) noexcept { delete context; }

Poco::Net::StreamSocket connect(TlsContext* context, const std::string& host,
                                const Poco::Net::SocketAddress& address, Poco::Timespan timeout) {
  Poco::Net::SecureStreamSocket socket(context->context);
  socket.setPeerHostName(host);  // SNI, and the name the certificate must carry
  socket.connect(address, timeout);  // the handshake runs inside, bounded by the same timeout
  return Poco::Net::StreamSocket(socket);
}

Poco::Net::StreamSocket wrap(TlsContext* context, const std::string& host, const Poco::Net::StreamSocket& plain,
                             Poco::Timespan timeout) {
  // attach() runs the handshake at once on the blocking socket: its timeouts bound it.
  Poco::Net::StreamSocket socket(plain);
  socket.setReceiveTimeout(timeout);
  socket.setSendTimeout(timeout);
  return Poco::Net::StreamSocket(Poco::Net::SecureStreamSocket::attach(socket, host, context->context));
}

void abort(Poco::Net::StreamSocket& socket) noexcept {
  try {
    Poco::Net::SecureStreamSocket(socket).abort();
  } catch (...) {  // the connection is being thrown away; nothing useful to report
  }
}

TlsErrorKind classify(const Poco::Exception& error) noexcept {
  if (dynamic_cast<const Poco::Net::CertificateValidationException*>(&error) != nullptr)
    return TlsErrorKind::certificate_name;
  if (dynamic_cast<const Poco::Net::SSLConnectionUnexpectedlyClosedException*>(&error) != nullptr)
    return TlsErrorKind::closed;
  if (dynamic_cast<const Poco::Net::SSLException*>(&error) != nullptr) {
    // OpenSSL names a failed chain check only in its text.
    if (error.displayText().find("certificate verify failed") != std::string::npos)
      return TlsErrorKind::certificate_untrusted;
    return TlsErrorKind::other;
  }
  return TlsErrorKind::not_tls;
}

const TlsApi api{kTlsApiVersion, sizeof(TlsApi), create_context, release_context, connect, abort, classify, wrap};

}  // namespace
}  // namespace detail_tls
}  // namespace v1
}  // namespace majordomo::sdk

extern "C" __attribute__((visibility("default"))) const majordomo::sdk::detail_tls::TlsApi* majordomo_tls_v1(
    std::uint32_t caller_struct_size) {
  using majordomo::sdk::detail_tls::TlsApi;
  // The table only grows by appending: a caller built against an older, smaller one can use it.
  if (caller_struct_size > sizeof(TlsApi)) return nullptr;
  return &majordomo::sdk::detail_tls::api;
}
