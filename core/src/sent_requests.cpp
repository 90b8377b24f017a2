// Call record parts of a provider-bound LLM: SentRequest redaction, key hashes and X-Majordomo-* metadata.
#include "sent_requests.hpp"

#include "resolution.hpp"

#include <utility>

namespace majordomo {
InstanceRecordParts instance_record_parts(const HeaderSet& instance_headers, std::string_view auth_header,
                                          std::shared_ptr<const SecretValues> shared_secrets) {
  const SecretValues& secrets = *shared_secrets;
  InstanceRecordParts parts;
  parts.secrets = std::move(shared_secrets);
  parts.api_key_hash = hash_of_auth(instance_headers, auth_header);
  for (const auto& header : instance_headers) {
    if (is_metadata_header(header.name)) parts.metadata.set(header.name, secrets.scrubbed_value(header.value));
  }
  parts.redacted_headers = resolution::redacted_headers(instance_headers, auth_header, &secrets);
  return parts;
}

namespace {

// A request's part, scrubbed. It was sent whole, so a tail that only begins a secret is not one
// (scrub's check for text cut short is for server text).
std::string scrubbed_whole(const SecretValues& secrets, std::string_view text) {
  std::string out(text);
  secrets.scrub(out, 0, false);
  return out;
}

std::string shown_url(std::string_view url, const InstanceRecordParts& instance,
                      const std::shared_ptr<const SecretValues>& secrets) {
  // Only with the instance's own secrets: a call that adds credentials scrubs with more.
  if (secrets != instance.secrets) return scrubbed_whole(*secrets, resolution::redact_url(url));
  InstanceRecordParts::UrlMemo& memo = *instance.url_memo;
  {
    const std::lock_guard lock(memo.mutex);
    if (memo.url == url && !memo.shown.empty()) return memo.shown;
  }
  std::string shown = scrubbed_whole(*secrets, resolution::redact_url(url));
  const std::lock_guard lock(memo.mutex);
  memo.url.assign(url);
  memo.shown = shown;
  return shown;
}

}  // namespace

AttemptRecord record_template(std::string provider, std::string model, CallOperation operation, std::string_view url,
                              std::string_view body, const HeaderSet& extra_headers, std::string_view auth_header,
                              std::string_view proxy, const InstanceRecordParts& instance,
                              std::shared_ptr<const SecretValues> shared_secrets) {
  const SecretValues& secrets = *shared_secrets;
  auto sent = std::make_shared<SentRequest>();
  sent->url = shown_url(url, instance, shared_secrets);
  sent->body = scrubbed_whole(secrets, body);
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
