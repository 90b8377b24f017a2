// `ask`'s conversation flags: --messages, --tools, --tool-choice, --image, reasoning and prompt caching.
#pragma once

#include "arguments.hpp"

#include <majordomo/majordomo.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace majordomo::cli {

// The messages of a --messages file (a JSON array in the neutral format of docs/cli.md). Throws
// UsageError naming the file, the message's index and the remedy.
std::vector<majordomo::Message> read_messages_file(const std::string& path);

// The tools of a --tools file: a JSON array of {"name","description","parameters","strict"?}.
std::vector<majordomo::ToolDefinition> read_tools_file(const std::string& path);

// An image for a user message: an https:, http: or data: URL as it is; anything else a file
// read here (at most 20 MiB) with its MIME type from the extension (.png .jpg .jpeg .gif .webp).
majordomo::ContentPart image_part(std::string_view source, std::string_view flag);

// Sets the conversation of `request` from the flags: the --messages file, then PROMPT as a user
// message with its --image parts; tools, tool choice, reasoning effort, thinking and caching.
void apply_conversation_arguments(const Arguments& args, majordomo::LLMRequest& request);

}  // namespace majordomo::cli
