// LLM conveniences, ResponseStream and ResolvedRequest redaction.
#include <majordomo/llm.hpp>

#include "resolution.hpp"

#include <fmt/format.h>

#include <optional>

namespace majordomo {

std::string_view to_string(CallOperation operation) noexcept {
  return operation == CallOperation::stream ? "stream" : "complete";
}

std::string_view to_string(StopReason reason) noexcept {
  switch (reason) {
    case StopReason::unknown: return "unknown";
    case StopReason::end_turn: return "end_turn";
    case StopReason::max_tokens: return "max_tokens";
    case StopReason::stop_sequence: return "stop_sequence";
    case StopReason::tool_use: return "tool_use";
    case StopReason::content_filter: return "content_filter";
    case StopReason::error: return "error";
  }
  return "unknown";
}

LLMRequest LLMRequest::from_prompt(std::string_view prompt, const RequestOptions& options) {
  LLMRequest request;
  request.messages.push_back(Message{Message::Role::user, std::string(prompt)});
  request.options = options;
  return request;
}

HeaderSet ResolvedRequest::redacted_headers() const { return resolution::redacted_headers(headers, auth_header); }

std::string ResolvedRequest::redacted_url() const { return resolution::redact_url(url); }

ResponseStream::ResponseStream(std::unique_ptr<StreamSource> source) : source_(std::move(source)) {}
ResponseStream::ResponseStream(ResponseStream&&) noexcept = default;
ResponseStream& ResponseStream::operator=(ResponseStream&&) noexcept = default;
ResponseStream::~ResponseStream() = default;

bool ResponseStream::next(StreamChunk& chunk) {
  if (finished_ || !source_) return false;
  try {
    if (source_->next(chunk)) return true;
  } catch (...) {
    finished_ = true;
    throw;
  }
  finished_ = true;
  return false;
}

std::optional<std::string_view> ResponseStream::next_text() {
  StreamChunk chunk;
  while (next(chunk)) {
    if (chunk.kind == StreamChunk::Kind::text) return chunk.text;
  }
  return std::nullopt;
}

const Response& ResponseStream::response() const {
  static const Response closed;
  return source_ ? source_->response() : closed;
}

void ResponseStream::close() noexcept {
  finished_ = true;
  if (source_) source_->close();
}

void ResponseStream::iterator::advance() {
  if (stream_ == nullptr) return;
  if (auto text = stream_->next_text()) {
    current_ = *text;
  } else {
    stream_ = nullptr;
    current_ = {};
  }
}

Response LLM::get_response(std::string_view prompt, const RequestOptions& options) {
  return complete(LLMRequest::from_prompt(prompt, options));
}

JsonResponse LLM::complete_checked(const LLMRequest& request, const AnswerCheck& check) {
  // The answer as checked is kept here; the Response that complete() returns is the one the
  // caller gets (middleware above the provider-bound LLM adds served_by, records, …).
  std::optional<JsonResponse> checked;
  LLMRequest with_check = request;
  with_check.check_answer = [&checked, &check, earlier = request.check_answer](const Response& answer) {
    if (earlier) earlier(answer);
    checked = check(answer);
  };
  Response response = complete(with_check);
  // An LLM of the caller's own that sends requests without running check_answer.
  if (!checked) checked = check(response);
  checked->response = std::move(response);
  return std::move(*checked);
}

ResponseStream LLM::get_response_stream(std::string_view prompt, const RequestOptions& options) {
  return stream(LLMRequest::from_prompt(prompt, options));
}

}  // namespace majordomo
