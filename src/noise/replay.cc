#include "noise/replay.h"

#include <limits>

namespace fips {

bool ReplayWindow::check(uint64_t counter) const {
  if (counter == std::numeric_limits<uint64_t>::max()) return false;
  if (counter > highest_) return true;
  if (highest_ - counter >= kSize) return false;
  return !test_bit(counter);
}

void ReplayWindow::accept(uint64_t counter) {
  if (counter > highest_) {
    const uint64_t shift = counter - highest_;
    if (shift >= kSize) {
      bits_.fill(0);
    } else {
      // Clear the slots that now belong to counters highest_+1 .. counter.
      // Word-at-a-time: whole words in the middle, partial words at the ends.
      uint64_t c = highest_ + 1;
      while (c <= counter) {
        const size_t word = (c / 64) % kWords;
        const unsigned bit = static_cast<unsigned>(c % 64);
        const uint64_t span = counter - c + 1;
        if (bit == 0 && span >= 64) {
          bits_[word] = 0;
          c += 64;
        } else {
          const unsigned n = static_cast<unsigned>(span < 64 - bit ? span : 64 - bit);
          const uint64_t mask = (n == 64 ? ~0ULL : ((1ULL << n) - 1)) << bit;
          bits_[word] &= ~mask;
          c += n;
        }
        if (c == 0) break;  // wrapped past 2^64-1 (cannot happen: max is rejected)
      }
    }
    highest_ = counter;
  }
  bits_[(counter / 64) % kWords] |= 1ULL << (counter % 64);
}

void ReplayWindow::reset() {
  bits_.fill(0);
  highest_ = 0;
}

}  // namespace fips
