// majordomo-fake: a loopback HTTP(S) server that speaks provider wire protocols, replays fixtures and records requests.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace majordomo::fake {

struct Header {
  std::string name;
  std::string value;
};

// One request as the server received it. Headers keep their spelling and duplicates; they are in
// arrival order except that a repeated name is listed right after its first occurrence (Poco's
// header collection groups equal names).
struct RecordedRequest {
  uint64_t seq = 0;          // 1, 2, 3, ... in arrival order
  std::string method;
  std::string uri;           // path + query exactly as received
  std::vector<Header> headers;
  std::string body;
  std::string protocol;      // the provider route that matched, e.g. "openai"
};

// A response a test (or a script, through POST /_fake/responses) wants the next matching request to get.
struct ScriptedResponse {
  // A fixture whose file name says error_NNN (e.g. "openai/error_429.json") is served with NNN while
  // this is left at 200.
  int status = 200;
  std::vector<Header> headers;     // sent as given, after the status line; duplicates kept
  std::string content_type;        // empty: from the fixture's extension (.sse, .json), else application/json
  std::string body;                // used when non-empty
  std::string fixture;             // else this file, relative to the fixtures dir
  std::vector<size_t> split_at;    // body offsets at which one write ends and the next begins
  std::optional<size_t> cut_after; // send only this many body bytes, then drop the connection
  std::chrono::milliseconds stall_before_head{0};
  std::optional<size_t> stall_after;  // pause for stall_for after this many body bytes
  std::chrono::milliseconds stall_for{0};
  std::string path_contains;       // only a request whose path contains this consumes it (empty: any)
};

struct FakeServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;                    // 0: an ephemeral port, see FakeProviderServer::port()
  std::filesystem::path fixtures_dir;   // empty or missing files: built-in generated responses
  std::string tls_cert_file;            // both set: HTTPS
  std::string tls_key_file;
  std::string required_api_key;         // empty: any non-empty key is accepted
  std::filesystem::path record_file;    // when set, one JSON line per recorded request is appended
};

struct ServerState;  // shared with the connection threads, which may outlive a call to stop() by a little

class FakeProviderServer {
public:
  explicit FakeProviderServer(FakeServerOptions options);
  ~FakeProviderServer();
  FakeProviderServer(const FakeProviderServer&) = delete;
  FakeProviderServer& operator=(const FakeProviderServer&) = delete;

  // Binds and starts serving; throws std::runtime_error when the socket or TLS setup fails.
  void start();
  // Ends stalls, closes connections and waits for every handler thread. Safe to call twice.
  void stop();
  bool running() const;

  uint16_t port() const;
  std::string origin() const;  // http(s)://HOST:PORT

  std::vector<RecordedRequest> requests() const;
  void clear_requests();
  // FIFO: a provider-route request takes the first queued response whose path_contains matches it.
  void push_response(ScriptedResponse response);
  size_t pending_responses() const;

  const FakeServerOptions& options() const { return options_; }

private:
  struct Listener;
  FakeServerOptions options_;
  std::shared_ptr<ServerState> state_;
  std::unique_ptr<Listener> listener_;
  uint16_t port_ = 0;
};

}  // namespace majordomo::fake
