// Export glue: turns an ordinary C++ provider class into the ABI v1 function table and entry symbol.
#pragma once

#include <majordomo/plugin.h>
#include <majordomo/sdk/call.hpp>
#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/http.hpp>
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

// A status of kind MJ_ERR_PLUGIN: "<function> threw: <what>". Building the text may itself run
// out of memory; that must not leave the noexcept caller.
inline mj_status* fault_status(const char* function, std::string_view what) noexcept {
  try {
    std::string message(function);
    message.append(" threw: ").append(what);
    return make_status(MJ_ERR_PLUGIN, message);
  } catch (...) {
    return out_of_memory_status();
  }
}

// Runs `body`, converting any exception into a status. A ProviderError keeps its kind; anything
// else is a fault of the plugin itself (MJ_ERR_PLUGIN, never retried), named after `function`.
template <class Body>
mj_status* guarded(const char* function, Body&& body) noexcept {
  try {
    body();
    return nullptr;
  } catch (const ProviderError& error) {
    return status_from(error);
  } catch (const std::bad_alloc&) {
    return out_of_memory_status();
  } catch (const std::exception& error) {
    return fault_status(function, error.what());
  } catch (...) {
    return fault_status(function, "an exception that is not a std::exception");
  }
}

// A host struct read at the boundary: the v1 prefix must be there; fields this plugin knows but
// the host's struct lacks read as zero; struct_size becomes what this copy really holds, so
// MJ_HAS_FIELD on the copy says which of them the host sent.
template <class T>
bool widen(const T* from, std::size_t v1_size, T& to) noexcept {
  if (from == nullptr || from->struct_size < v1_size) return false;
  const std::size_t size = std::min<std::size_t>(from->struct_size, sizeof(T));
  std::memset(&to, 0, sizeof(T));
  std::memcpy(&to, from, size);
  to.struct_size = static_cast<uint32_t>(size);
  return true;
}

[[noreturn]] inline void throw_host_struct_too_small(const char* name, std::size_t v1_size) {
  throw ProviderError(MJ_ERR_CONFIGURATION, std::string("the host passed a missing or truncated ") + name +
                                                " (ABI v1 needs at least " + std::to_string(v1_size) +
                                                " bytes): the host is not a majordomo host of ABI 1");
}

// The host's struct in this header's layout, or the configuration error of one missing its v1 prefix.
template <typename T>
T widened_from_host(const T* from, std::size_t v1_size, const char* name) {
  T to;
  if (!widen(from, v1_size, to)) throw_host_struct_too_small(name, v1_size);
  return to;
}

// Writes "<prefix><what>" into the host's failure buffer, cut to fit, when the host gave one.
inline void write_entry_failure(mj_plugin_answer& answer, std::string_view prefix, std::string_view what) noexcept {
  if (!MJ_HAS_FIELD(&answer, mj_plugin_answer, failure_capacity) || answer.failure == nullptr ||
      answer.failure_capacity == 0)
    return;
  std::size_t written = 0;
  for (const std::string_view part : {prefix, what}) {
    const std::size_t room = answer.failure_capacity - 1 - written;
    const std::size_t n = std::min(room, part.size());
    std::memcpy(answer.failure + written, part.data(), n);
    written += n;
  }
  answer.failure[written] = '\0';
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
// The glue is the plugin's side of the ABI boundary: no exception leaves it (any exception but
// ProviderError becomes MJ_ERR_PLUGIN naming the function; one thrown by info() makes the entry
// answer MJ_ENTRY_FAILED with the reason; one thrown by a destructor is dropped), and every host
// struct reaches the class through `widen`, so the class may read every field of the header it
// was compiled with: a field the host did not send is zero (test with MJ_HAS_FIELD when zero is a
// meaningful value). The entry declares that the plugin reads mj_call_params.proxy, time_left_ms
// and (0.6) cancel_fd: open() must hand the params to an HttpCall (which honours all three), or
// honour the proxy, the call's deadline and its cancellation itself.
template <class Provider>
struct Exporter {
  static mj_status* instance_create(const mj_instance_config* config, mj_instance** out) noexcept {
    return detail::guarded("the plugin's constructor", [&] {
      const mj_instance_config local = detail::widened_from_host(config, MJ_INSTANCE_CONFIG_V1_SIZE, "mj_instance_config");
      *out = reinterpret_cast<mj_instance*>(new Provider(local));
    });
  }

  static void instance_destroy(mj_instance* instance) noexcept {
    // A destructor declared noexcept(false) that throws: nothing to report it to.
    try {
      delete reinterpret_cast<Provider*>(instance);
    } catch (...) {
    }
  }

  static mj_status* request_build(mj_instance* instance, const mj_request* request,
                                  mj_prepared** out) noexcept {
    return detail::guarded("build()", [&] {
      const mj_request local = detail::widened_from_host(request, MJ_REQUEST_V1_SIZE, "mj_request");
      auto box = std::make_unique<detail::PreparedBox>();
      box->owned = reinterpret_cast<Provider*>(instance)->build(local);
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
    return detail::guarded("open()", [&] {
      const mj_call_params local = detail::widened_from_host(params, MJ_CALL_PARAMS_V1_SIZE, "mj_call_params");
      std::unique_ptr<Call> call = reinterpret_cast<Provider*>(instance)->open(local);
      *out = reinterpret_cast<mj_call*>(call.release());
    });
  }

  static int32_t call_next(mj_call* call, mj_event* event, mj_status** error) noexcept {
    int32_t result = -1;
    mj_status* status = detail::guarded("the response decoder", [&] {
      if (event == nullptr || event->struct_size < MJ_EVENT_V1_SIZE)
        detail::throw_host_struct_too_small("mj_event", MJ_EVENT_V1_SIZE);
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

  // (0.6) Call::ready is noexcept: the answer goes straight through.
  static int32_t call_ready(mj_call* call) noexcept { return reinterpret_cast<Call*>(call)->ready() ? 1 : 0; }

  static void call_close(mj_call* call) noexcept {
    try {
      delete reinterpret_cast<Call*>(call);
    } catch (...) {  // a Call destructor declared noexcept(false) that throws: the call is gone anyway
    }
  }

  static void status_release(mj_status* status) noexcept {
    if (status == nullptr || status == detail::out_of_memory_status()) return;
    delete static_cast<detail::OwnedStatus*>(status);
  }

  static const mj_plugin_v1& table() {
    static const mj_plugin_v1 functions{sizeof(mj_plugin_v1), 1u, &Provider::info(),
                                        &instance_create, &instance_destroy, &request_build,
                                        &prepared_release, &call_open, &call_next, &call_close,
                                        &status_release, &call_ready};
    return functions;
  }

  static int32_t entry(const mj_host_offer* offer, mj_plugin_answer* answer) noexcept {
    if (answer == nullptr || answer->struct_size < MJ_PLUGIN_ANSWER_V1_SIZE) return MJ_ENTRY_REFUSED;
    answer->abi_min = 1;
    answer->abi_max = 1;
    answer->abi_chosen = 0;
    answer->table = nullptr;
    if (offer == nullptr || offer->struct_size < MJ_HOST_OFFER_V1_SIZE || offer->abi_min > 1 ||
        offer->abi_max < 1)
      return MJ_ENTRY_REFUSED;
    try {
      if (MJ_HAS_FIELD(offer, mj_host_offer, tls_module_path)) use_host_tls_module(view(offer->tls_module_path));
    } catch (...) {  // out of memory for a path: the SDK's own search for the module remains
    }
    try {
      answer->table = &table();
    } catch (const std::exception& error) {
      detail::write_entry_failure(*answer, "its provider description (info()) threw: ", error.what());
      return MJ_ENTRY_FAILED;
    } catch (...) {
      detail::write_entry_failure(*answer, "its provider description (info()) threw an exception that is "
                                           "not a std::exception", {});
      return MJ_ENTRY_FAILED;
    }
    answer->abi_chosen = 1;
    // Tells the host which mj_call_params fields this plugin reads: all of this header's, i.e.
    // proxy (0.2), time_left_ms (0.3) and cancel_fd (0.6), all honoured by HttpCall; a host sends a field only
    // to a plugin whose size reaches it. Written only into a host's struct that has the field
    // (an older host's answer is smaller).
    if (MJ_HAS_FIELD(answer, mj_plugin_answer, call_params_size))
      answer->call_params_size = static_cast<uint32_t>(sizeof(mj_call_params));
    return MJ_ENTRY_ACCEPTED;
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
