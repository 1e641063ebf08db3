// MMP core (proto/mmp/link_mmp.h), link or session bounds, driven by
// arbitrary event streams: frames sent and received with any counters,
// timestamps, sizes and flags, clock steps (never backwards), reports built,
// arbitrary bytes decoded as a peer's link or session ReceiverReport /
// SenderReport, rekeys, failed and successful report sends (session
// backoff). Any input: no crash, no UB, and the metrics stay in range
// (ratios in [0, 1], ETX in [1, 100], finite goodput, SRTT >= 0, intervals
// within the layer's bounds: link [200 ms, 5 s], session [500 ms, 10 s]).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "proto/mmp/link_mmp.h"

using namespace fips;

namespace {

struct In {
  const uint8_t* p;
  size_t n;
  template <class T>
  T take() {
    T v{};
    const size_t k = n < sizeof v ? n : sizeof v;
    std::memcpy(&v, p, k);
    p += k;
    n -= k;
    return v;
  }
};

void check(const mmp::MmpState& m, const mmp::IntervalBounds& b) {
  const mmp::Metrics& x = m.metrics;
  auto ratio = [](double r) { return r >= 0.0 && r <= 1.0; };
  if (!ratio(x.delivery_forward) || !ratio(x.delivery_reverse)) std::abort();
  if (!(x.etx >= 1.0 && x.etx <= 100.0)) std::abort();
  if (!std::isfinite(x.goodput_bps) || x.goodput_bps < 0.0) std::abort();
  if (x.srtt.initialized() && x.srtt.srtt_us() < 0) std::abort();
  if (auto e = x.smoothed_etx(); e && !(*e >= 1.0 && *e <= 100.0)) std::abort();
  if (auto l = x.smoothed_loss(); l && !(*l >= 0.0 && *l <= 1.0)) std::abort();
  for (uint64_t iv : {m.sender.interval_ms(), m.receiver.interval_ms()})
    if (iv < std::min(b.cold_start_ms, b.min_ms) || iv > b.max_ms) std::abort();
  (void)mmp::trend_label(x.rtt_trend);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  In in{data, size};
  const uint8_t setup = in.take<uint8_t>();
  const mmp::IntervalBounds& bounds =
      in.take<uint8_t>() & 1 ? mmp::kSessionIntervals : mmp::kLinkIntervals;
  mmp::MmpState m(static_cast<mmp::Mode>(setup % 3), (setup & 4) != 0,
                  static_cast<size_t>(1 + (setup >> 3)), 30'000, bounds);
  uint64_t now = 0;
  while (in.n > 0) {
    const uint8_t op = in.take<uint8_t>();
    switch (op % 10) {
      case 0:
        m.on_sent(in.take<uint64_t>(), in.take<uint32_t>(), in.take<uint16_t>());
        break;
      case 1: {
        const uint8_t f = in.take<uint8_t>();
        m.on_recv(in.take<uint64_t>(), in.take<uint32_t>(), in.take<uint16_t>(), f & 1, f & 2, now);
        break;
      }
      case 2:
        now += in.take<uint16_t>();
        break;
      case 3:
        if (m.sender_report_due(now)) (void)m.sender.build(now);
        if (m.receiver_report_due(now)) (void)m.receiver.build(now);
        break;
      case 4: {
        const size_t k = in.n < mmp::kLinkReceiverReportSize ? in.n : mmp::kLinkReceiverReportSize;
        auto r = mmp::decode_link_receiver_report(ByteSpan(in.p, k));
        in.p += k;
        in.n -= k;
        if (r.ok()) (void)m.on_receiver_report(*r, in.take<uint32_t>(), now);
        break;
      }
      case 5: {
        mmp::ReceiverReport r;  // a well-formed report with fuzzed fields
        r.highest_counter = in.take<uint64_t>();
        r.cumulative_packets_recv = in.take<uint64_t>();
        r.cumulative_bytes_recv = in.take<uint64_t>();
        r.timestamp_echo = in.take<uint32_t>();
        r.dwell_time = in.take<uint16_t>();
        r.jitter = in.take<uint32_t>();
        r.ecn_ce_count = in.take<uint8_t>();
        (void)m.on_receiver_report(r, in.take<uint32_t>(), now);
        break;
      }
      case 6:
        m.on_rekey(now);
        break;
      case 7: {
        const size_t k = in.n < mmp::kLinkSenderReportSize ? in.n : mmp::kLinkSenderReportSize;
        if (auto r = mmp::decode_link_sender_report(ByteSpan(in.p, k)); r.ok()) m.on_sender_report(*r);
        in.p += k;
        in.n -= k;
        break;
      }
      case 8:
        (void)m.sender.on_send_result(in.take<uint8_t>() & 1);
        break;
      case 9: {  // a session report body (no msg_type byte)
        const size_t k = in.n < mmp::kSessionReceiverReportSize ? in.n : mmp::kSessionReceiverReportSize;
        auto r = mmp::decode_session_receiver_report(ByteSpan(in.p, k));
        in.p += k;
        in.n -= k;
        if (r.ok()) (void)m.on_receiver_report(*r, in.take<uint32_t>(), now);
        break;
      }
    }
    check(m, bounds);
  }
  return 0;
}
