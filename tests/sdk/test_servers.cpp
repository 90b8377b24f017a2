// Loopback test servers and the throwaway PKI the TLS tests use.
#include "test_servers.hpp"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include <catch2/catch.hpp>

#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>

namespace majordomo::test {

namespace {

// Servers and clients share this process: a server writing to a client the test abandoned must
// get EPIPE, not kill the test binary.
const bool sigpipe_ignored = [] {
  signal(SIGPIPE, SIG_IGN);
  return true;
}();

// The TLS module of this build, unless the environment names another one.
const bool tls_module_named = [] {
  setenv("MAJORDOMO_TLS_MODULE", MAJORDOMO_TEST_TLS_MODULE, 0);
  return true;
}();

class LambdaHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit LambdaHandler(const LoopbackHttpServer::Handler& handler) : handler_(handler) {}
  void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override {
    handler_(request, response);
  }

 private:
  const LoopbackHttpServer::Handler& handler_;
};

class LambdaFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit LambdaFactory(LoopbackHttpServer::Handler handler) : handler_(std::move(handler)) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new LambdaHandler(handler_);
  }

 private:
  LoopbackHttpServer::Handler handler_;
};

std::string run_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "majordomo-pki-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

void run(const std::string& command) {
  if (std::system((command + " >/dev/null 2>&1").c_str()) != 0)
    throw std::runtime_error("command failed: " + command);
}

struct PkiOwner {
  TestPki pki;
  PkiOwner() {
    pki.dir = run_dir();
    const std::string& d = pki.dir;
    const auto make_ca = [&](const std::string& name, const std::string& cn) {
      run("openssl req -x509 -newkey rsa:2048 -nodes -keyout " + d + "/" + name + ".key -out " + d + "/" + name +
          ".pem -days 2 -subj '/CN=" + cn + "'");
      return d + "/" + name + ".pem";
    };
    const auto make_leaf = [&](const std::string& name, const std::string& cn, const std::string& san) {
      std::FILE* ext = std::fopen((d + "/" + name + ".ext").c_str(), "w");
      if (ext == nullptr) throw std::runtime_error("cannot write extension file");
      std::fprintf(ext, "subjectAltName=%s\nextendedKeyUsage=serverAuth\n", san.c_str());
      std::fclose(ext);
      run("openssl req -newkey rsa:2048 -nodes -keyout " + d + "/" + name + ".key -out " + d + "/" + name +
          ".csr -subj '/CN=" + cn + "'");
      run("openssl x509 -req -in " + d + "/" + name + ".csr -CA " + d + "/ca.pem -CAkey " + d +
          "/ca.key -CAcreateserial -out " + d + "/" + name + ".pem -days 2 -extfile " + d + "/" + name + ".ext");
    };
    pki.ca = make_ca("ca", "majordomo test CA");
    pki.other_ca = make_ca("other_ca", "unrelated test CA");
    make_leaf("server", "localhost", "DNS:localhost,IP:127.0.0.1");
    make_leaf("otherhost", "otherhost", "DNS:otherhost");
    pki.server_cert = d + "/server.pem";
    pki.server_key = d + "/server.key";
    pki.otherhost_cert = d + "/otherhost.pem";
    pki.otherhost_key = d + "/otherhost.key";
  }
  ~PkiOwner() {
    std::error_code ignored;
    std::filesystem::remove_all(pki.dir, ignored);
  }
};

}  // namespace

void Gate::open() {
  {
    std::lock_guard lock(mutex_);
    open_ = true;
  }
  changed_.notify_all();
}

bool Gate::wait() {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, std::chrono::seconds(10), [&] { return open_; });
}

LoopbackHttpServer::LoopbackHttpServer(Handler handler, Poco::Net::Context::Ptr tls) : threads_(2, 32) {
  (void)sigpipe_ignored;
  const Poco::Net::SocketAddress address("127.0.0.1", 0);
  auto params = new Poco::Net::HTTPServerParams;
  params->setKeepAlive(true);
  params->setMaxKeepAliveRequests(10000);
  params->setKeepAliveTimeout(Poco::Timespan(30, 0));
  params->setMaxThreads(32);
  if (tls) {
    Poco::Net::SecureServerSocket socket(address, 64, tls);
    port_ = socket.address().port();
    server_ = std::make_unique<Poco::Net::HTTPServer>(new LambdaFactory(std::move(handler)), threads_, socket, params);
  } else {
    Poco::Net::ServerSocket socket(address, 64);
    port_ = socket.address().port();
    server_ = std::make_unique<Poco::Net::HTTPServer>(new LambdaFactory(std::move(handler)), threads_, socket, params);
  }
  server_->start();
}

LoopbackHttpServer::~LoopbackHttpServer() {
  server_->stopAll(true);  // also aborts keep-alive connections still waiting for a request
  threads_.joinAll();
}

std::string LoopbackHttpServer::url(const std::string& path, const std::string& host) const {
  const bool secure = server_->socket().secure();
  return std::string(secure ? "https://" : "http://") + host + ":" + std::to_string(port_) + path;
}

std::optional<RawRequest> read_request(Poco::Net::StreamSocket& socket) {
  RawRequest request;
  std::string data;
  char buffer[4096];
  std::size_t head_end = std::string::npos;
  while ((head_end = data.find("\r\n\r\n")) == std::string::npos) {
    const int n = socket.receiveBytes(buffer, sizeof(buffer));
    if (n <= 0) return std::nullopt;
    data.append(buffer, static_cast<std::size_t>(n));
  }
  request.head = data.substr(0, head_end + 4);
  std::size_t length = 0;
  std::string lower = request.head;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (const std::size_t at = lower.find("\r\ncontent-length:"); at != std::string::npos)
    length = std::stoul(lower.substr(at + 17));
  request.body = data.substr(head_end + 4);
  while (request.body.size() < length) {
    const int n = socket.receiveBytes(buffer, sizeof(buffer));
    if (n <= 0) return std::nullopt;
    request.body.append(buffer, static_cast<std::size_t>(n));
  }
  return request;
}

void send_all(Poco::Net::StreamSocket& socket, const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const int n = socket.sendBytes(bytes.data() + sent, static_cast<int>(bytes.size() - sent));
    if (n <= 0) return;
    sent += static_cast<std::size_t>(n);
  }
}

RawServer::RawServer(Script script)
    : socket_(Poco::Net::SocketAddress("127.0.0.1", 0), 64), script_(std::move(script)) {
  (void)sigpipe_ignored;
  thread_ = std::thread([this] {
    int index = 0;
    while (!stop_.load()) {
      // Poll so the destructor can stop the loop; this is not used to order test events.
      if (!socket_.poll(Poco::Timespan(0, 20000), Poco::Net::Socket::SELECT_READ)) continue;
      Poco::Net::StreamSocket connection = socket_.acceptConnection();
      connections_.fetch_add(1);
      try {
        script_(connection, index++);
      } catch (const std::exception&) {  // a client that went away mid-script ends that script
      }
    }
  });
}

RawServer::~RawServer() {
  stop_.store(true);
  thread_.join();
}

std::string RawServer::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(socket_.address().port()) + path;
}

const TestPki& test_pki() {
  static PkiOwner owner;
  return owner.pki;
}

Poco::Net::Context::Ptr server_tls_context(const std::string& cert, const std::string& key) {
  Poco::Net::initializeSSL();
  return new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, key, cert, "", Poco::Net::Context::VERIFY_NONE);
}

}  // namespace majordomo::test
