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
