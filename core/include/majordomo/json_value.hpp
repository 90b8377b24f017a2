// JsonValue: a JSON document as a small value type of majordomo's own, so the API shows no JSON library.
#pragma once

#include <majordomo/errors.hpp>
#include <majordomo/export.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace majordomo {

// One JSON value: null, a boolean, an integer (int64), a number (double), a string, an array, or
// an object. Objects keep their members in the order they were written or added.
//
// What callers may rely on:
//  - parse() reads RFC 8259 JSON and refuses, with ParseError, anything else: invalid UTF-8,
//    trailing text after the value, an empty text, more than kMaxParseBytes bytes, arrays and
//    objects nested deeper than kMaxParseDepth, a number beyond 64 bits (an integer outside
//    [-2^63, 2^64) or a number outside ±1.8e308, as RFC 8259 §6 allows), and an object that
//    names the same member twice (a validator and a reader could otherwise see different values).
//  - A number written without fraction or exponent is an integer when it fits int64; one in
//    (2^63, 2^64) and every other number are numbers (double).
//  - is_X() is true exactly when as_X() returns instead of throwing. The accessors for a type the
//    value does not have (as_X, at, size) throw SchemaMismatchError: the document is JSON, but not
//    of the shape the reader expects.
//  - Values built in code never hold two members of one name: object() and set() replace.
//  - Reading a const JsonValue from several threads at once is safe; writing is not.
class MAJORDOMO_API JsonValue {
 public:
  enum class Type : std::uint8_t { null, boolean, integer, number, string, array, object };
  struct Member;  // {name, value}, defined below

  // The bounds of parse(). A structured answer is far below both; an answer above them is
  // refused rather than read into memory many times its size.
  static constexpr std::size_t kMaxParseBytes = 8 * 1024 * 1024;
  static constexpr std::size_t kMaxParseDepth = 128;  // "[1]" has depth 1

  // The one JSON value `text` holds (white space around it allowed). Throws ParseError naming
  // what is wrong (the text itself is not repeated).
  [[nodiscard]] static JsonValue parse(std::string_view text);

  JsonValue() noexcept {}  // null
  JsonValue(std::nullptr_t) noexcept {}
  JsonValue(bool value) noexcept;
  JsonValue(double value) noexcept;
  // Any integer type; an unsigned value above the int64 range becomes a number (double).
  template <class Integer>
    requires(std::is_integral_v<Integer> && !std::is_same_v<Integer, bool> && !std::is_same_v<Integer, char>)
  JsonValue(Integer value) noexcept {
    if constexpr (std::is_signed_v<Integer>) {
      assign_integer(static_cast<std::int64_t>(value));
    } else {
      assign_unsigned(static_cast<std::uint64_t>(value));
    }
  }
  JsonValue(std::string value);
  JsonValue(std::string_view value);
  JsonValue(const char* value);
  // A pointer other than a C string would silently become a boolean.
  template <class Pointee>
    requires(!std::is_same_v<std::remove_cv_t<Pointee>, char>)
  JsonValue(Pointee*) = delete;

  // An array of these elements; an object of these members, a later member replacing an earlier
  // one of the same name (in the earlier one's place).
  [[nodiscard]] static JsonValue array(std::vector<JsonValue> elements = {});
  // No default argument (0.3): clang rejects one of std::vector<Member> while Member is incomplete.
  [[nodiscard]] static JsonValue object();
  [[nodiscard]] static JsonValue object(std::vector<Member> members);

  // Copies are deep. A moved-from JsonValue is null.
  JsonValue(const JsonValue& other);
  JsonValue(JsonValue&& other) noexcept;
  JsonValue& operator=(const JsonValue& other);
  JsonValue& operator=(JsonValue&& other) noexcept;
  ~JsonValue();

  [[nodiscard]] Type type() const noexcept { return type_; }
  [[nodiscard]] bool is_null() const noexcept { return type_ == Type::null; }
  [[nodiscard]] bool is_bool() const noexcept { return type_ == Type::boolean; }
  [[nodiscard]] bool is_integer() const noexcept { return type_ == Type::integer; }
  // Any JSON number: Type::integer or Type::number.
  [[nodiscard]] bool is_number() const noexcept { return type_ == Type::integer || type_ == Type::number; }
  [[nodiscard]] bool is_string() const noexcept { return type_ == Type::string; }
  [[nodiscard]] bool is_array() const noexcept { return type_ == Type::array; }
  [[nodiscard]] bool is_object() const noexcept { return type_ == Type::object; }

  [[nodiscard]] bool as_bool() const;
  // Only Type::integer: a number such as 2.0 or 1e3 is not converted (as_number reads it).
  [[nodiscard]] std::int64_t as_integer() const;
  // Either kind of number; an integer beyond ±2^53 is rounded to the nearest double.
  [[nodiscard]] double as_number() const;
  [[nodiscard]] const std::string& as_string() const;
  // The elements, or the members in their order; valid until this value is changed.
  [[nodiscard]] std::span<const JsonValue> as_array() const;
  [[nodiscard]] std::span<const Member> as_object() const;
  // Elements of an array, members of an object.
  [[nodiscard]] std::size_t size() const;

  // The member named `name`, or nullptr when there is none or this is not an object. Linear in
  // the number of members (answers are small; order is kept).
  [[nodiscard]] const JsonValue* find(std::string_view name) const noexcept;
  [[nodiscard]] JsonValue* find(std::string_view name) noexcept;
  // The element at `index` / the member named `name`; SchemaMismatchError when this is not an
  // array / object or has no such element / member.
  [[nodiscard]] const JsonValue& at(std::size_t index) const;
  [[nodiscard]] JsonValue& at(std::size_t index);
  [[nodiscard]] const JsonValue& at(std::string_view name) const;
  [[nodiscard]] JsonValue& at(std::string_view name);

  // Appends to an array. SchemaMismatchError when this is not an array.
  void push_back(JsonValue element);
  // Adds a member at the end of an object, or replaces the value of the member of that name in
  // its place. SchemaMismatchError when this is not an object.
  void set(std::string name, JsonValue value);
  // Removes the member named `name`; false when there was none. SchemaMismatchError when this is
  // not an object.
  bool erase(std::string_view name);

  // Compact JSON text (no white space), members in order. Strings are written byte for byte,
  // escaping only '"', '\\' and control characters. A number keeps a ".0" when it has no
  // fraction, so parse(to_json()) == *this with the same types; a non-finite number (which no
  // parse gives) is written as null.
  [[nodiscard]] std::string to_json() const;

  // JSON equality: same type and value, except that an integer and a number are equal when they
  // are the same number (1 == 1.0); arrays element by element; objects as sets of members,
  // whatever their order.
  [[nodiscard]] bool operator==(const JsonValue& other) const;

 private:
  void assign_integer(std::int64_t value) noexcept;
  void assign_unsigned(std::uint64_t value) noexcept;
  void release() noexcept;
  void take(JsonValue& other) noexcept;  // moves other's content here; other becomes null
  void require(Type wanted, std::string_view operation) const;
  friend struct JsonValueParser;  // builds members in place (core/src/json_value.cpp)

  Type type_ = Type::null;
  union {
    bool boolean_;
    std::int64_t integer_ = 0;
    double number_;
    std::string* string_;
    std::vector<JsonValue>* elements_;
    std::vector<Member>* members_;
  };
};

struct JsonValue::Member {
  std::string name;
  JsonValue value;
};

// "null", "boolean", "integer", "number", "string", "array", "object".
[[nodiscard]] MAJORDOMO_API std::string_view to_string(JsonValue::Type type) noexcept;

}  // namespace majordomo
