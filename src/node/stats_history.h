// Metric history: what the node looked like over the last hour at 1 s
// resolution and over the last day at 1 min resolution, for the control
// socket's show_stats_* queries, show_status.sparklines, `fipsctl stats
// history` and fipstop's Graphs tab. Windows, metric names, units, the
// fast-to-slow reductions, NaN gaps and per-peer retention follow the
// reference (src/node/stats_history.rs); the tables are bounded here.
//
// Driven by the daemon's 1 s tick: tick(now_ms, node sample, peer samples)
// with time passed in, no clock and no I/O here. Counters arrive as running
// totals and are stored as per-tick deltas (a counter that goes down, as a
// peer's link counters do after a reconnect, gives a gap); gauges are stored
// as they are. Every 60 ticks each metric's last minute folds into one slow
// sample (last value, sum or mean by metric; gaps skipped; all-gap minutes
// stay gaps). A peer first seen late is back-filled with gaps so all rings
// share one time axis; a peer absent from a tick gets a gap; a peer absent
// for 24 h is forgotten.
//
// Bounds and memory: every ring is a fixed array of doubles, 3,600 fast +
// 1,440 slow = 40,320 bytes. The node's 10 metrics take 403,200 bytes
// (allocated at construction); each tracked peer's 7 metrics take 282,240
// bytes, allocated the first time its slot is used and reused after, so
// nothing is allocated per tick once the slots in use exist. At most
// `max_peers` peers are tracked (the daemon passes its peer-table limit, at
// most 128, plus 32 slots for recently departed peers): a newcomer to a full table takes the
// slot of the longest-absent departed peer (`peers_replaced`), and if every
// tracked peer is present it is not tracked (`peers_refused`). The
// reference keeps departed peers for 24 h without a bound.
//
// Not here: the JSON replies (control/queries_stats.h), where the samples
// come from (daemon/stats_sampler.cc).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "identity/node_addr.h"
#include "util/result.h"

namespace fips::stats {

inline constexpr size_t kFastCapacity = 3600;  // 1 s x 1 h
inline constexpr size_t kSlowCapacity = 1440;  // 1 min x 24 h
inline constexpr size_t kDownsample = 60;      // fast samples per slow sample
inline constexpr uint64_t kPeerRetentionSecs = 24 * 3600;

enum class Aggregation : uint8_t { kLast, kSum, kMean };

// Node-level metrics, in the reference's order (show_stats_list, Graphs).
enum class Metric : uint8_t {
  kMeshSize,
  kTreeDepth,
  kPeerCount,
  kParentSwitches,
  kBytesIn,
  kBytesOut,
  kPacketsIn,
  kPacketsOut,
  kLossRate,
  kActiveSessions,
};
inline constexpr size_t kMetricCount = 10;

// Per-peer metrics, in the reference's order.
enum class PeerMetric : uint8_t {
  kSrttMs,
  kLossRate,
  kBytesIn,
  kBytesOut,
  kPacketsIn,
  kPacketsOut,
  kEcnCe,
};
inline constexpr size_t kPeerMetricCount = 7;

struct MetricInfo {
  std::string_view name;
  std::string_view unit;
  Aggregation aggregation;
};
const MetricInfo& info(Metric m);
const MetricInfo& info(PeerMetric m);

// The reference's parse errors: "unknown metric: x", "unknown peer metric: x",
// "unknown granularity: x (expected 1s or 1m)".
[[nodiscard]] Result<Metric, std::string> parse_metric(std::string_view s);
[[nodiscard]] Result<PeerMetric, std::string> parse_peer_metric(std::string_view s);

enum class Granularity : uint8_t { kFast, kSlow };
inline constexpr uint64_t seconds(Granularity g) { return g == Granularity::kFast ? 1 : 60; }
[[nodiscard]] Result<Granularity, std::string> parse_granularity(std::string_view s);
// "<N>s" / "<N>m" / "<N>h" in seconds (reference parse_duration): "empty
// duration", "invalid duration: x", "unknown duration unit: u (expected s, m, h)".
[[nodiscard]] Result<uint64_t, std::string> parse_window(std::string_view s);

// One tick's node state. Totals are running counters.
struct NodeSample {
  std::optional<uint64_t> mesh_size;  // none = 0, as the reference
  uint64_t tree_depth = 0;
  uint64_t peer_count = 0;
  uint64_t parent_switches_total = 0;
  uint64_t bytes_in_total = 0, bytes_out_total = 0;
  uint64_t packets_in_total = 0, packets_out_total = 0;
  double loss_rate = 0;  // mean over peers with link MMP
  uint64_t active_sessions = 0;
};

// One present peer at this tick. srtt / loss unset before link MMP has them.
struct PeerSample {
  NodeAddr addr;
  std::optional<double> srtt_ms;
  std::optional<double> loss_rate;
  uint64_t bytes_in_total = 0, bytes_out_total = 0;
  uint64_t packets_in_total = 0, packets_out_total = 0;
  uint64_t ecn_ce_total = 0;
};

// A fixed-capacity ring of doubles (NaN = gap), oldest first.
class Ring {
 public:
  explicit Ring(size_t capacity) : buf_(capacity) {}
  void push(double v);
  void clear() { head_ = len_ = 0; }
  [[nodiscard]] size_t size() const { return len_; }
  [[nodiscard]] size_t capacity() const { return buf_.size(); }
  [[nodiscard]] double at(size_t i) const { return buf_[(head_ + i) % buf_.size()]; }  // 0 = oldest
  [[nodiscard]] double back() const { return at(len_ - 1); }

 private:
  std::vector<double> buf_;
  size_t head_ = 0, len_ = 0;
};

// One metric: fast and slow rings, the current minute's accumulator and the
// previous counter total.
class MetricRings {
 public:
  explicit MetricRings(Aggregation a) : agg_(a) {}
  void push_fast(double v);
  void flush_slow();  // fold the accumulated minute into one slow sample
  void reset(size_t fast_gaps, size_t slow_gaps);
  // total - previous, or NaN on the first sample or when the total went down.
  double delta_or_gap(uint64_t total);
  // Node counters: 0 on the first sample, never negative (reference node_delta).
  double delta_from_zero(uint64_t total);
  void forget_total() { prev_total_.reset(); }
  [[nodiscard]] const Ring& ring(Granularity g) const { return g == Granularity::kFast ? fast_ : slow_; }

 private:
  Ring fast_{kFastCapacity}, slow_{kSlowCapacity};
  Aggregation agg_;
  double sum_ = 0, last_ = 0;
  uint32_t count_ = 0, total_ = 0;  // non-gap samples / all samples this minute
  std::optional<uint64_t> prev_total_;
};

struct HistoryCounters {
  uint64_t ticks = 0;
  uint64_t peers_tracked = 0;   // peers that got rings
  uint64_t peers_expired = 0;   // absent for 24 h
  uint64_t peers_replaced = 0;  // a departed peer's slot taken by a newcomer
  uint64_t peers_refused = 0;   // newcomer ticks with every slot held by a present peer
};

class StatsHistory {
 public:
  explicit StatsHistory(size_t max_peers);

  void tick(uint64_t now_ms, const NodeSample& node, std::span<const PeerSample> peers);

  // The last `window_secs / seconds(g)` samples (at most the ring's
  // capacity), oldest first, front-padded with NaN where the ring is younger.
  void query(Metric m, uint64_t window_secs, Granularity g, std::vector<double>& out) const;
  // False when the peer is not tracked.
  bool peer_query(const NodeAddr& peer, PeerMetric m, uint64_t window_secs, Granularity g,
                  std::vector<double>& out) const;
  // The last min(n, samples) fast samples, oldest first (no padding).
  void recent(Metric m, size_t n, std::vector<double>& out) const;

  struct TrackedPeer {
    NodeAddr addr;
    uint64_t first_seen_ms = 0;
    uint64_t last_contact_ms = 0;
  };
  [[nodiscard]] std::vector<TrackedPeer> tracked_peers() const;
  [[nodiscard]] bool has_peer(const NodeAddr& peer) const { return find(peer) != nullptr; }
  [[nodiscard]] size_t max_peers() const { return max_peers_; }
  [[nodiscard]] const HistoryCounters& counters() const { return counters_; }

 private:
  struct PeerSlot {
    bool used = false;
    NodeAddr addr{};
    uint64_t first_seen_ms = 0, last_contact_ms = 0;
    uint64_t seen_tick = 0;  // ticks_ value when last present
    std::unique_ptr<std::array<MetricRings, kPeerMetricCount>> rings;
  };
  const PeerSlot* find(const NodeAddr& a) const;
  PeerSlot* slot_for_newcomer(uint64_t this_tick);
  void start_peer(PeerSlot& s, const NodeAddr& a, uint64_t now_ms);
  void push_peer(PeerSlot& s, const PeerSample& p, uint64_t now_ms);
  static void fill(const MetricRings& r, uint64_t window_secs, Granularity g, std::vector<double>& out);

  std::array<MetricRings, kMetricCount> node_;
  std::vector<PeerSlot> slots_;  // grows to max_peers_, never shrinks
  // addr -> index in slots_ for the used slots: a hub samples thousands of
  // peers a second against at most max_peers_ slots.
  std::unordered_map<NodeAddr, size_t, NodeAddrHash> index_;
  size_t max_peers_;
  uint64_t ticks_ = 0;  // fast samples pushed so far
  HistoryCounters counters_;
};

}  // namespace fips::stats
