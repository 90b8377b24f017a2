// One accepted connection of the misbehaving server: the parsed request and bounded, interruptible writes and waits.
#pragma once

#include "misbehaving_server.hpp"

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace majordomo::fake {

struct IncomingRequest {
  std::string method;
  std::string target;  // as received: origin form, or absolute form when used as a proxy
  std::string path;    // without scheme, host and query
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string model;   // from the body or, for Gemini, the path; "model" when none is found
  SeenRequest seen;

  const std::string* header(std::string_view name) const;  // first match, any case
};

class Connection {
public:
  // `stop_fd` becomes readable when the server stops; `until` bounds every endless behaviour.
  Connection(int fd, int stop_fd, std::chrono::steady_clock::time_point until, size_t byte_budget);

  // Writes everything; false once the client has gone, the server stops, or a bound is reached.
  bool send(std::string_view bytes);
  // Waits this long unless the client goes away or the server stops (then false). This is the
  // misbehaviour's own pacing (a trickle, a keep-alive every so often), not synchronisation.
  bool pause(std::chrono::milliseconds how_long);
  // Says nothing until the client closes, the server stops or the time bound passes.
  void stay_silent();

  size_t bytes_sent() const { return sent_; }
  uint16_t local_port() const;

private:
  enum class Wait { ready, time_passed, ended };
  // Polls the socket and the stop pipe for `events` during at most `at_most` (and never past the
  // connection's bound): ended when the client closed or the server stopped. Incoming bytes (a
  // pipelined request) are read and dropped.
  Wait wait_for(short events, std::chrono::milliseconds at_most);

  int fd_;
  int stop_fd_;
  std::chrono::steady_clock::time_point until_;
  size_t byte_budget_;
  size_t sent_ = 0;
};

// Serves one request with the named misbehaviour (one of misbehaviours()).
void misbehave(std::string_view misbehaviour, const IncomingRequest& request, Connection& connection);

}  // namespace majordomo::fake
