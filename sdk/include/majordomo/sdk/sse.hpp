// SseDecoder: incremental Server-Sent Events parser (WHATWG algorithm) over an owned read buffer.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace majordomo::sdk {
inline namespace v1 {

// One dispatched event. `data` is the joined value of its data lines (without the final '\n').
// Both views stay valid until the next prepare() on the decoder that produced them, and `data`
// is followed by at least SseDecoder::kPadding readable bytes, so simdjson can parse it in place.
struct SseEvent {
  std::string_view type;  // the `event:` field; empty when the event had none ("message")
  std::string_view data;
};

// Line endings \n, \r\n and \r (also when \r and \n arrive in different reads); comment lines
// (leading ':') ignored; unknown fields (id, retry, anything else) ignored; several data lines
// joined with '\n'; an event with no data line dispatches nothing; a leading UTF-8 BOM is
// skipped. Lines and UTF-8 characters split across reads are reassembled because only complete
// lines are interpreted. An incomplete event at end of input is discarded (as the spec says).
//
// Use: auto buf = dec.prepare(); n = read(buf.data(), buf.size()); dec.commit(n);
//      while (dec.next(ev)) handle(ev);
class SseDecoder {
 public:
  static constexpr std::size_t kPadding = 64;  // >= SIMDJSON_PADDING
  static constexpr std::size_t kReadSize = 16384;

  SseDecoder();

  // Space for the next read. Invalidates views of events returned before.
  std::span<char> prepare(std::size_t min_size = kReadSize);
  // Declares that `n` bytes were written at the start of the last prepare() span.
  void commit(std::size_t n);
  // Next complete event, or false when more input is needed.
  bool next(SseEvent& event);

  // Bytes received and not yet part of a dispatched event (for diagnostics).
  std::size_t pending_bytes() const noexcept { return end_ - cursor_; }

 private:
  std::vector<char> buffer_;  // [0, end_) holds data; capacity keeps kPadding slack after end_
  std::size_t cursor_ = 0;    // start of the first line not yet consumed
  std::size_t end_ = 0;
  bool skip_lf_ = false;      // the last consumed line ended in '\r': a leading '\n' belongs to it
  bool at_start_ = true;      // BOM check pending
  std::string joined_;        // multi-line data, with padding reserved
};

}  // namespace v1
}  // namespace majordomo::sdk
