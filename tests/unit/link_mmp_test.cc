// Link MMP core (proto/mmp/link_mmp.h): estimators against hand-computed
// series, report building and its bytes for the reference's test inputs
// (reference src/proto/mmp/tests/{state,algorithms}.rs), metrics from
// ReceiverReports (RTT echo, loss, goodput, reverse ratio, ETX, stale
// reports, rekey), report intervals and modes, and two peers exchanging
// reports over a lossy, delayed path.

#include <gtest/gtest.h>

#include "proto/mmp/link_mmp.h"
#include "test_util.h"

namespace fips {
namespace {

using namespace fips::mmp;
using test::hex;

TEST(LinkMmp, JitterHandSeries) {
  JitterEstimator j;
  EXPECT_EQ(j.jitter_us(), 0u);
  j.update(1000);  // q4 = 1000 -> 62
  EXPECT_EQ(j.jitter_us(), 62u);
  j.update(-1000);  // q4 = 1000 + 1000 - 62 = 1938 -> 121
  EXPECT_EQ(j.jitter_us(), 121u);
  j.update(0);  // q4 = 1938 - 121 = 1817 -> 113
  EXPECT_EQ(j.jitter_us(), 113u);
}

TEST(LinkMmp, SrttHandSeries) {
  SrttEstimator s;
  EXPECT_FALSE(s.initialized());
  s.update(10'000);
  EXPECT_EQ(s.srtt_us(), 10'000);
  EXPECT_EQ(s.rttvar_us(), 5'000);
  s.update(20'000);  // err 10000: rttvar 5000-1250+2500, srtt 10000-1250+2500
  EXPECT_EQ(s.rttvar_us(), 6'250);
  EXPECT_EQ(s.srtt_us(), 11'250);
  s.update(11'250);  // err 0: rttvar 6250-1562, srtt 11250-1406+1406
  EXPECT_EQ(s.rttvar_us(), 4'688);
  EXPECT_EQ(s.srtt_us(), 11'250);
}

TEST(LinkMmp, DualEwmaAndTrendLabels) {
  DualEwma e;
  EXPECT_FALSE(e.initialized());
  e.update(100);
  EXPECT_DOUBLE_EQ(e.short_avg(), 100);
  EXPECT_DOUBLE_EQ(e.long_avg(), 100);
  EXPECT_STREQ(trend_label(e), "stable");
  e.update(200);
  EXPECT_DOUBLE_EQ(e.short_avg(), 125);
  EXPECT_DOUBLE_EQ(e.long_avg(), 103.125);
  EXPECT_STREQ(trend_label(e), "rising");  // 125 / 103.125 = 1.21
  DualEwma f;
  f.update(100);
  f.update(0);  // short 75, long 96.875
  EXPECT_STREQ(trend_label(f), "falling");
  DualEwma z;
  z.update(0);
  EXPECT_STREQ(trend_label(z), "stable");  // long == 0
}

TEST(LinkMmp, OwdTrendSlopeAndWindow) {
  OwdTrend t(3);
  EXPECT_EQ(t.trend_us_per_sec(), 0);
  t.push(1, 500);
  EXPECT_EQ(t.trend_us_per_sec(), 0);  // one sample
  t.push(2, 500);
  t.push(3, 500);
  EXPECT_EQ(t.trend_us_per_sec(), 0);  // flat
  t.push(4, 1500);                     // window (2,500) (3,500) (4,1500): slope 500/pkt
  EXPECT_EQ(t.size(), 3u);
  EXPECT_NEAR(t.trend_us_per_sec(), 500'000, 1);  // truncated like `as i32`
  t.clear();
  EXPECT_EQ(t.trend_us_per_sec(), 0);
  OwdTrend down(32);
  for (uint32_t i = 1; i <= 10; ++i) down.push(i, 10'000 - int64_t{i} * 100);
  EXPECT_NEAR(down.trend_us_per_sec(), -100'000, 1);
}

TEST(LinkMmp, Etx) {
  EXPECT_DOUBLE_EQ(compute_etx(1.0, 1.0), 1.0);
  EXPECT_DOUBLE_EQ(compute_etx(0.9, 0.9), 1.0 / 0.81);
  EXPECT_DOUBLE_EQ(compute_etx(0.0, 1.0), 100.0);
  EXPECT_DOUBLE_EQ(compute_etx(1.0, 0.0), 100.0);
  EXPECT_DOUBLE_EQ(compute_etx(0.05, 0.1), 100.0);  // 200 clamped
}

TEST(LinkMmp, SpinBitInitiatorAndResponder) {
  // reference tests/algorithms.rs test_spin_bit_initiator_rtt
  SpinBit ini(true), resp(false);
  EXPECT_FALSE(ini.tx_bit());
  EXPECT_FALSE(resp.observe(ini.tx_bit(), 1, 0).has_value());
  EXPECT_FALSE(resp.tx_bit());
  EXPECT_FALSE(ini.observe(resp.tx_bit(), 1, 100).has_value());  // first edge
  EXPECT_TRUE(ini.tx_bit());
  resp.observe(ini.tx_bit(), 2, 150);
  EXPECT_TRUE(resp.tx_bit());
  auto rtt = ini.observe(resp.tx_bit(), 2, 200);
  ASSERT_TRUE(rtt.has_value());
  EXPECT_EQ(*rtt, 100u);
  // Responder counter guard: an older frame does not move the bit.
  SpinBit r2(false);
  r2.observe(true, 10, 0);
  r2.observe(false, 5, 0);
  EXPECT_TRUE(r2.tx_bit());
}

TEST(LinkMmp, SenderReportFromReferenceInputsAndItsBytes) {
  // reference tests/state.rs test_build_report
  SenderState s;
  EXPECT_FALSE(s.build(0).has_value());
  s.on_sent(10, 1000, 500);
  s.on_sent(11, 1100, 600);
  s.on_sent(12, 1200, 400);
  auto r = s.build(0);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->interval_start_counter, 10u);
  EXPECT_EQ(r->interval_end_counter, 12u);
  EXPECT_EQ(r->interval_start_timestamp, 1000u);
  EXPECT_EQ(r->interval_end_timestamp, 1200u);
  EXPECT_EQ(r->interval_bytes_sent, 1500u);
  EXPECT_EQ(r->cumulative_packets_sent, 3u);
  EXPECT_EQ(r->cumulative_bytes_sent, 1500u);
  std::vector<uint8_t> out(kLinkSenderReportSize);
  Writer w{MutByteSpan(out)};
  ASSERT_TRUE(encode_link_sender_report(w, *r));
  EXPECT_EQ(hex(out),
            "01000000"
            "0a00000000000000"
            "0c00000000000000"
            "e8030000"
            "b0040000"
            "dc050000"
            "0300000000000000"
            "dc05000000000000");
  // test_build_report_resets_interval: empty interval, then a fresh one.
  EXPECT_FALSE(s.build(0).has_value());
  s.on_sent(13, 1300, 300);
  auto r2 = s.build(0);
  ASSERT_TRUE(r2.has_value());
  EXPECT_EQ(r2->interval_start_counter, 13u);
  EXPECT_EQ(r2->interval_bytes_sent, 300u);
  EXPECT_EQ(r2->cumulative_packets_sent, 4u);
  EXPECT_EQ(r2->cumulative_bytes_sent, 1800u);
}

TEST(LinkMmp, ReceiverBurstsEchoAndBytes) {
  // reference tests/state.rs test_gap_tracker_multiple_bursts
  ReceiverState r(32);
  EXPECT_FALSE(r.build(0).has_value());
  r.on_recv(1, 0, 100, false, 0);
  r.on_recv(4, 0, 100, false, 0);  // 2, 3 lost
  r.on_recv(5, 0, 100, false, 0);
  r.on_recv(8, 0, 100, false, 0);  // 6, 7 lost
  r.on_recv(9, 0, 100, false, 0);
  auto rr = r.build(0);
  ASSERT_TRUE(rr.has_value());
  EXPECT_EQ(rr->burst_loss_count, 2u);
  EXPECT_EQ(rr->max_burst_loss, 2u);
  EXPECT_EQ(rr->mean_burst_loss, 512u);  // 2.0 in u8.8
  EXPECT_EQ(rr->highest_counter, 9u);
  EXPECT_EQ(rr->cumulative_packets_recv, 5u);
  EXPECT_EQ(rr->interval_packets_recv, 5u);

  // Echo, dwell, reorder, CE, jitter on a timed series; and its bytes.
  ReceiverState t(32);
  t.on_recv(0, 1000, 100, false, 5000);
  t.on_recv(1, 1010, 100, false, 5012);  // transit delta +2 ms -> jitter 2000/16
  t.on_recv(3, 1020, 100, true, 5020);   // 2 lost; CE; delta -2 ms
  t.on_recv(2, 1015, 100, false, 5021);  // late: reorder, ends the burst; delta +6 ms
  auto x = t.build(5025);
  ASSERT_TRUE(x.has_value());
  EXPECT_EQ(x->timestamp_echo, 1015u);
  EXPECT_EQ(x->dwell_time, 4u);
  EXPECT_EQ(x->highest_counter, 3u);
  EXPECT_EQ(x->cumulative_reorder_count, 1u);
  EXPECT_EQ(x->ecn_ce_count, 1u);
  EXPECT_EQ(x->burst_loss_count, 1u);
  EXPECT_EQ(x->max_burst_loss, 1u);
  EXPECT_EQ(x->mean_burst_loss, 256u);
  // q4: 2000; 2000+2000-125 = 3875; 3875+6000-242 = 9633 -> 602 µs
  EXPECT_EQ(x->jitter, 602u);
  EXPECT_EQ(x->interval_bytes_recv, 400u);
  std::vector<uint8_t> out(kLinkReceiverReportSize);
  Writer w{MutByteSpan(out)};
  ASSERT_TRUE(encode_link_receiver_report(w, *x));
  EXPECT_EQ(hex(out).substr(0, 8 + 16 * 3 + 8 + 4), "02000000"
                                                    "0300000000000000"
                                                    "0400000000000000"
                                                    "9001000000000000"
                                                    "f7030000"
                                                    "0400");
  // test_build_report_suppresses_rtt_echo_when_dwell_overflows
  t.on_recv(4, 1030, 100, false, 6000);
  auto y = t.build(6000 + 65'536);
  ASSERT_TRUE(y.has_value());
  EXPECT_EQ(y->timestamp_echo, 0u);
  EXPECT_EQ(y->dwell_time, 65'535u);
}

ReceiverReport rr_of(uint64_t highest, uint64_t packets, uint64_t bytes, uint32_t echo,
                     uint16_t dwell, uint32_t jitter = 0) {
  ReceiverReport r;
  r.highest_counter = highest;
  r.cumulative_packets_recv = packets;
  r.cumulative_bytes_recv = bytes;
  r.timestamp_echo = echo;
  r.dwell_time = dwell;
  r.jitter = jitter;
  return r;
}

TEST(LinkMmp, MetricsRttLossGoodputStale) {
  Metrics m;
  EXPECT_FALSE(m.srtt_ms().has_value());
  EXPECT_DOUBLE_EQ(m.etx, 1.0);
  // test_rtt_from_echo: 1050 - 1000 - 5 = 45 ms
  EXPECT_EQ(m.on_receiver_report(rr_of(100, 100, 50'000, 1000, 5), 1050, 0),
            Metrics::RrOutcome::kRttSample);
  EXPECT_DOUBLE_EQ(*m.srtt_ms(), 45.0);
  EXPECT_EQ(m.goodput_bps, 0.0);
  // 200 counters later, 190 received (5 % loss), 100 kB in 1 s.
  EXPECT_EQ(m.on_receiver_report(rr_of(300, 290, 150'000, 2000, 5), 2057, 1000),
            Metrics::RrOutcome::kRttSample);
  EXPECT_DOUBLE_EQ(m.delivery_forward, 0.95);
  EXPECT_NEAR(m.loss_rate(), 0.05, 1e-12);
  EXPECT_DOUBLE_EQ(m.goodput_bps, 100'000.0);
  EXPECT_DOUBLE_EQ(m.etx, 1.0 / 0.95);
  EXPECT_NEAR(*m.smoothed_loss(), 0.05, 1e-12);  // first loss sample
  // RTT 52: rttvar 45000/2=22500 -> 22500-5625+1750 = 18625; srtt 45000-5625+6500 = 45875
  EXPECT_DOUBLE_EQ(*m.srtt_ms(), 45.875);
  // A duplicate later would be a huge RTT: ignored, nothing moves.
  EXPECT_EQ(m.on_receiver_report(rr_of(300, 290, 150'000, 2000, 5), 9000, 5000),
            Metrics::RrOutcome::kStale);
  EXPECT_DOUBLE_EQ(*m.srtt_ms(), 45.875);
  EXPECT_DOUBLE_EQ(m.goodput_bps, 100'000.0);
  // A regressed one too.
  EXPECT_EQ(m.on_receiver_report(rr_of(200, 280, 140'000, 2100, 0), 2200, 5100),
            Metrics::RrOutcome::kStale);
  // Echo edge cases: 0 ms, wrapped, no echo.
  EXPECT_EQ(m.on_receiver_report(rr_of(310, 300, 151'000, 3000, 10), 3010, 6000),
            Metrics::RrOutcome::kRttZero);
  EXPECT_EQ(m.on_receiver_report(rr_of(320, 310, 152'000, 4000, 0), 3999, 7000),
            Metrics::RrOutcome::kRttArithFail);
  EXPECT_EQ(m.on_receiver_report(rr_of(330, 320, 153'000, UINT32_MAX, 5), UINT32_MAX, 8000),
            Metrics::RrOutcome::kRttArithFail);
  EXPECT_EQ(m.on_receiver_report(rr_of(340, 330, 154'000, 0, 0), 9000, 9000),
            Metrics::RrOutcome::kNoEcho);
  EXPECT_EQ(m.rtt_samples, 2u);
  EXPECT_EQ(m.rtt_zero, 1u);
  EXPECT_EQ(m.rtt_arith_fail, 2u);
  EXPECT_EQ(m.stale, 2u);
  EXPECT_EQ(m.reports_seen, 8u);
}

TEST(LinkMmp, ReverseDeliveryEtxAndRekey) {
  // reference tests/state.rs test_reverse_delivery_delta / _rekey_reset
  Metrics m;
  m.update_reverse(100, 100);
  EXPECT_DOUBLE_EQ(m.delivery_reverse, 1.0);  // baseline only
  m.update_reverse(300, 300);
  EXPECT_DOUBLE_EQ(m.delivery_reverse, 1.0);
  m.update_reverse(350, 400);
  EXPECT_DOUBLE_EQ(m.delivery_reverse, 0.5);
  EXPECT_DOUBLE_EQ(m.etx, 2.0);
  m.on_rekey();
  m.update_reverse(50, 50);
  EXPECT_DOUBLE_EQ(m.delivery_reverse, 0.5);  // baseline again, ratio kept
  m.update_reverse(90, 100);
  EXPECT_DOUBLE_EQ(m.delivery_reverse, 0.8);
  EXPECT_DOUBLE_EQ(m.etx, 1.25);
}

TEST(LinkMmp, ReportIntervalsFollowSrtt) {
  // reference sender.rs / receiver.rs: 2x / 1x SRTT, floor 200 ms for the
  // first 5 samples, then 1 s; ceiling 5 s.
  SenderState s;
  ReceiverState r(32);
  EXPECT_EQ(s.interval_ms(), 200u);
  EXPECT_EQ(r.interval_ms(), 200u);
  s.update_interval(300'000);
  r.update_interval(300'000);
  EXPECT_EQ(s.interval_ms(), 600u);
  EXPECT_EQ(r.interval_ms(), 300u);
  for (int i = 0; i < 4; ++i) {
    s.update_interval(300'000);
    r.update_interval(300'000);
  }
  EXPECT_EQ(s.interval_ms(), 600u);  // 5th sample still cold
  s.update_interval(300'000);
  r.update_interval(300'000);
  EXPECT_EQ(s.interval_ms(), 1000u);
  EXPECT_EQ(r.interval_ms(), 1000u);
  s.update_interval(4'000'000);
  r.update_interval(4'000'000);
  EXPECT_EQ(s.interval_ms(), 5000u);
  EXPECT_EQ(r.interval_ms(), 4000u);
  // Due: only with new frames, and not before the interval.
  EXPECT_FALSE(s.due(0));
  s.on_sent(1, 0, 10);
  EXPECT_TRUE(s.due(0));  // never reported: at once
  (void)s.build(100);
  s.on_sent(2, 0, 10);
  EXPECT_FALSE(s.due(5099));
  EXPECT_TRUE(s.due(5100));
}

TEST(LinkMmp, ModesGateReports) {
  for (Mode mode : {Mode::kFull, Mode::kLightweight, Mode::kMinimal}) {
    LinkMmp m(mode, true, 32, 30'000);
    m.on_sent(1, 10, 100);
    m.on_recv(1, 10, 100, false, false, 10);
    EXPECT_EQ(m.sender_report_due(20), mode == Mode::kFull) << mode_name(mode);
    EXPECT_EQ(m.receiver_report_due(20), mode != Mode::kMinimal) << mode_name(mode);
  }
  EXPECT_STREQ(mode_name(Mode::kLightweight), "lightweight");
}

// Two peers: A sends 1 frame every 10 ms to B over a path with 20 ms one-way
// delay that drops every 10th frame; B answers with a frame every 10 ms
// (no loss). Reports travel the same path. After 20 s: SRTT ~40 ms, forward
// delivery 0.9, reverse 1.0 seen from A, ETX 1/0.9.
TEST(LinkMmp, TwoPeersOverLossyDelayedPath) {
  LinkMmp a(Mode::kFull, true, 32, 30'000), b(Mode::kFull, false, 32, 30'000);
  struct InFlight {
    uint64_t at;
    bool to_b;
    uint64_t counter;
    uint32_t ts;
    std::optional<ReceiverReport> rr;
  };
  std::vector<InFlight> wire;
  uint64_t ca = 0, cb = 0;
  auto send = [&](bool from_a, uint64_t now, std::optional<ReceiverReport> rr) {
    LinkMmp& me = from_a ? a : b;
    uint64_t& c = from_a ? ca : cb;
    const uint64_t counter = c++;
    me.on_sent(counter, static_cast<uint32_t>(now), 100);
    if (from_a && counter % 10 == 9) return;  // lost
    wire.push_back({now + 20, from_a, counter, static_cast<uint32_t>(now), rr});
  };
  for (uint64_t now = 0; now <= 20'000; ++now) {
    for (size_t i = 0; i < wire.size();) {
      if (wire[i].at > now) {
        ++i;
        continue;
      }
      const InFlight f = wire[i];
      wire.erase(wire.begin() + static_cast<long>(i));
      LinkMmp& dst = f.to_b ? b : a;
      dst.on_recv(f.counter, f.ts, 100, false, false, now);
      if (f.rr) dst.on_receiver_report(*f.rr, static_cast<uint32_t>(now), now);
    }
    if (now % 10 == 0) {
      send(true, now, std::nullopt);
      send(false, now, std::nullopt);
    }
    if (now % 1000 == 0) {  // the 1 s tick
      for (bool from_a : {true, false}) {
        LinkMmp& me = from_a ? a : b;
        if (me.receiver_report_due(now)) send(from_a, now, me.receiver.build(now));
      }
    }
  }
  ASSERT_TRUE(a.metrics.srtt_ms().has_value());
  EXPECT_NEAR(*a.metrics.srtt_ms(), 40.0, 1.0);
  EXPECT_NEAR(a.metrics.delivery_forward, 0.9, 0.02);
  EXPECT_DOUBLE_EQ(a.metrics.delivery_reverse, 1.0);
  EXPECT_NEAR(a.metrics.etx, 1.0 / 0.9, 0.03);
  EXPECT_NEAR(*a.metrics.smoothed_loss(), 0.1, 0.02);
  EXPECT_GT(a.metrics.goodput_bps, 8'000.0);  // ~90 frames x 100 B per second
  ASSERT_TRUE(b.metrics.srtt_ms().has_value());
  EXPECT_NEAR(*b.metrics.srtt_ms(), 40.0, 1.0);
  EXPECT_DOUBLE_EQ(b.metrics.delivery_forward, 1.0);
  EXPECT_NEAR(b.metrics.delivery_reverse, 0.9, 0.02);
  EXPECT_EQ(a.receiver.jitter_us(), 0u);  // constant delay
  EXPECT_EQ(b.sender.interval_ms(), 1000u);  // past cold start: 2 x 40 ms -> floor 1 s
}

}  // namespace
}  // namespace fips
