// Fault plugin "raw-faults": a hand-written v1 table whose functions throw through the C ABI on request.
// The option fault=<create|build|open|next|close|status|destroy> picks the function that throws a
// C++ exception instead of returning; the host must survive each one and report it as kind plugin.
// fault=null_text and fault=null_status break mj_str's contract ({NULL, 5}) in an event and in a
// status instead. No I/O: a call answers "raw answer" from memory. Built twice more with broken
// metadata (tests/core/CMakeLists.txt): RAW_FAULTS_OVERSIZED_ID claims a provider id of SIZE_MAX
// bytes; RAW_FAULTS_OLD_REFUSAL answers 2 with no reason, as a plugin older than 0.2 might refuse.
#include <majordomo/plugin.h>

#include <cstring>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>

namespace {

constexpr mj_str str(const char* text) { return mj_str{text, std::char_traits<char>::length(text)}; }
std::string_view view(mj_str text) { return text.size == 0 ? std::string_view{} : std::string_view{text.data, text.size}; }

struct Instance {
  std::string fault;
};

struct Call {
  std::string fault;
  int step = 0;
};

struct Status : mj_status {
  std::string text;
};

struct Prepared : mj_prepared {};

const mj_model_info kModels[] = {{sizeof(mj_model_info), MJ_CAP_STREAMING, str("raw-1"), 1.0, 2.0, -1, -1, 100}};

#ifdef RAW_FAULTS_OVERSIZED_ID
constexpr mj_str kProviderId{"raw-oversized", SIZE_MAX};
#else
constexpr mj_str kProviderId = str("raw-faults");
#endif

const mj_provider_info kInfo = {sizeof(mj_provider_info), MJ_AUTH_NONE, kProviderId, str("Raw faults (test)"),
                                str("1.0.0"), str("http://127.0.0.1:9/raw"), str(""), str(""), str(""),
                                nullptr, 0, nullptr, 0, kModels, 1, 0, 0};

void fault_if(const std::string& fault, std::string_view where) {
  if (fault == where) throw std::runtime_error("raw plugin failure in " + std::string(where) + " (key sk-raw-secret-123)");
}

mj_status* instance_create(const mj_instance_config* config, mj_instance** out) {
  auto* instance = new Instance;
  for (std::size_t i = 0; i < config->option_count; ++i) {
    if (view(config->options[i].name) == "fault") instance->fault = std::string(view(config->options[i].value));
  }
  if (instance->fault == "create") {
    delete instance;
    throw std::logic_error("raw plugin failure in create");
  }
  *out = reinterpret_cast<mj_instance*>(instance);
  return nullptr;
}

void instance_destroy(mj_instance* instance) {
  auto* self = reinterpret_cast<Instance*>(instance);
  const std::string fault = self->fault;
  delete self;
  fault_if(fault, "destroy");
}

mj_status* request_build(mj_instance* instance, const mj_request*, mj_prepared** out) {
  fault_if(reinterpret_cast<Instance*>(instance)->fault, "build");
  auto* prepared = new Prepared{};
  prepared->struct_size = sizeof(mj_prepared);
  prepared->path = str("/raw");
  prepared->body = str("{}");
  *out = prepared;
  return nullptr;
}

void prepared_release(mj_prepared* prepared) { delete static_cast<Prepared*>(prepared); }

mj_status* call_open(mj_instance* instance, const mj_call_params*, mj_call** out) {
  const std::string& fault = reinterpret_cast<Instance*>(instance)->fault;
  fault_if(fault, "open");
  *out = reinterpret_cast<mj_call*>(new Call{fault});
  return nullptr;
}

int32_t call_next(mj_call* call, mj_event* event, mj_status** error) {
  auto* self = reinterpret_cast<Call*>(call);
  if (self->step == 1) fault_if(self->fault, "next");  // after one piece of text reached the host
  if (self->step == 0 && (self->fault == "status" || self->fault == "null_status")) {
    auto* status = new Status{};
    status->struct_size = sizeof(mj_status);
    status->kind = MJ_ERR_RATE_LIMITED;
    status->http_status = 429;
    status->retry_after_ms = -1;
    status->text = "raw plugin: slow down";
    status->message = mj_str{status->text.data(), status->text.size()};
    if (self->fault == "null_status") status->request_id = mj_str{nullptr, 5};
    *error = status;
    return -1;
  }
  if (self->step == 0 && self->fault == "null_text") {
    event->type = MJ_EVENT_TEXT;
    event->text = mj_str{nullptr, 5};
    return 1;
  }
  switch (self->step++) {
    case 0: event->type = MJ_EVENT_TEXT; event->text = str("raw answer"); return 1;
    case 1: event->type = MJ_EVENT_STOP; event->stop_reason = MJ_STOP_END_TURN; event->text = str("done"); return 1;
    default: return 0;
  }
}

void call_close(mj_call* call) {
  auto* self = reinterpret_cast<Call*>(call);
  const std::string fault = self->fault;
  delete self;
  fault_if(fault, "close");
}

void status_release(mj_status* status) {
  auto* self = static_cast<Status*>(status);
  const bool null_status = self->request_id.size != 0;
  delete self;
  if (!null_status) throw std::runtime_error("raw plugin failure in status_release");
}

// call_ready (0.6) is left NULL in a table whose size covers it: the host must then ask nothing.
const mj_plugin_v1 kTable = {sizeof(mj_plugin_v1), 1, &kInfo, &instance_create, &instance_destroy, &request_build,
                             &prepared_release, &call_open, &call_next, &call_close, &status_release, nullptr};

}  // namespace

extern "C" MJ_PLUGIN_EXPORT int32_t majordomo_plugin_entry(const mj_host_offer* offer, mj_plugin_answer* answer) {
#ifdef RAW_FAULTS_OLD_REFUSAL
  answer->abi_min = 7;
  answer->abi_max = 7;
  return 2;
#endif
  answer->abi_min = 1;
  answer->abi_max = 1;
  if (offer->abi_min > 1 || offer->abi_max < 1) return MJ_ENTRY_REFUSED;
  answer->abi_chosen = 1;
  answer->table = &kTable;
  return MJ_ENTRY_ACCEPTED;
}
