// Test plugin "echo": answers without any I/O by echoing the prompt, to test loading and lifetimes.
#include <majordomo/sdk/plugin.hpp>

#include <cstddef>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#ifndef MJ_TEST_PROVIDER_ID
#define MJ_TEST_PROVIDER_ID "echo"
#endif

namespace {

using majordomo::sdk::to_mj;
using majordomo::sdk::view;

const mj_model_info kModels[] = {
    {sizeof(mj_model_info), MJ_CAP_STREAMING, to_mj("echo-1"), 1.0, 2.0, 0.5, -1.0, 1000},
};
const mj_header kRequired[] = {{to_mj("X-Echo-Version"), to_mj("1")}};

// Emits the prompt's words as text events, then usage and a stop reason.
class EchoCall final : public majordomo::sdk::Call {
 public:
  explicit EchoCall(std::string prompt, std::optional<mj_usage> usage = std::nullopt)
      : prompt_(std::move(prompt)), usage_(usage) {
    std::size_t start = 0;
    while (start < prompt_.size()) {
      std::size_t end = prompt_.find(' ', start);
      end = end == std::string::npos ? prompt_.size() : end + 1;
      pieces_.emplace_back(prompt_.data() + start, end - start);
      start = end;
    }
  }

  bool next(mj_event& event) override {
    if (step_ == 0) {
      ++step_;
      event.type = MJ_EVENT_META;
      event.request_id = to_mj("echo-request");
      return true;
    }
    if (piece_ < pieces_.size()) {
      event.type = MJ_EVENT_TEXT;
      event.text = to_mj(pieces_[piece_++]);
      return true;
    }
    if (step_ == 1) {
      ++step_;
      event.type = MJ_EVENT_USAGE;
      event.usage.input_tokens = static_cast<int64_t>(pieces_.size());
      event.usage.output_tokens = static_cast<int64_t>(pieces_.size());
      if (usage_) event.usage = *usage_;
      return true;
    }
    if (step_ == 2) {
      ++step_;
      event.type = MJ_EVENT_STOP;
      event.stop_reason = MJ_STOP_END_TURN;
      event.text = to_mj("done");
      return true;
    }
    return false;
  }

 private:
  std::string prompt_;
  std::vector<std::string_view> pieces_;
  std::size_t piece_ = 0;
  int step_ = 0;
  std::optional<mj_usage> usage_;
};

// "usage I O C W R" reports those five counts (input, output, cached, cache write, reasoning) as
// they are, for the host's usage checks.
std::optional<mj_usage> scripted_usage(std::string_view prompt) {
  if (prompt.substr(0, 6) != "usage ") return std::nullopt;
  std::istringstream in{std::string(prompt.substr(6))};
  mj_usage usage{};
  in >> usage.input_tokens >> usage.output_tokens >> usage.cached_tokens >> usage.cache_write_tokens >>
      usage.reasoning_tokens;
  return usage;
}

class EchoProvider {
 public:
  static const mj_provider_info& info() {
    static const mj_provider_info provider{
        sizeof(mj_provider_info), MJ_AUTH_HEADER, to_mj(MJ_TEST_PROVIDER_ID), to_mj("Echo (test)"),
        to_mj("9.9.9"), to_mj("http://127.0.0.1:9/echo"), to_mj("ECHO_TEST_API_KEY"),
        to_mj("ECHO_TEST_BASE_URL"), to_mj("X-Echo-Key"), kRequired, 1, nullptr, 0, kModels, 1,
        0,  /* request_features: none, so the host refuses tools and images to it */
        0};
    return provider;
  }

  explicit EchoProvider(const mj_instance_config&) {}

  majordomo::sdk::Prepared build(const mj_request& request) {
    majordomo::sdk::Prepared out;
    out.path = "/echo";
    out.body = std::string(view(request.messages[request.message_count - 1].content));
    return out;
  }

  std::unique_ptr<majordomo::sdk::Call> open(const mj_call_params& params) {
    // "time left?" is answered with mj_call_params.time_left_ms as the host sent it, for the
    // deadline tests ("absent" when the host's struct is too small to hold it).
    if (view(params.body) == "time left?") {
      const bool present = params.struct_size >= offsetof(mj_call_params, time_left_ms) + sizeof(params.time_left_ms);
      return std::make_unique<EchoCall>(present ? std::to_string(params.time_left_ms) : std::string("absent"));
    }
    return std::make_unique<EchoCall>(std::string(view(params.body)), scripted_usage(view(params.body)));
  }
};

}  // namespace

#ifdef MJ_TEST_PRE_PROXY_ANSWER
// Answers as a plugin built before mj_plugin_answer.call_params_size existed: only the v1 prefix
// of the answer is written, so the host must take it for one that ignores mj_call_params.proxy.
extern "C" MJ_PLUGIN_EXPORT int32_t majordomo_plugin_entry(const mj_host_offer* offer, mj_plugin_answer* answer) {
  if (answer == nullptr) return 1;
  mj_plugin_answer v1{};
  v1.struct_size = MJ_PLUGIN_ANSWER_V1_SIZE;
  const int32_t result = majordomo::sdk::Exporter<EchoProvider>::entry(offer, &v1);
  answer->abi_min = v1.abi_min;
  answer->abi_max = v1.abi_max;
  answer->abi_chosen = v1.abi_chosen;
  answer->table = v1.table;
  return result;
}
#else
MAJORDOMO_EXPORT_PROVIDER(EchoProvider)
#endif
