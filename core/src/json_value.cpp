// JsonValue: bounded parsing (simdjson's DOM), building, reading, comparing and writing JSON values.
#include <majordomo/json_value.hpp>

#include <majordomo/sdk/json_writer.hpp>

#include <simdjson.h>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <iterator>
#include <limits>
#include <utility>

namespace majordomo {

namespace {

[[noreturn]] void throw_parse_error(std::string message) {
  ErrorDetails details;
  details.kind = ErrorKind::parse;
  details.message = std::move(message);
  throw_error(std::move(details));
}

[[noreturn]] void throw_shape_error(std::string message) {
  ErrorDetails details;
  details.kind = ErrorKind::schema_mismatch;
  details.message = std::move(message);
  throw_error(std::move(details));
}

// A member name for an error message: at most 40 bytes (cut on a UTF-8 character boundary), so
// that a hostile name cannot flood a log.
std::string quoted_name(std::string_view name) {
  constexpr std::size_t kShown = 40;
  if (name.size() <= kShown) return fmt::format("'{}'", name);
  std::size_t cut = kShown;
  while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) --cut;
  return fmt::format("'{}…'", name.substr(0, cut));
}

// Small objects are compared pairwise; larger ones through sorted names, so that a hostile object
// of many members costs n log n rather than n².
constexpr std::size_t kPairwiseMembers = 16;

// The name some two members share, or nullptr when every name is distinct.
const std::string* repeated_name(const std::vector<JsonValue::Member>& members) {
  if (members.size() <= kPairwiseMembers) {
    for (std::size_t i = 0; i < members.size(); ++i) {
      for (std::size_t j = i + 1; j < members.size(); ++j) {
        if (members[i].name == members[j].name) return &members[i].name;
      }
    }
    return nullptr;
  }
  std::vector<const std::string*> names;
  names.reserve(members.size());
  for (const auto& member : members) names.push_back(&member.name);
  std::sort(names.begin(), names.end(), [](const std::string* a, const std::string* b) { return *a < *b; });
  const auto same = std::adjacent_find(names.begin(), names.end(),
                                       [](const std::string* a, const std::string* b) { return *a == *b; });
  return same == names.end() ? nullptr : *same;
}

std::string describe(simdjson::error_code error) {
  switch (error) {
    case simdjson::EMPTY: return "the JSON text is empty";
    case simdjson::DEPTH_ERROR:
      return fmt::format("the JSON text nests arrays and objects more than {} deep", JsonValue::kMaxParseDepth);
    case simdjson::UTF8_ERROR: return "the JSON text is not valid UTF-8";
    case simdjson::NUMBER_ERROR:
      // simdjson reports malformed numbers ("01", "1.") and out-of-range ones alike.
      return "the JSON text has a number that is malformed or beyond 64 bits (an integer outside "
             "[-2^63, 2^64) or a number outside ±1.8e308; such values must be sent as strings)";
    case simdjson::MEMALLOC: return "out of memory while parsing the JSON text";
    default: return fmt::format("the JSON text is not valid JSON ({})", simdjson::error_message(error));
  }
}

void write_string(std::string& out, std::string_view text) {
  out += '"';
  sdk::append_json_escaped(out, text);
  out += '"';
}

void write_number(std::string& out, double value) {
  if (!std::isfinite(value)) {
    out += "null";
    return;
  }
  char buffer[32];
  const auto result = std::to_chars(std::begin(buffer), std::end(buffer), value);
  const std::string_view text(buffer, static_cast<std::size_t>(result.ptr - buffer));
  out += text;
  // "2" would read back as an integer: keep the number's type across a round trip.
  if (text.find_first_of(".eE") == std::string_view::npos) out += ".0";
}

void write_value(std::string& out, const JsonValue& value) {
  switch (value.type()) {
    case JsonValue::Type::null: out += "null"; return;
    case JsonValue::Type::boolean: out += value.as_bool() ? "true" : "false"; return;
    case JsonValue::Type::integer: {
      char buffer[24];
      const auto result = std::to_chars(std::begin(buffer), std::end(buffer), value.as_integer());
      out.append(buffer, result.ptr);
      return;
    }
    case JsonValue::Type::number: write_number(out, value.as_number()); return;
    case JsonValue::Type::string: write_string(out, value.as_string()); return;
    case JsonValue::Type::array: {
      out += '[';
      bool first = true;
      for (const auto& element : value.as_array()) {
        if (!first) out += ',';
        first = false;
        write_value(out, element);
      }
      out += ']';
      return;
    }
    case JsonValue::Type::object: {
      out += '{';
      bool first = true;
      for (const auto& member : value.as_object()) {
        if (!first) out += ',';
        first = false;
        write_string(out, member.name);
        out += ':';
        write_value(out, member.value);
      }
      out += '}';
      return;
    }
  }
}

// An int64 and a double are equal when the double is exactly that integer.
bool integer_equals_number(std::int64_t integer, double number) {
  constexpr double kTwoTo63 = 9223372036854775808.0;
  if (!(number >= -kTwoTo63 && number < kTwoTo63) || std::trunc(number) != number) return false;
  return static_cast<std::int64_t>(number) == integer;
}

bool members_equal(const std::vector<JsonValue::Member>& a, const std::vector<JsonValue::Member>& b) {
  if (a.size() != b.size()) return false;
  if (a.size() <= kPairwiseMembers) {
    for (const auto& member : a) {
      const auto match = std::find_if(b.begin(), b.end(), [&](const auto& other) { return other.name == member.name; });
      if (match == b.end() || !(match->value == member.value)) return false;
    }
    return true;
  }
  const auto sorted = [](const std::vector<JsonValue::Member>& members) {
    std::vector<const JsonValue::Member*> out;
    out.reserve(members.size());
    for (const auto& member : members) out.push_back(&member);
    std::sort(out.begin(), out.end(), [](const auto* x, const auto* y) { return x->name < y->name; });
    return out;
  };
  const auto left = sorted(a);
  const auto right = sorted(b);
  for (std::size_t i = 0; i < left.size(); ++i) {
    if (left[i]->name != right[i]->name || !(left[i]->value == right[i]->value)) return false;
  }
  return true;
}

}  // namespace

// Turns simdjson's DOM into JsonValues; a friend of JsonValue so that arrays and objects are
// filled in place (one allocation per container, no per-member name lookup).
struct JsonValueParser {
  // `depth`: how many arrays and objects `element` would be, counting itself (the root is 1).
  static JsonValue convert(simdjson::dom::element element, std::size_t depth) {
    using simdjson::dom::element_type;
    const element_type type = element.type();
    if ((type == element_type::ARRAY || type == element_type::OBJECT) && depth > JsonValue::kMaxParseDepth) {
      throw_parse_error(describe(simdjson::DEPTH_ERROR));
    }
    switch (type) {
      case element_type::NULL_VALUE: return {};
      case element_type::BOOL: return JsonValue(element.get_bool().value_unsafe());
      case element_type::INT64: return JsonValue(element.get_int64().value_unsafe());
      case element_type::UINT64: return JsonValue(element.get_uint64().value_unsafe());
      case element_type::DOUBLE: return JsonValue(element.get_double().value_unsafe());
      case element_type::STRING: return JsonValue(element.get_string().value_unsafe());
      case element_type::ARRAY: {
        const simdjson::dom::array array = element.get_array().value_unsafe();
        JsonValue out = JsonValue::array();
        out.elements_->reserve(array.size());
        for (const simdjson::dom::element item : array) out.elements_->push_back(convert(item, depth + 1));
        return out;
      }
      case element_type::OBJECT: {
        const simdjson::dom::object object = element.get_object().value_unsafe();
        JsonValue out = JsonValue::object();
        out.members_->reserve(object.size());
        for (const simdjson::dom::key_value_pair field : object) {
          out.members_->push_back(JsonValue::Member{std::string(field.key), convert(field.value, depth + 1)});
        }
        if (const std::string* name = repeated_name(*out.members_)) {
          throw_parse_error(fmt::format("the JSON text has an object with the member {} twice", quoted_name(*name)));
        }
        return out;
      }
    }
    throw_parse_error("the JSON text has a value of an unknown type");
  }
};

JsonValue JsonValue::parse(std::string_view text) {
  if (text.size() > kMaxParseBytes) {
    throw_parse_error(fmt::format("the JSON text is {} bytes, more than the {} that JsonValue::parse reads",
                                  text.size(), kMaxParseBytes));
  }
  simdjson::dom::parser parser;
  // simdjson counts a scalar inside the innermost array as a level too, so its own limit sits two
  // above ours (it bounds the work before anything is built); convert() applies ours exactly.
  if (const auto error = parser.allocate(std::max<std::size_t>(text.size(), 64), kMaxParseDepth + 2)) {
    throw_parse_error(describe(error));
  }
  simdjson::dom::element root;
  if (const auto error = parser.parse(text.data(), text.size()).get(root)) throw_parse_error(describe(error));
  return JsonValueParser::convert(root, 1);
}

JsonValue::JsonValue(bool value) noexcept : type_(Type::boolean) { boolean_ = value; }
JsonValue::JsonValue(double value) noexcept : type_(Type::number) { number_ = value; }
JsonValue::JsonValue(std::string value) {
  string_ = new std::string(std::move(value));
  type_ = Type::string;
}
JsonValue::JsonValue(std::string_view value) : JsonValue(std::string(value)) {}
JsonValue::JsonValue(const char* value) {
  if (value == nullptr) return;  // null
  string_ = new std::string(value);
  type_ = Type::string;
}

void JsonValue::assign_integer(std::int64_t value) noexcept {
  type_ = Type::integer;
  integer_ = value;
}

void JsonValue::assign_unsigned(std::uint64_t value) noexcept {
  if (value <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    assign_integer(static_cast<std::int64_t>(value));
  } else {
    type_ = Type::number;
    number_ = static_cast<double>(value);
  }
}

JsonValue JsonValue::array(std::vector<JsonValue> elements) {
  JsonValue out;
  out.elements_ = new std::vector<JsonValue>(std::move(elements));
  out.type_ = Type::array;
  return out;
}

JsonValue JsonValue::object() { return object(std::vector<Member>{}); }

JsonValue JsonValue::object(std::vector<Member> members) {
  JsonValue out;
  if (repeated_name(members) == nullptr) {
    out.members_ = new std::vector<Member>(std::move(members));
    out.type_ = Type::object;
    return out;
  }
  out.members_ = new std::vector<Member>();
  out.type_ = Type::object;
  for (auto& member : members) out.set(std::move(member.name), std::move(member.value));
  return out;
}

JsonValue::JsonValue(const JsonValue& other) {
  switch (other.type_) {
    case Type::null: break;
    case Type::boolean: boolean_ = other.boolean_; break;
    case Type::integer: integer_ = other.integer_; break;
    case Type::number: number_ = other.number_; break;
    case Type::string: string_ = new std::string(*other.string_); break;
    case Type::array: elements_ = new std::vector<JsonValue>(*other.elements_); break;
    case Type::object: members_ = new std::vector<Member>(*other.members_); break;
  }
  type_ = other.type_;  // set last: a throwing copy leaves nothing to release
}

JsonValue::JsonValue(JsonValue&& other) noexcept { take(other); }

void JsonValue::take(JsonValue& other) noexcept {
  switch (other.type_) {
    case Type::null: break;
    case Type::boolean: boolean_ = other.boolean_; break;
    case Type::integer: integer_ = other.integer_; break;
    case Type::number: number_ = other.number_; break;
    case Type::string: string_ = other.string_; break;
    case Type::array: elements_ = other.elements_; break;
    case Type::object: members_ = other.members_; break;
  }
  type_ = other.type_;
  other.type_ = Type::null;
  other.integer_ = 0;
}

JsonValue& JsonValue::operator=(const JsonValue& other) {
  if (this != &other) *this = JsonValue(other);
  return *this;
}

JsonValue& JsonValue::operator=(JsonValue&& other) noexcept {
  if (this == &other) return *this;
  // `other` may live inside this value (v = std::move(v.at(0))): take it out before releasing.
  JsonValue taken(std::move(other));
  release();
  take(taken);
  return *this;
}

JsonValue::~JsonValue() { release(); }

void JsonValue::release() noexcept {
  switch (type_) {
    case Type::string: delete string_; break;
    case Type::array: delete elements_; break;
    case Type::object: delete members_; break;
    default: break;
  }
  type_ = Type::null;
  integer_ = 0;
}

void JsonValue::require(Type wanted, std::string_view operation) const {
  if (type_ != wanted) {
    throw_shape_error(fmt::format("{} of a JSON {}: the value is not a JSON {}", operation, to_string(type_),
                                  to_string(wanted)));
  }
}

bool JsonValue::as_bool() const {
  require(Type::boolean, "as_bool()");
  return boolean_;
}

std::int64_t JsonValue::as_integer() const {
  require(Type::integer, "as_integer()");
  return integer_;
}

double JsonValue::as_number() const {
  if (type_ == Type::integer) return static_cast<double>(integer_);
  require(Type::number, "as_number()");
  return number_;
}

const std::string& JsonValue::as_string() const {
  require(Type::string, "as_string()");
  return *string_;
}

std::span<const JsonValue> JsonValue::as_array() const {
  require(Type::array, "as_array()");
  return *elements_;
}

std::span<const JsonValue::Member> JsonValue::as_object() const {
  require(Type::object, "as_object()");
  return *members_;
}

std::size_t JsonValue::size() const {
  if (type_ == Type::array) return elements_->size();
  if (type_ == Type::object) return members_->size();
  throw_shape_error(fmt::format("size() of a JSON {}: only arrays and objects have a size", to_string(type_)));
}

const JsonValue* JsonValue::find(std::string_view name) const noexcept {
  if (type_ != Type::object) return nullptr;
  for (const auto& member : *members_) {
    if (member.name == name) return &member.value;
  }
  return nullptr;
}

JsonValue* JsonValue::find(std::string_view name) noexcept {
  return const_cast<JsonValue*>(std::as_const(*this).find(name));
}

const JsonValue& JsonValue::at(std::size_t index) const {
  require(Type::array, "at(index)");
  if (index >= elements_->size()) {
    throw_shape_error(fmt::format("at({}) of a JSON array of {} elements", index, elements_->size()));
  }
  return (*elements_)[index];
}

JsonValue& JsonValue::at(std::size_t index) { return const_cast<JsonValue&>(std::as_const(*this).at(index)); }

const JsonValue& JsonValue::at(std::string_view name) const {
  require(Type::object, "at(name)");
  if (const JsonValue* found = find(name)) return *found;
  throw_shape_error(fmt::format("the JSON object has no member {}", quoted_name(name)));
}

JsonValue& JsonValue::at(std::string_view name) { return const_cast<JsonValue&>(std::as_const(*this).at(name)); }

void JsonValue::push_back(JsonValue element) {
  require(Type::array, "push_back()");
  elements_->push_back(std::move(element));
}

void JsonValue::set(std::string name, JsonValue value) {
  require(Type::object, "set()");
  if (JsonValue* existing = find(name)) {
    *existing = std::move(value);
  } else {
    members_->push_back(Member{std::move(name), std::move(value)});
  }
}

bool JsonValue::erase(std::string_view name) {
  require(Type::object, "erase()");
  const auto found = std::find_if(members_->begin(), members_->end(),
                                  [&](const Member& member) { return member.name == name; });
  if (found == members_->end()) return false;
  members_->erase(found);
  return true;
}

std::string JsonValue::to_json() const {
  std::string out;
  write_value(out, *this);
  return out;
}

bool JsonValue::operator==(const JsonValue& other) const {
  if (is_number() && other.is_number()) {
    if (type_ == other.type_) return type_ == Type::integer ? integer_ == other.integer_ : number_ == other.number_;
    return type_ == Type::integer ? integer_equals_number(integer_, other.number_)
                                  : integer_equals_number(other.integer_, number_);
  }
  if (type_ != other.type_) return false;
  switch (type_) {
    case Type::null: return true;
    case Type::boolean: return boolean_ == other.boolean_;
    case Type::string: return *string_ == *other.string_;
    case Type::array: return *elements_ == *other.elements_;
    case Type::object: return members_equal(*members_, *other.members_);
    default: return false;  // numbers are handled above
  }
}

std::string_view to_string(JsonValue::Type type) noexcept {
  switch (type) {
    case JsonValue::Type::null: return "null";
    case JsonValue::Type::boolean: return "boolean";
    case JsonValue::Type::integer: return "integer";
    case JsonValue::Type::number: return "number";
    case JsonValue::Type::string: return "string";
    case JsonValue::Type::array: return "array";
    case JsonValue::Type::object: return "object";
  }
  return "null";
}

}  // namespace majordomo
