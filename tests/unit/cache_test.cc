// Coordinate cache, identity cache and the LruTable beneath them
// (docs/spec/lookup-routing.md §4).
#include <cstdio>
#include <map>

#include "cache/coord_cache.h"
#include "cache/identity_cache.h"
#include "routing_test_util.h"
#include "test_util.h"
#include "util/lru_table.h"
#include "util/rng.h"

namespace fips {
namespace {

using test::addr;
using test::coords;

// ------------------------------------------------------------------ LruTable

struct U64Hash {
  uint64_t operator()(uint64_t v) const { return v; }
};

RC_GTEST_PROP(CacheLruTable, MatchesModel, ()) {
  LruTable<uint64_t, int, U64Hash> t(*rc::gen::arbitrary<uint64_t>());
  std::map<uint64_t, int> model;
  std::vector<uint64_t> order;  // oldest first
  const auto ops = *rc::gen::container<std::vector<std::pair<int, uint64_t>>>(
      rc::gen::pair(rc::gen::inRange(0, 4), rc::gen::inRange<uint64_t>(0, 64)));
  int v = 0;
  for (auto [op, k] : ops) {
    const uint32_t s = t.find(k);
    RC_ASSERT((s != t.kNil) == (model.count(k) != 0));
    if (op == 0 && s == t.kNil) {  // insert
      t.insert(k, ++v);
      model[k] = v;
      order.push_back(k);
    } else if (op == 1 && s != t.kNil) {  // touch
      t.touch(s);
      order.erase(std::find(order.begin(), order.end(), k));
      order.push_back(k);
    } else if (op == 2 && s != t.kNil) {  // erase
      t.erase(s);
      model.erase(k);
      order.erase(std::find(order.begin(), order.end(), k));
    } else if (op == 3 && !t.empty()) {  // pop oldest
      RC_ASSERT(t.key(t.oldest()) == order.front());
      model.erase(order.front());
      order.erase(order.begin());
      t.erase(t.oldest());
    }
    RC_ASSERT(t.size() == model.size());
  }
  std::vector<uint64_t> seen;
  t.for_each([&](uint32_t s) { seen.push_back(t.key(s)); });
  RC_ASSERT(seen == order);
  for (auto [k, val] : model) RC_ASSERT(t.value(t.find(k)) == val);
}

// ------------------------------------------------------------------ CoordCache

TEST(CacheCoord, InsertGetAndStrictExpiry) {
  CoordCache c(10, 1000);
  ASSERT_TRUE(c.insert(addr(1), coords({1, 2, 9}), 100));
  auto v = c.get(addr(1), 100);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->to_owned(), coords({1, 2, 9}));
  EXPECT_TRUE(c.get(addr(1), 1100));    // now == last_used + ttl: still live
  EXPECT_FALSE(c.get(addr(1), 1101));   // strictly later: expired
  EXPECT_NE(c.peek(addr(1)), nullptr);  // get() keeps the expired entry
  EXPECT_EQ(c.size(), 1u);
  EXPECT_FALSE(c.get(addr(2), 100));
}

TEST(CacheCoord, GetDoesNotRefreshGetAndTouchDoes) {
  CoordCache c(10, 1000);
  ASSERT_TRUE(c.insert(addr(1), coords({1, 9}), 0));
  EXPECT_TRUE(c.get(addr(1), 900));
  EXPECT_FALSE(c.get(addr(1), 1001));  // get at 900 did not extend
  ASSERT_TRUE(c.insert(addr(2), coords({2, 9}), 0));
  EXPECT_TRUE(c.get_and_touch(addr(2), 900));
  EXPECT_TRUE(c.get(addr(2), 1900));  // refreshed at 900
  EXPECT_EQ(c.peek(addr(2))->last_used, 900u);
  EXPECT_EQ(c.peek(addr(2))->created_at, 0u);
  // get_and_touch on an expired entry removes it.
  EXPECT_FALSE(c.get_and_touch(addr(1), 1001));
  EXPECT_EQ(c.peek(addr(1)), nullptr);
  EXPECT_EQ(c.counters().expired_on_access, 1u);
  EXPECT_FALSE(c.get_and_touch(addr(3), 0));
  EXPECT_EQ(c.counters().misses, 1u);
  EXPECT_EQ(c.counters().hits, 1u);
}

TEST(CacheCoord, UpdateKeepsCreatedAndPathMtu) {
  CoordCache c(10, 1000);
  ASSERT_TRUE(c.insert_with_path_mtu(addr(1), coords({1, 9}), 10, 1280));
  ASSERT_TRUE(c.insert(addr(1), coords({1, 4, 5, 9}), 500));  // longer list, new array
  const auto* e = c.peek(addr(1));
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->created_at, 10u);
  EXPECT_EQ(e->last_used, 500u);
  EXPECT_EQ(e->mtu(), std::optional<uint16_t>(1280));
  EXPECT_EQ(e->view().to_owned(), coords({1, 4, 5, 9}));
  ASSERT_TRUE(c.insert_with_path_mtu(addr(1), coords({1, 9}), 600, 1400));
  EXPECT_EQ(c.peek(addr(1))->mtu(), std::optional<uint16_t>(1400));
  EXPECT_EQ(c.counters().inserts, 1u);
  EXPECT_EQ(c.counters().updates, 2u);
  // A plain insert of a new entry has no path_mtu.
  ASSERT_TRUE(c.insert(addr(2), coords({2, 9}), 0));
  EXPECT_FALSE(c.peek(addr(2))->mtu());
}

// Issue 15 (5): once the cache is half full, entries created on behalf of
// one peer are capped at its share; updates are never refused; every way out
// of the cache frees the share (eviction, expiry, invalidation, removal,
// clear).
TEST(CacheCoord, InsertViaKeepsEachPeerWithinItsShare) {
  CoordCache roomy(100, 1000);  // below half full the share does not bind
  for (uint8_t k = 1; k <= 20; ++k) (void)roomy.insert_via(addr(k), coords({k, 99}), 0, addr(201), 8);
  EXPECT_EQ(roomy.held_via(addr(201)), 20u);
  CoordCache c(16, 1000);
  const NodeAddr p1 = addr(201), p2 = addr(202);
  for (uint8_t k = 1; k <= 20; ++k) (void)c.insert_via(addr(k), coords({k, 99}), 0, p1, 8);
  EXPECT_EQ(c.held_via(p1), 8u);
  EXPECT_EQ(c.size(), 8u);
  EXPECT_EQ(c.counters().share_refused, 12u);
  EXPECT_TRUE(c.insert_via(addr(1), coords({1, 7, 99}), 5, p1, 8));  // an update: allowed
  EXPECT_TRUE(c.insert_via(addr(50), coords({50, 99}), 5, p2, 8));  // another peer: allowed
  EXPECT_TRUE(c.insert(addr(60), coords({60, 99}), 5));             // untagged: allowed
  EXPECT_EQ(c.held_via(p2), 1u);
  EXPECT_TRUE(c.remove(addr(2)));
  EXPECT_EQ(c.held_via(p1), 7u);
  EXPECT_EQ(c.invalidate_via_node(addr(3)), 1u);
  EXPECT_EQ(c.held_via(p1), 6u);
  EXPECT_EQ(c.purge_expired(2000), 8u);  // everything has expired
  EXPECT_EQ(c.held_via(p1), 0u);
  EXPECT_EQ(c.held_via(p2), 0u);
  CoordCache small(4, 1000);  // eviction frees the evicted entry's share
  for (uint8_t k = 1; k <= 4; ++k) (void)small.insert_via(addr(k), coords({k, 99}), k, p1, 4);
  (void)small.insert(addr(9), coords({9, 99}), 10);
  EXPECT_EQ(small.held_via(p1), 3u);
  small.clear();
  EXPECT_EQ(small.held_via(p1), 0u);
}

TEST(CacheCoord, RejectsEmptyCoords) {
  CoordCache c(10, 1000);
  EXPECT_FALSE(c.insert(addr(1), Coords{}, 0));
  EXPECT_EQ(c.size(), 0u);
  EXPECT_EQ(c.counters().rejected, 1u);
}

TEST(CacheCoord, CapacityEvictsLeastRecentlyUsed) {
  CoordCache c(3, 10'000);
  for (uint64_t i = 1; i <= 3; ++i) ASSERT_TRUE(c.insert(addr(i), coords({i, 9}), i));
  ASSERT_TRUE(c.get_and_touch(addr(1), 10));  // 2 is now the longest idle
  ASSERT_TRUE(c.insert(addr(4), coords({4, 9}), 11));
  EXPECT_EQ(c.size(), 3u);
  EXPECT_EQ(c.peek(addr(2)), nullptr);
  EXPECT_NE(c.peek(addr(1)), nullptr);
  // Updating an existing entry at capacity evicts nothing.
  ASSERT_TRUE(c.insert(addr(3), coords({3, 8, 9}), 12));
  EXPECT_EQ(c.size(), 3u);
  EXPECT_EQ(c.counters().evictions, 1u);
}

TEST(CacheCoord, ExpiredEntryIsEvictedFirst) {
  CoordCache c(2, 100);
  ASSERT_TRUE(c.insert(addr(1), coords({1, 9}), 0));
  ASSERT_TRUE(c.insert(addr(2), coords({2, 9}), 50));
  ASSERT_TRUE(c.insert(addr(3), coords({3, 9}), 120));  // 1 expired at 101
  EXPECT_EQ(c.peek(addr(1)), nullptr);
  EXPECT_NE(c.peek(addr(2)), nullptr);
}

TEST(CacheCoord, CapacityZeroHoldsOne) {
  CoordCache c(0, 100);
  ASSERT_TRUE(c.insert(addr(1), coords({1, 9}), 0));
  ASSERT_TRUE(c.insert(addr(2), coords({2, 9}), 0));
  EXPECT_EQ(c.size(), 1u);
  EXPECT_NE(c.peek(addr(2)), nullptr);
}

TEST(CacheCoord, InvalidateViaNodeAndOtherRoots) {
  CoordCache c(10, 1000);
  ASSERT_TRUE(c.insert(addr(1), coords({1, 5, 9}), 0));
  ASSERT_TRUE(c.insert(addr(2), coords({2, 6, 9}), 0));
  ASSERT_TRUE(c.insert(addr(5), coords({5, 9}), 0));  // contains 5 at index 0
  ASSERT_TRUE(c.insert(addr(3), coords({3, 7}), 0));  // other root
  EXPECT_EQ(c.invalidate_via_node(addr(5)), 2u);
  EXPECT_EQ(c.peek(addr(1)), nullptr);
  EXPECT_EQ(c.peek(addr(5)), nullptr);
  EXPECT_NE(c.peek(addr(2)), nullptr);
  EXPECT_EQ(c.invalidate_other_roots(addr(9)), 1u);
  EXPECT_EQ(c.peek(addr(3)), nullptr);
  EXPECT_EQ(c.size(), 1u);
  EXPECT_TRUE(c.remove(addr(2)));
  EXPECT_FALSE(c.remove(addr(2)));
  EXPECT_EQ(c.counters().invalidated, 4u);
}

TEST(CacheCoord, PurgeExpiredIsBoundedAndOldestFirst) {
  CoordCache c(100, 100);
  for (uint64_t i = 0; i < 10; ++i) ASSERT_TRUE(c.insert(addr(i), coords({i, 99}), i * 10));
  // At 150: entries inserted at 0..40 are expired (now > t + 100).
  EXPECT_EQ(c.purge_expired(150, 3), 3u);
  EXPECT_EQ(c.size(), 7u);
  EXPECT_EQ(c.purge_expired(150, 100), 2u);
  EXPECT_EQ(c.size(), 5u);
  EXPECT_NE(c.peek(addr(5)), nullptr);
  EXPECT_EQ(c.purge_expired(150), 0u);
  EXPECT_EQ(c.counters().purged, 5u);
}

TEST(CacheCoord, SnapshotMatchesShowCache) {
  CoordCache c(4, 1000);
  ASSERT_TRUE(c.insert_with_path_mtu(addr(2), coords({2, 9}), 100, 1280));
  ASSERT_TRUE(c.insert(addr(1), coords({1, 2, 9}), 200));
  ASSERT_TRUE(c.insert(addr(3), coords({3, 9}), 0));  // expired at 1001
  const auto s = c.snapshot(1050, 1'700'000'000'000);
  EXPECT_EQ(s.count, 3u);
  EXPECT_EQ(s.expired, 1u);
  EXPECT_EQ(s.max_entries, 4u);
  EXPECT_DOUBLE_EQ(s.fill_ratio, 0.75);
  EXPECT_EQ(s.default_ttl_ms, 1000u);
  EXPECT_EQ(s.avg_age_ms, (950u + 850u + 1050u) / 3);
  ASSERT_EQ(s.entries.size(), 2u);  // live only, node_addr order
  EXPECT_EQ(s.entries[0].node_addr, addr(1));
  EXPECT_EQ(s.entries[0].age_ms, 850u);
  EXPECT_EQ(s.entries[0].last_used_ms, 1'700'000'000'000u - 850);
  EXPECT_FALSE(s.entries[0].path_mtu);
  EXPECT_EQ(s.entries[1].path_mtu, std::optional<uint16_t>(1280));
  EXPECT_EQ(s.entries[1].coords, coords({2, 9}));
}

// The simulator keeps 10,000 nodes in one process: an entry must stay small.
TEST(CacheCoord, MemoryPerEntryIsCompact) {
  CoordCache c(50'000, 300'000, 42);
  EXPECT_EQ(c.memory_bytes(), 0u);  // an unused cache holds no heap memory
  Rng rng(1);
  for (uint64_t i = 0; i < 10'000; ++i) {
    NodeAddr a;
    for (auto& b : a.bytes) b = static_cast<uint8_t>(rng.next());
    ASSERT_TRUE(c.insert(a, coords({i, i + 1, i + 2, 7}), i));
  }
  const double per_entry = double(c.memory_bytes()) / double(c.size());
  std::printf("[ cache ] coord cache: %.1f bytes/entry (4 coordinates, excl. malloc headers)\n",
              per_entry);
  // Slab node 56 + index 8 per bucket at load <= 1/2 + 64 coordinate bytes,
  // with the vectors' doubling slack (capacity, mostly untouched pages).
  EXPECT_LT(per_entry, 200.0);
}

// Random operations against a straightforward model of the reference cache.
RC_GTEST_PROP(CacheCoord, MatchesReferenceModel, ()) {
  struct M {
    Coords c;
    uint64_t created, last_used, seq;
    std::optional<uint16_t> mtu;
  };
  const size_t cap = *rc::gen::inRange<size_t>(1, 6);
  const uint64_t ttl = *rc::gen::inRange<uint64_t>(1, 50);
  CoordCache c(cap, ttl, *rc::gen::arbitrary<uint64_t>());
  std::map<NodeAddr, M> model;
  uint64_t now = 0, seq = 0;
  const auto ops = *rc::gen::container<std::vector<std::tuple<int, uint64_t, uint64_t>>>(
      rc::gen::tuple(rc::gen::inRange(0, 5), rc::gen::inRange<uint64_t>(0, 8),
                     rc::gen::inRange<uint64_t>(0, 20)));
  for (auto [op, k, dt] : ops) {
    now += dt;
    const NodeAddr a = addr(k);
    auto expired = [&](const M& m) { return now > m.last_used + ttl; };
    if (op <= 1) {  // insert (op 1: with path_mtu)
      const Coords co = coords({k, 100 + dt % 3});
      std::optional<uint16_t> mtu;
      if (op == 1) mtu = static_cast<uint16_t>(1000 + dt);
      if (auto it = model.find(a); it != model.end()) {
        it->second.c = co;
        it->second.last_used = now;
        it->second.seq = ++seq;
        if (mtu) it->second.mtu = mtu;
      } else {
        if (model.size() >= cap) {  // evict the longest idle (ties: least recent)
          auto victim = std::min_element(model.begin(), model.end(), [](auto& x, auto& y) {
            return std::pair(x.second.last_used, x.second.seq) <
                   std::pair(y.second.last_used, y.second.seq);
          });
          model.erase(victim);
        }
        model[a] = M{co, now, now, ++seq, mtu};
      }
      if (op == 1)
        c.insert_with_path_mtu(a, co, now, *mtu);
      else
        c.insert(a, co, now);
    } else if (op == 2) {  // get
      auto it = model.find(a);
      const bool live = it != model.end() && !expired(it->second);
      auto got = c.get(a, now);
      RC_ASSERT(got.has_value() == live);
      if (live) RC_ASSERT(got->to_owned() == it->second.c);
    } else if (op == 3) {  // get_and_touch
      auto it = model.find(a);
      auto got = c.get_and_touch(a, now);
      if (it == model.end()) {
        RC_ASSERT(!got);
      } else if (expired(it->second)) {
        RC_ASSERT(!got);
        model.erase(it);
      } else {
        RC_ASSERT(got && got->to_owned() == it->second.c);
        it->second.last_used = now;
        it->second.seq = ++seq;
      }
    } else {  // remove
      RC_ASSERT(c.remove(a) == (model.erase(a) == 1));
    }
    RC_ASSERT(c.size() == model.size());
    for (auto& [ka, m] : model) {
      const auto* e = c.peek(ka);
      RC_ASSERT(e != nullptr);
      RC_ASSERT(e->created_at == m.created);
      RC_ASSERT(e->last_used == m.last_used);
      RC_ASSERT(e->mtu() == m.mtu);
    }
  }
}

// ------------------------------------------------------------------ IdentityCache

PeerIdentity peer_id(uint8_t b) {
  return Identity::from_secret(test::secret_of_byte(b)).as_peer();
}

TEST(CacheIdentity, RegisterLookupByAddrAndPrefix) {
  IdentityCache c(10);
  const PeerIdentity a = peer_id(1), b = peer_id(2);
  c.register_identity(a, 100);
  EXPECT_EQ(c.size(), 1u);
  const PeerIdentity* got = c.lookup(a.node_addr(), 200);
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(*got, a);
  EXPECT_EQ(c.last_seen(a.node_addr()), std::optional<uint64_t>(200));  // touched
  // The fd00::/8 address maps back to the node (bytes 1..16 = node_addr[0..15]).
  got = c.lookup_by_prefix(identity_prefix(a.address()), 300);
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(got->node_addr(), a.node_addr());
  EXPECT_EQ(identity_prefix(a.address()), identity_prefix(a.node_addr()));
  EXPECT_EQ(c.lookup(b.node_addr(), 300), nullptr);
  // Same 15-byte prefix, different last byte: no exact match.
  NodeAddr other = a.node_addr();
  other.bytes[15] ^= 1;
  EXPECT_EQ(c.lookup(other, 300), nullptr);
  EXPECT_FALSE(c.contains(other));
  EXPECT_NE(c.lookup_by_prefix(identity_prefix(other), 300), nullptr);
}

TEST(CacheIdentity, PeekDoesNotTouch) {
  IdentityCache c(10);
  c.register_identity(peer_id(1), 100);
  EXPECT_NE(c.peek(peer_id(1).node_addr()), nullptr);
  EXPECT_TRUE(c.contains(peer_id(1).node_addr()));
  EXPECT_EQ(c.last_seen(peer_id(1).node_addr()), std::optional<uint64_t>(100));
}

TEST(CacheIdentity, LruEvictionAndCapacity) {
  IdentityCache c(2);
  c.register_identity(peer_id(1), 1);
  c.register_identity(peer_id(2), 2);
  ASSERT_NE(c.lookup(peer_id(1).node_addr(), 3), nullptr);  // 2 is now least recent
  c.register_identity(peer_id(3), 4);
  EXPECT_EQ(c.size(), 2u);
  EXPECT_FALSE(c.contains(peer_id(2).node_addr()));
  EXPECT_TRUE(c.contains(peer_id(1).node_addr()));
  // Re-registering refreshes instead of adding.
  c.register_identity(peer_id(1), 5);
  EXPECT_EQ(c.size(), 2u);
  EXPECT_EQ(c.counters().evictions, 1u);
  EXPECT_EQ(c.counters().refreshed, 1u);

  IdentityCache zero(0);
  zero.register_identity(peer_id(1), 1);
  EXPECT_EQ(zero.size(), 0u);
}

TEST(CacheIdentity, Snapshot) {
  IdentityCache c(5);
  c.register_identity(peer_id(1), 100);
  c.register_identity(peer_id(2), 400);
  const auto s = c.snapshot(1000, 50'000);
  EXPECT_EQ(s.count, 2u);
  EXPECT_EQ(s.max_entries, 5u);
  ASSERT_EQ(s.entries.size(), 2u);
  EXPECT_LT(s.entries[0].node_addr, s.entries[1].node_addr);
  for (const auto& e : s.entries) {
    const PeerIdentity id = e.node_addr == peer_id(1).node_addr() ? peer_id(1) : peer_id(2);
    EXPECT_EQ(e.npub, id.npub());
    EXPECT_EQ(e.ipv6_addr, id.address().str());
    EXPECT_EQ(e.last_seen_ms, 50'000 - e.age_ms);
  }
}

}  // namespace
}  // namespace fips
