// Control API for scripts and the standalone binary; JSON in via Poco::JSON, JSON out via json_text.
#include "control_api.hpp"

#include "json_text.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <fmt/format.h>

#include <chrono>
#include <limits>
#include <stdexcept>

namespace majordomo::fake {
namespace {

constexpr std::string_view control_prefix = "/_fake/";

std::string error_json(std::string_view message) {
  return fmt::format(R"({{"error":{{"message":{},"type":"fake_control_error"}}}})", json_quote(message));
}

size_t non_negative(const Poco::Dynamic::Var& value, const std::string& field) {
  if (!value.isInteger()) throw std::invalid_argument(fmt::format("'{}' must be a non-negative integer", field));
  const auto number = value.convert<Poco::Int64>();
  if (number < 0) throw std::invalid_argument(fmt::format("'{}' must be a non-negative integer", field));
  return static_cast<size_t>(number);
}

std::string text(const Poco::Dynamic::Var& value, const std::string& field) {
  if (!value.isString()) throw std::invalid_argument(fmt::format("'{}' must be a string", field));
  return value.convert<std::string>();
}

std::vector<Header> headers_from(const Poco::Dynamic::Var& value) {
  std::vector<Header> headers;
  if (value.type() == typeid(Poco::JSON::Object::Ptr)) {
    const auto object = value.extract<Poco::JSON::Object::Ptr>();
    for (const auto& [name, header_value] : *object) headers.push_back({name, text(header_value, "headers." + name)});
    return headers;
  }
  if (value.type() != typeid(Poco::JSON::Array::Ptr)) {
    throw std::invalid_argument("'headers' must be an array of [name, value] pairs");
  }
  const auto array = value.extract<Poco::JSON::Array::Ptr>();
  for (size_t i = 0; i < array->size(); ++i) {
    const auto pair = array->getArray(static_cast<unsigned>(i));
    if (pair.isNull() || pair->size() != 2) throw std::invalid_argument("'headers' must be an array of [name, value] pairs");
    headers.push_back({text(pair->get(0), "headers name"), text(pair->get(1), "headers value")});
  }
  return headers;
}

ScriptedResponse scripted_response_from(const Poco::JSON::Object& object) {
  ScriptedResponse response;
  for (const auto& [field, value] : object) {
    const bool is_null = value.isEmpty();
    if (field == "status") {
      const size_t status = non_negative(value, field);
      if (status < 100 || status > 999) throw std::invalid_argument("'status' must be between 100 and 999");
      response.status = static_cast<int>(status);
    } else if (field == "headers") {
      response.headers = headers_from(value);
    } else if (field == "content_type") {
      response.content_type = text(value, field);
    } else if (field == "body") {
      response.body = text(value, field);
    } else if (field == "fixture") {
      response.fixture = text(value, field);
    } else if (field == "path_contains") {
      response.path_contains = text(value, field);
    } else if (field == "split_at") {
      if (value.type() != typeid(Poco::JSON::Array::Ptr)) throw std::invalid_argument("'split_at' must be an array of offsets");
      const auto offsets = value.extract<Poco::JSON::Array::Ptr>();
      for (size_t i = 0; i < offsets->size(); ++i) response.split_at.push_back(non_negative(offsets->get(static_cast<unsigned>(i)), field));
    } else if (field == "cut_after") {
      if (!is_null) response.cut_after = non_negative(value, field);
    } else if (field == "stall_after") {
      if (!is_null) response.stall_after = non_negative(value, field);
    } else if (field == "stall_before_head_ms") {
      response.stall_before_head = std::chrono::milliseconds(non_negative(value, field));
    } else if (field == "stall_for_ms") {
      response.stall_for = std::chrono::milliseconds(non_negative(value, field));
    } else {
      // A typo would otherwise silently give the default response, which is hard to notice in a test.
      throw std::invalid_argument(fmt::format(
          "unknown field '{}' (known: status, headers, content_type, body, fixture, split_at, cut_after, "
          "stall_before_head_ms, stall_after, stall_for_ms, path_contains)", field));
    }
  }
  return response;
}

}  // namespace

bool is_control_path(std::string_view path) {
  return path.substr(0, control_prefix.size()) == control_prefix || path == "/_fake";
}

std::vector<ScriptedResponse> scripted_responses_from_json(const std::string& json) {
  Poco::Dynamic::Var root;
  try {
    Poco::JSON::Parser parser;
    root = parser.parse(json);
  } catch (const Poco::Exception& error) {
    throw std::invalid_argument("the body is not valid JSON: " + error.displayText());
  }
  std::vector<ScriptedResponse> responses;
  if (root.type() == typeid(Poco::JSON::Object::Ptr)) {
    responses.push_back(scripted_response_from(*root.extract<Poco::JSON::Object::Ptr>()));
  } else if (root.type() == typeid(Poco::JSON::Array::Ptr)) {
    const auto array = root.extract<Poco::JSON::Array::Ptr>();
    for (size_t i = 0; i < array->size(); ++i) {
      const auto object = array->getObject(static_cast<unsigned>(i));
      if (object.isNull()) throw std::invalid_argument("every element of the array must be a response object");
      responses.push_back(scripted_response_from(*object));
    }
  } else {
    throw std::invalid_argument("expected a response object or an array of them");
  }
  return responses;
}

ResponsePlan serve_control_request(ServerState& state, std::string_view method, std::string_view path,
                                   const std::string& body) {
  if (path == "/_fake/health" && method == "GET") return json_response_plan(200, R"({"ok":true})");
  if (path == "/_fake/requests" && method == "GET") {
    std::string out = "[";
    const auto requests = state.recorded();
    for (size_t i = 0; i < requests.size(); ++i) {
      if (i > 0) out += ",\n";
      out += recorded_request_json(requests[i]);
    }
    out += "]";
    return json_response_plan(200, std::move(out));
  }
  if (path == "/_fake/requests" && method == "DELETE") {
    state.clear_recorded();
    return json_response_plan(200, R"({"ok":true})");
  }
  if (path == "/_fake/responses" && method == "POST") {
    try {
      auto responses = scripted_responses_from_json(body);
      // Checked now, so that the script's author gets the error rather than the client under test.
      for (const auto& response : responses) {
        if (response.body.empty() && !response.fixture.empty()) fixture_file(state.options.fixtures_dir, response.fixture);
      }
      for (auto& response : responses) state.enqueue(std::move(response));
    } catch (const std::invalid_argument& error) {
      return json_response_plan(400, error_json(error.what()));
    } catch (const FixtureError& error) {
      return json_response_plan(400, error_json(error.what()));
    }
    return json_response_plan(200, fmt::format(R"({{"ok":true,"pending":{}}})", state.pending()));
  }
  if (path == "/_fake/responses" && method == "GET") {
    return json_response_plan(200, fmt::format(R"({{"pending":{}}})", state.pending()));
  }
  return json_response_plan(404, error_json(fmt::format(
      "no control route {} {} (routes: GET /_fake/health, GET|DELETE /_fake/requests, POST|GET /_fake/responses)",
      method, path)));
}

}  // namespace majordomo::fake
