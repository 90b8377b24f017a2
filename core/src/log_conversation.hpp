// The call log's conversation columns (0.5): the tools, images and reasoning a request asked for, and the answer's tool calls.
#pragma once

#include <majordomo/llm.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace majordomo::log_rows {

// LogRecord::request_extras for `request`, built on the caller's thread: images appear as MIME
// type, size and SHA-256 (or the URL, which the caller chose to send), never as their bytes.
// "{}" for a request of text turns only.
std::string request_extras_json(const LLMRequest& request);

// LogRecord::tool_calls for the answer's calls; `text` scrubs and repairs each string (the row's
// own filter). The arguments are counted, not kept: they are answer text.
std::string tool_calls_json(const std::vector<ToolCall>& calls, const std::function<std::string(std::string_view)>& text);

}  // namespace majordomo::log_rows
