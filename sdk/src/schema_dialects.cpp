// JSON Schema rewrites for OpenAI strict mode, Anthropic output_config and Gemini responseSchema.
#include <majordomo/sdk/schema_dialects.hpp>

#include <majordomo/plugin.h>
#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/json_writer.hpp>

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace majordomo::sdk {
inline namespace v1 {
namespace {

namespace dom = simdjson::dom;

enum class Dialect { openai_strict, anthropic, gemini };

std::string_view provider_name(Dialect dialect) noexcept {
  switch (dialect) {
    case Dialect::openai_strict: return "OpenAI strict";
    case Dialect::anthropic: return "Anthropic";
    case Dialect::gemini: return "Gemini";
  }
  return "this provider's";
}

template <std::size_t N>
bool one_of(std::string_view word, const std::array<std::string_view, N>& words) noexcept {
  return std::find(words.begin(), words.end(), word) != words.end();
}

// Keywords copied unchanged, per dialect (the structural ones are handled one by one below).
constexpr std::array<std::string_view, 12> kOpenAICopied = {
    "title",   "description", "pattern",          "multipleOf",       "minimum",  "maximum",
    "const",   "$ref",        "exclusiveMinimum", "exclusiveMaximum", "minItems", "maxItems"};
constexpr std::array<std::string_view, 9> kOpenAIFormats = {
    "date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"};
constexpr std::array<std::string_view, 7> kAnthropicCopied = {"title", "description", "pattern", "enum",
                                                              "const", "default",     "$ref"};
constexpr std::array<std::string_view, 10> kAnthropicFormats = {
    "date-time", "time", "date", "duration", "email", "hostname", "uri", "ipv4", "ipv6", "uuid"};
constexpr std::array<std::string_view, 15> kGeminiCopied = {
    "title",     "description", "format",    "nullable",  "minItems",      "maxItems",
    "minimum",   "maximum",     "minLength", "maxLength", "pattern",       "minProperties",
    "maxProperties", "required", "propertyOrdering"};
// Next to an allOf of one schema, these say nothing about the value: the branch is merged.
constexpr std::array<std::string_view, 5> kAnnotations = {"title", "description", "$comment", "default",
                                                          "examples"};

void write_value(JsonWriter& json, dom::element value) {
  switch (value.type()) {
    case dom::element_type::OBJECT: {
      json.begin_object();
      for (const auto [key, member] : dom::object(value)) {
        json.key(key);
        write_value(json, member);
      }
      json.end_object();
      break;
    }
    case dom::element_type::ARRAY: {
      json.begin_array();
      for (const dom::element item : dom::array(value)) write_value(json, item);
      json.end_array();
      break;
    }
    case dom::element_type::STRING: json.string(std::string_view(value)); break;
    case dom::element_type::INT64: json.number(int64_t(value)); break;
    case dom::element_type::UINT64: json.raw_value(std::to_string(uint64_t(value))); break;
    case dom::element_type::DOUBLE: json.number(double(value)); break;
    case dom::element_type::BOOL: json.boolean(bool(value)); break;
    case dom::element_type::NULL_VALUE: json.null(); break;
  }
}

bool is_string(dom::element value, std::string_view text) {
  return value.is_string() && std::string_view(value) == text;
}

// The types a schema's "type" names (a string or a list of strings).
std::vector<std::string_view> type_names(dom::object node) {
  std::vector<std::string_view> names;
  dom::element type;
  if (node["type"].get(type) != simdjson::SUCCESS) return names;
  if (type.is_string()) {
    names.push_back(std::string_view(type));
  } else if (type.is_array()) {
    for (const dom::element name : dom::array(type)) {
      if (name.is_string()) names.push_back(std::string_view(name));
    }
  }
  return names;
}

bool names_object(dom::object node) {
  const auto names = type_names(node);
  dom::element properties;
  return std::find(names.begin(), names.end(), "object") != names.end() ||
         node["properties"].get(properties) == simdjson::SUCCESS;
}

bool has(dom::object node, std::string_view key) {
  dom::element value;
  return node[key].get(value) == simdjson::SUCCESS;
}

class SchemaRewriter {
 public:
  SchemaRewriter(Dialect dialect, dom::element root, std::string& out)
      : dialect_(dialect), root_(root), json_(out) {}

  void root() {
    if (dialect_ == Dialect::openai_strict && (!root_.is_object() || !names_object(dom::object(root_)))) {
      unsupported("the root must be an object schema (\"type\":\"object\" with \"properties\"); wrap "
                  "other values in a property of an object");
    }
    schema(root_, false);
  }

 private:
  [[noreturn]] void unsupported(std::string_view what) const {
    throw ProviderError(MJ_ERR_UNSUPPORTED,
                        fmt::format("{} structured output cannot use this JSON Schema at {}: {}",
                                    provider_name(dialect_), path_.empty() ? "the root" : path_, what));
  }

  // Appends "/<part>" to the location named in errors for the duration of a nested call.
  class Step {
   public:
    Step(std::string& path, std::string_view part) : path_(path), size_(path.size()) {
      path_.append("/").append(part);
    }
    ~Step() { path_.resize(size_); }
    Step(const Step&) = delete;
    Step& operator=(const Step&) = delete;

   private:
    std::string& path_;
    std::size_t size_;
  };

  void schema(dom::element node, bool nullable) {
    if (!node.is_object()) {
      unsupported("boolean schemas (true/false) cannot be expressed; use {} or an explicit schema");
    }
    const dom::object object(node);
    dom::element all_of;
    if (dialect_ != Dialect::anthropic && object["allOf"].get(all_of) == simdjson::SUCCESS) {
      merge_all_of(object, all_of, nullable);
      return;
    }
    switch (dialect_) {
      case Dialect::openai_strict: openai(object, nullable); break;
      case Dialect::anthropic: anthropic(object); break;
      case Dialect::gemini: gemini(object); break;
    }
  }

  // {"allOf":[S]} (plus annotations) is S; anything more needs a real intersection.
  void merge_all_of(dom::object object, dom::element all_of, bool nullable) {
    const Step step(path_, "allOf");
    if (!all_of.is_array() || dom::array(all_of).size() != 1) {
      unsupported("an allOf of several schemas; merge them into one schema");
    }
    for (const auto [key, value] : object) {
      if (key != "allOf" && !one_of(key, kAnnotations)) {
        unsupported(fmt::format("an allOf next to \"{}\"; move the keyword into the allOf's schema", key));
      }
    }
    schema(dom::array(all_of).at(0), nullable);
  }

  void schema_list(dom::element list, std::string_view where, bool add_null = false) {
    const Step step(path_, where);
    if (!list.is_array()) unsupported(fmt::format("\"{}\" must be a list of schemas", where));
    json_.begin_array();
    std::size_t index = 0;
    for (const dom::element item : dom::array(list)) {
      const Step item_step(path_, std::to_string(index++));
      schema(item, false);
    }
    if (add_null) write_null_type();
    json_.end_array();
  }

  // "properties", "$defs" and "definitions": names to schemas. `required` says, for OpenAI, which
  // properties stay non-nullable.
  void schema_map(dom::element map, std::string_view where, const std::vector<std::string_view>* required) {
    const Step step(path_, where);
    if (!map.is_object()) unsupported(fmt::format("\"{}\" must be an object of schemas", where));
    json_.begin_object();
    for (const auto [name, value] : dom::object(map)) {
      const Step name_step(path_, name);
      json_.key(name);
      const bool optional =
          required != nullptr && std::find(required->begin(), required->end(), name) == required->end();
      schema(value, optional);
    }
    json_.end_object();
  }

  void items(dom::element value) {
    if (value.is_array()) {
      unsupported("tuple \"items\" (a list of schemas); describe the items with one schema");
    }
    const Step step(path_, "items");
    schema(value, false);
  }

  // Writes a keyword that holds schemas with those schemas rewritten; false for other keywords.
  // oneOf goes out as anyOf everywhere; allOf stays only where the dialect takes it (elsewhere it
  // was merged before); $defs and definitions only where $refs stay (Gemini inlines them).
  // `required`: see schema_map. Callers refuse anyOf next to oneOf first.
  bool nested(std::string_view key, dom::element value,
              const std::vector<std::string_view>* required) {
    if (key == "properties") {
      json_.key(key);
      schema_map(value, key, required);
    } else if ((key == "$defs" || key == "definitions") && dialect_ != Dialect::gemini) {
      json_.key(key);
      schema_map(value, key, nullptr);
    } else if (key == "items") {
      json_.key(key);
      items(value);
    } else if (key == "anyOf" || key == "oneOf") {
      json_.key("anyOf");
      schema_list(value, key);
    } else if (key == "allOf" && dialect_ == Dialect::anthropic) {
      json_.key(key);
      schema_list(value, key);
    } else {
      return false;
    }
    return true;
  }

  static std::vector<std::string_view> required_names(dom::object object) {
    std::vector<std::string_view> names;
    dom::element required;
    if (object["required"].get(required) == simdjson::SUCCESS && required.is_array()) {
      for (const dom::element name : dom::array(required)) {
        if (name.is_string()) names.push_back(std::string_view(name));
      }
    }
    return names;
  }

  // An object with arbitrary keys: strict OpenAI and Anthropic only allow additionalProperties:false.
  void require_properties(dom::object object) {
    dom::element additional;
    const bool closed = object["additionalProperties"].get(additional) == simdjson::SUCCESS &&
                        additional.is_bool() && !bool(additional);
    if (!has(object, "properties") && !closed) {
      unsupported("an object schema without \"properties\" (arbitrary keys) cannot be expressed; list "
                  "the properties the answer may have");
    }
  }

  // ---- OpenAI strict ----------------------------------------------------------------------

  void openai(dom::object object, bool nullable) {
    // "type" can take "null" in place; without a plain type the schema is wrapped instead.
    if (nullable && (!has(object, "type") || has(object, "const") || has(object, "$ref"))) {
      json_.begin_object().key("anyOf").begin_array();
      openai(object, false);
      write_null_type();
      json_.end_array().end_object();
      return;
    }
    if (has(object, "anyOf") && has(object, "oneOf")) unsupported("anyOf and oneOf together; use one of them");
    const bool is_object = names_object(object);
    if (is_object) require_properties(object);
    const std::vector<std::string_view> required = required_names(object);

    json_.begin_object();
    for (const auto [key, value] : object) {
      if (key == "type") {
        json_.key("type");
        write_type_with_null(value, nullable);
      } else if (key == "enum") {
        json_.key("enum");
        write_enum_with_null(value, nullable && has(object, "type"));
      } else if (nested(key, value, &required)) {
        // A keyword holding schemas, rewritten.
      } else if (key == "format") {
        if (value.is_string() && one_of(std::string_view(value), kOpenAIFormats)) {
          json_.key("format");
          write_value(json_, value);
        }
      } else if (key == "required" || key == "additionalProperties") {
        // Written below for object schemas, from "properties".
      } else if (one_of(key, kOpenAICopied)) {
        json_.key(key);
        write_value(json_, value);
      }
    }
    if (is_object) {
      if (!has(object, "properties")) json_.key("properties").begin_object().end_object();
      json_.key("required");
      dom::element properties;
      if (object["properties"].get(properties) == simdjson::SUCCESS) {
        write_names(properties);
      } else {
        json_.begin_array().end_array();
      }
      json_.key("additionalProperties").boolean(false);
    }
    json_.end_object();
  }

  void write_type_with_null(dom::element type, bool nullable) {
    if (!nullable) {
      write_value(json_, type);
      return;
    }
    write_list_adding(type, [this] { json_.string("null"); }, [](dom::element name) { return is_string(name, "null"); });
  }

  void write_enum_with_null(dom::element values, bool nullable) {
    if (!nullable || !values.is_array()) {
      write_value(json_, values);
      return;
    }
    write_list_adding(values, [this] { json_.null(); }, [](dom::element value) { return value.is_null(); });
  }

  // `values` (one value or a list) written as a list that also holds the value `write_extra`
  // writes, unless an entry already is it.
  template <class WriteExtra, class IsExtra>
  void write_list_adding(dom::element values, WriteExtra write_extra, IsExtra is_extra) {
    json_.begin_array();
    bool present = false;
    const auto add = [&](dom::element value) {
      present = present || is_extra(value);
      write_value(json_, value);
    };
    if (values.is_array()) {
      for (const dom::element value : dom::array(values)) add(value);
    } else {
      add(values);
    }
    if (!present) write_extra();
    json_.end_array();
  }

  // {"type":"null"}: the branch that makes a list of schemas nullable.
  void write_null_type() { json_.begin_object().key("type").string("null").end_object(); }

  // The names of an object's members as a list of strings; [] for anything but an object.
  void write_names(dom::element object) {
    json_.begin_array();
    if (object.is_object()) {
      for (const auto [name, value] : dom::object(object)) json_.string(name);
    }
    json_.end_array();
  }

  // ---- Anthropic ----------------------------------------------------------------------------

  void anthropic(dom::object object) {
    if (has(object, "anyOf") && has(object, "oneOf")) unsupported("anyOf and oneOf together; use one of them");
    const bool is_object = names_object(object);
    if (is_object) require_properties(object);
    json_.begin_object();
    for (const auto [key, value] : object) {
      if (key == "type" || key == "required") {
        json_.key(key);
        write_value(json_, value);
      } else if (nested(key, value, nullptr)) {
        // A keyword holding schemas, rewritten.
      } else if (key == "format") {
        if (value.is_string() && one_of(std::string_view(value), kAnthropicFormats)) {
          json_.key("format");
          write_value(json_, value);
        }
      } else if (key == "minItems") {
        // Only 0 and 1 are accepted; a larger minimum is left to the host's check.
        if (value.is_int64() && int64_t(value) >= 0 && int64_t(value) <= 1) {
          json_.key("minItems");
          write_value(json_, value);
        }
      } else if (key == "additionalProperties") {
        // Written below: false is the only value the service accepts.
      } else if (one_of(key, kAnthropicCopied)) {
        json_.key(key);
        write_value(json_, value);
      }
    }
    if (is_object) json_.key("additionalProperties").boolean(false);
    json_.end_object();
  }

  // ---- Gemini -------------------------------------------------------------------------------

  void gemini(dom::object object) {
    dom::element ref;
    if (object["$ref"].get(ref) == simdjson::SUCCESS) {
      inline_ref(ref);
      return;
    }
    if (has(object, "anyOf") && has(object, "oneOf")) unsupported("anyOf and oneOf together; use one of them");

    std::vector<std::string_view> types = type_names(object);
    const bool nullable = std::erase(types, std::string_view("null")) > 0;
    json_.begin_object();
    if (types.size() > 1) {
      // Several types: one bare branch each; keywords of one type cannot sit beside the others.
      json_.key("anyOf").begin_array();
      for (const std::string_view type : types) {
        json_.begin_object().key("type");
        write_type_name(type);
        json_.end_object();
      }
      json_.end_array();
      if (nullable) json_.key("nullable").boolean(true);
      dom::element description;
      if (object["description"].get(description) == simdjson::SUCCESS) {
        json_.key("description");
        write_value(json_, description);
      }
      json_.end_object();
      return;
    }
    if (types.size() == 1) {
      json_.key("type");
      write_type_name(types.front());
    } else if (nullable) {
      json_.key("type").string("NULL");
    }
    if (nullable && !types.empty()) json_.key("nullable").boolean(true);

    const bool string_enum = all_strings(object["enum"]);
    if (types.empty() && (string_enum || is_string_const(object))) json_.key("type").string("STRING");

    for (const auto [key, value] : object) {
      if (key == "type") {
        // Written above.
      } else if (key == "enum") {
        if (string_enum) {
          json_.key("enum");
          write_value(json_, value);
        }
      } else if (key == "const") {
        if (value.is_string() && !has(object, "enum")) {
          json_.key("enum").begin_array();
          write_value(json_, value);
          json_.end_array();
        }
      } else if (key == "properties") {
        json_.key("properties");
        schema_map(value, "properties", nullptr);
        if (!has(object, "propertyOrdering") && value.is_object()) {
          json_.key("propertyOrdering");
          write_names(value);
        }
      } else if (nested(key, value, nullptr)) {
        // A keyword holding schemas, rewritten.
      } else if (key == "nullable" && nullable) {
        // Already written from the type list.
      } else if (one_of(key, kGeminiCopied)) {
        json_.key(key);
        write_value(json_, value);
      }
    }
    json_.end_object();
  }

  static bool all_strings(simdjson::simdjson_result<dom::element> values) {
    dom::element list;
    if (values.get(list) != simdjson::SUCCESS || !list.is_array()) return false;
    for (const dom::element value : dom::array(list)) {
      if (!value.is_string()) return false;
    }
    return true;
  }

  static bool is_string_const(dom::object object) {
    dom::element value;
    return object["const"].get(value) == simdjson::SUCCESS && value.is_string();
  }

  void write_type_name(std::string_view name) {
    std::string upper(name);
    for (char& c : upper) {
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    json_.string(upper);
  }

  // The Schema object has no references: the target is written in place.
  void inline_ref(dom::element ref) {
    if (!ref.is_string()) unsupported("\"$ref\" must be a string");
    const std::string_view target = std::string_view(ref);
    if (target.empty() || target.front() != '#') {
      unsupported(fmt::format("the reference '{}' is not local; only '#/…' references are inlined", target));
    }
    if (std::find(expanding_.begin(), expanding_.end(), target) != expanding_.end()) {
      unsupported(fmt::format("the reference '{}' is recursive, which responseSchema cannot express; "
                              "bound the depth by writing the nested levels out",
                              target));
    }
    dom::element resolved;
    const std::string_view pointer = target.substr(1);
    const auto error = pointer.empty() ? root_.get(resolved) : root_.at_pointer(pointer).get(resolved);
    if (error != simdjson::SUCCESS) {
      unsupported(fmt::format("the reference '{}' points at nothing in the schema", target));
    }
    expanding_.push_back(target);
    const Step step(path_, "$ref");
    schema(resolved, false);
    expanding_.pop_back();
  }

  Dialect dialect_;
  dom::element root_;
  JsonWriter json_;
  std::string path_;                       // where in the schema we are, for error messages
  std::vector<std::string_view> expanding_;  // Gemini: the $refs being inlined, outermost first
};

std::string rewrite(Dialect dialect, std::string_view schema_json) {
  dom::parser parser;
  dom::element root;
  if (const auto error = parser.parse(schema_json.data(), schema_json.size()).get(root)) {
    throw ProviderError(MJ_ERR_CONFIGURATION,
                        fmt::format("the JSON Schema is not valid JSON ({})", simdjson::error_message(error)));
  }
  if (!root.is_object()) throw ProviderError(MJ_ERR_CONFIGURATION, "the JSON Schema must be one JSON object");
  std::string out;
  out.reserve(schema_json.size() + schema_json.size() / 4 + 64);
  SchemaRewriter(dialect, root, out).root();
  return out;
}

}  // namespace

std::string openai_strict_schema(std::string_view schema_json) {
  return rewrite(Dialect::openai_strict, schema_json);
}

std::string anthropic_output_schema(std::string_view schema_json) {
  return rewrite(Dialect::anthropic, schema_json);
}

std::string gemini_response_schema(std::string_view schema_json) {
  return rewrite(Dialect::gemini, schema_json);
}

bool has_object_root(std::string_view schema_json) {
  dom::parser parser;
  dom::element root;
  return parser.parse(schema_json.data(), schema_json.size()).get(root) == simdjson::SUCCESS && root.is_object() &&
         names_object(dom::object(root));
}

bool valid_schema_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

}  // namespace v1
}  // namespace majordomo::sdk
