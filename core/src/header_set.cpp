// HeaderSet: case-insensitive replace-on-set header list.
#include <majordomo/headers.hpp>

#include <algorithm>

namespace majordomo {

bool header_name_equals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

HeaderSet::HeaderSet(std::initializer_list<std::pair<std::string, std::string>> headers) {
  for (const auto& [name, value] : headers) set(name, value);
}

void HeaderSet::set(std::string name, std::string value) {
  for (auto& header : headers_) {
    if (header_name_equals(header.name, name)) {
      header.name = std::move(name);
      header.value = std::move(value);
      return;
    }
  }
  headers_.push_back(Header{std::move(name), std::move(value)});
}

void HeaderSet::merge(const HeaderSet& later) {
  for (const auto& header : later.headers_) set(header.name, header.value);
}

const std::string* HeaderSet::find(std::string_view name) const noexcept {
  for (const auto& header : headers_) {
    if (header_name_equals(header.name, name)) return &header.value;
  }
  return nullptr;
}

bool HeaderSet::erase(std::string_view name) {
  const auto it = std::find_if(headers_.begin(), headers_.end(),
                               [&](const Header& h) { return header_name_equals(h.name, name); });
  if (it == headers_.end()) return false;
  headers_.erase(it);
  return true;
}

}  // namespace majordomo
