// What the gateway's connection threads share: the configuration generation, limits, metrics, the call log and the access log.
#pragma once

#include "client_request.hpp"
#include "disconnect_watch.hpp"
#include "gateway_config.hpp"
#include "gateway_keys.hpp"
#include "gateway_metrics.hpp"
#include "model_routes.hpp"

#include <majordomo/logging.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace majordomo::gateway {

class ConnectionRequest;   // client_connection.hpp
class ConnectionResponse;

// What a SIGHUP reload replaces as one: keys and routes (providers, cascades, catalog).
struct Generation {
  Generation(const GatewayConfig& config, RouteWrapper wrap) : keys(config), routes(config, std::move(wrap)) {}
  KeyTable keys;
  ModelRoutes routes;
};

// The call log: every route's LLM wrapped in a LoggingLLM, all writing through one queue to the configured target.
class CallLog {
 public:
  explicit CallLog(const GatewayConfig& config);
  [[nodiscard]] bool enabled() const noexcept { return enabled_; }
  [[nodiscard]] std::shared_ptr<LLM> wrap(std::shared_ptr<LLM> llm);
  void flush();
  // Exposition text of the log's counters (written, dropped, failed).
  [[nodiscard]] std::string metrics() const;
  // Empty when the log takes rows (none failed, or rows were written since the latest failure);
  // else the sink's last error.
  [[nodiscard]] std::string problem() const;

 private:
  bool enabled_ = false;
  LoggingOptions options_;
  mutable std::mutex mutex_;
  // The first route's logger opens the log; every other route's shares its queue, writer thread
  // and database connection (LoggingLLM's same_log_as constructor).
  std::shared_ptr<LoggingLLM> first_;
  // What problem() last saw of the log's failures (see there).
  mutable uint64_t failed_seen_ = 0;
  mutable std::string error_seen_;
  mutable uint64_t written_at_failure_ = 0;
};

// One line per request, to stderr or a file; never a secret (no header values, no query).
class AccessLog {
 public:
  explicit AccessLog(const std::string& target);
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;
  void write(std::string_view line);
  // False for "off": callers skip formatting a line nobody reads.
  [[nodiscard]] bool enabled() const noexcept { return file_ != nullptr; }

 private:
  std::mutex mutex_;
  std::FILE* file_ = nullptr;
  bool owned_ = false;
};

struct GatewayState {
  explicit GatewayState(const GatewayConfig& config);

  [[nodiscard]] std::shared_ptr<const Generation> generation() const;
  void replace_generation(std::shared_ptr<const Generation> next);

  // Counted in and out by every request; shutdown waits on `idle`.
  void request_began();
  void request_ended();
  // Waits until no request is in flight or `grace` passed; true when none is left.
  bool wait_idle(std::chrono::seconds grace);

  const GatewayConfig limits;  // the start-up configuration: listen and limits are not reloaded
  GatewayMetrics metrics;
  CallLog call_log;
  AccessLog access_log;
  // LocalKeyLimits, or SharedKeyLimits with "shared_limits" (after access_log: it reports there).
  std::unique_ptr<KeyLimits> key_limits;
  DisconnectWatch disconnects;
  std::atomic<bool> draining{false};
  std::atomic<uint64_t> next_answer{1};

 private:
  mutable std::mutex generation_mutex_;
  std::shared_ptr<const Generation> generation_;
  std::mutex idle_mutex_;
  std::condition_variable idle_;
  int64_t in_flight_ = 0;
};

enum class ClientShape { openai, anthropic };

// POST /v1/chat/completions and POST /v1/messages: authenticate, decode, route, call, answer
// (JSON or relayed events). Every failure is answered in the client's shape.
void serve_llm_call(GatewayState& state, ClientShape shape, ConnectionRequest& request, ConnectionResponse& response);

// The gateway key a request carries (Authorization: Bearer, X-Majordomo-Key, x-api-key), or
// nullptr with the reason when none is valid.
const GatewayKey* authenticate(const GatewayState& state, const Generation& generation,
                               const ConnectionRequest& request, std::string& problem);

// The error object of `shape` (OpenAI's or Anthropic's).
[[nodiscard]] std::string error_json_for(ClientShape shape, const ClientError& error);

// Sends a complete body with its status and content type.
void send_body(ConnectionResponse& response, int status, std::string_view content_type,
               std::string_view body);

}  // namespace majordomo::gateway
