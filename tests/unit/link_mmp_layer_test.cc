// Link MMP through real LinkLayers (tests/unit/link_harness.h): reports go
// out on the 1 s tick and come back as SRTT, loss and ETX that match the
// fabric's configured latency and loss; modes gate which reports are sent;
// rekey cutovers do not fake loss; a malformed report is counted.
#include "link_harness.h"

namespace fips {
namespace {

using test::LinkNet;
using test::LinkNode;

const mmp::LinkMmp& mmp_of(LinkNode& n, LinkNode& peer) {
  Peer* p = n.link->find_peer(peer.id.node_addr());
  EXPECT_TRUE(p && p->mmp);
  return *p->mmp;
}

void traffic(LinkNet& net, LinkNode& a, LinkNode& b) {  // a frame each way every 5 ms
  uint64_t seq = 0;
  net.on_step = [&net, &a, &b, seq]() mutable {
    (void)net;
    (void)a.send_seq(b.id.node_addr(), seq);
    (void)b.send_seq(a.id.node_addr(), seq);
    ++seq;
  };
}

TEST(LinkMmpLayer, SrttMatchesLatencyAndNothingIsLost) {
  LinkNet net;
  net.latency_ms = 15;
  LinkNode& a = net.add();
  LinkNode& b = net.add();
  net.connect(a, b);
  net.run_for(200);
  ASSERT_TRUE(net.linked(a, b));
  traffic(net, a, b);
  net.run_for(10'000);
  for (auto [x, y] : {std::pair{&a, &b}, std::pair{&b, &a}}) {
    const mmp::LinkMmp& m = mmp_of(*x, *y);
    ASSERT_TRUE(m.metrics.srtt_ms().has_value());
    EXPECT_NEAR(*m.metrics.srtt_ms(), 30.0, 1.5);
    EXPECT_DOUBLE_EQ(m.metrics.delivery_forward, 1.0);
    EXPECT_DOUBLE_EQ(m.metrics.delivery_reverse, 1.0);
    EXPECT_DOUBLE_EQ(m.metrics.etx, 1.0);
    EXPECT_GT(m.metrics.goodput_bps, 0.0);
    EXPECT_GE(m.metrics.rtt_samples, 5u);
    EXPECT_EQ(x->link->counters().get(LinkDrop::kMalformedMessage), 0u);
    EXPECT_GE(x->link->counters().mmp_receiver_reports_received, 8u);
    EXPECT_GE(x->link->counters().mmp_sender_reports_received, 8u);
  }
  EXPECT_TRUE(mmp_of(a, b).spin.initiator());  // a dialled
  EXPECT_FALSE(mmp_of(b, a).spin.initiator());
  // show_peers / show_mmp source.
  auto rows = a.link->peer_snapshots(net.now);
  ASSERT_EQ(rows.size(), 1u);
  ASSERT_TRUE(rows[0].mmp && rows[0].mmp->srtt_ms);
  EXPECT_NEAR(*rows[0].mmp->srtt_ms, 30.0, 1.5);
  EXPECT_EQ(rows[0].mmp->spin_bit_role, "initiator");
  EXPECT_EQ(rows[0].mmp->rtt_trend.value_or(""), "stable");
}

TEST(LinkMmpLayer, LossShowsInDeliveryRatiosAndEtx) {
  LinkNet net(7);
  net.latency_ms = 10;
  LinkNode& a = net.add();
  LinkNode& b = net.add();
  net.connect(a, b);
  net.run_for(3'000);  // handshake resends under loss
  net.loss = 0.10;
  ASSERT_TRUE(net.linked(a, b));
  traffic(net, a, b);
  net.run_for(60'000);
  const mmp::LinkMmp& m = mmp_of(a, b);
  ASSERT_TRUE(m.metrics.smoothed_loss().has_value());
  EXPECT_NEAR(*m.metrics.smoothed_loss(), 0.10, 0.03);
  EXPECT_NEAR(m.metrics.delivery_forward, 0.90, 0.05);
  EXPECT_NEAR(m.metrics.delivery_reverse, 0.90, 0.05);
  ASSERT_TRUE(m.metrics.smoothed_etx().has_value());
  EXPECT_NEAR(*m.metrics.smoothed_etx(), 1.0 / 0.81, 0.1);
  ASSERT_TRUE(m.metrics.srtt_ms().has_value());
  EXPECT_NEAR(*m.metrics.srtt_ms(), 20.0, 1.5);
}

TEST(LinkMmpLayer, ModesGateReports) {
  for (mmp::Mode mode : {mmp::Mode::kLightweight, mmp::Mode::kMinimal}) {
    LinkConfig cfg;
    cfg.mmp_mode = mode;
    LinkNet net;
    LinkNode& a = net.add(cfg);
    LinkNode& b = net.add(cfg);
    net.connect(a, b);
    net.run_for(200);
    ASSERT_TRUE(net.linked(a, b));
    traffic(net, a, b);
    net.run_for(5'000);
    const LinkCounters& c = a.link->counters();
    EXPECT_EQ(c.mmp_sender_reports_received, 0u) << mmp::mode_name(mode);
    if (mode == mmp::Mode::kLightweight) {
      EXPECT_GE(c.mmp_receiver_reports_received, 3u);
      EXPECT_TRUE(mmp_of(a, b).metrics.srtt_ms().has_value());
    } else {
      EXPECT_EQ(c.mmp_receiver_reports_received, 0u);
      EXPECT_EQ(c.mmp_reports_sent, 0u);
      EXPECT_FALSE(mmp_of(a, b).metrics.srtt_ms().has_value());
    }
  }
}

TEST(LinkMmpLayer, RekeysUnderTrafficFakeNoLoss) {
  LinkConfig cfg;
  cfg.rekey_after_ms = 40'000;
  cfg.rekey_jitter_ms = 5'000;
  LinkNet net;
  net.latency_ms = 5;
  LinkNode& a = net.add(cfg);
  LinkNode& b = net.add(cfg);
  net.connect(a, b);
  net.run_for(200);
  ASSERT_TRUE(net.linked(a, b));
  traffic(net, a, b);
  net.run_for(130'000);
  EXPECT_GE(a.link->counters().rekeys_completed + b.link->counters().rekeys_completed, 4u);
  for (auto [x, y] : {std::pair{&a, &b}, std::pair{&b, &a}}) {
    const mmp::LinkMmp& m = mmp_of(*x, *y);
    EXPECT_DOUBLE_EQ(*m.metrics.smoothed_loss(), 0.0);
    EXPECT_DOUBLE_EQ(m.metrics.etx, 1.0);
    EXPECT_NEAR(*m.metrics.srtt_ms(), 10.0, 1.5);
  }
}

TEST(LinkMmpLayer, MalformedReportIsCountedAndIgnored) {
  LinkNet net;
  LinkNode& a = net.add();
  LinkNode& b = net.add();
  net.connect(a, b);
  net.run_for(200);
  ASSERT_TRUE(net.linked(a, b));
  const uint8_t short_rr[10] = {0x02};
  const uint8_t short_sr[47] = {0x01};
  ASSERT_TRUE(a.link->send_message_bytes(*a.link->find_peer(b.id.node_addr()),
                                         ByteSpan(short_rr, sizeof short_rr), net.now));
  ASSERT_TRUE(a.link->send_message_bytes(*a.link->find_peer(b.id.node_addr()),
                                         ByteSpan(short_sr, sizeof short_sr), net.now));
  net.run_for(50);
  EXPECT_EQ(b.link->counters().get(LinkDrop::kMalformedMessage), 2u);
  EXPECT_TRUE(net.linked(a, b));
  EXPECT_EQ(mmp_of(b, a).metrics.reports_seen, 0u);
}

}  // namespace
}  // namespace fips
