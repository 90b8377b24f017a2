// The Anthropic plugin's response decoder (Messages JSON bodies and SSE events), made per call.
#pragma once
#include <majordomo/sdk/call.hpp>
#include <majordomo/sdk/parser_pool.hpp>

#include <memory>

namespace majordomo::anthropic {

// `tool_answer`: the request was a forced-tool structured call, whose tool input is the answer
// text and whose tool_use stop is the end of the turn.
std::unique_ptr<majordomo::sdk::ResponseDecoder> make_messages_decoder(majordomo::sdk::ParserPool::Lease parser,
                                                                       bool tool_answer);

}  // namespace majordomo::anthropic
