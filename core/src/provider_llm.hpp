// ProviderLLM: the LLM bound to one plugin, one model and one set of client options.
#pragma once

#include "plugin_boundary.hpp"
#include "plugin_library.hpp"
#include "request_turns.hpp"
#include "resolution.hpp"
#include "secret_values.hpp"
#include "sent_requests.hpp"

#include <majordomo/host.hpp>
#include <majordomo/llm.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace majordomo {

class ProviderStreamSource;

class ProviderLLM final : public LLM, public std::enable_shared_from_this<ProviderLLM> {
 public:
  // Resolves endpoint, API key and instance headers and creates the plugin instance. Throws
  // ConfigurationError before any I/O. Use create(); the constructor is public for make_shared.
  // `catalog` is the provider's model catalog with the user catalog merged in (for prices); empty
  // means the plugin's own.
  ProviderLLM(std::shared_ptr<const LoadedPlugin> plugin, std::string model, ClientOptions options,
              std::shared_ptr<const std::vector<ModelInfo>> catalog = nullptr);
  ~ProviderLLM() override;
  ProviderLLM(const ProviderLLM&) = delete;
  ProviderLLM& operator=(const ProviderLLM&) = delete;

  std::string_view provider() const noexcept override { return plugin_->info.provider_id; }
  std::string_view model() const noexcept override { return model_; }

  Response complete(const LLMRequest& request) override;
  ResponseStream stream(const LLMRequest& request) override;
  std::vector<ResolvedRequest> resolve(const LLMRequest& request, bool stream) const override;
  std::vector<std::string> warnings() const override { return warnings_; }
  std::string_view alias() const noexcept override { return alias_; }
  std::chrono::milliseconds call_deadline() const noexcept override { return deadline_; }

  // Set by the host right after construction, before the instance is shared.
  void set_alias(std::string alias) { alias_ = std::move(alias); }
  void add_warning(std::string warning) { warnings_.push_back(std::move(warning)); }

  const resolution::ResolvedEndpoint& endpoint() const noexcept { return endpoint_; }

 private:
  friend class ProviderStreamSource;
  struct PreparedRelease {
    const LoadedPlugin* plugin;
    void operator()(mj_prepared* prepared) const noexcept;
  };
  using PreparedPtr = std::unique_ptr<mj_prepared, PreparedRelease>;
  // The plugin's path and body for a request, and the URL they resolve to.
  struct BuiltRequest {
    PreparedPtr prepared;  // owns the plugin's memory that `fields` points into
    mj_prepared fields{};  // read through the boundary
    std::string url;
    std::shared_ptr<const ToolSchemas> tools;  // the request's tools, to check the calls in the answer
    std::string recorded_body;  // the body without image bytes, for call records; empty: the body as sent
  };
  BuiltRequest build(const LLMRequest& request, bool stream) const;
  ResolvedRequest prepare(const LLMRequest& request, bool stream) const;
  std::unique_ptr<ProviderStreamSource> open(const LLMRequest& request, bool stream);
  // Turns a plugin status into the typed exception, releasing the status first. Any credential
  // of this instance or of `request_headers` found in the message is replaced.
  [[noreturn]] void throw_status(mj_status* status, std::string partial_content = {},
                                 std::string_view fallback_request_id = {},
                                 const HeaderSet* request_headers = nullptr) const;
  // Runs one call through the plugin's function table. An exception the plugin lets escape
  // (its ABI forbids that) becomes a PluginError naming the plugin and `function`, scrubbed like
  // any plugin message, as does any other breach found in what the call returned; the host goes on. `partial_content` (the text streamed so far) is copied
  // only when that happens: this wraps every event of a stream.
  template <class Call>
  decltype(auto) into_plugin(const char* function, Call&& call, const HeaderSet* request_headers = nullptr,
                             const std::string* partial_content = nullptr) const {
    try {
      return call();
    } catch (...) {
      throw_plugin_fault(function, describe_current_exception(), request_headers,
                         partial_content != nullptr ? *partial_content : std::string());
    }
  }
  [[noreturn]] void throw_plugin_fault(const char* function, std::string what, const HeaderSet* request_headers,
                                       std::string partial_content) const;
  // The credentials of this instance, plus those of `request_headers` (docs/reliability.md, "Secrets").
  SecretValues secrets_for(const HeaderSet* request_headers) const;
  // Free text (messages) and whole values (request ids, error types, model names) from a server.
  void scrub(std::string& text, const HeaderSet* request_headers) const;
  std::string scrubbed_value(std::string_view value, const HeaderSet* request_headers) const;
  void price(Response& response) const;

  std::shared_ptr<const LoadedPlugin> plugin_;
  std::string model_;
  resolution::ResolvedEndpoint endpoint_;
  HeaderSet instance_headers_;  // provider layer < default_headers, validated
  std::string auth_header_;     // the provider's auth header name: always treated as a secret
  SecretValues secrets_;        // the API key, secret header values, the proxy's credentials
  RetryPolicy retry_;
  std::chrono::milliseconds deadline_{0};  // Timeouts::deadline; 0: none
  bool plugin_reads_time_left_ = false;    // its call_params_size reaches time_left_ms (0.3)
  bool plugin_reads_cancel_fd_ = false;    // its call_params_size reaches cancel_fd (0.6)
  std::shared_ptr<const std::vector<ModelInfo>> catalog_;
  std::string alias_;
  std::vector<std::string> warnings_;
  resolution::ResolvedProxy proxy_;  // empty url: direct
  std::string plugin_label_;  // plugin_->label(), which receiver_ refers to
  RequestReceiver receiver_;  // who requests go to, to refuse what they cannot take (views into members)
  InstanceRecordParts record_parts_;  // what every call record of the instance repeats
  std::shared_ptr<const SecretValues> shared_secrets_;  // secrets_, for the records of calls without secret extra headers
  mj_instance* instance_ = nullptr;
};

}  // namespace majordomo
