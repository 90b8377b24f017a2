// What the CLI prints as JSON (--output json): answers and errors through core's serialisation, the line they go out on.
#pragma once

#include "arguments.hpp"

#include <majordomo/majordomo.hpp>
#include <majordomo/response_json.hpp>
#include <majordomo/sdk/json_writer.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace majordomo::cli {

using majordomo::sdk::JsonWriter;

// `text` and a newline on stdout; throws DeliveryError when stdout fails (safe_output.hpp).
void print_line(const std::string& text);

// The texts of the CLI's JSON as core's serialisation takes them: json_text and json_value.
const majordomo::JsonTextFilters& json_filters();

// The one answer object of `ask --output json`, with `content` as the printed content.
std::string response_json(const majordomo::Response& response, std::string_view content);

// The error line on stderr and, with --output json, the {"error":{…}} object on stdout.
void report_error(const Arguments& args, const majordomo::ErrorDetails& error);

}  // namespace majordomo::cli
