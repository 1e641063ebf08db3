// Link cost (docs/spec/stp-bloom.md §4.4): the formula's worked examples,
// and real Nodes in the simulator choosing their parent and next hop by the
// cost their link MMP measures: a diamond S-{M1,M2}-D whose S-M links have
// different latencies, swapped at run time.
#include <algorithm>
#include <array>

#include "proto/mmp/link_cost.h"
#include "sim/sim_net.h"
#include "test_util.h"

namespace fips {
namespace {

using sim::SimNet;
using sim::SimOptions;

TEST(LinkCost, FormulaWorkedExamples) {  // docs/spec/stp-bloom.md §4.4
  EXPECT_DOUBLE_EQ(mmp::link_cost(1.0, std::nullopt), 1.0);  // cold start
  EXPECT_DOUBLE_EQ(mmp::link_cost(37.0, std::nullopt), 1.0);  // ETX alone does not count
  EXPECT_NEAR(mmp::link_cost(1.0, 1.0), 1.01, 1e-12);          // clean 1 ms link
  EXPECT_NEAR(mmp::link_cost(1.0, 500.0), 6.0, 1e-12);         // clean 500 ms link
  EXPECT_NEAR(mmp::link_cost(1.0, 200.0), 3.0, 1e-12);
  // A fibre peer at depth 2 beats a 500 ms, 5 %-loss peer at depth 1.
  const double lora = 1.0 + mmp::link_cost(1.0 / 0.95, 500.0);
  const double fibre = 2.0 + mmp::link_cost(1.0, 1.0);
  EXPECT_NEAR(lora, 7.32, 0.005);
  EXPECT_NEAR(fibre, 3.01, 1e-12);
  EXPECT_LT(fibre, lora * (1.0 - 0.2));
  // Hysteresis 0.2 against a depth-1 parent behind 200 ms (4.0): a depth-2
  // peer behind 10 ms (3.1) wins, one behind 30 ms (3.3) does not.
  const double current = 1.0 + mmp::link_cost(1.0, 200.0);
  EXPECT_LT(2.0 + mmp::link_cost(1.0, 10.0), current * (1.0 - 0.2));
  EXPECT_GE(2.0 + mmp::link_cost(1.0, 30.0), current * (1.0 - 0.2));
}

// Diamond: D (the smallest address, so the root), M1 and M2 both linked to
// D, and S linked to M1 and M2. All links 2 ms one way except S-slow.
struct Diamond {
  explicit Diamond(uint64_t seed, uint64_t hold_down_secs, uint64_t reeval_secs) {
    SimOptions o;
    o.seed = seed;
    o.pool_buffers = 1 << 14;
    o.link.latency_ms = 2;
    o.node.tree.hold_down_secs = hold_down_secs;
    o.node.tree.reeval_interval_secs = reeval_secs;
    net = std::make_unique<SimNet>(o);
    std::array<size_t, 4> idx{};
    for (size_t i = 0; i < 4; ++i) idx[i] = net->add_node();
    std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
      return net->node(a).identity().node_addr() < net->node(b).identity().node_addr();
    });
    d = idx[0];
    m_lo = idx[1];  // the cold-start tie-break favours the smaller address
    m_hi = idx[2];
    s = idx[3];
  }
  void connect(uint64_t s_mlo_ms, uint64_t s_mhi_ms) {  // all four links at once
    net->connect(m_lo, d);
    net->connect(m_hi, d);
    net->connect(s, m_lo, MemLinkParams{0.0, s_mlo_ms, 0, true});
    net->connect(s, m_hi, MemLinkParams{0.0, s_mhi_ms, 0, true});
  }
  void set_latency(size_t a, size_t b, uint64_t ms) {
    net->network().set_link_both(net->at(a).addr(), net->at(b).addr(),
                                 MemLinkParams{0.0, ms, 0, true});
  }
  Node& node(size_t i) { return net->node(i); }
  NodeAddr addr(size_t i) { return net->node(i).identity().node_addr(); }
  bool parent_is(size_t child, size_t p) { return node(child).tree().parent() == addr(p); }
  routing::NextHop hop_s_to_d() {
    const Coords& dc = node(d).tree().my_coords();
    const CoordsView v = coords_view_of(dc);
    return routing::find_next_hop(node(s), RouteDest::of(addr(d)), &v);
  }
  double cost_of(size_t from, size_t to) {
    const size_t i = node(from).find_peer(addr(to));
    return i == PeerView::kNoPeer ? -1.0 : node(from).peer(i).link_cost;
  }
  std::unique_ptr<SimNet> net;
  size_t d = 0, m_lo = 0, m_hi = 0, s = 0;
};

TEST(LinkCost, FirstRttSampleMovesTheParentOffASlowLink) {
  // No hold-down and no periodic re-evaluation, so nothing but the new
  // link's first SRTT sample (and announces, which carry no news here) can
  // move S: S first attaches over a 150 ms link; a 2 ms link to the other M
  // comes up later, unmeasured, and is no candidate next to the measured
  // slow link until its first RTT sample arrives.
  Diamond g(3, 0, 0);
  g.net->connect(g.m_lo, g.d);
  g.net->connect(g.m_hi, g.d);
  ASSERT_TRUE(g.net->run_until(
      [&] { return g.parent_is(g.m_lo, g.d) && g.parent_is(g.m_hi, g.d); }, 10'000));
  g.net->connect(g.s, g.m_lo, MemLinkParams{0.0, 150, 0, true});
  ASSERT_TRUE(g.net->run_until([&] { return g.parent_is(g.s, g.m_lo) && g.cost_of(g.s, g.m_lo) > 3.5; },
                               20'000));
  const uint64_t t0 = g.net->now();
  g.net->connect(g.s, g.m_hi, MemLinkParams{0.0, 2, 0, true});
  ASSERT_TRUE(g.net->run_until([&] { return g.node(g.s).peer_count() == 2; }, 5'000));
  // Linked but unmeasured: the slow parent stays (the cold-start gate).
  EXPECT_TRUE(g.parent_is(g.s, g.m_lo));
  ASSERT_TRUE(g.net->run_until([&] { return g.parent_is(g.s, g.m_hi); }, 10'000))
      << "S never left the slow link";
  EXPECT_LT(g.net->now() - t0, 3'000u);  // the first report round trip, not a timer
  EXPECT_NEAR(g.cost_of(g.s, g.m_lo), 4.0, 0.2);  // 300 ms RTT
  EXPECT_NEAR(g.cost_of(g.s, g.m_hi), 1.04, 0.02);
  // show_peers effective_depth: depth + cost, both measured.
  std::vector<PeerSnapshot> rows = g.node(g.s).link().peer_snapshots(g.net->now());
  g.node(g.s).annotate_peers(rows);
  ASSERT_EQ(rows.size(), 2u);
  for (const PeerSnapshot& r : rows) {
    ASSERT_TRUE(r.effective_depth.has_value()) << r.node_addr;
    const size_t m = r.node_addr == g.addr(g.m_lo).hex() ? g.m_lo : g.m_hi;
    EXPECT_DOUBLE_EQ(*r.effective_depth, 1.0 + g.cost_of(g.s, m));
  }
}

TEST(LinkCost, ParentAndNextHopFollowTheFastLinkAndSwitchWhenLatenciesSwap) {
  Diamond g(7, 30, 60);  // the reference's hold-down and re-evaluation
  g.connect(/*S-Mlo*/ 2, /*S-Mhi*/ 100);
  // Whatever S attached to first, within one re-evaluation period it sits
  // behind the fast link.
  g.net->run_for(5'000);  // converged on D (S may have met M_hi's root first)
  ASSERT_TRUE(g.net->run_until([&] { return g.parent_is(g.s, g.m_lo); }, 130'000));
  g.net->run_for(5'000);  // bloom filters settle
  EXPECT_TRUE(g.parent_is(g.s, g.m_lo));
  routing::NextHop h = g.hop_s_to_d();
  ASSERT_TRUE(h.is_peer());
  EXPECT_EQ(h.via, routing::HopVia::kBloom);
  EXPECT_EQ(h.peer, g.addr(g.m_lo));

  // Swap: S-Mlo becomes slow, S-Mhi fast. The next-hop ranking follows the
  // costs as soon as SRTT has moved; the parent at the next evaluation
  // after the hold-down (periodic, every 60 s).
  g.set_latency(g.s, g.m_lo, 100);
  g.set_latency(g.s, g.m_hi, 2);
  ASSERT_TRUE(g.net->run_until([&] { return g.cost_of(g.s, g.m_lo) > g.cost_of(g.s, g.m_hi); },
                               30'000));
  h = g.hop_s_to_d();
  ASSERT_TRUE(h.is_peer());
  EXPECT_EQ(h.peer, g.addr(g.m_hi));
  ASSERT_TRUE(g.net->run_until([&] { return g.parent_is(g.s, g.m_hi); }, 130'000))
      << "no parent switch after the swap";
  g.net->run_for(5'000);
  EXPECT_TRUE(g.parent_is(g.s, g.m_hi));
}

TEST(LinkCost, UnmeasuredPeersKeepTheColdStartCost) {
  // Minimal MMP mode sends no reports: nobody measures anything, every cost
  // stays 1.0 and selection is by depth and address, as before MMP.
  SimOptions o;
  o.seed = 11;
  o.pool_buffers = 1 << 14;
  o.link.latency_ms = 50;
  o.node.link.mmp_mode = mmp::Mode::kMinimal;
  SimNet net(o);
  for (int i = 0; i < 3; ++i) net.add_node();
  net.connect(0, 1);
  net.connect(1, 2);
  net.connect(0, 2);
  net.run_for(15'000);
  for (size_t n = 0; n < 3; ++n) {
    ASSERT_EQ(net.node(n).peer_count(), 2u);
    for (size_t i = 0; i < 2; ++i) EXPECT_DOUBLE_EQ(net.node(n).peer(i).link_cost, 1.0);
    std::vector<PeerSnapshot> rows = net.node(n).link().peer_snapshots(net.now());
    net.node(n).annotate_peers(rows);
    for (const PeerSnapshot& r : rows) {
      if (r.tree_depth) {
        EXPECT_DOUBLE_EQ(r.effective_depth.value_or(-1), *r.tree_depth + 1.0);
      }
    }
  }
}

// Ours (docs/spec/stp-bloom.md §4.4): a peer that sends no reports at all
// (minimal MMP mode here; the TypeScript implementation in a mixed mesh)
// passes the cold-start gate at cost 1.0 once 10 s have gone by without a
// ReceiverReport. Here it is the root R, linked to A after A is measured
// towards B: under the reference's gate A would never take R as parent and
// stay in a tree of its own.
TEST(LinkCost, APeerThatNeverReportsIsNotLockedOutOfParentSelection) {
  SimOptions o;
  o.seed = 5;
  o.pool_buffers = 1 << 14;
  o.link.latency_ms = 5;
  size_t r = 0;
  {
    SimNet probe(o);  // identities depend on (seed, index) only: find the smallest
    for (size_t i = 0; i < 3; ++i) probe.add_node();
    for (size_t i = 1; i < 3; ++i)
      if (probe.node(i).identity().node_addr() < probe.node(r).identity().node_addr()) r = i;
  }
  NodeOptions silent = o.node;
  silent.link.mmp_mode = mmp::Mode::kMinimal;
  SimNet net(o);
  for (size_t i = 0; i < 3; ++i) i == r ? net.add_node(silent) : net.add_node();
  const size_t a = (r + 1) % 3, b = (r + 2) % 3;
  const NodeAddr ra = net.node(r).identity().node_addr();
  net.connect(a, b);
  auto measured = [&](size_t x, size_t y) {
    const Peer* p = net.node(x).link().find_peer(net.node(y).identity().node_addr());
    return p && p->mmp && p->mmp->metrics.srtt_ms().has_value();
  };
  ASSERT_TRUE(net.run_until([&] { return measured(a, b) && measured(b, a); }, 10'000));
  net.connect(r, a);
  ASSERT_TRUE(net.run_until([&] { return net.node(a).peer_count() == 2; }, 5'000));
  net.run_for(2'000);
  EXPECT_FALSE(net.node(a).tree().root() == ra);  // within the grace: R is not a candidate
  ASSERT_TRUE(net.run_until([&] { return net.node(a).tree().root() == ra &&
                                         net.node(b).tree().root() == ra; },
                            90'000))
      << "A never joined the tree of the peer that sends no reports";
  EXPECT_TRUE(net.node(a).tree().parent() == ra);
  EXPECT_FALSE(measured(a, r));
  std::vector<PeerSnapshot> rows = net.node(a).link().peer_snapshots(net.now());
  net.node(a).annotate_peers(rows);
  for (const PeerSnapshot& row : rows) {
    ASSERT_TRUE(row.effective_depth.has_value()) << row.node_addr;
    if (row.node_addr == ra.hex()) {
      EXPECT_DOUBLE_EQ(*row.effective_depth, 1.0);  // depth 0 + cost 1.0
    }
  }
}

}  // namespace
}  // namespace fips
