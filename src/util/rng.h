// Small fast PRNG (xoshiro256**) for protocol decisions that need randomness
// but not secrecy: jitter, index choice in simulations. Seeded from the
// kernel CSPRNG in the daemon, from a fixed seed in tests and the simulator.
// Not here: key material (crypto/random.h).
#pragma once

#include <cstdint>

namespace fips {

class Rng {
 public:
  explicit Rng(uint64_t seed) { reseed(seed); }
  void reseed(uint64_t seed) {
    for (uint64_t& w : s_) {  // splitmix64 expansion
      seed += 0x9E3779B97F4A7C15ULL;
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
      w = z ^ (z >> 31);
    }
  }
  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  uint32_t next_u32() { return static_cast<uint32_t>(next() >> 32); }
  // Uniform in [0, n) (n > 0), bias negligible for protocol use.
  uint64_t below(uint64_t n) { return n ? next() % n : 0; }
  // Uniform double in [0, 1).
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace fips
