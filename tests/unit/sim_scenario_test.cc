// Simulator scenarios on 100-node meshes of real nodes: convergence on every
// topology, full reachability, root loss, churn, partition + heal, and
// determinism. Protocol timers are the defaults throughout (they are what is
// measured); the only option changed anywhere is the transport MTU, where a
// test needs trees deeper than a 1280-byte TreeAnnounce allows (a node at
// depth >= 35 cannot announce at MTU 1280, see sim_net.h / SimOptions::mtu).
#include <sstream>

#include "sim/observer.h"
#include "sim/reach.h"
#include "sim/scenario.h"
#include "sim/sim_net.h"
#include "test_util.h"
#include "util/log.h"

namespace fips::sim {
namespace {

class SimScenario : public ::testing::Test {
 protected:
  void SetUp() override {
    saved_ = log_level();
    set_log_level(LogLevel::kError);  // link-dead warnings are expected here
  }
  void TearDown() override { set_log_level(saved_); }
  LogLevel saved_ = LogLevel::kInfo;
};

ScenarioConfig base(TopologyKind k, uint64_t seed = 1) {
  ScenarioConfig c;
  c.topology = k;
  c.nodes = 100;
  c.seed = seed;
  c.degree = k == TopologyKind::kScaleFree ? 2 : 6;
  c.pairs = 300;
  c.phase_pairs = 300;
  c.quiet_ms = 0;
  c.stable_ms = 0;
  c.measure_memory = false;
  c.check_blooms = true;
  c.phase_timeout_ms = 300'000;
  return c;
}

void expect_settled(const PhaseResult& p) {
  SCOPED_TRACE(p.name + ": " + p.detail);
  EXPECT_TRUE(p.conv.converged);
  EXPECT_TRUE(p.conv.links_settled);
  EXPECT_TRUE(p.conv.bloom_settled);
  ASSERT_TRUE(p.conv.bloom_gaps.has_value());
  EXPECT_EQ(*p.conv.bloom_gaps, 0u);
}

void expect_full_reach(const PhaseResult& p) {
  SCOPED_TRACE(p.name + ": " + p.detail);
  ASSERT_TRUE(p.reach.has_value());
  const ReachStats& r = *p.reach;
  EXPECT_GT(r.pairs, 0u);
  EXPECT_EQ(r.lookup_found, r.pairs);
  EXPECT_EQ(r.delivered, r.pairs);
  EXPECT_EQ(r.wrong_hops, 0u);  // never fewer hops than the shortest path
  EXPECT_GE(r.stretch_p50, 1.0);
  EXPECT_GE(r.stretch_p99, r.stretch_p50);
}

TEST_F(SimScenario, ThreeNodeLineHopsAndStretch) {
  ScenarioConfig c = base(TopologyKind::kLine);
  c.nodes = 3;
  c.pairs = 0;  // all 6 ordered pairs
  const ScenarioResult r = run_scenario(c);
  ASSERT_EQ(r.phases.size(), 1u);
  expect_settled(r.phases[0]);
  expect_full_reach(r.phases[0]);
  const ReachStats& q = *r.phases[0].reach;
  EXPECT_EQ(q.pairs, 6u);
  // 4 pairs at 1 hop, A<->C at 2 hops (TTL 64 sent, 63 seen by C).
  EXPECT_DOUBLE_EQ(q.hops_mean, 8.0 / 6.0);
  EXPECT_EQ(q.stretch_one, 6u);
  EXPECT_DOUBLE_EQ(q.stretch_max, 1.0);
}

// Latency stretch on a 4-node ring whose links get different latencies (one
// path per pair is cheaper): the measured one-way times are never below the
// Dijkstra optimum, and the tree report sees the links' latencies and costs.
TEST_F(SimScenario, LatencyStretchAgainstTheLowestLatencyPath) {
  ScenarioConfig c = base(TopologyKind::kRing);
  c.nodes = 4;
  c.pairs = 0;  // all 12 ordered pairs
  c.latency_ms = 2;
  c.latency_max_ms = 40;
  c.stable_ms = 65'000;
  const ScenarioResult r = run_scenario(c);
  ASSERT_EQ(r.phases.size(), 1u);
  expect_full_reach(r.phases[0]);
  const ReachStats& q = *r.phases[0].reach;
  EXPECT_GE(q.lat_stretch_p50, 1.0);
  EXPECT_GE(q.lat_stretch_max, q.lat_stretch_p99);
  EXPECT_GE(q.path_ms_mean, q.best_ms_mean);
  EXPECT_GT(q.best_ms_mean, 2.0);
  EXPECT_GE(r.tree_root_stretch_p50, 1.0);
  EXPECT_GE(r.parent_link_ms_mean, 2.0);
  EXPECT_LE(r.parent_link_ms_mean, 40.0);
  EXPECT_GT(r.link_ms_mean, 2.0);
  EXPECT_DOUBLE_EQ(r.parent_measured, 1.0);  // every parent link has an SRTT
  EXPECT_GT(r.parent_cost_mean, 1.0);
}

TEST_F(SimScenario, ConvergesOnEveryTopology) {
  for (auto k : {TopologyKind::kLine, TopologyKind::kRing, TopologyKind::kGrid,
                 TopologyKind::kGeometric, TopologyKind::kScaleFree}) {
    SCOPED_TRACE(topology_name(k));
    ScenarioConfig c = base(k);
    // A 100-line/ring is up to 99/50 deep: TreeAnnounces up to 3.3 KB. Their
    // pairs are up to 99 tree hops apart, beyond the lookup TTL (64), so
    // only convergence is checked for them.
    if (k == TopologyKind::kLine || k == TopologyKind::kRing) {
      c.mtu = 4096;
      c.measure_reach = false;
    }
    const ScenarioResult r = run_scenario(c);
    EXPECT_EQ(r.nodes, 100u);
    ASSERT_EQ(r.phases.size(), 1u);
    expect_settled(r.phases[0]);
    EXPECT_EQ(r.phases[0].conv.components, 1u);
    EXPECT_EQ(r.pool_exhausted, 0u);
    EXPECT_EQ(r.net_queue_full, 0u);
  }
}

TEST_F(SimScenario, FullReachabilityOnConnectedMeshes) {
  for (auto k : {TopologyKind::kGrid, TopologyKind::kGeometric, TopologyKind::kScaleFree}) {
    SCOPED_TRACE(topology_name(k));
    const ScenarioResult r = run_scenario(base(k));
    ASSERT_EQ(r.phases.size(), 1u);
    expect_full_reach(r.phases[0]);
  }
}

TEST_F(SimScenario, ReconvergesWhenTheRootLeaves) {
  // Seed 2: a child's FilterAnnounce overtakes its rate-limited TreeAnnounce
  // during the reconvergence; without the node re-marking its filters when
  // a child attaches, 7 of these 300 lookups fail with a bloom miss.
  ScenarioConfig c = base(TopologyKind::kGeometric, 2);
  c.phases = {Phase::kRootLoss};
  // The dead root's ancestry lingers while nodes explore longer paths to it
  // (no root-staleness timer): TreeAnnounces grow past 1280 bytes.
  c.mtu = 9000;
  const ScenarioResult r = run_scenario(c);
  ASSERT_EQ(r.phases.size(), 3u);
  EXPECT_EQ(r.phases[1].name, "root-loss");
  EXPECT_EQ(r.phases[1].conv.live_nodes, 99u);
  // The root's neighbours need link_dead_timeout (30 s) to notice.
  EXPECT_GE(r.phases[1].conv.converged_ms, 30'000u);
  for (const auto& p : r.phases) {
    expect_settled(p);
    expect_full_reach(p);
  }
}

TEST_F(SimScenario, ChurnOfTenPercent) {
  ScenarioConfig c = base(TopologyKind::kGeometric, 3);
  c.phases = {Phase::kChurn};
  c.mtu = 9000;
  const ScenarioResult r = run_scenario(c);
  ASSERT_EQ(r.phases.size(), 3u);
  EXPECT_EQ(r.phases[1].name, "churn-kill");
  EXPECT_EQ(r.phases[1].conv.live_nodes, 90u);
  EXPECT_EQ(r.phases[2].conv.live_nodes, 100u);
  for (const auto& p : r.phases) {
    expect_settled(p);
    expect_full_reach(p);  // within each live component
  }
}

TEST_F(SimScenario, PartitionThenHeal) {
  ScenarioConfig c = base(TopologyKind::kGeometric, 4);
  c.phases = {Phase::kPartition};
  c.mtu = 9000;
  const ScenarioResult r = run_scenario(c);
  ASSERT_EQ(r.phases.size(), 3u);
  EXPECT_EQ(r.phases[1].name, "partition");
  EXPECT_GE(r.phases[1].conv.components, 2u);
  EXPECT_EQ(r.phases[2].name, "heal");
  EXPECT_EQ(r.phases[2].conv.components, 1u);
  for (const auto& p : r.phases) {
    expect_settled(p);
    expect_full_reach(p);
  }
}

TEST_F(SimScenario, LinkFailuresReconverge) {
  ScenarioConfig c = base(TopologyKind::kGrid, 5);
  c.phases = {Phase::kLinkFail};
  const ScenarioResult r = run_scenario(c);
  ASSERT_EQ(r.phases.size(), 3u);
  EXPECT_EQ(r.phases[1].name, "link-fail");
  EXPECT_EQ(r.phases[1].conv.components, 1u);  // only non-bridges were cut
  for (const auto& p : r.phases) expect_settled(p);
  expect_full_reach(r.phases[1]);
}

// A link keeps its own connect() parameters across a failure and repair
// (per-link latency used to fall back to the network default on repair).
TEST_F(SimScenario, LinkRepairKeepsPerLinkLatency) {
  SimNet net(SimOptions{});
  net.add_node();
  net.add_node();
  MemLinkParams slow;
  slow.latency_ms = 200;
  net.connect(0, 1, slow);
  Observer obs(net);
  ASSERT_TRUE(net.run_until([&] { return obs.tree_converged() && obs.links_settled(); }, 30'000));
  net.set_link_up(0, 1, false);
  net.run_for(2'000);
  net.set_link_up(0, 1, true);
  net.run_for(1'000);  // drain what was sent while down (lost) or just after
  while (net.network().in_flight() == 0) net.run_for(1);
  EXPECT_EQ(net.network().next_due() - net.now(), 200u);
}

// Lossy links: the tree, links and blooms still settle, and most datagrams
// (sent once, no retransmission) arrive.
TEST_F(SimScenario, ConvergesOverLossyLinks) {
  ScenarioConfig c = base(TopologyKind::kGeometric, 6);
  c.nodes = 40;
  c.loss = 0.05;
  c.pairs = 200;
  const ScenarioResult r = run_scenario(c);
  ASSERT_EQ(r.phases.size(), 1u);
  const PhaseResult& p = r.phases[0];
  EXPECT_TRUE(p.conv.converged);
  EXPECT_TRUE(p.conv.links_settled);
  EXPECT_TRUE(p.conv.bloom_settled);
  ASSERT_TRUE(p.reach.has_value());
  // Lookups cross several lossy hops each way without retries: over seeds
  // 1-12 the found ratio spans 0.54-0.94 (mean 0.79) with link MMP reports
  // on the links and 0.69-0.94 (mean 0.81) with them off, so 0.9 held for
  // this seed by luck. With link cost in parent selection (the trees
  // differ) it spans 0.635-0.925 (mean 0.78) and this seed gives 0.685
  // (fips-sim --topology geometric --nodes 40 --loss 0.05 --pairs 200
  // --stable-s 0 --quiet-s 0 --seed 1..12); 0.6 still says "most".
  EXPECT_GT(p.reach->found_ratio(), 0.6);
  EXPECT_GT(p.reach->delivered_ratio(), 0.5);
  EXPECT_LT(p.reach->delivered, p.reach->pairs);  // some datagrams are lost
}

std::string fingerprint(const ScenarioResult& r) {
  std::ostringstream o;
  o << r.topology << '/' << r.edges << '/' << r.sim_ms << '/' << r.control_bytes_per_node_s << '/'
    << r.tree_received << '/' << r.filters_received << '/' << r.handshakes << '/'
    << r.datagrams_forwarded;
  for (const auto& p : r.phases) {
    o << '|' << p.name << ',' << p.detail << ',' << p.sim_ms << ',' << p.conv.converged_ms << ','
      << p.conv.links_ms << ',' << p.conv.bloom_ms << ',' << p.conv.last_parent_switch_ms;
    if (p.reach)
      o << ',' << p.reach->delivered << ',' << p.reach->latency_p50_ms << ','
        << p.reach->latency_p99_ms << ',' << p.reach->hops_mean << ',' << p.reach->stretch_p99;
  }
  return o.str();
}

TEST_F(SimScenario, SameSeedSameNumbers) {
  ScenarioConfig c = base(TopologyKind::kScaleFree, 9);
  c.phases = {Phase::kLinkFail};
  c.quiet_ms = 20'000;
  c.phase_pairs = 100;
  const ScenarioResult a = run_scenario(c);
  const ScenarioResult b = run_scenario(c);
  EXPECT_GT(a.control_bytes_per_node_s, 0.0);
  EXPECT_EQ(fingerprint(a), fingerprint(b));
  c.seed = 10;
  EXPECT_NE(fingerprint(a), fingerprint(run_scenario(c)));
}

// The observer's own checks: a fresh net is not converged, a converged one
// is, and cutting a parent link is noticed at once.
TEST_F(SimScenario, ObserverSeesBrokenParentLinks) {
  SimOptions o;
  o.link.latency_ms = 5;
  SimNet net(o);
  for (int i = 0; i < 4; ++i) net.add_node();
  for (int i = 0; i < 4; ++i) net.connect(static_cast<size_t>(i), static_cast<size_t>((i + 1) % 4));
  Observer obs(net);
  EXPECT_FALSE(obs.tree_converged());
  ASSERT_TRUE(net.run_until([&] { return obs.tree_converged() && obs.links_settled(); }, 30'000))
      << obs.explain();
  // Cut the root's link to one of its children.
  const size_t root = obs.global_root();
  size_t child = net.size();
  for (size_t j : net.neighbours(root))
    if (net.node(j).tree().parent() == net.at(root).identity().node_addr()) child = j;
  ASSERT_LT(child, net.size());
  net.set_link_up(root, child, false);
  obs.refresh();
  EXPECT_FALSE(obs.tree_converged());
  EXPECT_NE(obs.explain().find("link down"), std::string::npos) << obs.explain();
  EXPECT_FALSE(obs.links_settled());  // still an FMP peer until link-dead
  ASSERT_TRUE(net.run_until([&] { return obs.tree_converged() && obs.links_settled(); }, 120'000))
      << obs.explain();
}

}  // namespace
}  // namespace fips::sim
