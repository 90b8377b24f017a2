// The OpenAI Responses API codec: request bodies for POST {base}/responses, JSON and SSE decoding.
#pragma once

#include <majordomo/sdk/requires_cxx20.hpp>

#include <majordomo/plugin.h>
#include <majordomo/sdk/call.hpp>
#include <majordomo/sdk/parser_pool.hpp>
#include <majordomo/sdk/plugin.hpp>

#include <cstdint>
#include <memory>
#include <string_view>

namespace majordomo::sdk {
inline namespace v1 {

// Who speaks the Responses API; kept in static storage by the plugin, as decoders refer to it.
struct ResponsesApiFlavour {
  std::string_view display_name = {};  // "OpenAI": starts every error message
  std::string_view provider_id = {};   // "openai": names the provider in configuration errors
  std::string_view request_id_header = "x-request-id";
  // (0.5) Whether a model reasons, so that a request with tools asks for its encrypted reasoning
  // (include ["reasoning.encrypted_content"]); other models refuse that with a 400. Null: every
  // model is asked.
  bool (*model_reasons)(std::string_view model) = nullptr;
};

// The smallest output cap the Responses API accepts (a smaller one is a 400).
inline constexpr int64_t kResponsesMinOutputTokens = 16;

// The body for POST {base}/responses (docs/providers.md): `instructions` for the system prompt,
// the turns as `input` messages, `max_output_tokens`, `text.format` for JSON mode and strict
// JSON-schema output, `store: false` (every call is stateless), `stream: true` when streaming.
// Throws MJ_ERR_CONFIGURATION before sending for what the API would reject: a cap below 16, a
// JSON-schema format without a schema or with a bad name.
// (0.5) A request with turns (turns.hpp) is written from them: user content as a string, or
// input_text and input_image parts (inline images as data: URLs); an assistant turn as its
// continuation items (below), its text as string content and one function_call item per call;
// a tool turn as a function_call_output item. Tools go flat ({"type":"function","name",…,
// "strict"}, strict always explicit), with tool_choice, parallel_tool_calls and, for a model
// that reasons, include ["reasoning.encrypted_content"]; reasoning controls as reasoning.effort ("none" for
// thinking off). A thinking budget is refused with MJ_ERR_UNSUPPORTED.
Prepared build_responses_request(const mj_request& request, const ResponsesApiFlavour& flavour);

// A decoder for one Responses call. Text is the `output_text` of every message item in order;
// reasoning summaries go to the reasoning text; `status: incomplete` is the stop reason of its
// `incomplete_details.reason` (max_output_tokens -> max_tokens, content_filter) with that raw
// value; `status: failed`, `response.failed` and `error` events are typed errors (what was
// streamed before stays the partial content). A stream ends at its terminal event; a stream
// closed before one is MJ_ERR_CONNECTION.
// (0.5) function_call items are tool calls numbered from 0 in output order (a call cut off by the
// output cap gets no end), and stop the answer with MJ_STOP_TOOL_USE; each reasoning item that
// carries encrypted_content is one continuation item: the item's JSON object as the server sent
// it, which build_responses_request puts back into `input` before the assistant turn's items.
std::unique_ptr<ResponseDecoder> make_responses_decoder(ParserPool::Lease parser,
                                                        const ResponsesApiFlavour& flavour);

}  // namespace v1
}  // namespace majordomo::sdk
