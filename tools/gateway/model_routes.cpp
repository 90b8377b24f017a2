// Model routes: client model names resolved to provider-bound LLMs and cascades, each created once.
#include "model_routes.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace majordomo::gateway {
namespace {

HostOptions host_options(const GatewayConfig& config) {
  HostOptions options;
  options.plugin_dirs = config.plugin_dirs;
  options.catalog_files = config.catalog_files;
  return options;
}

// A model id a client may name: printable, bounded (it becomes part of a URL or body upstream,
// and a metrics label).
bool usable_model_id(std::string_view model) {
  if (model.empty() || model.size() > 256) return false;
  return std::none_of(model.begin(), model.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
}

}  // namespace

ModelRoutes::ModelRoutes(const GatewayConfig& config, RouteWrapper wrap)
    : host_(host_options(config)), providers_(config.providers), cascades_(config.cascades), wrap_(std::move(wrap)) {
  for (const auto& [id, settings] : providers_) {
    if (host_.find_plugin(id) == nullptr) {
      std::string loaded;
      for (const auto& provider : host_.supported_providers()) loaded += fmt::format("{}{}", loaded.empty() ? "" : ", ", provider);
      throw_configuration_error(fmt::format("providers.{}: no plugin provides '{}' (loaded: {}); check the name, or "
                                            "add the plugin's directory to plugin_dirs",
                                            id, id, loaded.empty() ? "none" : loaded));
    }
  }
  for (const auto& [name, members] : cascades_) {
    for (std::size_t i = 0; i < members.size(); ++i) {
      if (!providers_.contains(members[i].provider)) {
        throw_configuration_error(fmt::format("cascades.{}[{}]: provider '{}' is not configured under providers",
                                              name, i, members[i].provider));
      }
    }
  }
}

std::shared_ptr<LLM> ModelRoutes::provider_llm(const std::string& provider, const std::string& model) const {
  const std::string name = provider + "/" + model;
  {
    const std::lock_guard lock(mutex_);
    if (const auto found = bare_.find(name); found != bare_.end()) return found->second;
  }
  // Created outside the lock: a plugin instance may take a moment, and two threads racing for
  // the same model only waste one.
  std::shared_ptr<LLM> llm = host_.get_llm_instance(provider, model, providers_.at(provider).options);
  const std::lock_guard lock(mutex_);
  if (bare_.size() >= kMaxCachedModels) return llm;
  return bare_.try_emplace(name, std::move(llm)).first->second;
}

std::shared_ptr<LLM> ModelRoutes::cascade_llm(const std::string& name, const std::vector<CascadeMember>& members) const {
  std::vector<std::shared_ptr<LLM>> llms;
  for (const CascadeMember& member : members) llms.push_back(provider_llm(member.provider, member.model));
  if (llms.size() == 1) return llms.front();
  return std::make_shared<CascadeLLM>(std::move(llms), name);
}

std::optional<Route> ModelRoutes::find(std::string_view model, const std::optional<std::string>& provider_key) const {
  if (!usable_model_id(model)) return std::nullopt;
  if (!provider_key) {
    const std::lock_guard lock(mutex_);
    if (const auto found = routes_.find(model); found != routes_.end()) return found->second;
  }
  Route route;
  const std::string name(model);
  const std::size_t slash = name.find('/');
  if (const auto cascade = cascades_.find(name); cascade != cascades_.end()) {
    route.llm = cascade_llm(name, cascade->second);
    route.provider = "cascade";
    route.model = name;
  } else if (slash != std::string::npos && providers_.contains(name.substr(0, slash)) && slash + 1 < name.size()) {
    route.provider = name.substr(0, slash);
    route.model = name.substr(slash + 1);
    if (provider_key) {
      // The client's own provider key: an LLM of its own, never cached (the key is the client's).
      ClientOptions options = providers_.at(route.provider).options;
      options.api_key = *provider_key;
      route.llm = wrap_(host_.get_llm_instance(route.provider, route.model, options));
      return route;
    }
    route.llm = provider_llm(route.provider, route.model);
  } else {
    const std::vector<std::string> aliases = host_.aliases();
    if (!std::binary_search(aliases.begin(), aliases.end(), name)) return std::nullopt;
    std::vector<CascadeMember> members = host_.alias_members(name);
    for (const CascadeMember& member : members) {
      if (!providers_.contains(member.provider)) return std::nullopt;  // an alias over an unconfigured provider
    }
    route.llm = cascade_llm(name, members);
    route.provider = members.size() == 1 ? members.front().provider : "cascade";
    route.model = members.size() == 1 ? members.front().model : name;
  }
  route.llm = wrap_(std::move(route.llm));
  const std::lock_guard lock(mutex_);
  if (routes_.size() >= kMaxCachedModels) return route;
  return routes_.try_emplace(name, std::move(route)).first->second;
}

bool ModelRoutes::allows_key_pass_through(std::string_view model) const {
  const std::size_t slash = model.find('/');
  if (slash == std::string_view::npos) return false;
  const auto found = providers_.find(std::string(model.substr(0, slash)));
  return found != providers_.end() && found->second.key_pass_through;
}

std::vector<RoutableModel> ModelRoutes::models() const {
  std::vector<RoutableModel> out;
  for (const auto& [provider, settings] : providers_) {
    for (const std::string& model : host_.supported_models(provider)) {
      out.push_back(RoutableModel{provider + "/" + model, provider});
    }
  }
  for (const auto& [name, members] : cascades_) out.push_back(RoutableModel{name, "majordomo"});
  for (const std::string& alias : host_.aliases()) {
    const std::vector<CascadeMember> members = host_.alias_members(alias);
    const bool served = std::all_of(members.begin(), members.end(), [&](const CascadeMember& member) {
      return providers_.contains(member.provider);
    });
    if (served && !cascades_.contains(alias)) out.push_back(RoutableModel{alias, "majordomo"});
  }
  return out;
}

std::vector<std::string> ModelRoutes::providers() const {
  std::vector<std::string> out;
  for (const auto& [provider, settings] : providers_) out.push_back(provider);
  return out;
}

}  // namespace majordomo::gateway
