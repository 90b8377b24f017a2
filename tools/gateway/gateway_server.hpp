// GatewayServer: `majordomo serve`'s HTTP service — listening, reloading on SIGHUP, draining on SIGTERM.
#pragma once

#include "gateway_config.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

namespace majordomo::gateway {

struct GatewayState;  // what the connection threads share (gateway_state.hpp)

// One gateway process. Obligations:
//  - start() loads plugins and catalog, opens the call log and listens; every configuration
//    problem is a ConfigurationError before the port opens;
//  - reload() re-reads the configuration file for keys, providers, cascades and catalog; requests
//    in flight finish on what they started with; a bad file keeps the running configuration
//    (the error is returned, not thrown);
//  - shutdown() stops accepting, lets requests and streams in flight finish for up to
//    limits.shutdown_grace_s, closes the rest, and flushes the call log. Idempotent.
class GatewayServer {
 public:
  // `reread` gives the configuration reload() applies (the file read again, with the command
  // line's overrides); empty: reload() rebuilds from `config`.
  GatewayServer(GatewayConfig config, std::function<GatewayConfig()> reread);
  ~GatewayServer();
  GatewayServer(const GatewayServer&) = delete;
  GatewayServer& operator=(const GatewayServer&) = delete;

  void start();
  [[nodiscard]] uint16_t port() const noexcept { return port_; }
  [[nodiscard]] std::string origin() const;  // "http://127.0.0.1:8080"
  // Empty when the new configuration is in use; else why it was refused (nothing changed).
  [[nodiscard]] std::string reload();
  void shutdown();

 private:
  struct Listener;
  GatewayConfig config_;
  std::function<GatewayConfig()> reread_;
  std::shared_ptr<GatewayState> state_;
  std::unique_ptr<Listener> listener_;
  uint16_t port_ = 0;
};

}  // namespace majordomo::gateway
