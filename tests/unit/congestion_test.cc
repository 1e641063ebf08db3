// ECN on our own congestion (node/congestion.h): the loss and ETX thresholds
// of node.ecn.*, turning it off, and the kernel-drop monitor; the metrics come
// from real ReceiverReports through MmpState. The forward path end to end is
// in session_layer_test.cc (SessionMmp.LossOnTheTransitLink...).
#include <gtest/gtest.h>

#include "node/congestion.h"

namespace fips {
namespace {

// Metrics after the peer reported receiving `got` of our frames 1..100
// (then 101..200), i.e. a forward delivery ratio of got/100.
mmp::Metrics metrics_with_delivery(uint64_t got) {
  mmp::Metrics m;
  mmp::ReceiverReport rr;
  rr.highest_counter = 100;
  rr.cumulative_packets_recv = 100;
  rr.cumulative_bytes_recv = 10'000;
  (void)m.on_receiver_report(rr, 1'000, 1'000);
  rr.highest_counter = 200;
  rr.cumulative_packets_recv = 100 + got;
  rr.cumulative_bytes_recv = 20'000;
  (void)m.on_receiver_report(rr, 2'000, 2'000);
  return m;
}

TEST(Congestion, LossThresholdIsInclusive) {
  const EcnParams p;  // 5 %, ETX 3.0, enabled: the reference's defaults
  EXPECT_FALSE(link_congested(p, nullptr, false));
  const mmp::Metrics clean = metrics_with_delivery(100);
  EXPECT_FALSE(link_congested(p, &clean, false));
  const mmp::Metrics four = metrics_with_delivery(96);
  EXPECT_NEAR(four.loss_rate(), 0.04, 1e-12);
  EXPECT_FALSE(link_congested(p, &four, false));
  const mmp::Metrics five = metrics_with_delivery(95);
  EXPECT_NEAR(five.loss_rate(), 0.05, 1e-12);
  EXPECT_TRUE(link_congested(EcnParams{true, 0.05 - 1e-9, 3.0}, &five, false));
  const mmp::Metrics twenty = metrics_with_delivery(80);
  EXPECT_TRUE(link_congested(p, &twenty, false));
  // A higher threshold tolerates it.
  EXPECT_FALSE(link_congested(EcnParams{true, 0.25, 3.0}, &twenty, false));
}

TEST(Congestion, EtxThreshold) {
  mmp::Metrics m;  // ETX alone (it also counts the reverse direction), no forward loss
  m.delivery_forward = 1.0;
  m.etx = 3.0;
  const EcnParams loose{true, 1.0, 3.0};  // loss can never trigger
  EXPECT_TRUE(link_congested(loose, &m, false));
  m.etx = 2.99;
  EXPECT_FALSE(link_congested(loose, &m, false));
  // ETX from real reports: forward 0.6 -> ETX 1/0.6 = 1.67 (< 3), loss 0.4.
  const mmp::Metrics r = metrics_with_delivery(60);
  EXPECT_NEAR(r.etx, 1.0 / 0.6, 1e-9);
  EXPECT_FALSE(link_congested(EcnParams{true, 0.5, 3.0}, &r, false));
  EXPECT_TRUE(link_congested(EcnParams{true, 0.5, 1.5}, &r, false));
}

TEST(Congestion, KernelDropsAndTheSwitch) {
  const EcnParams p;
  const mmp::Metrics clean = metrics_with_delivery(100);
  EXPECT_TRUE(link_congested(p, &clean, true));
  EXPECT_TRUE(link_congested(p, nullptr, true));
  const mmp::Metrics bad = metrics_with_delivery(10);
  const EcnParams off{false, 0.05, 3.0};
  EXPECT_FALSE(link_congested(off, &bad, true));  // node.ecn.enabled: false
}

TEST(Congestion, KernelDropMonitorFlagsGrowthBetweenSamples) {
  KernelDropMonitor k;
  EXPECT_FALSE(k.sample(1, 0));
  EXPECT_FALSE(k.sample(2, 0));
  EXPECT_FALSE(k.dropping());
  EXPECT_TRUE(k.sample(1, 5));  // an episode starts
  EXPECT_TRUE(k.dropping());
  EXPECT_FALSE(k.sample(1, 9));  // still dropping: not a new episode
  EXPECT_TRUE(k.dropping());
  EXPECT_FALSE(k.sample(1, 9));  // no growth: over
  EXPECT_FALSE(k.dropping());
  EXPECT_FALSE(k.sample(2, 0));
  EXPECT_TRUE(k.sample(2, 1));  // the other transport
  EXPECT_TRUE(k.dropping());
}

}  // namespace
}  // namespace fips
