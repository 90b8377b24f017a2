// FakeProviderServer: Poco's HTTPServer on loopback, routing each request to a provider protocol or the control API.
#include "fake_server.hpp"

#include "control_api.hpp"
#include "json_text.hpp"
#include "response_plan.hpp"
#include "server_state.hpp"
#include "wire_writer.hpp"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/StreamCopier.h>
#include <Poco/ThreadPool.h>

#include <fmt/format.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <iostream>
#include <mutex>
#include <stdexcept>

namespace majordomo::fake {

// ---- ServerState ----

ServerState::ServerState(FakeServerOptions server_options)
    : options(std::move(server_options)), protocols(make_provider_protocols()) {}

uint64_t ServerState::record(RecordedRequest request) {
  std::lock_guard lock(mutex_);
  request.seq = next_seq_++;
  if (!options.record_file.empty()) {
    std::ofstream out(options.record_file, std::ios::app | std::ios::binary);
    if (out) out << recorded_request_json(request) << '\n';
    else std::cerr << "majordomo-fake: cannot append to record file " << options.record_file << '\n';
  }
  const uint64_t seq = request.seq;
  requests_.push_back(std::move(request));
  return seq;
}

std::vector<RecordedRequest> ServerState::recorded() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

void ServerState::clear_recorded() {
  std::lock_guard lock(mutex_);
  requests_.clear();
}

void ServerState::enqueue(ScriptedResponse response) {
  std::lock_guard lock(mutex_);
  script_.push_back(std::move(response));
}

std::optional<ScriptedResponse> ServerState::take_scripted_for(std::string_view path) {
  std::lock_guard lock(mutex_);
  for (auto it = script_.begin(); it != script_.end(); ++it) {
    if (it->path_contains.empty() || path.find(it->path_contains) != std::string_view::npos) {
      ScriptedResponse taken = std::move(*it);
      script_.erase(it);
      return taken;
    }
  }
  return std::nullopt;
}

size_t ServerState::pending() const {
  std::lock_guard lock(mutex_);
  return script_.size();
}

bool ServerState::pause(std::chrono::milliseconds duration) {
  std::unique_lock lock(mutex_);
  return !stop_signal_.wait_for(lock, duration, [this] { return stopping_; });
}

void ServerState::begin_stopping() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stop_signal_.notify_all();
}

void ServerState::reset_stopping() {
  std::lock_guard lock(mutex_);
  stopping_ = false;
}

// ---- request handling ----

namespace {

// Origin-form "/p?q" or, from a client that treats us as a proxy, absolute-form "http://h/p?q".
std::string_view path_of(std::string_view uri) {
  if (const auto scheme_end = uri.find("://"); scheme_end != std::string_view::npos && uri.front() != '/') {
    const auto path_start = uri.find('/', scheme_end + 3);
    uri = path_start == std::string_view::npos ? std::string_view("/") : uri.substr(path_start);
  }
  return uri.substr(0, uri.find_first_of("?#"));
}

std::string fake_error_json(std::string_view message, std::string_view type) {
  return fmt::format(R"({{"error":{{"message":{},"type":{},"param":null,"code":null}}}})", json_quote(message),
                     json_quote(type));
}

ResponsePlan serve_provider_request(ServerState& state, Poco::Net::HTTPServerRequest& request, std::string body,
                                    std::string_view path, std::chrono::steady_clock::time_point started) {
  const std::string& method = request.getMethod();
  // Built before routing: a protocol may route on headers or the body (ProviderProtocol::claims).
  RecordedRequest recorded;
  recorded.method = method;
  recorded.uri = request.getURI();
  for (const auto& [name, value] : request) recorded.headers.push_back({name, value});
  recorded.body = std::move(body);

  const ProviderProtocol* protocol = nullptr;
  for (const auto& candidate : state.protocols) {
    if (candidate->claims(recorded, path)) {
      protocol = candidate.get();
      break;
    }
  }
  if (protocol == nullptr) {
    return json_response_plan(404, fake_error_json(fmt::format("Invalid URL ({} {}): majordomo-fake serves POST "
                                                               ".../chat/completions (OpenAI, DeepSeek), .../responses (OpenAI Responses), .../v1/messages "
                                                               "(Anthropic), .../models/M:generateContent (Gemini), "
                                                               ".../v2/chat (Cohere) and /_fake/*",
                                                               method, path),
                                                   "invalid_request_error"));
  }

  recorded.protocol = std::string(protocol->name());
  recorded.seq = state.record(recorded);

  ScriptedResponse chosen;
  if (auto denied = protocol->check_auth(recorded, state.options)) chosen = std::move(*denied);
  else if (auto scripted = state.take_scripted_for(path)) chosen = protocol->adapt_scripted(recorded, std::move(*scripted), state.options);
  else chosen = protocol->default_response(recorded, state.options);

  ResponsePlan plan;
  try {
    plan = plan_response(chosen, state.options.fixtures_dir);
  } catch (const FixtureError& error) {
    std::cerr << "majordomo-fake: " << error.what() << '\n';
    plan = json_response_plan(500, fake_error_json(error.what(), "fake_server_error"));
  }

  // The provider's usual headers come first; a scripted header of the same name replaces one.
  std::vector<Header> headers;
  const auto handling_time =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  for (auto& header : protocol->standard_headers(recorded, handling_time)) {
    const bool scripted = std::any_of(plan.headers.begin(), plan.headers.end(), [&](const Header& h) {
      return equals_ignoring_case(h.name, header.name);
    });
    if (!scripted) headers.push_back(std::move(header));
  }
  headers.insert(headers.end(), plan.headers.begin(), plan.headers.end());
  plan.headers = std::move(headers);
  return plan;
}

class FakeRequestHandler final : public Poco::Net::HTTPRequestHandler {
public:
  explicit FakeRequestHandler(std::shared_ptr<ServerState> state) : state_(std::move(state)) {}

  void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override {
    try {
      const auto started = std::chrono::steady_clock::now();
      std::string body;
      Poco::StreamCopier::copyToString(request.stream(), body);
      const std::string uri = request.getURI();
      const std::string_view path = path_of(uri);
      ResponsePlan plan;
      try {
        plan = is_control_path(path) ? serve_control_request(*state_, request.getMethod(), path, body)
                                     : serve_provider_request(*state_, request, std::move(body), path, started);
      } catch (const std::exception& error) {
        // A bug in the fake must show up as a clear 500, not as a dropped connection.
        plan = json_response_plan(500, fake_error_json(error.what(), "fake_server_error"));
      }
      send_plan(request, response, plan, *state_);
    } catch (const Poco::Exception&) {
      // The client went away or the server is stopping: nothing more can be sent on this connection.
      response.setKeepAlive(false);
    } catch (const std::exception&) {
      response.setKeepAlive(false);
    }
  }

private:
  std::shared_ptr<ServerState> state_;
};

class FakeRequestHandlerFactory final : public Poco::Net::HTTPRequestHandlerFactory {
public:
  explicit FakeRequestHandlerFactory(std::shared_ptr<ServerState> state) : state_(std::move(state)) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new FakeRequestHandler(state_);
  }

private:
  std::shared_ptr<ServerState> state_;
};

void prepare_process_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    // A client that hangs up mid-stream makes socket and OpenSSL writes raise SIGPIPE, whose default
    // action would kill the whole test process; the failed write is handled as an error instead.
    struct sigaction current {};
    if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) std::signal(SIGPIPE, SIG_IGN);
    // Kept initialised for the life of the process: shutting it down would also tear down contexts
    // that test clients in the same process may still use.
    Poco::Net::initializeSSL();
  });
}

}  // namespace

// ---- FakeProviderServer ----

struct FakeProviderServer::Listener {
  // Declared before the server so that it is destroyed after it: the server's threads run in this pool.
  std::unique_ptr<Poco::ThreadPool> threads;
  std::unique_ptr<Poco::Net::HTTPServer> server;
};

FakeProviderServer::FakeProviderServer(FakeServerOptions options)
    : options_(std::move(options)), state_(std::make_shared<ServerState>(options_)) {}

FakeProviderServer::~FakeProviderServer() {
  try {
    stop();
  } catch (...) {
    // A destructor must not throw; stop() only fails if Poco does, and the threads are joined regardless.
  }
}

void FakeProviderServer::start() {
  if (listener_) throw std::logic_error("majordomo-fake: start() called on a running server");
  const bool tls = !options_.tls_cert_file.empty() || !options_.tls_key_file.empty();
  if (tls && (options_.tls_cert_file.empty() || options_.tls_key_file.empty())) {
    throw std::runtime_error("majordomo-fake: HTTPS needs both a certificate file and a key file");
  }
  prepare_process_once();
  state_->reset_stopping();

  auto listener = std::make_unique<Listener>();
  try {
    const Poco::Net::SocketAddress address(options_.host, options_.port);
    Poco::Net::ServerSocket socket;
    if (tls) {
      Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, options_.tls_key_file,
                                                               options_.tls_cert_file, "", Poco::Net::Context::VERIFY_NONE);
      socket = Poco::Net::SecureServerSocket(address, 1024, context);
    } else {
      socket = Poco::Net::ServerSocket(address, 1024);
    }
    port_ = socket.address().port();

    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    params->setKeepAlive(true);
    params->setMaxKeepAliveRequests(1'000'000);
    params->setKeepAliveTimeout(Poco::Timespan(60, 0));
    params->setTimeout(Poco::Timespan(60, 0));
    // A thread per connection, and a client's keep-alive pool holds its connections (and so
    // threads) while idle: the gateway's load test keeps several hundred open at once.
    params->setMaxThreads(1024);
    params->setMaxQueued(256);
    listener->threads = std::make_unique<Poco::ThreadPool>(2, 1024);
    listener->server = std::make_unique<Poco::Net::HTTPServer>(new FakeRequestHandlerFactory(state_),
                                                               *listener->threads, socket, params);
    listener->server->start();
  } catch (const Poco::Exception& error) {
    throw std::runtime_error(fmt::format("majordomo-fake: cannot listen on {}:{}: {}", options_.host, options_.port,
                                         error.displayText()));
  }
  listener_ = std::move(listener);
}

void FakeProviderServer::stop() {
  if (!listener_) return;
  // Wake stalled handlers first: Poco's graceful stop would wait for them.
  state_->begin_stopping();
  listener_->server->stopAll(true);
  listener_->threads->joinAll();
  listener_.reset();
}

bool FakeProviderServer::running() const { return listener_ != nullptr; }

uint16_t FakeProviderServer::port() const { return port_; }

std::string FakeProviderServer::origin() const {
  const bool tls = !options_.tls_cert_file.empty() && !options_.tls_key_file.empty();
  const bool ipv6 = options_.host.find(':') != std::string::npos;
  return fmt::format("{}://{}{}{}:{}", tls ? "https" : "http", ipv6 ? "[" : "", options_.host, ipv6 ? "]" : "", port_);
}

std::vector<RecordedRequest> FakeProviderServer::requests() const { return state_->recorded(); }

void FakeProviderServer::clear_requests() { state_->clear_recorded(); }

void FakeProviderServer::push_response(ScriptedResponse response) { state_->enqueue(std::move(response)); }

size_t FakeProviderServer::pending_responses() const { return state_->pending(); }

}  // namespace majordomo::fake
