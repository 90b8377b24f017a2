// Call records (0.4): what each request of a call looked like on the wire and how it ended.
#pragma once

#include <majordomo/error_kind.hpp>
#include <majordomo/export.hpp>
#include <majordomo/headers.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace majordomo {

class SecretValues;  // opaque here: see AttemptRecord::credentials

struct Usage {
  int64_t input_tokens = 0;        // all prompt tokens, cached ones included
  int64_t output_tokens = 0;       // reasoning tokens included
  int64_t cached_tokens = 0;       // prompt tokens served from the provider's cache
  int64_t cache_write_tokens = 0;
  int64_t reasoning_tokens = 0;
};

// USD, from the plugin's catalog prices. `priced` is false when the model is not in the catalog
// (e.g. a self-hosted model): the amounts are then 0 and must not be read as "free".
struct Cost {
  double input = 0;
  double output = 0;
  double total = 0;
  bool priced = false;
};

enum class StopReason {
  unknown = 0,
  end_turn = 1,
  max_tokens = 2,
  stop_sequence = 3,
  tool_use = 4,
  content_filter = 5,
  // The provider ended the answer as failed. A provider-bound LLM never returns it: it raises
  // ServerError instead (docs/providers.md); kept so values match the ABI's MJ_STOP_* numbers.
  error = 6,
};
[[nodiscard]] MAJORDOMO_API std::string_view to_string(StopReason reason) noexcept;

// (0.4) Which entry point a call came through.
enum class CallOperation { complete, stream };
// "complete" or "stream" (the names used in logs).
[[nodiscard]] MAJORDOMO_API std::string_view to_string(CallOperation operation) noexcept;

// (0.4) A request as it went on the wire, with every credential redacted: the auth header and
// every header named like a credential read [REDACTED], and every credential value the request
// carried (API key, secret header values, proxy password) is replaced wherever it appears in the
// URL or the body. Safe to print, log or store.
struct SentRequest {
  std::string method = "POST";
  std::string url;
  HeaderSet headers;  // in the order sent
  std::string body;   // (0.5) with each image's bytes replaced by "[image omitted: N characters]"
  std::string proxy;  // the forward proxy, its password redacted; empty: a direct connection
};

// (0.4) One request a provider-bound LLM sent within a call, and its outcome. The provider-bound
// LLM writes one per attempt (a retry is a new record); a cascade passes on the records of every
// member it tried. Obligations on middleware: keep the records of the LLMs it calls, in order,
// and never edit them; it adds none of its own (it sends nothing). Everything here is already
// scrubbed of credentials and safe to log.
struct AttemptRecord {
  std::string provider;  // the member that sent it
  std::string model;     // the model it asked for
  CallOperation operation = CallOperation::complete;
  // The request as sent. The attempts of one member's call share it (a retry resends the same
  // bytes); null when the attempt failed before a request existed.
  std::shared_ptr<const SentRequest> request;
  std::string api_key_hash;  // first 16 hex digits of SHA-256 of the key sent; empty: none
  HeaderSet metadata;        // the X-Majordomo-* headers sent (gateway metadata)

  // The outcome. `error` is empty when this attempt produced the call's answer; otherwise its
  // kind, with the HTTP status (0: no response) and the message. An answer refused after it
  // arrived (a failed JSON or schema check, a stop reason that is an error) has an error and
  // still its usage and cost: it was paid for.
  std::optional<ErrorKind> error;
  int http_status = 0;
  std::string message;
  std::string request_id;      // the provider's id of the request, when it sent one
  std::string response_model;  // the model the provider says answered
  Usage usage;
  Cost cost;
  StopReason stop_reason = StopReason::unknown;
  std::chrono::duration<double> response_time{};  // from send to the last byte or the error
  int64_t waited_ms = 0;  // the backoff slept after this attempt before the next one
  // The credentials the request carried (API key, secret header values, proxy password), opaque:
  // nothing reads them but redact_credentials(). Null for a record made outside majordomo.
  std::shared_ptr<const SecretValues> credentials;
};

// (0.4) `text` with every credential `record`'s request carried replaced by [REDACTED], under
// the rule of docs/reliability.md ("Secrets"): for text a server controls, such as the answer,
// which it can make quote a key. The record's own fields are redacted already.
[[nodiscard]] MAJORDOMO_API std::string redact_credentials(const AttemptRecord& record, std::string_view text);

}  // namespace majordomo
