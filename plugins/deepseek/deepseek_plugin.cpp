// DeepSeek provider plugin: builds OpenAI-compatible Chat Completions requests and decodes DeepSeek's answers.
#include <majordomo/plugin.h>
#include <majordomo/sdk/call.hpp>
#include <majordomo/sdk/chat_completions.hpp>
#include <majordomo/sdk/http.hpp>
#include <majordomo/sdk/http_provider.hpp>
#include <majordomo/sdk/parser_pool.hpp>
#include <majordomo/sdk/plugin.hpp>
#include <majordomo/version.hpp>
#include <majordomo/sdk/provider_support.hpp>

#include <cstdint>
#include <iterator>
#include <memory>
#include <string_view>

namespace majordomo::deepseek {
namespace {

namespace sdk = majordomo::sdk;
using sdk::model_entry;

// How messages name the provider; the catalog id names it in configuration errors.
constexpr std::string_view kDisplayName = "DeepSeek";

// ---------------------------------------------------------------------------------------------
// Catalog
// ---------------------------------------------------------------------------------------------

// JSON schema is claimed because build() emulates it: DeepSeek only has json_object, so the
// schema goes into the system prompt and the host checks the answer against it.
// Tool calls: the chat API's function calling (PROTOCOLS §2); DeepSeek takes no images.
constexpr uint32_t kChatCapabilities = MJ_CAP_STREAMING | MJ_CAP_JSON_MODE | MJ_CAP_JSON_SCHEMA | MJ_CAP_TOOLS;
constexpr uint32_t kReasonerCapabilities = kChatCapabilities | MJ_CAP_REASONING;
// DeepSeek caches prompts on disk automatically and bills no cache writes.
using sdk::kNotPriced;

// USD per 1M tokens, read 2026-11 through the project's search index from the official
// api-docs.deepseek.com/quick_start/pricing (English and Chinese editions agree). DeepSeek bills
// half price off-peak (outside 09:00-12:00 and 14:00-18:00 Beijing time, Monday to Friday
// except Chinese public holidays); a catalog entry has one price, so the PEAK price is listed and costs are an upper bound
// off-peak (up to 2x the bill). Cache hit = cached input. Output cap: 384K for both models.
// Both models think by default (non-thinking mode on request), so both claim reasoning.
// deepseek-chat and deepseek-reasoner were retired on 2026-07-24 and are no longer listed.
// [?] DeepSeek re-points these ids at new model versions and reprices without renaming them.
constexpr mj_model_info kModels[] = {
    model_entry("deepseek-flash", kReasonerCapabilities, 0.30, 1.20, 0.006, kNotPriced, 393'216),
    // The legacy name is still accepted, served by the current Flash model at Flash prices.
    model_entry("deepseek-v4-flash", kReasonerCapabilities, 0.30, 1.20, 0.006, kNotPriced, 393'216),
    model_entry("deepseek-v4-pro", kReasonerCapabilities, 1.32, 3.96, 0.044, kNotPriced, 393'216),
};

// Lets a gateway in front of several providers route the request; the host sends it only when
// the base URL is not DeepSeek's own, and a caller's header of the same name wins.
constexpr mj_header kGatewayHeaders[] = {
    {sdk::to_mj("x-majordomo-provider"), sdk::to_mj("deepseek")},
};

constexpr mj_provider_info kProviderInfo = sdk::provider_entry({
    .id = "deepseek", .display_name = "DeepSeek", .version = MAJORDOMO_VERSION_STRING,
    .default_base_url = "https://api.deepseek.com", .api_key_env = "DEEPSEEK_API_KEY",
    .base_url_env = "DEEPSEEK_BASE_URL",
    .gateway_headers = kGatewayHeaders, .models = kModels,
    .request_features = MJ_FEATURE_TOOLS | MJ_FEATURE_REASONING});

// ---------------------------------------------------------------------------------------------
// Wire format: the SDK's OpenAI-compatible codec with DeepSeek's differences (PROTOCOLS §2)
// ---------------------------------------------------------------------------------------------

// The backend ran out of capacity and cut the answer short: not a normal end.
constexpr sdk::FinishReasonName kFinishReasons[] = {
    {"insufficient_system_resource", MJ_STOP_ERROR},
};

constexpr sdk::ChatCompletionsFlavour kFlavour{
    .display_name = kDisplayName,
    .provider_id = "deepseek",
    // DeepSeek has no max_completion_tokens.
    .max_tokens_field = "max_tokens",
    // Only json_object: the schema goes into the system prompt and the host checks the answer.
    .native_json_schema = false,
    .refusal = false,
    .reasoning_content = true,
    // DeepSeek's own count and the one it bills by; prompt_tokens_details.cached_tokens carries
    // the same number and is only the fallback.
    .cached_tokens_field = "prompt_cache_hit_tokens",
    // DeepSeek's `code` is "invalid_request_error" even on 401, 402 and 429: `type` tells.
    .error_type_before_code = true,
    .extra_finish_reasons = kFinishReasons,
    // DeepSeek documents no request id header [?]; OpenAI-compatible gateways in front send this.
    .request_id_header = "x-request-id",
    // Thinking is switched, not graded (PROTOCOLS §2).
    .reasoning_effort_field = false,
    .thinking_switch = true,
    // Thinking mode with tools needs the reasoning of a tool-call turn back in every later
    // request, or DeepSeek answers 400 (api-docs.deepseek.com/guides/thinking_mode, "Tool Calls").
    .reasoning_continuation = true,
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Provider
// ---------------------------------------------------------------------------------------------

class DeepSeekProvider : public sdk::OptionlessHttpProvider<kProviderInfo> {
 public:
  using OptionlessHttpProvider::OptionlessHttpProvider;

  sdk::Prepared build(const mj_request& request) const {
    return sdk::build_chat_completions_request(request, kFlavour);
  }

  std::unique_ptr<sdk::Call> open(const mj_call_params& params) {
    return open_call(params, sdk::make_chat_completions_decoder(lease_parser(), kFlavour));
  }
};

}  // namespace majordomo::deepseek

MAJORDOMO_EXPORT_PROVIDER(majordomo::deepseek::DeepSeekProvider)
