// Per-session path MTU state (the reference's PathMtuState,
// src/proto/mmp/path_mtu.rs; docs/spec/fsp-ipv6.md §9.1-§9.2):
//   source side      current_mtu starts at 0xFFFF; seed_source(first-hop link
//                    MTU) on every send only lowers it; apply_notification()
//                    takes a lower value at once and a higher one only after 3
//                    consecutive equal notifications spanning >= 2 intervals.
//   destination side observe() the path_mtu of every decrypted datagram;
//                    a PathMtuNotification is due on the first measurement,
//                    when the observation changed and is below OUR OWN
//                    current_mtu (reference quirk, kept: it is what the peer
//                    expects to see), or every interval (10 s; max(10 s,
//                    5*SRTT) once session MMP measures an SRTT).
// Not here: encoding (proto/fsp/wire.h), who sends (session_timers.cc).
#pragma once

#include <algorithm>
#include <cstdint>

namespace fips::fsp {

inline constexpr uint16_t kMinActionablePathMtu = 256;  // reference MIN_ACTIONABLE_PATH_MTU
inline constexpr uint64_t kPathMtuNotifyIntervalMs = 10'000;

class PathMtuState {
 public:
  [[nodiscard]] uint16_t current_mtu() const { return current_; }
  [[nodiscard]] uint16_t last_observed() const { return observed_; }

  void seed_source(uint16_t first_hop_mtu) {
    if (first_hop_mtu != 0 && first_hop_mtu < current_) current_ = first_hop_mtu;
  }
  void set_interval_from_srtt(double srtt_ms) {
    interval_ms_ = std::max<uint64_t>(kPathMtuNotifyIntervalMs, static_cast<uint64_t>(srtt_ms * 5.0));
  }

  // ---- destination side ----
  void observe(uint16_t path_mtu) {
    if (path_mtu != observed_) {
      changed_ = true;
      observed_ = path_mtu;
    }
  }
  [[nodiscard]] bool notification_due(uint64_t now_ms) const {
    if (observed_ == 0xFFFF) return false;
    if (!sent_once_) return true;
    if (changed_ && observed_ < current_) return true;
    return now_ms - std::min(now_ms, last_sent_ms_) >= interval_ms_;
  }
  // Marks a notification as sent now and returns the value to carry.
  uint16_t take_notification(uint64_t now_ms) {
    sent_once_ = true;
    last_sent_ms_ = now_ms;
    changed_ = false;
    return observed_;
  }

  // ---- source side ----
  // True when current_mtu changed. Values below 256 are ignored.
  bool apply_notification(uint16_t mtu, uint64_t now_ms) {
    if (mtu < kMinActionablePathMtu) return false;
    if (mtu < current_) {
      current_ = mtu;
      increase_count_ = 0;
      has_first_increase_ = false;
      return true;
    }
    if (mtu > current_) {
      if (mtu == pending_increase_) {
        if (increase_count_ < UINT8_MAX) ++increase_count_;
      } else {
        pending_increase_ = mtu;
        increase_count_ = 1;
        first_increase_ms_ = now_ms;
        has_first_increase_ = true;
      }
      if (increase_count_ >= 3 && has_first_increase_ &&
          now_ms - std::min(now_ms, first_increase_ms_) >= 2 * interval_ms_) {
        current_ = mtu;
        increase_count_ = 0;
        has_first_increase_ = false;
        return true;
      }
    }
    return false;
  }
  // The path this value described is gone (PathBroken): back to "unmeasured".
  void reset_source() {
    current_ = 0xFFFF;
    increase_count_ = 0;
    has_first_increase_ = false;
    pending_increase_ = 0;
  }

 private:
  uint16_t current_ = 0xFFFF;
  uint16_t observed_ = 0xFFFF;
  bool changed_ = false;
  bool sent_once_ = false;
  uint64_t last_sent_ms_ = 0;
  uint64_t interval_ms_ = kPathMtuNotifyIntervalMs;
  uint8_t increase_count_ = 0;
  bool has_first_increase_ = false;
  uint64_t first_increase_ms_ = 0;
  uint16_t pending_increase_ = 0;
};

}  // namespace fips::fsp
