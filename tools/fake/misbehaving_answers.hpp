// Provider-shaped answers and error bodies for --misbehave, with any JSON text in the content and usage fields.
#pragma once

#include "misbehaving_server.hpp"

#include <string>
#include <string_view>

namespace majordomo::fake {

// Raw JSON text, put into the answer as is: "\"text\"", "42", "null", "-5", "9223372036854775807".
struct AnswerShape {
  std::string content = R"("Hello from a hostile server.")";
  std::string input_tokens = "12";
  std::string output_tokens = "5";
  std::string cached_tokens = "0";
  std::string cache_write_tokens = "0";  // Anthropic's cache_creation_input_tokens only
};

// A complete successful answer of the route's protocol: a JSON body, or the whole SSE stream.
std::string answer_body(Route route, bool stream, std::string_view model, const AnswerShape& shape);
std::string_view answer_content_type(bool stream);

// The route's error envelope around `message_json`, a JSON string literal given raw (quotes
// included), so that a caller can put bytes in it that a JSON writer would have escaped.
std::string error_body(Route route, int status, std::string_view message_json);

// A stream whose answer keeps ever more (the kept-data flood): its opening events, then its n-th
// piece, events putting `filler` (JSON-string safe) into what a client keeps for the whole call:
// tool-call arguments (Chat Completions, Cohere), encrypted reasoning items (Responses), thinking
// blocks (Anthropic; every other one left open) and text-part thought signatures (Gemini).
std::string kept_flood_opening(Route route, std::string_view model);
std::string kept_flood_piece(Route route, size_t n, std::string_view filler);

// A gzip member holding `data` in stored (uncompressed) deflate blocks: a valid gzip stream
// without a compression library.
std::string gzip_stored(std::string_view data);

}  // namespace majordomo::fake
