// Middleware history: FailedAttempt records from errors, and errors rethrown with that history.
#pragma once

#include <majordomo/errors.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace majordomo {

// The record of one attempt that failed with `error` at (provider, model).
FailedAttempt failed_attempt(const ErrorDetails& error, std::string provider, std::string model,
                             int64_t waited_ms = 0);

// Throws `error` again, as its own class, with `before` put ahead of the history it already
// carries and `records_before` ahead of its call records; a non-empty `message` replaces its message.
[[noreturn]] void rethrow_with_history(const Error& error, const std::vector<FailedAttempt>& before,
                                       std::string message = {},
                                       const std::vector<AttemptRecord>* records_before = nullptr);

}  // namespace majordomo
