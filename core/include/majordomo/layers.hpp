// Layers (0.4): a base for middleware that wraps one LLM, and composing middleware in one expression.
#pragma once

#include <majordomo/export.hpp>
#include <majordomo/llm.hpp>

#include <chrono>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace majordomo {

// A middleware that wraps one LLM. Every virtual of LLM is forwarded to the wrapped LLM, so a
// subclass overrides only what it changes (usually complete() and stream()) and cannot break the
// layers around it by forgetting to forward the rest. Obligations of a subclass: pass each
// request on (everything a call needs travels in LLMRequest, including its deadline and answer
// check), return the Response and rethrow errors of the wrapped LLM with their records
// (Response::records, ErrorDetails::records) intact, and never resend: retries belong to the
// provider-bound LLM.
class MAJORDOMO_API ForwardingLLM : public LLM {
 public:
  // Throws ConfigurationError when `inner` is null.
  explicit ForwardingLLM(std::shared_ptr<LLM> inner);

  std::string_view provider() const noexcept override { return inner_->provider(); }
  std::string_view model() const noexcept override { return inner_->model(); }
  [[nodiscard]] Response complete(const LLMRequest& request) override { return inner_->complete(request); }
  [[nodiscard]] ResponseStream stream(const LLMRequest& request) override { return inner_->stream(request); }
  [[nodiscard]] std::vector<ResolvedRequest> resolve(const LLMRequest& request, bool stream) const override {
    return inner_->resolve(request, stream);
  }
  [[nodiscard]] std::vector<std::string> warnings() const override { return inner_->warnings(); }
  std::string_view alias() const noexcept override { return inner_->alias(); }
  std::chrono::milliseconds call_deadline() const noexcept override { return inner_->call_deadline(); }

  const std::shared_ptr<LLM>& inner() const noexcept { return inner_; }

 private:
  std::shared_ptr<LLM> inner_;
};

// Wraps the LLM it is given in a middleware and returns the wrapper (e.g. logging_layer() in
// logging.hpp, or a lambda that makes a ForwardingLLM of your own).
using Layer = std::function<std::shared_ptr<LLM>(std::shared_ptr<LLM>)>;

// `base` wrapped by each layer in turn, the first innermost:
//   layered(host.get_cascade("openai:gpt-4o,anthropic:claude-haiku-4-5"), {logging_layer(options)})
// is Logging(Cascade(openai, anthropic)). Throws ConfigurationError when `base` is null or a layer
// returns null (naming its position).
[[nodiscard]] MAJORDOMO_API std::shared_ptr<LLM> layered(std::shared_ptr<LLM> base, std::initializer_list<Layer> layers);

}  // namespace majordomo
