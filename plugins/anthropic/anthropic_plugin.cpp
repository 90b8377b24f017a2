// Anthropic provider plugin: builds Messages API requests and decodes their JSON and SSE responses.
#include <majordomo/plugin.h>
#include <majordomo/sdk/call.hpp>
#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/http.hpp>
#include <majordomo/sdk/http_provider.hpp>
#include <majordomo/sdk/json_fields.hpp>
#include <majordomo/sdk/json_read.hpp>
#include <majordomo/sdk/json_writer.hpp>
#include <majordomo/sdk/parser_pool.hpp>
#include <majordomo/sdk/plugin.hpp>
#include <majordomo/version.hpp>
#include <majordomo/sdk/provider_support.hpp>
#include <majordomo/sdk/schema_dialects.hpp>
#include <majordomo/sdk/sse.hpp>
#include <majordomo/sdk/turns.hpp>

#include "anthropic_decoder.hpp"
#include "anthropic_request.hpp"
#include "anthropic_wire.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <algorithm>
#include <string>
#include <string_view>
#include <utility>

namespace majordomo::anthropic {
namespace {

namespace sdk = majordomo::sdk;
using sdk::model_entry;
namespace ondemand = simdjson::ondemand;
using sdk::read_optional_string;

// How messages name the provider; the catalog id names it in configuration errors.

// ---------------------------------------------------------------------------------------------
// Catalog
// ---------------------------------------------------------------------------------------------

// JSON mode is claimed because build() emulates it with a system-prompt instruction (Anthropic has
// no JSON mode). JSON-schema output is native (output_config.format) on the models listed in
// kNativeOutputModels and a forced tool call on the others, so every model claims it. Every
// listed model takes tools and images (the provider's models overview lists vision and tool use
// for all current Claude models).
constexpr uint32_t kThinkingCapabilities = MJ_CAP_STREAMING | MJ_CAP_JSON_MODE | MJ_CAP_JSON_SCHEMA |
                                           MJ_CAP_REASONING | MJ_CAP_TOOLS | MJ_CAP_IMAGES;

// USD per 1M tokens, standard tier, read 2026-11 through the project's search index.
// Official: the model overview pages platform.claude.com/docs/en/models/<model>/overview (Opus
// 5.5, Sonnet 5.5, Haiku 5.5, Opus 5, Sonnet 5: prices, cache prices, output caps; Fable 5.2:
// input/output price and cap as listed in their comparison tables) and
// platform.claude.com/docs/en/about-claude/pricing (Opus 4.5, Opus 4.6). Sonnet 4.5/4.6 and
// Haiku 4.5 rows agree across secondary tables (deploybase.ai 2026-03, crazyrouter.com 2026-04)
// and the Haiku 4.5 $1/$5 line of the official model comparison; the Sonnet 4.6 128K cap was
// confirmed by the 2026-11 re-check. Older output caps: the model tables of several SDK wrappers
// that agreed. [?] marks a value only secondary sources gave, or one they disagreed on.
// cache_write is the 5-minute write price (the default TTL): the API reports 1-hour writes in the
// same cache_creation_input_tokens total, so they are under-priced (they cost 2x input, not 1.25x).
// Haiku 5.5 has two price bands: the band for prompts up to 100K tokens is listed; longer prompts
// cost 5x (input 0.50, output 2.50) and are under-priced here. Sonnet 4.5 requests with more
// than 200K input tokens are billed higher; not modelled either.
// Dated snapshots are listed next to their aliases because the host prices by exact id and
// responses name the snapshot. From the 4.6 generation on, the dateless id is the snapshot.
// Retired ids (Opus 4.1, Opus 4, Sonnet 4, Haiku 3.5) are no longer listed.
constexpr mj_model_info kModels[] = {
    // Cache read/write [?]: secondary tables (laozhang.ai 2026-11, a pricing-tool release note).
    model_entry("claude-fable-5-2", kThinkingCapabilities, 8.00, 40.00, 0.20, 10.00, 128'000),
    model_entry("claude-opus-5-5", kThinkingCapabilities, 4.00, 20.00, 0.20, 5.00, 128'000),
    model_entry("claude-sonnet-5-5", kThinkingCapabilities, 2.00, 10.00, 0.20, 2.50, 128'000),
    // Prompts up to 100K tokens (see above).
    model_entry("claude-haiku-5-5", kThinkingCapabilities, 0.10, 0.50, 0.01, 0.125, 128'000),
    model_entry("claude-opus-5", kThinkingCapabilities, 5.00, 25.00, 0.50, 6.25, 128'000),
    model_entry("claude-sonnet-5", kThinkingCapabilities, 2.00, 10.00, 0.20, 2.50, 128'000),
    model_entry("claude-opus-4-6", kThinkingCapabilities, 5.00, 25.00, 0.50, 6.25, 128'000),
    model_entry("claude-sonnet-4-6", kThinkingCapabilities, 3.00, 15.00, 0.30, 3.75, 128'000),
    model_entry("claude-opus-4-5", kThinkingCapabilities, 5.00, 25.00, 0.50, 6.25, 64'000),
    model_entry("claude-opus-4-5-20251101", kThinkingCapabilities, 5.00, 25.00, 0.50, 6.25, 64'000),
    // Retires 2026-11-30; successor: the current Sonnet, claude-sonnet-5-5.
    model_entry("claude-sonnet-4-5", kThinkingCapabilities, 3.00, 15.00, 0.30, 3.75, 64'000),
    model_entry("claude-sonnet-4-5-20250929", kThinkingCapabilities, 3.00, 15.00, 0.30, 3.75,
                64'000),
    model_entry("claude-haiku-4-5", kThinkingCapabilities, 1.00, 5.00, 0.10, 1.25, 64'000),
    model_entry("claude-haiku-4-5-20251001", kThinkingCapabilities, 1.00, 5.00, 0.10, 1.25, 64'000),
};

// Models that take output_config.format (structured outputs, GA from the Opus 4.1 / Sonnet 4.5 /
// Haiku 4.5 generation on, per the provider's structured-outputs page). Older and unlisted models
// get a forced tool call instead. Opus 5.5, Sonnet 5.5 and the Fable line answer a forced tool
// call with an error (their overview pages list it as a breaking change), so they must be here;
// Haiku 5.5's prompting guide covers its JSON output format.
constexpr std::string_view kNativeOutputModels[] = {
    "claude-fable-5-2",      "claude-opus-5-5",          "claude-sonnet-5-5",
    "claude-haiku-5-5",      "claude-opus-5",            "claude-sonnet-5",
    "claude-opus-4-6",       "claude-sonnet-4-6",        "claude-opus-4-5",
    "claude-opus-4-5-20251101", "claude-sonnet-4-5",     "claude-sonnet-4-5-20250929",
    "claude-haiku-4-5",      "claude-haiku-4-5-20251001",
};

bool has_native_output(std::string_view model) noexcept {
  return std::find(std::begin(kNativeOutputModels), std::end(kNativeOutputModels), model) !=
         std::end(kNativeOutputModels);
}

// The last member of a forced-tool structured request; the decoder recognises such a request by
// it (a JSON string inside the body cannot contain these unescaped quotes, and the schema comes
// earlier) and reads the tool's input as the answer text.
constexpr std::string_view kForcedToolChoice = R"(,"tool_choice":{"type":"tool","name":)";

// The Messages API refuses a request without max_tokens. When the caller gives none we send the
// model's cap but at most this much: a 64K-128K reservation can count against output-token rate
// limits and makes long non-streaming calls likely to hit gateway timeouts. Callers who want
// more ask for it.
constexpr int64_t kDefaultMaxTokens = 8192;

// Callers who need a newer API version replace it through default_headers (PROTOCOLS.md §0.2).
constexpr mj_header kRequiredHeaders[] = {
    {sdk::to_mj("anthropic-version"), sdk::to_mj("2023-06-01")},
};

constexpr mj_provider_info kProviderInfo = sdk::provider_entry({
    .auth_scheme = MJ_AUTH_HEADER, .id = "anthropic", .display_name = "Anthropic", .version = MAJORDOMO_VERSION_STRING,
    .default_base_url = "https://api.anthropic.com", .api_key_env = "ANTHROPIC_API_KEY",
    .base_url_env = "ANTHROPIC_BASE_URL", .auth_header = "x-api-key",
    .required_headers = kRequiredHeaders, .models = kModels,
    .request_features = MJ_FEATURE_TOOLS | MJ_FEATURE_IMAGES | MJ_FEATURE_REASONING});

// ---------------------------------------------------------------------------------------------
// Request building
// ---------------------------------------------------------------------------------------------

// Anthropic has no JSON mode (PROTOCOLS.md §3.1: only schema output or a forced tool call), so
// JSON-object requests ask for it in the system prompt; the host parses and checks the answer.
constexpr std::string_view kJsonObjectInstruction =
    "Respond with a single JSON object and nothing else: no prose before or after it and no "
    "Markdown code fences.";

int64_t max_tokens_for(const mj_request& request, std::string_view model) noexcept {
  if (request.max_tokens > 0) return request.max_tokens;
  if (const mj_model_info* entry = sdk::find_model(kModels, model);
      entry != nullptr && entry->max_output_tokens > 0) {
    return std::min(entry->max_output_tokens, kDefaultMaxTokens);
  }
  return kDefaultMaxTokens;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Provider
// ---------------------------------------------------------------------------------------------

class AnthropicProvider : public sdk::OptionlessHttpProvider<kProviderInfo> {
 public:
  using OptionlessHttpProvider::OptionlessHttpProvider;

  sdk::Prepared build(const mj_request& request) const {
    const std::string_view model = sdk::validated_model(request, "anthropic");
    sdk::require_known_response_format(request);
    const bool json_object = request.response_format == MJ_FORMAT_JSON_OBJECT;
    const bool json_schema = request.response_format == MJ_FORMAT_JSON_SCHEMA;
    const StructuredPlan structured = json_schema ? plan_structured(request, model) : StructuredPlan{};

    sdk::Prepared prepared;
    prepared.path = "/v1/messages";
    std::string& body = prepared.body;
    body.reserve(sdk::estimated_body_size(request, 160 + kJsonObjectInstruction.size()));
    sdk::JsonWriter json(body);

    json.raw(R"({"model":)").string(model);
    const int64_t max_tokens = max_tokens_for(request, model);
    json.raw(R"(,"max_tokens":)").number(max_tokens);
    // The system prompt is a top-level field: the Messages API has no system role.
    const std::string_view system = sdk::view(request.system);
    if (json_object) {
      std::string prompt(system);
      if (!prompt.empty()) prompt += "\n\n";
      prompt += kJsonObjectInstruction;
      json.raw(R"(,"system":)").string(prompt);
    } else if (!system.empty()) {
      json.raw(R"(,"system":)").string(system);
    }

    append_messages(json, request);

    if (request.flags & MJ_REQUEST_HAS_TEMPERATURE) {
      json.raw(R"(,"temperature":)").number(request.temperature);
    }
    if (request.flags & MJ_REQUEST_HAS_TOP_P) {
      json.raw(R"(,"top_p":)").number(request.top_p);
    }
    if (request.flags & MJ_REQUEST_STREAM) json.raw(R"(,"stream":true)");
    append_thinking(json, request, max_tokens);
    append_output_config(json, request, structured.output_schema);
    // Automatic caching: the API puts the breakpoint on the last cacheable block and moves it
    // forward as the conversation grows (docs/providers.md). Only for a 0.5 host: an older one
    // cannot send MJ_REQUEST_NO_PROMPT_CACHE, and a cache write costs more than plain input.
    const bool host_can_refuse_caching = MJ_HAS_FIELD(&request, mj_request, thinking_budget_tokens);
    if (host_can_refuse_caching && (request.flags & MJ_REQUEST_NO_PROMPT_CACHE) == 0) {
      json.raw(R"(,"cache_control":{"type":"ephemeral"})");
    }
    append_tool_fields(json, request);
    if (!structured.tool_name.empty()) {
      // The caller's schema as it is: tool input schemas take JSON Schema without the
      // restrictions of output_config. tool_choice must stay the body's last member.
      json.raw(R"(,"tools":[{"name":)")
          .string(structured.tool_name)
          .raw(R"(,"description":"Record the answer: its input is the whole response.","input_schema":)")
          .raw(sdk::view(request.schema_json))
          .raw("}]")
          .raw(kForcedToolChoice)
          .string(structured.tool_name)
          .raw("}");
    }
    body.push_back('}');
    return prepared;
  }

  std::unique_ptr<sdk::Call> open(const mj_call_params& params) {
    const std::string_view body = sdk::view(params.body);
    // Ends with kForcedToolChoice, the quoted tool name and "}}".
    const auto choice = body.rfind(kForcedToolChoice);
    const bool tool_answer = choice != std::string_view::npos && body.ends_with("\"}}") &&
                             body.find('}', choice + kForcedToolChoice.size()) == body.size() - 2;
    return open_call(params, make_messages_decoder(lease_parser(), tool_answer));
  }

 private:
  // How a JSON-schema request is sent: a rewritten output_config schema, or a forced tool.
  struct StructuredPlan {
    std::string output_schema;
    std::string tool_name;
  };

  static StructuredPlan plan_structured(const mj_request& request, std::string_view model) {
    const std::string_view schema = sdk::view(request.schema_json);
    if (schema.empty()) {
      throw sdk::ProviderError(MJ_ERR_CONFIGURATION, "a JSON-schema response format needs a schema");
    }
    StructuredPlan plan;
    if (has_native_output(model)) {
      plan.output_schema = sdk::anthropic_output_schema(schema);
      return plan;
    }
    // The forced call would be one more tool and a tool_choice that overrides the caller's.
    if (sdk::tool_count(request) > 0) {
      throw sdk::ProviderError(
          MJ_ERR_UNSUPPORTED,
          fmt::format("anthropic model '{}' takes structured output as a forced tool call, which cannot be "
                      "combined with the request's tools: use a model with native structured output (e.g. "
                      "claude-sonnet-4-5), or leave the response format or the tools out",
                      model));
    }
    if (!sdk::has_object_root(schema)) {
      throw sdk::ProviderError(
          MJ_ERR_UNSUPPORTED,
          fmt::format("anthropic model '{}' takes structured output as a tool call, whose input must "
                      "be an object: wrap the value in a property of an object schema, or use a model "
                      "with native structured output (e.g. claude-sonnet-4-5)",
                      model));
    }
    std::string_view name = sdk::view(request.schema_name);
    if (name.empty()) name = "response";
    if (!sdk::valid_schema_name(name)) {
      throw sdk::ProviderError(
          MJ_ERR_CONFIGURATION,
          fmt::format("schema name '{}' is not accepted by Anthropic as a tool name: use 1-64 "
                      "characters from a-z, A-Z, 0-9, '_' and '-'",
                      name));
    }
    plan.tool_name = std::string(name);
    return plan;
  }
};

}  // namespace majordomo::anthropic

MAJORDOMO_EXPORT_PROVIDER(majordomo::anthropic::AnthropicProvider)
