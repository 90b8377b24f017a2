// HeaderSet: an ordered list of HTTP headers with case-insensitive, one-value-per-name semantics.
#pragma once

#include <majordomo/export.hpp>
#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace majordomo {

struct Header {
  std::string name;
  std::string value;
};

// Names compare case-insensitively. set() replaces the value AND the spelling of an existing
// header of the same name, so the spelling on the wire is the one of the layer that won.
// Validation (token names, no CR/LF/NUL in values) happens in the resolution pipeline, before
// any I/O, so that the error can name the layer the bad header came from.
// Case-insensitive hashing and comparison of header names, for HeaderSet's index.
struct HeaderNameHash {
  using is_transparent = void;
  MAJORDOMO_API std::size_t operator()(std::string_view name) const noexcept;
};
struct HeaderNameEqual {
  using is_transparent = void;
  MAJORDOMO_API bool operator()(std::string_view a, std::string_view b) const noexcept;
};

// set(), find() and erase() take constant time on average however many headers there are (0.3:
// thousands of --header flags were quadratic before).
class MAJORDOMO_API HeaderSet {
 public:
  HeaderSet() = default;
  HeaderSet(std::initializer_list<std::pair<std::string, std::string>> headers);

  void set(std::string name, std::string value);
  // Every header of `later` replaces the header of the same name here.
  void merge(const HeaderSet& later);
  const std::string* find(std::string_view name) const noexcept;
  bool contains(std::string_view name) const noexcept { return find(name) != nullptr; }
  bool erase(std::string_view name);

  std::size_t size() const noexcept { return headers_.size(); }
  bool empty() const noexcept { return headers_.empty(); }
  auto begin() const noexcept { return headers_.begin(); }
  auto end() const noexcept { return headers_.end(); }

 private:
  std::size_t position(std::string_view name) const noexcept;  // headers_.size() when absent
  void build_index();

  std::vector<Header> headers_;
  // Name → position in headers_, kept once there are more than a few headers: a short list is
  // searched one by one, which allocates nothing; a long one would make set() quadratic.
  std::unordered_map<std::string, std::size_t, HeaderNameHash, HeaderNameEqual> index_;
};

MAJORDOMO_API bool header_name_equals(std::string_view a, std::string_view b) noexcept;

}  // namespace majordomo
