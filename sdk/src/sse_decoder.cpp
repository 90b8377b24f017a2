// SseDecoder: WHATWG event-stream parsing over one reusable read buffer, zero-copy for single-line data.
#include <majordomo/sdk/errors.hpp>
#include <majordomo/sdk/sse.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <cstring>
#include <utility>

namespace majordomo::sdk {
inline namespace v1 {

namespace {

constexpr char kBom[] = "\xEF\xBB\xBF";

bool field_is(const char* name, std::size_t size, std::string_view expected) noexcept {
  return size == expected.size() && std::memcmp(name, expected.data(), size) == 0;
}

}  // namespace

SseDecoder::SseDecoder() = default;

std::span<char> SseDecoder::prepare(std::size_t min_size) {
  // Move the bytes still needed to the front, so the buffer stays one read plus one pending event.
  if (cursor_ > 0) {
    const std::size_t shift = cursor_;
    if (end_ > shift) std::memmove(buffer_.get(), buffer_.get() + shift, end_ - shift);
    end_ -= shift;
    scan_ -= shift;
    lf_checked_ = lf_checked_ > shift ? lf_checked_ - shift : 0;
    if (cr_next_ != kNone) cr_next_ -= shift;
    cr_checked_ = cr_checked_ > shift ? cr_checked_ - shift : 0;
    // Only views of the pending event are kept, and they all lie after cursor_.
    if (type_size_ > 0) type_begin_ -= shift;
    if (data_lines_ == 1) data_begin_ -= shift;
    cursor_ = 0;
  }
  // Slots of events dispatched before are free again; a pending multi-line event keeps its slot.
  if (joined_slot_ != kNone) {
    if (joined_slot_ != 0) std::swap(joined_[0], joined_[joined_slot_]);
    joined_slot_ = 0;
    joined_used_ = 1;
  } else {
    joined_used_ = 0;
  }
  const std::size_t needed = end_ + std::max<std::size_t>(min_size, 1) + kPadding;
  if (capacity_ < needed) {
    // Room for one carried partial line and a full read: a carry then never forces a regrowth.
    const std::size_t capacity = std::max({needed, capacity_ * 2, 2 * kReadSize + kPadding});
    std::unique_ptr<char[]> grown(new char[capacity]);  // default-initialised: no zero-fill
    if (end_ > 0) std::memcpy(grown.get(), buffer_.get(), end_);
    buffer_ = std::move(grown);
    capacity_ = capacity;
  }
  return {buffer_.get() + end_, capacity_ - end_ - kPadding};
}

void SseDecoder::commit(std::size_t n) {
  assert(end_ + n + kPadding <= capacity_);
  end_ += n;
}

bool SseDecoder::skip_bom() {
  const std::size_t available = std::min<std::size_t>(end_ - scan_, 3);
  if (available == 0) return false;
  if (std::memcmp(buffer_.get() + scan_, kBom, available) != 0) {
    at_start_ = false;
    return true;
  }
  if (available < 3) return false;  // could still be a BOM: wait for its other bytes
  scan_ += 3;
  cursor_ = scan_;
  at_start_ = false;
  return true;
}

std::size_t SseDecoder::find_cr(std::size_t from) {
  if (cr_next_ != kNone && cr_next_ >= from) return cr_next_;
  const std::size_t start = std::max(from, cr_checked_);
  if (start < end_) {
    const void* hit = std::memchr(buffer_.get() + start, '\r', end_ - start);
    if (hit != nullptr) {
      cr_next_ = static_cast<std::size_t>(static_cast<const char*>(hit) - buffer_.get());
      return cr_next_;
    }
  }
  cr_next_ = kNone;
  cr_checked_ = end_;
  return kNone;
}

void SseDecoder::too_large(const char* what, std::size_t limit) const {
  throw ProviderError(MJ_ERR_PARSE,
                      fmt::format("{} over {} bytes (the max_event_bytes limit is {}); raise "
                                  "ClientOptions::limits.max_event_bytes (CLI --max-event-bytes)",
                                  what, limit, max_event_));
}

void SseDecoder::check_pending() const {
  // [scan_, end_): a line still without its end; [cursor_, end_): everything the pending event
  // keeps in the buffer. Either past its bound and the server is not sending events we can use.
  if (end_ - scan_ > max_event_) too_large("an SSE line", max_event_);
  if (end_ - cursor_ > 2 * max_event_)
    too_large("an SSE event whose lines (comments included) add up to", 2 * max_event_);
}

void SseDecoder::add_data_line(std::size_t begin, std::size_t size) {
  // "+ 1": the '\n' that joins this line to the one before.
  data_total_ += size + (data_lines_ > 0 ? 1 : 0);
  if (data_total_ > max_event_) too_large("an SSE event with data", max_event_);
  ++data_lines_;
  if (data_lines_ == 1) {
    data_begin_ = begin;
    data_size_ = size;
    return;
  }
  if (data_lines_ == 2) {
    if (joined_used_ == joined_.size()) joined_.emplace_back();
    joined_slot_ = joined_used_++;
    joined_[joined_slot_].assign(buffer_.get() + data_begin_, data_size_);
  }
  std::string& joined = joined_[joined_slot_];
  joined.push_back('\n');
  joined.append(buffer_.get() + begin, size);
}

void SseDecoder::reset_event() noexcept {
  type_size_ = 0;
  data_lines_ = 0;
  data_total_ = 0;
  data_size_ = 0;
  joined_slot_ = kNone;
}

void SseDecoder::dispatch(SseEvent& event) {
  event.type = type_size_ > 0 ? std::string_view(buffer_.get() + type_begin_, type_size_)
                              : std::string_view();
  if (data_lines_ == 1) {
    event.data = std::string_view(buffer_.get() + data_begin_, data_size_);
  } else {
    std::string& joined = joined_[joined_slot_];
    const std::size_t size = joined.size();
    joined.append(kPadding, '\0');  // simdjson reads past the end
    event.data = std::string_view(joined.data(), size);
  }
  reset_event();
}

bool SseDecoder::next(SseEvent& event) {
  if (at_start_ && !skip_bom()) return false;
  char* const base = buffer_.get();
  for (;;) {
    if (skip_lf_) {
      if (scan_ == end_) {
        check_pending();
        return false;
      }
      if (base[scan_] == '\n') ++scan_;
      skip_lf_ = false;
    }
    // The line ends at the first '\n' or '\r', whichever comes first.
    std::size_t lf = kNone;
    std::size_t cr = kNone;
    if (scan_ < end_ && base[scan_] == '\n') {
      lf = scan_;  // blank line, the dispatch case: no search needed
    } else {
      const std::size_t lf_from = std::max(scan_, lf_checked_);
      if (lf_from < end_) {
        const void* hit = std::memchr(base + lf_from, '\n', end_ - lf_from);
        if (hit != nullptr) lf = static_cast<std::size_t>(static_cast<const char*>(hit) - base);
      }
      cr = find_cr(scan_);
    }
    const std::size_t eol = std::min(lf, cr);
    if (eol == kNone) {
      lf_checked_ = end_;
      check_pending();
      return false;  // incomplete line: wait for more input
    }
    std::size_t after = eol + 1;
    if (eol == cr) {
      if (after < end_) {
        if (base[after] == '\n') ++after;
      } else {
        skip_lf_ = true;  // "\r" ends this read: a "\n" starting the next one is the same line end
      }
    }
    const std::size_t begin = scan_;
    const std::size_t size = eol - begin;
    scan_ = after;
    if (size > max_event_) too_large("an SSE line", max_event_);  // one that arrived whole

    if (size == 0) {
      if (data_lines_ > 0) {
        dispatch(event);
        cursor_ = scan_;
        return true;
      }
      reset_event();
      cursor_ = scan_;
      continue;
    }
    const char* line = base + begin;
    if (size >= 5 && std::memcmp(line, "data:", 5) == 0) {
      // The common line, without searching for the colon.
      const std::size_t value_begin = begin + (size > 5 && line[5] == ' ' ? 6 : 5);
      add_data_line(value_begin, eol - value_begin);
    } else if (line[0] != ':') {
      const void* colon = std::memchr(line, ':', size);
      const std::size_t name_size =
          colon != nullptr ? static_cast<std::size_t>(static_cast<const char*>(colon) - line) : size;
      std::size_t value_begin = begin + name_size;
      if (colon != nullptr) {
        ++value_begin;
        if (value_begin < eol && base[value_begin] == ' ') ++value_begin;
      }
      const std::size_t value_size = eol - value_begin;
      if (field_is(line, name_size, "data")) {
        add_data_line(value_begin, value_size);
      } else if (field_is(line, name_size, "event")) {
        type_begin_ = value_begin;
        type_size_ = value_size;
      }
      // Every other field (id, retry, unknown) is ignored: nothing here needs them.
    }
    // Bytes before scan_ are needed only while the pending event points at them.
    if (type_size_ == 0 && data_lines_ != 1) cursor_ = scan_;
  }
}

}  // namespace v1
}  // namespace majordomo::sdk
