// The seam where each provider's wire protocol plugs into the fake server: routing, auth, default replies.
#pragma once

#include "fake_server.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace majordomo::fake {

class ProviderProtocol {
public:
  virtual ~ProviderProtocol() = default;
  // Recorded as RecordedRequest::protocol.
  virtual std::string_view name() const = 0;
  // path is without the query string.
  virtual bool matches(std::string_view method, std::string_view path) const = 0;
  // Routing with the whole request, for protocols that share a path (DeepSeek and OpenAI both
  // serve .../chat/completions); the server asks this, and by default it is matches().
  virtual bool claims(const RecordedRequest& request, std::string_view path) const {
    return matches(request.method, path);
  }
  // A response when the credentials are missing or wrong, nothing when the request may proceed.
  virtual std::optional<ScriptedResponse> check_auth(const RecordedRequest& request,
                                                     const FakeServerOptions& options) const = 0;
  // What the real API would answer when no scripted response is queued.
  virtual ScriptedResponse default_response(const RecordedRequest& request,
                                            const FakeServerOptions& options) const = 0;
  // A scripted response just before it is served: a protocol may fit a fixture to the request
  // (the Responses API replays its JSON fixtures as streams and its stream fixtures as JSON).
  virtual ScriptedResponse adapt_scripted(const RecordedRequest& /*request*/, ScriptedResponse response,
                                          const FakeServerOptions& /*options*/) const {
    return response;
  }
  // Headers the real API puts on every response (request id, version); a scripted header of the same name wins.
  virtual std::vector<Header> standard_headers(const RecordedRequest& request,
                                               std::chrono::milliseconds handling_time) const = 0;
};

std::unique_ptr<ProviderProtocol> make_openai_protocol();
std::unique_ptr<ProviderProtocol> make_openai_responses_protocol();
std::unique_ptr<ProviderProtocol> make_anthropic_protocol();
std::unique_ptr<ProviderProtocol> make_deepseek_protocol();
std::unique_ptr<ProviderProtocol> make_cohere_protocol();
std::unique_ptr<ProviderProtocol> make_gemini_protocol();
// The SDK's example provider (sdk/examples/acme), so that the example runs end to end offline.
std::unique_ptr<ProviderProtocol> make_acme_protocol();

// Every provider the server speaks, in routing order (the first match wins).
std::vector<std::unique_ptr<ProviderProtocol>> make_provider_protocols();

// Shared by the protocol implementations.
const std::string* find_header(const RecordedRequest& request, std::string_view name);  // first match, any case
// The KEY of "Authorization: Bearer KEY" (the scheme in any case); empty when there is none.
std::string_view bearer_key(const RecordedRequest& request);
bool equals_ignoring_case(std::string_view a, std::string_view b);
bool fixture_exists(const FakeServerOptions& options, std::string_view relative_path);
int64_t unix_now();  // seconds, for the `created` fields of built-in replies
// A rough stand-in for a tokenizer in built-in replies: about four bytes of body per token.
int estimated_prompt_tokens(const RecordedRequest& request);

}  // namespace majordomo::fake
