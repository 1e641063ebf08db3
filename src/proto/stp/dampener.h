// Parent-switch hold-down and flap dampening for the spanning tree (the
// reference's FlapDampener, proto/stp/limits.rs). Pure timer arithmetic on a
// monotonic millisecond clock passed in by the caller.
// Not here: which switches are mandatory or discretionary (tree.h decides and
// applies the veto), counters and logging (the caller reports an engagement).
//
// Semantics (docs/spec/stp-bloom.md §4.3):
//  - hold-down: active iff hold_down != 0, a switch was stamped, and
//    now - last_switch < hold_down. mark_switch() is called on EVERY
//    set_parent, even when the parent did not change (so an AncestryUpdate
//    re-arms it); become-root paths do not stamp.
//  - flap: record_parent_switch() is called only when the parent really
//    changed (including the first attach from self-root). A lapsed episode
//    is retired first (count and window reset); then the switch is counted in
//    the current window (or opens a new one); the threshold-th switch within
//    the window (>=, not >) arms an episode of `dampening` ms and returns true.
//  - suppressed() = hold-down active || inside an episode: the caller then
//    ignores discretionary switches. Mandatory ones always go through.
#pragma once

#include <cstdint>
#include <optional>

namespace fips::stp {

// Longest dampening episode (reference MAX_FLAP_DAMPENING_MS, one year).
inline constexpr uint64_t kMaxFlapDampeningMs = 365ULL * 24 * 60 * 60 * 1000;

class FlapDampener {
 public:
  // Reference TreeState defaults before the node applies its config:
  // hold-down off, 4 switches / 60 s / 120 s.
  FlapDampener() = default;

  // Seconds, as the config gives them; stored as ms (saturating, the episode
  // length clamped to kMaxFlapDampeningMs).
  void set_hold_down_secs(uint64_t secs);
  void set_flap(uint32_t threshold, uint64_t window_secs, uint64_t dampening_secs);

  void mark_switch(uint64_t now_ms) { last_switch_ms_ = now_ms; }
  // True iff this switch armed a dampening episode.
  bool record_parent_switch(uint64_t now_ms);

  [[nodiscard]] bool hold_down_active(uint64_t now_ms) const;
  [[nodiscard]] bool dampened(uint64_t now_ms) const {
    return dampening_until_ms_ && now_ms < *dampening_until_ms_;
  }
  [[nodiscard]] bool suppressed(uint64_t now_ms) const {
    return hold_down_active(now_ms) || dampened(now_ms);
  }

  [[nodiscard]] uint64_t hold_down_ms() const { return hold_down_ms_; }
  [[nodiscard]] uint64_t dampening_ms() const { return dampening_ms_; }
  [[nodiscard]] uint32_t flap_count() const { return flap_count_; }
  [[nodiscard]] std::optional<uint64_t> dampening_until_ms() const { return dampening_until_ms_; }

 private:
  uint64_t hold_down_ms_ = 0;
  std::optional<uint64_t> last_switch_ms_;
  uint32_t flap_count_ = 0;
  std::optional<uint64_t> window_start_ms_;
  std::optional<uint64_t> dampening_until_ms_;
  uint32_t threshold_ = 4;
  uint64_t window_ms_ = 60'000;
  uint64_t dampening_ms_ = 120'000;
};

}  // namespace fips::stp
