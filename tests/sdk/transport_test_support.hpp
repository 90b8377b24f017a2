// Helpers shared by the transport tests: posting through an HttpTransport, expecting a ProviderError, a short config, call params.
#pragma once

#include "test_servers.hpp"

#include <majordomo/plugin.h>
#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/http.hpp>

#include <Poco/Net/HTTPResponse.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstring>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

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

}  // namespace majordomo::test
