// Resolves scripted responses (fixture files, statuses from names, write boundaries) into ResponsePlans.
#include "response_plan.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <sstream>

namespace majordomo::fake {
namespace {

std::string read_fixture(const std::filesystem::path& fixtures_dir, const std::string& relative) {
  std::ifstream in(fixture_file(fixtures_dir, relative), std::ios::binary);
  if (!in) throw FixtureError("cannot read fixture " + relative);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

std::string content_type_for(const ScriptedResponse& response) {
  if (!response.content_type.empty()) return response.content_type;
  if (response.body.empty() && !response.fixture.empty()) {
    const auto extension = std::filesystem::path(response.fixture).extension();
    if (extension == ".sse") return "text/event-stream";
    if (extension == ".json") return "application/json";
    if (extension == ".txt") return "text/plain; charset=utf-8";
  }
  return "application/json";
}

bool is_event_stream(std::string_view content_type) {
  constexpr std::string_view event_stream = "text/event-stream";
  if (content_type.size() < event_stream.size()) return false;
  return std::equal(event_stream.begin(), event_stream.end(), content_type.begin(),
                    [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); });
}

}  // namespace

std::filesystem::path fixture_file(const std::filesystem::path& fixtures_dir, const std::string& relative) {
  const std::filesystem::path relative_path(relative);
  // Scripts arrive over HTTP too, so a fixture name must not reach files outside the fixtures dir.
  if (relative_path.empty() || relative_path.is_absolute() ||
      std::any_of(relative_path.begin(), relative_path.end(), [](const auto& part) { return part == ".."; })) {
    throw FixtureError("fixture path must be relative and stay inside the fixtures dir: " + relative);
  }
  if (fixtures_dir.empty()) throw FixtureError("no fixtures dir is configured, so fixture " + relative + " cannot be served");
  auto full = fixtures_dir / relative_path;
  std::error_code error;
  if (!std::filesystem::is_regular_file(full, error)) throw FixtureError("fixture not found: " + full.string());
  return full;
}

int status_from_fixture_name(const std::string& fixture) {
  const std::string name = std::filesystem::path(fixture).filename().string();
  const auto at = name.find("error_");
  if (at == std::string::npos || at + 9 > name.size()) return 0;
  const std::string digits = name.substr(at + 6, 3);
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) return 0;
  if (at + 9 < name.size() && std::isdigit(static_cast<unsigned char>(name[at + 9]))) return 0;
  return std::stoi(digits);
}

std::vector<size_t> sse_event_ends(std::string_view body) {
  std::vector<size_t> ends;
  bool line_is_empty = true;
  for (size_t i = 0; i < body.size();) {
    const char c = body[i];
    if (c != '\r' && c != '\n') {
      line_is_empty = false;
      ++i;
      continue;
    }
    i += (c == '\r' && i + 1 < body.size() && body[i + 1] == '\n') ? 2 : 1;
    if (line_is_empty) ends.push_back(i);
    line_is_empty = true;
  }
  return ends;
}

ResponsePlan plan_response(const ScriptedResponse& response, const std::filesystem::path& fixtures_dir) {
  ResponsePlan plan;
  plan.status = response.status;
  plan.headers = response.headers;
  plan.content_type = content_type_for(response);
  if (!response.body.empty() || response.fixture.empty()) {
    plan.body = response.body;
  } else {
    plan.body = read_fixture(fixtures_dir, response.fixture);
    if (const int named = status_from_fixture_name(response.fixture); named != 0 && response.status == 200) {
      plan.status = named;
    }
  }
  plan.chunked = is_event_stream(plan.content_type);
  // Unless told otherwise, a stream goes out one event per write, the way a real server produces it.
  plan.write_ends = response.split_at.empty() && plan.chunked ? sse_event_ends(plan.body) : response.split_at;
  std::sort(plan.write_ends.begin(), plan.write_ends.end());
  plan.write_ends.erase(std::unique(plan.write_ends.begin(), plan.write_ends.end()), plan.write_ends.end());
  plan.cut_after = response.cut_after;
  plan.stall_before_head = response.stall_before_head;
  plan.stall_after = response.stall_after;
  plan.stall_for = response.stall_for;
  return plan;
}

ResponsePlan json_response_plan(int status, std::string body) {
  ResponsePlan plan;
  plan.status = status;
  plan.content_type = "application/json";
  plan.body = std::move(body);
  return plan;
}

}  // namespace majordomo::fake
