#include "proto/stp/dampener.h"

#include <algorithm>
#include <limits>

namespace fips::stp {
namespace {

uint64_t secs_to_ms(uint64_t secs) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  return secs > kMax / 1000 ? kMax : secs * 1000;
}

uint64_t sat_add(uint64_t a, uint64_t b) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  return a > kMax - b ? kMax : a + b;
}

}  // namespace

void FlapDampener::set_hold_down_secs(uint64_t secs) {
  hold_down_ms_ = secs_to_ms(secs);
}

void FlapDampener::set_flap(uint32_t threshold, uint64_t window_secs, uint64_t dampening_secs) {
  threshold_ = threshold;
  window_ms_ = secs_to_ms(window_secs);
  dampening_ms_ = std::min(secs_to_ms(dampening_secs), kMaxFlapDampeningMs);
}

bool FlapDampener::hold_down_active(uint64_t now_ms) const {
  if (hold_down_ms_ == 0 || !last_switch_ms_) return false;
  const uint64_t since = now_ms >= *last_switch_ms_ ? now_ms - *last_switch_ms_ : 0;
  return since < hold_down_ms_;
}

bool FlapDampener::record_parent_switch(uint64_t now_ms) {
  // Retire a lapsed episode: each episode costs a fresh threshold of switches.
  if (dampening_until_ms_ && !dampened(now_ms)) {
    dampening_until_ms_.reset();
    flap_count_ = 0;
    window_start_ms_.reset();
  }
  const bool in_window =
      window_start_ms_ &&
      (now_ms >= *window_start_ms_ ? now_ms - *window_start_ms_ : 0) < window_ms_;
  if (in_window) {
    if (flap_count_ < std::numeric_limits<uint32_t>::max()) ++flap_count_;
  } else {
    window_start_ms_ = now_ms;
    flap_count_ = 1;
  }
  if (flap_count_ >= threshold_ && !dampened(now_ms)) {
    dampening_until_ms_ = sat_add(now_ms, dampening_ms_);
    return true;
  }
  return false;
}

}  // namespace fips::stp
