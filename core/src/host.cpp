// Host: owns the discovered plugins and creates provider-bound LLM instances from them.
#include <majordomo/host.hpp>

#include "catalog.hpp"
#include "plugin_library.hpp"
#include "provider_llm.hpp"

#include <majordomo/version.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdlib>

namespace majordomo {

std::string_view version() noexcept { return MAJORDOMO_VERSION_STRING; }

PluginAbiRange plugin_abi_range() noexcept { return {kHostAbiMin, kHostAbiMax}; }

std::string_view to_string(SkipReason reason) noexcept {
  switch (reason) {
    case SkipReason::not_a_plugin: return "not a plugin";
    case SkipReason::abi_out_of_range: return "ABI out of range";
    case SkipReason::duplicate_provider: return "duplicate provider id";
    case SkipReason::failed_to_load: return "failed to load";
    case SkipReason::invalid_metadata: return "invalid metadata";
    case SkipReason::plugin_fault: return "plugin fault";
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
  std::vector<PluginInfo> infos;  // with the user catalog merged into each plugin's models
  std::vector<std::shared_ptr<const std::vector<ModelInfo>>> catalogs;  // the same models, for pricing
  catalog::UserCatalog user;

  std::size_t index_of(std::string_view provider) const {
    for (std::size_t i = 0; i < infos.size(); ++i) {
      if (infos[i].provider_id == provider) return i;
    }
    std::string loaded;
    for (const auto& info : infos) loaded += (loaded.empty() ? "" : ", ") + info.provider_id;
    throw_configuration_error(
        fmt::format("unknown provider '{}'; loaded providers: {} (run `majordomo plugins` to see "
                    "where plugins are looked for and which files were skipped)",
                    provider, loaded.empty() ? "none" : loaded),
        std::string(provider));
  }

  const catalog::Deprecation* deprecation(std::string_view provider, std::string_view model) const {
    const auto table = user.deprecated.find(std::string(provider));
    if (table == user.deprecated.end()) return nullptr;
    const auto found = table->second.find(std::string(model));
    return found == table->second.end() ? nullptr : &found->second;
  }

  std::shared_ptr<ProviderLLM> make_llm(std::string_view provider, std::string_view model,
                                        ClientOptions options) const {
    const std::size_t index = index_of(provider);
    std::string chosen(model);
    std::string warning;
    if (const auto* deprecated = deprecation(provider, model)) {
      chosen = deprecated->replacement;
      warning = fmt::format("model '{}' of {} is deprecated; '{}' is used instead (catalog file {})", model,
                            provider, chosen, deprecated->file.string());
    }
    auto llm = std::make_shared<ProviderLLM>(discovery.plugins[index], std::move(chosen), std::move(options),
                                             catalogs[index]);
    if (!warning.empty()) llm->add_warning(std::move(warning));
    return llm;
  }
};

Host::Host(HostOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->discovery = discover_plugins(options);
  for (const auto& plugin : impl_->discovery.plugins) impl_->infos.push_back(plugin->info);
  std::vector<std::filesystem::path> catalog_files;
  if (options.use_env_catalog) {
    if (const char* env = std::getenv("MAJORDOMO_CATALOG"); env != nullptr && *env != '\0') {
      catalog_files.emplace_back(env);
    }
  }
  catalog_files.insert(catalog_files.end(), options.catalog_files.begin(), options.catalog_files.end());
  for (const auto& file : catalog_files) catalog::load_file(file, impl_->infos, impl_->user);
  for (auto& info : impl_->infos) {
    info.models = catalog::merged_models(info, impl_->user);
    impl_->catalogs.push_back(std::make_shared<const std::vector<ModelInfo>>(info.models));
  }
}

Host::~Host() = default;
Host::Host(Host&& other) noexcept = default;
Host& Host::operator=(Host&& other) noexcept = default;

const Host::Impl& Host::state() const noexcept {
  static const Impl empty{};  // what a moved-from Host shows: nothing loaded
  return impl_ ? *impl_ : empty;
}

const Host::Impl& Host::loaded(std::string_view operation) const {
  if (!impl_) {
    throw_configuration_error(fmt::format("{} on a moved-from Host: it holds no plugins any more; use the "
                                          "Host it was moved to, or assign a new Host to it",
                                          operation));
  }
  return *impl_;
}

const std::vector<PluginInfo>& Host::plugins() const noexcept { return state().infos; }
const std::vector<SkippedPlugin>& Host::skipped() const noexcept { return state().discovery.skipped; }
const std::vector<std::filesystem::path>& Host::search_path() const noexcept {
  return state().discovery.search_path;
}

const PluginInfo* Host::find_plugin(std::string_view provider_id) const noexcept {
  for (const auto& info : state().infos) {
    if (info.provider_id == provider_id) return &info;
  }
  return nullptr;
}

std::shared_ptr<LLM> Host::get_llm_instance(std::string_view provider, std::string_view model,
                                            ClientOptions options) const {
  return loaded("get_llm_instance").make_llm(provider, model, std::move(options));
}

std::shared_ptr<CascadeLLM> Host::get_cascade(std::vector<CascadeMember> members, ClientOptions shared) const {
  const Impl& impl = loaded("get_cascade");
  if (members.empty()) throw_configuration_error("a cascade needs at least one member");
  // One provider's key must not reach another provider's own endpoint: a shared key is refused
  // when members of different providers would send it without a base URL (i.e. not through a
  // gateway that takes one key for all).
  if (shared.api_key && !shared.base_url) {
    std::vector<std::string> direct;
    for (const auto& member : members) {
      if (member.api_key || member.base_url) continue;
      if (std::find(direct.begin(), direct.end(), member.provider) == direct.end()) direct.push_back(member.provider);
    }
    if (direct.size() > 1) {
      std::vector<std::string> env_vars;
      for (const auto& provider : direct) {
        if (const PluginInfo* info = find_plugin(provider); info != nullptr && !info->api_key_env.empty()) {
          env_vars.push_back(info->api_key_env);
        }
      }
      throw_configuration_error(fmt::format(
          "the cascade's shared api_key would be sent to the endpoints of {} different providers ({}); "
          "give each member its own key (CascadeMember::api_key, or leave the shared key out so that each "
          "member reads its provider's env var: {}), or route the members through a gateway with base_url",
          direct.size(), fmt::join(direct, ", "), fmt::join(env_vars, ", ")));
    }
  }
  std::vector<std::shared_ptr<LLM>> llms;
  for (std::size_t i = 0; i < members.size(); ++i) {
    CascadeMember& member = members[i];
    ClientOptions options = shared;
    if (member.api_key) options.api_key = member.api_key;
    if (member.base_url) options.base_url = member.base_url;
    options.default_headers.merge(member.default_headers);
    for (auto& [key, value] : member.provider_options) options.provider_options[key] = value;
    if (member.timeouts) options.timeouts = *member.timeouts;
    if (member.retry) options.retry = *member.retry;
    try {
      llms.push_back(impl.make_llm(member.provider, member.model, std::move(options)));
    } catch (const Error& error) {
      ErrorDetails details = error.details();
      details.message = fmt::format("cascade member {} ({}:{}): {}", i + 1, member.provider, member.model,
                                    details.message);
      throw_error(std::move(details));
    }
  }
  return std::make_shared<CascadeLLM>(std::move(llms));
}

std::vector<CascadeMember> Host::alias_members(std::string_view alias) const {
  const Impl& impl = loaded("alias_members");
  const auto found = impl.user.aliases.find(std::string(alias));
  if (found == impl.user.aliases.end()) {
    std::string known;
    for (const auto& [name, entry] : impl.user.aliases) known += (known.empty() ? "" : ", ") + name;
    throw_configuration_error(fmt::format("unknown alias '{}'; known aliases: {} (aliases come from catalog "
                                          "files: HostOptions::catalog_files, $MAJORDOMO_CATALOG, --catalog)",
                                          alias, known.empty() ? "none" : known));
  }
  return found->second.members;
}

std::shared_ptr<LLM> Host::get_alias(std::string_view alias, ClientOptions options) const {
  const Impl& impl = loaded("get_alias");
  const std::vector<CascadeMember> members = alias_members(alias);
  if (members.size() == 1) {
    auto llm = impl.make_llm(members.front().provider, members.front().model, std::move(options));
    llm->set_alias(std::string(alias));
    return llm;
  }
  auto cascade = get_cascade(members, std::move(options));
  return std::make_shared<CascadeLLM>(cascade->members(), std::string(alias));
}

std::vector<std::string> Host::aliases() const {
  std::vector<std::string> names;
  for (const auto& [name, entry] : state().user.aliases) names.push_back(name);
  return names;
}

std::vector<std::string> Host::supported_providers() const {
  std::vector<std::string> ids;
  for (const auto& info : state().infos) ids.push_back(info.provider_id);
  return ids;
}

std::vector<std::string> Host::supported_models(std::string_view provider) const {
  const Impl& impl = loaded("supported_models");
  const PluginInfo& info = impl.infos[impl.index_of(provider)];
  std::vector<std::string> ids;
  for (const auto& model : info.models) {
    if (impl.deprecation(provider, model.id) == nullptr) ids.push_back(model.id);
  }
  return ids;
}

std::optional<ModelInfo> Host::model_pricing(std::string_view provider, std::string_view model) const {
  const Impl& impl = loaded("model_pricing");
  const PluginInfo& info = impl.infos[impl.index_of(provider)];
  if (const auto* deprecated = impl.deprecation(provider, model)) model = deprecated->replacement;
  if (const ModelInfo* found = info.find_model(model)) return *found;
  return std::nullopt;
}

}  // namespace majordomo
