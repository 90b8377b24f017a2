// Helpers shared by the transport tests: posting, expecting a ProviderError, a short config, call params, a text decoder, a head-recording server.
#pragma once

#include "test_servers.hpp"

#include <majordomo/plugin.h>
#include <majordomo/sdk/call.hpp>
#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/http.hpp>

#include <Poco/Net/HTTPResponse.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace majordomo::test {

inline void reply(Poco::Net::HTTPServerResponse& response, const std::string& body, int status = 200) {
  response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
  response.setContentType("application/json");
  response.setContentLength(static_cast<std::streamsize>(body.size()));
  response.send() << body;
}

inline std::string read_body(sdk::HttpExchange& exchange) {
  std::string body;
  exchange.read_all(body);
  return body;
}

inline std::unique_ptr<sdk::HttpExchange> post(sdk::HttpTransport& transport, const std::string& url,
                                               std::string_view body = "{}", std::span<const mj_header> headers = {},
                                               bool stream = false) {
  sdk::HttpRequestSpec spec;
  spec.url = url;
  spec.body = body;
  spec.headers = headers;
  spec.stream = stream;
  return transport.send(spec);
}

// post() of "{}" through a forward proxy.
inline std::unique_ptr<sdk::HttpExchange> post_via(sdk::HttpTransport& transport, std::string_view url,
                                                   std::string_view proxy) {
  sdk::HttpRequestSpec spec;
  spec.url = url;
  spec.body = "{}";
  spec.proxy = proxy;
  return transport.send(spec);
}

inline mj_header header(const char* name, const char* value) {
  return mj_header{{name, std::strlen(name)}, {value, std::strlen(value)}};
}

// Runs `action`, expects a ProviderError, returns it.
template <class Action>
sdk::ProviderError expect_error(Action&& action) {
  try {
    action();
  } catch (const sdk::ProviderError& error) {
    return error;
  }
  FAIL("expected a ProviderError");
  throw std::logic_error("unreachable");
}

inline sdk::TransportConfig quick_config() {
  using namespace std::chrono_literals;
  sdk::TransportConfig config;
  config.connect_timeout = 5s;
  config.first_byte_timeout = 10s;
  config.idle_timeout = 10s;
  config.total_timeout = 30s;
  return config;
}

// Call parameters as a 0.3 host sends them (struct_size covers time_left_ms). They point into
// `url` and `body`, which must outlive them (hence no temporaries).
inline mj_call_params call_params(const std::string& url, bool stream, std::string_view body = "{}") {
  mj_call_params params{};
  params.struct_size = sizeof(params);
  params.flags = stream ? MJ_CALL_STREAM : 0;
  params.url = {url.data(), url.size()};
  params.body = {body.data(), body.size()};
  return params;
}
mj_call_params call_params(std::string&& url, bool stream, std::string_view body = "{}") = delete;

// Drains `call` and returns the error that ended it.
inline sdk::ProviderError drain_to_error(sdk::HttpCall& call) {
  return expect_error([&] {
    mj_event event{};
    for (int i = 0; i < 1'000'000 && call.next(event); ++i) {
    }
  });
}

// Every event becomes a text event; the stream never has a terminator.
class TextDecoder final : public sdk::ResponseDecoder {
 public:
  void on_body(std::string_view body, sdk::EventSink& sink) override { sink.text(body); }
  bool on_event(const sdk::SseEvent& event, sdk::EventSink& sink) override {
    sink.text(event.data);
    return true;
  }
  void on_stream_end(bool, sdk::EventSink&) override {}
  [[noreturn]] void on_error_status(const sdk::HttpExchange& exchange, std::string_view) override {
    throw sdk::ProviderError(MJ_ERR_SERVER, "error status", exchange.status());
  }
};

// Reads a call made with `params` through a transport with `config` to its end (a TextDecoder's
// events); returns the error it ended in.
inline sdk::ProviderError error_of_call(const sdk::TransportConfig& config, const mj_call_params& params) {
  sdk::HttpTransport transport(config);
  sdk::HttpCall call(transport, params, std::make_unique<TextDecoder>());
  return drain_to_error(call);
}

// The error opening a call made with `params` ends in, before any event.
inline sdk::ProviderError error_opening_call(const sdk::TransportConfig& config, const mj_call_params& params) {
  sdk::HttpTransport transport(config);
  return expect_error([&] { sdk::HttpCall call(transport, params, std::make_unique<TextDecoder>()); });
}

// Reads one request, sends `response`, and keeps the connection open until the client closes it.
inline RawServer::Script answers_once(std::string response) {
  return [response = std::move(response)](Poco::Net::StreamSocket& socket, int) {
    if (!read_request(socket)) return;
    send_all(socket, response);
    read_request(socket);
  };
}

// Answers every request on a connection with `answer` and keeps the head of the last one read,
// for the tests that check the exact bytes a request went out as.
class HeadRecordingServer {
 public:
  explicit HeadRecordingServer(std::string answer)
      : server_([this, answer = std::move(answer)](Poco::Net::StreamSocket& socket, int) {
          const auto request = read_request(socket);
          if (!request) return;
          {
            const std::lock_guard lock(mutex_);
            head_ = request->head;
          }
          send_all(socket, answer);
          read_request(socket);
        }) {}

  std::string url(const std::string& path = "/") const { return server_.url(path); }
  std::string head() {
    const std::lock_guard lock(mutex_);
    return head_;
  }

 private:
  std::mutex mutex_;
  std::string head_;
  RawServer server_;  // last: its thread stops before the members it writes go
};

inline const std::string kOkEmptyObject = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";

}  // namespace majordomo::test
