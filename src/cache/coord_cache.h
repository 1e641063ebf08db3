// Coordinate cache: destination NodeAddr -> its tree coordinates (self ->
// root), an optional path MTU learned by discovery, and creation / last-use
// times. Bounded (coord_size), TTL'd (coord_ttl_secs), LRU-evicted, with the
// reference's refresh-on-use (docs/spec/lookup-routing.md §4.1):
//   insert            existing: coords replaced, last_used = now, TTL restarts,
//                     created_at and path_mtu kept; new: evict first if full.
//   insert_with_path_mtu  same, and sets path_mtu (also on update).
//   get               no touch; expired -> nullopt, entry kept.
//   get_and_touch     expired -> removed, nullopt; else TTL restarts (the
//                     reference calls this from find_next_hop only).
//   expired           now > last_used + ttl (strict). In the reference
//                     expires_at is always last_used + ttl, so recency order
//                     is expiry order: the oldest entry is the first to expire.
//   insert_via        a new entry learned from what a peer forwarded (transit
//                     warming): refused when that peer already created
//                     `share` live entries and the cache is at least half
//                     full, so one peer's invented coordinates cannot fill
//                     it (issue 15, ours).
// Eviction: the reference evicts "some expired entry, else the longest idle"
// with an O(n) scan per insert; the oldest entry of the recency list is
// both, found in O(1).
// Deviation: the reference never purges (expired entries linger until touched,
// evicted or invalidated). purge_expired(now, max) drops expired entries from
// the old end, at most `max` per call; the node calls it on tick.
//
// Memory: one slab node (~56 bytes, insert_via's 2-byte tag inside its
// padding) + ~16 index bytes per entry, and one
// exact-size heap array for the coordinates (16 bytes per hop).
// Time: any non-decreasing millisecond clock (the node passes its monotonic
// now); snapshot() converts to the reference's absolute Unix ms.
// Not here: deciding what to insert (lookup, transit warming, sessions),
// next-hop selection (proto/routing/core.h), JSON (control/).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "identity/node_addr.h"
#include "proto/coords.h"
#include "util/lru_table.h"

namespace fips {

struct CoordCacheCounters {        // ours; the reference keeps none for this cache
  uint64_t hits = 0;               // get_and_touch found a live entry
  uint64_t misses = 0;             // get_and_touch found nothing
  uint64_t expired_on_access = 0;  // get_and_touch found an expired entry (removed)
  uint64_t inserts = 0;            // new entries
  uint64_t updates = 0;            // insert on an existing entry
  uint64_t evictions = 0;          // capacity evictions
  uint64_t purged = 0;             // removed by purge_expired
  uint64_t invalidated = 0;        // removed by invalidate_* / remove
  uint64_t rejected = 0;           // insert with empty or > 65535 coordinates
  uint64_t share_refused = 0;      // insert_via: that peer already holds its share
};

// show_cache (docs/spec/control.md §3.11). The renderer adds display_name, ipv6_addr
// (FipsAddress of node_addr) and depth (= coords.size() - 1).
struct CoordCacheSnapshot {
  struct Entry {
    NodeAddr node_addr;
    Coords coords;
    uint64_t age_ms = 0;        // now - created_at
    uint64_t last_used_ms = 0;  // absolute Unix ms
    std::optional<uint16_t> path_mtu;
  };
  size_t count = 0;    // all entries, expired-but-unremoved included
  size_t expired = 0;  // of those, expired
  uint64_t avg_age_ms = 0;
  size_t max_entries = 0;
  double fill_ratio = 0.0;
  uint64_t default_ttl_ms = 0;
  std::vector<Entry> entries;  // live entries only, sorted by node_addr
};

class CoordCache {
 public:
  struct Entry {
    std::unique_ptr<NodeAddr[]> coords;
    uint16_t count = 0;
    uint16_t path_mtu = 0;
    bool has_path_mtu = false;
    uint16_t via_id = 0;  // created by insert_via for vias_[via_id - 1]; 0 = not
    uint64_t created_at = 0;
    uint64_t last_used = 0;
    [[nodiscard]] CoordsView view() const {
      return CoordsView(
          ByteSpan(reinterpret_cast<const uint8_t*>(coords.get()), size_t{count} * kCoordEntrySize),
          count);
    }
    [[nodiscard]] std::optional<uint16_t> mtu() const {
      return has_path_mtu ? std::optional<uint16_t>(path_mtu) : std::nullopt;
    }
  };

  // capacity 0 behaves as 1 (the reference evicts from an empty map, then
  // inserts). seed randomises the hash index.
  CoordCache(size_t capacity, uint64_t ttl_ms, uint64_t seed = 0);

  // Returns false (and stores nothing) for an empty or oversized list.
  bool insert(const NodeAddr& addr, const CoordsView& coords, uint64_t now_ms);
  bool insert(const NodeAddr& addr, const Coords& coords, uint64_t now_ms);
  bool insert_with_path_mtu(const NodeAddr& addr, const CoordsView& coords, uint64_t now_ms,
                            uint16_t path_mtu);
  bool insert_with_path_mtu(const NodeAddr& addr, const Coords& coords, uint64_t now_ms,
                            uint16_t path_mtu);
  // As insert, for coordinates a peer (`via`) forwarded; a new entry is
  // refused (false, share_refused) when `via` already created `share` and
  // the cache is at least half full.
  bool insert_via(const NodeAddr& addr, const CoordsView& coords, uint64_t now_ms,
                  const NodeAddr& via, size_t share);
  bool insert_via(const NodeAddr& addr, const Coords& coords, uint64_t now_ms, const NodeAddr& via,
                  size_t share);
  // Entries currently held on behalf of `via`.
  [[nodiscard]] size_t held_via(const NodeAddr& via) const {
    auto it = via_ids_.find(via);
    return it == via_ids_.end() ? 0 : vias_[it->second - 1].count;
  }

  // Views stay valid until the next mutating call on this cache.
  [[nodiscard]] std::optional<CoordsView> get(const NodeAddr& addr, uint64_t now_ms) const;
  [[nodiscard]] std::optional<CoordsView> get_and_touch(const NodeAddr& addr, uint64_t now_ms);
  // Raw entry, expired or not, no touch (tests, path_mtu readers).
  [[nodiscard]] const Entry* peek(const NodeAddr& addr) const;
  [[nodiscard]] bool contains(const NodeAddr& addr, uint64_t now_ms) const {
    return get(addr, now_ms).has_value();
  }

  bool remove(const NodeAddr& addr);
  // Drops entries whose coordinates contain addr (own position changed).
  size_t invalidate_via_node(const NodeAddr& addr);
  // Drops entries whose root (last coordinate) is not root (root changed).
  size_t invalidate_other_roots(const NodeAddr& root);
  // Drops up to max_entries expired entries, oldest first; returns how many.
  size_t purge_expired(uint64_t now_ms, size_t max_entries = 256);
  void clear();

  [[nodiscard]] size_t size() const { return table_.size(); }
  [[nodiscard]] size_t capacity() const { return capacity_; }
  [[nodiscard]] uint64_t ttl_ms() const { return ttl_ms_; }
  [[nodiscard]] bool is_expired(const Entry& e, uint64_t now_ms) const {
    return now_ms > sat_add(e.last_used, ttl_ms_);
  }
  [[nodiscard]] const CoordCacheCounters& counters() const { return counters_; }
  [[nodiscard]] size_t memory_bytes() const;

  // now_ms on the cache's clock; unix_now_ms the wall clock at the same
  // instant (used only to express last_used as absolute Unix ms).
  [[nodiscard]] CoordCacheSnapshot snapshot(uint64_t now_ms, uint64_t unix_now_ms) const;

 private:
  using Table = LruTable<NodeAddr, Entry, NodeAddrHash>;
  static uint64_t sat_add(uint64_t a, uint64_t b) {
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
  }
  bool upsert(const NodeAddr& addr, const CoordsView& coords, uint64_t now_ms,
              std::optional<uint16_t> path_mtu, uint16_t via_id = 0);
  // Every removal goes through here (keeps via_counts_ exact).
  void untag(const Entry& e);
  void erase_slot(uint32_t s);

  Table table_;
  // Peers with live insert_via entries, by a 16-bit id so an entry grows by
  // 2 bytes (inside its padding), not by a whole NodeAddr.
  struct Via {
    NodeAddr addr;
    size_t count = 0;
  };
  std::vector<Via> vias_;
  std::vector<uint16_t> free_via_ids_;
  std::unordered_map<NodeAddr, uint16_t, NodeAddrHash> via_ids_;
  size_t capacity_;
  uint64_t ttl_ms_;
  CoordCacheCounters counters_;
};

}  // namespace fips
