// Sends the head, then each body piece as its own write (one chunk per piece when chunked), with stalls and cuts.
#include "wire_writer.hpp"

#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/StreamSocket.h>

#include <fmt/format.h>

#include <algorithm>
#include <sstream>

namespace majordomo::fake {
namespace {

Poco::Net::StreamSocket& connection_socket(Poco::Net::HTTPServerRequest& request) {
  auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&request);
  if (impl == nullptr) throw std::logic_error("majordomo-fake: request does not come from Poco's HTTPServer");
  return impl->socket();
}

void send_all(Poco::Net::StreamSocket& socket, std::string_view bytes) {
  while (!bytes.empty()) {
    const int sent = socket.sendBytes(bytes.data(), static_cast<int>(bytes.size()));
    if (sent <= 0) throw Poco::Net::NetException("majordomo-fake: connection closed while sending");
    bytes.remove_prefix(static_cast<size_t>(sent));
  }
}

std::string reason_for(int status) {
  const auto& reason = Poco::Net::HTTPResponse::getReasonForStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
  if (reason != Poco::Net::HTTPResponse::HTTP_REASON_UNKNOWN) return reason;
  switch (status) {
    case 498: return "Invalid Token";
    case 499: return "Client Closed Request";
    case 529: return "Overloaded";
    default: return "Unknown";
  }
}

}  // namespace

void send_plan(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
               const ResponsePlan& plan, ServerState& state) {
  Poco::Net::StreamSocket& socket = connection_socket(request);
  if (plan.stall_before_head.count() > 0 && !state.pause(plan.stall_before_head)) {
    response.setKeepAlive(false);
    return;
  }

  response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(plan.status), reason_for(plan.status));
  for (const auto& header : plan.headers) response.add(header.name, header.value);
  if (!plan.content_type.empty()) response.setContentType(plan.content_type);
  if (plan.chunked) response.setChunkedTransferEncoding(true);
  else response.setContentLength64(static_cast<Poco::Int64>(plan.body.size()));

  // Each write should leave as its own segment, so that split tests see the pieces they asked for.
  socket.setNoDelay(true);
  std::ostringstream head;
  response.write(head);
  send_all(socket, head.str());

  const size_t limit = plan.cut_after ? std::min(*plan.cut_after, plan.body.size()) : plan.body.size();
  const auto stall_at = [&](size_t offset) {
    if (!plan.stall_after || *plan.stall_after != offset || plan.stall_for.count() <= 0) return true;
    return state.pause(plan.stall_for);
  };
  if (!stall_at(0)) {
    response.setKeepAlive(false);
    return;
  }

  std::vector<size_t> ends;
  for (size_t end : plan.write_ends) {
    if (end > 0 && end < limit) ends.push_back(end);
  }
  if (plan.stall_after && *plan.stall_after > 0 && *plan.stall_after < limit) ends.push_back(*plan.stall_after);
  if (limit > 0) ends.push_back(limit);
  std::sort(ends.begin(), ends.end());
  ends.erase(std::unique(ends.begin(), ends.end()), ends.end());

  size_t start = 0;
  for (size_t end : ends) {
    const std::string_view piece = std::string_view(plan.body).substr(start, end - start);
    if (plan.chunked) send_all(socket, fmt::format("{:x}\r\n{}\r\n", piece.size(), piece));
    else send_all(socket, piece);
    start = end;
    if (!stall_at(end)) {
      response.setKeepAlive(false);
      return;
    }
  }

  if (plan.cut_after) {
    // Without keep-alive the connection ends as soon as this handler returns: a stream cut mid-way.
    response.setKeepAlive(false);
    return;
  }
  if (plan.chunked) send_all(socket, "0\r\n\r\n");
}

}  // namespace majordomo::fake
