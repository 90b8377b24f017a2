// The list of providers the fake server speaks, and small helpers every protocol uses.
#include "provider_protocol.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <system_error>

namespace majordomo::fake {

std::vector<std::unique_ptr<ProviderProtocol>> make_provider_protocols() {
  std::vector<std::unique_ptr<ProviderProtocol>> protocols;
  protocols.push_back(make_deepseek_protocol());  // before OpenAI: it claims a shared path
  protocols.push_back(make_openai_protocol());
  protocols.push_back(make_openai_responses_protocol());
  protocols.push_back(make_anthropic_protocol());
  protocols.push_back(make_cohere_protocol());
  protocols.push_back(make_gemini_protocol());
  protocols.push_back(make_acme_protocol());
  return protocols;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

const std::string* find_header(const RecordedRequest& request, std::string_view name) {
  for (const auto& header : request.headers) {
    if (equals_ignoring_case(header.name, name)) return &header.value;
  }
  return nullptr;
}

std::string_view trim_blanks(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::string_view bearer_key(const RecordedRequest& request) {
  const std::string* authorization = find_header(request, "Authorization");
  if (authorization == nullptr) return {};
  const std::string_view value = trim_blanks(*authorization);
  const auto space = value.find(' ');
  if (space == std::string_view::npos || !equals_ignoring_case(value.substr(0, space), "bearer")) return {};
  return trim_blanks(value.substr(space + 1));
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

bool is_post_to(std::string_view method, std::string_view path, std::string_view suffix) {
  return method == "POST" && ends_with(path, suffix);
}

Poco::JSON::Object::Ptr body_object(const RecordedRequest& request) {
  Poco::JSON::Parser parser;
  const auto root = parser.parse(request.body);
  if (root.type() != typeid(Poco::JSON::Object::Ptr)) throw Poco::DataException("not an object");
  return root.extract<Poco::JSON::Object::Ptr>();
}

std::string string_or(const Poco::JSON::Object::Ptr& object, const std::string& key, std::string fallback) {
  if (object.isNull() || !object->has(key) || !object->get(key).isString()) return fallback;
  return object->getValue<std::string>(key);
}

bool is_true(const Poco::JSON::Object& object, const std::string& name) {
  const auto value = object.get(name);
  return value.isBoolean() && value.extract<bool>();
}

ScriptedResponse fixture_reply(std::string_view fixture) {
  ScriptedResponse response;
  response.fixture = std::string(fixture);
  return response;
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

int estimated_prompt_tokens(const RecordedRequest& request) {
  // About four bytes per token, counted over the body's string values only: member names and the
  // members that only say "stream" (booleans, stream_options) would otherwise make the same
  // prompt cost more as a stream than as a body, which real services do not do.
  size_t text_bytes = 0;
  const std::string& body = request.body;
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] != '"') continue;
    size_t end = i + 1;
    while (end < body.size() && body[end] != '"') end += body[end] == '\\' ? 2 : 1;
    size_t next = end + 1;
    while (next < body.size() && (body[next] == ' ' || body[next] == '\n' || body[next] == '\r' || body[next] == '\t')) ++next;
    const bool is_name = next < body.size() && body[next] == ':';
    if (!is_name) text_bytes += end - i - 1;
    i = end;
  }
  return std::max(1, static_cast<int>(text_bytes / 4));
}

bool fixture_exists(const FakeServerOptions& options, std::string_view relative_path) {
  if (options.fixtures_dir.empty()) return false;
  std::error_code error;
  return std::filesystem::is_regular_file(options.fixtures_dir / relative_path, error);
}

}  // namespace majordomo::fake
