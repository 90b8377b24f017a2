// libFuzzer target: the SDK transport's response-head parser and body framing (Content-Length, chunked, until close), end to end over loopback.
#include "fuzz_input.hpp"
#include "loopback_server.hpp"

#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/http.hpp>

#include <cstdlib>
#include <memory>

namespace {

majordomo::fuzz::LoopbackServer& server() {
  static majordomo::fuzz::LoopbackServer instance;
  return instance;
}

majordomo::sdk::HttpTransport& transport() {
  static majordomo::sdk::HttpTransport instance([] {
    // The server always closes after its answer: no timeout is ever waited out; these only bound
    // a bug.
    majordomo::sdk::TransportConfig config;
    config.connect_timeout = std::chrono::milliseconds(2000);
    config.first_byte_timeout = std::chrono::milliseconds(2000);
    config.idle_timeout = std::chrono::milliseconds(2000);
    config.total_timeout = std::chrono::milliseconds(5000);
    return config;
  }());
  return instance;
}

}  // namespace

// Input: split points (fuzz_input.hpp), then one mode byte (bit 0: stream, read with read_some;
// bit 1: read_up_to 100 bytes), then the raw response the server writes.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = majordomo::fuzz::split_input(data, size);
  if (input.payload.empty()) return 0;
  const auto mode = static_cast<std::uint8_t>(input.payload.front());
  std::vector<std::string> pieces;
  std::size_t skip = 1;  // the mode byte is not part of the response
  for (std::string_view piece : input.pieces) {
    const std::size_t drop = std::min(skip, piece.size());
    skip -= drop;
    piece.remove_prefix(drop);
    if (!piece.empty()) pieces.emplace_back(piece);
  }
  server().respond_with(std::move(pieces));
  const std::string url = server().url("/v1/chat/completions");
  const mj_header headers[] = {{{"Authorization", 13}, {"Bearer fuzz", 11}}};
  majordomo::sdk::HttpRequestSpec request;
  request.url = url;
  request.headers = headers;
  request.body = R"({"model":"m"})";
  request.stream = (mode & 1) != 0;
  try {
    const std::unique_ptr<majordomo::sdk::HttpExchange> exchange = transport().send(request);
    (void)exchange->status();
    (void)exchange->header("content-type");
    (void)majordomo::sdk::retry_after_ms(*exchange);
    std::string body;
    if ((mode & 2) != 0) {
      (void)exchange->read_up_to(body, 100);
    } else if ((mode & 1) != 0) {
      char buffer[512];
      // Bounded: every read returns at least one byte or ends the loop, and the input is finite.
      for (std::size_t reads = 0; reads < (1u << 20); ++reads) {
        if (exchange->read_some(buffer, sizeof buffer) == 0) break;
      }
    } else {
      exchange->read_all(body, 1u << 20);
    }
    (void)exchange->body_complete();
  } catch (const majordomo::sdk::ProviderError&) {
    // Typed errors are the expected answer to a malformed response.
  }
  return 0;
}
