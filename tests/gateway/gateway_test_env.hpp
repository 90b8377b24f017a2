// A gateway under test: the fake provider server, a GatewayServer in front of it for all five providers, and a small HTTP client.
#pragma once

#include "fake_server.hpp"
#include "gateway_config.hpp"
#include "gateway_server.hpp"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>
#include <fmt/format.h>

#include <filesystem>
#include <functional>
#include <fstream>
#include <sstream>
#include <unistd.h>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace majordomo::testing {

inline constexpr std::string_view kGatewayKey = "mjk-test-team-a-0001";
inline constexpr std::string_view kOtherGatewayKey = "mjk-test-team-b-0002";

inline std::string hex_sha256(std::string_view text) {
  std::string out;
  for (const uint8_t byte : gateway::sha256_of(text)) out += fmt::format("{:02x}", byte);
  return out;
}

// One answer as the client saw it.
struct GatewayReply {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string header(const std::string& name) const {
    const auto found = headers.find(name);
    return found == headers.end() ? std::string() : found->second;
  }
};

struct GatewayTestEnv {
  fake::FakeProviderServer server{fake_options()};
  std::filesystem::path dir;
  std::unique_ptr<gateway::GatewayServer> gateway;

  // `extra` is spliced into the configuration object (keys after "providers"), e.g.
  // R"("cascades": {"fast": ["openai/gpt-4o", "anthropic/claude-haiku-4-5"]})".
  // `adjust` may change the parsed configuration before the gateway starts (e.g. a base URL).
  // `reread` is what the gateway's reload() applies (empty: the same configuration again).
  explicit GatewayTestEnv(std::string_view keys_json = {}, std::string_view extra = {},
                          const std::function<void(gateway::GatewayConfig&)>& adjust = {},
                          std::function<gateway::GatewayConfig()> reread = {}) {
    server.start();
    dir = std::filesystem::temp_directory_path() /
          fmt::format("majordomo-gateway-test-{}-{}", ::getpid(), reinterpret_cast<uintptr_t>(this));
    std::filesystem::create_directories(dir);
    const std::string config = configuration(keys_json, extra);
    gateway::GatewayConfig parsed = gateway::parse_gateway_config(config, "test config");
    if (adjust) adjust(parsed);
    gateway = std::make_unique<gateway::GatewayServer>(parsed, std::move(reread));
    gateway->start();
  }
  ~GatewayTestEnv() {
    gateway->shutdown();
    server.stop();
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }

  static fake::FakeServerOptions fake_options() {
    fake::FakeServerOptions options;
    options.fixtures_dir = MAJORDOMO_TEST_FIXTURES;
    return options;
  }

  std::string configuration(std::string_view keys_json, std::string_view extra) const {
    const std::string origin = server.origin();
    const std::string keys = keys_json.empty()
                                 ? fmt::format(R"([{{"name": "team-a", "sha256": "{}"}}])", hex_sha256(kGatewayKey))
                                 : std::string(keys_json);
    return fmt::format(R"({{
      "listen": "127.0.0.1:0",
      "plugin_dirs": ["{plugins}"],
      "access_log": "{dir}/access.log",
      "providers": {{
        "openai": {{"base_url": "{origin}/v1", "api_key": "sk-test-0000", "max_attempts": 1}},
        "anthropic": {{"base_url": "{origin}", "api_key": "sk-ant-test-0000", "max_attempts": 1}},
        "gemini": {{"base_url": "{origin}", "api_key": "AIza-test-0000", "max_attempts": 1}},
        "deepseek": {{"base_url": "{origin}", "api_key": "sk-ds-test-0000", "max_attempts": 1}},
        "cohere": {{"base_url": "{origin}", "api_key": "co-test-0000", "max_attempts": 1}}
      }},
      "gateway_keys": {keys}{comma}{extra}
    }})",
                       fmt::arg("plugins", MAJORDOMO_TEST_PLUGIN_DIR), fmt::arg("dir", dir.string()),
                       fmt::arg("origin", origin), fmt::arg("keys", keys), fmt::arg("comma", extra.empty() ? "" : ","),
                       fmt::arg("extra", extra));
  }

  GatewayReply send(const std::string& method, const std::string& path, const std::string& body = {},
                    const std::vector<std::pair<std::string, std::string>>& headers = {}) const {
    Poco::Net::HTTPClientSession session("127.0.0.1", gateway->port());
    session.setTimeout(Poco::Timespan(60, 0));
    Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto& [name, value] : headers) request.set(name, value);
    if (!body.empty() || method == "POST") {
      request.setContentType("application/json");
      request.setContentLength(static_cast<std::streamsize>(body.size()));
    }
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    GatewayReply reply;
    reply.status = static_cast<int>(response.getStatus());
    Poco::StreamCopier::copyToString(in, reply.body);
    for (const auto& [name, value] : response) {
      std::string lower = name;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      reply.headers[lower] = value;
    }
    return reply;
  }

  // POST with the team-a key as the OpenAI SDK sends it.
  GatewayReply post(const std::string& path, const std::string& body,
                    std::vector<std::pair<std::string, std::string>> headers = {}) const {
    headers.emplace_back("Authorization", fmt::format("Bearer {}", kGatewayKey));
    return send("POST", path, body, headers);
  }

  std::string access_log() const {
    std::ifstream in(dir / "access.log");
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }
};

inline std::string chat_body(std::string_view model, bool stream = false) {
  return fmt::format(R"({{"model":"{}","messages":[{{"role":"user","content":"Say hello."}}]{}}})", model,
                     stream ? R"(,"stream":true,"stream_options":{"include_usage":true})" : "");
}

inline std::string messages_body(std::string_view model, bool stream = false) {
  return fmt::format(R"({{"model":"{}","max_tokens":64,"messages":[{{"role":"user","content":"Say hello."}}]{}}})",
                     model, stream ? R"(,"stream":true)" : "");
}

// Sends an OpenAI-shaped request with the team-a key on a raw socket and returns it open: the
// test decides how it reads the answer and when it hangs up. `receive_buffer` > 0 sets the
// socket's SO_RCVBUF before it connects (a client that holds little).
inline Poco::Net::StreamSocket send_raw(uint16_t port, const std::string& body, std::string_view version = "1.1",
                                        int receive_buffer = 0) {
  Poco::Net::StreamSocket socket(Poco::Net::SocketAddress::IPv4);
  if (receive_buffer > 0) socket.setReceiveBufferSize(receive_buffer);
  socket.connect(Poco::Net::SocketAddress("127.0.0.1", port));
  socket.setReceiveTimeout(Poco::Timespan(30, 0));
  const std::string head = fmt::format(
      "POST /v1/chat/completions HTTP/{}\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\n"
      "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
      version, kGatewayKey, body.size());
  const std::string request = head + body;
  socket.sendBytes(request.data(), static_cast<int>(request.size()));
  return socket;
}

// Reads from `socket` until `marker` arrived, the peer closed, or 64 KiB came without it (each
// read bounded by the socket's receive timeout); returns what arrived, marker included: the
// caller checks that it is there.
inline std::string receive_until(Poco::Net::StreamSocket& socket, std::string_view marker) {
  std::string received;
  char buffer[4096];
  while (received.find(marker) == std::string::npos && received.size() < 65536) {
    const int n = socket.receiveBytes(buffer, sizeof buffer);
    if (n <= 0) break;
    received.append(buffer, static_cast<std::size_t>(n));
  }
  return received;
}

}  // namespace majordomo::testing
