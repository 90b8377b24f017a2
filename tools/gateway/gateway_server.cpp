// GatewayServer: the gateway's endpoints over its own connection threads, its shared state, reloads and graceful shutdown.
#include "gateway_server.hpp"

#include "gateway_state.hpp"
#include "key_table.hpp"
#include "shared_key_limits.hpp"

#include <majordomo/sdk/json_writer.hpp>

#include "client_connection.hpp"
#include "connection_threads.hpp"

#include <fmt/format.h>

#include <csignal>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace majordomo::gateway {
namespace {

std::string utc_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

std::string_view path_of(std::string_view target) {
  return target.substr(0, target.find('?'));
}

// GET /v1/models in a form both SDKs read: OpenAI's list ({object, data[{id, object, created,
// owned_by}]}) with the fields Anthropic's adds ({type, display_name, created_at}, has_more,
// first_id, last_id).
std::string models_json(const std::vector<RoutableModel>& models) {
  std::string out;
  sdk::JsonWriter json(out);
  json.begin_object().key("object").string("list").key("data").begin_array();
  for (const RoutableModel& model : models) {
    json.begin_object();
    json.key("id").string(model.id).key("object").string("model").key("type").string("model");
    json.key("created").number(int64_t{0}).key("created_at").string("1970-01-01T00:00:00Z");
    json.key("owned_by").string(model.owned_by).key("display_name").string(model.id);
    json.end_object();
  }
  json.end_array();
  json.key("has_more").boolean(false);
  json.key("first_id").string_or_null(models.empty() ? std::string_view() : std::string_view(models.front().id));
  json.key("last_id").string_or_null(models.empty() ? std::string_view() : std::string_view(models.back().id));
  json.end_object();
  return out;
}

void serve_models(GatewayState& state, ConnectionRequest& request, ConnectionResponse& response) {
  const std::shared_ptr<const Generation> generation = state.generation();
  const bool anthropic = request.has("anthropic-version");
  const ClientShape shape = anthropic ? ClientShape::anthropic : ClientShape::openai;
  if (!generation->keys.anonymous()) {
    std::string problem;
    const GatewayKey* key = authenticate(state, *generation, request, problem);
    if (key == nullptr) {
      ClientError error;
      error.status = 401;
      error.message = problem;
      state.metrics.record_refusal("models", 401, "key");
      send_body(response, 401, "application/json", error_json_for(shape, error));
      return;
    }
    std::vector<RoutableModel> allowed;
    for (RoutableModel& model : generation->routes.models()) {
      if (KeyTable::allows(*key, model.id)) allowed.push_back(std::move(model));
    }
    send_body(response, 200, "application/json", models_json(allowed));
    return;
  }
  send_body(response, 200, "application/json", models_json(generation->routes.models()));
}

void dispatch(GatewayState& state, ConnectionRequest& request, ConnectionResponse& response) {
  if (state.draining.load()) response.set_keep_alive(false);
  const std::string_view path = path_of(request.target());
  const std::string_view method = request.method();
  if (method == "POST" && path == "/v1/chat/completions") return serve_llm_call(state, ClientShape::openai, request, response);
  if (method == "POST" && path == "/v1/messages") return serve_llm_call(state, ClientShape::anthropic, request, response);
  if (method == "GET" && path == "/v1/models") return serve_models(state, request, response);
  const bool read = method == "GET" || method == "HEAD";  // load balancers probe with either
  if (read && path == "/healthz") return send_body(response, 200, "text/plain", "ok\n");
  if (read && path == "/readyz") {
    std::string problem = state.draining.load() ? "shutting down" : state.call_log.problem();
    if (problem.empty()) problem = state.key_limits->problem();
    if (problem.empty()) return send_body(response, 200, "text/plain", "ready\n");
    return send_body(response, 503, "text/plain", fmt::format("not ready: {}\n", problem));
  }
  if (method == "GET" && path == "/metrics") {
    return send_body(response, 200, "text/plain; version=0.0.4; charset=utf-8",
                     state.metrics.exposition(state.call_log.metrics() + process_metrics()));
  }
  const ClientShape shape = path.starts_with("/v1/messages") ? ClientShape::anthropic : ClientShape::openai;
  const bool post_path = path == "/v1/chat/completions" || path == "/v1/messages";
  const bool get_path = path == "/v1/models" || path == "/healthz" || path == "/readyz" || path == "/metrics";
  if (post_path || get_path) {
    ClientError wrong;
    wrong.status = 405;
    wrong.message = fmt::format("{} takes {} only", path, post_path ? "POST" : "GET");
    response.set("Allow", post_path ? "POST" : "GET");
    response.set_keep_alive(false);  // its body, if any, is not read
    state.metrics.record_refusal("other", 405, "method");
    return send_body(response, 405, "application/json", error_json_for(shape, wrong));
  }
  ClientError error;
  error.status = 404;
  error.message = fmt::format("no endpoint {} {} here (POST /v1/chat/completions, POST /v1/messages, GET "
                              "/v1/models, /healthz, /readyz, /metrics)",
                              method == "GET" || method == "POST" ? method : "this method", path.size() > 200 ? "…" : path);
  state.metrics.record_refusal("other", 404, "no_endpoint");
  response.set_keep_alive(false);  // its body, if any, is not read
  send_body(response, 404, "application/json", error_json_for(shape, error));
}

void answer_request(GatewayState& state, ConnectionRequest& request, ConnectionResponse& response) {
  state.request_began();
  try {
    dispatch(state, request, response);
  } catch (const std::exception&) {
    // A bug, or memory: the connection cannot be trusted further.
    response.set_keep_alive(false);
    if (!response.sent()) {
      try {
        send_body(response, 500, "application/json", R"({"error":{"message":"gateway failure","type":"server_error"}})");
      } catch (...) {
      }
    }
  }
  state.request_ended();
}

// A head refused before an endpoint saw it: counted, and one access log line.
void head_refused(GatewayState& state, const ClientConnection& connection, int status, std::string_view problem) {
  state.metrics.record_refusal("other", status, "bad_head");
  if (state.access_log.enabled()) {
    state.access_log.write(fmt::format("{} - {} refused=bad_head ({})", connection.peer_host(), status, problem));
  }
}

RouteWrapper wrapper_for(GatewayState& state) {
  return [&state](std::shared_ptr<LLM> llm) { return state.call_log.wrap(std::move(llm)); };
}

std::unique_ptr<KeyLimits> key_limits_for(const GatewayConfig& config, AccessLog& access_log) {
  if (config.shared_limits.empty()) return std::make_unique<LocalKeyLimits>();
  return std::make_unique<SharedKeyLimits>(
      config.shared_limits, config.shared_limits_refuse ? SharedLimitsFailure::refuse : SharedLimitsFailure::local,
      [&access_log](std::string_view line) {
        access_log.write(line);
        // Also where the operator reads start and reload messages, when the access log is elsewhere.
        std::fprintf(stderr, "serve: %.*s\n", static_cast<int>(line.size()), line.data());
      });
}

// The file's keys plus the key table's; a refused row is reported on stderr and left out.
// A ConfigurationError when the table cannot be read (start fails; a reload is refused).
GatewayConfig with_key_table(GatewayConfig config) {
  std::vector<std::string> refused;
  try {
    add_key_table_keys(config, refused);
  } catch (const DatabaseUnavailable& error) {
    throw_configuration_error(fmt::format("key_table: cannot read the keys from {}", error.what()));
  }
  for (const std::string& message : refused) std::fprintf(stderr, "serve: key row refused: %s\n", message.c_str());
  return config;
}

}  // namespace

// ---- CallLog, AccessLog, GatewayState ----

CallLog::CallLog(const GatewayConfig& config) : enabled_(!config.log.empty()) {
  options_.target = config.log;
  options_.bodies_dir = config.log_bodies_dir;
  // A gateway must not stall its clients on a slow database: a full queue drops rows, counted.
  options_.overflow = LogOverflow::drop_newest;
  // Opened once now so that a bad target stops the start, with the sink's own message.
  if (enabled_) (void)open_log_sink(options_.target);
}

std::shared_ptr<LLM> CallLog::wrap(std::shared_ptr<LLM> llm) {
  if (!enabled_) return llm;
  const std::lock_guard lock(mutex_);
  if (!first_) {
    first_ = std::make_shared<LoggingLLM>(std::move(llm), options_);
    return first_;
  }
  return std::make_shared<LoggingLLM>(std::move(llm), *first_);
}

void CallLog::flush() {
  const std::lock_guard lock(mutex_);
  if (first_) first_->flush();
}

std::string CallLog::metrics() const {
  if (!enabled_) return {};
  LoggingStats stats;
  {
    const std::lock_guard lock(mutex_);
    if (first_) stats = first_->stats();
  }
  return fmt::format(
      "# HELP majordomo_gateway_log_rows_total Call log rows, by what became of them.\n"
      "# TYPE majordomo_gateway_log_rows_total counter\n"
      "majordomo_gateway_log_rows_total{{outcome=\"written\"}} {}\n"
      "majordomo_gateway_log_rows_total{{outcome=\"dropped\"}} {}\n"
      "majordomo_gateway_log_rows_total{{outcome=\"failed\"}} {}\n",
      stats.written, stats.dropped, stats.failed);
}

std::string CallLog::problem() const {
  if (!enabled_) return {};
  const std::lock_guard lock(mutex_);
  if (!first_) return {};
  const LoggingStats stats = first_->stats();
  if (stats.last_error.empty()) return {};
  // last_error is kept after the database recovers: the log is taking rows again once rows were
  // written after the latest failure, so a passing outage does not leave the gateway unready.
  if (stats.failed != failed_seen_ || stats.last_error != error_seen_) {
    failed_seen_ = stats.failed;
    error_seen_ = stats.last_error;
    written_at_failure_ = stats.written;
  }
  if (stats.written > written_at_failure_) return {};
  return fmt::format("the call log: {}", stats.last_error);
}

AccessLog::AccessLog(const std::string& target) {
  if (target == "off") return;
  if (target == "stderr" || target.empty()) {
    file_ = stderr;
    return;
  }
  file_ = std::fopen(target.c_str(), "a");
  if (file_ == nullptr) throw_configuration_error(fmt::format("access_log: cannot append to {}", target));
  owned_ = true;
}

AccessLog::~AccessLog() {
  if (owned_) std::fclose(file_);
}

void AccessLog::write(std::string_view line) {
  if (file_ == nullptr) return;
  const std::string text = fmt::format("{} {}\n", utc_now(), line);
  const std::lock_guard lock(mutex_);
  std::fwrite(text.data(), 1, text.size(), file_);
  std::fflush(file_);
}

GatewayState::GatewayState(const GatewayConfig& config)
    : limits(config), call_log(config), access_log(config.access_log), key_limits(key_limits_for(config, access_log)) {}

std::shared_ptr<const Generation> GatewayState::generation() const {
  const std::lock_guard lock(generation_mutex_);
  return generation_;
}

void GatewayState::replace_generation(std::shared_ptr<const Generation> next) {
  const std::lock_guard lock(generation_mutex_);
  generation_ = std::move(next);
}

void GatewayState::request_began() {
  metrics.request_began();
  const std::lock_guard lock(idle_mutex_);
  ++in_flight_;
}

void GatewayState::request_ended() {
  metrics.request_ended();
  const std::lock_guard lock(idle_mutex_);
  if (--in_flight_ == 0) idle_.notify_all();
}

bool GatewayState::wait_idle(std::chrono::seconds grace) {
  std::unique_lock lock(idle_mutex_);
  return idle_.wait_for(lock, grace, [&] { return in_flight_ == 0; });
}

// ---- GatewayServer ----

struct GatewayServer::Listener {
  std::unique_ptr<ConnectionThreads> threads;
};

GatewayServer::GatewayServer(GatewayConfig config, std::function<GatewayConfig()> reread)
    : config_(std::move(config)), reread_(std::move(reread)) {}

GatewayServer::~GatewayServer() {
  try {
    shutdown();
  } catch (...) {
  }
}

void GatewayServer::start() {
  // A client that hangs up mid-answer makes the next write raise SIGPIPE, whose default action
  // would end the gateway: the write fails with EPIPE instead, and the call is ended.
  std::signal(SIGPIPE, SIG_IGN);
  state_ = std::make_shared<GatewayState>(config_);
  state_->replace_generation(std::make_shared<const Generation>(with_key_table(config_), wrapper_for(*state_)));
  const ListenAddress address = parse_listen_address(config_.listen, "listen");
  int listen_fd = -1;
  try {
    listen_fd = listen_on(address.host, address.port, 1024);
  } catch (const std::exception& error) {
    throw_configuration_error(fmt::format("listen: cannot listen on {}: {}", config_.listen, error.what()));
  }
  port_ = bound_port(listen_fd);
  ThreadLimits threads;
  threads.max_threads = config_.max_connections;
  threads.max_queued = config_.max_queued;
  threads.idle_thread = config_.idle_thread_timeout;
  ConnectionLimits limits;
  limits.keep_alive = config_.keep_alive_timeout;
  limits.client = config_.client_timeout;
  auto listener = std::make_unique<Listener>();
  GatewayState* state = state_.get();  // outlives the threads: shutdown() waits for them
  listener->threads = std::make_unique<ConnectionThreads>(
      listen_fd, threads, [state, limits](int fd, const Poco::Net::SocketAddress& peer) {
        try {
          ClientConnection connection(fd, peer, limits);
          // Watched for a hang-up while it lives (once, not per call): a call in progress is cancelled.
          const DisconnectWatch::Registration watched =
              state->disconnects.watch(fd, [&connection] { connection.hung_up(); });
          serve_connection(
              connection, [state](ConnectionRequest& request, ConnectionResponse& response) {
                answer_request(*state, request, response);
              },
              [state](const ClientConnection& refused, int status, std::string_view problem) {
                head_refused(*state, refused, status, problem);
              },
              state->draining);
        } catch (...) {  // memory: this connection ends, the gateway goes on
        }
        KeyTable::forget_thread_key();  // its client's key leaves with the connection
      });
  listener_ = std::move(listener);
}

std::string GatewayServer::origin() const {
  const ListenAddress address = parse_listen_address(config_.listen, "listen");
  const bool ipv6 = address.host.find(':') != std::string::npos;
  const std::string host = address.host == "0.0.0.0" ? "127.0.0.1" : address.host;
  return fmt::format("http://{}{}{}:{}", ipv6 ? "[" : "", host, ipv6 ? "]" : "", port_);
}

std::string GatewayServer::reload() {
  if (!state_) return "the gateway is not running";
  try {
    const GatewayConfig next = with_key_table(reread_ ? reread_() : config_);
    state_->replace_generation(std::make_shared<const Generation>(next, wrapper_for(*state_)));
    state_->access_log.write("reload: configuration reloaded (keys, providers, cascades, catalog)");
    return {};
  } catch (const std::exception& error) {
    state_->access_log.write(fmt::format("reload: refused, the running configuration stays: {}", error.what()));
    return error.what();
  }
}

void GatewayServer::shutdown() {
  if (!listener_) return;
  state_->draining.store(true);
  // Refused at once from now on, so a load balancer moves on; idle keep-alive connections end
  // at their next request (answered with Connection: close) or with end_connections below.
  listener_->threads->stop_accepting();
  const bool drained = state_->wait_idle(config_.shutdown_grace);
  state_->access_log.write(drained ? "shutdown: every request finished"
                                   : "shutdown: grace period over, closing the requests still in flight");
  listener_->threads->end_connections();
  listener_->threads->wait();
  listener_.reset();
  state_->call_log.flush();
}

}  // namespace majordomo::gateway
