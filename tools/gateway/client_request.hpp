// What the gateway's client shapes (OpenAI Chat, Anthropic Messages) share: the decoded request, refusals and error kinds.
#pragma once

#include <majordomo/majordomo.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace majordomo::gateway {

// A client's request decoded into the neutral form, plus what its shape needs to answer.
struct ClientRequest {
  std::string model;           // as the client named it: "provider/model", an alias or a cascade
  bool stream = false;
  bool include_usage = false;  // OpenAI: stream_options.include_usage (a final usage chunk)
  LLMRequest request;          // messages, options, format, tools; extra_headers are the server's
};

// A request the gateway will not run, found before anything is sent. `status` is the HTTP
// status (400, 404, 413, 422); `param` names the offending field in the client's own terms
// ("messages[2].content[0].image_url"), empty when the whole request is at fault. The message
// names the remedy. Each shape writes it as its own error object.
class ClientRefusal : public std::runtime_error {
 public:
  ClientRefusal(int status, std::string message, std::string param = {})
      : std::runtime_error(std::move(message)), status_(status), param_(std::move(param)) {}
  int status() const noexcept { return status_; }
  const std::string& param() const noexcept { return param_; }

 private:
  int status_;
  std::string param_;
};

// How a failure is reported to a client, whatever its shape: the HTTP status, and the error
// type each SDK maps to its own exception class.
struct ClientError {
  int status = 500;
  std::string message;             // safe to show: never a credential
  std::string param;               // OpenAI's `param`; empty: null
  std::string code;                // OpenAI's `code`; empty: null
  std::optional<int64_t> retry_after_s;  // sent as Retry-After (429, 503)
};

// Identity of one answer: the id, creation time and the model name shown to the client.
struct AnswerLabel {
  std::string id;        // "chatcmpl-…" / "msg_…"
  int64_t created = 0;   // Unix seconds
  std::string model;     // the model the client asked for, as it asked
};

}  // namespace majordomo::gateway
