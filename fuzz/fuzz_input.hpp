// Fuzz input framing shared by the targets: split points chosen by the input, then the payload.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace majordomo::fuzz {

// Input layout: one byte N (taken modulo 8), N big-endian 16-bit offsets, then the payload. The
// payload is cut at those offsets (sorted, clamped, duplicates dropped): the pieces a server
// writes one by one, or a decoder receives one read at a time. A seed of a plain payload is the
// byte 0 followed by the payload.
struct SplitInput {
  std::string_view payload;
  std::vector<std::string_view> pieces;
};

inline SplitInput split_input(const std::uint8_t* data, std::size_t size) {
  SplitInput out;
  std::size_t at = 0;
  std::vector<std::size_t> cuts;
  if (size > 0) {
    const std::size_t count = data[0] % 8;
    at = 1;
    for (std::size_t i = 0; i < count && at + 2 <= size; ++i, at += 2) {
      cuts.push_back((std::size_t{data[at]} << 8) | data[at + 1]);
    }
  }
  out.payload = std::string_view(reinterpret_cast<const char*>(data) + std::min(at, size), size - std::min(at, size));
  for (auto& cut : cuts) cut = std::min(cut, out.payload.size());
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  std::size_t start = 0;
  for (const std::size_t cut : cuts) {
    if (cut > start) out.pieces.push_back(out.payload.substr(start, cut - start));
    start = std::max(start, cut);
  }
  if (start < out.payload.size() || out.pieces.empty()) out.pieces.push_back(out.payload.substr(start));
  return out;
}

}  // namespace majordomo::fuzz
