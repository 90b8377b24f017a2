// Call record parts of a provider-bound LLM: SentRequest redaction, key hashes and X-Majordomo-* metadata.
#include "sent_requests.hpp"

#include "resolution.hpp"

#include <utility>

namespace majordomo {
InstanceRecordParts instance_record_parts(const HeaderSet& instance_headers, std::string_view auth_header,
                                          const SecretValues& secrets) {
  InstanceRecordParts parts;
  parts.api_key_hash = hash_of_auth(instance_headers, auth_header);
  for (const auto& header : instance_headers) {
    if (is_metadata_header(header.name)) parts.metadata.set(header.name, secrets.scrubbed_value(header.value));
  }
  parts.redacted_headers = resolution::redacted_headers(instance_headers, auth_header, &secrets);
  return parts;
}

AttemptRecord record_template(std::string provider, std::string model, CallOperation operation, std::string_view url,
                              std::string_view body, const HeaderSet& extra_headers, std::string_view auth_header,
                              std::string_view proxy, const InstanceRecordParts& instance,
                              std::shared_ptr<const SecretValues> shared_secrets) {
  const SecretValues& secrets = *shared_secrets;
  auto sent = std::make_shared<SentRequest>();
  sent->url = secrets.scrubbed(resolution::redact_url(url));
  sent->body = secrets.scrubbed(body);
  sent->proxy.assign(proxy);
  AttemptRecord record;
  record.provider = std::move(provider);
  record.model = std::move(model);
  record.operation = operation;
  record.metadata = instance.metadata;
  if (extra_headers.empty()) {
    sent->headers = instance.redacted_headers;  // the usual case: nothing to merge or redact again
    record.api_key_hash = instance.api_key_hash;
  } else {
    sent->headers = instance.redacted_headers;
    sent->headers.merge(resolution::redacted_headers(extra_headers, auth_header, &secrets));
    record.api_key_hash = hash_of_auth(extra_headers, auth_header);
    if (record.api_key_hash.empty()) record.api_key_hash = instance.api_key_hash;
    for (const auto& header : extra_headers) {
      if (is_metadata_header(header.name)) record.metadata.set(header.name, secrets.scrubbed_value(header.value));
    }
  }
  record.request = std::move(sent);
  record.credentials = std::move(shared_secrets);
  return record;
}

std::string redact_credentials(const AttemptRecord& record, std::string_view text) {
  if (!record.credentials) return std::string(text);
  return record.credentials->scrubbed(text);
}

}  // namespace majordomo
