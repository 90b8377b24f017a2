// LLM conveniences, ResponseStream, ResolvedRequest redaction and JSON fence stripping.
#include <majordomo/llm.hpp>

#include "resolution.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>

#include <fmt/format.h>

namespace majordomo {

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

HeaderSet ResolvedRequest::redacted_headers() const {
  HeaderSet out;
  for (const auto& header : headers) {
    out.set(header.name, resolution::is_secret_header(header.name, auth_header)
                             ? resolution::redacted_value(header.name, header.value)
                             : header.value);
  }
  return out;
}

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

ResponseStream LLM::get_response_stream(std::string_view prompt, const RequestOptions& options) {
  return stream(LLMRequest::from_prompt(prompt, options));
}

std::string_view strip_json_fences(std::string_view text) noexcept {
  const auto is_space = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  if (text.size() >= 6 && text.substr(0, 3) == "```" && text.substr(text.size() - 3) == "```") {
    text.remove_prefix(3);
    text.remove_suffix(3);
    const auto newline = text.find('\n');
    // The opening fence line may name a language ("```json").
    if (newline != std::string_view::npos) text.remove_prefix(newline + 1);
    while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  }
  return text;
}

JsonResponse LLM::get_json_response(std::string_view prompt, const RequestOptions& options) {
  LLMRequest request = LLMRequest::from_prompt(prompt, options);
  request.format = ResponseFormat::json_object;
  JsonResponse out;
  out.response = complete(request);
  out.json_text = std::string(strip_json_fences(out.response.content));
  try {
    Poco::JSON::Parser parser;
    out.value = parser.parse(out.json_text);
  } catch (const Poco::Exception& error) {
    ErrorDetails details;
    details.kind = ErrorKind::parse;
    details.provider = out.response.provider;
    details.request_id = out.response.request_id;
    details.message = fmt::format("the model's answer is not valid JSON ({}); the raw text is in "
                                  "partial_content",
                                  error.displayText());
    details.partial_content = out.response.content;
    throw_error(std::move(details));
  }
  return out;
}

}  // namespace majordomo
