// How "$ref" resolves, as valijson 1.0 resolves it: references to the root, the resolution scope, reference cycles.
#include "schema_references.hpp"

#include <majordomo/errors.hpp>

#include <fmt/format.h>

#include <cstdint>
#include <exception>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace majordomo::json_schema {

bool refers_to_root(std::string_view ref) {
  const std::size_t hash = ref.find('#');
  if (ref.substr(0, hash).find("://") != std::string_view::npos) return false;
  if (hash == std::string_view::npos) return true;
  return ref.find_first_not_of('/', hash + 1) == std::string_view::npos;
}

bool is_data_keyword(std::string_view key) {
  return key == "enum" || key == "const" || key == "default" || key == "examples";
}

bool is_schema_map_keyword(std::string_view key) {
  return key == "properties" || key == "definitions" || key == "$defs" || key == "dependencies";
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

namespace {

// Whether valijson reads `value`, found under "id", as a resolution scope: whatever its adapter
// calls maybeString (strings, numbers, booleans, empty objects and arrays).
bool sets_scope(const JsonValue& value) {
  if (value.is_object()) return value.as_object().empty();
  if (value.is_array()) return value.as_array().empty();
  return !value.is_null();
}

// `id` without an empty fragment: "http://x/s.json#" names the same document as "http://x/s.json".
std::string_view document_of(std::string_view id) { return id.ends_with('#') ? id.substr(0, id.size() - 1) : id; }

JsonValue unscoped(const JsonValue& node, std::string_view root_id);

JsonValue unscoped_map(const JsonValue& map, std::string_view root_id) {
  JsonValue out = JsonValue::object();
  for (const auto& [name, value] : map.as_object()) out.set(name, unscoped(value, root_id));
  return out;
}

JsonValue unscoped(const JsonValue& node, std::string_view root_id) {
  if (node.is_array()) {
    JsonValue out = JsonValue::array();
    for (const auto& element : node.as_array()) out.push_back(unscoped(element, root_id));
    return out;
  }
  if (!node.is_object()) return node;
  JsonValue out = JsonValue::object();
  for (const auto& [key, value] : node.as_object()) {
    if (key == "id" && sets_scope(value)) continue;
    if (key == "$ref" && value.is_string() && !root_id.empty() && value.as_string().starts_with(root_id) &&
        (value.as_string().size() == root_id.size() || value.as_string()[root_id.size()] == '#')) {
      const std::string fragment = value.as_string().substr(root_id.size());
      out.set(key, JsonValue(fragment.empty() ? std::string("#") : fragment));
    } else if (is_data_keyword(key)) {
      out.set(key, value);
    } else if ((is_schema_map_keyword(key) || key == "patternProperties") && value.is_object()) {
      out.set(key, unscoped_map(value, root_id));
    } else {
      out.set(key, unscoped(value, root_id));
    }
  }
  return out;
}

// The node valijson resolves the reference `ref` to in `root`, as it does: a URI part without
// "://" is ignored (valijson fetches only those), the pointer after '#' loses its trailing '/'s,
// its tokens are unescaped (~1, ~0, %XX); no '#' means the root. nullptr: remote, or no such node.
const JsonValue* resolve_reference(const JsonValue& root, std::string_view ref) {
  const std::size_t hash = ref.find('#');
  const std::string_view uri = ref.substr(0, hash);
  if (uri.find("://") != std::string_view::npos) return nullptr;
  std::string_view pointer = hash == std::string_view::npos ? std::string_view() : ref.substr(hash + 1);
  while (!pointer.empty() && pointer.back() == '/') pointer.remove_suffix(1);
  if (!pointer.empty() && pointer.front() != '/') return nullptr;
  const JsonValue* node = &root;
  std::size_t start = 0;
  while (start < pointer.size()) {
    const std::size_t end = std::min(pointer.find('/', start + 1), pointer.size());
    std::string token;
    const std::string_view raw = pointer.substr(start + 1, end - start - 1);
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '~' && i + 1 < raw.size() && (raw[i + 1] == '0' || raw[i + 1] == '1')) {
        token += raw[++i] == '1' ? '/' : '~';
      } else if (raw[i] == '%' && i + 2 < raw.size() && hex_value(raw[i + 1]) >= 0 && hex_value(raw[i + 2]) >= 0) {
        token += static_cast<char>(hex_value(raw[i + 1]) * 16 + hex_value(raw[i + 2]));
        i += 2;
      } else {
        token += raw[i];
      }
    }
    if (token.empty()) {
      // valijson skips empty tokens ("#/a//b" is "#/a/b").
    } else if (node->is_array()) {
      // An index is read as valijson reads it, with std::stoul: "1d" is 1, " +1" too.
      std::size_t index = 0;
      try {
        index = std::stoul(token);
      } catch (const std::exception&) {
        return nullptr;
      }
      if (index >= node->size()) return nullptr;
      node = &node->at(index);
    } else {
      node = node->find(token);
      if (node == nullptr) return nullptr;
    }
    start = end;
  }
  return node;
}

// valijson matches every "$ref" against a URN pattern with std::regex, which recurses once per
// character: a longer reference is refused before it gets there.
constexpr std::size_t kLongestReference = 1024;

// The schemas valijson applies to the same value as `node` (so without descending into the
// answer): its $ref target, allOf/anyOf/oneOf members, not, if/then/else, schema dependencies.
std::vector<const JsonValue*> same_value_schemas(const JsonValue& root, const JsonValue& node) {
  std::vector<const JsonValue*> out;
  if (const JsonValue* ref = node.find("$ref"); ref != nullptr && ref->is_string()) {
    if (const JsonValue* target = resolve_reference(root, ref->as_string())) out.push_back(target);
  }
  for (const char* key : {"allOf", "anyOf", "oneOf"}) {
    if (const JsonValue* list = node.find(key); list != nullptr && list->is_array()) {
      for (const auto& member : list->as_array()) out.push_back(&member);
    }
  }
  for (const char* key : {"not", "if", "then", "else"}) {
    if (const JsonValue* schema = node.find(key)) out.push_back(schema);
  }
  if (const JsonValue* dependencies = node.find("dependencies"); dependencies != nullptr && dependencies->is_object()) {
    for (const auto& member : dependencies->as_object()) out.push_back(&member.value);
  }
  return out;
}

}  // namespace

// valijson recurses without end through a loop of those edges ({"$ref":"#"}, or
// {"oneOf":[{"$ref":"#"}]}: the same value checked against the same schema again), while loading
// the schema or while checking an answer. Such a loop is refused; recursion that descends into
// the answer (properties, items, …) is bounded by the answer's depth and stays allowed. Depth-first
// search with an explicit stack: a schema may chain thousands of definitions.
void refuse_reference_cycles(const JsonValue& root, std::string_view provider) {
  std::vector<const JsonValue*> objects;
  std::vector<const JsonValue*> pending{&root};
  while (!pending.empty()) {
    const JsonValue* node = pending.back();
    pending.pop_back();
    if (node->is_array()) {
      for (const auto& element : node->as_array()) pending.push_back(&element);
      continue;
    }
    if (!node->is_object()) continue;
    objects.push_back(node);
    if (const JsonValue* ref = node->find("$ref"); ref != nullptr && ref->is_string() &&
                                                   ref->as_string().size() > kLongestReference) {
      throw_configuration_error(fmt::format("the JSON Schema has a $ref longer than {} bytes", kLongestReference),
                                std::string(provider));
    }
    if (const JsonValue* ref = node->find("$ref"); ref != nullptr && ref->is_string() &&
                                                   ref->as_string().find("x-majordomo-") != std::string::npos) {
      throw_configuration_error("the JSON Schema's $ref names x-majordomo-…, which is reserved", std::string(provider));
    }
    for (const auto& member : node->as_object()) {
      // The rewrite's own members: a schema using them could point into them (found by fuzz_schema).
      if (member.name.starts_with("x-majordomo-")) {
        throw_configuration_error("the JSON Schema uses the reserved name '" + member.name + "'", std::string(provider));
      }
      if (!is_data_keyword(member.name)) pending.push_back(&member.value);
    }
  }
  enum class Mark : std::uint8_t { open, done };
  std::unordered_map<const JsonValue*, Mark> marks;
  for (const JsonValue* start : objects) {
    if (marks.count(start) != 0) continue;
    // Each frame: a schema and the index of its next edge to follow.
    std::vector<std::pair<const JsonValue*, std::size_t>> path{{start, 0}};
    std::vector<std::vector<const JsonValue*>> edges{same_value_schemas(root, *start)};
    marks[start] = Mark::open;
    while (!path.empty()) {
      auto& [node, next] = path.back();
      if (next == edges.back().size()) {
        marks[node] = Mark::done;
        path.pop_back();
        edges.pop_back();
        continue;
      }
      const JsonValue* target = edges.back()[next++];
      if (!target->is_object()) continue;
      const auto mark = marks.find(target);
      if (mark != marks.end() && mark->second == Mark::open) {
        const JsonValue* ref = node->find("$ref");
        throw_configuration_error(
            fmt::format("the JSON Schema refers back to itself without descending into the answer (a reference "
                        "cycle{}{}{}); validation would never end: break the cycle",
                        ref != nullptr && ref->is_string() ? " through $ref '" : "",
                        ref != nullptr && ref->is_string() ? ref->as_string() : "",
                        ref != nullptr && ref->is_string() ? "'" : ""),
            std::string(provider));
      }
      if (mark != marks.end()) continue;
      marks[target] = Mark::open;
      path.emplace_back(target, 0);
      edges.push_back(same_value_schemas(root, *target));
    }
  }
}

JsonValue without_resolution_scope(const JsonValue& schema) {
  std::string_view root_id;
  if (schema.is_object()) {
    if (const JsonValue* id = schema.find("id"); id != nullptr && id->is_string()) root_id = document_of(id->as_string());
  }
  return unscoped(schema, root_id);
}

}  // namespace majordomo::json_schema
