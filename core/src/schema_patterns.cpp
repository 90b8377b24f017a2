// JSON Schema regex keywords checked with RE2: ECMA-262 -> RE2 translation, the schema rewrite and valijson constraints.
#include "schema_patterns.hpp"

#include "json_value_adapter.hpp"
#include "schema_references.hpp"

#include <majordomo/errors.hpp>

#include <valijson/constraint_builder.hpp>
#include <valijson/constraints/concrete_constraints.hpp>
#include <valijson/schema.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <mutex>
#include <set>
#include <stdexcept>
#include <unordered_map>
#include <vector>

namespace majordomo::json_schema {

namespace {

// Private keywords of the rewritten document. Their values are indexes into State's tables.
constexpr const char* kPatternKeyword = "x-majordomo-re2-pattern";
constexpr const char* kPropertiesKeyword = "x-majordomo-re2-properties";
constexpr const char* kFormatKeyword = "x-majordomo-re2-format";
// Where the rewritten document keeps the hoisted sub-schemas, and a copy of its own root that
// references to the root ("#") are redirected to (a sub-schema's document has another root, see compile_subschema).
constexpr const char* kSubschemasMember = "x-majordomo-subschemas";
constexpr const char* kRootAliasMember = "x-majordomo-root";

// ECMA-262's \s (WhiteSpace and LineTerminator), as the inside of a character class.
constexpr std::string_view kEcmaSpaceClass =
    "\\t\\n\\x0B\\f\\r \\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}";

[[noreturn]] void refuse_construct(std::string_view pattern, std::string_view construct, std::string_view provider) {
  throw_configuration_error(
      fmt::format("the JSON Schema's pattern '{}' uses {}, which RE2 (the linear-time matcher majordomo "
                  "checks patterns with) cannot run; rewrite the pattern without it",
                  pattern, construct),
      std::string(provider));
}

// The 4-digit hex number at `at` of `text`, or -1.
long hex4(std::string_view text, std::size_t at) {
  if (at + 4 > text.size()) return -1;
  long value = 0;
  for (std::size_t i = at; i < at + 4; ++i) {
    const int digit = hex_value(text[i]);
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

// \uXXXX (a surrogate pair makes one code point) or the u flag's \u{X...}, starting at the
// backslash at `i`: appended to `out` as RE2's \x{...}; returns the index after it.
std::size_t translate_unicode_escape(std::string_view pattern, std::size_t i, std::string& out) {
  if (i + 2 < pattern.size() && pattern[i + 2] == '{') {
    const std::size_t close = pattern.find('}', i + 3);
    if (close != std::string_view::npos) {
      out += "\\x";
      out.append(pattern.substr(i + 2, close - i - 1));
      return close + 1;
    }
  }
  long unit = hex4(pattern, i + 2);
  if (unit < 0) {
    out += 'u';  // Annex B: an incomplete \u is the letter u
    return i + 2;
  }
  i += 6;
  if (unit >= 0xD800 && unit <= 0xDBFF && i + 1 < pattern.size() && pattern[i] == '\\' && pattern[i + 1] == 'u') {
    const long low = hex4(pattern, i + 2);
    if (low >= 0xDC00 && low <= 0xDFFF) {
      unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
      i += 6;
    }
  }
  out += fmt::format("\\x{{{:X}}}", unit);
  return i;
}

// The escape whose backslash is at `i` (not the pattern's last character), inside a character
// class or not, appended to `out` in RE2's syntax; returns the index after it.
std::size_t translate_escape(std::string_view pattern, std::size_t i, bool in_class, std::string& out,
                             std::string_view provider) {
  const char next = pattern[i + 1];
  if (!in_class && next >= '1' && next <= '9') refuse_construct(pattern, "a backreference (\\1 ...)", provider);
  if (!in_class && next == 'k' && i + 2 < pattern.size() && pattern[i + 2] == '<') {
    refuse_construct(pattern, "a named backreference (\\k<name>)", provider);
  }
  if (next == 'u') return translate_unicode_escape(pattern, i, out);
  if (next == 'c' && i + 2 < pattern.size() && std::isalpha(static_cast<unsigned char>(pattern[i + 2]))) {
    out += fmt::format("\\x{{{:X}}}", static_cast<int>(pattern[i + 2]) % 32);  // \cJ is U+000A
    return i + 3;
  }
  if (next == '0' && (i + 2 == pattern.size() || !std::isdigit(static_cast<unsigned char>(pattern[i + 2])))) {
    out += "\\x00";
    return i + 2;
  }
  if (next == 's' || (next == 'S' && !in_class)) {
    // RE2's \s is ASCII [\t\n\f\r ]; ECMA-262's also has \v and the Unicode spaces.
    if (in_class) out += kEcmaSpaceClass;
    else out += fmt::format("[{}{}]", next == 'S' ? "^" : "", kEcmaSpaceClass);
    return i + 2;
  }
  if (next == 'v') {
    out += "\\x0B";
    return i + 2;
  }
  out += pattern[i];
  out += next;
  return i + 2;
}

// The '[' at `i` outside a class: ECMA-262's "[]" matches nothing and "[^]" any character (RE2
// reads a ']' first in a class as a literal); otherwise a class opens. Returns the index after
// what was appended, and whether a class is now open.
std::size_t translate_class_start(std::string_view pattern, std::size_t i, std::string& out, bool& in_class) {
  if (pattern.substr(i, 2) == "[]") {
    out += "[^\\x00-\\x{10FFFF}]";
    return i + 2;
  }
  if (pattern.substr(i, 3) == "[^]") {
    out += "(?s:.)";
    return i + 3;
  }
  in_class = true;
  out += '[';
  ++i;
  if (i < pattern.size() && pattern[i] == '^') {
    out += '^';
    ++i;
  }
  return i;
}

// The '(' of a "(?" outside a class: refuses lookaround; a named group (?<name> becomes RE2's
// (?P<name>, any other group stays. Returns the index after what it appended.
std::size_t translate_group_start(std::string_view pattern, std::size_t i, std::string& out, std::string_view provider) {
  const std::string_view rest = pattern.substr(i);
  if (rest.starts_with("(?=")) refuse_construct(pattern, "a lookahead (?=...)", provider);
  if (rest.starts_with("(?!")) refuse_construct(pattern, "a negative lookahead (?!...)", provider);
  if (rest.starts_with("(?<=")) refuse_construct(pattern, "a lookbehind (?<=...)", provider);
  if (rest.starts_with("(?<!")) refuse_construct(pattern, "a negative lookbehind (?<!...)", provider);
  if (rest.starts_with("(?<")) {
    out += "(?P<";
    return i + 3;
  }
  out += '(';
  return i + 1;
}

}  // namespace

std::string ecma_pattern_to_re2(std::string_view pattern, std::string_view provider) {
  std::string out;
  out.reserve(pattern.size() + 16);
  bool in_class = false;
  std::size_t i = 0;
  while (i < pattern.size()) {
    const char c = pattern[i];
    if (c == '\\') {
      if (i + 1 == pattern.size()) {
        throw_configuration_error(fmt::format("the JSON Schema's pattern '{}' ends with a lone backslash", pattern),
                                  std::string(provider));
      }
      i = translate_escape(pattern, i, in_class, out, provider);
    } else if (in_class) {
      if (c == ']') in_class = false;
      out += c;
      ++i;
    } else if (c == '[') {
      i = translate_class_start(pattern, i, out, in_class);
    } else if (c == '(' && pattern.substr(i, 2) == "(?") {
      i = translate_group_start(pattern, i, out, provider);
    } else if (c == '.') {
      // ECMA-262's '.' stops at every line terminator; RE2's only at '\n'.
      out += "[^\\n\\r\\x{2028}\\x{2029}]";
      ++i;
    } else {
      out += c;
      ++i;
    }
  }
  return out;
}

// One "patternProperties" object with what decides which members it governs.
struct PropertyRule {
  std::vector<std::string> pattern_texts;  // as the schema wrote them, for messages
  std::vector<std::unique_ptr<RE2>> patterns;
  std::vector<std::size_t> pattern_schemas;  // index into State::subschemas, one per pattern
  std::set<std::string> named;               // the names "properties" lists
  enum class Additional { any, none, schema } additional = Additional::any;
  std::size_t additional_schema = 0;
};

// A hoisted sub-schema, compiled on first use (lazily: a recursive schema would otherwise
// compile itself forever).
struct Subschema {
  std::once_flag compiled;
  JsonValue document;  // the rewritten root with a "$ref" to this sub-schema
  valijson::Schema schema;
  std::string error;  // why it could not be compiled
};

struct RegexKeywords::State {
  JsonValue document;
  std::vector<std::string> pattern_texts;
  std::vector<std::unique_ptr<RE2>> patterns;
  std::vector<PropertyRule> rules;
  std::vector<std::unique_ptr<Subschema>> subschemas;
  std::vector<std::string> formats;
  std::string provider;

  std::size_t add_pattern(const std::string& text) {
    RE2::Options options;
    options.set_log_errors(false);
    options.set_never_capture(true);
    auto compiled = std::make_unique<RE2>(ecma_pattern_to_re2(text, provider), options);
    if (!compiled->ok()) {
      throw_configuration_error(fmt::format("the JSON Schema's pattern '{}' cannot be compiled ({}); JSON "
                                            "Schema patterns are ECMA-262 regular expressions without "
                                            "backreferences or lookaround",
                                            text, compiled->error()),
                                provider);
    }
    pattern_texts.push_back(text);
    patterns.push_back(std::move(compiled));
    return patterns.size() - 1;
  }

  bool validate_subschema(std::size_t index, const valijson::adapters::Adapter& target,
                          const std::vector<std::string>& context, valijson::ValidationResults* results) const;

  JsonValue rewrite(const JsonValue& node);
  JsonValue rewrite_map(const JsonValue& map);
};

JsonValue RegexKeywords::State::rewrite_map(const JsonValue& map) {
  JsonValue out = JsonValue::object();
  for (const auto& [name, value] : map.as_object()) out.set(name, rewrite(value));
  return out;
}

JsonValue RegexKeywords::State::rewrite(const JsonValue& node) {
  if (node.is_array()) {
    JsonValue out = JsonValue::array();
    for (const auto& element : node.as_array()) out.push_back(rewrite(element));
    return out;
  }
  if (!node.is_object()) return node;
  const JsonValue* pattern_properties = node.find("patternProperties");
  if (pattern_properties != nullptr && !pattern_properties->is_object()) pattern_properties = nullptr;
  JsonValue out = JsonValue::object();
  for (const auto& [key, value] : node.as_object()) {
    if (key == "pattern" && value.is_string()) {
      out.set(kPatternKeyword, JsonValue(add_pattern(value.as_string())));
    } else if (key == "multipleOf" && value.is_number() && !(value.as_number() > 0)) {
      // JSON Schema requires > 0; valijson would divide an integer answer by 0 (SIGFPE). Found by fuzz_schema.
      throw_configuration_error("the JSON Schema has a \"multipleOf\" that is not greater than 0", provider);
    } else if (key == "format" && value.is_string()) {
      formats.push_back(value.as_string());
      out.set(kFormatKeyword, JsonValue(formats.size() - 1));
    } else if (pattern_properties != nullptr && (key == "patternProperties" || key == "additionalProperties")) {
      continue;  // both go into the rule below
    } else if (key == "$ref" && value.is_string() && refers_to_root(value.as_string())) {
      out.set(key, JsonValue(fmt::format("#/{}", kRootAliasMember)));
    } else if (is_data_keyword(key)) {
      out.set(key, value);
    } else if (is_schema_map_keyword(key) && value.is_object()) {
      out.set(key, rewrite_map(value));
    } else {
      out.set(key, rewrite(value));
    }
  }
  if (pattern_properties != nullptr) {
    PropertyRule rule;
    const auto hoist = [this](const JsonValue& schema) {
      auto subschema = std::make_unique<Subschema>();
      subschema->document = rewrite(schema);  // the sub-schema itself, until finish() wraps it
      subschemas.push_back(std::move(subschema));
      return subschemas.size() - 1;
    };
    for (const auto& [text, schema] : pattern_properties->as_object()) {
      const std::size_t index = add_pattern(text);
      rule.pattern_texts.push_back(text);
      rule.patterns.push_back(std::move(patterns[index]));
      patterns[index].reset();
      rule.pattern_schemas.push_back(hoist(schema));
    }
    if (const JsonValue* properties = node.find("properties"); properties != nullptr && properties->is_object()) {
      for (const auto& member : properties->as_object()) rule.named.insert(member.name);
    }
    if (const JsonValue* additional = node.find("additionalProperties")) {
      if (additional->is_bool()) {
        rule.additional = additional->as_bool() ? PropertyRule::Additional::any : PropertyRule::Additional::none;
      } else {
        rule.additional = PropertyRule::Additional::schema;
        rule.additional_schema = hoist(*additional);
      }
    }
    rules.push_back(std::move(rule));
    out.set(kPropertiesKeyword, JsonValue(rules.size() - 1));
  }
  return out;
}

namespace {

using valijson::adapters::Adapter;
using valijson::constraints::Constraint;
using valijson::constraints::PolyConstraint;

// The size_t a private keyword holds (written by rewrite, so always a non-negative integer).
std::size_t keyword_index(const Adapter& value) {
  std::int64_t index = -1;
  if (!value.getInteger(index) || index < 0) throw std::runtime_error("malformed private schema keyword");
  return static_cast<std::size_t>(index);
}

class PatternConstraint final : public PolyConstraint {
 public:
  PatternConstraint(const RegexKeywords::State* state, std::size_t index) : state_(state), index_(index) {}
  bool validate(const Adapter& target, const std::vector<std::string>& context,
                valijson::ValidationResults* results) const override {
    std::string text;
    if (!target.getString(text)) return true;  // "pattern" constrains strings only
    if (RE2::PartialMatch(text, *state_->patterns[index_])) return true;
    if (results != nullptr) {
      results->pushError(context, fmt::format("Failed to match the regex '{}' of the 'pattern' constraint.",
                                              state_->pattern_texts[index_]));
    }
    return false;
  }

 private:
  Constraint* cloneInto(void* memory) const override { return new (memory) PatternConstraint(*this); }
  std::size_t sizeOf() const override { return sizeof(PatternConstraint); }
  const RegexKeywords::State* state_;
  std::size_t index_;
};

class PropertiesConstraint final : public PolyConstraint {
 public:
  PropertiesConstraint(const RegexKeywords::State* state, std::size_t index) : state_(state), index_(index) {}
  bool validate(const Adapter& target, const std::vector<std::string>& context,
                valijson::ValidationResults* results) const override {
    if (!target.isObject()) return true;
    const PropertyRule& rule = state_->rules[index_];
    bool valid = true;
    target.applyToObject([&](const std::string& name, const Adapter& value) {
      bool governed = rule.named.count(name) != 0;
      std::vector<std::string> member_context = context;
      member_context.push_back("[" + name + "]");
      for (std::size_t i = 0; i < rule.patterns.size(); ++i) {
        if (!RE2::PartialMatch(name, *rule.patterns[i])) continue;
        governed = true;
        if (!state_->validate_subschema(rule.pattern_schemas[i], value, member_context, results)) {
          valid = false;
          if (results == nullptr) return false;
          results->pushError(context, fmt::format("Failed to validate against schema associated with pattern '{}'.",
                                                  rule.pattern_texts[i]));
        }
      }
      if (governed || rule.additional == PropertyRule::Additional::any) return true;
      if (rule.additional == PropertyRule::Additional::none ||
          !state_->validate_subschema(rule.additional_schema, value, member_context, results)) {
        valid = false;
        if (results == nullptr) return false;
        results->pushError(context, fmt::format("Object contains a property '{}' that could not be validated "
                                                "using 'properties', 'patternProperties' or "
                                                "'additionalProperties' constraints",
                                                name));
      }
      return true;
    });
    return valid;
  }

 private:
  Constraint* cloneInto(void* memory) const override { return new (memory) PropertiesConstraint(*this); }
  std::size_t sizeOf() const override { return sizeof(PropertiesConstraint); }
  const RegexKeywords::State* state_;
  std::size_t index_;
};

// valijson's date range rule (days per month, 29 for February), kept so that results do not change.
bool day_in_month(int month, int day) {
  if (month == 2) return day >= 0 && day <= 29;
  const bool short_month = month <= 7 ? month % 2 == 0 : month % 2 != 0;
  return day >= 0 && day <= (short_month ? 30 : 31);
}

class FormatConstraint final : public PolyConstraint {
 public:
  FormatConstraint(const RegexKeywords::State* state, std::size_t index) : state_(state), index_(index) {}
  bool validate(const Adapter& target, const std::vector<std::string>& context,
                valijson::ValidationResults* results) const override {
    std::string text;
    if (!target.getString(text)) return true;
    const std::string& format = state_->formats[index_];
    // The expressions valijson uses, matched with RE2.
    static const RE2 date(R"(([0-9]+)-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01]))");
    static const RE2 time(R"(([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9]|60)(\.[0-9]+)?(([Zz])|([\+|\-]([01][0-9]|2[0-3]):[0-5][0-9])))");
    static const RE2 date_time(R"(([0-9]+)-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9]|60)(\.[0-9]+)?(([Zz])|([\+|\-]([01][0-9]|2[0-3]):[0-5][0-9])))");
    int month = 0;
    int day = 0;
    bool valid = true;
    if (format == "date") {
      valid = RE2::FullMatch(text, date, nullptr, &month, &day) && day_in_month(month, day);
    } else if (format == "time") {
      valid = RE2::FullMatch(text, time);
    } else if (format == "date-time") {
      valid = RE2::FullMatch(text, date_time, nullptr, &month, &day) && day_in_month(month, day);
    }
    if (!valid && results != nullptr) results->pushError(context, "String should be a valid " + format);
    return valid;
  }

 private:
  Constraint* cloneInto(void* memory) const override { return new (memory) FormatConstraint(*this); }
  std::size_t sizeOf() const override { return sizeof(FormatConstraint); }
  const RegexKeywords::State* state_;
  std::size_t index_;
};

template <class ConstraintType>
class KeywordBuilder final : public valijson::ConstraintBuilder {
 public:
  explicit KeywordBuilder(const RegexKeywords::State* state) : state_(state) {}
  Constraint* make(const Adapter& value) const override { return new ConstraintType(state_, keyword_index(value)); }

 private:
  const RegexKeywords::State* state_;
};

void add_keyword_builders(valijson::SchemaParser& parser, const RegexKeywords::State* state) {
  parser.addConstraintBuilder(kPatternKeyword, new KeywordBuilder<PatternConstraint>(state));
  parser.addConstraintBuilder(kPropertiesKeyword, new KeywordBuilder<PropertiesConstraint>(state));
  parser.addConstraintBuilder(kFormatKeyword, new KeywordBuilder<FormatConstraint>(state));
}

}  // namespace

bool RegexKeywords::State::validate_subschema(std::size_t index, const Adapter& target,
                                              const std::vector<std::string>& context,
                                              valijson::ValidationResults* results) const {
  Subschema& subschema = *subschemas[index];
  std::call_once(subschema.compiled, [&] {
    try {
      valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
      add_keyword_builders(parser, this);
      parser.populateSchema(JsonValueAdapter(subschema.document), subschema.schema);
    } catch (const std::exception& error) {
      subschema.error = error.what();
    }
  });
  if (!subschema.error.empty()) throw std::runtime_error(subschema.error);
  const auto* member = dynamic_cast<const JsonValueAdapter*>(&target);
  if (member == nullptr) throw std::runtime_error("a patternProperties member is not a JSON value");
  valijson::Validator validator;
  valijson::ValidationResults inner;
  const bool valid = validator.validate(subschema.schema, *member, results != nullptr ? &inner : nullptr);
  if (results != nullptr) {
    for (const auto& error : inner) {
      std::vector<std::string> where = context;
      // The inner validation starts its paths at "<root>": that is the member here.
      where.insert(where.end(), error.context.begin() + (error.context.empty() ? 0 : 1), error.context.end());
      results->pushError(where, error.description);
    }
  }
  return valid;
}

RegexKeywords::RegexKeywords(const JsonValue& schema, std::string_view provider) : state_(std::make_unique<State>()) {
  state_->provider = std::string(provider);
  // Before the rewrite, so that messages quote the caller's references (the rewrite keeps cycles:
  // its alias of the root and hoisted sub-schemas are copies).
  const JsonValue scoped = without_resolution_scope(schema);
  refuse_reference_cycles(scoped, provider);
  JsonValue root = state_->rewrite(scoped);
  if (root.is_object()) {
    // The alias "#" now points to; a copy of the root as rewritten (itself without alias).
    const JsonValue alias = root;
    root.set(kRootAliasMember, alias);
    // Each hoisted sub-schema is compiled from a copy of the root whose "$ref" selects it, so
    // that its "#/definitions/..." references resolve as in the caller's schema.
    JsonValue hoisted = JsonValue::array();
    for (const auto& subschema : state_->subschemas) hoisted.push_back(subschema->document);
    root.set(kSubschemasMember, hoisted);
    for (std::size_t i = 0; i < state_->subschemas.size(); ++i) {
      JsonValue document = root;
      document.set("$ref", JsonValue(fmt::format("#/{}/{}", kSubschemasMember, i)));
      state_->subschemas[i]->document = std::move(document);
    }
  }
  state_->document = std::move(root);
}

RegexKeywords::RegexKeywords(RegexKeywords&&) noexcept = default;
RegexKeywords& RegexKeywords::operator=(RegexKeywords&&) noexcept = default;
RegexKeywords::~RegexKeywords() = default;

const JsonValue& RegexKeywords::document() const { return state_->document; }

void RegexKeywords::register_with(valijson::SchemaParser& parser) const { add_keyword_builders(parser, state_.get()); }

}  // namespace majordomo::json_schema
