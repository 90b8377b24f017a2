// The /_fake/ control routes: health, the request log, and queuing scripted responses over HTTP.
#pragma once

#include "response_plan.hpp"
#include "server_state.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace majordomo::fake {

bool is_control_path(std::string_view path);

ResponsePlan serve_control_request(ServerState& state, std::string_view method, std::string_view path,
                                   const std::string& body);

// One ScriptedResponse object, or an array of them, in the control API's JSON form:
// {status, headers:[[n,v]…], content_type, body, fixture, split_at:[…], cut_after, stall_before_head_ms,
//  stall_after, stall_for_ms, path_contains}. Throws std::invalid_argument naming the offending field.
std::vector<ScriptedResponse> scripted_responses_from_json(const std::string& json);

}  // namespace majordomo::fake
