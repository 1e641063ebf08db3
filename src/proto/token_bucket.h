// Continuous-refill token bucket with the time passed in (the reference's
// handshake admission limiter). Not here: what is being limited.
#pragma once

#include <algorithm>
#include <cstdint>

namespace fips {

class TokenBucket {
 public:
  TokenBucket() : TokenBucket(0, 0) {}  // empty, never refills (table slots)
  TokenBucket(double capacity, double rate_per_sec)
      : capacity_(capacity), rate_(rate_per_sec), tokens_(capacity) {}

  // Takes one token if available; refills by elapsed time first. Starts full.
  bool try_take(uint64_t now_ms) {
    refill(now_ms);
    if (tokens_ >= 1.0) {
      tokens_ -= 1.0;
      return true;
    }
    return false;
  }
  [[nodiscard]] double tokens(uint64_t now_ms) {
    refill(now_ms);
    return tokens_;
  }

 private:
  void refill(uint64_t now_ms) {
    if (!started_) {
      started_ = true;
      last_ms_ = now_ms;
      return;
    }
    if (now_ms > last_ms_) {
      tokens_ = std::min(capacity_, tokens_ + static_cast<double>(now_ms - last_ms_) / 1000.0 * rate_);
      last_ms_ = now_ms;
    }
  }
  double capacity_, rate_, tokens_;
  uint64_t last_ms_ = 0;
  bool started_ = false;
};

}  // namespace fips
