// The one check of the token counts a plugin reports, for every provider, before anything is priced.
#include "usage_check.hpp"

#include <majordomo/errors.hpp>

#include <fmt/format.h>

#include <utility>

namespace majordomo {
namespace {

[[noreturn]] void refuse(std::string_view provider, std::string what) {
  ErrorDetails details;
  details.kind = ErrorKind::parse;
  details.provider = std::string(provider);
  details.message = fmt::format("{} reported token counts that cannot be true: {}; the answer is refused rather "
                                "than billed wrong (docs/reliability.md, \"Token counts and costs\")",
                                provider, what);
  throw_error(std::move(details));
}

}  // namespace

Usage checked_usage(const mj_usage& usage, std::string_view provider) {
  const std::pair<std::string_view, int64_t> counts[] = {
      {"input_tokens", usage.input_tokens},         {"output_tokens", usage.output_tokens},
      {"cached_tokens", usage.cached_tokens},       {"cache_write_tokens", usage.cache_write_tokens},
      {"reasoning_tokens", usage.reasoning_tokens},
  };
  for (const auto& [name, count] : counts) {
    if (count < 0) refuse(provider, fmt::format("{} is negative ({})", name, count));
    if (count > kMaxTokenCount) refuse(provider, fmt::format("{} is above 2^53 ({})", name, count));
  }
  // Each count is at most 2^53 now, so these sums cannot overflow.
  if (usage.cached_tokens + usage.cache_write_tokens > usage.input_tokens) {
    refuse(provider, fmt::format("cached_tokens ({}) plus cache_write_tokens ({}) exceed input_tokens ({}), which "
                                 "includes them",
                                 usage.cached_tokens, usage.cache_write_tokens, usage.input_tokens));
  }
  if (usage.reasoning_tokens > usage.output_tokens) {
    refuse(provider, fmt::format("reasoning_tokens ({}) exceed output_tokens ({}), which includes them",
                                 usage.reasoning_tokens, usage.output_tokens));
  }
  return Usage{usage.input_tokens, usage.output_tokens, usage.cached_tokens, usage.cache_write_tokens,
               usage.reasoning_tokens};
}

}  // namespace majordomo
