// The JSON the CLI prints with --output json: answers and errors through core's one serialisation.
#include "json_output.hpp"

#include "safe_output.hpp"

#include <majordomo/logging.hpp>

#include <fmt/format.h>

namespace majordomo::cli {

void print_line(const std::string& text) { write_stdout(text + "\n"); }

const majordomo::JsonTextFilters& json_filters() {
  static const majordomo::JsonTextFilters filters{
      [](std::string_view text) { return json_text(text); },
      [](std::string_view value) { return json_value(value); }};
  return filters;
}

std::string response_json(const majordomo::Response& response, std::string_view content) {
  return majordomo::response_json(response, majordomo::ResponseJsonOptions{json_filters(), content});
}

void report_error(const Arguments& args, const majordomo::ErrorDetails& error) {
  print_message(fmt::format("{} error: {}", majordomo::to_string(error.kind), error.message));
  if (!args.json_output) return;
  try {
    print_line(majordomo::error_json(error, json_filters()));
  } catch (const majordomo::DeliveryError& delivery) {  // the error was reported on stderr already
    print_message(fmt::format("output error: {}", delivery.what()));
  }
}

}  // namespace majordomo::cli
