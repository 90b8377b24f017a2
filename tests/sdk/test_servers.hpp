// Loopback servers for the SDK tests: a Poco HTTP(S) server with a lambda handler, a scripted raw TCP server, a test PKI.
#pragma once

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/ThreadPool.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace majordomo::test {

// A one-shot latch a server handler waits on until the test releases it. The wait is bounded so
// that a failing test cannot hang the suite; it is never used to order events by time.
class Gate {
 public:
  void open();
  // True when opened, false when the 10 s safety bound ran out.
  bool wait();

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = false;
};

// Poco HTTPServer on 127.0.0.1, port chosen by the kernel; TLS when a server Context is given.
class LoopbackHttpServer {
 public:
  using Handler = std::function<void(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&)>;

  explicit LoopbackHttpServer(Handler handler, Poco::Net::Context::Ptr tls = nullptr);
  ~LoopbackHttpServer();
  LoopbackHttpServer(const LoopbackHttpServer&) = delete;
  LoopbackHttpServer& operator=(const LoopbackHttpServer&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  // URL on the given host name (127.0.0.1 or localhost) and path.
  std::string url(const std::string& path = "/", const std::string& host = "127.0.0.1") const;

 private:
  Poco::ThreadPool threads_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  std::uint16_t port_ = 0;
};

// One raw HTTP/1.1 request as a scripted server read it.
struct RawRequest {
  std::string head;
  std::string body;
};

// Reads one request (head and Content-Length body); nullopt when the peer closed first.
std::optional<RawRequest> read_request(Poco::Net::StreamSocket& socket);
void send_all(Poco::Net::StreamSocket& socket, const std::string& bytes);

// Accepts connections one after the other and runs `script` on each (with its 0-based index) in
// a server thread: full control over what goes on the wire and when a connection closes.
class RawServer {
 public:
  using Script = std::function<void(Poco::Net::StreamSocket&, int index)>;

  explicit RawServer(Script script);
  ~RawServer();
  RawServer(const RawServer&) = delete;
  RawServer& operator=(const RawServer&) = delete;

  std::string url(const std::string& path = "/") const;
  int connections() const noexcept { return connections_.load(); }

 private:
  Poco::Net::ServerSocket socket_;
  Script script_;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

// A CA, server certificates signed by it, and an unrelated CA, made once per test binary.
struct TestPki {
  std::string dir;
  std::string ca;            // CA that signed the certificates below
  std::string other_ca;      // unrelated CA
  std::string server_cert;   // CN/SAN localhost + IP 127.0.0.1
  std::string server_key;
  std::string otherhost_cert;  // CN/SAN otherhost, signed by `ca`
  std::string otherhost_key;
};
const TestPki& test_pki();

Poco::Net::Context::Ptr server_tls_context(const std::string& cert, const std::string& key);

}  // namespace majordomo::test
