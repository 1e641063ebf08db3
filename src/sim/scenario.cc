#include "sim/scenario.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <string>

#include "sim/observer.h"
#include "sim/reach.h"
#include "sim/sim_net.h"
#include "util/rng.h"

namespace fips::sim {
namespace {

uint64_t proc_status_kib(const char* key) {
  std::ifstream f("/proc/self/status");
  std::string line;
  const size_t klen = std::strlen(key);
  while (std::getline(f, line))
    if (line.compare(0, klen, key) == 0) return std::stoull(line.substr(klen + 1));
  return 0;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

class Scenario {
 public:
  explicit Scenario(const ScenarioConfig& cfg) : cfg_(cfg), rng_(cfg.seed ^ 0x5CE9A410ULL) {}

  ScenarioResult run() {
    const auto wall0 = std::chrono::steady_clock::now();
    const double cpu0 = process_cpu_seconds();
    build();
    res_.build_wall_s = seconds_since(wall0);
    converge_phase();
    for (Phase p : cfg_.phases) {
      switch (p) {
        case Phase::kConverge:
          break;  // always first
        case Phase::kLinkFail:
          link_fail_phase();
          break;
        case Phase::kRootLoss:
          root_loss_phase();
          break;
        case Phase::kChurn:
          churn_phase();
          break;
        case Phase::kPartition:
          partition_phase();
          break;
      }
    }
    totals();
    res_.sim_ms = net_->now() - start_ms_;
    res_.wall_s = seconds_since(wall0);
    res_.cpu_s = process_cpu_seconds() - cpu0;
    return std::move(res_);
  }

 private:
  void log(const char* event, const std::string& phase) const {
    if (cfg_.verbose)
      std::fprintf(stderr, "[fips-sim %7.1f s] phase %s %s (sim t=%.1f s)\n", seconds_since(wall0_),
                   phase.c_str(), event,
                   net_ ? static_cast<double>(net_->now() - start_ms_) / 1000.0 : 0.0);
  }

  void build() {
    topo_ = make_topology(cfg_.topology, cfg_.nodes, cfg_.degree, cfg_.seed);
    const Adjacency adj = adjacency(topo_.n, topo_.edges);
    res_.topology = topology_name(topo_.kind);
    res_.nodes = topo_.n;
    res_.edges = topo_.edges.size();
    res_.mean_degree = topo_.mean_degree();
    res_.repair_edges = topo_.repair_edges;
    res_.radius = topo_.radius;
    for (const auto& v : adj) res_.max_degree = std::max(res_.max_degree, v.size());
    res_.bridges = bridges(adj).size();
    res_.diameter = diameter_estimate(adj, 64);

    SimOptions so;
    so.seed = cfg_.seed;
    so.node = cfg_.node;
    so.link.latency_ms = cfg_.latency_ms;
    so.link.loss = cfg_.loss;
    so.mtu = cfg_.mtu;
    // Room for a full-MTU frame plus headroom (a TreeAnnounce is built in a
    // pool buffer before the link layer checks it against the MTU).
    so.buffer_size = std::max<size_t>(2048, size_t{cfg_.mtu} + 256);
    // In-flight packets plus buffers held by nodes: generous, the harness
    // must never be the bottleneck (exhaustion is reported).
    so.pool_buffers = std::max<size_t>(1 << 16, 24 * topo_.n);
    so.max_in_flight = so.pool_buffers;
    LinkConfig& l = so.node.link;
    if (l.max_peers && l.max_peers < res_.max_degree) l.max_peers = res_.max_degree;
    if (l.max_links && l.max_links < res_.max_degree) l.max_links = res_.max_degree;
    if (l.max_connections && l.max_connections < res_.max_degree)
      l.max_connections = res_.max_degree;

    net_ = std::make_unique<SimNet>(so);
    start_ms_ = net_->now();
    rss0_ = current_rss_bytes();
    for (size_t i = 0; i < topo_.n; ++i) net_->add_node();
    Rng lat(cfg_.seed ^ 0x1A7E9C11ULL);
    const bool by_distance = cfg_.latency_dist == ScenarioConfig::LatencyDist::kDistance &&
                             !topo_.pos.empty() && topo_.radius > 0;
    for (const auto& [a, b] : topo_.edges) {
      MemLinkParams lp = so.link;
      if (cfg_.latency_max_ms > cfg_.latency_ms) {
        const uint64_t span = cfg_.latency_max_ms - cfg_.latency_ms;
        if (by_distance) {
          const double dx = topo_.pos[a].first - topo_.pos[b].first;
          const double dy = topo_.pos[a].second - topo_.pos[b].second;
          const double f = std::sqrt(dx * dx + dy * dy) / topo_.radius;
          lp.latency_ms = cfg_.latency_ms + static_cast<uint64_t>(std::llround(f * static_cast<double>(span)));
        } else {
          lp.latency_ms = cfg_.latency_ms + lat.below(span + 1);
        }
      }
      if (cfg_.loss_max > cfg_.loss) lp.loss = cfg_.loss + lat.unit() * (cfg_.loss_max - cfg_.loss);
      net_->connect(a, b, lp);
    }
    obs_ = std::make_unique<Observer>(*net_);
  }

  // Runs until the tree is converged, the links match the live graph and no
  // FilterAnnounce went out for bloom_quiet_ms (or the phase timeout).
  ConvergeStats wait_converged() {
    ConvergeStats c;
    c.components = obs_->components();
    c.live_nodes = obs_->live_count();
    const uint64_t t0 = net_->now();
    const uint64_t deadline = t0 + cfg_.phase_timeout_ms;
    uint64_t filters = obs_->filters_sent(), last_filter = t0;
    uint64_t switches = obs_->parent_switches(), last_switch = t0;
    for (;;) {
      const uint64_t now = net_->now();
      // Times are the start of the final streak: a state that breaks again
      // before the end of the phase does not count.
      if (obs_->tree_converged()) {
        if (!c.converged) c.converged_ms = now - t0;
        c.converged = true;
      } else {
        c.converged = false;
      }
      if (obs_->links_settled()) {
        if (!c.links_settled) c.links_ms = now - t0;
        c.links_settled = true;
      } else {
        c.links_settled = false;
      }
      if (const uint64_t f = obs_->filters_sent(); f != filters) {
        filters = f;
        last_filter = now;
      }
      if (const uint64_t s = obs_->parent_switches(); s != switches) {
        switches = s;
        last_switch = now;
      }
      if (c.converged && c.links_settled && now - last_filter >= cfg_.bloom_quiet_ms) {
        c.bloom_settled = true;
        break;
      }
      if (now >= deadline) break;
      net_->run_for(cfg_.check_ms);
    }
    if (!c.converged && cfg_.verbose)
      std::fprintf(stderr, "not converged:\n%s", obs_->explain(10).c_str());
    c.bloom_ms = last_filter - t0;
    if (cfg_.check_blooms) c.bloom_gaps = obs_->bloom_violations();
    for (size_t i = 0; i < net_->size(); ++i)
      if (net_->at(i).alive()) c.max_depth = std::max(c.max_depth, net_->node(i).tree().depth());
    c.last_parent_switch_ms = last_switch - t0;
    return c;
  }

  std::optional<ReachStats> reach(size_t pairs, bool all) {
    if (!cfg_.measure_reach || (!all && pairs == 0)) return std::nullopt;
    const auto sample = sample_pairs(*obs_, all, pairs, cfg_.seed + reach_runs_++);
    ReachOptions ro;
    ro.wave = cfg_.wave;
    ro.delivery_timeout_ms = cfg_.delivery_timeout_ms;
    return run_reachability(*net_, *obs_, sample, ro);
  }

  // One measured phase: the change has been applied; converge, then sample.
  void measured(const std::string& name, const std::string& detail, size_t pairs) {
    const auto w = std::chrono::steady_clock::now();
    const double cpu0 = process_cpu_seconds();
    const uint64_t t0 = net_->now();
    log("started", name);
    obs_->refresh();
    PhaseResult p;
    p.name = name;
    p.detail = detail;
    p.conv = wait_converged();
    p.reach = reach(pairs, false);
    p.sim_ms = net_->now() - t0;
    p.wall_s = seconds_since(w);
    p.cpu_s = process_cpu_seconds() - cpu0;
    res_.phases.push_back(std::move(p));
    log("done", name);
  }

  void converge_phase() {
    const auto w = std::chrono::steady_clock::now();
    const double cpu0 = process_cpu_seconds();
    const uint64_t t0 = net_->now();
    log("started", "converge");
    PhaseResult p;
    p.name = "converge";
    p.detail = std::to_string(topo_.n) + " nodes start together";
    p.conv = wait_converged();
    if (cfg_.measure_memory) {
      const uint64_t rss1 = current_rss_bytes();
      res_.rss_total_mib = static_cast<double>(rss1) / (1024.0 * 1024.0);
      if (rss1 > rss0_ && topo_.n)
        res_.rss_per_node_bytes = static_cast<double>(rss1 - rss0_) / static_cast<double>(topo_.n);
    }
    stabilise(t0, p.conv.last_parent_switch_ms);
    tree_quality();
    quiet_window();
    const bool all = cfg_.pairs == 0 && topo_.n <= kAllPairsMaxNodes;
    p.reach = reach(cfg_.pairs ? cfg_.pairs : kDefaultPairs, all);
    p.sim_ms = net_->now() - t0;
    p.wall_s = seconds_since(w);
    p.cpu_s = process_cpu_seconds() - cpu0;
    res_.phases.push_back(std::move(p));
    log("done", "converge");
  }

  // How the settled tree uses the links' latencies (ScenarioResult).
  void tree_quality() {
    obs_->refresh();
    const auto& alive = obs_->alive();
    auto latency = [&](uint32_t a, uint32_t b) { return net_->link_params(a, b).latency_ms; };
    double all_links = 0;
    size_t n_links = 0;
    for (const auto& [a, b] : net_->edges()) {
      all_links += static_cast<double>(latency(static_cast<uint32_t>(a), static_cast<uint32_t>(b)));
      ++n_links;
    }
    if (n_links) res_.link_ms_mean = all_links / static_cast<double>(n_links);
    const size_t root = obs_->global_root();
    const std::vector<uint64_t> best =
        dijkstra(obs_->live_adj(), static_cast<uint32_t>(root), latency, alive);
    std::vector<double> stretch;
    double parent_ms = 0, parent_cost = 0;
    size_t children = 0, measured = 0;
    for (size_t i = 0; i < net_->size(); ++i) {
      if (!alive[i] || i == root) continue;
      Node& n = net_->node(i);
      const Coords& c = n.tree().my_coords();
      if (c.size() < 2 || !(c.back() == net_->node(root).identity().node_addr())) continue;
      uint64_t path = 0;
      bool ok = true;
      for (size_t k = 0; k + 1 < c.size() && ok; ++k) {
        const auto x = obs_->index_of(c[k]), y = obs_->index_of(c[k + 1]);
        if (!x || !y) ok = false;
        else path += latency(static_cast<uint32_t>(*x), static_cast<uint32_t>(*y));
      }
      const auto par = obs_->index_of(c[1]);
      if (!ok || !par || best[i] == kUnreachable64 || best[i] == 0) continue;
      stretch.push_back(static_cast<double>(path) / static_cast<double>(best[i]));
      parent_ms += static_cast<double>(latency(static_cast<uint32_t>(i), static_cast<uint32_t>(*par)));
      if (const size_t pi = n.find_peer(c[1]); pi != PeerView::kNoPeer) {
        parent_cost += n.peer(pi).link_cost;
        if (const Peer* p = n.link().find_peer(c[1]); p && p->mmp && p->mmp->metrics.srtt_ms())
          ++measured;
      }
      ++children;
    }
    if (!children) return;
    const Spread sp = spread(stretch);
    res_.tree_root_stretch_p50 = sp.p50;
    res_.tree_root_stretch_p99 = sp.p99;
    res_.parent_link_ms_mean = parent_ms / static_cast<double>(children);
    res_.parent_cost_mean = parent_cost / static_cast<double>(children);
    res_.parent_measured = static_cast<double>(measured) / static_cast<double>(children);
  }

  // `last_switch_ms`: the last parent switch seen so far, relative to t0.
  void stabilise(uint64_t t0, uint64_t last_switch_ms) {
    if (cfg_.stable_ms == 0) return;
    const uint64_t start = net_->now(), f0 = obs_->filters_sent();
    uint64_t switches = obs_->parent_switches(), last = t0 + last_switch_ms;
    while (net_->now() - last < cfg_.stable_ms && net_->now() - start < cfg_.stable_max_ms) {
      net_->run_for(1000);
      if (const uint64_t sw = obs_->parent_switches(); sw != switches) {
        switches = sw;
        last = net_->now();
      }
    }
    res_.tree_stable = net_->now() - last >= cfg_.stable_ms;
    res_.tree_stable_ms = last - t0;
    res_.stabilise_filter_announces = obs_->filters_sent() - f0;
  }

  void quiet_window() {
    if (cfg_.quiet_ms == 0) return;
    uint64_t bytes = 0, pkts = 0, trees = 0, filters = 0;
    auto sample = [&](int sign) {
      for (size_t i = 0; i < net_->size(); ++i) {
        if (!net_->at(i).alive()) continue;
        const SimNode& s = net_->at(i);
        const Node& n = s.node();
        const auto add = [sign](uint64_t& acc, uint64_t v) { acc = sign > 0 ? acc + v : acc - v; };
        add(bytes, s.bytes_sent);
        add(pkts, s.packets_sent);
        add(trees, n.tree().counters().sent);
        add(filters, n.bloom().counters().sent);
      }
    };
    sample(-1);
    net_->run_for(cfg_.quiet_ms);
    sample(+1);
    const double denom =
        static_cast<double>(obs_->live_count()) * static_cast<double>(cfg_.quiet_ms) / 1000.0;
    res_.quiet_ms = cfg_.quiet_ms;
    res_.control_bytes_per_node_s = static_cast<double>(bytes) / denom;
    res_.control_packets_per_node_s = static_cast<double>(pkts) / denom;
    res_.tree_announces_per_node_s = static_cast<double>(trees) / denom;
    res_.filter_announces_per_node_s = static_cast<double>(filters) / denom;
  }

  bool is_tree_edge(size_t a, size_t b) const {
    const auto& ta = net_->node(a).tree();
    const auto& tb = net_->node(b).tree();
    const NodeAddr& na = net_->at(a).identity().node_addr();
    const NodeAddr& nb = net_->at(b).identity().node_addr();
    return (!ta.is_root() && ta.parent() == nb) || (!tb.is_root() && tb.parent() == na);
  }

  void link_fail_phase() {
    // k links, each a non-bridge of the graph left by the previous picks, so
    // the live graph stays connected.
    std::vector<Edge> failed;
    size_t tree_edges = 0;
    for (size_t k = 0; k < cfg_.fail_links; ++k) {
      obs_->refresh();
      const auto br = bridges(obs_->live_adj());
      std::vector<Edge> cand;
      for (uint32_t i = 0; i < obs_->live_adj().size(); ++i)
        for (uint32_t j : obs_->live_adj()[i])
          if (i < j && !std::binary_search(br.begin(), br.end(), Edge{i, j}))
            cand.push_back({i, j});
      if (cand.empty()) break;
      const Edge e = cand[rng_.below(cand.size())];
      if (is_tree_edge(e.first, e.second)) ++tree_edges;
      net_->set_link_up(e.first, e.second, false);
      failed.push_back(e);
    }
    measured("link-fail",
             std::to_string(failed.size()) + " non-bridge links down (" +
                 std::to_string(tree_edges) + " tree edges)",
             cfg_.phase_pairs);
    for (const auto& [a, b] : failed) net_->set_link_up(a, b, true);
    measured("link-restore", std::to_string(failed.size()) + " links back up", 0);
  }

  void root_loss_phase() {
    obs_->refresh();
    const size_t r = obs_->global_root();
    net_->kill(r);
    measured("root-loss",
             "root (node " + std::to_string(r) + ", degree " +
                 std::to_string(net_->neighbours(r).size()) + ") killed",
             cfg_.phase_pairs);
    net_->revive(r);
    measured("root-return", "old root revived (fresh epoch)", cfg_.phase_pairs);
  }

  void churn_phase() {
    obs_->refresh();
    std::vector<size_t> live;
    for (size_t i = 0; i < net_->size(); ++i)
      if (net_->at(i).alive()) live.push_back(i);
    const size_t k =
        cfg_.fail_nodes
            ? std::min(cfg_.fail_nodes, live.size())
            : static_cast<size_t>(cfg_.churn_fraction * static_cast<double>(live.size()) + 0.5);
    for (size_t i = 0; i < k; ++i) std::swap(live[i], live[i + rng_.below(live.size() - i)]);
    std::vector<size_t> victims(live.begin(), live.begin() + static_cast<std::ptrdiff_t>(k));
    std::sort(victims.begin(), victims.end());
    for (size_t v : victims) net_->kill(v);
    obs_->refresh();
    measured("churn-kill",
             std::to_string(k) + " random nodes killed; " + std::to_string(obs_->components()) +
                 " live components",
             cfg_.phase_pairs);
    for (size_t v : victims) net_->revive(v);
    measured("churn-revive", std::to_string(k) + " nodes revived", cfg_.phase_pairs);
  }

  void partition_phase() {
    obs_->refresh();
    std::vector<uint32_t> live;
    for (uint32_t i = 0; i < net_->size(); ++i)
      if (obs_->alive()[i]) live.push_back(i);
    if (live.size() < 2) return;
    // Side A: a BFS ball of half the live nodes around a random node.
    const uint32_t s = live[rng_.below(live.size())];
    std::vector<bool> in_a(net_->size(), false);
    std::vector<uint32_t> q{s};
    in_a[s] = true;
    for (size_t h = 0; h < q.size() && q.size() < live.size() / 2; ++h)
      for (uint32_t v : obs_->live_adj()[q[h]])
        if (!in_a[v] && q.size() < live.size() / 2) {
          in_a[v] = true;
          q.push_back(v);
        }
    std::vector<Edge> cut;
    for (uint32_t i : q)
      for (uint32_t j : obs_->live_adj()[i])
        if (!in_a[j]) cut.push_back({std::min(i, j), std::max(i, j)});
    for (const auto& [a, b] : cut) net_->set_link_up(a, b, false);
    obs_->refresh();
    measured("partition",
             std::to_string(q.size()) + "/" + std::to_string(live.size() - q.size()) + " split, " +
                 std::to_string(cut.size()) + " links cut, " + std::to_string(obs_->components()) +
                 " components",
             cfg_.phase_pairs);
    for (const auto& [a, b] : cut) net_->set_link_up(a, b, true);
    measured("heal", std::to_string(cut.size()) + " links restored", cfg_.phase_pairs);
  }

  void totals() {
    for (size_t i = 0; i < net_->size(); ++i) {
      if (!net_->at(i).alive()) continue;
      const Node& n = net_->node(i);
      res_.handshakes += n.link().counters().handshakes_completed;
      res_.tree_received += n.tree().counters().received;
      res_.tree_accepted += n.tree().counters().accepted;
      res_.filters_received += n.bloom().counters().received;
      res_.filters_fill_exceeded += n.bloom().counters().fill_exceeded;
      res_.lookups_initiated += n.lookups().counters().req_initiated;
      res_.datagrams_forwarded += n.forwarding().forwarded_packets;
    }
    res_.pool_exhausted = net_->pool().exhausted();
    res_.net_queue_full = net_->network().stats().queue_full;
    res_.peak_rss_mib = static_cast<double>(peak_rss_bytes()) / (1024.0 * 1024.0);
  }

  ScenarioConfig cfg_;
  Rng rng_;
  ScenarioResult res_;
  Topology topo_;
  std::unique_ptr<SimNet> net_;
  std::unique_ptr<Observer> obs_;
  uint64_t start_ms_ = 0, rss0_ = 0;
  uint64_t reach_runs_ = 0;
  std::chrono::steady_clock::time_point wall0_ = std::chrono::steady_clock::now();
};

}  // namespace

const char* phase_name(Phase p) {
  switch (p) {
    case Phase::kConverge:
      return "converge";
    case Phase::kLinkFail:
      return "link-fail";
    case Phase::kRootLoss:
      return "root-loss";
    case Phase::kChurn:
      return "churn";
    case Phase::kPartition:
      return "partition";
  }
  return "?";
}

uint64_t current_rss_bytes() {
  return proc_status_kib("VmRSS:") * 1024;
}
uint64_t peak_rss_bytes() {
  return proc_status_kib("VmHWM:") * 1024;
}

double process_cpu_seconds() {
  timespec ts{};
  if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0) return 0;
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

ScenarioResult run_scenario(const ScenarioConfig& cfg) {
  return Scenario(cfg).run();
}

}  // namespace fips::sim
