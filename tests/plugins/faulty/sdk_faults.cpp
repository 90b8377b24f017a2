// Fault plugin "sdk-faults": an SDK plugin whose own code throws on request (option fault=...).
// constructor, destructor, build, open, decoder (a 2xx body) and error_decoder (a non-2xx body)
// throw ordinary C++ exceptions; the export glue must turn each into kind plugin (or drop it, for
// the destructor) and keep the HTTP status the transport read. Talks HTTP to the base URL. (A
// Call's destructor is noexcept in the SDK, so "throws on close" is raw_faults.cpp's to show.)
#include <majordomo/sdk/call.hpp>
#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/http.hpp>
#include <majordomo/sdk/plugin.hpp>

#include <memory>
#include <stdexcept>
#include <string>

namespace {

using majordomo::sdk::to_mj;
using majordomo::sdk::view;

const mj_model_info kModels[] = {{sizeof(mj_model_info), MJ_CAP_STREAMING, to_mj("faulty-1"), 1.0, 2.0, -1, -1, 100}};

std::string fault_option(const mj_instance_config& config) {
  for (std::size_t i = 0; i < config.option_count; ++i) {
    if (view(config.options[i].name) == "fault") return std::string(view(config.options[i].value));
  }
  return {};
}

class FaultyDecoder final : public majordomo::sdk::ResponseDecoder {
 public:
  explicit FaultyDecoder(std::string fault) : fault_(std::move(fault)) {}
  void on_body(std::string_view body, majordomo::sdk::EventSink& sink) override {
    if (fault_ == "decoder") throw std::out_of_range("decoder failure: no field 'answer'");
    sink.text(body);
    sink.stop(MJ_STOP_END_TURN, "done");
  }
  bool on_event(const majordomo::sdk::SseEvent&, majordomo::sdk::EventSink&) override { return false; }
  void on_stream_end(bool, majordomo::sdk::EventSink&) override {}
  [[noreturn]] void on_error_status(const majordomo::sdk::HttpExchange& exchange, std::string_view) override {
    if (fault_ == "error_decoder") throw std::logic_error("error decoder failure");
    throw majordomo::sdk::ProviderError(majordomo::sdk::error_kind_for_http_status(exchange.status()),
                                        "sdk-faults: HTTP " + std::to_string(exchange.status()), exchange.status());
  }

 private:
  std::string fault_;
};

class FaultyProvider {
 public:
  static const mj_provider_info& info() {
    static const mj_provider_info provider{
        sizeof(mj_provider_info), MJ_AUTH_NONE, to_mj("sdk-faults"), to_mj("SDK faults (test)"), to_mj("1.0.0"),
        to_mj("http://127.0.0.1:9/v1"), to_mj(""), to_mj("SDK_FAULTS_BASE_URL"), to_mj(""), nullptr, 0, nullptr, 0,
        kModels, 1, 0, 0};
    return provider;
  }

  explicit FaultyProvider(const mj_instance_config& config)
      : fault_(fault_option(config)), transport_(majordomo::sdk::TransportConfig::from(config)) {
    if (fault_ == "constructor") throw std::runtime_error("constructor failure");
  }
  ~FaultyProvider() noexcept(false) {
    if (fault_ == "destructor") throw std::runtime_error("destructor failure");
  }

  majordomo::sdk::Prepared build(const mj_request&) {
    if (fault_ == "build") throw std::invalid_argument("build failure");
    return {"/chat/completions", "{}"};  // a path the fake server answers (as OpenAI)
  }

  std::unique_ptr<majordomo::sdk::Call> open(const mj_call_params& params) {
    if (fault_ == "open") throw std::runtime_error("open failure");
    return std::make_unique<majordomo::sdk::HttpCall>(transport_, params, std::make_unique<FaultyDecoder>(fault_));
  }

 private:
  std::string fault_;
  majordomo::sdk::HttpTransport transport_;
};

}  // namespace

MAJORDOMO_EXPORT_PROVIDER(FaultyProvider)
