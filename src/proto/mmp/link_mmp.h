// MMP (metrics measurement protocol), sans-I/O: the state one endpoint keeps
// for one peer link (FMP) or one end-to-end session (FSP). It watches every
// encrypted frame / session message sent and received, builds the
// SenderReport / ReceiverReport the other end gets, and turns the other end's
// ReceiverReports into RTT (timestamp echo), SRTT/RTTVAR, forward and
// reverse delivery ratio, ETX, goodput, smoothed values and trends. Both
// layers use the same MmpState; they differ only in the report-interval
// bounds (IntervalBounds: link [1 s, 5 s] after a 200 ms cold start, session
// [500 ms, 10 s] after a 1 s cold start) and in that session SenderStates
// back off after failed sends (reference sender.rs, fips-mmp.md "Send
// Failure Backoff").
//
// Driven by the FMP link layer (node/link_layer*.cc) and the FSP session core
// (proto/fsp/session_data.cc, session_timers.cc): on_sent() after each
// frame leaves, on_recv() after each frame authenticates, the due checks and
// build_*_report() from the 1 s tick, on_receiver_report() when the peer's
// report arrives, on_rekey() at K-bit cutover. Time is passed in as
// monotonic milliseconds; nothing here reads a clock, logs or allocates after
// construction (the OWD ring is sized once from node.{,session_}mmp.owd_window_size).
//
// Behaviour as in docs/spec/mmp.md (§1 counting, §2 reports, §3 receiver
// estimators, §4 metrics, §5 spin bit), i.e. the reference's algorithms and
// constants: RFC 3550 jitter (x16 integer), RFC 6298 SRTT
// (integer µs, alpha 1/8, beta 1/4), dual EWMA (1/4 and 1/32), OWD slope by
// least squares over the last N samples scaled x1000, ETX = 1/(df*dr) in
// [1, 100], report interval 2xSRTT (sender) / 1xSRTT (receiver) clamped to
// [1 s, 5 s] after 5 samples and [200 ms, 5 s] before.
//
// Not here: the report codecs (proto/mmp/wire.h), session-layer MMP, link
// cost in parent selection, ECN marking of our own congestion, history
// rings, the spin-bit RTT (the reference computes and discards it; we only
// keep the bit so the peer sees the same edges).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "config/config.h"
#include "proto/mmp/wire.h"

namespace fips::mmp {

enum class Mode : uint8_t { kFull, kLightweight, kMinimal };
const char* mode_name(Mode m);  // full | lightweight | minimal
Mode mode_of(MmpMode configured);  // node.mmp.mode / node.session_mmp.mode

// reference src/proto/mmp/limits.rs
inline constexpr double kEwmaShortAlpha = 0.25;
inline constexpr double kEwmaLongAlpha = 1.0 / 32.0;
inline constexpr uint64_t kColdStartIntervalMs = 200;
inline constexpr uint64_t kMinReportIntervalMs = 1'000;
inline constexpr uint64_t kMaxReportIntervalMs = 5'000;
inline constexpr uint32_t kColdStartSamples = 5;
inline constexpr size_t kDefaultOwdWindow = 32;
inline constexpr size_t kMaxOwdWindow = 4096;  // ours: bound on a configured window
// reference receiver.rs REKEY_JITTER_GRACE_SECS: drain window (10 s) + 5 s.
inline constexpr uint64_t kRekeyJitterGraceMs = 15'000;
// Session layer (reference limits.rs MIN/MAX_SESSION_REPORT_INTERVAL_MS,
// SESSION_COLD_START_INTERVAL_MS): reports cross every transit link.
inline constexpr uint64_t kSessionMinReportIntervalMs = 500;
inline constexpr uint64_t kSessionMaxReportIntervalMs = 10'000;
inline constexpr uint64_t kSessionColdStartIntervalMs = 1'000;
// Send-failure backoff: the interval doubles per consecutive failure, up to 32x.
inline constexpr uint32_t kMaxSendFailureShift = 5;

// Report interval policy: cold_start_ms until the first SRTT, then
// factor x SRTT clamped to [floor, max_ms], floor being cold_start_ms for
// the first kColdStartSamples SRTT updates when cold_start_floor is set
// (link layer), else min_ms (session layer, which clamps to its bounds
// from the first sample: reference handlers/session.rs).
struct IntervalBounds {
  uint64_t cold_start_ms, min_ms, max_ms;
  bool cold_start_floor;
};
inline constexpr IntervalBounds kLinkIntervals{kColdStartIntervalMs, kMinReportIntervalMs,
                                               kMaxReportIntervalMs, true};
inline constexpr IntervalBounds kSessionIntervals{kSessionColdStartIntervalMs,
                                                  kSessionMinReportIntervalMs,
                                                  kSessionMaxReportIntervalMs, false};

// ---- estimators ----

class JitterEstimator {  // RFC 3550 §6.4.1, J += (|D| - J)/16, kept x16
 public:
  void update(int32_t transit_delta_us);
  [[nodiscard]] uint32_t jitter_us() const { return static_cast<uint32_t>(q4_ >> 4); }

 private:
  int64_t q4_ = 0;
};

class SrttEstimator {  // RFC 6298, integer microseconds
 public:
  void update(int64_t rtt_us);
  [[nodiscard]] int64_t srtt_us() const { return srtt_; }
  [[nodiscard]] int64_t rttvar_us() const { return rttvar_; }
  [[nodiscard]] bool initialized() const { return init_; }

 private:
  int64_t srtt_ = 0, rttvar_ = 0;
  bool init_ = false;
};

class DualEwma {  // short (1/4) and long (1/32) averages of one metric
 public:
  void update(double sample);
  [[nodiscard]] double short_avg() const { return short_; }
  [[nodiscard]] double long_avg() const { return long_; }
  [[nodiscard]] bool initialized() const { return init_; }

 private:
  double short_ = 0, long_ = 0;
  bool init_ = false;
};

// "rising" / "falling" / "stable": short vs long beyond ±5 % (reference
// control/queries.rs trend_label).
const char* trend_label(const DualEwma& e);

class OwdTrend {  // least-squares slope of (seq, owd_us) over a ring, x1000
 public:
  explicit OwdTrend(size_t capacity);
  void push(uint32_t seq, int64_t owd_us);
  void clear() { len_ = head_ = 0; }
  [[nodiscard]] int32_t trend_us_per_sec() const;
  [[nodiscard]] size_t size() const { return len_; }

 private:
  std::vector<std::pair<uint32_t, int64_t>> ring_;
  size_t head_ = 0, len_ = 0;
};

// 1 / (df * dr) clamped to [1, 100]; 100 when either ratio is 0.
double compute_etx(double d_forward, double d_reverse);

class SpinBit {  // initiator flips on each echoed edge; responder reflects
 public:
  explicit SpinBit(bool initiator) : initiator_(initiator) {}
  [[nodiscard]] bool initiator() const { return initiator_; }
  [[nodiscard]] bool tx_bit() const { return value_; }
  // Returns an RTT sample (ms) on an initiator edge after the first.
  std::optional<uint64_t> observe(bool bit, uint64_t counter, uint64_t now_ms);

 private:
  bool initiator_;
  bool value_ = false;
  uint64_t highest_counter_ = 0;
  std::optional<uint64_t> last_edge_ms_;
};

// ---- per-direction state ----

class SenderState {  // what we sent: the source of our SenderReports
 public:
  explicit SenderState(const IntervalBounds& b = kLinkIntervals)
      : bounds_(b), interval_ms_(b.cold_start_ms) {}
  void on_sent(uint64_t counter, uint32_t timestamp_ms, size_t bytes);
  [[nodiscard]] bool due(uint64_t now_ms) const;
  std::optional<SenderReport> build(uint64_t now_ms);  // resets the interval
  void update_interval(int64_t srtt_us);               // 2 x SRTT, clamped
  // Send-failure backoff (session layer): the due interval is multiplied by
  // 2^failures (at most 32x) until a send succeeds. Returns the previous
  // consecutive-failure count.
  uint32_t on_send_result(bool ok);
  [[nodiscard]] uint32_t send_failures() const { return send_failures_; }
  [[nodiscard]] uint64_t interval_ms() const { return interval_ms_; }
  [[nodiscard]] uint64_t packets() const { return cum_packets_; }
  [[nodiscard]] uint64_t bytes() const { return cum_bytes_; }

 private:
  IntervalBounds bounds_;
  uint64_t cum_packets_ = 0, cum_bytes_ = 0;
  uint64_t start_counter_ = 0, last_counter_ = 0;
  uint32_t start_ts_ = 0, last_ts_ = 0, interval_bytes_ = 0;
  bool has_data_ = false;
  std::optional<uint64_t> last_report_ms_;
  uint64_t interval_ms_;
  uint32_t srtt_samples_ = 0;
  uint32_t send_failures_ = 0;
};

class ReceiverState {  // what the peer sent us: the source of our ReceiverReports
 public:
  explicit ReceiverState(size_t owd_window, const IntervalBounds& b = kLinkIntervals)
      : bounds_(b), owd_(owd_window), interval_ms_(b.cold_start_ms) {}
  void on_recv(uint64_t counter, uint32_t sender_ts_ms, size_t bytes, bool ce, uint64_t now_ms);
  [[nodiscard]] bool due(uint64_t now_ms) const;
  std::optional<ReceiverReport> build(uint64_t now_ms);  // resets the interval
  void update_interval(int64_t srtt_us);                 // 1 x SRTT, clamped
  void on_rekey(uint64_t now_ms);  // counters restart; jitter paused 15 s
  [[nodiscard]] uint64_t interval_ms() const { return interval_ms_; }
  [[nodiscard]] uint64_t packets() const { return cum_packets_; }
  [[nodiscard]] uint64_t bytes() const { return cum_bytes_; }
  [[nodiscard]] uint64_t highest_counter() const { return highest_; }
  [[nodiscard]] uint32_t jitter_us() const { return jitter_.jitter_us(); }
  [[nodiscard]] uint32_t ecn_ce_count() const { return ce_count_; }

 private:
  IntervalBounds bounds_;
  uint64_t cum_packets_ = 0, cum_bytes_ = 0, reorder_ = 0, highest_ = 0;
  uint32_t interval_packets_ = 0, interval_bytes_ = 0, ce_count_ = 0;
  JitterEstimator jitter_;
  OwdTrend owd_;
  uint32_t owd_seq_ = 0;
  // gap tracker (burst loss): per-interval stats reset by build()
  std::optional<uint64_t> expected_next_;
  bool in_burst_ = false;
  uint16_t burst_len_ = 0, max_burst_ = 0;
  uint32_t burst_count_ = 0;
  uint64_t total_burst_ = 0;
  uint32_t last_sender_ts_ = 0;
  std::optional<uint64_t> last_recv_ms_;
  std::optional<uint64_t> jitter_grace_until_ms_;
  bool has_data_ = false;
  std::optional<uint64_t> last_report_ms_;
  uint64_t interval_ms_;
  uint32_t srtt_samples_ = 0;
  void finish_burst();
};

// Derived metrics, from the peer's ReceiverReports about our frames and our
// own receiver state about theirs.
class Metrics {
 public:
  enum class RrOutcome : uint8_t { kStale, kRttSample, kRttZero, kRttArithFail, kNoEcho };
  // our_ts_ms: our current session-relative timestamp (what we stamp now).
  RrOutcome on_receiver_report(const ReceiverReport& rr, uint32_t our_ts_ms, uint64_t now_ms);
  void update_reverse(uint64_t our_recv_packets, uint64_t peer_highest);
  void on_rekey();

  SrttEstimator srtt;
  DualEwma rtt_trend, loss_trend, goodput_trend, jitter_trend, etx_trend;
  double delivery_forward = 1.0, delivery_reverse = 1.0, etx = 1.0, goodput_bps = 0.0;
  uint64_t reports_seen = 0, rtt_samples = 0, rtt_zero = 0, rtt_arith_fail = 0, stale = 0;
  std::optional<uint32_t> last_rtt_ms;  // the latest accepted sample, unsmoothed (probes)

  [[nodiscard]] std::optional<double> srtt_ms() const;
  [[nodiscard]] double loss_rate() const { return 1.0 - delivery_forward; }
  [[nodiscard]] std::optional<double> smoothed_loss() const;
  [[nodiscard]] std::optional<double> smoothed_etx() const;
  [[nodiscard]] uint32_t last_ecn_ce() const { return prev_ce_; }

 private:
  uint64_t prev_packets_ = 0, prev_bytes_ = 0, prev_highest_ = 0;
  uint32_t prev_ce_ = 0, prev_reorder_ = 0;
  std::optional<uint64_t> prev_rr_ms_;
  bool has_prev_ = false;
  uint64_t prev_rev_packets_ = 0, prev_rev_highest_ = 0;
  bool has_prev_rev_ = false;
};

// Everything MMP keeps for one peer link or one session.
class MmpState {
 public:
  MmpState(Mode mode, bool initiator, size_t owd_window, uint64_t log_interval_ms,
           const IntervalBounds& bounds = kLinkIntervals)
      : sender(bounds), receiver(owd_window, bounds), spin(initiator), mode_(mode),
        log_interval_ms_(log_interval_ms) {}

  // Every encrypted frame / session message (reports included).
  void on_sent(uint64_t counter, uint32_t ts_ms, size_t wire_bytes) {
    sender.on_sent(counter, ts_ms, wire_bytes);
  }
  void on_recv(uint64_t counter, uint32_t sender_ts_ms, size_t wire_bytes, bool ce, bool sp,
               uint64_t now_ms) {
    receiver.on_recv(counter, sender_ts_ms, wire_bytes, ce, now_ms);
    (void)spin.observe(sp, counter, now_ms);
  }
  // Which reports the tick should send now (reference core.rs
  // plan_link_reports): SenderReport in full mode, ReceiverReport in full and
  // lightweight, none in minimal; each only with new frames since the last.
  [[nodiscard]] bool sender_report_due(uint64_t now_ms) const {
    return mode_ == Mode::kFull && sender.due(now_ms);
  }
  [[nodiscard]] bool receiver_report_due(uint64_t now_ms) const {
    return mode_ != Mode::kMinimal && receiver.due(now_ms);
  }
  // The peer's SenderReport: informational in the reference (decoded, not used).
  void on_sender_report(const SenderReport&) { ++sender_reports_seen; }
  // The peer's ReceiverReport about our frames: RTT, loss, goodput, then the
  // report intervals follow SRTT and the reverse ratio is refreshed.
  Metrics::RrOutcome on_receiver_report(const ReceiverReport& rr, uint32_t our_ts_ms,
                                        uint64_t now_ms);
  void on_rekey(uint64_t now_ms) {
    receiver.on_rekey(now_ms);
    metrics.on_rekey();
  }
  [[nodiscard]] bool log_due(uint64_t now_ms) const {
    return !last_log_ms_ || now_ms - *last_log_ms_ >= log_interval_ms_;
  }
  void mark_logged(uint64_t now_ms) { last_log_ms_ = now_ms; }
  [[nodiscard]] Mode mode() const { return mode_; }

  SenderState sender;
  ReceiverState receiver;
  Metrics metrics;
  SpinBit spin;
  uint64_t sender_reports_seen = 0;

 private:
  Mode mode_;
  uint64_t log_interval_ms_;
  std::optional<uint64_t> last_log_ms_;
};

using LinkMmp = MmpState;
using SessionMmp = MmpState;

}  // namespace fips::mmp
