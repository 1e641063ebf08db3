// The session layer on real Nodes in the in-process simulator: FSP sessions
// across 3 and 10 hops, the echo service, simultaneous initiation, rekey under
// traffic without loss, recovery after a transit node restarts, idle timeout;
// session MMP end to end (SRTT against the path latency, loss and ETX, modes,
// rekeys that fake no loss, the show_sessions / show_mmp rows) and the CE a
// transit node sets on its own congestion.
#include <map>
#include <memory>

#include "control/queries_sessions.h"
#include "node/session_layer.h"
#include "sim/sim_net.h"
#include "test_util.h"

namespace fips {
namespace {

using sim::SimNet;
using sim::SimOptions;

SimOptions opts(uint64_t seed) {
  SimOptions o;
  o.seed = seed;
  o.pool_buffers = 1 << 14;
  o.link.latency_ms = 5;
  return o;
}

struct Rx {
  std::vector<std::pair<NodeAddr, std::string>> got;
};

struct Mesh {
  SimNet net;
  std::map<size_t, std::unique_ptr<SessionLayer>> layers;
  std::map<size_t, Rx> rx;

  explicit Mesh(uint64_t seed, fsp::SessionParams params = {}) : net(opts(seed)), params_(params) {}

  SessionLayer& attach(size_t i) {
    Epoch e{};
    e[0] = static_cast<uint8_t>(i + 1);
    auto l = std::make_unique<SessionLayer>(net.node(i), net.at(i), e, params_, ipv6::PendingLimits{},
                                            1000 + i);
    net.node(i).set_lookup_done([this, i](const lookup::LookupEvent& ev) {
      layers.at(i)->on_lookup_done(ev, net.now());
    });
    l->set_port_handler(1000, [this, i](const NodeAddr& src, uint16_t, PacketBuf&& p, uint64_t) {
      rx[i].got.emplace_back(src, std::string(p.data(), p.data() + p.size()));
    });
    SessionLayer& ref = *l;
    layers[i] = std::move(l);
    return ref;
  }
  // Runs the net, ticking the session layers every second as the daemon does.
  void run(uint64_t ms) {
    for (uint64_t t = 0; t < ms; t += 100) {
      net.run_for(100);
      if ((net.now() / 100) % 10 == 0)
        for (auto& [i, l] : layers) l->tick(net.now());
    }
  }
  bool run_until(const std::function<bool()>& pred, uint64_t max_ms) {
    for (uint64_t t = 0; t < max_ms; t += 100) {
      if (pred()) return true;
      run(100);
    }
    return pred();
  }
  SessionLayer::SendStatus send(size_t from, size_t to, const std::string& s, uint16_t sp = 2000,
                                uint16_t dp = 1000) {
    return layers.at(from)->send(net.node(to).identity().as_peer(), sp, dp,
                                 ByteSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size()), net.now());
  }
  bool converged() {
    NodeAddr root = net.node(0).identity().node_addr();
    for (size_t i = 1; i < net.size(); ++i) root = std::min(root, net.node(i).identity().node_addr());
    for (size_t i = 0; i < net.size(); ++i)
      if (net.at(i).alive() && !(net.node(i).tree().root() == root)) return false;
    return true;
  }

 private:
  fsp::SessionParams params_;
};

void line(Mesh& m, size_t n) {
  for (size_t i = 0; i < n; ++i) m.net.add_node();
  for (size_t i = 0; i + 1 < n; ++i) m.net.connect(i, i + 1);
  ASSERT_TRUE(m.net.run_until([&] { return m.converged(); }, 120'000));
  m.net.run_for(5'000);  // bloom filters settle
}

void across_hops(size_t hops) {
  Mesh m(hops);
  line(m, hops + 1);
  SessionLayer& a = m.attach(0);
  m.attach(hops);
  EXPECT_EQ(m.send(0, hops, "first"), SessionLayer::SendStatus::kQueued);
  ASSERT_TRUE(m.run_until([&] { return m.rx[hops].got.size() == 1; }, 20'000));
  EXPECT_EQ(m.rx[hops].got[0].first, m.net.node(0).identity().node_addr());
  EXPECT_EQ(m.rx[hops].got[0].second, "first");
  EXPECT_TRUE(a.sessions().is_established(m.net.node(hops).identity().node_addr()));
  // Established: the next one goes out at once.
  EXPECT_EQ(m.send(0, hops, "second"), SessionLayer::SendStatus::kSent);
  m.run(2'000);
  ASSERT_EQ(m.rx[hops].got.size(), 2u);
  EXPECT_EQ(m.rx[hops].got[1].second, "second");
  // Echo: 'P' to port 7 comes back as 'R' to our source port.
  std::vector<std::string> echoed;
  a.set_port_handler(3000, [&](const NodeAddr&, uint16_t sp, PacketBuf&& p, uint64_t) {
    EXPECT_EQ(sp, kEchoPort);
    echoed.emplace_back(p.data(), p.data() + p.size());
  });
  EXPECT_EQ(m.send(0, hops, "Pxyz", 3000, kEchoPort), SessionLayer::SendStatus::kSent);
  m.run(2'000);
  ASSERT_EQ(echoed.size(), 1u);
  EXPECT_EQ(echoed[0], "Rxyz");
  // Transit nodes forwarded the datagrams, they did not deliver them.
  for (size_t i = 1; i < hops; ++i) EXPECT_GT(m.net.node(i).forwarding().forwarded_packets, 0u) << i;
}

TEST(SessionLayer, ThreeHops) { across_hops(3); }
TEST(SessionLayer, TenHops) { across_hops(10); }

TEST(SessionLayer, SimultaneousInitiation) {
  Mesh m(21);
  line(m, 4);
  m.attach(0);
  m.attach(3);
  EXPECT_EQ(m.send(0, 3, "from A"), SessionLayer::SendStatus::kQueued);
  EXPECT_EQ(m.send(3, 0, "from D"), SessionLayer::SendStatus::kQueued);
  ASSERT_TRUE(m.run_until([&] { return m.rx[0].got.size() == 1 && m.rx[3].got.size() == 1; }, 30'000));
  EXPECT_EQ(m.rx[3].got[0].second, "from A");
  EXPECT_EQ(m.rx[0].got[0].second, "from D");
  // One session per side, established, and it keeps working both ways.
  EXPECT_EQ(m.layers[0]->sessions().size(), 1u);
  EXPECT_EQ(m.layers[3]->sessions().size(), 1u);
  EXPECT_EQ(m.send(0, 3, "again"), SessionLayer::SendStatus::kSent);
  EXPECT_EQ(m.send(3, 0, "again"), SessionLayer::SendStatus::kSent);
  m.run(1'000);
  EXPECT_EQ(m.rx[3].got.size(), 2u);
  EXPECT_EQ(m.rx[0].got.size(), 2u);
}

TEST(SessionLayer, RekeyUnderTrafficLosesNothing) {
  fsp::SessionParams p;
  p.rekey_after_messages = 300;  // several rekeys in the run below
  Mesh m(31, p);
  line(m, 3);
  SessionLayer& a = m.attach(0);
  m.attach(2);
  m.send(0, 2, "0");
  ASSERT_TRUE(m.run_until([&] { return m.rx[2].got.size() == 1; }, 20'000));
  const int n = 3000;
  for (int i = 1; i <= n; ++i) {
    ASSERT_EQ(m.send(0, 2, std::to_string(i)), SessionLayer::SendStatus::kSent) << i;
    if (i % 10 == 0) m.net.run_for(20);
    if (i % 100 == 0) m.run(100);
  }
  m.run(3'000);
  ASSERT_EQ(m.rx[2].got.size(), static_cast<size_t>(n + 1));
  for (int i = 0; i <= n; ++i) EXPECT_EQ(m.rx[2].got[static_cast<size_t>(i)].second, std::to_string(i));
  EXPECT_GE(a.sessions().counters().rekey_cutovers + m.layers[2]->sessions().counters().rekey_cutovers, 2u);
}

TEST(SessionLayer, SurvivesTransitRestartWithASecondPath) {
  // Square 0-1-2-3-0: two disjoint paths between 0 and 2.
  Mesh m(41);
  for (int i = 0; i < 4; ++i) m.net.add_node();
  for (size_t i = 0; i < 4; ++i) m.net.connect(i, (i + 1) % 4);
  ASSERT_TRUE(m.net.run_until([&] { return m.converged(); }, 60'000));
  m.net.run_for(5'000);
  m.attach(0);
  m.attach(2);
  m.send(0, 2, "before");
  ASSERT_TRUE(m.run_until([&] { return m.rx[2].got.size() == 1; }, 20'000));
  // Kill whichever transit node carried it, keep sending once a second.
  const size_t transit = m.net.node(1).forwarding().forwarded_packets > 0 ? 1 : 3;
  m.net.kill(transit);
  size_t sent = 0;
  bool ok = false;
  for (int s = 0; s < 60 && !ok; ++s) {
    m.send(0, 2, "after");
    ++sent;
    m.run(1'000);
    ok = m.rx[2].got.size() > 1;
  }
  ASSERT_TRUE(ok) << "no delivery after the transit node died";
  const size_t before_revive = m.rx[2].got.size();
  m.net.revive(transit);
  m.run(10'000);
  // The tree may move again when it comes back: the packet is sent or waits
  // for the refreshed coordinates, and arrives either way.
  const auto st = m.send(0, 2, "revived");
  EXPECT_TRUE(st == SessionLayer::SendStatus::kSent || st == SessionLayer::SendStatus::kQueued);
  ASSERT_TRUE(m.run_until([&] { return m.rx[2].got.size() == before_revive + 1; }, 20'000));
  EXPECT_EQ(m.rx[2].got.back().second, "revived");
}

TEST(SessionLayer, IdleSessionsTimeOut) {
  fsp::SessionParams p;
  p.idle_timeout_ms = 10'000;
  Mesh m(51, p);
  line(m, 3);
  SessionLayer& a = m.attach(0);
  SessionLayer& c = m.attach(2);
  m.send(0, 2, "x");
  ASSERT_TRUE(m.run_until([&] { return m.rx[2].got.size() == 1; }, 20'000));
  EXPECT_EQ(a.sessions().size(), 1u);
  m.run(15'000);
  EXPECT_EQ(a.sessions().size(), 0u);
  EXPECT_EQ(c.sessions().size(), 0u);
  EXPECT_GE(a.sessions().counters().idle_timeouts, 1u);
  // A new packet starts a fresh session.
  EXPECT_EQ(m.send(0, 2, "y"), SessionLayer::SendStatus::kQueued);
  ASSERT_TRUE(m.run_until([&] { return m.rx[2].got.size() == 2; }, 20'000));
}

TEST(SessionLayer, UnknownPortAndNoTunAreCounted) {
  Mesh m(61);
  line(m, 2);
  m.attach(0);
  SessionLayer& b = m.attach(1);
  m.send(0, 1, "to nowhere", 2000, 4242);
  m.send(0, 1, "not ipv6", 2000, kIpv6ShimPort);
  m.run(5'000);
  EXPECT_EQ(b.counters().native_no_handler, 1u);
  EXPECT_EQ(b.counters().mesh_no_tun, 1u);
  EXPECT_TRUE(m.rx[1].got.empty());
}


// ---- session MMP ----

// A datagram each way every 100 ms for `ms`.
void chatter(Mesh& m, size_t a, size_t b, uint64_t ms) {
  for (uint64_t t = 0; t < ms; t += 100) {
    (void)m.send(a, b, "ping");
    (void)m.send(b, a, "pong");
    m.run(100);
  }
}

// Session layers on 0 and 2 of a line, a session between them.
void open_session_0_2(Mesh& m) {
  m.attach(0);
  m.attach(2);
  m.send(0, 2, "open");
  ASSERT_TRUE(m.run_until([&] { return !m.rx[2].got.empty(); }, 30'000));
}

const mmp::SessionMmp& session_mmp(Mesh& m, size_t at, size_t peer) {
  const mmp::SessionMmp* x =
      m.layers.at(at)->sessions().mmp_of(m.net.node(peer).identity().node_addr());
  EXPECT_NE(x, nullptr);
  static const mmp::SessionMmp none(mmp::Mode::kFull, false, 1, 0);
  return x ? *x : none;
}

TEST(SessionMmp, SrttMatchesTheTwoHopPathAndNothingIsLost) {
  Mesh m(71);  // 5 ms per link: 2 hops each way = 20 ms RTT
  line(m, 3);
  open_session_0_2(m);
  chatter(m, 0, 2, 15'000);
  for (auto [x, y] : {std::pair<size_t, size_t>{0, 2}, std::pair<size_t, size_t>{2, 0}}) {
    const mmp::SessionMmp& s = session_mmp(m, x, y);
    ASSERT_TRUE(s.metrics.srtt_ms().has_value()) << x;
    EXPECT_NEAR(*s.metrics.srtt_ms(), 20.0, 2.0) << x;
    EXPECT_DOUBLE_EQ(s.metrics.delivery_forward, 1.0);
    EXPECT_DOUBLE_EQ(s.metrics.delivery_reverse, 1.0);
    EXPECT_DOUBLE_EQ(s.metrics.etx, 1.0);
    EXPECT_GT(s.metrics.goodput_bps, 0.0);
    EXPECT_GE(s.metrics.rtt_samples, 5u);
    // Session bounds: 1 x SRTT (20 ms) clamps to the 500 ms floor.
    EXPECT_EQ(s.receiver.interval_ms(), mmp::kSessionMinReportIntervalMs);
    const fsp::SessionCounters& c = m.layers[x]->sessions().counters();
    EXPECT_GE(c.mmp_receiver_reports_received, 10u);
    EXPECT_GE(c.mmp_sender_reports_received, 10u);
    EXPECT_EQ(c.malformed, 0u);
  }
  EXPECT_TRUE(session_mmp(m, 0, 2).spin.initiator());
  EXPECT_FALSE(session_mmp(m, 2, 0).spin.initiator());
  // Reports do not hold a session open: it still idles out (90 s default).
  // The show_sessions / show_mmp rows carry the measured values.
  const auto rows = session_rows(m.layers[0]->sessions().snapshot(m.net.now(), 1'000'000), nullptr,
                                 MmpMode::kFull);
  ASSERT_EQ(rows.size(), 1u);
  ASSERT_TRUE(rows[0].mmp && rows[0].mmp->srtt_ms);
  EXPECT_NEAR(*rows[0].mmp->srtt_ms, 20.0, 2.0);
  EXPECT_EQ(rows[0].mmp->etx_trend.value_or(""), "stable");
  const nlohmann::json j = session_json(rows[0]);
  EXPECT_TRUE(j["mmp"].contains("sqi"));
  EXPECT_EQ(j["mmp"]["mode"], "full");
  EXPECT_EQ(j["mmp"]["path_mtu"], 1280);
}

TEST(SessionMmp, LossOnTheTransitLinkShowsInTheSessionMetrics) {
  Mesh m(72);
  for (int i = 0; i < 3; ++i) m.net.add_node();
  MemLinkParams lossy = m.net.link_params(0, 1);
  lossy.loss = 0.10;
  m.net.connect(0, 1);
  m.net.connect(1, 2, lossy);
  ASSERT_TRUE(m.net.run_until([&] { return m.converged(); }, 120'000));
  m.net.run_for(5'000);
  open_session_0_2(m);
  chatter(m, 0, 2, 60'000);
  const mmp::SessionMmp& s = session_mmp(m, 0, 2);
  ASSERT_TRUE(s.metrics.smoothed_loss().has_value());
  EXPECT_NEAR(*s.metrics.smoothed_loss(), 0.10, 0.04);
  ASSERT_TRUE(s.metrics.smoothed_etx().has_value());
  EXPECT_NEAR(*s.metrics.smoothed_etx(), 1.0 / 0.81, 0.15);
  // ECN: node 1's link MMP towards 2 sees 10 % loss (>= node.ecn.loss_threshold
  // 5 %), so it sets CE on what it forwards; 2 counts the marks and tells 0 in
  // its session ReceiverReports; 1 forwards towards 0 over a clean link.
  EXPECT_GT(m.net.node(1).counters().congestion_detected, 0u);
  EXPECT_GT(m.net.node(1).counters().ce_forwarded, 0u);
  EXPECT_GT(s.metrics.last_ecn_ce(), 0u);
  EXPECT_GT(session_mmp(m, 2, 0).receiver.ecn_ce_count(), 0u);
  EXPECT_EQ(session_mmp(m, 0, 2).receiver.ecn_ce_count(), 0u);
}

TEST(SessionMmp, ModesGateReports) {
  for (MmpMode mode : {MmpMode::kLightweight, MmpMode::kMinimal}) {
    fsp::SessionParams p;
    p.mmp_mode = mode;
    Mesh m(73, p);
    line(m, 3);
    open_session_0_2(m);
    chatter(m, 0, 2, 8'000);
    const fsp::SessionCounters& c = m.layers[0]->sessions().counters();
    EXPECT_EQ(c.mmp_sender_reports_received, 0u);
    if (mode == MmpMode::kLightweight) {
      EXPECT_GE(c.mmp_receiver_reports_received, 3u);
      EXPECT_TRUE(session_mmp(m, 0, 2).metrics.srtt_ms().has_value());
    } else {
      EXPECT_EQ(c.mmp_receiver_reports_received, 0u);
      EXPECT_EQ(c.mmp_reports_sent, 0u);
      EXPECT_FALSE(session_mmp(m, 0, 2).metrics.srtt_ms().has_value());
    }
    EXPECT_EQ(mmp::mode_name(session_mmp(m, 0, 2).mode()),
              std::string(mode == MmpMode::kLightweight ? "lightweight" : "minimal"));
  }
}

TEST(SessionMmp, RekeyCutoversFakeNoLoss) {
  fsp::SessionParams p;
  p.rekey_after_messages = 100;
  Mesh m(74, p);
  line(m, 3);
  open_session_0_2(m);
  SessionLayer& a = *m.layers[0];
  chatter(m, 0, 2, 40'000);
  EXPECT_GE(a.sessions().counters().rekey_cutovers + m.layers[2]->sessions().counters().rekey_cutovers, 2u);
  const mmp::SessionMmp& s = session_mmp(m, 0, 2);
  ASSERT_TRUE(s.metrics.smoothed_loss().has_value());
  EXPECT_LT(*s.metrics.smoothed_loss(), 0.01);
  EXPECT_LT(s.metrics.etx, 1.05);
}

TEST(SessionMmp, FailedReportSendsBackOff) {
  // The sender's interval doubles per consecutive failed tick, at most 32x,
  // and one success resets it (reference sender.rs).
  mmp::SenderState s(mmp::kSessionIntervals);
  EXPECT_EQ(s.interval_ms(), mmp::kSessionColdStartIntervalMs);
  s.on_sent(1, 0, 100);
  ASSERT_TRUE(s.build(10'000));
  s.on_sent(2, 0, 100);
  EXPECT_TRUE(s.due(11'000));
  for (int i = 0; i < 7; ++i) (void)s.on_send_result(false);
  EXPECT_FALSE(s.due(10'000 + 31'999));
  EXPECT_TRUE(s.due(10'000 + 32'000));  // capped at 32 x 1 s
  EXPECT_EQ(s.on_send_result(true), 7u);
  EXPECT_TRUE(s.due(11'000));
  // Session bounds: [500 ms, 10 s] from the first SRTT sample on.
  s.update_interval(100);  // 0.1 ms
  EXPECT_EQ(s.interval_ms(), 500u);
  s.update_interval(60'000'000);
  EXPECT_EQ(s.interval_ms(), 10'000u);
}

}  // namespace
}  // namespace fips
