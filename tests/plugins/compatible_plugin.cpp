// Test plugin "selfhosted": a third-party plugin for an OpenAI-compatible server, built on the SDK's codec alone.
#include <majordomo/plugin.h>
#include <majordomo/sdk/call.hpp>
#include <majordomo/sdk/chat_completions.hpp>
#include <majordomo/sdk/http.hpp>
#include <majordomo/sdk/parser_pool.hpp>
#include <majordomo/sdk/plugin.hpp>
#include <majordomo/sdk/provider_support.hpp>

#include <memory>

namespace {

namespace sdk = majordomo::sdk;

constexpr mj_provider_info kInfo{
    sizeof(mj_provider_info), MJ_AUTH_BEARER, sdk::to_mj("selfhosted"), sdk::to_mj("Self-hosted"),
    sdk::to_mj("0.1.0"), sdk::to_mj("http://127.0.0.1:8000/v1"), sdk::to_mj("SELFHOSTED_API_KEY"),
    sdk::to_mj("SELFHOSTED_BASE_URL"), mj_str{nullptr, 0}, nullptr, 0, nullptr, 0, nullptr, 0, 0, 0,
};

// What such a server typically differs in: no max_completion_tokens, no json_schema, reasoning in
// reasoning_content, and a finish reason of its own.
constexpr sdk::FinishReasonName kFinishReasons[] = {{"abort", MJ_STOP_ERROR}};
constexpr sdk::ChatCompletionsFlavour kFlavour{
    .display_name = "Self-hosted",
    .provider_id = "selfhosted",
    .max_tokens_field = "max_tokens",
    .native_json_schema = false,
    .refusal = false,
    .reasoning_content = true,
    .extra_finish_reasons = kFinishReasons,
};

class SelfHostedProvider {
 public:
  static const mj_provider_info& info() { return kInfo; }
  explicit SelfHostedProvider(const mj_instance_config& config) : transport_(sdk::TransportConfig::from(config)) {
    sdk::reject_all_options(config, "selfhosted");
  }
  sdk::Prepared build(const mj_request& request) const {
    return sdk::build_chat_completions_request(request, kFlavour);
  }
  std::unique_ptr<sdk::Call> open(const mj_call_params& params) {
    return std::make_unique<sdk::HttpCall>(transport_, params,
                                           sdk::make_chat_completions_decoder(parsers_.acquire(), kFlavour));
  }

 private:
  sdk::HttpTransport transport_;
  sdk::ParserPool parsers_;
};

}  // namespace

MAJORDOMO_EXPORT_PROVIDER(SelfHostedProvider)
