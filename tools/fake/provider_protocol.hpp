// The seam where each provider's wire protocol plugs into the fake server: routing, auth, default replies.
#pragma once

#include "fake_server.hpp"

#include <Poco/JSON/Object.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace majordomo::fake {

// Shared by the protocol implementations.
const std::string* find_header(const RecordedRequest& request, std::string_view name);  // first match, any case
// The KEY of "Authorization: Bearer KEY" (the scheme in any case); empty when there is none.
std::string_view bearer_key(const RecordedRequest& request);
bool equals_ignoring_case(std::string_view a, std::string_view b);
std::string_view trim_blanks(std::string_view text);  // leading and trailing spaces and tabs
bool ends_with(std::string_view text, std::string_view suffix);
// A POST to a path ending in `suffix`: every protocol accepts any prefix, because users put
// gateways and proxies in front (/v1/..., /gateway/openai/v1/...).
bool is_post_to(std::string_view method, std::string_view path, std::string_view suffix);
// The request body as a JSON object; throws a Poco::Exception when it is not JSON or not an object.
Poco::JSON::Object::Ptr body_object(const RecordedRequest& request);
// The string member `key`, or `fallback` when the object is null or the member is absent or not a string.
std::string string_or(const Poco::JSON::Object::Ptr& object, const std::string& key, std::string fallback);
// True only when `name` holds the JSON value true.
bool is_true(const Poco::JSON::Object& object, const std::string& name);
// The reply that replays `fixture`.
ScriptedResponse fixture_reply(std::string_view fixture);
bool fixture_exists(const FakeServerOptions& options, std::string_view relative_path);
int64_t unix_now();  // seconds, for the `created` fields of built-in replies
// The pieces a built-in stream sends: "Hello from majordomo-fake" and then `ending` (e.g.
// " (cohere)."), so that a reply says which protocol answered.
constexpr std::array<std::string_view, 5> built_in_reply_pieces(std::string_view ending) {
  return {"Hello", " from", " majordomo", "-fake", ending};
}
// The text of a built-in reply from the pieces its stream sends.
template <class Pieces>
std::string joined(const Pieces& pieces) {
  std::string text;
  for (const auto& piece : pieces) text += piece;
  return text;
}
// A rough stand-in for a tokenizer in built-in replies: about four bytes of body per token.
int estimated_prompt_tokens(const RecordedRequest& request);

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
  // None by default: DeepSeek and Cohere document no request-id or rate-limit headers (PROTOCOLS.md §0.5).
  virtual std::vector<Header> standard_headers(const RecordedRequest& /*request*/,
                                               std::chrono::milliseconds /*handling_time*/) const {
    return {};
  }
};

// The common route: POST to a path that ends in one suffix, whatever comes before it.
class PostRoutedProtocol : public ProviderProtocol {
public:
  PostRoutedProtocol(std::string_view name, std::string_view path_suffix) : name_(name), path_suffix_(path_suffix) {}
  std::string_view name() const override { return name_; }
  bool matches(std::string_view method, std::string_view path) const override {
    return is_post_to(method, path, path_suffix_);
  }

private:
  std::string_view name_;         // a literal
  std::string_view path_suffix_;  // a literal
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


}  // namespace majordomo::fake
