/* majordomo plugin ABI v1: the only contract between the host and a provider plugin. */
/*
 * Hourglass rules (every plugin and every host must keep them):
 *  - Only C types cross: mj_str (pointer + length, never assumed NUL-terminated), fixed-width
 *    integers, doubles, opaque handles. No C++ types, no exceptions.
 *  - Every struct that crosses starts with `struct_size`, set by whoever fills it, except the
 *    four fixed ones (mj_str, mj_header, mj_message, mj_usage), which never change at all.
 *  - Structs grow only at the end, below the "ABI v1" fence line each one carries; nothing above
 *    a fence ever moves (asserted field by field at the bottom of this file).
 *  - A reader never compares a struct_size with its own sizeof. It requires the size the struct
 *    had when ABI v1 first shipped (the MJ_*_V1_SIZE constants) and reads a later field only when
 *    MJ_HAS_FIELD says the struct it was given holds it; a field it cannot see is absent (zero).
 *    The host does this for every plugin struct and the SDK's export glue for every host struct,
 *    so a plugin built against an older header keeps loading in a newer host and the reverse.
 *  - Arrays of sized structs (mj_provider_info.models) are strided by their first element's
 *    struct_size, not by the reader's sizeof; every element of one array has the same size.
 *  - Whoever allocates frees: memory handed out by the plugin stays the plugin's and is valid until
 *    the matching release call named on each function. Memory handed in by the host is valid only
 *    for the duration of the call that receives it; a plugin that needs it later copies it.
 *  - No exception may leave any function of the table: a plugin catches everything and returns a
 *    status. A host never throws into a plugin (callbacks do not exist in v1).
 *  - Errors are mj_status objects (kind, HTTP status, provider error type and message, request id,
 *    retry hint); NULL means success.
 *  - The host decides every URL and header (its resolution pipeline). A plugin sends exactly the
 *    URL and headers it is given in mj_call_params, adding only connection and framing headers
 *    (Host, Content-Length, Connection) and Content-Type/Accept when the host's list lacks them.
 *
 * Changelog: what was added to ABI v1 after it first shipped (majordomo 0.1), by release.
 *  0.2  mj_call_params.proxy and mj_plugin_answer.call_params_size (forward proxies);
 *       MJ_ERR_PLUGIN; mj_host_offer.tls_module_path; mj_plugin_answer.failure and
 *       failure_capacity with the MJ_ENTRY_* results; MJ_ABI_MIN/MJ_ABI_MAX, the MJ_*_V1_SIZE
 *       constants and MJ_HAS_FIELD (no layout change: they name what v1 already was).
 *  0.3  MJ_ERR_PROTOCOL; mj_call_params.time_left_ms (the call's deadline);
 *       mj_instance_config.max_event_bytes and max_body_bytes (response limits).
 *  0.5  Conversations: mj_request.turns, tools, tool_choice, parallel_tool_calls, reasoning_effort,
 *       thinking and thinking_budget_tokens (with mj_turn, mj_part, mj_tool_call and mj_tool, all
 *       sized structs); MJ_REQUEST_NO_PROMPT_CACHE; mj_provider_info.request_features with the
 *       MJ_FEATURE_* bits (a plugin without them is never sent what it would misread);
 *       MJ_CAP_IMAGES; the MJ_EVENT_TOOL_CALL_* and MJ_EVENT_CONTINUATION events with
 *       mj_event.tool_index, tool_call_id and tool_name; MJ_FEATURE_CALLS_WITHOUT_IDS and
 *       MJ_FEATURE_CONTINUATION_PER_MODEL.
 *  0.6  Cancellation: mj_call_params.cancel_fd with the MJ_CALL_CANCEL_FD flag (a descriptor that
 *       becomes readable when the host's caller cancels the call; the plugin adds it to every wait);
 *       mj_plugin_v1.call_ready (whether the next call_next can answer without waiting, so that a
 *       host relaying a stream sends the events that arrived together in one write).
 */
#ifndef MAJORDOMO_PLUGIN_H
#define MAJORDOMO_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI versions this header describes. A host offers a range; a plugin picks one or refuses. */
#define MJ_ABI_MIN 1u
#define MJ_ABI_MAX 1u
#define MJ_ABI_VERSION MJ_ABI_MAX /* the newest; kept from 0.1 */

/* Whether the struct at `ptr`, whose declared type is `type`, holds `field`: its struct_size
 * reaches past the field's end. Fields are only ever appended, so a field's end is the size the
 * struct had when the field was introduced. */
#define MJ_FIELD_END(type, field) (offsetof(type, field) + sizeof(((type*)0)->field))
#define MJ_HAS_FIELD(ptr, type, field) ((size_t)(ptr)->struct_size >= MJ_FIELD_END(type, field))

/* The one symbol a plugin exports. */
#define MJ_PLUGIN_ENTRY_SYMBOL "majordomo_plugin_entry"

#if defined(_WIN32)
#define MJ_PLUGIN_EXPORT __declspec(dllexport)
#else
#define MJ_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/* A byte string: `data` may be NULL only when `size` is 0. UTF-8 unless a field says otherwise.
 * Fixed forever, like mj_header, mj_message and mj_usage: they carry no struct_size. */
typedef struct mj_str {
  const char* data;
  size_t size;
} mj_str;

typedef struct mj_header {
  mj_str name;
  mj_str value;
} mj_header;

/* Error kinds. The numbers are part of the ABI: never renumber, only append. */
enum {
  MJ_OK = 0,
  MJ_ERR_CONFIGURATION = 1,  /* the caller's setup is wrong (bad header, missing key, bad URL) */
  MJ_ERR_AUTHENTICATION = 2, /* the provider rejected the credentials (401) */
  MJ_ERR_PERMISSION = 3,     /* the credentials may not do this (403) */
  MJ_ERR_NOT_FOUND = 4,      /* unknown model or route (404) */
  MJ_ERR_BAD_REQUEST = 5,    /* the provider rejected the request (400, 413, 422) */
  MJ_ERR_RATE_LIMITED = 6,   /* 429 */
  MJ_ERR_OVERLOADED = 7,     /* 503 "overloaded", 529, a streamed overloaded error */
  MJ_ERR_SERVER = 8,         /* other 5xx */
  MJ_ERR_TIMEOUT = 9,        /* connect, first byte, idle or total timeout */
  MJ_ERR_CONNECTION = 10,    /* refused, reset, TLS failure, closed mid-response */
  MJ_ERR_TRUNCATED = 11,     /* the output hit the token cap and the caller asked to fail */
  MJ_ERR_PARSE = 12,         /* the response could not be decoded */
  MJ_ERR_SCHEMA_MISMATCH = 13,
  MJ_ERR_CANCELLED = 14,
  MJ_ERR_UNSUPPORTED = 15,   /* the provider or model cannot do what was asked */
  MJ_ERR_PLUGIN = 16,        /* the plugin itself failed: an exception it did not turn into a
                                status, a broken invariant. Never retried. (0.2) */
  MJ_ERR_PROTOCOL = 17       /* the server broke HTTP or SSE framing (malformed head, chunk or
                                length, an unrequested content encoding): deterministic, so
                                never retried. A host older than 0.3 reads it as unknown. (0.3) */
};

/* Error status. Allocated by the plugin; the host releases it with mj_plugin_v1.status_release. */
typedef struct mj_status {
  uint32_t struct_size;
  int32_t kind;             /* MJ_ERR_* */
  int32_t http_status;      /* 0 when no HTTP response was received */
  int32_t reserved0;
  int64_t retry_after_ms;   /* the provider's retry hint; -1 when it gave none */
  mj_str provider_error_type; /* e.g. "rate_limit_exceeded"; may be empty */
  mj_str message;           /* human text; must never contain a credential */
  mj_str request_id;        /* the provider's request id; may be empty */
  /* ---- ABI v1: do not change above this line; add fields below, at the end. ---- */
} mj_status;
#define MJ_STATUS_V1_SIZE 72u

/* How the provider takes its API key. The host turns this into a header; plugins never do. */
enum {
  MJ_AUTH_NONE = 0,   /* no key */
  MJ_AUTH_BEARER = 1, /* Authorization: Bearer <key> */
  MJ_AUTH_HEADER = 2  /* <mj_provider_info.auth_header>: <key> */
};

/* Model capability flags. */
enum {
  MJ_CAP_STREAMING = 1u << 0,
  MJ_CAP_JSON_MODE = 1u << 1,
  MJ_CAP_JSON_SCHEMA = 1u << 2,
  MJ_CAP_REASONING = 1u << 3,
  MJ_CAP_TOOLS = 1u << 4,
  MJ_CAP_IMAGES = 1u << 5  /* (0.5) image parts in user turns */
};

/* (0.5) What a plugin can read of a request beyond ABI v1's text turns: mj_provider_info's
 * request_features. The host sends a request that needs a feature only to a plugin that declares
 * it, and refuses it with MJ_ERR_UNSUPPORTED otherwise, before sending: a plugin built before
 * 0.5 (whose mj_provider_info ends before the field) declares none. A plugin declaring a feature
 * must map it, or refuse it per request with MJ_ERR_UNSUPPORTED; never drop it silently. */
enum {
  MJ_FEATURE_TOOLS = 1u << 0,     /* mj_request.tools and tool_choice, tool turns, assistant tool calls */
  MJ_FEATURE_IMAGES = 1u << 1,    /* MJ_PART_IMAGE_URL and MJ_PART_IMAGE_DATA parts */
  MJ_FEATURE_REASONING = 1u << 2, /* mj_request.reasoning_effort, thinking, thinking_budget_tokens */
  /* Not a feature the host checks: the provider pairs tool calls and results without ids
   * (Gemini), so the host sends a call that has none as it is. Without this bit, the host gives
   * every call without an id one of its own (the same on the result that answers it), so a
   * plugin that declares MJ_FEATURE_TOOLS without it always sees non-empty call ids. */
  MJ_FEATURE_CALLS_WITHOUT_IDS = 1u << 3,
  /* Not a feature the host checks: this plugin's continuation items are tied to the model that
   * wrote them (Gemini's thought signatures), so the host sends them only to that model. Without
   * this bit they go to any model of the provider (Anthropic's thinking blocks, which the API
   * drops when the model cannot read them). */
  MJ_FEATURE_CONTINUATION_PER_MODEL = 1u << 4
};

/* One catalog entry. Prices are USD per million tokens; a negative price means "not priced". */
typedef struct mj_model_info {
  uint32_t struct_size;
  uint32_t capabilities;  /* MJ_CAP_* */
  mj_str id;
  double input_usd_per_mtok;
  double output_usd_per_mtok;
  double cached_input_usd_per_mtok;
  double cache_write_usd_per_mtok;
  int64_t max_output_tokens; /* 0 when unknown */
  /* ---- ABI v1: do not change above this line; add fields below, at the end. ---- */
} mj_model_info;
#define MJ_MODEL_INFO_V1_SIZE 64u

/* Static metadata, readable before any instance exists. Points into the plugin's static storage:
 * valid for as long as the library stays loaded. */
typedef struct mj_provider_info {
  uint32_t struct_size;
  int32_t auth_scheme;          /* MJ_AUTH_* */
  mj_str provider_id;           /* lower-case, [a-z0-9_-]; unique among loaded plugins */
  mj_str display_name;
  mj_str plugin_version;        /* semantic version of the plugin itself */
  mj_str default_base_url;      /* e.g. "https://api.openai.com/v1" */
  mj_str api_key_env;           /* e.g. "OPENAI_API_KEY" */
  mj_str base_url_env;          /* e.g. "OPENAI_BASE_URL" */
  mj_str auth_header;           /* header name for MJ_AUTH_HEADER; empty otherwise */
  const mj_header* required_headers; /* sent on every request, e.g. a version header */
  size_t required_header_count;
  const mj_header* gateway_headers;  /* sent only when the base URL is not the default */
  size_t gateway_header_count;
  const mj_model_info* models;
  size_t model_count;
  /* ---- ABI v1: do not change above this line; add fields below, at the end. ---- */
  /* (0.5) MJ_FEATURE_* bits: what this plugin reads of a request beyond text turns. */
  uint32_t request_features;
  uint32_t reserved0;
} mj_provider_info;
#define MJ_PROVIDER_INFO_V1_SIZE 168u

typedef struct mj_instance mj_instance; /* plugin-owned: connection pool, TLS, timeouts */
typedef struct mj_call mj_call;         /* plugin-owned: one request/response in flight */

enum { MJ_INSTANCE_TLS_NO_VERIFY = 1u << 0 };

/* Per-instance configuration. Timeouts in milliseconds; 0 means "the plugin's default". */
typedef struct mj_instance_config {
  uint32_t struct_size;
  uint32_t flags;               /* MJ_INSTANCE_* */
  mj_str ca_file;               /* PEM bundle to verify servers with; empty: the system store */
  int64_t connect_timeout_ms;
  int64_t first_byte_timeout_ms;
  int64_t idle_timeout_ms;      /* longest silence between two reads of a response */
  int64_t total_timeout_ms;     /* whole exchange, from open to the last byte */
  const mj_header* options;     /* provider-specific key/value options, e.g. api=responses */
  size_t option_count;
  /* ---- ABI v1: do not change above this line; add fields below, at the end. ---- */
  /* (0.3) Response limits in bytes; 0 means "the plugin's default" (the SDK's: 4 MiB and 64 MiB).
   * max_event_bytes bounds one SSE line and one event's data; max_body_bytes bounds a whole
   * non-streaming body. A response past a limit fails with MJ_ERR_PARSE and a message that names
   * the limit and ClientOptions::limits. */
  int64_t max_event_bytes;
  int64_t max_body_bytes;
} mj_instance_config;
#define MJ_INSTANCE_CONFIG_V1_SIZE 72u

enum {
  MJ_ROLE_USER = 1,
  MJ_ROLE_ASSISTANT = 2,
  MJ_ROLE_TOOL = 3  /* (0.5) mj_turn only: the application's result of one tool call */
};

typedef struct mj_message {
  int32_t role;                 /* MJ_ROLE_* */
  int32_t reserved0;
  mj_str content;
} mj_message;

enum {
  MJ_REQUEST_STREAM = 1u << 0,
  MJ_REQUEST_HAS_TEMPERATURE = 1u << 1,
  MJ_REQUEST_HAS_TOP_P = 1u << 2,
  /* (0.5) The caller turned the provider's prompt caching off: a plugin that marks cache
   * breakpoints itself (Anthropic's cache_control) leaves them out. Providers that cache on their
   * own, without a request field, are unaffected. An older plugin never marks any. */
  MJ_REQUEST_NO_PROMPT_CACHE = 1u << 3
};

/* (0.5) One piece of a turn's content. Host-owned, valid during request_build only. */
enum {
  MJ_PART_TEXT = 1,       /* text: the text */
  MJ_PART_IMAGE_URL = 2,  /* text: an https:, http: or data: URL the provider fetches or decodes */
  MJ_PART_IMAGE_DATA = 3  /* text: the image's bytes in base64 (RFC 4648, padded, no line
                             breaks), encoded by the host; media_type: e.g. "image/png" */
};

typedef struct mj_part {
  uint32_t struct_size;
  int32_t type;                 /* MJ_PART_* */
  mj_str text;
  mj_str media_type;            /* MJ_PART_IMAGE_DATA: the image's MIME type; empty otherwise */
  /* ---- ABI v1 (since 0.5): do not change above this line; add fields below, at the end. ---- */
} mj_part;
#define MJ_PART_V1_SIZE 40u

/* (0.5) A call the model made to one of the request's tools: in an assistant turn of the
 * history, the call as the model made it earlier. */
typedef struct mj_tool_call {
  uint32_t struct_size;
  uint32_t reserved0;
  mj_str id;                    /* the provider's call id; may be empty (Gemini has none) */
  mj_str name;
  mj_str arguments;             /* one JSON object as text, checked by the host */
  /* ---- ABI v1 (since 0.5): do not change above this line; add fields below, at the end. ---- */
} mj_tool_call;
#define MJ_TOOL_CALL_V1_SIZE 56u

enum { MJ_TURN_TOOL_ERROR = 1u << 0 }; /* a tool turn reporting that the call failed */

/* (0.5) One turn of the conversation, in order. A user turn has text and image parts; an assistant
 * turn text parts, tool calls and its continuation items; a tool turn the result of one call as
 * text parts (often JSON text), with the call's id and the tool's name. Several tool turns in a
 * row answer the calls of the assistant turn before them, in any order. */
typedef struct mj_turn {
  uint32_t struct_size;
  int32_t role;                 /* MJ_ROLE_USER, MJ_ROLE_ASSISTANT or MJ_ROLE_TOOL */
  const mj_part* parts;         /* strided by parts[0].struct_size */
  size_t part_count;
  const mj_tool_call* tool_calls; /* assistant turns; strided by tool_calls[0].struct_size */
  size_t tool_call_count;
  mj_str tool_call_id;          /* tool turns: the id of the call answered */
  mj_str tool_name;             /* tool turns: the name of the tool called */
  uint32_t flags;               /* MJ_TURN_* */
  uint32_t reserved0;
  /* Assistant turns: the continuation items this provider's plugin emitted with the answer
   * (MJ_EVENT_CONTINUATION), in order and byte for byte. The host passes only items that the same
   * provider id produced; after a fail-over to another provider they are left out. */
  const mj_str* continuation;
  size_t continuation_count;
  /* ---- ABI v1 (since 0.5): do not change above this line; add fields below, at the end. ---- */
} mj_turn;
#define MJ_TURN_V1_SIZE 96u

/* (0.5) A function the model may call. */
enum { MJ_TOOL_STRICT = 1u << 0 }; /* ask the provider to hold the arguments to the schema */

typedef struct mj_tool {
  uint32_t struct_size;
  uint32_t flags;               /* MJ_TOOL_* */
  mj_str name;                  /* 1-64 of a-z A-Z 0-9 _ - (checked by the host) */
  mj_str description;           /* may be empty */
  mj_str parameters_json;       /* a JSON Schema, one JSON object as text (checked by the host) */
  /* ---- ABI v1 (since 0.5): do not change above this line; add fields below, at the end. ---- */
} mj_tool;
#define MJ_TOOL_V1_SIZE 56u

enum {
  MJ_TOOL_CHOICE_AUTO = 0,      /* the model decides (also the provider's default) */
  MJ_TOOL_CHOICE_NONE = 1,      /* no call, though tools are listed */
  MJ_TOOL_CHOICE_REQUIRED = 2,  /* at least one call */
  MJ_TOOL_CHOICE_NAMED = 3      /* a call of tool_choice_name */
};

enum { MJ_TRISTATE_DEFAULT = 0, MJ_TRISTATE_ON = 1, MJ_TRISTATE_OFF = 2 };

enum {
  MJ_EFFORT_DEFAULT = 0,        /* not sent: the model's default */
  MJ_EFFORT_MINIMAL = 1,
  MJ_EFFORT_LOW = 2,
  MJ_EFFORT_MEDIUM = 3,
  MJ_EFFORT_HIGH = 4,
  MJ_EFFORT_MAX = 5
};

enum {
  MJ_THINKING_DEFAULT = 0,      /* not sent */
  MJ_THINKING_OFF = 1,
  MJ_THINKING_ON = 2,           /* on, the budget left to the provider */
  MJ_THINKING_BUDGET = 3        /* on, at most thinking_budget_tokens */
};

enum { MJ_FORMAT_TEXT = 0, MJ_FORMAT_JSON_OBJECT = 1, MJ_FORMAT_JSON_SCHEMA = 2 };

/* The canonical, provider-neutral request. */
typedef struct mj_request {
  uint32_t struct_size;
  uint32_t flags;               /* MJ_REQUEST_* */
  mj_str model;
  mj_str system;                /* empty: no system prompt */
  const mj_message* messages;
  size_t message_count;
  double temperature;           /* valid when MJ_REQUEST_HAS_TEMPERATURE */
  double top_p;                 /* valid when MJ_REQUEST_HAS_TOP_P */
  int64_t max_tokens;           /* 0: the provider's default */
  int32_t response_format;      /* MJ_FORMAT_* */
  int32_t reserved0;
  mj_str schema_json;           /* MJ_FORMAT_JSON_SCHEMA: JSON text the host checked is one object */
  mj_str schema_name;
  /* ---- ABI v1: do not change above this line; add fields below, at the end. ---- */
  /* (0.5) The whole conversation. The host fills `turns` for every request to a plugin whose
   * mj_provider_info declares any MJ_FEATURE_*, and still fills `messages` with the user and
   * assistant text of the same turns, so a plugin may read either when the request has no tool
   * turn and no image; `system` keeps the system prompt (system turns are folded into it). */
  const mj_turn* turns;         /* strided by turns[0].struct_size */
  size_t turn_count;
  const mj_tool* tools;         /* strided by tools[0].struct_size; sent only with MJ_FEATURE_TOOLS */
  size_t tool_count;
  int32_t tool_choice;          /* MJ_TOOL_CHOICE_* */
  int32_t parallel_tool_calls;  /* MJ_TRISTATE_*: several calls in one answer */
  mj_str tool_choice_name;      /* MJ_TOOL_CHOICE_NAMED: one of the tools' names */
  int32_t reasoning_effort;     /* MJ_EFFORT_* */
  int32_t thinking;             /* MJ_THINKING_* */
  int64_t thinking_budget_tokens; /* MJ_THINKING_BUDGET: > 0 */
} mj_request;
#define MJ_REQUEST_V1_SIZE 120u

/* What the plugin built for a request: the path below the base URL and the body. Plugin-owned;
 * valid until mj_plugin_v1.prepared_release. */
typedef struct mj_prepared {
  uint32_t struct_size;
  uint32_t reserved0;
  mj_str path;                  /* begins with '/', may carry a query; the host joins it to the base */
  mj_str body;                  /* JSON */
  /* ---- ABI v1: do not change above this line; add fields below, at the end. ---- */
} mj_prepared;
#define MJ_PREPARED_V1_SIZE 40u

enum {
  MJ_CALL_STREAM = 1u << 0,
  /* (0.6) mj_call_params.cancel_fd holds a descriptor to watch. A flag rather than a sentinel
   * value: a field a host did not send reads as 0, which is a valid descriptor (stdin), while an
   * older host never sets this bit. */
  MJ_CALL_CANCEL_FD = 1u << 1
};

/* A resolved request, ready to send. Host-owned; valid during call_open only. */
typedef struct mj_call_params {
  uint32_t struct_size;
  uint32_t flags;               /* MJ_CALL_* */
  mj_str url;                   /* absolute http:// or https:// URL */
  const mj_header* headers;     /* final headers, one per name, already validated */
  size_t header_count;
  mj_str body;
  /* ---- ABI v1: do not change above this line; add fields below, at the end. ---- */
  /* (0.2) The forward proxy for this call, already resolved by the host (options, *_proxy and no_proxy
   * variables): "http://[user:password@]host:port". Empty: connect directly. The host sends a
   * proxy only to a plugin that declared it reads this field (mj_plugin_answer.call_params_size);
   * such a plugin must then use it: absolute-form targets for http URLs, a CONNECT tunnel for
   * https ones, Proxy-Authorization from the user info, never pooling proxied connections with
   * direct ones, and never putting the password in a message. The SDK's HttpCall does all this. */
  mj_str proxy;
  /* (0.3) What is left of the call's overall deadline (ClientOptions::timeouts.deadline, shared by
   * every attempt, backoff wait and cascade member) when the host opens this attempt, in
   * milliseconds; 0: no deadline. The plugin ends the attempt with MJ_ERR_TIMEOUT once that much
   * time has passed since call_open began, whatever its own timeouts say; it covers call_open and
   * every call_next. The host sends it only to a plugin whose call_params_size reaches it; an older
   * plugin is bounded by its instance timeouts alone, and the host checks the deadline between
   * attempts. */
  int64_t time_left_ms;
  /* (0.6) Valid only when flags has MJ_CALL_CANCEL_FD: a descriptor, owned by the host and open
   * until call_close returns, that becomes readable (POLLIN) once the host's caller cancels this
   * call, and stays readable. The plugin adds it to every wait of the call (connect, TLS, writing
   * the request, waiting for the head and for each read of the body, in call_open and every
   * call_next) and, once it is readable, stops waiting and fails with MJ_ERR_CANCELLED; the host
   * then closes the call, and the plugin closes its connection rather than pooling it. The plugin
   * never reads, writes or closes the descriptor. The host sends it only to a plugin whose
   * call_params_size reaches it; an older plugin is cancelled only between two of its events
   * (the host checks before and after each call_next and closes the call). */
  int32_t cancel_fd;
  uint32_t reserved1;
} mj_call_params;

#define MJ_CALL_PARAMS_V1_SIZE 56u /* as first shipped, without `proxy` */

enum {
  MJ_EVENT_TEXT = 1,      /* text: a piece of the answer */
  MJ_EVENT_REASONING = 2, /* text: a piece of reasoning/thinking, not part of the answer */
  MJ_EVENT_USAGE = 3,     /* usage: counts so far; a later USAGE event replaces an earlier one */
  MJ_EVENT_STOP = 4,      /* stop_reason normalised, text = the provider's raw value */
  MJ_EVENT_META = 5,      /* request_id and/or model (empty fields: unchanged) */
  /* (0.5) Tool calls, each numbered by tool_index from 0 in the answer's order. A plugin sends
   * them only for a request that listed tools, and a host older than 0.5 skips them. */
  MJ_EVENT_TOOL_CALL_START = 6,     /* tool_index, tool_call_id, tool_name; text: the first
                                       piece of the arguments (may be empty) */
  MJ_EVENT_TOOL_CALL_ARGUMENTS = 7, /* tool_index; text: the next piece of the arguments' JSON */
  MJ_EVENT_TOOL_CALL_END = 8,       /* tool_index: that call's arguments are complete. A call
                                       that never gets one was cut off (the stop reason says why) */
  /* (0.5) text: one item of provider-only data the provider needs back to continue the
   * conversation (a thinking block's signature, a reasoning item). Opaque to the host, which
   * returns it in mj_turn.continuation of the assistant turn, to this provider only. */
  MJ_EVENT_CONTINUATION = 9
};

/* Normalised stop reasons. */
enum {
  MJ_STOP_UNKNOWN = 0,
  MJ_STOP_END_TURN = 1,
  MJ_STOP_MAX_TOKENS = 2,
  MJ_STOP_STOP_SEQUENCE = 3,
  MJ_STOP_TOOL_USE = 4,
  MJ_STOP_CONTENT_FILTER = 5,
  MJ_STOP_ERROR = 6
};

typedef struct mj_usage {
  int64_t input_tokens;         /* all prompt tokens, cached ones included */
  int64_t output_tokens;        /* reasoning included */
  int64_t cached_tokens;        /* prompt tokens read from the provider's cache */
  int64_t cache_write_tokens;
  int64_t reasoning_tokens;
} mj_usage;

/* One decoded event. Filled by the plugin; its strings are valid until the next call_next,
 * call_ready (0.6) or call_close on the same call. */
typedef struct mj_event {
  uint32_t struct_size;
  int32_t type;                 /* MJ_EVENT_* */
  mj_str text;
  int32_t stop_reason;          /* MJ_STOP_*, for MJ_EVENT_STOP */
  int32_t reserved0;
  mj_usage usage;
  mj_str request_id;
  mj_str model;
  /* ---- ABI v1: do not change above this line; add fields below, at the end. ---- */
  /* (0.5) The MJ_EVENT_TOOL_CALL_* events' call. */
  int32_t tool_index;
  int32_t reserved1;
  mj_str tool_call_id;
  mj_str tool_name;
} mj_event;
#define MJ_EVENT_V1_SIZE 104u

/* The host's side of the handshake. */
typedef struct mj_host_offer {
  uint32_t struct_size;
  uint32_t abi_min;             /* the oldest ABI the host speaks */
  uint32_t abi_max;             /* the newest ABI the host speaks */
  uint32_t reserved0;
  mj_str host_version;
  /* ---- ABI v1: do not change above this line; add fields below, at the end. ---- */
  /* (0.2) The absolute path of the host's TLS module (libmajordomo-tls.so), which the SDK loads
   * on a plugin's first https request; empty when the host does not know one. Valid during the
   * entry call only: a plugin that wants it copies it. */
  mj_str tls_module_path;
} mj_host_offer;
#define MJ_HOST_OFFER_V1_SIZE 32u

/* What the entry point returns. */
enum {
  MJ_ENTRY_ACCEPTED = 0, /* one ABI of the offered range chosen; answer->table set */
  MJ_ENTRY_REFUSED = 1,  /* no ABI in common; answer->abi_min/abi_max tell what the plugin speaks */
  MJ_ENTRY_FAILED = 2    /* (0.2) the plugin could not describe itself (its metadata threw, say);
                            answer->failure tells why when the host gave a buffer. A host treats
                            any other non-zero value, and MJ_ENTRY_FAILED with no reason written
                            (a plugin older than 0.2 that returned 2 meant "refused"), as
                            MJ_ENTRY_REFUSED. */
};

/* The plugin's answer. The plugin fills abi_min/abi_max with the range it speaks in every case,
 * so a host can name both ranges when they do not meet. */
typedef struct mj_plugin_answer {
  uint32_t struct_size;         /* set by the HOST: how much of this struct the plugin may write */
  uint32_t abi_min;
  uint32_t abi_max;
  uint32_t abi_chosen;          /* 0 when refused */
  const void* table;            /* mj_plugin_v1* when abi_chosen == 1; static storage */
  /* ---- ABI v1: do not change above this line; add fields below, at the end. ---- */
  /* A plugin writes a field below only when struct_size covers it.
   * (0.2) The largest mj_call_params this plugin reads (sizeof as it was built). A plugin built before
   * the field existed never writes it and the host reads it as 0, i.e. MJ_CALL_PARAMS_V1_SIZE:
   * that plugin ignores mj_call_params.proxy, so the host refuses proxied calls to it with a
   * configuration error instead of silently connecting directly. The SDK's export glue fills it. */
  uint32_t call_params_size;
  uint32_t reserved0;
  /* (0.2) Set by the HOST: a buffer for the reason of MJ_ENTRY_FAILED. The plugin writes a
   * NUL-terminated UTF-8 sentence of at most failure_capacity bytes (NUL included) there, and
   * nothing otherwise. NULL or 0: no buffer. */
  char* failure;
  size_t failure_capacity;
} mj_plugin_answer;
#define MJ_PLUGIN_ANSWER_V1_SIZE 24u /* as first shipped, without call_params_size */

/* Function table of ABI v1. Thread-safety obligations:
 *  - info, request_build and status_release may be called from any thread at any time;
 *  - an mj_instance may be used by many threads at once (the plugin synchronises its pool);
 *  - an mj_call is used by one thread at a time; call_close may follow any call_next result and
 *    must be called exactly once. Closing a call before its end abandons the response: the plugin
 *    closes the connection rather than returning it half-read to its pool.
 *  - instance_destroy is called only after every call opened on it was closed. */
typedef struct mj_plugin_v1 {
  uint32_t struct_size;
  uint32_t abi_version;         /* 1 */
  const mj_provider_info* info;

  /* Creates an instance. On success *out is set and NULL returned. */
  mj_status* (*instance_create)(const mj_instance_config* config, mj_instance** out);
  void (*instance_destroy)(mj_instance* instance);

  /* Builds path and body for a canonical request without any I/O (used for dry runs too). */
  mj_status* (*request_build)(mj_instance* instance, const mj_request* request, mj_prepared** out);
  void (*prepared_release)(mj_prepared* prepared);

  /* Sends the request and waits for the response head. A non-2xx status is NOT reported here:
   * it is decoded by the first call_next into a typed error, so the body can be read. */
  mj_status* (*call_open)(mj_instance* instance, const mj_call_params* params, mj_call** out);
  /* Returns 1 when *event was filled, 0 at the successful end of the response, -1 on error with
   * *error set (release it with status_release). After 0 or -1 only call_close is allowed. */
  int32_t (*call_next)(mj_call* call, mj_event* event, mj_status** error);
  void (*call_close)(mj_call* call);

  void (*status_release)(mj_status* status);
  /* ---- ABI v1: do not change above this line; add functions below, at the end. ---- */
  /* (0.6) Returns 1 when the next call_next on `call` will return without waiting for the
   * network (its event, the end or its error is already at hand), 0 when it may wait or the
   * plugin cannot tell. It never waits and never fails: an error it finds is kept for the next
   * call_next to report. It may decode what was already received, so like call_next it ends the
   * validity of the strings of the event returned before. Allowed between call_open and the first
   * call_next that returned 0 or -1; the host calls it only when the table's struct_size covers it
   * and the pointer is not NULL, and a plugin built before 0.6 has neither: 0 is always a correct
   * answer, and 1 must be exact, since a host holds back what it has relayed so far until it is 0. */
  int32_t (*call_ready)(mj_call* call);
} mj_plugin_v1;
#define MJ_PLUGIN_V1_SIZE 80u /* as first shipped, without call_ready */

/* Entry point: returns MJ_ENTRY_ACCEPTED when the plugin accepted one ABI in the offered range
 * (answer->table set), MJ_ENTRY_REFUSED when it speaks none of them (answer->abi_min/abi_max
 * still tell what it speaks), MJ_ENTRY_FAILED when it cannot describe itself. Must not throw,
 * must not allocate anything the host would have to free, may be called more than once and from
 * several threads at once (each with its own offer and answer). The plugin reads the offer's
 * fields past MJ_HOST_OFFER_V1_SIZE, and writes the answer's past MJ_PLUGIN_ANSWER_V1_SIZE, only
 * as their struct_size allows (MJ_HAS_FIELD). */
typedef int32_t (*mj_plugin_entry_fn)(const mj_host_offer* offer, mj_plugin_answer* answer);

#ifdef __cplusplus
} /* extern "C" */
#endif

/* The frozen layouts, asserted field by field (0.5: kept in their own header). */
#include <majordomo/plugin_layout.h>

#endif /* MAJORDOMO_PLUGIN_H */
