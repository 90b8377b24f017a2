// SseDecoder tests: every framing rule, fed whole, split at every offset and byte by byte; fixture replays.
#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/sse.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

using namespace majordomo::sdk;

namespace {

struct Event {
  std::string type;
  std::string data;
  bool operator==(const Event& other) const { return type == other.type && data == other.data; }
};

std::ostream& operator<<(std::ostream& out, const Event& event) {
  return out << "{type=" << Catch::Detail::stringify(event.type)
             << " data=" << Catch::Detail::stringify(event.data) << "}";
}

// Copies every event out, and touches the kPadding bytes after its data: ASan flags them if they
// are not readable.
void drain(SseDecoder& decoder, std::vector<Event>& out) {
  SseEvent event;
  while (decoder.next(event)) {
    std::array<char, SseDecoder::kPadding> padding{};
    std::memcpy(padding.data(), event.data.data() + event.data.size(), padding.size());
    out.push_back({std::string(event.type), std::string(event.data)});
  }
}

void feed(SseDecoder& decoder, std::string_view piece, std::vector<Event>& out) {
  while (!piece.empty()) {
    const std::span<char> space = decoder.prepare();
    const std::size_t n = std::min(space.size(), piece.size());
    std::memcpy(space.data(), piece.data(), n);
    decoder.commit(n);
    piece.remove_prefix(n);
    drain(decoder, out);
  }
}

std::vector<Event> decode(const std::vector<std::string_view>& pieces) {
  SseDecoder decoder;
  std::vector<Event> events;
  for (const std::string_view piece : pieces) feed(decoder, piece, events);
  return events;
}

std::vector<Event> decode_bytewise(std::string_view input) {
  SseDecoder decoder;
  std::vector<Event> events;
  for (std::size_t i = 0; i < input.size(); ++i) feed(decoder, input.substr(i, 1), events);
  return events;
}

struct Case {
  const char* name;
  std::string input;
  std::vector<Event> expected;
};

std::vector<Case> cases() {
  return {
      {"one event, LF", "data: hello\n\n", {{"", "hello"}}},
      {"CRLF line ends", "data: a\r\n\r\ndata: b\r\n\r\n", {{"", "a"}, {"", "b"}}},
      {"CR line ends", "data: a\r\rdata: b\r\r", {{"", "a"}, {"", "b"}}},
      {"mixed line ends in one event", "data: a\r\ndata: b\rdata: c\n\r\n", {{"", "a\nb\nc"}}},
      {"CR then LF are one line end, not a blank line", "data: a\r\ndata: b\r\n\r\n", {{"", "a\nb"}}},
      {"comment lines ignored", ": keep-alive\n\n:another\ndata: x\n: inside\n\n", {{"", "x"}}},
      {"no space after colon", "data:x\n\n", {{"", "x"}}},
      {"only one leading space stripped", "data:  x \n\n", {{"", " x "}}},
      {"unknown fields ignored", "id: 5\nretry: 100\nfoo: bar\nid\ndata: x\n\n", {{"", "x"}}},
      {"data lines joined with LF", "data: a\ndata: b\ndata: c\n\n", {{"", "a\nb\nc"}}},
      {"event type", "event: delta\ndata: {}\n\n", {{"delta", "{}"}}},
      {"event type resets after dispatch", "event: one\ndata: 1\n\ndata: 2\n\n", {{"one", "1"}, {"", "2"}}},
      {"event without data dispatches nothing", "event: ping\n\ndata: x\n\n", {{"", "x"}}},
      {"last event field wins", "event: a\nevent: b\ndata: x\n\n", {{"b", "x"}}},
      {"event field between data lines", "data: a\nevent: t\ndata: b\n\n", {{"t", "a\nb"}}},
      {"leading BOM skipped", "\xEF\xBB\xBF" "data: x\n\n", {{"", "x"}}},
      {"BOM only at the start", "\xEF\xBB\xBF" "data: x\n\n\xEF\xBB\xBF" "data: y\n\n", {{"", "x"}}},
      {"incomplete event at end discarded", "data: x\n\ndata: y\n", {{"", "x"}}},
      {"incomplete line at end discarded", "data: x\n\ndata: y", {{"", "x"}}},
      {"data without colon is an empty line of data", "data\n\n", {{"", ""}}},
      {"empty data value", "data:\n\n", {{"", ""}}},
      {"two empty data lines", "data\ndata\n\n", {{"", "\n"}}},
      {"field name without colon", "event\ndata: x\n\n", {{"", "x"}}},
      {"colon inside value kept", "data: a:b: c\n\n", {{"", "a:b: c"}}},
      {"blank lines before the first event", "\n\r\n\rdata: x\n\n", {{"", "x"}}},
      {"multi-byte UTF-8", "data: h\xC3\xA9llo \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x99\x82\n\n",
       {{"", "h\xC3\xA9llo \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x99\x82"}}},
      {"openai terminator", "data: {\"a\":1}\n\ndata: [DONE]\n\n", {{"", "{\"a\":1}"}, {"", "[DONE]"}}},
      {"field names are case-sensitive", "Data: x\n\ndata: y\n\n", {{"", "y"}}},
      {"trailing CR is a blank line at end", "data: x\r\r", {{"", "x"}}},
  };
}

}  // namespace

TEST_CASE("SseDecoder follows the event-stream rules, however the input is split", "[sse]") {
  for (const Case& c : cases()) {
    SECTION(c.name) {
      INFO("input: " << Catch::Detail::stringify(c.input));
      CHECK(decode({c.input}) == c.expected);
      CHECK(decode_bytewise(c.input) == c.expected);
      for (std::size_t split = 0; split <= c.input.size(); ++split) {
        INFO("split at " << split);
        const std::string_view input = c.input;
        REQUIRE(decode({input.substr(0, split), input.substr(split)}) == c.expected);
      }
    }
  }
}

TEST_CASE("SseDecoder: CR at the end of one read and LF at the start of the next end one line", "[sse]") {
  // If the LF were a second line end, the blank line would dispatch "a" alone.
  CHECK(decode({"data: a\r", "\ndata: b\n\n"}) == std::vector<Event>{{"", "a\nb"}});
  CHECK(decode({"data: a\r\n\r", "\n", "data: b\n\n"}) == std::vector<Event>{{"", "a"}, {"", "b"}});
  // A lone CR followed by a read that starts with something else still ended the line.
  CHECK(decode({"data: a\r", "data: b\r\r"}) == std::vector<Event>{{"", "a\nb"}});
}

TEST_CASE("SseDecoder: multi-byte UTF-8 split across reads is reassembled", "[sse]") {
  const std::string smile = "\xF0\x9F\x99\x82";
  CHECK(decode({"data: x\xF0\x9F", "\x99\x82y\n\n"}) == std::vector<Event>{{"", "x" + smile + "y"}});
}

TEST_CASE("SseDecoder: single-line data is a view into the read buffer", "[sse]") {
  SseDecoder decoder;
  const std::span<char> space = decoder.prepare();
  const std::string_view input = "event: t\ndata: payload\n\n";
  std::memcpy(space.data(), input.data(), input.size());
  decoder.commit(input.size());
  SseEvent event;
  REQUIRE(decoder.next(event));
  CHECK(event.data.data() == space.data() + 15);
  CHECK(event.type.data() == space.data() + 7);
  CHECK_FALSE(decoder.next(event));
}

TEST_CASE("SseDecoder: views of several events stay valid until the next prepare", "[sse]") {
  SseDecoder decoder;
  const std::span<char> space = decoder.prepare();
  const std::string_view input = "data: a\ndata: b\n\nevent: e\ndata: c\ndata: d\n\ndata: single\n\n";
  std::memcpy(space.data(), input.data(), input.size());
  decoder.commit(input.size());
  std::vector<SseEvent> events(3);
  for (SseEvent& event : events) REQUIRE(decoder.next(event));
  CHECK(events[0].data == "a\nb");
  CHECK(events[1].type == "e");
  CHECK(events[1].data == "c\nd");
  CHECK(events[2].data == "single");
}

TEST_CASE("SseDecoder: a large event arriving in many reads", "[sse]") {
  const std::string big(100000, 'x');
  const std::string input = "data: " + big + "\ndata: " + big + "\n\ndata: end\n\n";
  std::vector<std::string_view> pieces;
  for (std::size_t at = 0; at < input.size(); at += 1000) pieces.push_back(std::string_view(input).substr(at, 1000));
  CHECK(decode(pieces) == std::vector<Event>{{"", big + "\n" + big}, {"", "end"}});
}

namespace {

std::string read_fixture(const std::string& relative) {
  std::ifstream file(std::string(MAJORDOMO_TEST_FIXTURES) + "/" + relative, std::ios::binary);
  REQUIRE(file.good());
  return std::string(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

void check_fixture(const std::string& relative, std::size_t count, std::string_view first_prefix,
                   std::string_view last_data) {
  const std::string input = read_fixture(relative);
  const std::vector<Event> whole = decode({input});
  REQUIRE(whole.size() == count);
  CHECK(whole.front().data.substr(0, first_prefix.size()) == first_prefix);
  CHECK(whole.back().data.substr(whole.back().data.size() - last_data.size()) == last_data);
  // Read sizes that cut lines, CRLF pairs and UTF-8 sequences in odd places.
  for (const std::size_t step : {1u, 7u, 1000u, 4096u}) {
    std::vector<std::string_view> pieces;
    for (std::size_t at = 0; at < input.size(); at += step) pieces.push_back(std::string_view(input).substr(at, step));
    INFO("read size " << step);
    CHECK(decode(pieces) == whole);
  }
}

}  // namespace

TEST_CASE("SseDecoder replays the OpenAI chat stream fixture", "[sse][fixture]") {
  check_fixture("openai/chat_completion_stream.sse", 34,
                "{\"id\":\"chatcmpl-ABfw031mOJeYCSHe4yI2ZjOA6kMJL\"", "[DONE]");
}

TEST_CASE("SseDecoder replays the Gemini CRLF stream fixture", "[sse][fixture]") {
  check_fixture("gemini/stream_generate_content.sse", 123, "{\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Okay",
                "\"responseId\": \"IZI2acSKMoWl0-kPmYj2yQc\"}");
}

TEST_CASE("SseDecoder: a line, an event's data and an event's lines are bounded", "[sse][limits]") {
  const auto [input, message] = GENERATE(table<std::string, std::string>({
      {"data: " + std::string(2000, 'a'), "an SSE line over 1024 bytes"},             // never ends
      {": " + std::string(2000, 'c') + "\n", "an SSE line over 1024 bytes"},         // long comment, cut
      {std::string(3, 'x') + "\ndata: " + std::string(1100, 'd') + "\n\n", "an SSE line over 1024 bytes"},
      {"data: " + std::string(600, 'd') + "\ndata: " + std::string(600, 'd') + "\n", "an SSE event with data over 1024"},
      {"event: e\n" + [] {
         std::string comments;
         for (int i = 0; i < 40; ++i) comments += ": " + std::string(100, 'c') + "\n";
         return comments;
       }(),
       "add up to over 2048 bytes"},
  }));
  // Whole, and in 7-byte pieces: the limit trips however the input is split.
  for (const std::size_t piece : {input.size(), std::size_t{7}}) {
    INFO(piece);
    SseDecoder decoder;
    decoder.set_max_event_bytes(1024);
    std::vector<Event> events;
    try {
      for (std::size_t at = 0; at < input.size(); at += piece)
        feed(decoder, std::string_view(input).substr(at, piece), events);
      FAIL("expected a ProviderError");
    } catch (const ProviderError& error) {
      CHECK(error.kind() == MJ_ERR_PARSE);
      CHECK_THAT(error.what(), Catch::Contains(message) && Catch::Contains("max_event_bytes"));
    }
    CHECK(events.empty());
  }
}

TEST_CASE("SseDecoder: events right at the limit pass, and so do many small ones", "[sse][limits]") {
  SseDecoder decoder;
  decoder.set_max_event_bytes(1024);
  std::vector<Event> events;
  const std::string exact = "data: " + std::string(1017, 'a') + "\n" + "data: " + std::string(6, 'b') + "\n\n";
  feed(decoder, exact, events);  // 1017 + '\n' + 6 = 1024 bytes of data
  for (int i = 0; i < 100; ++i) feed(decoder, "data: " + std::string(900, 'c') + "\n\n", events);
  REQUIRE(events.size() == 101);
  CHECK(events[0].data.size() == 1024);
}

TEST_CASE("SseDecoder decode throughput (informational)", "[.][sse][bench]") {
  const std::string input = read_fixture("openai/chat_completion_stream.sse");
  std::string repeated;
  while (repeated.size() < 58000) repeated += input;
  const auto start = std::chrono::steady_clock::now();
  constexpr int kRounds = 2000;
  std::size_t events = 0;
  for (int round = 0; round < kRounds; ++round) {
    SseDecoder decoder;
    std::string_view rest = repeated;
    SseEvent event;
    while (!rest.empty()) {
      const std::span<char> space = decoder.prepare();
      const std::size_t n = std::min(space.size(), rest.size());
      std::memcpy(space.data(), rest.data(), n);
      decoder.commit(n);
      rest.remove_prefix(n);
      while (decoder.next(event)) ++events;
    }
  }
  const auto elapsed = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start);
  // The same copies without decoding, to tell the decoder's share from the memcpy's.
  const auto copy_start = std::chrono::steady_clock::now();
  std::vector<char> sink(SseDecoder::kReadSize);
  for (int round = 0; round < kRounds; ++round) {
    for (std::size_t at = 0; at < repeated.size(); at += sink.size()) {
      std::memcpy(sink.data(), repeated.data() + at, std::min(sink.size(), repeated.size() - at));
      asm volatile("" : : "r"(sink.data()) : "memory");
    }
  }
  const auto copy = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - copy_start);
  WARN("decoded " << repeated.size() << " bytes, " << events / kRounds << " events per stream in "
                  << elapsed.count() / kRounds << " us per stream; the copies alone take "
                  << copy.count() / kRounds << " us");
}
