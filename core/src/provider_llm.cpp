// ProviderLLM: request preparation through the resolution pipeline and the plugin's event path.
#include "provider_llm.hpp"

#include "attempt_history.hpp"
#include "call_deadline.hpp"
#include "provider_stream.hpp"
#include "request_turns.hpp"
#include "sent_requests.hpp"
#include "usage_check.hpp"

#include <majordomo/errors.hpp>
#include <majordomo/sdk/str.hpp>

#include <simdjson.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <limits>
#include <optional>
#include <utility>

namespace majordomo {
namespace {

using sdk::to_mj;
using sdk::view;

void require_utf8(std::string_view text, std::string_view what, std::string_view provider) {
  if (!simdjson::validate_utf8(text.data(), text.size())) {
    ErrorDetails details;
    details.kind = ErrorKind::bad_request;
    details.provider = std::string(provider);
    details.message = fmt::format("{} is not valid UTF-8; providers accept UTF-8 text only", what);
    throw_error(std::move(details));
  }
}

int64_t to_millis(std::chrono::milliseconds value, std::string_view name, std::string_view provider) {
  if (value.count() < 0) {
    throw_configuration_error(fmt::format("timeout '{}' is negative", name), std::string(provider));
  }
  return value.count();
}

// A ResponseLimits value for mj_instance_config: 0 stays "the plugin's default".
int64_t byte_limit(std::size_t bytes) noexcept {
  return static_cast<int64_t>(std::min<std::size_t>(bytes, static_cast<std::size_t>(std::numeric_limits<int64_t>::max())));
}

void check_retry_policy(const RetryPolicy& policy, std::string_view provider) {
  if (policy.max_attempts < 1) {
    throw_configuration_error("retry.max_attempts must be at least 1 (1 turns retrying off)", std::string(provider));
  }
  if (policy.base_delay.count() < 0 || policy.max_delay.count() < 0 || policy.max_retry_after.count() < 0) {
    throw_configuration_error("retry delays must not be negative", std::string(provider));
  }
}


}  // namespace


ProviderLLM::ProviderLLM(std::shared_ptr<const LoadedPlugin> plugin, std::string model,
                         ClientOptions options, std::shared_ptr<const std::vector<ModelInfo>> catalog)
    : plugin_(std::move(plugin)), model_(std::move(model)), retry_(std::move(options.retry)),
      catalog_(std::move(catalog)) {
  const PluginInfo& info = plugin_->info;
  const mj_provider_info& raw = plugin_->provider;
  const std::string& provider = info.provider_id;
  if (model_.empty()) throw_configuration_error("no model given", provider);
  require_utf8(model_, "the model id", provider);

  check_retry_policy(retry_, provider);
  if (options.timeouts.deadline.count() > 0) deadline_ = options.timeouts.deadline;
  plugin_reads_time_left_ =
      plugin_->call_params_size >= offsetof(mj_call_params, time_left_ms) + sizeof(mj_call_params::time_left_ms);
  plugin_reads_cancel_fd_ = plugin_->call_params_size >= MJ_FIELD_END(mj_call_params, cancel_fd);
  endpoint_ = resolution::resolve_base_url(options.base_url, info.base_url_env,
                                           info.default_base_url, provider);
  std::string api_key;
  if (options.api_key) {
    api_key = *options.api_key;
  } else if (!info.api_key_env.empty()) {
    if (const char* env = std::getenv(info.api_key_env.c_str()); env != nullptr) api_key = env;
  }
  for (unsigned char c : api_key) {
    if (c < 0x20 || c == 0x7f) {
      throw_configuration_error("the API key contains a control character (a stray newline?)",
                                provider);
    }
  }
  proxy_ = resolution::resolve_proxy(options.proxy, options.no_proxy, endpoint_.base_url, provider);
  if (!proxy_.url.empty() &&
      plugin_->call_params_size < offsetof(mj_call_params, proxy) + sizeof(mj_call_params::proxy)) {
    throw_configuration_error(
        fmt::format("the {} plugin ({}) was built against a majordomo SDK without proxy support, so it "
                    "would ignore proxy {} from {}; rebuild the plugin against this SDK, or exempt its host "
                    "with --no-proxy/NO_PROXY",
                    provider, info.path.string(), proxy_.redacted, proxy_.source),
        provider);
  }
  if (raw.auth_scheme == MJ_AUTH_HEADER) auth_header_.assign(view(raw.auth_header));
  if (raw.auth_scheme == MJ_AUTH_BEARER) auth_header_ = "Authorization";

  instance_headers_ = resolution::provider_headers(raw, api_key, endpoint_);
  resolution::validate_headers(instance_headers_, fmt::format("the {} plugin's headers", provider),
                               provider);
  resolution::validate_headers(options.default_headers, "default_headers", provider);
  const bool auth_from_headers =
      !auth_header_.empty() && options.default_headers.contains(auth_header_);
  if (raw.auth_scheme != MJ_AUTH_NONE && api_key.empty() && !auth_from_headers) {
    throw_configuration_error(
        fmt::format("no API key for provider '{}': pass --api-key (ClientOptions::api_key){}, or "
                    "set the {} header yourself in default_headers",
                    provider,
                    info.api_key_env.empty() ? std::string()
                                             : fmt::format(" or set {}", info.api_key_env),
                    auth_header_),
        provider);
  }
  instance_headers_.merge(options.default_headers);
  secrets_.add(api_key);
  secrets_.add_headers(instance_headers_, auth_header_);
  secrets_.add_url_userinfo(proxy_.url);  // the password, and the Basic form the proxy receives
  shared_secrets_ = std::make_shared<const SecretValues>(secrets_);
  record_parts_ = instance_record_parts(instance_headers_, auth_header_, shared_secrets_);
  plugin_label_ = plugin_->label();
  receiver_ = RequestReceiver{provider, plugin_label_, raw.request_features, model_, info.find_model(model_)};

  std::vector<mj_header> option_pairs;
  option_pairs.reserve(options.provider_options.size());
  for (const auto& [key, value] : options.provider_options) {
    option_pairs.push_back(mj_header{to_mj(key), to_mj(value)});
  }
  mj_instance_config config{};
  config.struct_size = sizeof(config);
  config.flags = options.tls.verify ? 0u : static_cast<uint32_t>(MJ_INSTANCE_TLS_NO_VERIFY);
  config.ca_file = to_mj(options.tls.ca_file);
  config.connect_timeout_ms = to_millis(options.timeouts.connect, "connect", provider);
  config.first_byte_timeout_ms = to_millis(options.timeouts.first_byte, "first_byte", provider);
  config.idle_timeout_ms = to_millis(options.timeouts.idle, "idle", provider);
  config.total_timeout_ms = to_millis(options.timeouts.total, "total", provider);
  // No attempt outlives the whole call: this bounds a plugin that cannot read time_left_ms too.
  if (deadline_.count() > 0 && (config.total_timeout_ms <= 0 || config.total_timeout_ms > deadline_.count())) {
    config.total_timeout_ms = deadline_.count();
  }
  config.max_event_bytes = byte_limit(options.limits.max_event_bytes);
  config.max_body_bytes = byte_limit(options.limits.max_body_bytes);
  config.options = option_pairs.data();
  config.option_count = option_pairs.size();
  const auto instance_create = plugin_->table.instance_create;
  mj_status* status = into_plugin("instance_create", [&] { return instance_create(&config, &instance_); });
  if (status != nullptr) throw_status(status);
}

ProviderLLM::~ProviderLLM() {
  if (instance_ == nullptr) return;
  try {
    plugin_->table.instance_destroy(instance_);
  } catch (...) {  // the plugin broke the ABI in its destructor: the instance is gone either way
  }
}

void ProviderLLM::PreparedRelease::operator()(mj_prepared* prepared) const noexcept {
  try {
    plugin->table.prepared_release(prepared);
  } catch (...) {  // as above: a release that throws has nothing left to report to
  }
}

void ProviderLLM::throw_plugin_fault(const char* function, std::string what, const HeaderSet* request_headers,
                                     std::string partial_content) const {
  ErrorDetails details;
  details.kind = ErrorKind::plugin;
  details.provider = plugin_->info.provider_id;
  details.partial_content = std::move(partial_content);
  scrub(what, request_headers);
  details.message = fmt::format(
      "{} broke the plugin ABI in {} ({}); this is a bug in the plugin, not in the request: "
      "report it to the plugin's author (majordomo does not retry it)",
      plugin_->label(), function, what);
  throw_error(std::move(details));
}

namespace {

// Whether a request's headers carry a credential of their own. When they do not (the usual case),
// the instance's set is used as it is instead of copied per META event or error message.
bool adds_secrets(const HeaderSet* request_headers, std::string_view auth_header) {
  return request_headers != nullptr &&
         std::any_of(request_headers->begin(), request_headers->end(),
                     [&](const auto& header) { return resolution::is_secret_header(header.name, auth_header); });
}

}  // namespace

SecretValues ProviderLLM::secrets_for(const HeaderSet* request_headers) const {
  SecretValues secrets = secrets_;
  if (request_headers != nullptr) secrets.add_headers(*request_headers, auth_header_);
  return secrets;
}

void ProviderLLM::scrub(std::string& text, const HeaderSet* request_headers) const {
  if (!adds_secrets(request_headers, auth_header_)) {
    secrets_.scrub(text);
    return;
  }
  secrets_for(request_headers).scrub(text);
}

std::string ProviderLLM::scrubbed_value(std::string_view value, const HeaderSet* request_headers) const {
  if (!adds_secrets(request_headers, auth_header_)) return secrets_.scrubbed_value(value);
  return secrets_for(request_headers).scrubbed_value(value);
}

void ProviderLLM::throw_status(mj_status* status, std::string partial_content,
                               std::string_view fallback_request_id,
                               const HeaderSet* request_headers) const {
  ErrorDetails details;
  details.provider = plugin_->info.provider_id;
  details.partial_content = std::move(partial_content);
  if (status == nullptr) {
    details.kind = ErrorKind::plugin;
    details.message = fmt::format("{} reported a failure without a status; this is a bug in the plugin: "
                                  "report it to the plugin's author", plugin_->label());
    throw_error(std::move(details));
  }
  // Copy everything out, then release the status before anything else can throw.
  const std::optional<mj_status> fields = read_plugin_struct(status, MJ_STATUS_V1_SIZE);
  if (fields) {
    details.kind = static_cast<ErrorKind>(fields->kind);
    details.http_status = fields->http_status;
    details.message.assign(plugin_view(fields->message));
    details.provider_error_type.assign(plugin_view(fields->provider_error_type));
    details.request_id.assign(plugin_view(fields->request_id));
    if (fields->retry_after_ms >= 0) details.retry_after_ms = fields->retry_after_ms;
  } else {
    details.kind = ErrorKind::plugin;
    details.message = "it reported an error in a truncated mj_status";
  }
  try {
    plugin_->table.status_release(status);
  } catch (...) {  // the error being reported matters more than the plugin's fault in releasing it
  }
  if (details.request_id.empty()) details.request_id.assign(fallback_request_id);
  if (details.message.empty()) details.message = fmt::format("{} error", to_string(details.kind));
  if (details.kind == ErrorKind::plugin) {
    details.message = fmt::format("{} failed: {}; this is a bug in the plugin, not in the request: report it "
                                  "to the plugin's author (majordomo does not retry it)",
                                  plugin_->label(), details.message);
  }
  std::optional<SecretValues> extended;
  if (adds_secrets(request_headers, auth_header_)) extended = secrets_for(request_headers);
  const SecretValues& secrets = extended ? *extended : secrets_;
  secrets.scrub(details.message);
  details.provider_error_type = secrets.scrubbed_value(details.provider_error_type);
  details.request_id = secrets.scrubbed_value(details.request_id);
  throw_error(std::move(details));
}

ProviderLLM::BuiltRequest ProviderLLM::build(const LLMRequest& request, bool stream) const {
  const std::string& provider = plugin_->info.provider_id;
  const RequestOptions& options = request.options;
  const RequestTurns turns(request, receiver_);
  mj_request raw{};
  raw.struct_size = sizeof(raw);
  raw.model = to_mj(model_);
  turns.fill(raw);
  if (stream) raw.flags |= MJ_REQUEST_STREAM;
  if (options.temperature) {
    if (!std::isfinite(*options.temperature) || *options.temperature < 0) {
      throw_configuration_error("temperature must be a finite number >= 0", provider);
    }
    raw.flags |= MJ_REQUEST_HAS_TEMPERATURE;
    raw.temperature = *options.temperature;
  }
  if (options.top_p) {
    if (!std::isfinite(*options.top_p) || *options.top_p < 0 || *options.top_p > 1) {
      throw_configuration_error("top_p must be a number between 0 and 1", provider);
    }
    raw.flags |= MJ_REQUEST_HAS_TOP_P;
    raw.top_p = *options.top_p;
  }
  if (options.max_tokens) {
    if (*options.max_tokens <= 0) throw_configuration_error("max_tokens must be positive", provider);
    raw.max_tokens = *options.max_tokens;
  }
  switch (request.format) {
    case ResponseFormat::text: raw.response_format = MJ_FORMAT_TEXT; break;
    case ResponseFormat::json_object: raw.response_format = MJ_FORMAT_JSON_OBJECT; break;
    case ResponseFormat::json_schema: {
      // Plugins splice the schema into the body verbatim: it must be one JSON object.
      simdjson::dom::parser parser;
      simdjson::dom::object object;
      if (const auto error = parser.parse(request.schema_json).get(object)) {
        throw_configuration_error(
            fmt::format("schema_json is not a JSON object ({}); pass the JSON Schema as text",
                        simdjson::error_message(error)),
            provider);
      }
      raw.response_format = MJ_FORMAT_JSON_SCHEMA;
      raw.schema_json = to_mj(request.schema_json);
      raw.schema_name = to_mj(request.schema_name);
      break;
    }
  }

  // Validate the caller's headers before the plugin does any work.
  resolution::validate_headers(options.extra_headers, "per-request extra_headers", provider);

  mj_prepared* raw_prepared = nullptr;
  const auto request_build = plugin_->table.request_build;
  if (mj_status* status = into_plugin(
          "request_build", [&] { return request_build(instance_, &raw, &raw_prepared); }, &options.extra_headers);
      status != nullptr) {
    throw_status(status, {}, {}, &options.extra_headers);
  }
  BuiltRequest built{PreparedPtr(raw_prepared, PreparedRelease{plugin_.get()}), {}, {}, turns.tool_schemas(), {}};
  const std::optional<mj_prepared> fields = read_plugin_struct(raw_prepared, MJ_PREPARED_V1_SIZE);
  if (!fields || !(fields->path.size == 0 || fields->path.data != nullptr) ||
      !(fields->body.size == 0 || fields->body.data != nullptr)) {
    throw_plugin_fault("request_build", "it returned a missing or malformed mj_prepared", &options.extra_headers, {});
  }
  built.fields = *fields;
  built.url = resolution::join_url(endpoint_.base_url, view(built.fields.path));
  built.recorded_body = turns.body_without_images(view(built.fields.body));
  return built;
}

ResolvedRequest ProviderLLM::prepare(const LLMRequest& request, bool stream) const {
  const BuiltRequest built = build(request, stream);
  ResolvedRequest resolved;
  resolved.provider = plugin_->info.provider_id;
  resolved.model = model_;
  resolved.stream = stream;
  resolved.url = built.url;
  resolved.body.assign(view(built.fields.body));
  resolved.auth_header = auth_header_;
  resolved.proxy = proxy_.redacted;
  resolved.headers = instance_headers_;
  resolved.headers.merge(request.options.extra_headers);
  return resolved;
}

std::unique_ptr<ProviderStreamSource> ProviderLLM::open(const LLMRequest& request, bool stream) {
  // The deadline starts before the request is built: the whole call is bounded.
  CallDeadline deadline(deadline_, request.deadline);
  if (deadline.passed()) {
    throw_deadline_passed(deadline, plugin_->info.provider_id, fmt::format("the {} call", provider()),
                          " before its first attempt", {});
  }
  if (request.cancellation && request.cancellation->cancelled()) {
    throw_call_cancelled(plugin_->info.provider_id, "before its first attempt", {});
  }
  BuiltRequest built = build(request, stream);
  const HeaderSet& extra = request.options.extra_headers;
  std::shared_ptr<const SecretValues> secrets =
      adds_secrets(&extra, auth_header_) ? std::make_shared<const SecretValues>(secrets_for(&extra)) : shared_secrets_;
  AttemptRecord record = record_template(plugin_->info.provider_id, model_, stream ? CallOperation::stream : CallOperation::complete,
                                         built.url, built.recorded_body.empty() ? view(built.fields.body) : built.recorded_body,
                                         extra, auth_header_, proxy_.redacted,
                                         record_parts_, std::move(secrets));
  auto source = std::make_unique<ProviderStreamSource>(shared_from_this(), std::move(built), extra, stream,
                                                       request.options.fail_on_truncation, deadline, std::move(record),
                                                       request.cancellation);
  source->start();
  return source;
}

Response ProviderLLM::complete(const LLMRequest& request) {
  auto source = open(request, false);
  StreamChunk chunk;
  while (source->next(chunk)) {
  }
  Response response = source->take_response();
  if (request.check_answer) {
    try {
      request.check_answer(response);
    } catch (const Error& refused) {
      // The answer arrived and was paid for: its record keeps the usage and says why it was refused.
      AttemptRecord& last = response.records.back();
      last.error = refused.kind();
      last.message = redact_credentials(last, refused.details().message);  // may quote the answer
      ErrorDetails details = refused.details();
      if (details.provider.empty()) details.provider = response.provider;
      if (details.request_id.empty()) details.request_id = response.request_id;
      details.failed_attempts.insert(details.failed_attempts.begin(), response.failed_attempts.begin(),
                                     response.failed_attempts.end());
      details.records.insert(details.records.begin(), response.records.begin(), response.records.end());
      throw_error(std::move(details));
    }
  }
  return response;
}

ResponseStream ProviderLLM::stream(const LLMRequest& request) {
  return ResponseStream(open(request, true));
}

std::vector<ResolvedRequest> ProviderLLM::resolve(const LLMRequest& request, bool stream) const {
  std::vector<ResolvedRequest> out;
  out.push_back(prepare(request, stream));
  return out;
}

void ProviderLLM::price(Response& response) const {
  const auto find = [&](std::string_view id) -> const ModelInfo* {
    if (!catalog_) return plugin_->info.find_model(id);
    for (const auto& entry : *catalog_) {
      if (entry.id == id) return &entry;
    }
    return nullptr;
  };
  const ModelInfo* model = find(model_);
  if (model == nullptr) model = find(response.model);
  if (model == nullptr || !model->priced()) return;
  const Usage& usage = response.usage;
  const double per_token = 1e-6;
  const double cached_price =
      model->cached_input_usd_per_mtok >= 0 ? model->cached_input_usd_per_mtok : model->input_usd_per_mtok;
  const double write_price =
      model->cache_write_usd_per_mtok >= 0 ? model->cache_write_usd_per_mtok : model->input_usd_per_mtok;
  const int64_t uncached =
      std::max<int64_t>(0, usage.input_tokens - usage.cached_tokens - usage.cache_write_tokens);
  response.cost.input = per_token * (static_cast<double>(uncached) * model->input_usd_per_mtok +
                                     static_cast<double>(usage.cached_tokens) * cached_price +
                                     static_cast<double>(usage.cache_write_tokens) * write_price);
  response.cost.output = per_token * static_cast<double>(usage.output_tokens) * model->output_usd_per_mtok;
  response.cost.total = response.cost.input + response.cost.output;
  // The counts were checked (checked_usage); a catalog price that is negative or so large the
  // product overflows leaves the answer unpriced rather than billed at inf, NaN or below zero.
  if (!std::isfinite(response.cost.total) || response.cost.input < 0 || response.cost.output < 0) {
    response.cost = Cost{};
    return;
  }
  response.cost.priced = true;
}

}  // namespace majordomo
