// Acme provider plugin: a complete provider with its own wire format (JSON and SSE), written against the SDK alone.
//
// The Acme Answers API, as this plugin speaks it (majordomo-fake serves it offline):
//   POST {base}/v1/answers    X-Acme-Key: <key>    Acme-Version: 2024-10-01
//   {"model","instructions","turns":[{"from":"user"|"assistant","text"}],"max_output_tokens",
//    "temperature","top_p","answer_format":"json","stream":true}
//   200 JSON:  {"id","model","text","end":"done"|"limit"|"blocked","tokens":{"in","out","cached_in"}}
//   200 SSE:   event: start {"id","model"} · event: ping {} · event: text {"text"} ·
//              event: finish {"end","tokens"} (the terminator) · event: error {"error":{…}}
//   non-2xx:   {"error":{"code","message","retry_in_ms"}} with Retry-After on 429 and 503;
//              every response carries Acme-Request-Id.
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
#include <majordomo/sdk/provider_support.hpp>
#include <majordomo/sdk/sse.hpp>
#include <majordomo/sdk/str.hpp>

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace {

namespace sdk = majordomo::sdk;
namespace ondemand = simdjson::ondemand;

// Bodies and SSE data arrive with this many readable bytes after them: simdjson parses in place.
static_assert(sdk::SseDecoder::kPadding >= simdjson::SIMDJSON_PADDING);

// ---------------------------------------------------------------------------------------------
// 1. Who the plugin is
// ---------------------------------------------------------------------------------------------

constexpr std::string_view kProviderId = "acme";   // [a-z0-9_-]{1,64}, unique among loaded plugins
constexpr std::string_view kDisplayName = "Acme";  // starts every error message

// ---------------------------------------------------------------------------------------------
// 2. The catalog: what each model can do and costs (USD per million tokens; negative: not priced)
// ---------------------------------------------------------------------------------------------

constexpr double kNotPriced = -1.0;

constexpr mj_model_info kModels[] = {
    // struct_size, capabilities, id, input, output, cached input, cache write, output cap
    {sizeof(mj_model_info), MJ_CAP_STREAMING | MJ_CAP_JSON_MODE, sdk::to_mj("acme-swift"), 0.40, 1.60,
     0.04, kNotPriced, 8'192},
    {sizeof(mj_model_info), MJ_CAP_STREAMING, sdk::to_mj("acme-deep"), 3.00, 12.00, 0.30, kNotPriced,
     32'768},
};

// ---------------------------------------------------------------------------------------------
// 3. Auth, headers and environment variables: declared here, applied by the host
// ---------------------------------------------------------------------------------------------

// Sent on every request. The host adds it; a caller's header of the same name wins.
constexpr mj_header kRequiredHeaders[] = {
    {sdk::to_mj("Acme-Version"), sdk::to_mj("2024-10-01")},
};

constexpr mj_provider_info kProviderInfo = sdk::provider_entry({
    .auth_scheme = MJ_AUTH_HEADER,              // the key goes in <auth_header>: <key>, not Bearer
    .id = kProviderId,
    .display_name = kDisplayName,
    .version = "0.1.0",                         // this plugin's own version
    .default_base_url = "https://api.acme.example",  // when neither --base-url nor ACME_BASE_URL is set
    .api_key_env = "ACME_API_KEY",              // where the host reads the key when none is given
    .base_url_env = "ACME_BASE_URL",            // where the host reads the base URL when none is given
    .auth_header = "X-Acme-Key",                // the auth header (redacted in dry runs and logs)
    .required_headers = kRequiredHeaders,
    .models = kModels,                          // no gateway_headers: none sent only through a gateway
});

// ---------------------------------------------------------------------------------------------
// 4. The wire format's vocabulary
// ---------------------------------------------------------------------------------------------

constexpr std::string_view kAnswersPath = "/v1/answers";
constexpr std::string_view kRequestIdHeader = "Acme-Request-Id";

// `end` of an answer, normalised; a value this plugin does not know yet is "unknown", not an error.
int32_t stop_reason(std::string_view end) noexcept {
  if (end == "done") return MJ_STOP_END_TURN;
  if (end == "limit") return MJ_STOP_MAX_TOKENS;
  if (end == "blocked") return MJ_STOP_CONTENT_FILTER;
  return MJ_STOP_UNKNOWN;
}

// The error kind of an error code. The code says more than the HTTP status: Acme answers 429 both
// for "slow down" (retry later) and for "out of credit" (no retry can help).
int32_t error_kind(std::string_view code, int http_status) noexcept {
  if (code == "invalid_key") return MJ_ERR_AUTHENTICATION;
  if (code == "forbidden" || code == "credit_exhausted") return MJ_ERR_PERMISSION;
  if (code == "unknown_model") return MJ_ERR_NOT_FOUND;
  if (code == "invalid_request" || code == "too_long") return MJ_ERR_BAD_REQUEST;
  if (code == "rate_limited") return MJ_ERR_RATE_LIMITED;
  if (code == "overloaded") return MJ_ERR_OVERLOADED;
  if (code == "internal") return MJ_ERR_SERVER;
  // An unknown code: the status decides; in a 200 stream there is none, so it is a server error.
  return http_status >= 400 ? sdk::error_kind_for_http_status(http_status) : MJ_ERR_SERVER;
}

// `{"code","message","retry_in_ms"}`: the SDK's shared error-object shape plus the retry hint.
// Views point into the parser's string buffer.
struct AcmeError : sdk::ErrorObjectFields {
  int64_t retry_in_ms = -1;  // -1: no hint
};

simdjson::error_code read_error(ondemand::value& value, AcmeError& out) {
  return sdk::read_error_object(value, out, [&](ondemand::raw_json_string key, ondemand::value& field) {
    if (key == "retry_in_ms") sdk::read_optional_int64(field, out.retry_in_ms);
  });
}

// `{"in","out","cached_in"}`: `in` counts every prompt token, cached ones included, as mj_usage does.
// A count that is not a whole number from 0 to 2^53 is refused (MJ_ERR_PARSE), never billed.
simdjson::error_code read_tokens(ondemand::value& value, mj_usage& usage) {
  usage = mj_usage{};
  return sdk::for_each_field(value, [&](ondemand::raw_json_string key, ondemand::value& field) {
    if (key == "in") {
      usage.input_tokens = sdk::token_count_or_zero(field, kDisplayName, "tokens.in");
    } else if (key == "out") {
      usage.output_tokens = sdk::token_count_or_zero(field, kDisplayName, "tokens.out");
    } else if (key == "cached_in") {
      usage.cached_tokens = sdk::token_count_or_zero(field, kDisplayName, "tokens.cached_in");
    }
  });
}

// The fields of a JSON answer and of the stream's start and finish events (each has a subset).
struct AnswerFields {
  std::string_view model, text, end;
  mj_usage usage{};
  bool has_model = false, has_text = false, has_end = false, has_usage = false;
  bool has_error = false;
  AcmeError error;
};

AnswerFields read_answer(ondemand::object& root, std::string_view what) {
  AnswerFields out;
  // One pass over the object: each known key to its reader; any error is MJ_ERR_PARSE naming `what`.
  sdk::read_root_fields(root, kDisplayName, what, [&](ondemand::raw_json_string key, ondemand::value& field) {
    if (key == "model") return sdk::read_optional_string(field, out.model, out.has_model);
    if (key == "text") return sdk::read_optional_string(field, out.text, out.has_text);
    if (key == "end") return sdk::read_optional_string(field, out.end, out.has_end);
    if (key == "tokens") {
      out.has_usage = true;
      return read_tokens(field, out.usage);
    }
    if (key == "error") {
      out.has_error = true;
      return read_error(field, out.error);
    }
    return simdjson::SUCCESS;
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// 5. The decoder: Acme's responses turned into events
// ---------------------------------------------------------------------------------------------

class AnswersDecoder final : public sdk::ResponseDecoder {
 public:
  explicit AnswersDecoder(sdk::ParserPool::Lease parser) : parser_(std::move(parser)) {}

  // HttpCall reports it first (MJ_EVENT_META) and adds it to every error that has none.
  std::string_view request_id_header() const override { return kRequestIdHeader; }

  void on_body(std::string_view body, sdk::EventSink& sink) override {
    ondemand::document document;
    ondemand::object root = sdk::open_root_object(*parser_, body, document, kDisplayName, "response");
    const AnswerFields answer = read_answer(root, "response");
    if (!answer.has_text) throw sdk::ProviderError(MJ_ERR_PARSE, std::string(kDisplayName) + " response has no text");
    if (answer.has_model) sink.meta({}, answer.model);  // the model that served: a dated snapshot
    if (!answer.text.empty()) sink.text(answer.text);
    if (answer.has_usage) sink.usage(answer.usage);
    if (answer.has_end) sink.stop(stop_reason(answer.end), answer.end);
  }

  bool on_event(const sdk::SseEvent& event, sdk::EventSink& sink) override {
    // Unknown event types (pings, kinds a later API version adds) are skipped, not errors.
    if (event.type != "start" && event.type != "text" && event.type != "finish" && event.type != "error") {
      return true;
    }
    ondemand::document document;
    ondemand::object root =
        sdk::open_root_object(*parser_, event.data, document, kDisplayName, "stream event");
    const AnswerFields fields = read_answer(root, "stream event");
    if (event.type == "error") {
      // An in-band failure after the 200 head: the text streamed so far stays with the error.
      const AcmeError& error = fields.error;
      throw sdk::ProviderError(
          error_kind(error.code, 0),
          std::string(kDisplayName) + " stream error: " + std::string(error.has_message ? error.message : "no message"),
          200,
          std::string(error.code), {}, error.retry_in_ms);
    }
    if (event.type == "start") {
      if (fields.has_model) sink.meta({}, fields.model);
      return true;
    }
    if (event.type == "text") {
      if (!fields.text.empty()) sink.text(fields.text);
      return true;
    }
    // finish: usage and the stop reason, then the stream is complete.
    if (fields.has_usage) sink.usage(fields.usage);
    if (fields.has_end) sink.stop(stop_reason(fields.end), fields.end);
    return false;
  }

  void on_stream_end(bool terminator_seen, sdk::EventSink& /*sink*/) override {
    // Without `finish` the answer may be cut anywhere: never pass it off as complete.
    if (!terminator_seen) {
      throw sdk::ProviderError(MJ_ERR_CONNECTION, std::string(kDisplayName) +
                                                      " stream ended before its finish event: the connection "
                                                      "was closed mid-answer");
    }
  }

  [[noreturn]] void on_error_status(const sdk::HttpExchange& exchange, std::string_view body) override {
    const int status = exchange.status();
    // The retry hint: the Retry-After / retry-after-ms headers, else the body's retry_in_ms.
    int64_t retry_after = sdk::retry_after_ms(exchange);

    sdk::ErrorBody error_body(body);  // a padded copy: `body` has no padding guarantee here
    AcmeError error;
    ondemand::object root;
    ondemand::value value;
    if (error_body.open_object(*parser_, root) && root["error"].get(value) == simdjson::SUCCESS) {
      if (read_error(value, error) != simdjson::SUCCESS) error = AcmeError{};  // half-read: trust none
    }
    if (retry_after < 0) retry_after = error.retry_in_ms;
    const int32_t kind = error.has_code ? error_kind(error.code, status) : sdk::error_kind_for_http_status(status);
    // "Acme 429: <message>", or what the body held instead (an HTML page from a proxy, say).
    std::string message = sdk::error_status_message(
        kDisplayName, status, body,
        error.has_message ? std::optional<std::string_view>(error.message) : std::nullopt);
    throw sdk::ProviderError(kind, std::move(message), status, std::string(error.code), {}, retry_after);
  }

 private:
  sdk::ParserPool::Lease parser_;  // from the instance's pool: its buffers outlive this call
};

// ---------------------------------------------------------------------------------------------
// 6. The provider: options, request bodies, calls
// ---------------------------------------------------------------------------------------------

// The SDK's base holds the transport (thread-safe, pools connections per origin) and the simdjson
// parsers (one per call in flight, reused), and answers info(). Acme takes no provider options:
// `--option anything=…` is a configuration error naming them.
class AcmeProvider : public sdk::OptionlessHttpProvider<kProviderInfo> {
 public:
  using OptionlessHttpProvider::OptionlessHttpProvider;

  // Path and body only (no I/O): the host decides the URL, the key's header and every other one.
  sdk::Prepared build(const mj_request& request) const {
    const std::string_view model = sdk::validated_model(request, kProviderId);
    check_format(request, model);

    sdk::Prepared prepared;
    prepared.path = kAnswersPath;
    prepared.body.reserve(sdk::estimated_body_size(request, 160));
    sdk::JsonWriter json(prepared.body);
    json.raw("{").key("model").string(model);
    if (const std::string_view system = sdk::view(request.system); !system.empty()) {
      json.raw(",").key("instructions").string(system);
    }
    json.raw(",").key("turns").raw("[");
    for (std::size_t i = 0; i < request.message_count; ++i) {
      const mj_message& message = request.messages[i];
      std::string_view from;
      if (message.role == MJ_ROLE_USER) from = "user";
      else if (message.role == MJ_ROLE_ASSISTANT) from = "assistant";
      else throw sdk::ProviderError(MJ_ERR_CONFIGURATION, "message " + std::to_string(i) + " has an unknown role");
      json.raw(i == 0 ? "{" : ",{").key("from").string(from);
      json.raw(",").key("text").string(sdk::view(message.content)).raw("}");
    }
    json.raw("]");
    if (request.max_tokens > 0) json.raw(",").key("max_output_tokens").number(request.max_tokens);
    if (request.flags & MJ_REQUEST_HAS_TEMPERATURE) json.raw(",").key("temperature").number(request.temperature);
    if (request.flags & MJ_REQUEST_HAS_TOP_P) json.raw(",").key("top_p").number(request.top_p);
    if (request.response_format == MJ_FORMAT_JSON_OBJECT) json.raw(",").key("answer_format").string("json");
    // The host asks for a stream with this flag; without "stream":true Acme answers with one body.
    if (request.flags & MJ_REQUEST_STREAM) json.raw(",").key("stream").boolean(true);
    json.raw("}");
    return prepared;
  }

  // Sends at once; HttpCall then decodes lazily, and honours the proxy the host resolved.
  std::unique_ptr<sdk::Call> open(const mj_call_params& params) {
    return open_call(params, std::make_unique<AnswersDecoder>(lease_parser()));
  }

 private:
  // JSON mode where the catalog grants it; a model the catalog does not list is sent as it is (the
  // provider may know newer models than this plugin). JSON schemas Acme cannot enforce at all.
  static void check_format(const mj_request& request, std::string_view model) {
    switch (request.response_format) {
      case MJ_FORMAT_TEXT:
        return;
      case MJ_FORMAT_JSON_OBJECT: {
        const mj_model_info* entry = sdk::find_model(kModels, model);
        if (entry != nullptr && (entry->capabilities & MJ_CAP_JSON_MODE) == 0) {
          throw sdk::ProviderError(MJ_ERR_UNSUPPORTED, std::string(kDisplayName) + " model " + std::string(model) +
                                                           " has no JSON mode; acme-swift has");
        }
        return;
      }
      case MJ_FORMAT_JSON_SCHEMA:
        throw sdk::ProviderError(MJ_ERR_UNSUPPORTED, std::string(kDisplayName) +
                                                         " cannot hold answers to a JSON schema; ask for a "
                                                         "JSON object instead");
      default:
        sdk::throw_unknown_response_format(request.response_format);
    }
  }
};

}  // namespace

MAJORDOMO_EXPORT_PROVIDER(AcmeProvider)
