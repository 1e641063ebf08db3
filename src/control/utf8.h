// Strict UTF-8 validation (the same rules as Rust's str: no overlongs, no
// surrogates, nothing above U+10FFFF), whole-buffer and streaming.
// Not here: JSON escaping (control/json_out.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace fips {

// Length of the valid UTF-8 sequence that starts s (1..4), or 0 when s is
// empty or does not start with a complete valid sequence.
size_t utf8_sequence_len(std::string_view s);
// Length (>= 1) of the maximal invalid subpart at the start of s, as
// String::from_utf8_lossy counts it (one U+FFFD each). s must be non-empty.
size_t utf8_invalid_len(std::string_view s);
bool utf8_valid(std::string_view s);

// Byte-at-a-time validator, for input that arrives in pieces.
class Utf8Stream {
 public:
  void feed(uint8_t b);
  // No invalid byte so far (a sequence may still be incomplete).
  [[nodiscard]] bool ok() const { return ok_; }
  // Valid and not in the middle of a multi-byte sequence.
  [[nodiscard]] bool complete() const { return ok_ && need_ == 0; }

 private:
  bool ok_ = true;
  uint8_t need_ = 0;               // continuation bytes still expected
  uint8_t lo_ = 0x80, hi_ = 0xBF;  // allowed range of the next continuation byte
};

}  // namespace fips
