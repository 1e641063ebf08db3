// node/stats_history: rings, tiers, aggregation arithmetic, counters as
// deltas, per-peer gaps and retention, the table bound, and no allocation
// per tick. Cases follow the reference's own tests (src/node/stats_history.rs)
// where they exist, with the same numbers.
#include "node/stats_history.h"

#include <gtest/gtest.h>

#include <cmath>

#include "alloc_counter.h"

namespace fips::stats {
namespace {

NodeSample snap(uint64_t t) {
  NodeSample s;
  s.mesh_size = 10 + t;
  s.tree_depth = 2;
  s.peer_count = 3;
  s.parent_switches_total = t;
  s.bytes_in_total = 100 * t;
  s.bytes_out_total = 200 * t;
  s.packets_in_total = t;
  s.packets_out_total = 2 * t;
  s.loss_rate = 0.01 * static_cast<double>(t);
  s.active_sessions = t;
  return s;
}

NodeAddr addr(uint8_t tag) {
  NodeAddr a;
  a.bytes.fill(tag);
  return a;
}

PeerSample peer(uint8_t tag, uint64_t t) {
  PeerSample p;
  p.addr = addr(tag);
  p.srtt_ms = 10.0 + static_cast<double>(t);
  p.loss_rate = 0.01 * static_cast<double>(t);
  p.bytes_in_total = 50 * t;
  p.bytes_out_total = 75 * t;
  p.packets_in_total = t;
  p.packets_out_total = 2 * t;
  return p;
}

constexpr uint64_t kSec = 1000;

std::vector<double> q(const StatsHistory& h, Metric m, uint64_t w, Granularity g = Granularity::kFast) {
  std::vector<double> v;
  h.query(m, w, g, v);
  return v;
}
std::vector<double> pq(const StatsHistory& h, uint8_t tag, PeerMetric m, uint64_t w,
                       Granularity g = Granularity::kFast) {
  std::vector<double> v;
  EXPECT_TRUE(h.peer_query(addr(tag), m, w, g, v));
  return v;
}
bool all_gaps(const std::vector<double>& v, size_t from, size_t to) {
  for (size_t i = from; i < to; ++i)
    if (!std::isnan(v[i])) return false;
  return true;
}

TEST(StatsHistory, FastRingKeepsTheNewestSamples) {
  StatsHistory h(8);
  for (uint64_t i = 0; i < 10; ++i) h.tick(i * kSec, snap(i), {});
  EXPECT_EQ(q(h, Metric::kMeshSize, 5), (std::vector<double>{15, 16, 17, 18, 19}));
}

TEST(StatsHistory, FastRingWrapsAtItsCapacity) {
  StatsHistory h(8);
  for (uint64_t i = 0; i < 3610; ++i) h.tick(i * kSec, snap(i), {});
  auto v = q(h, Metric::kMeshSize, 2 * kFastCapacity);
  ASSERT_EQ(v.size(), kFastCapacity);
  EXPECT_EQ(v.front(), 20);
  EXPECT_EQ(v.back(), 3619);
}

TEST(StatsHistory, SlowRingWrapsAtItsCapacity) {
  StatsHistory h(8);
  const uint64_t minutes = kSlowCapacity + 5;
  for (uint64_t i = 0; i < minutes * 60; ++i) h.tick(i * kSec, snap(i), {});
  auto v = q(h, Metric::kMeshSize, 48 * 3600, Granularity::kSlow);
  ASSERT_EQ(v.size(), kSlowCapacity);
  // Minute k (0-based) ends with tick 60k+59: mesh_size 10 + 60k + 59 (Last).
  EXPECT_EQ(v.front(), 10 + 60 * 5 + 59);
  EXPECT_EQ(v.back(), 10 + 60 * (minutes - 1) + 59);
}

TEST(StatsHistory, NodeCountersAreDeltasStartingAtZero) {
  StatsHistory h(8);
  const uint64_t totals[] = {0, 0, 2, 5};
  for (uint64_t i = 0; i < 4; ++i) {
    NodeSample s = snap(i);
    s.parent_switches_total = totals[i];
    h.tick(i * kSec, s, {});
  }
  auto v = q(h, Metric::kParentSwitches, 10);
  ASSERT_EQ(v.size(), 10u);
  EXPECT_TRUE(all_gaps(v, 0, 6));
  EXPECT_EQ(std::vector<double>(v.begin() + 6, v.end()), (std::vector<double>{0, 0, 2, 3}));
}

TEST(StatsHistory, MinuteFoldsByLastMeanAndSum) {
  StatsHistory h(8);
  for (uint64_t i = 0; i < 60; ++i) h.tick(i * kSec, snap(i), {});
  auto last = q(h, Metric::kMeshSize, 300, Granularity::kSlow);
  ASSERT_EQ(last.size(), 5u);
  EXPECT_TRUE(all_gaps(last, 0, 4));
  EXPECT_EQ(last[4], 69);
  auto mean = q(h, Metric::kLossRate, 60, Granularity::kSlow);
  ASSERT_EQ(mean.size(), 1u);
  EXPECT_NEAR(mean[0], 0.295, 1e-9);  // mean of 0.00 .. 0.59
  auto bytes = q(h, Metric::kBytesIn, 60, Granularity::kSlow);
  EXPECT_NEAR(bytes[0], 100.0 * 59 / 60, 1e-9);  // first delta is 0, then 100 x 59
  // Sum: parent switch totals 0..59 give deltas 0,1,1,...,1.
  StatsHistory s(8);
  for (uint64_t i = 0; i < 60; ++i) {
    NodeSample n = snap(0);
    n.parent_switches_total = i;
    s.tick(i * kSec, n, {});
  }
  EXPECT_EQ(q(s, Metric::kParentSwitches, 60, Granularity::kSlow), (std::vector<double>{59}));
}

TEST(StatsHistory, YoungRingsArePaddedToTheWholeWindow) {
  StatsHistory h(8);
  for (uint64_t i = 0; i < 300; ++i) h.tick(i * kSec, snap(i), {});
  auto v = q(h, Metric::kMeshSize, 3600);
  ASSERT_EQ(v.size(), 3600u);
  EXPECT_TRUE(all_gaps(v, 0, 3300));
  EXPECT_EQ(v[3300], 10);
  EXPECT_EQ(v.back(), 309);
  auto slow = q(h, Metric::kMeshSize, 24 * 3600, Granularity::kSlow);
  ASSERT_EQ(slow.size(), 1440u);
  EXPECT_TRUE(all_gaps(slow, 0, 1435));
  EXPECT_FALSE(std::isnan(slow[1435]));
  // A window shorter than one sample is empty; the window is clipped to the ring.
  EXPECT_TRUE(q(h, Metric::kMeshSize, 30, Granularity::kSlow).empty());
  EXPECT_EQ(q(h, Metric::kMeshSize, 1'000'000).size(), kFastCapacity);
}

TEST(StatsHistory, RecentHasNoPadding) {
  StatsHistory h(8);
  for (uint64_t i = 0; i < 5; ++i) h.tick(i * kSec, snap(i), {});
  std::vector<double> v;
  h.recent(Metric::kMeshSize, 3, v);
  EXPECT_EQ(v, (std::vector<double>{12, 13, 14}));
  h.recent(Metric::kMeshSize, 100, v);
  EXPECT_EQ(v.size(), 5u);
  StatsHistory empty(8);
  empty.recent(Metric::kMeshSize, 30, v);
  EXPECT_TRUE(v.empty());
}

TEST(StatsHistory, NewPeerIsBackFilledToTheNodeAxis) {
  StatsHistory h(8);
  for (uint64_t i = 0; i < 5; ++i) h.tick(i * kSec, snap(i), {});
  const PeerSample p = peer(1, 5);
  h.tick(5 * kSec, snap(5), {&p, 1});
  auto v = pq(h, 1, PeerMetric::kSrttMs, 60);
  ASSERT_EQ(v.size(), 60u);
  EXPECT_TRUE(all_gaps(v, 0, 59));
  EXPECT_EQ(v[59], 15);
  std::vector<double> none;
  EXPECT_FALSE(h.peer_query(addr(2), PeerMetric::kSrttMs, 60, Granularity::kFast, none));
}

TEST(StatsHistory, AbsentPeerGetsGapsAndCountersStartOver) {
  StatsHistory h(8);
  for (uint64_t i = 0; i < 3; ++i) {
    const PeerSample p = peer(1, i);
    h.tick(i * kSec, snap(i), {&p, 1});
  }
  for (uint64_t i = 3; i < 5; ++i) h.tick(i * kSec, snap(i), {});
  const PeerSample back = peer(1, 5);
  h.tick(5 * kSec, snap(5), {&back, 1});
  auto srtt = pq(h, 1, PeerMetric::kSrttMs, 60);
  EXPECT_TRUE(all_gaps(srtt, 0, 54));
  EXPECT_EQ(srtt[54], 10);
  EXPECT_EQ(srtt[56], 12);
  EXPECT_TRUE(all_gaps(srtt, 57, 59));
  EXPECT_EQ(srtt[59], 15);
  // bytes_in: no delta on the first sample, 50/s after, none across the
  // silence (the baseline was dropped), not 150 at the return.
  auto bytes = pq(h, 1, PeerMetric::kBytesIn, 6);
  EXPECT_TRUE(std::isnan(bytes[0]));
  EXPECT_EQ(bytes[1], 50);
  EXPECT_EQ(bytes[2], 50);
  EXPECT_TRUE(all_gaps(bytes, 3, 6));
}

TEST(StatsHistory, PeerCounterThatGoesDownIsAGapAndANewBaseline) {
  StatsHistory h(8);
  const uint64_t totals[] = {100, 200, 300, 50, 80};
  for (uint64_t i = 0; i < 5; ++i) {
    PeerSample p = peer(1, i);
    p.bytes_in_total = totals[i];
    h.tick(i * kSec, snap(i), {&p, 1});
  }
  auto v = pq(h, 1, PeerMetric::kBytesIn, 5);
  EXPECT_TRUE(std::isnan(v[0]));
  EXPECT_EQ(v[1], 100);
  EXPECT_EQ(v[2], 100);
  EXPECT_TRUE(std::isnan(v[3]));
  EXPECT_EQ(v[4], 30);
}

TEST(StatsHistory, GapsAreSkippedByTheMeanAndAnAllGapMinuteIsAGap) {
  StatsHistory h(8);
  for (uint64_t i = 0; i < 60; ++i) {
    const PeerSample p = peer(1, i);
    if (i % 2 == 0) h.tick(i * kSec, snap(i), {&p, 1});
    else h.tick(i * kSec, snap(i), {});
  }
  double want = 0;
  for (uint64_t i = 0; i < 60; i += 2) want += 10.0 + static_cast<double>(i);
  auto v = pq(h, 1, PeerMetric::kSrttMs, 60, Granularity::kSlow);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_NEAR(v[0], want / 30, 1e-9);
  for (uint64_t i = 60; i < 120; ++i) h.tick(i * kSec, snap(i), {});
  auto w = pq(h, 1, PeerMetric::kSrttMs, 120, Granularity::kSlow);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_NEAR(w[0], want / 30, 1e-9);
  EXPECT_TRUE(std::isnan(w[1]));
}

TEST(StatsHistory, PeerIsForgottenAfterADayOfSilence) {
  StatsHistory h(8);
  const PeerSample p = peer(1, 0);
  h.tick(0, snap(0), {&p, 1});
  EXPECT_TRUE(h.has_peer(addr(1)));
  uint64_t i = 1;
  for (; i * 60 < kPeerRetentionSecs; ++i) h.tick(i * 60 * kSec, snap(i), {});
  EXPECT_TRUE(h.has_peer(addr(1)));  // 23 h 59 min
  h.tick(i * 60 * kSec, snap(i), {});
  EXPECT_FALSE(h.has_peer(addr(1)));
  EXPECT_EQ(h.counters().peers_expired, 1u);
}

TEST(StatsHistory, FullTableGivesTheLongestAbsentSlotAndNeverAPresentOne) {
  StatsHistory h(2);
  const PeerSample a = peer(1, 0), b = peer(2, 0), c = peer(3, 0), d = peer(4, 0);
  const PeerSample ab[] = {a, b};
  h.tick(0, snap(0), ab);
  h.tick(1 * kSec, snap(1), {&b, 1});  // a departs
  const PeerSample bc[] = {b, c};
  h.tick(2 * kSec, snap(2), bc);  // c takes a's slot
  EXPECT_FALSE(h.has_peer(addr(1)));
  EXPECT_TRUE(h.has_peer(addr(3)));
  EXPECT_EQ(h.counters().peers_replaced, 1u);
  const PeerSample bcd[] = {b, c, d};
  h.tick(3 * kSec, snap(3), bcd);  // everyone present: d is not tracked
  EXPECT_FALSE(h.has_peer(addr(4)));
  EXPECT_TRUE(h.has_peer(addr(2)));
  EXPECT_TRUE(h.has_peer(addr(3)));
  EXPECT_EQ(h.counters().peers_refused, 1u);
  // A replaced slot starts clean: c's rings hold gaps, then its own samples.
  auto v = pq(h, 3, PeerMetric::kSrttMs, 4);
  EXPECT_TRUE(all_gaps(v, 0, 2));
  EXPECT_EQ(v[2], 10);
  EXPECT_EQ(h.tracked_peers().size(), 2u);
}

TEST(StatsHistory, NoAllocationPerTickOnceThePeersHaveSlots) {
  StatsHistory h(4);
  std::vector<PeerSample> ps = {peer(1, 0), peer(2, 0), peer(3, 0)};
  for (uint64_t i = 0; i < 5; ++i) h.tick(i * kSec, snap(i), ps);
  ps.pop_back();  // one leaves: its slot stays allocated
  test::alloc_counting(true);
  for (uint64_t i = 5; i < 200; ++i) {
    for (auto& p : ps) p = peer(p.addr.bytes[0], i);
    h.tick(i * kSec, snap(i), ps);
  }
  test::alloc_counting(false);
  EXPECT_EQ(test::alloc_count(), 0u);
}

TEST(StatsHistory, ParsersAcceptWhatTheReferenceAccepts) {
  for (size_t i = 0; i < kMetricCount; ++i) {
    auto m = static_cast<Metric>(i);
    EXPECT_EQ(*parse_metric(info(m).name), m);
  }
  for (size_t i = 0; i < kPeerMetricCount; ++i) {
    auto m = static_cast<PeerMetric>(i);
    EXPECT_EQ(*parse_peer_metric(info(m).name), m);
  }
  EXPECT_EQ(parse_metric("bogus").error(), "unknown metric: bogus");
  EXPECT_EQ(parse_metric("srtt_ms").error(), "unknown metric: srtt_ms");
  EXPECT_EQ(parse_peer_metric("mesh_size").error(), "unknown peer metric: mesh_size");
  EXPECT_EQ(*parse_granularity("1s"), Granularity::kFast);
  EXPECT_EQ(*parse_granularity("1m"), Granularity::kSlow);
  EXPECT_EQ(parse_granularity("1h").error(), "unknown granularity: 1h (expected 1s or 1m)");
  EXPECT_EQ(*parse_window("10m"), 600u);
  EXPECT_EQ(*parse_window("90s"), 90u);
  EXPECT_EQ(*parse_window("24h"), 86400u);
  EXPECT_EQ(*parse_window("+5s"), 5u);
  EXPECT_EQ(*parse_window("0s"), 0u);
  EXPECT_EQ(parse_window("").error(), "empty duration");
  EXPECT_EQ(parse_window("s").error(), "invalid duration: s");
  EXPECT_EQ(parse_window("-5s").error(), "invalid duration: -5s");
  EXPECT_EQ(parse_window("5x").error(), "unknown duration unit: x (expected s, m, h)");
  EXPECT_EQ(parse_window("99999999999999999999s").error(), "invalid duration: 99999999999999999999s");
}

}  // namespace
}  // namespace fips::stats
