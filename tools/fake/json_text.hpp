// Hand-written JSON output for bodies that must stay valid whatever bytes a client sent.
#pragma once

#include "fake_server.hpp"

#include <string>
#include <string_view>

namespace majordomo::fake {

// A JSON string literal (quotes included). Bytes that are not valid UTF-8 become U+FFFD, because a
// recorded body may hold anything and the output must still parse.
std::string json_quote(std::string_view text);

// {"seq":…,"method":…,"uri":…,"protocol":…,"headers":[[name,value],…],"body":…} on one line.
std::string recorded_request_json(const RecordedRequest& request);

}  // namespace majordomo::fake
