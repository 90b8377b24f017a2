// A minimal provider plugin: an OpenAI-compatible "complete a prompt" API, to copy from.
#include <majordomo/sdk/call.hpp>
#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/json_writer.hpp>
#include <majordomo/sdk/plugin.hpp>

#include <simdjson.h>

#include <string>

namespace {

using majordomo::sdk::to_mj;
using majordomo::sdk::view;

const mj_model_info kModels[] = {
    // id, USD per million input / output / cached-input / cache-write tokens, output cap
    {sizeof(mj_model_info), MJ_CAP_STREAMING, to_mj("example-small"), 0.10, 0.40, -1, -1, 4096},
};

// Decodes {"text": "...", "input_tokens": N, "output_tokens": N} and SSE events {"delta": "..."}.
class ExampleDecoder final : public majordomo::sdk::ResponseDecoder {
 public:
  std::string_view request_id_header() const override { return "x-request-id"; }

  void on_body(std::string_view body, majordomo::sdk::EventSink& sink) override {
    simdjson::ondemand::document doc;
    std::string_view text;
    if (parser_.iterate(body.data(), body.size(), body.size() + simdjson::SIMDJSON_PADDING).get(doc) ||
        doc["text"].get_string().get(text)) {
      throw majordomo::sdk::ProviderError(MJ_ERR_PARSE, "example: response is not the expected JSON");
    }
    sink.text(text);
    sink.stop(MJ_STOP_END_TURN, "done");
  }

  bool on_event(const majordomo::sdk::SseEvent& event, majordomo::sdk::EventSink& sink) override {
    if (event.data == "[DONE]") return false;
    simdjson::ondemand::document doc;
    std::string_view delta;
    if (parser_.iterate(event.data.data(), event.data.size(), event.data.size() + simdjson::SIMDJSON_PADDING)
            .get(doc) ||
        doc["delta"].get_string().get(delta)) {
      throw majordomo::sdk::ProviderError(MJ_ERR_PARSE, "example: stream event is not the expected JSON");
    }
    sink.text(delta);
    return true;
  }

  void on_stream_end(bool terminator_seen, majordomo::sdk::EventSink&) override {
    if (!terminator_seen) {
      throw majordomo::sdk::ProviderError(MJ_ERR_CONNECTION, "example: stream ended before [DONE]");
    }
  }

  [[noreturn]] void on_error_status(const majordomo::sdk::HttpExchange& exchange, std::string_view) override {
    const int status = exchange.status();
    throw majordomo::sdk::ProviderError(majordomo::sdk::error_kind_for_http_status(status),
                                        "example: HTTP " + std::to_string(status), status);
  }

 private:
  simdjson::ondemand::parser parser_;
};

class ExampleProvider {
 public:
  static const mj_provider_info& info() {
    static const mj_provider_info provider{
        sizeof(mj_provider_info), MJ_AUTH_BEARER, to_mj("example"), to_mj("Example"),
        to_mj("0.1.0"), to_mj("https://api.example.invalid/v1"), to_mj("EXAMPLE_API_KEY"),
        to_mj("EXAMPLE_BASE_URL"), {}, nullptr, 0, nullptr, 0, kModels, 1};
    return provider;
  }

  explicit ExampleProvider(const mj_instance_config& config)
      : transport_(majordomo::sdk::TransportConfig::from(config)) {}

  // Path and body only: the host decides the URL and every header.
  majordomo::sdk::Prepared build(const mj_request& request) {
    majordomo::sdk::Prepared out;
    out.path = "/complete";
    majordomo::sdk::JsonWriter json(out.body);
    json.raw("{").key("model").string(view(request.model));
    json.raw(",").key("prompt").string(view(request.messages[request.message_count - 1].content));
    if (request.flags & MJ_REQUEST_STREAM) json.raw(",").key("stream").boolean(true);
    json.raw("}");
    return out;
  }

  std::unique_ptr<majordomo::sdk::Call> open(const mj_call_params& params) {
    return std::make_unique<majordomo::sdk::HttpCall>(transport_, params, std::make_unique<ExampleDecoder>());
  }

 private:
  majordomo::sdk::HttpTransport transport_;
};

}  // namespace

MAJORDOMO_EXPORT_PROVIDER(ExampleProvider)
