// valijson adapter over JsonValue: the JSON Schema validator reads schemas and answers in majordomo's own type.
#pragma once

#include <majordomo/json_value.hpp>

#include <valijson/exceptions.hpp>
#include <valijson/internal/adapter.hpp>
#include <valijson/internal/basic_adapter.hpp>
#include <valijson/internal/frozen_value.hpp>

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <span>
#include <string>
#include <utility>

// valijson's BasicAdapter does the type-casting rules; this file only tells it how to read a
// JsonValue. Types are strict (hasStrictTypes): "1" is not a number, 1.0 is not an integer.
namespace majordomo::json_schema {

class JsonValueAdapter;
using JsonValueMember = std::pair<std::string, JsonValueAdapter>;

class ArrayIterator {
 public:
  using iterator_category = std::bidirectional_iterator_tag;
  using value_type = JsonValueAdapter;
  using difference_type = std::ptrdiff_t;
  using pointer = void;
  using reference = JsonValueAdapter;

  explicit ArrayIterator(const JsonValue* at) : at_(at) {}
  JsonValueAdapter operator*() const;
  valijson::adapters::DerefProxy<JsonValueAdapter> operator->() const;
  bool operator==(const ArrayIterator& other) const { return at_ == other.at_; }
  bool operator!=(const ArrayIterator& other) const { return at_ != other.at_; }
  ArrayIterator& operator++() { ++at_; return *this; }
  ArrayIterator operator++(int) { ArrayIterator before = *this; ++at_; return before; }
  ArrayIterator& operator--() { --at_; return *this; }
  void advance(std::ptrdiff_t count) { at_ += count; }

 private:
  const JsonValue* at_;
};

class MemberIterator {
 public:
  using iterator_category = std::bidirectional_iterator_tag;
  using value_type = JsonValueMember;
  using difference_type = std::ptrdiff_t;
  using pointer = void;
  using reference = JsonValueMember;

  explicit MemberIterator(const JsonValue::Member* at) : at_(at) {}
  JsonValueMember operator*() const;
  valijson::adapters::DerefProxy<JsonValueMember> operator->() const;
  bool operator==(const MemberIterator& other) const { return at_ == other.at_; }
  bool operator!=(const MemberIterator& other) const { return at_ != other.at_; }
  MemberIterator& operator++() { ++at_; return *this; }
  MemberIterator operator++(int) { MemberIterator before = *this; ++at_; return before; }
  MemberIterator& operator--() { --at_; return *this; }

 private:
  const JsonValue::Member* at_;
};

// Array and Object take and hold a pointer and a size, not a std::span: a constructor from span
// makes the compiler check span's range constructor against Array and Object themselves while
// JsonValueAdapter is still incomplete.
class Array {
 public:
  using const_iterator = ArrayIterator;
  using iterator = ArrayIterator;
  Array() = default;
  Array(const JsonValue* first, std::size_t size) : first_(first), size_(size) {}
  ArrayIterator begin() const { return ArrayIterator(first_); }
  ArrayIterator end() const { return ArrayIterator(first_ + size_); }
  std::size_t size() const { return size_; }

 private:
  const JsonValue* first_ = nullptr;
  std::size_t size_ = 0;
};

class Object {
 public:
  using const_iterator = MemberIterator;
  using iterator = MemberIterator;
  Object() = default;
  Object(const JsonValue::Member* first, std::size_t size) : first_(first), size_(size) {}
  MemberIterator begin() const { return MemberIterator(first_); }
  MemberIterator end() const { return MemberIterator(first_ + size_); }
  MemberIterator find(const std::string& name) const {
    const JsonValue::Member* found =
        std::find_if(first_, first_ + size_, [&](const JsonValue::Member& member) { return member.name == name; });
    return MemberIterator(found);
  }
  std::size_t size() const { return size_; }

 private:
  const JsonValue::Member* first_ = nullptr;
  std::size_t size_ = 0;
};

// A copy of a schema value (enum, const) kept by the compiled schema.
class FrozenJsonValue final : public valijson::adapters::FrozenValue {
 public:
  explicit FrozenJsonValue(JsonValue value) : value_(std::move(value)) {}
  FrozenValue* clone() const override { return new FrozenJsonValue(value_); }
  bool equalTo(const valijson::adapters::Adapter& other, bool strict) const override;

 private:
  JsonValue value_;
};

// What BasicAdapter asks of a value: type tests and checked reads (false when the type differs).
class ValueReader {
 public:
  ValueReader() : value_(&empty_object()) {}
  explicit ValueReader(const JsonValue& value) : value_(&value) {}

  valijson::adapters::FrozenValue* freeze() const { return new FrozenJsonValue(*value_); }
  opt::optional<Array> getArrayOptional() const {
    if (!value_->is_array()) return {};
    const auto elements = value_->as_array();
    return Array(elements.data(), elements.size());
  }
  bool getArraySize(std::size_t& result) const {
    if (!value_->is_array()) return false;
    result = value_->size();
    return true;
  }
  bool getBool(bool& result) const {
    if (!value_->is_bool()) return false;
    result = value_->as_bool();
    return true;
  }
  bool getDouble(double& result) const {
    if (!isDouble()) return false;
    result = value_->as_number();
    return true;
  }
  bool getInteger(std::int64_t& result) const {
    if (!value_->is_integer()) return false;
    result = value_->as_integer();
    return true;
  }
  opt::optional<Object> getObjectOptional() const {
    if (!value_->is_object()) return {};
    const auto members = value_->as_object();
    return Object(members.data(), members.size());
  }
  bool getObjectSize(std::size_t& result) const {
    if (!value_->is_object()) return false;
    result = value_->size();
    return true;
  }
  bool getString(std::string& result) const {
    if (!value_->is_string()) return false;
    result = value_->as_string();
    return true;
  }
  static bool hasStrictTypes() { return true; }
  bool isArray() const { return value_->is_array(); }
  bool isBool() const { return value_->is_bool(); }
  bool isDouble() const { return value_->type() == JsonValue::Type::number; }
  bool isInteger() const { return value_->is_integer(); }
  bool isNull() const { return value_->is_null(); }
  bool isNumber() const { return value_->is_number(); }
  bool isObject() const { return value_->is_object(); }
  bool isString() const { return value_->is_string(); }

 private:
  static const JsonValue& empty_object() {
    static const JsonValue empty = JsonValue::object();
    return empty;
  }
  const JsonValue* value_;
};

class JsonValueAdapter
    : public valijson::adapters::BasicAdapter<JsonValueAdapter, Array, JsonValueMember, Object, ValueReader> {
 public:
  JsonValueAdapter() = default;
  explicit JsonValueAdapter(const JsonValue& value) : BasicAdapter(ValueReader(value)) {}
};

inline JsonValueAdapter ArrayIterator::operator*() const { return JsonValueAdapter(*at_); }
inline valijson::adapters::DerefProxy<JsonValueAdapter> ArrayIterator::operator->() const {
  return valijson::adapters::DerefProxy<JsonValueAdapter>(**this);
}
inline JsonValueMember MemberIterator::operator*() const { return {at_->name, JsonValueAdapter(at_->value)}; }
inline valijson::adapters::DerefProxy<JsonValueMember> MemberIterator::operator->() const {
  return valijson::adapters::DerefProxy<JsonValueMember>(**this);
}
inline bool FrozenJsonValue::equalTo(const valijson::adapters::Adapter& other, bool strict) const {
  return JsonValueAdapter(value_).equalTo(other, strict);
}

}  // namespace majordomo::json_schema

namespace valijson::adapters {
template <>
struct AdapterTraits<majordomo::json_schema::JsonValueAdapter> {
  using DocumentType = majordomo::JsonValue;
  static std::string adapterName() { return "JsonValueAdapter"; }
};
}  // namespace valijson::adapters
