// IntervalLimiter<Key>: per-key minimum interval between accepted events (the
// reference's PerAddrRateLimiter, src/proto/rate_limit.rs): check_and_record
// refuses when the key's last accepted event is < min_interval ago
// (saturating), otherwise records now. Entries older than max_age are
// forgotten.
// Differences from the reference, invisible on the wire: bounded (capacity;
// when full the oldest entry is dropped, counted in evictions) and the
// max-age cleanup is incremental (a few entries per call from the old end,
// plus purge() on tick) instead of a full scan on every accepted event.
// Not here: what is limited (lookup forwarding, routing error signals).
#pragma once

#include <cstdint>

#include "util/lru_table.h"

namespace fips {

template <class Key, class Hash>
class IntervalLimiter {
 public:
  IntervalLimiter(uint64_t min_interval_ms, uint64_t max_age_ms, size_t capacity, uint64_t seed = 0)
      : table_(seed),
        min_interval_ms_(min_interval_ms),
        max_age_ms_(max_age_ms),
        capacity_(capacity ? capacity : 1) {}

  // True (and records now) when the event may proceed.
  bool check_and_record(const Key& k, uint64_t now_ms) {
    purge(now_ms, 4);
    const uint32_t s = table_.find(k);
    if (s != Table::kNil) {
      uint64_t& last = table_.value(s);
      if (elapsed(last, now_ms) < min_interval_ms_) return false;
      last = now_ms;
      table_.touch(s);
      return true;
    }
    while (table_.size() >= capacity_) {
      table_.erase(table_.oldest());
      ++evictions_;
    }
    table_.insert(k, now_ms);
    return true;
  }

  // Forgets up to max entries older than max_age (oldest first).
  size_t purge(uint64_t now_ms, size_t max = SIZE_MAX) {
    size_t n = 0;
    while (n < max && !table_.empty() &&
           elapsed(table_.value(table_.oldest()), now_ms) >= max_age_ms_) {
      table_.erase(table_.oldest());
      ++n;
    }
    return n;
  }
  void clear() { table_.clear(); }

  [[nodiscard]] size_t size() const { return table_.size(); }
  [[nodiscard]] uint64_t evictions() const { return evictions_; }
  [[nodiscard]] uint64_t min_interval_ms() const { return min_interval_ms_; }

 private:
  using Table = LruTable<Key, uint64_t, Hash>;
  static uint64_t elapsed(uint64_t since, uint64_t now) { return now > since ? now - since : 0; }

  Table table_;
  uint64_t min_interval_ms_;
  uint64_t max_age_ms_;
  size_t capacity_;
  uint64_t evictions_ = 0;
};

}  // namespace fips
