// get_json_response and fence stripping: kept apart so programs that never ask for JSON do not
// load Poco::JSON at start-up (a static link pulls this file in only when it is used).
#include <majordomo/llm.hpp>

#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>

#include <fmt/format.h>

namespace majordomo {

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
