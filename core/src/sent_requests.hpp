// What a provider-bound LLM writes into its call records: the redacted request, the key hash, the gateway metadata.
#pragma once

#include "secret_values.hpp"

#include <majordomo/call_record.hpp>

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace majordomo {

// In request_identity.cpp (linked into libmajordomo_logging too):
// the first 16 hex digits of SHA-256 of `key`: enough to tell keys apart in a log, useless as a key.
std::string key_hash(std::string_view key);
// The credential `headers` carry under `auth_header` (else under Authorization; the token of a
// "Scheme token" value), hashed; empty when they carry none.
std::string hash_of_auth(const HeaderSet& headers, std::string_view auth_header);
// X-Majordomo-* headers that are not named like a credential: the metadata a gateway reads.
bool is_metadata_header(std::string_view name);

// The parts of an attempt record that one provider-bound instance fixes, computed once.
struct InstanceRecordParts {
  std::string api_key_hash;
  HeaderSet metadata;
  HeaderSet redacted_headers;  // the instance's headers as a SentRequest shows them
  std::shared_ptr<const SecretValues> secrets;  // the instance's own

  // The last URL a call of this instance sent to, as a record shows it (redacted, scrubbed of the
  // instance's secrets): an instance sends to the same few URLs, and redacting costs more than
  // the rest of the record. Shared by the calls of every thread.
  struct UrlMemo {
    std::mutex mutex;
    std::string url;
    std::string shown;
  };
  std::unique_ptr<UrlMemo> url_memo = std::make_unique<UrlMemo>();
};
InstanceRecordParts instance_record_parts(const HeaderSet& instance_headers, std::string_view auth_header,
                                          std::shared_ptr<const SecretValues> secrets);

// The record every attempt of one call starts from: who sends what. `secrets` are the instance's
// plus those of `extra_headers`; the body and URL are scrubbed of all of them, and the record
// keeps them (AttemptRecord::credentials).
AttemptRecord record_template(std::string provider, std::string model, CallOperation operation, std::string_view url,
                              std::string_view body, const HeaderSet& extra_headers, std::string_view auth_header,
                              std::string_view proxy, const InstanceRecordParts& instance,
                              std::shared_ptr<const SecretValues> secrets);

}  // namespace majordomo
