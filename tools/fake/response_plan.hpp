// A response resolved down to bytes and write boundaries: what the wire writer sends, and when.
#pragma once

#include "fake_server.hpp"

#include <chrono>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace majordomo::fake {

struct ResponsePlan {
  int status = 200;
  std::vector<Header> headers;
  std::string content_type;
  std::string body;
  bool chunked = false;              // event streams go out chunked, everything else with Content-Length
  std::vector<size_t> write_ends;    // ascending body offsets at which one write ends
  std::optional<size_t> cut_after;
  std::chrono::milliseconds stall_before_head{0};
  std::optional<size_t> stall_after;
  std::chrono::milliseconds stall_for{0};
};

// A scripted fixture that cannot be served (missing, unreadable, or outside the fixtures dir).
class FixtureError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// The fixture's full path; throws FixtureError when it is missing or would leave the fixtures dir.
std::filesystem::path fixture_file(const std::filesystem::path& fixtures_dir, const std::string& relative);

// Throws FixtureError when the response names a fixture that cannot be read.
ResponsePlan plan_response(const ScriptedResponse& response, const std::filesystem::path& fixtures_dir);

// A plain JSON response, for the control API and the server's own errors.
ResponsePlan json_response_plan(int status, std::string body);

// The status a fixture's file name implies: "error_429.json" gives 429, anything else 0.
int status_from_fixture_name(const std::string& fixture);

// Offsets just past each blank line that ends an SSE event (\n, \r\n and \r line ends).
std::vector<size_t> sse_event_ends(std::string_view body);

}  // namespace majordomo::fake
