// What the CLI prints as JSON (--output json): answers, errors, and the pieces they share.
#pragma once

#include "arguments.hpp"

#include <majordomo/majordomo.hpp>
#include <majordomo/sdk/json_writer.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace majordomo::cli {

using majordomo::sdk::JsonWriter;

// `text` and a newline on stdout; throws DeliveryError when stdout fails (safe_output.hpp).
void print_line(const std::string& text);

// {"input","output","total"}; each null when the model is not priced.
void write_cost(JsonWriter& json, const majordomo::Cost& cost);

// "failed_attempts":[{"provider","model","kind","http_status","message","waited_ms"}…]
void write_failed_attempts(JsonWriter& json, const std::vector<majordomo::FailedAttempt>& attempts);

// ,"served_by",…,"warnings":[…] appended to an answer object.
void write_middleware_history(JsonWriter& json, const majordomo::Response& response);

// The one answer object of `ask --output json`, with `content` as the printed content.
std::string response_json(const majordomo::Response& response, std::string_view content);

// The error line on stderr and, with --output json, the {"error":{…}} object on stdout.
void report_error(const Arguments& args, std::string_view kind, const std::string& message,
                  int http_status, std::string_view provider, const std::string* partial,
                  const std::vector<majordomo::FailedAttempt>& failed_attempts = {});

}  // namespace majordomo::cli
