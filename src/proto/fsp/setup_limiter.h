// Per-link-peer SessionSetup admission (the reference's
// SessionSetupRateLimiter, src/node/rate_limit.rs:440-503; docs/spec/fsp-ipv6.md §2.3 step 2):
// two continuous-refill token buckets per FMP link peer the setup arrived
// from (never the claimed source): "stranger" (no Established session with
// the claimed source) and "established" (rekey / restart of a running
// session), created full on first use. Links unseen for 300 s are forgotten.
// Differences, invisible on the wire: bounded (capacity; when full the least
// recently seen link is dropped, counted) and the idle purge runs from the
// old end on each admit and on tick instead of a full scan per admit.
// Not here: what happens to an admitted setup (session_handshake.cc).
#pragma once

#include <cstdint>

#include "identity/node_addr.h"
#include "proto/token_bucket.h"
#include "util/lru_table.h"

namespace fips::fsp {

inline constexpr uint64_t kSetupBucketIdleMs = 300'000;

enum class SetupClass : uint8_t { kStranger, kEstablished };

class SetupLimiter {
 public:
  SetupLimiter(double stranger_burst, double stranger_rate, double est_burst, double est_rate,
               size_t capacity, uint64_t seed)
      : table_(seed),
        s_burst_(stranger_burst),
        s_rate_(stranger_rate),
        e_burst_(est_burst),
        e_rate_(est_rate),
        capacity_(capacity ? capacity : 1) {}

  bool try_admit(const NodeAddr& link_peer, SetupClass cls, uint64_t now_ms) {
    uint32_t s = table_.find(link_peer);
    if (s == Table::kNil) {
      purge(now_ms, 4);
      while (table_.size() >= capacity_) {
        table_.erase(table_.oldest());
        ++evictions_;
      }
      s = table_.insert(link_peer, Link{TokenBucket(s_burst_, s_rate_), TokenBucket(e_burst_, e_rate_), now_ms});
    } else {
      table_.touch(s);
    }
    Link& l = table_.value(s);
    l.seen_ms = now_ms;
    const bool ok = cls == SetupClass::kStranger ? l.stranger.try_take(now_ms) : l.established.try_take(now_ms);
    if (ok) purge(now_ms, 4);
    return ok;
  }

  // Forgets up to max links idle for >= 300 s (oldest first).
  size_t purge(uint64_t now_ms, size_t max = SIZE_MAX) {
    size_t n = 0;
    while (n < max && !table_.empty()) {
      const uint64_t seen = table_.value(table_.oldest()).seen_ms;
      if (now_ms < seen || now_ms - seen < kSetupBucketIdleMs) break;
      table_.erase(table_.oldest());
      ++n;
    }
    return n;
  }

  [[nodiscard]] size_t size() const { return table_.size(); }
  [[nodiscard]] uint64_t evictions() const { return evictions_; }

 private:
  struct Link {
    TokenBucket stranger{0, 0};
    TokenBucket established{0, 0};
    uint64_t seen_ms = 0;
  };
  using Table = LruTable<NodeAddr, Link, NodeAddrHash>;
  Table table_;
  double s_burst_, s_rate_, e_burst_, e_rate_;
  size_t capacity_;
  uint64_t evictions_ = 0;
};

}  // namespace fips::fsp
