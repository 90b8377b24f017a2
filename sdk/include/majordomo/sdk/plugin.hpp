// Export glue: turns an ordinary C++ provider class into the ABI v1 function table and entry symbol.
#pragma once

#include <majordomo/plugin.h>
#include <majordomo/sdk/call.hpp>
#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/str.hpp>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <utility>

namespace majordomo::sdk {
inline namespace v1 {

// What a provider's build() returns: the path below the base URL and the JSON body.
struct Prepared {
  std::string path;
  std::string body;
};

namespace detail {

// An mj_status that owns its strings. mj_status is the base so the host's pointer converts back.
struct OwnedStatus : mj_status {
  std::string type_storage, message_storage, request_id_storage;
};

// Handed out when even the status cannot be allocated; never deleted.
inline mj_status* out_of_memory_status() noexcept {
  static const char text[] = "plugin ran out of memory";
  static mj_status status{sizeof(mj_status), MJ_ERR_SERVER, 0, 0, -1, {nullptr, 0},
                          {text, sizeof(text) - 1}, {nullptr, 0}};
  return &status;
}

inline mj_status* make_status(int32_t kind, std::string_view message, int32_t http_status = 0,
                              std::string_view type = {}, std::string_view request_id = {},
                              int64_t retry_after_ms = -1) noexcept {
  try {
    auto* owned = new OwnedStatus{};
    owned->type_storage.assign(type);
    owned->message_storage.assign(message);
    owned->request_id_storage.assign(request_id);
    owned->struct_size = sizeof(mj_status);
    owned->kind = kind;
    owned->http_status = http_status;
    owned->reserved0 = 0;
    owned->retry_after_ms = retry_after_ms;
    owned->provider_error_type = to_mj(owned->type_storage);
    owned->message = to_mj(owned->message_storage);
    owned->request_id = to_mj(owned->request_id_storage);
    return owned;
  } catch (...) {
    return out_of_memory_status();
  }
}

inline mj_status* status_from(const ProviderError& error) noexcept {
  return make_status(error.kind(), error.what(), error.http_status(), error.provider_error_type(),
                     error.request_id(), error.retry_after_ms());
}

// Runs `body`, converting any exception into a status. `fallback_kind` is used for exceptions
// that are not ProviderError (a bug or an unexpected library error in the plugin).
template <class Body>
mj_status* guarded(int32_t fallback_kind, Body&& body) noexcept {
  try {
    body();
    return nullptr;
  } catch (const ProviderError& error) {
    return status_from(error);
  } catch (const std::bad_alloc&) {
    return out_of_memory_status();
  } catch (const std::exception& error) {
    return make_status(fallback_kind, std::string("plugin error: ") + error.what());
  } catch (...) {
    return make_status(fallback_kind, "plugin error: unknown exception");
  }
}

// mj_prepared is the base so the host's pointer converts back with static_cast.
struct PreparedBox : mj_prepared {
  Prepared owned;
};

}  // namespace detail

// Exporter<Provider> builds the v1 table for a class that provides:
//   static const mj_provider_info& info();                       static storage
//   explicit Provider(const mj_instance_config&);                may throw ProviderError
//   Prepared build(const mj_request&);                           no I/O; thread-safe
//   std::unique_ptr<Call> open(const mj_call_params&);           thread-safe
// The entry declares that the plugin reads mj_call_params.proxy: open() must hand the params to
// an HttpCall (which honours the proxy), or honour `proxy` itself.
template <class Provider>
struct Exporter {
  static mj_status* instance_create(const mj_instance_config* config, mj_instance** out) noexcept {
    return detail::guarded(MJ_ERR_CONFIGURATION, [&] {
      *out = reinterpret_cast<mj_instance*>(new Provider(*config));
    });
  }

  static void instance_destroy(mj_instance* instance) noexcept {
    delete reinterpret_cast<Provider*>(instance);
  }

  static mj_status* request_build(mj_instance* instance, const mj_request* request,
                                  mj_prepared** out) noexcept {
    return detail::guarded(MJ_ERR_CONFIGURATION, [&] {
      auto box = std::make_unique<detail::PreparedBox>();
      box->owned = reinterpret_cast<Provider*>(instance)->build(*request);
      box->struct_size = sizeof(mj_prepared);
      box->reserved0 = 0;
      box->path = to_mj(box->owned.path);
      box->body = to_mj(box->owned.body);
      *out = box.release();
    });
  }

  static void prepared_release(mj_prepared* prepared) noexcept {
    // Every mj_prepared this plugin hands out is a PreparedBox (created only above).
    delete static_cast<detail::PreparedBox*>(prepared);
  }

  static mj_status* call_open(mj_instance* instance, const mj_call_params* params,
                              mj_call** out) noexcept {
    return detail::guarded(MJ_ERR_CONNECTION, [&] {
      std::unique_ptr<Call> call = reinterpret_cast<Provider*>(instance)->open(*params);
      *out = reinterpret_cast<mj_call*>(call.release());
    });
  }

  static int32_t call_next(mj_call* call, mj_event* event, mj_status** error) noexcept {
    int32_t result = -1;
    mj_status* status = detail::guarded(MJ_ERR_PARSE, [&] {
      mj_event local{};
      local.struct_size = sizeof(mj_event);
      const bool more = reinterpret_cast<Call*>(call)->next(local);
      if (more) {
        // Write no more than the host's struct holds; a newer plugin may know more fields.
        const std::size_t size = std::min<std::size_t>(event->struct_size, sizeof(mj_event));
        local.struct_size = static_cast<uint32_t>(size);
        std::memcpy(event, &local, size);
      }
      result = more ? 1 : 0;
    });
    if (status != nullptr) {
      *error = status;
      return -1;
    }
    return result;
  }

  static void call_close(mj_call* call) noexcept { delete reinterpret_cast<Call*>(call); }

  static void status_release(mj_status* status) noexcept {
    if (status == nullptr || status == detail::out_of_memory_status()) return;
    delete static_cast<detail::OwnedStatus*>(status);
  }

  static const mj_plugin_v1& table() noexcept {
    static const mj_plugin_v1 functions{sizeof(mj_plugin_v1), 1u, &Provider::info(),
                                        &instance_create, &instance_destroy, &request_build,
                                        &prepared_release, &call_open, &call_next, &call_close,
                                        &status_release};
    return functions;
  }

  static int32_t entry(const mj_host_offer* offer, mj_plugin_answer* answer) noexcept {
    if (answer == nullptr) return 1;
    answer->abi_min = 1;
    answer->abi_max = 1;
    answer->abi_chosen = 0;
    answer->table = nullptr;
    if (offer == nullptr || offer->abi_min > 1 || offer->abi_max < 1) return 1;
    answer->abi_chosen = 1;
    answer->table = &table();
    // Tells the host this plugin reads mj_call_params.proxy: HttpCall honours it. Written only
    // into a host's struct that has the field (an older host's answer is smaller).
    if (answer->struct_size >= offsetof(mj_plugin_answer, call_params_size) + sizeof(uint32_t))
      answer->call_params_size = static_cast<uint32_t>(sizeof(mj_call_params));
    return 0;
  }
};

}  // namespace v1
}  // namespace majordomo::sdk

// Exports `ProviderClass` as this library's plugin. Use once per plugin, at namespace scope.
#define MAJORDOMO_EXPORT_PROVIDER(ProviderClass)                                             \
  extern "C" MJ_PLUGIN_EXPORT int32_t majordomo_plugin_entry(const mj_host_offer* offer,     \
                                                             mj_plugin_answer* answer) {     \
    return ::majordomo::sdk::Exporter<ProviderClass>::entry(offer, answer);                  \
  }
