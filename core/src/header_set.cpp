// HeaderSet: case-insensitive replace-on-set header list, indexed by name once it grows past a few headers.
#include <majordomo/headers.hpp>

#include <algorithm>

namespace majordomo {

namespace {

// Below this many headers a linear search is cheaper than keeping an index.
constexpr std::size_t kIndexFrom = 16;

char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

}  // namespace

bool header_name_equals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::size_t HeaderNameHash::operator()(std::string_view name) const noexcept {
  // FNV-1a over the lower-cased bytes.
  std::size_t hash = 14695981039346656037ull;
  for (const char c : name) {
    hash ^= static_cast<unsigned char>(lower(c));
    hash *= 1099511628211ull;
  }
  return hash;
}

bool HeaderNameEqual::operator()(std::string_view a, std::string_view b) const noexcept {
  return header_name_equals(a, b);
}

HeaderSet::HeaderSet(std::initializer_list<std::pair<std::string, std::string>> headers) {
  for (const auto& [name, value] : headers) set(name, value);
}

std::size_t HeaderSet::position(std::string_view name) const noexcept {
  if (!index_.empty()) {
    const auto it = index_.find(name);
    return it == index_.end() ? headers_.size() : it->second;
  }
  for (std::size_t i = 0; i < headers_.size(); ++i) {
    if (header_name_equals(headers_[i].name, name)) return i;
  }
  return headers_.size();
}

void HeaderSet::build_index() {
  index_.clear();
  if (headers_.size() < kIndexFrom) return;
  index_.reserve(headers_.size());
  for (std::size_t i = 0; i < headers_.size(); ++i) index_.emplace(headers_[i].name, i);
}

void HeaderSet::set(std::string name, std::string value) {
  const std::size_t at = position(name);
  if (at < headers_.size()) {
    headers_[at].name = std::move(name);
    headers_[at].value = std::move(value);
    return;
  }
  headers_.push_back(Header{std::move(name), std::move(value)});
  if (!index_.empty()) {
    index_.emplace(headers_.back().name, headers_.size() - 1);
  } else if (headers_.size() == kIndexFrom) {
    build_index();
  }
}

void HeaderSet::merge(const HeaderSet& later) {
  for (const auto& header : later.headers_) set(header.name, header.value);
}

const std::string* HeaderSet::find(std::string_view name) const noexcept {
  const std::size_t at = position(name);
  return at < headers_.size() ? &headers_[at].value : nullptr;
}

bool HeaderSet::erase(std::string_view name) {
  const std::size_t at = position(name);
  if (at == headers_.size()) return false;
  headers_.erase(headers_.begin() + static_cast<std::ptrdiff_t>(at));
  // Positions after the erased one moved: rebuilding is linear, and erasing is rare.
  if (!index_.empty()) build_index();
  return true;
}

}  // namespace majordomo
