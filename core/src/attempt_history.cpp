// Middleware history: FailedAttempt records from errors, and errors rethrown with that history.
#include "attempt_history.hpp"

#include <utility>

namespace majordomo {

FailedAttempt failed_attempt(const ErrorDetails& error, std::string provider, std::string model,
                             int64_t waited_ms) {
  FailedAttempt attempt;
  attempt.provider = std::move(provider);
  attempt.model = std::move(model);
  attempt.kind = error.kind;
  attempt.http_status = error.http_status;
  attempt.message = error.message;  // already scrubbed of credentials by the layer that made it
  attempt.waited_ms = waited_ms;
  return attempt;
}

void rethrow_with_history(const Error& error, const std::vector<FailedAttempt>& before, std::string message,
                          const std::vector<AttemptRecord>* records_before) {
  ErrorDetails details = error.details();
  if (!before.empty()) {
    details.failed_attempts.insert(details.failed_attempts.begin(), before.begin(), before.end());
  }
  if (records_before != nullptr && !records_before->empty()) {
    details.records.insert(details.records.begin(), records_before->begin(), records_before->end());
  }
  if (!message.empty()) details.message = std::move(message);
  throw_error(std::move(details));
}

}  // namespace majordomo
