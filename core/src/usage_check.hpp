// The one check of the token counts a plugin reports, for every provider, before anything is priced.
#pragma once

#include <majordomo/response.hpp>

#include <majordomo/plugin.h>

#include <string_view>

namespace majordomo {

// The largest count accepted: 2^53, the largest integer a JSON number read as a double holds
// exactly (the SDK's sdk::kMaxTokenCount).
inline constexpr int64_t kMaxTokenCount = int64_t{1} << 53;

// `usage` as a Usage, or a ParseError naming `provider` and the field when a count is negative or
// above 2^53, when cached_tokens or cache_write_tokens (or both together) exceed input_tokens, or
// when reasoning_tokens exceed output_tokens: a bill is never made from counts that cannot be
// true (docs/reliability.md, "Token counts and costs").
Usage checked_usage(const mj_usage& usage, std::string_view provider);

}  // namespace majordomo
