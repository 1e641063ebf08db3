#include "sim/reach.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "proto/fsp/wire.h"
#include "proto/peer_view.h"
#include "util/rng.h"

namespace fips::sim {
namespace {

uint64_t pair_key(uint32_t s, uint32_t d) {
  return (uint64_t{s} << 32) | d;
}

// Nearest-rank percentile of a sorted vector.
double percentile(const std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  const size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, rank ? rank - 1 : 0)];
}

enum class JobState : uint8_t { kQueued, kLookup, kFound, kSent, kDone };

struct Job {
  PairSpec p{};
  JobState state = JobState::kQueued;
  bool delivered = false;
  uint32_t hops = 0;
  uint64_t start_ms = 0, found_ms = 0, sent_ms = 0, delivered_ms = 0;
  uint64_t tree_dist = 0;  // tree distance source -> dest when the lookup started
  Coords dest_coords;      // from the lookup, until the datagram is sent
};

class Runner {
 public:
  Runner(SimNet& net, const Observer& obs, const std::vector<PairSpec>& pairs,
         const ReachOptions& opt)
      : net_(net), obs_(obs), opt_(opt) {
    jobs_.resize(pairs.size());
    for (size_t i = 0; i < pairs.size(); ++i) jobs_[i].p = pairs[i];
    st_.pairs = pairs.size();
  }

  ReachStats run() {
    hook(true);
    size_t next = 0;
    std::vector<uint32_t> active;
    while (next < jobs_.size() || !active.empty()) {
      while (active.size() < opt_.wave && next < jobs_.size()) {
        const uint32_t id = static_cast<uint32_t>(next++);
        if (start(id)) active.push_back(id);
      }
      flush_sends();
      net_.run_for(opt_.step_ms);
      const uint64_t now = net_.now();
      for (uint32_t id : active) {
        Job& j = jobs_[id];
        if (j.state == JobState::kSent && now - j.sent_ms >= opt_.delivery_timeout_ms) {
          ++st_.undelivered;
          finish(id);
        } else if ((j.state == JobState::kLookup) && now - j.start_ms >= opt_.pair_timeout_ms) {
          ++st_.lookup_timeout;
          finish(id);
        }
      }
      std::erase_if(active, [&](uint32_t id) { return jobs_[id].state == JobState::kDone; });
    }
    hook(false);
    summarise();
    return st_;
  }

 private:
  void hook(bool on) {
    for (size_t i = 0; i < net_.size(); ++i) {
      if (!net_.at(i).alive()) continue;
      Node& n = net_.node(i);
      if (!on) {
        n.set_lookup_done({});
        n.set_deliver({});
        continue;
      }
      const auto idx = static_cast<uint32_t>(i);
      n.set_lookup_done([this, idx](const lookup::LookupEvent& e) { on_lookup(idx, e); });
      n.set_deliver([this, idx](const routing::SessionDatagram& dg, PacketBuf&&, uint64_t) {
        on_deliver(idx, dg);
      });
    }
  }

  bool start(uint32_t id) {
    Job& j = jobs_[id];
    j.start_ms = net_.now();
    j.tree_dist =
        tree_distance(net_.node(j.p.src).tree().my_coords(), net_.node(j.p.dst).tree().my_coords());
    const auto r =
        net_.node(j.p.src).start_lookup(net_.at(j.p.dst).identity().as_peer(), j.start_ms);
    switch (r.outcome) {
      case lookup::InitiateOutcome::kSent:
        j.state = JobState::kLookup;
        by_pair_[pair_key(j.p.src, j.p.dst)] = id;
        return true;
      case lookup::InitiateOutcome::kBloomMiss:
        ++st_.bloom_miss;
        break;
      case lookup::InitiateOutcome::kZeroFanout:
        ++st_.zero_fanout;
        break;
      default:
        ++st_.other_refused;
        break;
    }
    j.state = JobState::kDone;
    return false;
  }

  void finish(uint32_t id) {
    Job& j = jobs_[id];
    by_pair_.erase(pair_key(j.p.src, j.p.dst));
    j.state = JobState::kDone;
    j.dest_coords = Coords{};
  }

  void on_lookup(uint32_t src, const lookup::LookupEvent& e) {
    const auto dst = obs_.index_of(e.target);
    if (!dst) return;
    auto it = by_pair_.find(pair_key(src, static_cast<uint32_t>(*dst)));
    if (it == by_pair_.end()) return;
    Job& j = jobs_[it->second];
    if (j.state != JobState::kLookup) return;
    if (e.kind != lookup::LookupEvent::Kind::kFound) {
      ++st_.lookup_timeout;
      if (j.tree_dist > net_.node(src).lookups().params().ttl) ++st_.lookup_timeout_beyond_ttl;
      finish(it->second);
      return;
    }
    ++st_.lookup_found;
    j.found_ms = net_.now();
    j.state = JobState::kFound;
    j.dest_coords = e.coords;
    to_send_.push_back(it->second);
  }

  void flush_sends() {
    for (uint32_t id : to_send_) {
      Job& j = jobs_[id];
      if (j.state != JobState::kFound) continue;
      Node& s = net_.node(j.p.src);
      // FSP established message with cleartext coords; counter = pair id.
      uint8_t filler[14 + fsp::kTagSize] = {};
      uint8_t buf[4096];
      Writer w{MutByteSpan(buf)};
      const Coords& mine = s.tree().my_coords();
      const WireStatus enc = fsp::encode_encrypted(w, fsp::kFlagCP, id, coords_view_of(mine),
                                                   coords_view_of(j.dest_coords), ByteSpan(filler));
      const auto r = enc.ok() ? s.send_datagram(net_.at(j.p.dst).identity().node_addr(),
                                                w.written(), net_.now())
                              : Node::SendResult::kTooLarge;
      if (r == Node::SendResult::kSent) {
        j.state = JobState::kSent;
        j.sent_ms = net_.now();
        j.dest_coords = Coords{};
        continue;
      }
      if (r == Node::SendResult::kNoRoute)
        ++st_.send_no_route;
      else
        ++st_.send_other;
      finish(id);
    }
    to_send_.clear();
  }

  void on_deliver(uint32_t at, const routing::SessionDatagram& dg) {
    auto m = fsp::decode_encrypted(dg.payload);
    if (!m.ok()) return;
    const uint64_t id = m.value().header.counter;
    if (id >= jobs_.size()) return;
    Job& j = jobs_[id];
    if (j.state != JobState::kSent || j.p.dst != at ||
        !(dg.src_addr == net_.at(j.p.src).identity().node_addr()))
      return;
    const uint8_t ttl0 = net_.node(j.p.src).options().session_ttl;
    j.hops = static_cast<uint32_t>(ttl0 - dg.ttl) + 1;
    j.delivered = true;
    j.delivered_ms = net_.now();
    ++st_.delivered;
    finish(static_cast<uint32_t>(id));
  }

  void summarise() {
    std::vector<double> lat, stretch;
    double hops = 0, shortest = 0;
    std::vector<uint32_t> order;
    for (uint32_t i = 0; i < jobs_.size(); ++i) {
      if (jobs_[i].found_ms)
        lat.push_back(static_cast<double>(jobs_[i].found_ms - jobs_[i].start_ms));
      if (jobs_[i].delivered) order.push_back(i);
    }
    // std::sort with an id tie-break (= stable): GCC 12's stable_sort
    // temporary buffer trips ASan's alloc-dealloc-mismatch check.
    std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
      return jobs_[a].p.src != jobs_[b].p.src ? jobs_[a].p.src < jobs_[b].p.src : a < b;
    });
    std::vector<uint32_t> dist;
    std::vector<uint64_t> best_ms;
    std::vector<double> lat_stretch;
    double path_ms = 0, best_total_ms = 0;
    auto latency = [this](uint32_t a, uint32_t b) { return net_.link_params(a, b).latency_ms; };
    uint32_t cur = UINT32_MAX;
    for (uint32_t id : order) {
      const Job& j = jobs_[id];
      if (j.p.src != cur) {
        cur = j.p.src;
        dist = bfs_hops(obs_.live_adj(), cur, obs_.alive());
        best_ms = dijkstra(obs_.live_adj(), cur, latency, obs_.alive());
      }
      if (const uint64_t b = best_ms[j.p.dst]; b != kUnreachable64 && b > 0) {
        const uint64_t took = j.delivered_ms - j.sent_ms;
        path_ms += static_cast<double>(took);
        best_total_ms += static_cast<double>(b);
        lat_stretch.push_back(static_cast<double>(took) / static_cast<double>(b));
      }
      const uint32_t sp = dist[j.p.dst];
      if (sp == kUnreachable || sp == 0) continue;
      if (j.hops < sp) ++st_.wrong_hops;
      hops += j.hops;
      shortest += sp;
      const double s = static_cast<double>(j.hops) / static_cast<double>(sp);
      stretch.push_back(s);
      if (j.hops == sp) ++st_.stretch_one;
    }
    const Spread l = spread(lat), h = spread(stretch), ls = spread(lat_stretch);
    st_.latency_p50_ms = l.p50;
    st_.latency_p99_ms = l.p99;
    st_.latency_max_ms = l.max;
    st_.lat_stretch_p50 = ls.p50;
    st_.lat_stretch_p99 = ls.p99;
    st_.lat_stretch_max = ls.max;
    st_.lat_stretch_mean = ls.mean;
    if (!lat_stretch.empty()) {
      st_.path_ms_mean = path_ms / static_cast<double>(lat_stretch.size());
      st_.best_ms_mean = best_total_ms / static_cast<double>(lat_stretch.size());
    }
    st_.stretch_p50 = h.p50;
    st_.stretch_p99 = h.p99;
    st_.stretch_max = h.max;
    st_.stretch_mean = h.mean;
    if (!stretch.empty()) {
      st_.hops_mean = hops / static_cast<double>(stretch.size());
      st_.shortest_mean = shortest / static_cast<double>(stretch.size());
    }
  }

  SimNet& net_;
  const Observer& obs_;
  ReachOptions opt_;
  std::vector<Job> jobs_;
  std::unordered_map<uint64_t, uint32_t> by_pair_;
  std::vector<uint32_t> to_send_;
  ReachStats st_;
};

}  // namespace

Spread spread(std::vector<double>& v) {
  Spread s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.p50 = percentile(v, 0.50);
  s.p99 = percentile(v, 0.99);
  s.max = v.back();
  double sum = 0;
  for (double x : v) sum += x;
  s.mean = sum / static_cast<double>(v.size());
  return s;
}

std::vector<PairSpec> sample_pairs(const Observer& obs, bool all, size_t k, uint64_t seed) {
  const auto& alive = obs.alive();
  const auto& comp = obs.comp();
  std::vector<uint32_t> live;
  for (uint32_t i = 0; i < alive.size(); ++i)
    if (alive[i]) live.push_back(i);
  // Ordered same-component pairs available.
  std::vector<size_t> comp_size(obs.components(), 0);
  for (uint32_t i : live) ++comp_size[comp[i]];
  size_t population = 0;
  for (size_t c : comp_size) population += c * (c - 1);
  std::vector<PairSpec> out;
  if (all || population <= k) {
    for (uint32_t s : live)
      for (uint32_t d : live)
        if (s != d && comp[s] == comp[d]) out.push_back({s, d});
    return out;
  }
  Rng rng(seed ^ 0x9A125EEDULL);
  std::unordered_set<uint64_t> used;
  out.reserve(k);
  while (out.size() < k) {
    const uint32_t s = live[rng.below(live.size())];
    const uint32_t d = live[rng.below(live.size())];
    if (s == d || comp[s] != comp[d] || !used.insert(pair_key(s, d)).second) continue;
    out.push_back({s, d});
  }
  return out;
}

ReachStats run_reachability(SimNet& net, const Observer& obs, const std::vector<PairSpec>& pairs,
                            const ReachOptions& opt) {
  Runner r(net, obs, pairs, opt);
  return r.run();
}

}  // namespace fips::sim
