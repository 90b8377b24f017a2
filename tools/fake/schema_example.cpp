// Builds one schema-valid JSON value per request, so structured requests get answers real services would give.
#include "schema_example.hpp"

#include "json_text.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Stringifier.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <sstream>
#include <string>

namespace majordomo::fake {
namespace {

constexpr int kDepthLimit = 24;

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

std::string compact(const Poco::Dynamic::Var& value) {
  if (value.isEmpty()) return "null";
  std::ostringstream out;
  Poco::JSON::Stringifier::condense(value, out);
  return out.str();
}

Poco::Dynamic::Var resolve(const Poco::Dynamic::Var& root, const std::string& ref) {
  if (ref.rfind("#/", 0) != 0) return {};
  Poco::Dynamic::Var node = root;
  std::string rest = ref.substr(2);
  while (!rest.empty()) {
    const auto slash = rest.find('/');
    const std::string token = rest.substr(0, slash);
    rest = slash == std::string::npos ? "" : rest.substr(slash + 1);
    if (node.type() != typeid(Poco::JSON::Object::Ptr)) return {};
    const auto object = node.extract<Poco::JSON::Object::Ptr>();
    if (!object->has(token)) return {};
    node = object->get(token);
  }
  return node;
}

std::string first_type(const Poco::JSON::Object::Ptr& schema) {
  if (!schema->has("type")) {
    if (schema->has("properties")) return "object";
    if (schema->has("items")) return "array";
    return "string";
  }
  const auto type = schema->get("type");
  if (type.isString()) return lower(type.extract<std::string>());
  if (type.type() == typeid(Poco::JSON::Array::Ptr)) {
    for (const auto& name : *type.extract<Poco::JSON::Array::Ptr>()) {
      if (name.isString() && lower(name.extract<std::string>()) != "null") return lower(name.extract<std::string>());
    }
    return "null";
  }
  return "string";
}

std::string example_string(const Poco::JSON::Object::Ptr& schema) {
  const std::string format = schema->has("format") ? schema->getValue<std::string>("format") : "";
  std::string text = "example";
  if (format == "date-time") text = "2025-01-01T00:00:00Z";
  else if (format == "date") text = "2025-01-01";
  else if (format == "time") text = "12:00:00Z";
  else if (format == "email") text = "user@example.com";
  else if (format == "uuid") text = "00000000-0000-4000-8000-000000000000";
  else if (format == "uri") text = "https://example.com/";
  const auto min_length = schema->optValue<int>("minLength", 0);
  const auto max_length = schema->optValue<int>("maxLength", -1);
  if (static_cast<int>(text.size()) < min_length) text.append(static_cast<std::size_t>(min_length) - text.size(), 'x');
  if (max_length >= 0 && static_cast<int>(text.size()) > max_length) text.resize(static_cast<std::size_t>(max_length));
  return json_quote(text);
}

std::string example(const Poco::Dynamic::Var& root, const Poco::Dynamic::Var& node, int depth) {
  if (depth > kDepthLimit || node.type() != typeid(Poco::JSON::Object::Ptr)) return "null";
  const auto schema = node.extract<Poco::JSON::Object::Ptr>();
  if (schema->has("$ref")) return example(root, resolve(root, schema->getValue<std::string>("$ref")), depth + 1);
  if (schema->has("const")) return compact(schema->get("const"));
  if (const auto values = schema->getArray("enum"); values && values->size() > 0) return compact(values->get(0));
  for (const char* key : {"anyOf", "oneOf", "allOf"}) {
    if (const auto branches = schema->getArray(key); branches && branches->size() > 0) {
      return example(root, branches->get(0), depth + 1);
    }
  }
  const std::string type = first_type(schema);
  if (type == "object") {
    std::string out = "{";
    if (const auto properties = schema->getObject("properties")) {
      // Property order as the schema gives it when the parser kept it; names sorted otherwise.
      bool first = true;
      for (const auto& [name, property] : *properties) {
        if (!first) out += ',';
        first = false;
        out += json_quote(name) + ':' + example(root, property, depth + 1);
      }
    }
    return out + "}";
  }
  if (type == "array") {
    const int count = std::max(1, schema->optValue<int>("minItems", 1));
    std::string out = "[";
    for (int i = 0; i < count; ++i) {
      if (i > 0) out += ',';
      out += example(root, schema->has("items") ? schema->get("items") : Poco::Dynamic::Var{}, depth + 1);
    }
    return out + "]";
  }
  if (type == "integer") return std::to_string(schema->has("minimum") ? schema->getValue<long long>("minimum") : 1);
  if (type == "number") return schema->has("minimum") ? compact(schema->get("minimum")) : "1.5";
  if (type == "boolean") return "true";
  if (type == "null") return "null";
  return example_string(schema);
}

}  // namespace

std::string schema_example(const Poco::Dynamic::Var& schema) { return example(schema, schema, 0); }

}  // namespace majordomo::fake
