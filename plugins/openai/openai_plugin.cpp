// OpenAI provider plugin: Chat Completions (the default) or the Responses API, per instance (api=responses).
#include <majordomo/plugin.h>
#include <majordomo/sdk/call.hpp>
#include <majordomo/sdk/chat_completions.hpp>
#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/http.hpp>
#include <majordomo/sdk/parser_pool.hpp>
#include <majordomo/sdk/plugin.hpp>
#include <majordomo/version.hpp>
#include <majordomo/sdk/provider_support.hpp>
#include <majordomo/sdk/responses_api.hpp>
#include <majordomo/sdk/str.hpp>

#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <string_view>
#include <utility>

namespace majordomo::openai {
namespace {

namespace sdk = majordomo::sdk;
using sdk::model_entry;

// How messages name the provider; the catalog id names it in configuration errors.
constexpr std::string_view kDisplayName = "OpenAI";

// ---------------------------------------------------------------------------------------------
// Catalog
// ---------------------------------------------------------------------------------------------

// Every listed model takes tools and images (the model pages' "Modalities" and "Features").
constexpr uint32_t kChatCapabilities =
    MJ_CAP_STREAMING | MJ_CAP_JSON_MODE | MJ_CAP_JSON_SCHEMA | MJ_CAP_TOOLS | MJ_CAP_IMAGES;
constexpr uint32_t kReasoningCapabilities = kChatCapabilities | MJ_CAP_REASONING;
// Prompt caching is automatic. The GPT-6 generation bills cache writes; older models bill none,
// so their write price is "not priced" and the host bills such tokens, never reported, as input.
using sdk::kNotPriced;

// USD per 1M tokens, standard tier, prompts up to 272K input tokens (longer prompts bill input
// and cache at 2x and output at 1.5x: not modelled, so they are under-priced). Read 2026-11
// through the project's search index. Official: the model pages
// developers.openai.com/api/docs/models/<id> (gpt-6.2-sol, gpt-6.1-terra, gpt-6-sol, gpt-6-luna,
// gpt-5-mini, gpt-5-nano) and developers.openai.com/api/docs/deprecations (shutdown dates,
// successors); gpt-5.4 and gpt-5.4-mini were confirmed by the 2026-11 re-check. The other rows are
// the list prices repeated by pricing tables that cite the pricing page (deploybase.ai 2026-03,
// tokenmath.io 2026-06, helicone.ai) and agreed between them. cache_write is the 30-minute
// retention price. [?] marks a value only one secondary source gave, or sources disagreed on.
constexpr mj_model_info kModels[] = {
    model_entry("gpt-6.2-sol", kReasoningCapabilities, 2.00, 10.00, 0.10, 2.50, 128'000),
    model_entry("gpt-6.1-terra", kReasoningCapabilities, 1.00, 5.00, 0.05, 1.25, 128'000),
    model_entry("gpt-6-sol", kReasoningCapabilities, 2.00, 10.00, 0.20, 2.50, 128'000),
    model_entry("gpt-6-luna", kReasoningCapabilities, 0.10, 0.50, 0.01, 0.125, 128'000),
    model_entry("gpt-5.4", kReasoningCapabilities, 2.50, 15.00, 0.25, kNotPriced, 128'000),
    model_entry("gpt-5.4-mini", kReasoningCapabilities, 0.75, 4.50, 0.075, kNotPriced, 128'000),
    // Shut down 2026-12-11; successors per the deprecations page: gpt-5 and o3 -> gpt-6.1-sol,
    // gpt-5-mini -> gpt-6.1-terra, gpt-5-nano -> gpt-6-luna.
    model_entry("gpt-5", kReasoningCapabilities, 1.25, 10.00, 0.125, kNotPriced, 128'000),
    model_entry("gpt-5-mini", kReasoningCapabilities, 0.25, 2.00, 0.025, kNotPriced, 128'000),
    model_entry("gpt-5-nano", kReasoningCapabilities, 0.05, 0.40, 0.005, kNotPriced, 128'000),
    model_entry("o3", kReasoningCapabilities, 2.00, 8.00, 0.50, kNotPriced, 100'000),  // cached [?]
    // Shutdown announced for 2027-01-14, successor gpt-6-luna [?] (secondary summaries of the
    // deprecations page; the excerpt read did not reach these rows).
    model_entry("gpt-4.1", kChatCapabilities, 2.00, 8.00, 0.50, kNotPriced, 32'768),
    model_entry("gpt-4.1-mini", kChatCapabilities, 0.40, 1.60, 0.10, kNotPriced, 32'768),  // cached [?]
    model_entry("gpt-4o", kChatCapabilities, 2.50, 10.00, 1.25, kNotPriced, 16'384),
    model_entry("gpt-4o-mini", kChatCapabilities, 0.15, 0.60, 0.075, kNotPriced, 16'384),
};

constexpr mj_provider_info kProviderInfo = sdk::provider_entry({
    .id = "openai", .display_name = "OpenAI", .version = MAJORDOMO_VERSION_STRING,
    .default_base_url = "https://api.openai.com/v1", .api_key_env = "OPENAI_API_KEY", .base_url_env = "OPENAI_BASE_URL",
    .models = kModels,
    // Both APIs map tools, images and reasoning controls (chat_completions.hpp, responses_api.hpp).
    .request_features = MJ_FEATURE_TOOLS | MJ_FEATURE_IMAGES | MJ_FEATURE_REASONING});

// ---------------------------------------------------------------------------------------------
// Wire formats: the SDK's codecs (PROTOCOLS §1 and §1b)
// ---------------------------------------------------------------------------------------------

// OpenAI is the reference the Chat Completions codec's defaults describe.
constexpr sdk::ChatCompletionsFlavour kChatFlavour{
    .display_name = kDisplayName,
    .provider_id = "openai",
};

// Whether a model reasons: as its catalog entry says, or for an unlisted one by its name: the o
// series and gpt-5 onwards do, except the -chat models (gpt-5-chat-latest), which do not.
bool model_reasons(std::string_view model) {
  for (const mj_model_info& entry : kModels) {
    if (sdk::view(entry.id) == model) return (entry.capabilities & MJ_CAP_REASONING) != 0;
  }
  if (model.find("-chat") != std::string_view::npos) return false;
  if (model.size() >= 2 && model[0] == 'o' && model[1] >= '1' && model[1] <= '9') return true;
  if (!model.starts_with("gpt-")) return false;
  model.remove_prefix(4);
  unsigned major = 0;
  for (std::size_t i = 0; i < model.size() && i < 3 && model[i] >= '0' && model[i] <= '9'; ++i) {
    major = major * 10 + static_cast<unsigned>(model[i] - '0');
  }
  return major >= 5;
}

constexpr sdk::ResponsesApiFlavour kResponsesFlavour{
    .display_name = kDisplayName,
    .provider_id = "openai",
    .model_reasons = model_reasons,
};

enum class Api { chat_completions, responses };

// The one provider option: which API the instance speaks. Chat Completions stays the default
// because self-hosted OpenAI-compatible servers speak it.
Api api_from_options(const mj_instance_config& config) {
  Api api = Api::chat_completions;
  for (std::size_t i = 0; i < config.option_count; ++i) {
    const std::string_view name = sdk::view(config.options[i].name);
    const std::string_view value = sdk::view(config.options[i].value);
    if (name != "api") {
      throw sdk::ProviderError(
          MJ_ERR_CONFIGURATION,
          fmt::format("unknown option '{}' for provider openai; known options: api", name));
    }
    if (value == "chat" || value == "chat_completions") {
      api = Api::chat_completions;
    } else if (value == "responses") {
      api = Api::responses;
    } else {
      throw sdk::ProviderError(
          MJ_ERR_CONFIGURATION,
          fmt::format("option api='{}' for provider openai is not known; use api=chat_completions "
                      "(the default; 'chat' also works) or api=responses",
                      value));
    }
  }
  return api;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Provider
// ---------------------------------------------------------------------------------------------

class OpenAIProvider {
 public:
  static const mj_provider_info& info() { return kProviderInfo; }

  explicit OpenAIProvider(const mj_instance_config& config)
      : transport_(sdk::TransportConfig::from(config)), api_(api_from_options(config)) {}

  sdk::Prepared build(const mj_request& request) const {
    if (api_ == Api::responses) return sdk::build_responses_request(request, kResponsesFlavour);
    return sdk::build_chat_completions_request(request, kChatFlavour);
  }

  std::unique_ptr<sdk::Call> open(const mj_call_params& params) {
    std::unique_ptr<sdk::ResponseDecoder> decoder =
        api_ == Api::responses ? sdk::make_responses_decoder(parsers_.acquire(), kResponsesFlavour)
                               : sdk::make_chat_completions_decoder(parsers_.acquire(), kChatFlavour);
    return std::make_unique<sdk::HttpCall>(transport_, params, std::move(decoder));
  }

 private:
  sdk::HttpTransport transport_;
  sdk::ParserPool parsers_;
  Api api_;
};

}  // namespace majordomo::openai

MAJORDOMO_EXPORT_PROVIDER(majordomo::openai::OpenAIProvider)
