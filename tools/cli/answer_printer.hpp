// PrintingLLM: `ask` prints its answer from inside the call, so a --log row sees a failed write to stdout.
#pragma once

#include <majordomo/majordomo.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace majordomo::cli {

// How `ask` shows an answer: --output json, --json, --schema (null when not given).
struct AnswerPlan {
  bool json_output = false;
  bool json = false;
  const majordomo::JsonSchema* schema = nullptr;
};

// A middleware beneath the call log (when there is one) that prints each answer as `ask` shows it:
// the text (streamed piece by piece with --stream), the checked JSON, or the --output json object.
// Printing happens before the call returns (or, for a stream, before next() reports the end), so
// a write that fails throws DeliveryError through the LoggingLLM above, which records it.
// Requests, checks and errors pass through unchanged.
class PrintingLLM final : public majordomo::ForwardingLLM {
 public:
  PrintingLLM(std::shared_ptr<majordomo::LLM> inner, AnswerPlan plan) : ForwardingLLM(std::move(inner)), plan_(plan) {}

  majordomo::Response complete(const majordomo::LLMRequest& request) override;
  majordomo::ResponseStream stream(const majordomo::LLMRequest& request) override;

 private:
  AnswerPlan plan_;
};

}  // namespace majordomo::cli
