/* majordomo plugin ABI v1: the only contract between the host and a provider plugin. */
/*
 * Hourglass rules (every plugin and every host must keep them):
 *  - Only C types cross: mj_str (pointer + length, never assumed NUL-terminated), fixed-width
 *    integers, doubles, opaque handles. No C++ types, no exceptions.
 *  - Every struct that crosses starts with `struct_size`, set by whoever fills it. A reader must
 *    treat fields past the struct_size it was given as absent. Structs grow only at the end;
 *    the v1 layouts are frozen by the static_asserts at the bottom of this file.
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
 */
#ifndef MAJORDOMO_PLUGIN_H
#define MAJORDOMO_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI versions this header describes. A host offers a range; a plugin picks one or refuses. */
#define MJ_ABI_VERSION 1u

/* The one symbol a plugin exports. */
#define MJ_PLUGIN_ENTRY_SYMBOL "majordomo_plugin_entry"

#if defined(_WIN32)
#define MJ_PLUGIN_EXPORT __declspec(dllexport)
#else
#define MJ_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/* A byte string: `data` may be NULL only when `size` is 0. UTF-8 unless a field says otherwise. */
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
  MJ_ERR_UNSUPPORTED = 15    /* the provider or model cannot do what was asked */
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
} mj_status;

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
  MJ_CAP_TOOLS = 1u << 4
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
} mj_model_info;

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
} mj_provider_info;

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
} mj_instance_config;

enum { MJ_ROLE_USER = 1, MJ_ROLE_ASSISTANT = 2 };

typedef struct mj_message {
  int32_t role;                 /* MJ_ROLE_* */
  int32_t reserved0;
  mj_str content;
} mj_message;

enum {
  MJ_REQUEST_STREAM = 1u << 0,
  MJ_REQUEST_HAS_TEMPERATURE = 1u << 1,
  MJ_REQUEST_HAS_TOP_P = 1u << 2
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
} mj_request;

/* What the plugin built for a request: the path below the base URL and the body. Plugin-owned;
 * valid until mj_plugin_v1.prepared_release. */
typedef struct mj_prepared {
  uint32_t struct_size;
  uint32_t reserved0;
  mj_str path;                  /* begins with '/', may carry a query; the host joins it to the base */
  mj_str body;                  /* JSON */
} mj_prepared;

enum { MJ_CALL_STREAM = 1u << 0 };

/* A resolved request, ready to send. Host-owned; valid during call_open only. */
typedef struct mj_call_params {
  uint32_t struct_size;
  uint32_t flags;               /* MJ_CALL_* */
  mj_str url;                   /* absolute http:// or https:// URL */
  const mj_header* headers;     /* final headers, one per name, already validated */
  size_t header_count;
  mj_str body;
} mj_call_params;

enum {
  MJ_EVENT_TEXT = 1,      /* text: a piece of the answer */
  MJ_EVENT_REASONING = 2, /* text: a piece of reasoning/thinking, not part of the answer */
  MJ_EVENT_USAGE = 3,     /* usage: counts so far; a later USAGE event replaces an earlier one */
  MJ_EVENT_STOP = 4,      /* stop_reason normalised, text = the provider's raw value */
  MJ_EVENT_META = 5       /* request_id and/or model (empty fields: unchanged) */
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

/* One decoded event. Filled by the plugin; its strings are valid until the next call_next or
 * call_close on the same call. */
typedef struct mj_event {
  uint32_t struct_size;
  int32_t type;                 /* MJ_EVENT_* */
  mj_str text;
  int32_t stop_reason;          /* MJ_STOP_*, for MJ_EVENT_STOP */
  int32_t reserved0;
  mj_usage usage;
  mj_str request_id;
  mj_str model;
} mj_event;

/* The host's side of the handshake. */
typedef struct mj_host_offer {
  uint32_t struct_size;
  uint32_t abi_min;             /* the oldest ABI the host speaks */
  uint32_t abi_max;             /* the newest ABI the host speaks */
  uint32_t reserved0;
  mj_str host_version;
} mj_host_offer;

/* The plugin's answer. The plugin fills abi_min/abi_max with the range it speaks in every case,
 * so a host can name both ranges when they do not meet. */
typedef struct mj_plugin_answer {
  uint32_t struct_size;
  uint32_t abi_min;
  uint32_t abi_max;
  uint32_t abi_chosen;          /* 0 when refused */
  const void* table;            /* mj_plugin_v1* when abi_chosen == 1; static storage */
} mj_plugin_answer;

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
} mj_plugin_v1;

/* Entry point: returns 0 when the plugin accepted one ABI in the offered range (answer->table
 * set), non-zero when it refused (answer->abi_min/abi_max still tell what it speaks). Must not
 * allocate anything the host would have to free; may be called more than once. */
typedef int32_t (*mj_plugin_entry_fn)(const mj_host_offer* offer, mj_plugin_answer* answer);

#ifdef __cplusplus
} /* extern "C" */
#endif

/* Frozen v1 layouts (LP64). A change here breaks every plugin already built. */
#if defined(__cplusplus)
#define MJ_STATIC_ASSERT(c, m) static_assert(c, m)
#else
#define MJ_STATIC_ASSERT(c, m) _Static_assert(c, m)
#endif
#if defined(__LP64__) || defined(_WIN64)
MJ_STATIC_ASSERT(sizeof(mj_str) == 16, "mj_str layout is frozen");
MJ_STATIC_ASSERT(sizeof(mj_header) == 32, "mj_header layout is frozen");
MJ_STATIC_ASSERT(sizeof(mj_status) == 72, "mj_status v1 layout is frozen");
MJ_STATIC_ASSERT(sizeof(mj_model_info) == 64, "mj_model_info v1 layout is frozen");
MJ_STATIC_ASSERT(sizeof(mj_provider_info) == 168, "mj_provider_info v1 layout is frozen");
MJ_STATIC_ASSERT(sizeof(mj_instance_config) == 72, "mj_instance_config v1 layout is frozen");
MJ_STATIC_ASSERT(sizeof(mj_message) == 24, "mj_message v1 layout is frozen");
MJ_STATIC_ASSERT(sizeof(mj_request) == 120, "mj_request v1 layout is frozen");
MJ_STATIC_ASSERT(sizeof(mj_prepared) == 40, "mj_prepared v1 layout is frozen");
MJ_STATIC_ASSERT(sizeof(mj_call_params) == 56, "mj_call_params v1 layout is frozen");
MJ_STATIC_ASSERT(sizeof(mj_usage) == 40, "mj_usage v1 layout is frozen");
MJ_STATIC_ASSERT(sizeof(mj_event) == 104, "mj_event v1 layout is frozen");
MJ_STATIC_ASSERT(sizeof(mj_host_offer) == 32, "mj_host_offer v1 layout is frozen");
MJ_STATIC_ASSERT(sizeof(mj_plugin_answer) == 24, "mj_plugin_answer v1 layout is frozen");
MJ_STATIC_ASSERT(sizeof(mj_plugin_v1) == 80, "mj_plugin_v1 layout is frozen");
#endif

#endif /* MAJORDOMO_PLUGIN_H */
