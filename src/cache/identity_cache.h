// Identity cache: node_addr -> PeerIdentity (public key / npub) with a
// last-seen time, bounded by node.cache.identity_size with LRU eviction and no
// TTL (docs/spec/lookup-routing.md §4.2). As in the reference the key
// is the 15-byte prefix node_addr[0..15] = FipsAddress bytes 1..16, so the
// IPv6 adapter can map an fd00::/8 destination to its node
// (lookup_by_prefix). Lookups by full NodeAddr additionally require the
// cached node_addr to match all 16 bytes (the reference compares the prefix
// only; a 120-bit prefix collision is not a case worth inheriting).
//   register_identity   insert or overwrite, last_seen = now, then evict the
//                       least recently seen entry while over capacity
//                       (capacity 0 keeps nothing, as in the reference).
//   lookup*             LRU touch: last_seen = now.
//   peek / contains     no touch (the reference's has_cached_identity).
// Time: any non-decreasing millisecond clock; snapshot() converts to Unix ms.
// Not here: who registers identities (handshakes, DNS, config, sessions),
// display names and JSON (control/).
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "identity/identity.h"
#include "identity/node_addr.h"
#include "util/lru_table.h"

namespace fips {

inline constexpr size_t kIdentityPrefixSize = 15;
using IdentityPrefix = std::array<uint8_t, kIdentityPrefixSize>;

inline IdentityPrefix identity_prefix(const NodeAddr& a) {
  IdentityPrefix p;
  std::memcpy(p.data(), a.bytes.data(), kIdentityPrefixSize);
  return p;
}
// fd00::/8 address bytes 1..16.
inline IdentityPrefix identity_prefix(const FipsAddress& a) {
  IdentityPrefix p;
  std::memcpy(p.data(), a.bytes.data() + 1, kIdentityPrefixSize);
  return p;
}

struct IdentityCacheCounters {  // ours
  uint64_t registered = 0;      // new entries
  uint64_t refreshed = 0;       // register_identity on an existing prefix
  uint64_t evictions = 0;
  uint64_t hits = 0;
  uint64_t misses = 0;
};

// show_identity_cache (docs/spec/control.md §3.13); the renderer adds display_name.
struct IdentityCacheSnapshot {
  struct Entry {
    NodeAddr node_addr;
    std::string npub;
    std::string ipv6_addr;
    uint64_t last_seen_ms = 0;  // absolute Unix ms
    uint64_t age_ms = 0;        // now - last_seen
  };
  size_t count = 0;
  size_t max_entries = 0;
  std::vector<Entry> entries;  // sorted by node_addr
};

class IdentityCache {
 public:
  explicit IdentityCache(size_t capacity, uint64_t seed = 0);

  void register_identity(const PeerIdentity& id, uint64_t now_ms);
  // Touching lookups; nullptr on a miss. Pointers stay valid until the next
  // mutating call.
  [[nodiscard]] const PeerIdentity* lookup_by_prefix(const IdentityPrefix& prefix, uint64_t now_ms);
  [[nodiscard]] const PeerIdentity* lookup(const NodeAddr& addr, uint64_t now_ms);
  [[nodiscard]] const PeerIdentity* peek(const NodeAddr& addr) const;
  [[nodiscard]] bool contains(const NodeAddr& addr) const { return peek(addr) != nullptr; }
  [[nodiscard]] std::optional<uint64_t> last_seen(const NodeAddr& addr) const;
  bool remove(const NodeAddr& addr);
  void clear() { table_.clear(); }

  [[nodiscard]] size_t size() const { return table_.size(); }
  [[nodiscard]] size_t capacity() const { return capacity_; }
  [[nodiscard]] const IdentityCacheCounters& counters() const { return counters_; }

  [[nodiscard]] IdentityCacheSnapshot snapshot(uint64_t now_ms, uint64_t unix_now_ms) const;

 private:
  struct PrefixHash {
    uint64_t operator()(const IdentityPrefix& p) const noexcept {
      uint64_t v;
      std::memcpy(&v, p.data(), 8);
      return v;
    }
  };
  struct Entry {
    std::optional<PeerIdentity> id;
    uint64_t last_seen = 0;
  };
  using Table = LruTable<IdentityPrefix, Entry, PrefixHash>;
  [[nodiscard]] uint32_t find_exact(const NodeAddr& addr) const;

  Table table_;
  size_t capacity_;
  IdentityCacheCounters counters_;
};

}  // namespace fips
