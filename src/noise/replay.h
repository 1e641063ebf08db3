// Sliding anti-replay window (2048 counters, the reference's size and
// semantics). Check before decrypting; accept only after the AEAD verified,
// so a forged packet can never move the window.
// Not here: decryption, keys (noise/transport.h).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace fips {

class ReplayWindow {
 public:
  static constexpr size_t kSize = 2048;

  // True if counter is new: above the highest seen, or within the last kSize
  // counters and not yet accepted. Counter 2^64-1 is never valid (Noise
  // reserves it; no conforming sender produces it). Does not modify state.
  [[nodiscard]] bool check(uint64_t counter) const;
  // Marks counter as seen, moving the window forward if it is the new highest.
  // Call only after check() passed and the packet authenticated.
  void accept(uint64_t counter);
  void reset();

  [[nodiscard]] uint64_t highest() const { return highest_; }

 private:
  static constexpr size_t kWords = kSize / 64;
  bool test_bit(uint64_t c) const { return (bits_[(c / 64) % kWords] >> (c % 64)) & 1; }
  // Ring buffer indexed by counter mod kSize; bits for counters above the
  // old highest are cleared as the window advances.
  std::array<uint64_t, kWords> bits_{};
  uint64_t highest_ = 0;
};

}  // namespace fips
