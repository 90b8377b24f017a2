/* Plugin "frozen-echo", written in C against a frozen copy of plugin.h (0.2, or 0.1): an old plugin in a newer host. */
/*
 * It answers without I/O and reports, in its answer, the struct sizes the host handed it, so the
 * tests can check that a host whose structs grew still drives it: "<prompt> | offer=N config=N
 * request=N params=N event=N | <url>". The prompt "fail" answers with a rate-limit status instead.
 * Only the fields of the header it was compiled with are read or written, and a host struct is
 * written no further than its struct_size, as every plugin must. Built once against each frozen
 * header: FROZEN_ECHO_0_1 is the build against the 0.1 header, as "frozen-echo-0-1".
 */
#include <majordomo/plugin.h>

#ifdef FROZEN_ECHO_0_1
/* The 0.1 header predates these names; what they name is what its structs and results were. */
#define FROZEN_ID "frozen-echo-0-1"
#define MJ_REQUEST_V1_SIZE sizeof(mj_request)
#define MJ_PLUGIN_ANSWER_V1_SIZE sizeof(mj_plugin_answer)
#define MJ_HOST_OFFER_V1_SIZE sizeof(mj_host_offer)
#define MJ_ENTRY_ACCEPTED 0
#define MJ_ENTRY_REFUSED 1
#else
#define FROZEN_ID "frozen-echo"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FROZEN_STR(literal) \
  { literal, sizeof(literal) - 1 }

static const mj_model_info frozen_models[] = {
    {sizeof(mj_model_info), MJ_CAP_STREAMING, FROZEN_STR("frozen-1"), 1.0, 2.0, -1.0, -1.0, 100},
};

static const mj_provider_info frozen_info = {
    sizeof(mj_provider_info), MJ_AUTH_HEADER,
    FROZEN_STR(FROZEN_ID),          FROZEN_STR("Frozen echo (ABI test)"),
    FROZEN_STR("0.2.0"),            FROZEN_STR("http://127.0.0.1:9/frozen"),
    FROZEN_STR("FROZEN_ECHO_API_KEY"), FROZEN_STR("FROZEN_ECHO_BASE_URL"),
    FROZEN_STR("X-Frozen-Key"),     NULL, 0, NULL, 0, frozen_models, 1};

static uint32_t offered_size; /* the host's mj_host_offer, as seen by the last entry call */

typedef struct frozen_instance {
  uint32_t config_size;
} frozen_instance;

typedef struct frozen_prepared {
  mj_prepared base;
  char* body;
} frozen_prepared;

typedef struct frozen_call {
  char* answer; /* "<prompt> | offer=… | <url>", complete once the first call_next saw the event size */
  size_t capacity;
  size_t size;
  int fail;
  int step;
} frozen_call;

typedef struct frozen_status {
  mj_status base;
} frozen_status;

static mj_status* frozen_status_new(int32_t kind, int32_t http_status, const char* message) {
  frozen_status* status = calloc(1, sizeof(frozen_status));
  if (status == NULL) return NULL;
  status->base.struct_size = sizeof(mj_status);
  status->base.kind = kind;
  status->base.http_status = http_status;
  status->base.retry_after_ms = -1;
  status->base.message.data = message;
  status->base.message.size = strlen(message);
  return &status->base;
}

static mj_status* frozen_instance_create(const mj_instance_config* config, mj_instance** out) {
  frozen_instance* instance = calloc(1, sizeof(frozen_instance));
  if (instance == NULL) return frozen_status_new(MJ_ERR_SERVER, 0, "out of memory");
  instance->config_size = config->struct_size;
  *out = (mj_instance*)instance;
  return NULL;
}

static void frozen_instance_destroy(mj_instance* instance) { free(instance); }

/* The body carries the request's struct size and the last message: "<size>;<text>". */
static mj_status* frozen_request_build(mj_instance* instance, const mj_request* request, mj_prepared** out) {
  (void)instance;
  if (request->struct_size < MJ_REQUEST_V1_SIZE || request->message_count == 0) {
    return frozen_status_new(MJ_ERR_CONFIGURATION, 0, FROZEN_ID " needs a v1 request with a message");
  }
  const mj_str text = request->messages[request->message_count - 1].content;
  frozen_prepared* prepared = calloc(1, sizeof(frozen_prepared));
  char* body = malloc(text.size + 16);
  if (prepared == NULL || body == NULL) {
    free(prepared);
    free(body);
    return frozen_status_new(MJ_ERR_SERVER, 0, "out of memory");
  }
  const int head = snprintf(body, 16, "%u;", (unsigned)request->struct_size);
  memcpy(body + head, text.data, text.size);
  prepared->body = body;
  prepared->base.struct_size = sizeof(mj_prepared);
  prepared->base.path.data = "/frozen";
  prepared->base.path.size = 7;
  prepared->base.body.data = body;
  prepared->base.body.size = (size_t)head + text.size;
  *out = &prepared->base;
  return NULL;
}

static void frozen_prepared_release(mj_prepared* prepared) {
  frozen_prepared* self = (frozen_prepared*)prepared;
  free(self->body);
  free(self);
}

static mj_status* frozen_call_open(mj_instance* instance, const mj_call_params* params, mj_call** out) {
  const frozen_instance* self = (const frozen_instance*)instance;
  const char* body = params->body.data;
  const char* semicolon = params->body.size > 0 ? memchr(body, ';', params->body.size) : NULL;
  if (semicolon == NULL) return frozen_status_new(MJ_ERR_BAD_REQUEST, 400, FROZEN_ID ": no size in the body");
  const int prompt_size = (int)(params->body.size - (size_t)(semicolon + 1 - body));
  frozen_call* call = calloc(1, sizeof(frozen_call));
  const size_t capacity = (size_t)prompt_size + params->url.size + 160;
  char* answer = malloc(capacity);
  if (call == NULL || answer == NULL) {
    free(call);
    free(answer);
    return frozen_status_new(MJ_ERR_SERVER, 0, "out of memory");
  }
  const int written = snprintf(answer, capacity, "%.*s | offer=%u config=%u request=%.*s params=%u event=",
                               prompt_size, semicolon + 1, (unsigned)offered_size, (unsigned)self->config_size,
                               (int)(semicolon - body), body, (unsigned)params->struct_size);
  call->answer = answer;
  call->capacity = capacity;
  call->size = written > 0 ? (size_t)written : 0;
  call->fail = prompt_size == 4 && memcmp(semicolon + 1, "fail", 4) == 0;
  /* The url goes last; it is kept at the end of the buffer until the event size is known. */
  memcpy(answer + capacity - params->url.size, params->url.data, params->url.size);
  call->step = -1 - (int)params->url.size;
  *out = (mj_call*)call;
  return NULL;
}

/* Writes `event` into the host's struct, no further than the host's struct_size. */
static void frozen_emit(mj_event* host, const mj_event* event) {
  const size_t size = host->struct_size < sizeof(mj_event) ? host->struct_size : sizeof(mj_event);
  memcpy(host, event, size);
  host->struct_size = (uint32_t)size;
}

static int32_t frozen_call_next(mj_call* handle, mj_event* host, mj_status** error) {
  frozen_call* call = (frozen_call*)handle;
  mj_event event;
  memset(&event, 0, sizeof(event));
  event.struct_size = sizeof(mj_event);
  if (call->step < 0) {
    /* The first step sees the host's event size: the answer text is completed with it. */
    const size_t url_size = (size_t)(-1 - call->step);
    const int n = snprintf(call->answer + call->size, 24, "%u | ", (unsigned)host->struct_size);
    memmove(call->answer + call->size + (size_t)n, call->answer + call->capacity - url_size, url_size);
    call->size += (size_t)n + url_size;
    call->step = 0;
    if (call->fail) {
      mj_status* status = frozen_status_new(MJ_ERR_RATE_LIMITED, 429, FROZEN_ID ": slow down");
      if (status != NULL) {
        status->retry_after_ms = 1500;
        status->request_id.data = "frozen-req-1";
        status->request_id.size = 12;
      }
      *error = status;
      return -1;
    }
    event.type = MJ_EVENT_META;
    event.request_id.data = "frozen-req-1";
    event.request_id.size = 12;
    frozen_emit(host, &event);
    return 1;
  }
  switch (call->step++) {
    case 0:
      event.type = MJ_EVENT_TEXT;
      event.text.data = call->answer;
      event.text.size = call->size;
      break;
    case 1:
      event.type = MJ_EVENT_USAGE;
      event.usage.input_tokens = 3;
      event.usage.output_tokens = 5;
      break;
    case 2:
      event.type = MJ_EVENT_STOP;
      event.stop_reason = MJ_STOP_END_TURN;
      event.text.data = "done";
      event.text.size = 4;
      break;
    default:
      return 0;
  }
  frozen_emit(host, &event);
  return 1;
}

static void frozen_call_close(mj_call* handle) {
  frozen_call* call = (frozen_call*)handle;
  free(call->answer);
  free(call);
}

static void frozen_status_release(mj_status* status) { free(status); }

static const mj_plugin_v1 frozen_table = {
    sizeof(mj_plugin_v1),    1,
    &frozen_info,            frozen_instance_create,
    frozen_instance_destroy, frozen_request_build,
    frozen_prepared_release, frozen_call_open,
    frozen_call_next,        frozen_call_close,
    frozen_status_release};

MJ_PLUGIN_EXPORT int32_t majordomo_plugin_entry(const mj_host_offer* offer, mj_plugin_answer* answer) {
  if (answer == NULL || answer->struct_size < MJ_PLUGIN_ANSWER_V1_SIZE) return MJ_ENTRY_REFUSED;
  answer->abi_min = 1;
  answer->abi_max = 1;
  answer->abi_chosen = 0;
  answer->table = NULL;
  if (offer == NULL || offer->struct_size < MJ_HOST_OFFER_V1_SIZE || offer->abi_min > 1 || offer->abi_max < 1) {
    return MJ_ENTRY_REFUSED;
  }
  offered_size = offer->struct_size;
  answer->abi_chosen = 1;
  answer->table = &frozen_table;
#ifndef FROZEN_ECHO_0_1 /* 0.1 had no call_params_size: the host hears nothing, as from any 0.1 plugin */
  /* It reads mj_call_params no further than the v1 fields: say so where the host can hear it. */
  if (MJ_HAS_FIELD(answer, mj_plugin_answer, call_params_size)) answer->call_params_size = MJ_CALL_PARAMS_V1_SIZE;
#endif
  return MJ_ENTRY_ACCEPTED;
}
