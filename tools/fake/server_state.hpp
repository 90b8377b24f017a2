// State shared between the server object and its connection threads: the request log, the script queue, stop signal.
#pragma once

#include "fake_server.hpp"
#include "provider_protocol.hpp"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

namespace majordomo::fake {

struct ServerState {
  explicit ServerState(FakeServerOptions server_options);

  // Assigns the sequence number, keeps the request and appends it to the record file; returns the seq.
  uint64_t record(RecordedRequest request);
  std::vector<RecordedRequest> recorded() const;
  void clear_recorded();

  void enqueue(ScriptedResponse response);
  std::optional<ScriptedResponse> take_scripted_for(std::string_view path);
  size_t pending() const;

  // Waits for the given time, or less when the server stops; false means it is stopping.
  bool pause(std::chrono::milliseconds duration);
  void begin_stopping();
  void reset_stopping();

  const FakeServerOptions options;
  const std::vector<std::unique_ptr<ProviderProtocol>> protocols;

private:
  mutable std::mutex mutex_;
  std::condition_variable stop_signal_;
  bool stopping_ = false;
  uint64_t next_seq_ = 1;
  std::vector<RecordedRequest> requests_;
  std::deque<ScriptedResponse> script_;
};

}  // namespace majordomo::fake
