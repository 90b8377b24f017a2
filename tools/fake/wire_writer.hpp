// Puts a ResponsePlan on the wire with the exact write boundaries, stalls and cuts it asks for.
#pragma once

#include "response_plan.hpp"
#include "server_state.hpp"

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

namespace majordomo::fake {

// Writes straight to the connection's socket: Poco's response streams buffer writes and always
// finish a chunked body, while a fake must control every write and be able to stop half-way.
// Network errors propagate as Poco exceptions; the caller then lets the connection close.
void send_plan(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
               const ResponsePlan& plan, ServerState& state);

}  // namespace majordomo::fake
