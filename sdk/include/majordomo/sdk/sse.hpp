// SseDecoder: incremental Server-Sent Events parser (WHATWG algorithm) over an owned read buffer.
#pragma once

#include <majordomo/sdk/requires_cxx20.hpp>

#include <algorithm>
#include <cstddef>
#include <deque>
#include <memory>
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

  // Default bound on one line and on one event's data (TransportConfig::max_event_bytes).
  static constexpr std::size_t kDefaultMaxEventBytes = std::size_t{4} << 20;

  SseDecoder();

  // Bounds one line, and the data of one event (a run of data lines without the blank line that
  // ends the event counts together); the bytes of one event's lines together (comments and other
  // fields included) may take twice that. next() throws ProviderError MJ_ERR_PARSE, naming the
  // limit and ClientOptions::limits.max_event_bytes, as soon as one is passed, so the buffer
  // never holds much more than the limit, whatever the server sends. 0: the default. (0.3)
  void set_max_event_bytes(std::size_t limit) noexcept {
    // Capped so that twice the limit (the bound on an event's lines) cannot overflow.
    max_event_ = limit == 0 ? kDefaultMaxEventBytes : std::min(limit, static_cast<std::size_t>(-1) / 4);
  }

  // Space for the next read: all the free space, at least `min_size` bytes. The buffer is
  // allocated on first use with room for a carried partial line plus a full read, and grows only
  // when a single pending line outgrows that. Invalidates views of events returned before.
  std::span<char> prepare(std::size_t min_size = kReadSize);
  // Declares that `n` bytes were written at the start of the last prepare() span.
  void commit(std::size_t n);
  // Next complete event, or false when more input is needed. Throws ProviderError (MJ_ERR_PARSE)
  // past the event limit above.
  bool next(SseEvent& event);

  // Bytes received and not yet part of a dispatched event (for diagnostics).
  std::size_t pending_bytes() const noexcept { return end_ - cursor_; }

 private:
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);

  bool skip_bom();
  std::size_t find_cr(std::size_t from);
  void add_data_line(std::size_t begin, std::size_t size);
  void dispatch(SseEvent& event);
  void reset_event() noexcept;
  void check_pending() const;  // the limits on the incomplete line and the pending event
  [[noreturn]] void too_large(const char* what, std::size_t limit) const;

  // [0, end_) holds data; capacity_ keeps kPadding slack after end_. Not a vector: growing one
  // zero-fills bytes that the next read overwrites anyway.
  std::unique_ptr<char[]> buffer_;
  std::size_t capacity_ = 0;
  std::size_t cursor_ = 0;    // oldest byte still needed: views of the pending event live after it
  std::size_t scan_ = 0;      // start of the first line not yet interpreted
  std::size_t end_ = 0;
  std::size_t lf_checked_ = 0;      // no '\n' in [scan_, lf_checked_): an incomplete line is not rescanned
  std::size_t cr_next_ = kNone;     // cached position of the next '\r' at or after scan_
  std::size_t cr_checked_ = 0;      // no '\r' in [.., cr_checked_) when cr_next_ == kNone
  bool skip_lf_ = false;      // the last consumed line ended in '\r': a leading '\n' belongs to it
  bool at_start_ = true;      // BOM check pending

  // The event being assembled: offsets into buffer_ for `event:` and a single data line; several
  // data lines are joined into a slot of joined_ instead.
  std::size_t type_begin_ = 0, type_size_ = 0;
  std::size_t data_begin_ = 0, data_size_ = 0;
  std::size_t data_lines_ = 0;
  std::size_t data_total_ = 0;  // the pending event's data bytes, all its lines joined
  std::size_t max_event_ = kDefaultMaxEventBytes;
  std::size_t joined_slot_ = kNone;
  // Joined data of multi-line events dispatched since the last prepare() (a deque so that earlier
  // slots never move), each followed by kPadding bytes. Slots are reused: no steady-state allocation.
  std::deque<std::string> joined_;
  std::size_t joined_used_ = 0;
};

}  // namespace v1
}  // namespace majordomo::sdk
