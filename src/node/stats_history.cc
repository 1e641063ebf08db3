#include "node/stats_history.h"

#include <cmath>
#include <limits>
#include <utility>

namespace fips::stats {

namespace {

constexpr double kGap = std::numeric_limits<double>::quiet_NaN();

constexpr std::array<MetricInfo, kMetricCount> kNodeInfo = {{
    {"mesh_size", "nodes", Aggregation::kLast},
    {"tree_depth", "hops", Aggregation::kLast},
    {"peer_count", "peers", Aggregation::kLast},
    {"parent_switches", "events/s", Aggregation::kSum},
    {"bytes_in", "bytes/s", Aggregation::kMean},
    {"bytes_out", "bytes/s", Aggregation::kMean},
    {"packets_in", "packets/s", Aggregation::kMean},
    {"packets_out", "packets/s", Aggregation::kMean},
    {"loss_rate", "fraction", Aggregation::kMean},
    {"active_sessions", "sessions", Aggregation::kLast},
}};

constexpr std::array<MetricInfo, kPeerMetricCount> kPeerInfo = {{
    {"srtt_ms", "ms", Aggregation::kMean},
    {"loss_rate", "fraction", Aggregation::kMean},
    {"bytes_in", "bytes/s", Aggregation::kMean},
    {"bytes_out", "bytes/s", Aggregation::kMean},
    {"packets_in", "packets/s", Aggregation::kMean},
    {"packets_out", "packets/s", Aggregation::kMean},
    {"ecn_ce", "events/s", Aggregation::kSum},
}};

template <size_t N, size_t... I>
std::array<MetricRings, N> make_rings(const std::array<MetricInfo, N>& infos,
                                      std::index_sequence<I...>) {
  return {MetricRings(infos[I].aggregation)...};
}

}  // namespace

const MetricInfo& info(Metric m) { return kNodeInfo[static_cast<size_t>(m)]; }
const MetricInfo& info(PeerMetric m) { return kPeerInfo[static_cast<size_t>(m)]; }

Result<Metric, std::string> parse_metric(std::string_view s) {
  for (size_t i = 0; i < kNodeInfo.size(); ++i)
    if (kNodeInfo[i].name == s) return static_cast<Metric>(i);
  return Err{"unknown metric: " + std::string(s)};
}

Result<PeerMetric, std::string> parse_peer_metric(std::string_view s) {
  for (size_t i = 0; i < kPeerInfo.size(); ++i)
    if (kPeerInfo[i].name == s) return static_cast<PeerMetric>(i);
  return Err{"unknown peer metric: " + std::string(s)};
}

Result<Granularity, std::string> parse_granularity(std::string_view s) {
  if (s == "1s") return Granularity::kFast;
  if (s == "1m") return Granularity::kSlow;
  return Err{"unknown granularity: " + std::string(s) + " (expected 1s or 1m)"};
}

Result<uint64_t, std::string> parse_window(std::string_view s) {
  if (s.empty()) return Err{std::string("empty duration")};
  // The reference splits off the last byte and parses the rest as a u64
  // (Rust's u64 parser takes one leading '+').
  std::string_view num = s.substr(0, s.size() - 1);
  const char unit = s.back();
  if (!num.empty() && num[0] == '+') num.remove_prefix(1);
  uint64_t n = 0;
  bool ok = !num.empty();
  for (char c : num) {
    if (c < '0' || c > '9' || n > (std::numeric_limits<uint64_t>::max() - 9) / 10) {
      ok = false;
      break;
    }
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  if (!ok) return Err{"invalid duration: " + std::string(s)};
  const uint64_t mul = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : 0;
  if (mul == 0)
    return Err{"unknown duration unit: " + std::string(1, unit) + " (expected s, m, h)"};
  if (n > std::numeric_limits<uint64_t>::max() / mul) return Err{"invalid duration: " + std::string(s)};
  return n * mul;
}

// ---- rings ----

void Ring::push(double v) {
  const size_t cap = buf_.size();
  if (len_ < cap) {
    buf_[(head_ + len_) % cap] = v;
    ++len_;
  } else {
    buf_[head_] = v;
    head_ = (head_ + 1) % cap;
  }
}

void MetricRings::push_fast(double v) {
  fast_.push(v);
  ++total_;
  if (!std::isnan(v)) {
    sum_ += v;
    ++count_;
    last_ = v;
  }
}

void MetricRings::flush_slow() {
  if (total_ > 0) {
    double v = kGap;
    if (count_ > 0) {
      switch (agg_) {
        case Aggregation::kLast:
          v = last_;
          break;
        case Aggregation::kSum:
          v = sum_;
          break;
        case Aggregation::kMean:
          v = sum_ / static_cast<double>(count_);
          break;
      }
    }
    slow_.push(v);
  }
  sum_ = last_ = 0;
  count_ = total_ = 0;
}

void MetricRings::reset(size_t fast_gaps, size_t slow_gaps) {
  fast_.clear();
  slow_.clear();
  for (size_t i = 0; i < fast_gaps && i < kFastCapacity; ++i) fast_.push(kGap);
  for (size_t i = 0; i < slow_gaps && i < kSlowCapacity; ++i) slow_.push(kGap);
  sum_ = last_ = 0;
  count_ = total_ = 0;
  prev_total_.reset();
}

double MetricRings::delta_or_gap(uint64_t total) {
  const std::optional<uint64_t> prev = std::exchange(prev_total_, total);
  if (!prev || total < *prev) return kGap;
  return static_cast<double>(total - *prev);
}

double MetricRings::delta_from_zero(uint64_t total) {
  const std::optional<uint64_t> prev = std::exchange(prev_total_, total);
  if (!prev || total < *prev) return 0;
  return static_cast<double>(total - *prev);
}

// ---- history ----

StatsHistory::StatsHistory(size_t max_peers)
    : node_(make_rings(kNodeInfo, std::make_index_sequence<kMetricCount>{})), max_peers_(max_peers) {
  slots_.reserve(max_peers_);
}

void StatsHistory::tick(uint64_t now_ms, const NodeSample& s, std::span<const PeerSample> peers) {
  auto ring = [&](Metric m) -> MetricRings& { return node_[static_cast<size_t>(m)]; };
  ring(Metric::kMeshSize).push_fast(static_cast<double>(s.mesh_size.value_or(0)));
  ring(Metric::kTreeDepth).push_fast(static_cast<double>(s.tree_depth));
  ring(Metric::kPeerCount).push_fast(static_cast<double>(s.peer_count));
  auto counter = [&](Metric m, uint64_t total) {
    MetricRings& r = ring(m);
    r.push_fast(r.delta_from_zero(total));
  };
  counter(Metric::kParentSwitches, s.parent_switches_total);
  counter(Metric::kBytesIn, s.bytes_in_total);
  counter(Metric::kBytesOut, s.bytes_out_total);
  counter(Metric::kPacketsIn, s.packets_in_total);
  counter(Metric::kPacketsOut, s.packets_out_total);
  ring(Metric::kLossRate).push_fast(s.loss_rate);
  ring(Metric::kActiveSessions).push_fast(static_cast<double>(s.active_sessions));

  const uint64_t this_tick = ticks_ + 1;  // slot stamps: 0 = never present
  // Known peers first, so a newcomer can only take the slot of a peer that
  // is absent from this tick.
  for (const PeerSample& p : peers) {
    auto* slot = const_cast<PeerSlot*>(find(p.addr));
    if (slot == nullptr || slot->seen_tick == this_tick) continue;  // new, or listed twice
    slot->seen_tick = this_tick;
    push_peer(*slot, p, now_ms);
  }
  bool no_room = false;  // once a newcomer finds none, none of the rest will this tick
  for (const PeerSample& p : peers) {
    if (find(p.addr) != nullptr) continue;
    PeerSlot* slot = no_room ? nullptr : slot_for_newcomer(this_tick);
    if (slot == nullptr) {
      no_room = true;
      ++counters_.peers_refused;
      continue;
    }
    start_peer(*slot, p.addr, now_ms);
    slot->seen_tick = this_tick;
    push_peer(*slot, p, now_ms);
  }
  for (PeerSlot& slot : slots_) {
    if (!slot.used || slot.seen_tick == this_tick) continue;
    // Absent: a gap everywhere, and counters start over (no delta spanning
    // the silence).
    for (MetricRings& r : *slot.rings) {
      r.push_fast(kGap);
      r.forget_total();
    }
  }

  ticks_ = this_tick;
  ++counters_.ticks;
  if (ticks_ % kDownsample == 0) {
    for (MetricRings& r : node_) r.flush_slow();
    for (PeerSlot& slot : slots_)
      if (slot.used)
        for (MetricRings& r : *slot.rings) r.flush_slow();
  }
  for (PeerSlot& slot : slots_) {
    if (slot.used && now_ms - slot.last_contact_ms >= kPeerRetentionSecs * 1000) {
      slot.used = false;
      index_.erase(slot.addr);
      ++counters_.peers_expired;
    }
  }
}

const StatsHistory::PeerSlot* StatsHistory::find(const NodeAddr& a) const {
  auto it = index_.find(a);
  return it == index_.end() ? nullptr : &slots_[it->second];
}

StatsHistory::PeerSlot* StatsHistory::slot_for_newcomer(uint64_t this_tick) {
  for (PeerSlot& s : slots_)
    if (!s.used) return &s;
  if (slots_.size() < max_peers_) return &slots_.emplace_back();
  // Full: the departed peer silent longest gives way (present ones never).
  PeerSlot* victim = nullptr;
  for (PeerSlot& s : slots_)
    if (s.seen_tick != this_tick && (victim == nullptr || s.last_contact_ms < victim->last_contact_ms))
      victim = &s;
  if (victim != nullptr) ++counters_.peers_replaced;
  return victim;
}

void StatsHistory::start_peer(PeerSlot& s, const NodeAddr& a, uint64_t now_ms) {
  if (!s.rings)
    s.rings = std::make_unique<std::array<MetricRings, kPeerMetricCount>>(
        make_rings(kPeerInfo, std::make_index_sequence<kPeerMetricCount>{}));
  // Gaps up to (not including) this tick's slot, as the node rings have.
  for (MetricRings& r : *s.rings) r.reset(ticks_, ticks_ / kDownsample);
  if (s.used) index_.erase(s.addr);  // a departed peer's slot, reused
  s.used = true;
  s.addr = a;
  index_[a] = static_cast<size_t>(&s - slots_.data());
  s.first_seen_ms = now_ms;
  s.last_contact_ms = now_ms;
  s.seen_tick = 0;
  ++counters_.peers_tracked;
}

void StatsHistory::push_peer(PeerSlot& s, const PeerSample& p, uint64_t now_ms) {
  s.last_contact_ms = now_ms;
  auto ring = [&](PeerMetric m) -> MetricRings& { return (*s.rings)[static_cast<size_t>(m)]; };
  ring(PeerMetric::kSrttMs).push_fast(p.srtt_ms.value_or(kGap));
  ring(PeerMetric::kLossRate).push_fast(p.loss_rate.value_or(kGap));
  auto counter = [&](PeerMetric m, uint64_t total) {
    MetricRings& r = ring(m);
    r.push_fast(r.delta_or_gap(total));
  };
  counter(PeerMetric::kBytesIn, p.bytes_in_total);
  counter(PeerMetric::kBytesOut, p.bytes_out_total);
  counter(PeerMetric::kPacketsIn, p.packets_in_total);
  counter(PeerMetric::kPacketsOut, p.packets_out_total);
  counter(PeerMetric::kEcnCe, p.ecn_ce_total);
}

void StatsHistory::fill(const MetricRings& r, uint64_t window_secs, Granularity g,
                        std::vector<double>& out) {
  const Ring& ring = r.ring(g);
  const size_t want = static_cast<size_t>(std::min<uint64_t>(window_secs / seconds(g), ring.capacity()));
  const size_t take = std::min(want, ring.size());
  out.assign(want - take, kGap);
  for (size_t i = ring.size() - take; i < ring.size(); ++i) out.push_back(ring.at(i));
}

void StatsHistory::query(Metric m, uint64_t window_secs, Granularity g,
                         std::vector<double>& out) const {
  fill(node_[static_cast<size_t>(m)], window_secs, g, out);
}

bool StatsHistory::peer_query(const NodeAddr& peer, PeerMetric m, uint64_t window_secs,
                              Granularity g, std::vector<double>& out) const {
  const PeerSlot* s = find(peer);
  if (s == nullptr) return false;
  fill((*s->rings)[static_cast<size_t>(m)], window_secs, g, out);
  return true;
}

void StatsHistory::recent(Metric m, size_t n, std::vector<double>& out) const {
  const Ring& ring = node_[static_cast<size_t>(m)].ring(Granularity::kFast);
  const size_t take = std::min(n, ring.size());
  out.clear();
  for (size_t i = ring.size() - take; i < ring.size(); ++i) out.push_back(ring.at(i));
}

std::vector<StatsHistory::TrackedPeer> StatsHistory::tracked_peers() const {
  std::vector<TrackedPeer> v;
  for (const PeerSlot& s : slots_)
    if (s.used) v.push_back({s.addr, s.first_seen_ms, s.last_contact_ms});
  return v;
}

}  // namespace fips::stats
