// libFuzzer target: the SDK's SseDecoder fed the input in fuzz-chosen reads.
#include "fuzz_input.hpp"

#include <majordomo/sdk/sse.hpp>

#include <cstdlib>
#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = majordomo::fuzz::split_input(data, size);
  majordomo::sdk::SseDecoder decoder;
  majordomo::sdk::SseEvent event;
  std::size_t data_bytes = 0;
  for (std::string_view piece : input.pieces) {
    // A read never fills more than prepare() gave: a long piece arrives in several reads.
    while (!piece.empty()) {
      const auto buffer = decoder.prepare(1);
      const std::size_t n = std::min(buffer.size(), piece.size());
      std::memcpy(buffer.data(), piece.data(), n);
      decoder.commit(n);
      piece.remove_prefix(n);
      while (decoder.next(event)) {
        // The views must be readable, and `data` padded as the header promises.
        data_bytes += event.type.size() + event.data.size();
        volatile char last = event.data.data()[event.data.size() + majordomo::sdk::SseDecoder::kPadding - 1];
        (void)last;
      }
    }
  }
  // An event's data is made of input bytes: it can never outgrow the input.
  if (data_bytes > 2 * input.payload.size() + 1) std::abort();
  return 0;
}
