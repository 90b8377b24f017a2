// mj_str <-> std::string_view conversions shared by the SDK, the export glue and the core.
#pragma once

#include <majordomo/sdk/requires_cxx20.hpp>

#include <majordomo/plugin.h>

#include <string_view>

namespace majordomo::sdk {
inline namespace v1 {

constexpr mj_str to_mj(std::string_view text) noexcept { return mj_str{text.data(), text.size()}; }

// An empty mj_str may carry a null data pointer; string_view{nullptr, 0} is fine, but keep the
// empty case explicit so no caller ever sees a non-null pointer with a bogus size.
constexpr std::string_view view(mj_str text) noexcept {
  return text.size == 0 ? std::string_view{} : std::string_view{text.data, text.size};
}

}  // namespace v1
}  // namespace majordomo::sdk
