// majordomo-fake --misbehave: a loopback server on raw sockets that answers every provider route with one chosen misbehaviour.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace majordomo::fake {

// One misbehaviour, by its command-line name (e.g. "silent", "gzip").
struct MisbehaviourInfo {
  std::string_view name;
  std::string_view summary;  // one line for --help and the docs
};
const std::vector<MisbehaviourInfo>& misbehaviours();
bool is_misbehaviour(std::string_view name);

// The provider routes the server recognises, by path suffix (any prefix, as behind a gateway).
enum class Route { unknown, openai_chat, openai_responses, anthropic, gemini, deepseek, cohere };
std::string_view route_name(Route route);

// What the server saw of one request; credentials are deliberately not kept, so that a test can
// print this freely.
struct SeenRequest {
  std::string first_segment;  // the first path segment ("case-7" of /case-7/v1/chat/completions)
  std::string path;           // without query and, for a proxied request, without scheme and host
  Route route = Route::unknown;
  bool stream = false;
  bool proxied = false;       // an absolute-form request target: the server was used as the proxy
  std::chrono::steady_clock::time_point accepted_at;  // when its connection was accepted
};

struct MisbehavingServerOptions {
  std::string misbehaviour;   // one of misbehaviours()
  std::string host = "127.0.0.1";
  uint16_t port = 0;          // 0: an ephemeral port
  // The endless misbehaviours (never answering, trickling, streaming forever) end after this long
  // or this many bytes, or as soon as the client goes away, whichever comes first.
  std::chrono::milliseconds endless_for{60'000};
  size_t endless_bytes = size_t{64} << 20;
  bool log_requests = false;  // one line per request on stderr (the binary), without credentials
};

class MisbehavingServer {
public:
  explicit MisbehavingServer(MisbehavingServerOptions options);  // throws std::invalid_argument on an unknown misbehaviour
  ~MisbehavingServer();
  MisbehavingServer(const MisbehavingServer&) = delete;
  MisbehavingServer& operator=(const MisbehavingServer&) = delete;

  // Binds and starts accepting; throws std::runtime_error when the socket cannot be set up.
  void start();
  // Ends every connection (endless ones included) and joins every thread. Safe to call twice.
  void stop();

  uint16_t port() const;
  std::string origin() const;  // http://HOST:PORT
  std::vector<SeenRequest> requests() const;

  struct State;  // shared with the connection threads

private:
  MisbehavingServerOptions options_;
  std::shared_ptr<State> state_;
};

}  // namespace majordomo::fake
