#include "proto/mmp/link_mmp.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace fips::mmp {

const char* mode_name(Mode m) {
  switch (m) {
    case Mode::kFull: return "full";
    case Mode::kLightweight: return "lightweight";
    case Mode::kMinimal: return "minimal";
  }
  return "full";
}

Mode mode_of(MmpMode m) {
  switch (m) {
    case MmpMode::kFull: return Mode::kFull;
    case MmpMode::kLightweight: return Mode::kLightweight;
    case MmpMode::kMinimal: return Mode::kMinimal;
  }
  return Mode::kFull;
}

// ---- estimators ----

void JitterEstimator::update(int32_t d) {
  const int64_t abs_d = std::llabs(static_cast<int64_t>(d));
  q4_ += abs_d - (q4_ >> 4);
}

void SrttEstimator::update(int64_t rtt_us) {
  if (!init_) {
    srtt_ = rtt_us;
    rttvar_ = rtt_us / 2;
    init_ = true;
    return;
  }
  const int64_t err = std::llabs(srtt_ - rtt_us);
  rttvar_ = rttvar_ - (rttvar_ >> 2) + (err >> 2);
  srtt_ = srtt_ - (srtt_ >> 3) + (rtt_us >> 3);
}

void DualEwma::update(double x) {
  if (!init_) {
    short_ = long_ = x;
    init_ = true;
    return;
  }
  short_ += kEwmaShortAlpha * (x - short_);
  long_ += kEwmaLongAlpha * (x - long_);
}

const char* trend_label(const DualEwma& e) {
  const double s = e.short_avg(), l = e.long_avg();
  if (!std::isfinite(s) || !std::isfinite(l) || l == 0.0) return "stable";
  const double ratio = s / l;
  if (ratio > 1.05) return "rising";
  if (ratio < 0.95) return "falling";
  return "stable";
}

OwdTrend::OwdTrend(size_t capacity) : ring_(std::clamp<size_t>(capacity, 1, kMaxOwdWindow)) {}

void OwdTrend::push(uint32_t seq, int64_t owd_us) {
  ring_[head_] = {seq, owd_us};
  head_ = (head_ + 1) % ring_.size();
  if (len_ < ring_.size()) ++len_;
}

int32_t OwdTrend::trend_us_per_sec() const {
  if (len_ < 2) return 0;
  // Oldest first, as the reference's deque (the sums are order-free, but the
  // floating-point rounding then matches too).
  const size_t start = (head_ + ring_.size() - len_) % ring_.size();
  double sx = 0, sy = 0;
  for (size_t i = 0; i < len_; ++i) {
    const auto& [x, y] = ring_[(start + i) % ring_.size()];
    sx += static_cast<double>(x);
    sy += static_cast<double>(y);
  }
  const double n = static_cast<double>(len_);
  const double mx = sx / n, my = sy / n;
  double num = 0, den = 0;
  for (size_t i = 0; i < len_; ++i) {
    const auto& [x, y] = ring_[(start + i) % ring_.size()];
    const double dx = static_cast<double>(x) - mx, dy = static_cast<double>(y) - my;
    num += dx * dy;
    den += dx * dx;
  }
  if (den < std::numeric_limits<double>::epsilon()) return 0;
  const double v = num / den * 1000.0;  // per-packet slope x1000, as the reference
  // Rust's `as i32` saturates (NaN -> 0); a C++ cast out of range is UB.
  if (std::isnan(v)) return 0;
  if (v >= 2147483647.0) return std::numeric_limits<int32_t>::max();
  if (v <= -2147483648.0) return std::numeric_limits<int32_t>::min();
  return static_cast<int32_t>(v);
}

double compute_etx(double df, double dr) {
  const double p = df * dr;
  if (p <= 0.0) return 100.0;
  return std::clamp(1.0 / p, 1.0, 100.0);
}

std::optional<uint64_t> SpinBit::observe(bool bit, uint64_t counter, uint64_t now_ms) {
  if (initiator_) {
    if (bit != value_) return std::nullopt;
    std::optional<uint64_t> rtt;
    if (last_edge_ms_) rtt = now_ms >= *last_edge_ms_ ? now_ms - *last_edge_ms_ : 0;
    last_edge_ms_ = now_ms;
    value_ = !value_;
    return rtt;
  }
  if (counter > highest_counter_) {
    highest_counter_ = counter;
    value_ = bit;
  }
  return std::nullopt;
}

// ---- sender ----

namespace {
uint32_t sat_add_u32(uint32_t a, size_t b) {
  const uint64_t s = uint64_t{a} + b;
  return s > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(s);
}

// reference sender.rs / receiver.rs update_report_interval_from_srtt (link:
// the floor is the cold-start interval for the first 5 samples, then 1 s)
// and update_report_interval_with_bounds (session: [500 ms, 10 s]).
uint64_t interval_from_srtt(const IntervalBounds& b, uint32_t& samples, int64_t srtt_us,
                            uint64_t factor, uint64_t current) {
  if (samples < UINT32_MAX) ++samples;
  if (srtt_us <= 0) return current;
  const uint64_t floor =
      b.cold_start_floor && samples <= kColdStartSamples ? b.cold_start_ms : b.min_ms;
  return std::clamp(static_cast<uint64_t>(srtt_us) * factor / 1000, floor, b.max_ms);
}

bool interval_due(bool has_data, const std::optional<uint64_t>& last, uint64_t interval,
                  uint64_t now) {
  if (!has_data) return false;
  if (!last) return true;
  return (now >= *last ? now - *last : 0) >= interval;
}
}  // namespace

void SenderState::on_sent(uint64_t counter, uint32_t ts, size_t bytes) {
  if (!has_data_) {
    start_counter_ = counter;
    start_ts_ = ts;
    has_data_ = true;
  }
  last_counter_ = counter;
  last_ts_ = ts;
  interval_bytes_ = sat_add_u32(interval_bytes_, bytes);
  ++cum_packets_;
  cum_bytes_ += bytes;
}

bool SenderState::due(uint64_t now) const {
  const uint64_t shift = std::min(send_failures_, kMaxSendFailureShift);
  return interval_due(has_data_, last_report_ms_, interval_ms_ << shift, now);
}

uint32_t SenderState::on_send_result(bool ok) {
  const uint32_t prev = send_failures_;
  if (ok) send_failures_ = 0;
  else if (send_failures_ < UINT32_MAX) ++send_failures_;
  return prev;
}

std::optional<SenderReport> SenderState::build(uint64_t now) {
  if (!has_data_) return std::nullopt;
  SenderReport r;
  r.interval_start_counter = start_counter_;
  r.interval_end_counter = last_counter_;
  r.interval_start_timestamp = start_ts_;
  r.interval_end_timestamp = last_ts_;
  r.interval_bytes_sent = interval_bytes_;
  r.cumulative_packets_sent = cum_packets_;
  r.cumulative_bytes_sent = cum_bytes_;
  has_data_ = false;
  interval_bytes_ = 0;
  last_report_ms_ = now;
  return r;
}

void SenderState::update_interval(int64_t srtt_us) {
  interval_ms_ = interval_from_srtt(bounds_, srtt_samples_, srtt_us, 2, interval_ms_);
}

// ---- receiver ----

void ReceiverState::on_recv(uint64_t counter, uint32_t sender_ts, size_t bytes, bool ce,
                            uint64_t now) {
  has_data_ = true;
  ++cum_packets_;
  cum_bytes_ += bytes;
  if (interval_packets_ < UINT32_MAX) ++interval_packets_;
  interval_bytes_ = sat_add_u32(interval_bytes_, bytes);

  if (counter < highest_) ++reorder_;
  else highest_ = counter;

  // Gap tracker: a counter beyond the expected one opens (or extends) a
  // burst; an in-order or late one closes it.
  if (!expected_next_) {
    expected_next_ = counter + 1;
  } else {
    const uint64_t expected = *expected_next_;
    if (counter > expected) {
      const uint64_t gap = counter - expected;
      if (in_burst_) {
        const uint64_t l = uint64_t{burst_len_} + static_cast<uint16_t>(gap);
        burst_len_ = l > UINT16_MAX ? UINT16_MAX : static_cast<uint16_t>(l);
      } else {
        in_burst_ = true;
        burst_len_ = static_cast<uint16_t>(gap);  // as the reference's `gap as u16`
        ++burst_count_;
      }
    } else if (in_burst_) {
      finish_burst();
    }
    if (counter >= expected) expected_next_ = counter + 1;
  }

  if (ce && ce_count_ < UINT32_MAX) ++ce_count_;

  const int64_t sender_us = int64_t{sender_ts} * 1000;
  const bool in_grace = jitter_grace_until_ms_ && now < *jitter_grace_until_ms_;
  if (!in_grace) {
    jitter_grace_until_ms_.reset();
    if (last_recv_ms_) {
      const int64_t recv_delta = static_cast<int64_t>(now >= *last_recv_ms_ ? now - *last_recv_ms_ : 0) * 1000;
      const int64_t send_delta = sender_us - int64_t{last_sender_ts_} * 1000;
      jitter_.update(static_cast<int32_t>(recv_delta - send_delta));  // truncating, as `as i32`
    }
  }

  // OWD: receive offset from the previous frame minus the sender timestamp;
  // only the slope matters, offsets cancel (reference receiver.rs).
  const uint64_t ref = last_recv_ms_ ? *last_recv_ms_ : now;
  const int64_t recv_off = static_cast<int64_t>(now >= ref ? now - ref : 0) * 1000;
  ++owd_seq_;
  owd_.push(owd_seq_, recv_off - sender_us);

  last_sender_ts_ = sender_ts;
  last_recv_ms_ = now;
}

void ReceiverState::finish_burst() {
  if (!in_burst_) return;
  max_burst_ = std::max(max_burst_, burst_len_);
  total_burst_ += burst_len_;
  in_burst_ = false;
  burst_len_ = 0;
}

bool ReceiverState::due(uint64_t now) const {
  return interval_due(has_data_, last_report_ms_, interval_ms_, now);
}

std::optional<ReceiverReport> ReceiverState::build(uint64_t now) {
  if (!has_data_) return std::nullopt;
  ReceiverReport r;
  if (last_recv_ms_) {
    const uint64_t dwell = now >= *last_recv_ms_ ? now - *last_recv_ms_ : 0;
    if (dwell > UINT16_MAX) {  // too old to give an RTT: no echo
      r.timestamp_echo = 0;
      r.dwell_time = UINT16_MAX;
    } else {
      r.timestamp_echo = last_sender_ts_;
      r.dwell_time = static_cast<uint16_t>(dwell);
    }
  }
  finish_burst();
  r.burst_loss_count = burst_count_;
  r.max_burst_loss = max_burst_;
  r.mean_burst_loss =
      burst_count_ ? static_cast<uint16_t>(std::min(
                         static_cast<double>(total_burst_) / burst_count_ * 256.0, 65535.0))
                   : 0;
  burst_count_ = 0;
  max_burst_ = 0;
  total_burst_ = 0;
  r.highest_counter = highest_;
  r.cumulative_packets_recv = cum_packets_;
  r.cumulative_bytes_recv = cum_bytes_;
  r.jitter = jitter_.jitter_us();
  r.ecn_ce_count = ce_count_;
  r.owd_trend = owd_.trend_us_per_sec();
  r.cumulative_reorder_count = static_cast<uint32_t>(reorder_);
  r.interval_packets_recv = interval_packets_;
  r.interval_bytes_recv = interval_bytes_;
  interval_packets_ = 0;
  interval_bytes_ = 0;
  has_data_ = false;
  last_report_ms_ = now;
  return r;
}

void ReceiverState::update_interval(int64_t srtt_us) {
  interval_ms_ = interval_from_srtt(bounds_, srtt_samples_, srtt_us, 1, interval_ms_);
}

void ReceiverState::on_rekey(uint64_t now) {
  // The new session's counters start again at 0; lifetime packet/byte
  // totals and the report schedule stay (reference receiver.rs).
  highest_ = 0;
  reorder_ = 0;
  expected_next_.reset();
  in_burst_ = false;
  burst_len_ = max_burst_ = 0;
  burst_count_ = 0;
  total_burst_ = 0;
  interval_packets_ = interval_bytes_ = 0;
  jitter_ = JitterEstimator{};
  owd_.clear();
  owd_seq_ = 0;
  last_sender_ts_ = 0;
  last_recv_ms_.reset();
  jitter_grace_until_ms_ = now + kRekeyJitterGraceMs;
  ce_count_ = 0;
  has_data_ = false;
}

// ---- metrics ----

Metrics::RrOutcome Metrics::on_receiver_report(const ReceiverReport& rr, uint32_t our_ts,
                                               uint64_t now) {
  ++reports_seen;
  if (has_prev_) {
    const bool regressed = rr.highest_counter < prev_highest_ ||
                           rr.cumulative_packets_recv < prev_packets_ ||
                           rr.cumulative_bytes_recv < prev_bytes_ || rr.ecn_ce_count < prev_ce_ ||
                           rr.cumulative_reorder_count < prev_reorder_;
    const bool duplicate = rr.highest_counter == prev_highest_ &&
                           rr.cumulative_packets_recv == prev_packets_ &&
                           rr.cumulative_bytes_recv == prev_bytes_ && rr.ecn_ce_count == prev_ce_ &&
                           rr.cumulative_reorder_count == prev_reorder_;
    if (regressed || duplicate) {
      ++stale;
      return RrOutcome::kStale;
    }
  }

  RrOutcome out = RrOutcome::kNoEcho;
  if (rr.timestamp_echo > 0) {
    // RTT = now - echoed timestamp - dwell, in u32 ms with checked arithmetic.
    const uint64_t done = uint64_t{rr.timestamp_echo} + rr.dwell_time;
    if (done > UINT32_MAX || our_ts < done) {
      ++rtt_arith_fail;
      out = RrOutcome::kRttArithFail;
    } else if (our_ts == done) {
      ++rtt_zero;
      out = RrOutcome::kRttZero;
    } else {
      const int64_t rtt_us = int64_t{our_ts - static_cast<uint32_t>(done)} * 1000;
      ++rtt_samples;
      last_rtt_ms = our_ts - static_cast<uint32_t>(done);
      srtt.update(rtt_us);
      rtt_trend.update(static_cast<double>(rtt_us));
      out = RrOutcome::kRttSample;
    }
  }

  if (has_prev_) {
    const uint64_t span = rr.highest_counter - prev_highest_;  // not regressed: >= 0
    const uint64_t got = rr.cumulative_packets_recv - prev_packets_;
    if (span > 0) {
      delivery_forward = std::clamp(static_cast<double>(got) / static_cast<double>(span), 0.0, 1.0);
      loss_trend.update(1.0 - delivery_forward);
      etx = compute_etx(delivery_forward, delivery_reverse);
      etx_trend.update(etx);
    }
    const uint64_t bytes = rr.cumulative_bytes_recv - prev_bytes_;
    goodput_trend.update(static_cast<double>(bytes));
    if (prev_rr_ms_) {
      const double secs = static_cast<double>(now >= *prev_rr_ms_ ? now - *prev_rr_ms_ : 0) / 1000.0;
      if (secs > 0.0) {
        const double bps = static_cast<double>(bytes) / secs;
        if (goodput_bps == 0.0) goodput_bps = bps;
        else goodput_bps += (bps - goodput_bps) * 0.25;
      }
    }
  }
  jitter_trend.update(static_cast<double>(rr.jitter));

  prev_packets_ = rr.cumulative_packets_recv;
  prev_bytes_ = rr.cumulative_bytes_recv;
  prev_highest_ = rr.highest_counter;
  prev_ce_ = rr.ecn_ce_count;
  prev_reorder_ = rr.cumulative_reorder_count;
  prev_rr_ms_ = now;
  has_prev_ = true;
  return out;
}

void Metrics::update_reverse(uint64_t our_recv_packets, uint64_t peer_highest) {
  if (has_prev_rev_) {
    const uint64_t span = peer_highest > prev_rev_highest_ ? peer_highest - prev_rev_highest_ : 0;
    const uint64_t got =
        our_recv_packets > prev_rev_packets_ ? our_recv_packets - prev_rev_packets_ : 0;
    if (span > 0) {
      delivery_reverse = std::clamp(static_cast<double>(got) / static_cast<double>(span), 0.0, 1.0);
      etx = compute_etx(delivery_forward, delivery_reverse);
      etx_trend.update(etx);
    }
  }
  prev_rev_packets_ = our_recv_packets;
  prev_rev_highest_ = peer_highest;
  has_prev_rev_ = true;
}

void Metrics::on_rekey() {
  // Counter-derived baselines restart with the new session; SRTT, ETX,
  // trends and goodput stay (reference metrics.rs reset_for_rekey).
  prev_packets_ = prev_bytes_ = prev_highest_ = 0;
  prev_ce_ = prev_reorder_ = 0;
  prev_rr_ms_.reset();
  has_prev_ = false;
  delivery_forward = 1.0;
  prev_rev_packets_ = prev_rev_highest_ = 0;
  has_prev_rev_ = false;
}

std::optional<double> Metrics::srtt_ms() const {
  if (!srtt.initialized()) return std::nullopt;
  return static_cast<double>(srtt.srtt_us()) / 1000.0;
}
std::optional<double> Metrics::smoothed_loss() const {
  if (!loss_trend.initialized()) return std::nullopt;
  return loss_trend.long_avg();
}
std::optional<double> Metrics::smoothed_etx() const {
  if (!etx_trend.initialized()) return std::nullopt;
  return etx_trend.long_avg();
}

// ---- per peer ----

Metrics::RrOutcome MmpState::on_receiver_report(const ReceiverReport& rr, uint32_t our_ts,
                                               uint64_t now) {
  const Metrics::RrOutcome o = metrics.on_receiver_report(rr, our_ts, now);
  // reference handlers/mmp.rs: whatever the outcome (a stale report too), the
  // SRTT (as f64 ms, back to µs) drives both report intervals; then the
  // reverse ratio from our own receiver state.
  if (auto s = metrics.srtt_ms()) {
    const auto srtt_us = static_cast<int64_t>(*s * 1000.0);
    sender.update_interval(srtt_us);
    receiver.update_interval(srtt_us);
  }
  metrics.update_reverse(receiver.packets(), receiver.highest_counter());
  return o;
}

}  // namespace fips::mmp
