// What every provider plugin checks and reports the same way: options, requests, catalogs, errors.
#pragma once

#include <majordomo/sdk/requires_cxx20.hpp>

#include <majordomo/plugin.h>
#include <majordomo/sdk/str.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace majordomo::sdk {
inline namespace v1 {

// Room for a request body: the texts of `request` plus `overhead` bytes of framing, and an eighth
// more for escaping, so a body is built without regrowth. A reservation hint only.
inline std::size_t estimated_body_size(const mj_request& request, std::size_t overhead) noexcept {
  std::size_t size = overhead + request.model.size + request.system.size + request.schema_json.size +
                     request.schema_name.size;
  for (std::size_t i = 0; i < request.message_count; ++i) size += 40 + request.messages[i].content.size;
  return size + size / 8;
}

// A price the provider does not publish (cached input, cache writes); the host bills such tokens
// as input. (0.4)
inline constexpr double kNotPriced = -1.0;

// One row of a catalog; prices in USD per million tokens. (0.4)
constexpr mj_model_info model_entry(std::string_view id, uint32_t capabilities, double input, double output,
                                    double cached_input, double cache_write, int64_t max_output_tokens) noexcept {
  return mj_model_info{sizeof(mj_model_info), capabilities, to_mj(id), input, output, cached_input, cache_write,
                       max_output_tokens};
}

// What a provider says about itself, by name rather than by position: provider_entry() turns it
// into the C ABI's description. An empty api_key_env, base_url_env or auth_header, and an empty
// span, become the ABI's "none" (a null pointer); the other strings are required. (0.4)
struct ProviderFacts {
  int32_t auth_scheme = MJ_AUTH_BEARER;       // MJ_AUTH_*
  std::string_view id{};                        // lower-case [a-z0-9_-], unique among loaded plugins
  std::string_view display_name{};
  std::string_view version{};                   // the plugin's own semantic version
  std::string_view default_base_url{};
  std::string_view api_key_env{};
  std::string_view base_url_env{};
  std::string_view auth_header{};               // only for MJ_AUTH_HEADER
  std::span<const mj_header> required_headers{};  // sent on every request
  std::span<const mj_header> gateway_headers{};   // sent only when the base URL is not the default
  std::span<const mj_model_info> models{};
  // (0.5) MJ_FEATURE_* bits: what the plugin maps of a request beyond text turns. Declare only
  // what build() maps (or refuses per request with MJ_ERR_UNSUPPORTED): the host sends requests
  // that need the others to no plugin.
  uint32_t request_features = 0;
};

// The mj_provider_info for `facts`. The spans' storage must outlive the plugin (constexpr arrays
// at namespace scope do). (0.4)
constexpr mj_provider_info provider_entry(const ProviderFacts& facts) noexcept {
  const auto optional_str = [](std::string_view text) { return text.empty() ? mj_str{nullptr, 0} : to_mj(text); };
  return mj_provider_info{sizeof(mj_provider_info),
                          facts.auth_scheme,
                          to_mj(facts.id),
                          to_mj(facts.display_name),
                          to_mj(facts.version),
                          to_mj(facts.default_base_url),
                          optional_str(facts.api_key_env),
                          optional_str(facts.base_url_env),
                          optional_str(facts.auth_header),
                          facts.required_headers.empty() ? nullptr : facts.required_headers.data(),
                          facts.required_headers.size(),
                          facts.gateway_headers.empty() ? nullptr : facts.gateway_headers.data(),
                          facts.gateway_headers.size(),
                          facts.models.empty() ? nullptr : facts.models.data(),
                          facts.models.size(),
                          facts.request_features,
                          0u};
}

// The catalog entry for `id`, or null when the model is not listed.
inline const mj_model_info* find_model(std::span<const mj_model_info> models,
                                       std::string_view id) noexcept {
  for (const mj_model_info& model : models) {
    if (view(model.id) == id) return &model;
  }
  return nullptr;
}

// For a provider that takes no options yet: the first option given is an MJ_ERR_CONFIGURATION
// "unknown option 'x' for provider <provider_id>; known options: (none)".
void reject_all_options(const mj_instance_config& config, std::string_view provider_id);

// Throws MJ_ERR_CONFIGURATION when the request's struct_size does not reach the end of the
// fields this SDK reads (MJ_REQUEST_V1_SIZE: the v1 layout, never this build's sizeof). (0.4)
void require_request_covers_read_fields(const mj_request& request);

// The 0.3 name, which read as if it checked for a version-1 request.
[[deprecated("renamed require_request_covers_read_fields")]] inline void require_v1_request(
    const mj_request& request) {
  require_request_covers_read_fields(request);
}

// Throws MJ_ERR_CONFIGURATION "unknown response format <n>": a request whose response_format is
// none of MJ_FORMAT_TEXT, MJ_FORMAT_JSON_OBJECT and MJ_FORMAT_JSON_SCHEMA. (0.4)
[[noreturn]] void throw_unknown_response_format(int32_t response_format);

// The same check up front, for a build() that branches on the format later. (0.4)
inline void require_known_response_format(const mj_request& request) {
  const int32_t format = request.response_format;
  if (format != MJ_FORMAT_TEXT && format != MJ_FORMAT_JSON_OBJECT && format != MJ_FORMAT_JSON_SCHEMA) {
    throw_unknown_response_format(format);
  }
}

// Throws MJ_ERR_CONFIGURATION when `model` (as the provider will send it) is empty, or when
// messages are counted but missing.
void require_model_and_messages(const mj_request& request, std::string_view model,
                                std::string_view provider_id);

// build()'s sanity checks in their usual order; returns the request's model.
inline std::string_view validated_model(const mj_request& request, std::string_view provider_id) {
  require_request_covers_read_fields(request);
  const std::string_view model = view(request.model);
  require_model_and_messages(request, model, provider_id);
  return model;
}

// At most `limit` bytes of a body that is not the JSON we expected (an HTML page from a proxy,
// say): whole UTF-8 characters only, control bytes blanked, trailing blanks dropped, "…" if cut.
std::string printable_excerpt(std::string_view body, std::size_t limit = 200);

// The message of a non-2xx response: "<provider> <status>: <message>" when the body said why,
// otherwise that the body was empty or what it held instead (a printable excerpt).
std::string error_status_message(std::string_view provider, int status, std::string_view body,
                                 std::optional<std::string_view> body_message);

}  // namespace v1
}  // namespace majordomo::sdk
