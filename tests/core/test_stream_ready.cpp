// ResponseStream::ready over loopback: yes while the next chunk was already received, no at a pause upstream, and through a cascade once past its fail-over.
#include "provider_test_env.hpp"
#include "scripted_streams.hpp"

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

using namespace majordomo;
using namespace majordomo::testing;

namespace {

// Pulls the whole stream, counting the chunks after which ready() said the next was at hand.
struct PulledStream {
  std::string text;
  int chunks = 0;
  int ready_after = 0;
};

PulledStream pull_all(ResponseStream& stream) {
  PulledStream pulled;
  StreamChunk chunk;
  while (stream.next(chunk)) {
    ++pulled.chunks;
    pulled.text.append(chunk.text);  // before ready(), which ends the view
    if (stream.ready()) ++pulled.ready_after;
  }
  CHECK(stream.ready());  // ended: next() answers at once
  return pulled;
}

}  // namespace

TEST_CASE("a stream received in one write is ready between its chunks, and loses nothing", "[ready]") {
  ProviderTestEnv env;
  const std::vector<std::string> pieces = numbered_words(24);
  stream_next(env.server, pieces);
  ResponseStream stream = env.openai()->stream(LLMRequest::from_prompt("hi"));
  const PulledStream pulled = pull_all(stream);
  CHECK(pulled.text == joined(pieces));
  CHECK(pulled.chunks == 24);
  // Every chunk found the next one (or the end) at hand; one read boundary may come between.
  CHECK(pulled.ready_after >= pulled.chunks - 1);
  CHECK(stream.response().content == pulled.text);
  CHECK(stream.response().usage.output_tokens == 24);
  CHECK(stream.response().stop_reason == StopReason::end_turn);
}

TEST_CASE("a pause upstream makes ready() say no where it begins", "[ready][cancel]") {
  ProviderTestEnv env;
  const std::vector<std::string> pieces = numbered_words(6);
  stream_next(env.server, pieces, bytes_of_words(pieces, 3));
  auto cancellation = std::make_shared<CallCancellation>();
  LLMRequest request = LLMRequest::from_prompt("hi");
  request.cancellation = cancellation;
  ResponseStream stream = env.openai()->stream(request);
  StreamChunk chunk;
  REQUIRE(stream.next(chunk));
  CHECK(chunk.text == "w0 ");
  REQUIRE(stream.next(chunk));
  CHECK(chunk.text == "w1 ");
  CHECK(stream.ready());  // "w2 " came in the same write
  REQUIRE(stream.next(chunk));
  CHECK(chunk.text == "w2 ");
  CHECK_FALSE(stream.ready());  // the server pauses here for a minute
  CHECK_FALSE(stream.ready());  // and asking again does not wait either
  cancellation->cancel();
  CHECK_THROWS_AS(stream.next(chunk), CancelledError);
  CHECK(stream.response().content == "w0 w1 w2 ");
}

TEST_CASE("a cascade forwards ready() only once past its fail-over", "[ready][cascade]") {
  ProviderTestEnv env;
  const std::vector<std::string> pieces = numbered_words(12);
  stream_next(env.server, pieces);
  std::vector<CascadeMember> members{
      member_at("openai", "gpt-4o", env.server.origin() + "/v1", "sk-test-0000")};
  ClientOptions shared;
  shared.retry.max_attempts = 1;
  const auto cascade = env.host.get_cascade(std::move(members), shared);
  ResponseStream stream = cascade->stream(LLMRequest::from_prompt("hi"));
  CHECK_FALSE(stream.ready());  // before the first chunk an error would mean the next member
  const PulledStream pulled = pull_all(stream);
  CHECK(pulled.text == joined(pieces));
  CHECK(pulled.ready_after >= pulled.chunks - 1);
}

TEST_CASE("a cascade's response() read after every chunk follows its member's, and ends whole", "[ready][cascade]") {
  // The first member refuses the connection: the answer carries the cascade's history, which
  // response() composes into a copy it keeps up to date chunk by chunk.
  ProviderTestEnv env;
  const std::vector<std::string> pieces = numbered_words(30);
  stream_next(env.server, pieces);
  std::vector<CascadeMember> members{member_at("openai", "gpt-4o", "http://127.0.0.1:9/v1", "sk-test-0000"),
                                     member_at("openai", "gpt-4o-mini", env.server.origin() + "/v1", "sk-test-0000")};
  ClientOptions shared;
  shared.retry.max_attempts = 1;
  const auto cascade = env.host.get_cascade(std::move(members), shared);
  ResponseStream stream = cascade->stream(LLMRequest::from_prompt("hi"));
  StreamChunk chunk;
  std::string text;
  while (stream.next(chunk)) {
    text.append(chunk.text);
    const Response& so_far = stream.response();
    // ready() may have read ahead: the response holds at least what was handed out.
    CHECK(so_far.content.rfind(text, 0) == 0);
    CHECK(so_far.served_by == "openai:gpt-4o-mini");
    CHECK(so_far.failed_attempts.size() == 1);
    (void)stream.ready();
  }
  const Response& answer = stream.response();
  CHECK(answer.content == joined(pieces));
  CHECK(answer.usage.output_tokens == 30);
  CHECK(answer.stop_reason == StopReason::end_turn);
  CHECK(answer.served_by == "openai:gpt-4o-mini");
  REQUIRE(answer.failed_attempts.size() == 1);
  CHECK(answer.records.size() == 2);  // the refused member's attempt, then the answer's
  CHECK_FALSE(answer.records.back().error.has_value());
  CHECK(answer.records.front().error == ErrorKind::connection);
}
