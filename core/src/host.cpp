// Host: owns the discovered plugins and creates provider-bound LLM instances from them.
#include <majordomo/host.hpp>

#include "plugin_library.hpp"
#include "provider_llm.hpp"

#include <fmt/format.h>

namespace majordomo {

std::string_view to_string(SkipReason reason) noexcept {
  switch (reason) {
    case SkipReason::not_a_plugin: return "not a plugin";
    case SkipReason::abi_out_of_range: return "ABI out of range";
    case SkipReason::duplicate_provider: return "duplicate provider id";
    case SkipReason::failed_to_load: return "failed to load";
    case SkipReason::invalid_metadata: return "invalid metadata";
  }
  return "failed to load";
}

const ModelInfo* PluginInfo::find_model(std::string_view id) const noexcept {
  for (const auto& model : models) {
    if (model.id == id) return &model;
  }
  return nullptr;
}

struct Host::Impl {
  DiscoveryResult discovery;
  std::vector<PluginInfo> infos;
};

Host::Host(HostOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->discovery = discover_plugins(options);
  for (const auto& plugin : impl_->discovery.plugins) impl_->infos.push_back(plugin->info);
}

Host::~Host() = default;

const std::vector<PluginInfo>& Host::plugins() const noexcept { return impl_->infos; }
const std::vector<SkippedPlugin>& Host::skipped() const noexcept { return impl_->discovery.skipped; }
const std::vector<std::filesystem::path>& Host::search_path() const noexcept {
  return impl_->discovery.search_path;
}

const PluginInfo* Host::find_plugin(std::string_view provider_id) const noexcept {
  for (const auto& info : impl_->infos) {
    if (info.provider_id == provider_id) return &info;
  }
  return nullptr;
}

std::shared_ptr<LLM> Host::get_llm_instance(std::string_view provider, std::string_view model,
                                            ClientOptions options) const {
  for (const auto& plugin : impl_->discovery.plugins) {
    if (plugin->info.provider_id == provider) {
      return std::make_shared<ProviderLLM>(plugin, std::string(model), std::move(options));
    }
  }
  std::string loaded;
  for (const auto& info : impl_->infos) loaded += (loaded.empty() ? "" : ", ") + info.provider_id;
  throw_configuration_error(
      fmt::format("unknown provider '{}'; loaded providers: {} (run `majordomo plugins` to see "
                  "where plugins are looked for and which files were skipped)",
                  provider, loaded.empty() ? "none" : loaded),
      std::string(provider));
}

}  // namespace majordomo
