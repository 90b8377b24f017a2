// libmajordomo-tls.so: Poco NetSSL client sessions on a file descriptor the SDK transport connected, loaded only when an https URL is used.
#include "tls_api.hpp"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/StreamSocketImpl.h>
#include <Poco/Timespan.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <new>

// Poco NetSSL stays inside: it already carries the VERIFY_STRICT host name check, the CA file or
// system store, SNI and the mapping of OpenSSL's errors, which the transport's messages and tests
// rely on. The SDK's descriptor is adopted by a Poco StreamSocketImpl and the handshake runs on it
// through SecureStreamSocket::attach.
namespace majordomo::sdk {
inline namespace v1 {
namespace tls {

struct TlsContext {
  Poco::Net::Context::Ptr context;
};

struct TlsSocket {
  Poco::Net::StreamSocket socket;  // its impl is the secure one: reads and writes run in this module
};

namespace {

std::once_flag ssl_initialized;

SocketFault classify(const Poco::Exception& error) noexcept {
  if (dynamic_cast<const Poco::TimeoutException*>(&error) != nullptr) return SocketFault::timeout;
  if (dynamic_cast<const Poco::Net::CertificateValidationException*>(&error) != nullptr)
    return SocketFault::tls_certificate_name;
  if (dynamic_cast<const Poco::Net::SSLConnectionUnexpectedlyClosedException*>(&error) != nullptr)
    return SocketFault::tls_closed;
  if (dynamic_cast<const Poco::Net::SSLException*>(&error) != nullptr) {
    // OpenSSL names a failed chain check only in its text.
    if (error.displayText().find("certificate verify failed") != std::string::npos)
      return SocketFault::tls_certificate_untrusted;
    return SocketFault::tls_other;
  }
  if (dynamic_cast<const Poco::Net::ConnectionRefusedException*>(&error) != nullptr) return SocketFault::refused;
  if (dynamic_cast<const Poco::Net::ConnectionResetException*>(&error) != nullptr) return SocketFault::reset;
  if (dynamic_cast<const Poco::Net::ConnectionAbortedException*>(&error) != nullptr) return SocketFault::reset;
  if (dynamic_cast<const Poco::IOException*>(&error) != nullptr && error.code() == EPIPE) return SocketFault::reset;
  return SocketFault::other;
}

// Fills `error` from the exception in flight; never throws (an allocation failure leaves the text empty).
void record(TlsError& error) noexcept {
  try {
    throw;
  } catch (const Poco::Exception& poco) {
    error.fault = classify(poco);
    try {
      error.message = poco.displayText();
    } catch (...) {
    }
  } catch (const std::exception& other) {
    error.fault = SocketFault::other;
    try {
      error.message = other.what();
    } catch (...) {
    }
  } catch (...) {
    error.fault = SocketFault::other;
  }
}

TlsContext* create_context(const std::string& ca_file, bool verify, TlsError& error) noexcept {
  try {
    std::call_once(ssl_initialized, [] { Poco::Net::initializeSSL(); });
    auto result = std::make_unique<TlsContext>();
    result->context = new Poco::Net::Context(
        Poco::Net::Context::TLS_CLIENT_USE, "", "", ca_file,
        // STRICT: RELAXED skips the host name check for loopback hosts.
        verify ? Poco::Net::Context::VERIFY_STRICT : Poco::Net::Context::VERIFY_NONE, 9, ca_file.empty());
    return result.release();
  } catch (...) {
    record(error);
    return nullptr;
  }
}

void release_context(TlsContext* context) noexcept { delete context; }

TlsSocket* wrap(TlsContext* context, int fd, const std::string& host, int timeout_ms, TlsError& error) noexcept {
  Poco::Net::StreamSocketImpl* adopted = nullptr;
  try {
    adopted = new Poco::Net::StreamSocketImpl(fd);
  } catch (...) {
    ::close(fd);
    record(error);
    return nullptr;
  }
  try {
    Poco::Net::StreamSocket plain(adopted);  // owns the descriptor from here on
    // attach() runs the handshake at once on the blocking socket: its timeouts bound it.
    const Poco::Timespan timeout(static_cast<Poco::Timespan::TimeDiff>(timeout_ms) * 1000);
    plain.setReceiveTimeout(timeout);
    plain.setSendTimeout(timeout);
    auto result = std::make_unique<TlsSocket>();
    result->socket = Poco::Net::StreamSocket(Poco::Net::SecureStreamSocket::attach(plain, host, context->context));
    return result.release();
  } catch (...) {
    record(error);
    return nullptr;
  }
}

bool set_timeouts(TlsSocket* socket, int receive_ms, int send_ms, TlsError& error) noexcept {
  try {
    if (receive_ms >= 0) socket->socket.setReceiveTimeout(Poco::Timespan(Poco::Timespan::TimeDiff{receive_ms} * 1000));
    if (send_ms >= 0) socket->socket.setSendTimeout(Poco::Timespan(Poco::Timespan::TimeDiff{send_ms} * 1000));
    return true;
  } catch (...) {
    record(error);
    return false;
  }
}

int clamp(std::size_t size) noexcept {
  return static_cast<int>(std::min<std::size_t>(size, std::numeric_limits<int>::max()));
}

long receive(TlsSocket* socket, char* dst, std::size_t size, TlsError& error) noexcept {
  try {
    const int n = socket->socket.receiveBytes(dst, clamp(size));
    return n > 0 ? n : 0;
  } catch (...) {
    record(error);
    return -1;
  }
}

long send(TlsSocket* socket, const char* bytes, std::size_t size, TlsError& error) noexcept {
  try {
    const int n = socket->socket.sendBytes(bytes, clamp(size));
    if (n > 0) return n;
    error.fault = SocketFault::reset;
    error.message = "the connection closed while sending";
  } catch (...) {
    record(error);
  }
  return -1;
}

std::size_t pending(TlsSocket* socket) noexcept {
  try {
    const int n = socket->socket.available();  // a TLS socket's available() is SSL_pending
    return n > 0 ? static_cast<std::size_t>(n) : 0;
  } catch (...) {
    return 0;
  }
}

int fd(TlsSocket* socket) noexcept {
  try {
    return socket->socket.impl()->sockfd();
  } catch (...) {
    return -1;
  }
}

void abort(TlsSocket* socket) noexcept {
  try {
    Poco::Net::SecureStreamSocket(socket->socket).abort();
  } catch (...) {  // the connection is being thrown away; nothing useful to report
  }
  delete socket;
}

void close(TlsSocket* socket) noexcept {
  try {
    socket->socket.close();
  } catch (...) {  // closing an idle connection has no one to report to
  }
  delete socket;
}

const TlsApi api{kTlsApiVersion, sizeof(TlsApi), create_context, release_context, wrap, set_timeouts,
                 receive,        send,            pending,        fd,              abort, close};

}  // namespace
}  // namespace tls
}  // namespace v1
}  // namespace majordomo::sdk

extern "C" __attribute__((visibility("default"))) const majordomo::sdk::tls::TlsApi* majordomo_tls_v2(
    std::uint32_t caller_struct_size) {
  using majordomo::sdk::tls::TlsApi;
  // The table only grows by appending: a caller built against an older, smaller one can use it.
  if (caller_struct_size > sizeof(TlsApi)) return nullptr;
  return &majordomo::sdk::tls::api;
}
