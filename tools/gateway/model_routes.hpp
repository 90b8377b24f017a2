// Model routes: which LLM a client's `model` names ("provider/model", a cascade, a catalog alias), created once and shared.
#pragma once

#include "gateway_config.hpp"

#include <majordomo/majordomo.hpp>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace majordomo::gateway {

// What a client's model name leads to.
struct Route {
  std::shared_ptr<LLM> llm;  // wrapped in the call log when the gateway logs
  std::string provider;      // for metrics: the provider id, or "cascade"
  std::string model;         // the model id, or the cascade's name
};

// One model the gateway can route, for GET /v1/models.
struct RoutableModel {
  std::string id;       // "openai/gpt-4o-mini", "fast" (a cascade), "cheap" (a catalog alias)
  std::string owned_by; // the provider id, or "majordomo" for cascades and aliases
};

// Wraps a route's LLM (the call log); identity when the gateway does not log.
using RouteWrapper = std::function<std::shared_ptr<LLM>(std::shared_ptr<LLM>)>;

// Built from one configuration; immutable but for its cache of provider-bound LLMs, which is
// bounded (a client naming ever new models cannot grow it past kMaxCachedModels; past that each
// request gets an LLM of its own). Thread-safe.
class ModelRoutes {
 public:
  static constexpr std::size_t kMaxCachedModels = 512;

  // Loads the plugins and catalog the configuration names. Throws ConfigurationError when a
  // configured provider has no plugin, or a cascade names an unconfigured provider.
  ModelRoutes(const GatewayConfig& config, RouteWrapper wrap);

  // The route for `model`, or nullopt when it names nothing the gateway serves (404).
  // `provider_key`, when set, is a key the client sent for the provider: used only where the
  // configuration allows pass-through (else ClientRefusal 403 from the caller's check).
  [[nodiscard]] std::optional<Route> find(std::string_view model, const std::optional<std::string>& provider_key) const;
  // Whether the provider of "provider/model" lets clients send their own key.
  [[nodiscard]] bool allows_key_pass_through(std::string_view model) const;

  [[nodiscard]] std::vector<RoutableModel> models() const;
  [[nodiscard]] const Host& host() const noexcept { return host_; }
  // The provider ids configured, in order.
  [[nodiscard]] std::vector<std::string> providers() const;

 private:
  std::shared_ptr<LLM> provider_llm(const std::string& provider, const std::string& model) const;
  std::shared_ptr<LLM> cascade_llm(const std::string& name, const std::vector<CascadeMember>& members) const;

  Host host_;
  std::map<std::string, ProviderSettings> providers_;
  std::map<std::string, std::vector<CascadeMember>> cascades_;
  RouteWrapper wrap_;

  // The caches: filling them does not change what a name routes to.
  mutable std::mutex mutex_;
  mutable std::map<std::string, std::shared_ptr<LLM>, std::less<>> bare_;  // "provider/model" → provider-bound LLM
  mutable std::map<std::string, Route, std::less<>> routes_;              // client's name → wrapped route
};

}  // namespace majordomo::gateway
