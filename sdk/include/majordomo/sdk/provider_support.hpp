// What every provider plugin checks and reports the same way: options, requests, catalogs, errors.
#pragma once

#include <majordomo/sdk/requires_cxx20.hpp>

#include <majordomo/plugin.h>
#include <majordomo/sdk/str.hpp>

#include <cstddef>
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

// Throws MJ_ERR_CONFIGURATION when the caller's mj_request is smaller than MJ_REQUEST_V1_SIZE.
void require_v1_request(const mj_request& request);

// Throws MJ_ERR_CONFIGURATION when `model` (as the provider will send it) is empty, or when
// messages are counted but missing.
void require_model_and_messages(const mj_request& request, std::string_view model,
                                std::string_view provider_id);

// build()'s sanity checks in their usual order; returns the request's model.
inline std::string_view validated_model(const mj_request& request, std::string_view provider_id) {
  require_v1_request(request);
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
