// Probes: the stage machine (proto/probe/probe.h) on hand-built observations,
// the report JSON against the reference's snapshot
// (tests/vectors/control/reference-snapshots/probe_report.json, from the
// reference's src/control/snapshots/), and the registry (node/probes.h) on
// real nodes: a probe across two hops measures an RTT and tears down the
// session it opened; limits, errors and cancel.
#include <gtest/gtest.h>

#include "control/json_out.h"
#include "control/probe_report.h"
#include "control_test_util.h"
#include "node/probes.h"
#include "sim/sim_net.h"

namespace fips {
namespace {

using probe::Action;
using probe::Reason;
using probe::Verdict;

constexpr uint64_t kT0 = 100'000;

probe::Budgets budgets() { return probe::Budgets::derive(1'000, {1, 2, 4, 8}); }

NodeAddr addr(uint8_t v) {
  NodeAddr a;
  a.bytes.fill(0);
  a.bytes[0] = v;
  return a;
}

probe::Observation obs(uint64_t now) {
  probe::Observation o;
  o.now_ms = now;
  return o;
}

// Coordinates cached, a first hop known: the state after a resolve.
probe::Observation resolved(uint64_t now) {
  probe::Observation o = obs(now);
  o.coords_cached = true;
  o.path = probe::PathFacts{};
  o.path->same_root = true;
  o.next_hop = probe::NextHopFacts{addr(9), routing::RouteClass::kTreeUp, false, false};
  return o;
}

std::vector<Action> acts(const probe::Actions& a) { return {a.begin(), a.end()}; }

TEST(ProbeCore, BudgetsFollowTheLadderAndTheFloors) {
  const probe::Budgets b = budgets();
  EXPECT_EQ(b.bloom_ms, 2'000u);
  EXPECT_EQ(b.discovery_ms, 15'000u + 2'000u);
  EXPECT_EQ(b.session_ms, 5'000u);
  EXPECT_EQ(b.rtt_ms, 4'000u);  // 4 ticks beat the 3 s floor
  EXPECT_EQ(b.total_ms(), 28'000u);
  const probe::Budgets slow = probe::Budgets::derive(2'000, {1});
  EXPECT_EQ(slow.session_ms, 6'000u);
  EXPECT_EQ(slow.rtt_ms, 8'000u);
}

TEST(ProbeCore, CachedTargetRunsToAnRttAndTearsDownItsSession) {
  probe::Probe p(kT0, budgets(), {});
  // Cached: bloom and discovery skip, path is computed, the session opens.
  EXPECT_EQ(acts(p.step(resolved(kT0))), std::vector<Action>{Action::kOpenSession});
  probe::Snapshot s = p.snapshot();
  EXPECT_EQ(s.bloom.verdict, Verdict::kSkipped);
  EXPECT_EQ(s.bloom.reason, Reason::kCached);
  EXPECT_EQ(s.discovery.reason, Reason::kCached);
  EXPECT_EQ(s.path.verdict, Verdict::kOk);
  EXPECT_EQ(s.session.verdict, Verdict::kRunning);
  EXPECT_TRUE(p.owns_session());
  // Handshake in progress, then established: the warmup goes out.
  probe::Observation o = resolved(kT0 + 1'000);
  o.session_present = o.session_is_ours = true;
  EXPECT_TRUE(acts(p.step(o)).empty());
  o = resolved(kT0 + 2'000);
  o.session_present = o.session_established = o.session_is_ours = true;
  o.counters.reports_seen = 3;  // older reports are the baseline
  o.counters.samples = 2;
  EXPECT_EQ(acts(p.step(o)), std::vector<Action>{Action::kSendWarmup});
  // A new sample: rtt ok; the teardown waits one grace tick.
  o.now_ms = kT0 + 3'000;
  o.counters.reports_seen = 4;
  o.counters.samples = 3;
  o.last_rtt_ms = 18;
  o.srtt_ms = 17.5;
  o.path_mtu = 1280;
  EXPECT_TRUE(acts(p.step(o)).empty());
  o.now_ms = kT0 + 4'000;
  EXPECT_EQ(acts(p.step(o)), (std::vector<Action>{Action::kTeardownSession, Action::kFinish}));
  EXPECT_TRUE(p.finished());
  s = p.snapshot();
  EXPECT_EQ(s.overall, probe::Overall::kOk);
  EXPECT_EQ(s.rtt_ms, 18u);
  EXPECT_EQ(s.counters.samples, 1u);
  EXPECT_EQ(s.counters.reports_seen, 1u);
  EXPECT_TRUE(s.torn_down);
  EXPECT_EQ(s.warmups_sent, 1);
  EXPECT_EQ(s.path_mtu, 1280u);
  EXPECT_EQ(p.elapsed_ms(kT0 + 99'000), 4'000u);
  EXPECT_TRUE(acts(p.step(o)).empty());  // finished: nothing more
}

TEST(ProbeCore, LookupGateDecisionsLandOnTheBloomStage) {
  const std::pair<probe::LookupOutcome, Reason> cases[] = {
      {probe::LookupOutcome::kBloomMiss, Reason::kBloomMiss},
      {probe::LookupOutcome::kSuppressed, Reason::kBackoffSuppressed},
      {probe::LookupOutcome::kZeroFanout, Reason::kNoTreePeers},
  };
  for (auto [outcome, reason] : cases) {
    probe::Probe p(kT0, budgets(), {});
    EXPECT_EQ(acts(p.step(obs(kT0))), std::vector<Action>{Action::kInitiateLookup});
    probe::Observation o = obs(kT0 + 1'000);
    o.lookup_outcome = outcome;
    EXPECT_EQ(acts(p.step(o)), std::vector<Action>{Action::kFinish});
    const probe::Snapshot s = p.snapshot();
    EXPECT_EQ(s.bloom.verdict, Verdict::kFailed);
    EXPECT_EQ(s.bloom.reason, reason);
    EXPECT_EQ(s.discovery.reason, Reason::kNotReached);
    EXPECT_EQ(s.rtt.reason, Reason::kNotReached);
    EXPECT_EQ(s.overall, probe::Overall::kFailed);
  }
}

TEST(ProbeCore, DiscoveryWaitsForItsBudgetOrTheLadderGivingUp) {
  probe::Probe p(kT0, budgets(), {});
  (void)p.step(obs(kT0));
  probe::Observation o = obs(kT0 + 1'000);
  o.lookup_outcome = probe::LookupOutcome::kSent;
  o.lookup_fanout = 2;
  o.lookup_pending = true;
  EXPECT_TRUE(acts(p.step(o)).empty());
  EXPECT_EQ(p.snapshot().bloom.verdict, Verdict::kOk);
  EXPECT_EQ(p.snapshot().discovery.verdict, Verdict::kRunning);
  // The pending entry clears without coordinates: fail now, not at the budget.
  o = obs(kT0 + 3'000);
  EXPECT_EQ(acts(p.step(o)), std::vector<Action>{Action::kFinish});
  const probe::Snapshot s = p.snapshot();
  EXPECT_EQ(s.discovery.reason, Reason::kBloomUnconfirmed);
  EXPECT_EQ(s.lookup_fanout, 2u);
  EXPECT_EQ(s.discovery.elapsed_ms, 2'000u);
}

TEST(ProbeCore, SomebodyElsesSessionIsNeverOpenedNorTornDown) {
  probe::Preflight pre;
  pre.session_present = true;
  probe::Probe p(kT0, budgets(), pre);
  probe::Observation o = resolved(kT0);
  o.session_present = o.session_established = true;
  EXPECT_EQ(acts(p.step(o)), std::vector<Action>{Action::kSendWarmup});
  EXPECT_FALSE(p.owns_session());
  o.now_ms = kT0 + 1'000;  // no report after 1 s: the one warmup resend
  EXPECT_EQ(acts(p.step(o)), std::vector<Action>{Action::kSendWarmup});
  o.now_ms = kT0 + 10'000;  // rtt budget over, no report: no teardown
  const auto a = acts(p.step(o));
  EXPECT_EQ(a.back(), Action::kFinish);
  EXPECT_EQ(std::count(a.begin(), a.end(), Action::kTeardownSession), 0);
  const probe::Snapshot s = p.snapshot();
  EXPECT_EQ(s.session.reason, Reason::kPreexisting);
  EXPECT_EQ(s.left_intact, probe::LeftIntact::kPreexisting);
  EXPECT_EQ(s.rtt.reason, Reason::kNoReport);
  EXPECT_EQ(s.warmups_sent, 2);  // one resend after 1 s without a report
  EXPECT_EQ(s.overall, probe::Overall::kPartial);
}

TEST(ProbeCore, ReplacedEntryIsNotOursToRemove) {
  probe::Probe p(kT0, budgets(), {});
  EXPECT_EQ(acts(p.step(resolved(kT0))), std::vector<Action>{Action::kOpenSession});
  probe::Observation o = resolved(kT0 + 1'000);
  o.session_present = true;
  o.session_is_ours = false;  // the peer's own handshake replaced ours
  (void)p.step(o);
  EXPECT_FALSE(p.owns_session());
  EXPECT_EQ(p.snapshot().left_intact, probe::LeftIntact::kReplaced);
  const auto a = acts(p.cancel(kT0 + 1'500));
  EXPECT_EQ(a, std::vector<Action>{Action::kFinish});
  EXPECT_EQ(p.snapshot().overall, probe::Overall::kCancelled);
}

TEST(ProbeCore, CancelTearsDownAtOnceAndRttFailuresAreClassified) {
  probe::Probe p(kT0, budgets(), {});
  (void)p.step(resolved(kT0));
  EXPECT_EQ(acts(p.cancel(kT0 + 100)), (std::vector<Action>{Action::kTeardownSession, Action::kFinish}));
  EXPECT_EQ(p.snapshot().session.reason, Reason::kHandshakeTimeout);
  EXPECT_TRUE(acts(p.cancel(kT0 + 200)).empty());
  // Reports came but none echoed a timestamp: no_echo; zero RTTs: sub_millisecond.
  for (auto [zero, want] : {std::pair{0u, Reason::kNoEcho}, std::pair{2u, Reason::kSubMillisecond}}) {
    probe::Preflight pre;
    pre.session_present = true;
    probe::Probe q(kT0, budgets(), pre);
    probe::Observation o = resolved(kT0);
    o.session_present = o.session_established = true;
    (void)q.step(o);
    o.now_ms = kT0 + 4'000;  // the rtt budget
    o.counters.reports_seen = 2;
    o.counters.zero = zero;
    (void)q.step(o);
    EXPECT_EQ(q.snapshot().rtt.reason, want);
  }
}

TEST(ProbeCore, DescribePathFindsTheLowestCommonAncestor) {
  const NodeAddr me = addr(1), parent = addr(2), root = addr(3), them = addr(4), other = addr(5);
  auto view = [](const Coords& c) { return coords_view_of(c); };
  const Coords mine{me, parent, root}, theirs{them, root}, lonely{other};
  const probe::PathFacts f = probe::describe_path(view(mine), view(theirs));
  EXPECT_TRUE(f.same_root);
  EXPECT_EQ(f.lca, root);
  EXPECT_EQ(f.lca_depth, 0u);
  EXPECT_EQ(f.our_depth, 2u);
  EXPECT_EQ(f.tree_hops_up, 2u);
  EXPECT_EQ(f.tree_hops_down, 1u);
  EXPECT_EQ(f.tree_distance, 3u);
  const probe::PathFacts g = probe::describe_path(view(mine), view(lonely));
  EXPECT_FALSE(g.same_root);
  EXPECT_FALSE(g.lca.has_value());
  EXPECT_FALSE(g.tree_distance.has_value());
}

// ---- the report ----

NodeAddr addr_hex8(const char* hex8) {
  NodeAddr a;
  a.bytes.fill(0);
  for (int i = 0; i < 4; ++i) a.bytes[i] = static_cast<uint8_t>(std::stoi(std::string(hex8 + 2 * i, 2), nullptr, 16));
  return a;
}

TEST(ProbeReport, MatchesTheReferenceSnapshot) {
  // The reference's hand-built terminal report (control/queries.rs
  // probe_report_json_shape), through our types.
  ProbeReportData d;
  d.probe_id = 7;
  d.elapsed_ms = 4'000;
  d.lookup_attempts = 2;
  d.attempt_timeouts_secs = {1, 2, 4, 8};
  probe::Snapshot& s = d.snap;
  s.overall = probe::Overall::kOk;
  s.tick_ms = 1'000;
  auto okr = [](uint64_t e) {
    probe::StageRecord r;
    r.verdict = Verdict::kOk;
    r.elapsed_ms = e;
    return r;
  };
  s.bloom = okr(0);
  s.discovery = okr(2'000);
  s.path = okr(0);
  s.session = okr(1'000);
  s.rtt = okr(1'000);
  s.lookup_fanout = 3;
  s.resolve_source = probe::ResolveSource::kLookup;
  probe::PathFacts f;
  f.our_coords = {addr_hex8("4d2201ff"), addr_hex8("91b40c6e")};
  f.their_coords = {addr_hex8("4a1f9c22"), addr_hex8("91b40c6e")};
  f.our_depth = f.their_depth = 1;
  f.same_root = true;
  f.lca = addr_hex8("91b40c6e");
  f.lca_depth = 0;
  f.tree_hops_up = f.tree_hops_down = 1;
  f.tree_distance = 2;
  s.path_facts = f;
  s.next_hop = probe::NextHopFacts{addr_hex8("91b40c6e"), routing::RouteClass::kTreeUp, false, false};
  s.session_established = true;
  s.path_mtu = 1420;
  s.rtt_ms = 18;
  s.srtt_ms = 18.0;
  s.counters.reports_seen = 1;
  s.counters.samples = 1;
  s.torn_down = true;
  s.lookup_issued = true;
  s.warmups_sent = 1;
  const ProbeTargetInfo target{"npub1qq8s4f7x", "4a1f9c22e08b5d3714aa06fb92c1de55", "hydra",
                               "fd00:4a1f:9c22:e08b:5d37:14aa:06fb:92c1"};
  auto short8 = [](const NodeAddr& a) { return a.hex().substr(0, 8); };
  auto name = [](const NodeAddr&) { return std::string("relay-a"); };
  const nlohmann::json ref =
      nlohmann::json::parse(test::control_fixture("reference-snapshots/probe_report.json"));
  EXPECT_EQ(json_pretty(probe_report_json(d, target, short8, name)), json_pretty(ref));
}

TEST(ProbeReport, UnmeasuredFieldsAreNullOrAbsent) {
  ProbeReportData d;
  d.teardown_refused = probe::LeftIntact::kAdoptedByTraffic;
  d.snap.torn_down = true;
  const nlohmann::json j = probe_report_json(d, {}, [](const NodeAddr& a) { return a.hex(); },
                                             [](const NodeAddr& a) { return a.hex(); });
  EXPECT_FALSE(j["rtt"].contains("rtt_ms"));
  EXPECT_FALSE(j["rtt"].contains("srtt_ms"));
  EXPECT_FALSE(j["session"].contains("path_mtu"));
  EXPECT_TRUE(j["path"]["lca"].is_null());
  EXPECT_TRUE(j["path"]["next_hop"].is_null());
  EXPECT_EQ(j["path"]["coords_known"], false);
  EXPECT_TRUE(j["discovery"]["attempts"].is_null());
  EXPECT_EQ(j["bloom"]["verdict"], "pending");
  // A teardown refused at the last moment: the session is still there.
  EXPECT_EQ(j["cleanup"]["session_created_and_torn_down"], false);
  EXPECT_EQ(j["cleanup"]["left_intact_reason"], "adopted_by_traffic");
  EXPECT_EQ(parse_probe_id_param(nullptr).error(), "missing 'probe_id' parameter");
  const nlohmann::json id7 = {{"probe_id", 7}};
  EXPECT_EQ(*parse_probe_id_param(&id7), 7u);
  EXPECT_EQ(parse_probe_start_params(nullptr).error(), "missing params for probe_start");
  const nlohmann::json none = nlohmann::json::object();
  EXPECT_EQ(parse_probe_start_params(&none).error(), "missing 'npub' parameter");
}

// ---- the registry on real nodes ----

struct ProbeMesh {
  sim::SimNet net;
  std::vector<std::unique_ptr<SessionLayer>> layers;
  std::unique_ptr<ProbeRegistry> probes;  // on node 0

  explicit ProbeMesh(size_t n, uint64_t seed) : net(options(seed)) {
    for (size_t i = 0; i < n; ++i) net.add_node();
    for (size_t i = 0; i + 1 < n; ++i) net.connect(i, i + 1);
    for (size_t i = 0; i < n; ++i) {
      Epoch e{};
      e[0] = static_cast<uint8_t>(i + 1);
      layers.push_back(std::make_unique<SessionLayer>(net.node(i), net.at(i), e, fsp::SessionParams{},
                                                      ipv6::PendingLimits{}, 500 + i));
      net.node(i).set_lookup_done([this, i](const lookup::LookupEvent& ev) {
        layers[i]->on_lookup_done(ev, net.now());
      });
    }
    probes = std::make_unique<ProbeRegistry>(net.node(0), *layers[0], 1'000,
                                             std::vector<uint64_t>{1, 2, 4, 8});
  }
  static sim::SimOptions options(uint64_t seed) {
    sim::SimOptions o;
    o.seed = seed;
    o.pool_buffers = 1 << 13;
    o.link.latency_ms = 5;
    return o;
  }
  void run(uint64_t ms) {  // the daemon's 1 s tick: sessions, then probes
    for (uint64_t t = 0; t < ms; t += 100) {
      net.run_for(100);
      if ((net.now() / 100) % 10 == 0) {
        for (auto& l : layers) l->tick(net.now());
        probes->tick(net.now());
      }
    }
  }
  std::string npub(size_t i) { return net.node(i).identity().npub(); }
};

TEST(ProbeRegistry, AcrossTwoHopsMeasuresAnRttAndCleansUp) {
  ProbeMesh m(3, 81);
  m.run(20'000);  // tree and filters settle
  auto st = m.probes->start(m.npub(2), m.net.now());
  ASSERT_TRUE(st) << st.error();
  EXPECT_EQ(st->budget_ms, 28'000u);
  std::optional<ProbeReportData> done;
  for (int i = 0; i < 40 && !done; ++i) {
    m.run(1'000);
    auto r = m.probes->poll(st->probe_id, m.net.now());
    ASSERT_TRUE(r) << r.error();
    if (r->done) done = *r;
  }
  ASSERT_TRUE(done);
  const probe::Snapshot& s = done->snap;
  EXPECT_EQ(s.overall, probe::Overall::kOk);
  EXPECT_EQ(s.bloom.verdict, Verdict::kOk);
  EXPECT_EQ(s.resolve_source, probe::ResolveSource::kLookup);
  ASSERT_TRUE(s.path_facts);
  EXPECT_TRUE(s.path_facts->same_root);
  ASSERT_TRUE(s.next_hop);
  EXPECT_EQ(s.next_hop->node_addr, m.net.node(1).identity().node_addr());
  EXPECT_EQ(s.session.verdict, Verdict::kOk);
  EXPECT_EQ(s.rtt.verdict, Verdict::kOk);
  ASSERT_TRUE(s.rtt_ms);
  EXPECT_NEAR(static_cast<double>(*s.rtt_ms), 20.0, 3.0);  // 4 x 5 ms
  EXPECT_EQ(s.path_mtu, 1280u);
  EXPECT_TRUE(s.torn_down);
  EXPECT_FALSE(m.layers[0]->sessions().state_of(m.net.node(2).identity().node_addr()));
  EXPECT_EQ(m.probes->size(), 0u);  // collected by the poll
  EXPECT_EQ(m.probes->poll(st->probe_id, m.net.now()).error(),
            "unknown probe id: " + std::to_string(st->probe_id));
}

TEST(ProbeRegistry, LimitsErrorsAndCancel) {
  ProbeMesh m(3, 82);
  m.run(20'000);
  EXPECT_EQ(m.probes->start(m.npub(0), m.net.now()).error(), "cannot probe this node");
  EXPECT_EQ(m.probes->start("npub1nope", m.net.now()).error().rfind("invalid peer npub: ", 0), 0u);
  // Four running probes fill the cap (two per target: the second of each
  // neither opens nor tears down a session); a cancelled one frees a slot.
  std::vector<uint64_t> ids;
  for (int i = 0; i < 4; ++i) {
    auto r = m.probes->start(m.npub(i % 2 + 1), m.net.now());
    ASSERT_TRUE(r) << r.error();
    ids.push_back(r->probe_id);
  }
  EXPECT_EQ(m.probes->in_flight(), 4u);
  EXPECT_EQ(m.probes->start(m.npub(2), m.net.now()).error(), "too many probes in flight");
  ASSERT_TRUE(m.probes->cancel(ids[0], m.net.now()));
  auto r = m.probes->poll(ids[0], m.net.now());
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->done);
  EXPECT_EQ(r->snap.overall, probe::Overall::kCancelled);
  EXPECT_EQ(m.probes->in_flight(), 3u);
  EXPECT_TRUE(m.probes->start(m.npub(1), m.net.now()));
  EXPECT_EQ(m.probes->cancel(999, m.net.now()).error(), "unknown probe id: 999");
  // Unpolled finished jobs are reaped after 30 s.
  m.run(60'000);
  EXPECT_EQ(m.probes->size(), 0u);
  EXPECT_GE(m.probes->counters().reaped_unpolled, 1u);
}

}  // namespace
}  // namespace fips
