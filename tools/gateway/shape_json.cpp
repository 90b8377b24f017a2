// Reading client request bodies for the shapes (shape_json.hpp).
#include "shape_json.hpp"

#include <fmt/format.h>

#include <cmath>

namespace majordomo::gateway {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// One parser per thread, kept: its buffers grow to the largest body seen and are then reused.
simdjson::dom::parser& body_parser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

void append_path(const FieldPath& path, std::string& out) {
  if (path.parent != nullptr) append_path(*path.parent, out);
  if (path.is_index) {
    fmt::format_to(std::back_inserter(out), "[{}]", path.index);
    return;
  }
  if (!out.empty()) out.push_back('.');
  out.append(path.key);
}

std::string_view type_name(element value) {
  switch (value.type()) {
    case element_type::ARRAY: return "an array";
    case element_type::OBJECT: return "an object";
    case element_type::INT64:
    case element_type::UINT64: return "an integer";
    case element_type::DOUBLE: return "a number";
    case element_type::STRING: return "a string";
    case element_type::BOOL: return "a boolean";
    case element_type::NULL_VALUE: return "null";
  }
  return "a value";
}

// Prepares the parser for `size` bytes at the depth bound; kept across calls.
void prepare(simdjson::dom::parser& parser, std::size_t size) {
  if (parser.max_depth() == kMaxRequestDepth && parser.capacity() >= size) return;
  const std::size_t capacity = std::max(size, parser.capacity());
  if (parser.allocate(capacity, kMaxRequestDepth) != simdjson::SUCCESS) {
    refuse(FieldPath{}, "the request body is too large to read", 413);
  }
}

}  // namespace

std::string FieldPath::str() const {
  std::string out;
  append_path(*this, out);
  return out;
}

simdjson::dom::object parse_body(std::string_view body) {
  simdjson::dom::parser& parser = body_parser();
  prepare(parser, body.size());
  simdjson::dom::element root;
  if (const auto code = parser.parse(body.data(), body.size()).get(root)) {
    switch (code) {
      case simdjson::DEPTH_ERROR:
        refuse(FieldPath{}, fmt::format("the request body nests deeper than {} levels: flatten it", kMaxRequestDepth));
      case simdjson::UTF8_ERROR:
        refuse(FieldPath{}, "the request body is not valid UTF-8: send UTF-8 JSON");
      case simdjson::EMPTY:
        refuse(FieldPath{}, "the request body is empty: send a JSON object");
      case simdjson::CAPACITY:
      case simdjson::MEMALLOC:
        refuse(FieldPath{}, "the request body is too large to read", 413);
      default:
        refuse(FieldPath{}, fmt::format("the request body is not valid JSON ({}): send one JSON object",
                                        simdjson::error_message(code)));
    }
  }
  simdjson::dom::object object;
  if (root.get(object) != simdjson::SUCCESS) {
    refuse(FieldPath{}, fmt::format("the request body is {}, not a JSON object: send one JSON object", type_name(root)));
  }
  return object;
}

bool parse_side_object(std::string_view text, simdjson::dom::object& out) {
  thread_local simdjson::dom::parser parser;
  prepare(parser, text.size());
  return parser.parse(text.data(), text.size()).get(out) == simdjson::SUCCESS;
}

bool is_json_object(std::string_view text) {
  simdjson::dom::object object;
  return parse_side_object(text, object);
}

void refuse(const FieldPath& path, std::string message, int status) {
  throw ClientRefusal(status, std::move(message), path.str());
}

void refuse_type(const FieldPath& path, element value, std::string_view expected) {
  const std::string where = path.str();
  throw ClientRefusal(400, fmt::format("Invalid type for '{}': expected {}, but got {}.", where, expected,
                                       type_name(value)),
                      where);
}

void refuse_unknown(const FieldPath& path) {
  const std::string where = path.str();
  throw ClientRefusal(400, fmt::format("Unrecognized request argument supplied: {}. Remove it: the gateway refuses "
                                       "fields it does not know rather than ignore them.", where),
                      where);
}

void refuse_unsupported(const FieldPath& path, std::string_view remedy) {
  const std::string where = path.str();
  throw ClientRefusal(400, fmt::format("'{}' is not supported by this gateway, which would otherwise ignore it and "
                                       "change the answer: {}.", where, remedy),
                      where);
}

std::string_view read_string(element value, const FieldPath& path) {
  std::string_view text;
  if (value.get(text) != simdjson::SUCCESS) refuse_type(path, value, "a string");
  return text;
}

bool read_bool(element value, const FieldPath& path) {
  bool flag = false;
  if (value.get(flag) != simdjson::SUCCESS) refuse_type(path, value, "a boolean");
  return flag;
}

int64_t read_integer(element value, const FieldPath& path, int64_t min, int64_t max) {
  int64_t number = 0;
  double real = 0;
  if (value.get(number) == simdjson::SUCCESS) {
    // fall through to the range check
  } else if (value.get(real) == simdjson::SUCCESS && std::trunc(real) == real && std::abs(real) < 9.0e15) {
    number = static_cast<int64_t>(real);
  } else if (value.is_number()) {
    refuse(path, fmt::format("Invalid '{}': expected an integer between {} and {}.", path.str(), min, max));
  } else {
    refuse_type(path, value, "an integer");
  }
  if (number < min || number > max) {
    refuse(path, fmt::format("Invalid '{}': {} is out of range; expected an integer between {} and {}.", path.str(),
                             number, min, max));
  }
  return number;
}

double read_number(element value, const FieldPath& path, double min, double max) {
  double number = 0;
  if (value.get(number) != simdjson::SUCCESS) refuse_type(path, value, "a number");
  if (!(number >= min && number <= max)) {
    refuse(path, fmt::format("Invalid '{}': {} is out of range; expected a number between {} and {}.", path.str(),
                             number, min, max));
  }
  return number;
}

simdjson::dom::object read_object(element value, const FieldPath& path) {
  simdjson::dom::object object;
  if (value.get(object) != simdjson::SUCCESS) refuse_type(path, value, "an object");
  return object;
}

simdjson::dom::array read_array(element value, const FieldPath& path) {
  simdjson::dom::array array;
  if (value.get(array) != simdjson::SUCCESS) refuse_type(path, value, "an array");
  return array;
}

std::string minified(element value) { return simdjson::to_string(value); }

bool find_member(simdjson::dom::object object, std::string_view key, element& out) {
  if (object.at_key(key).get(out) != simdjson::SUCCESS) return false;
  return !out.is_null();
}

std::string data_url(std::string_view media_type, std::string_view base64) {
  std::string url;
  url.reserve(media_type.size() + base64.size() + 13);
  url.append("data:").append(media_type).append(";base64,").append(base64);
  return url;
}

void check_image_url(std::string_view url, const FieldPath& path) {
  if (url.starts_with("https://") || url.starts_with("http://")) return;
  if (url.starts_with("data:image/") && url.find(";base64,") != std::string_view::npos) return;
  refuse(path, fmt::format("Invalid image URL in '{}': use an https:// or http:// URL, or a "
                           "data:image/<type>;base64,<data> URL.", path.str()));
}

}  // namespace majordomo::gateway
