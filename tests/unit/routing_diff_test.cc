// Differential and end-to-end tests of routing::find_next_hop on random
// connected graphs (10-200 nodes) with a correct spanning tree (root = min
// NodeAddr, BFS parents with smallest-address tie-break, coordinates = path
// to the root) and split-horizon reachability filters built from subtree
// membership (child -> parent: the child's subtree; parent -> child:
// everything outside the child's subtree; cross-link: everything), either as
// real 8192-bit bloom filters or as exact sets.
//
// 1. The core agrees with a deliberately naive implementation written here
//    (plain loops, sorting candidate tuples, distances from parent pointers).
// 2. Repeatedly applying next_hop from every source reaches every destination
//    within the datagram TTL; the stretch (hops / shortest-path hops) is
//    reported.
#include <algorithm>
#include <cstdio>
#include <deque>
#include <map>
#include <tuple>

#include "proto/bloom/filter.h"
#include "proto/routing/core.h"
#include "test_util.h"
#include "util/rng.h"

namespace fips::routing {
namespace {

constexpr size_t kNone = SIZE_MAX;

struct Graph {
  size_t n = 0;
  std::vector<NodeAddr> addr;
  std::vector<bloom::BaseHashes> hashes;
  std::vector<std::vector<size_t>> adj;
  std::vector<size_t> parent, depth;
  std::vector<Coords> coords;
  // Per directed adjacency u -> adj[u][k]: what u holds about that neighbour.
  std::vector<std::vector<bloom::Filter>> filter;
  std::vector<std::vector<std::vector<bool>>> exact;
  std::vector<std::vector<double>> cost;
  std::vector<std::vector<bool>> can_send, coords_known, has_filter;
  std::map<NodeAddr, size_t> index;
  bool use_bloom = true;

  [[nodiscard]] bool is_tree_edge(size_t u, size_t v) const {
    return parent[u] == v || parent[v] == u;
  }
};

// Random connected graph: a random tree plus `extra` random edges.
// perturb: ~10% of peers cannot send, have unknown coordinates, or have
// sent no filter (exercises the greedy and no-route paths).
// uniform_cost: every link costs 1.0 (else costs from {1, 1.25, 2, 3.5}).
Graph make_graph(uint64_t seed, size_t n, size_t extra, bool perturb, bool uniform_cost = false) {
  Rng rng(seed);
  Graph g;
  g.n = n;
  g.addr.resize(n);
  for (auto& a : g.addr)
    for (auto& b : a.bytes) b = static_cast<uint8_t>(rng.next());
  for (size_t i = 0; i < n; ++i) {
    g.index[g.addr[i]] = i;
    g.hashes.push_back(bloom::base_hashes(g.addr[i]));
  }
  g.adj.resize(n);
  auto connect = [&](size_t a, size_t b) {
    if (a == b || std::count(g.adj[a].begin(), g.adj[a].end(), b)) return;
    g.adj[a].push_back(b);
    g.adj[b].push_back(a);
  };
  for (size_t i = 1; i < n; ++i) connect(i, rng.below(i));
  for (size_t e = 0; e < extra; ++e) connect(rng.below(n), rng.below(n));

  // Spanning tree: BFS levels from the minimum address, parent = the
  // smallest-address neighbour one level up.
  size_t root = 0;
  for (size_t i = 1; i < n; ++i)
    if (g.addr[i] < g.addr[root]) root = i;
  g.depth.assign(n, kNone);
  g.depth[root] = 0;
  std::deque<size_t> q{root};
  while (!q.empty()) {
    const size_t u = q.front();
    q.pop_front();
    for (size_t v : g.adj[u])
      if (g.depth[v] == kNone) {
        g.depth[v] = g.depth[u] + 1;
        q.push_back(v);
      }
  }
  g.parent.assign(n, kNone);
  g.parent[root] = root;
  for (size_t u = 0; u < n; ++u)
    for (size_t v : g.adj[u])
      if (g.depth[v] + 1 == g.depth[u] && (g.parent[u] == kNone || g.addr[v] < g.addr[g.parent[u]]))
        g.parent[u] = v;
  g.coords.resize(n);
  for (size_t u = 0; u < n; ++u) {
    for (size_t x = u;; x = g.parent[x]) {
      g.coords[u].push_back(g.addr[x]);
      if (x == root) break;
    }
  }

  // Subtree membership: in_sub[a][x] = x is in a's subtree.
  std::vector<std::vector<bool>> in_sub(n, std::vector<bool>(n, false));
  for (size_t x = 0; x < n; ++x)
    for (size_t a = x;; a = g.parent[a]) {
      in_sub[a][x] = true;
      if (a == root) break;
    }

  g.filter.resize(n);
  g.exact.resize(n);
  g.cost.resize(n);
  g.can_send.resize(n);
  g.coords_known.resize(n);
  g.has_filter.resize(n);
  const double costs[] = {1.0, 1.0, 1.25, 2.0, 3.5};
  for (size_t u = 0; u < n; ++u)
    for (size_t v : g.adj[u]) {
      std::vector<bool> m(n);
      for (size_t x = 0; x < n; ++x) {
        if (g.parent[v] == u)
          m[x] = in_sub[v][x];  // child's subtree
        else if (g.parent[u] == v)
          m[x] = !in_sub[u][x];  // all but our subtree
        else
          m[x] = true;  // cross-link: everything
      }
      bloom::Filter f;
      for (size_t x = 0; x < n; ++x)
        if (m[x]) f.insert_hashes(g.hashes[x]);
      g.filter[u].push_back(std::move(f));
      g.exact[u].push_back(std::move(m));
      g.cost[u].push_back(uniform_cost ? 1.0 : costs[rng.below(5)]);
      g.can_send[u].push_back(!perturb || rng.below(10) != 0);
      g.coords_known[u].push_back(!perturb || rng.below(10) != 0);
      g.has_filter[u].push_back(!perturb || rng.below(10) != 0);
    }
  return g;
}

class GraphView : public PeerView {
 public:
  GraphView(const Graph& g, size_t u) : g_(g), u_(u) {}
  const NodeAddr& self_addr() const override { return g_.addr[u_]; }
  CoordsView self_coords() const override { return coords_view_of(g_.coords[u_]); }
  size_t peer_count() const override { return g_.adj[u_].size(); }
  PeerInfo peer(size_t i) const override {
    const size_t v = g_.adj[u_][i];
    return PeerInfo{g_.addr[v], g_.can_send[u_][i], g_.is_tree_edge(u_, v), g_.cost[u_][i],
                    g_.coords_known[u_][i] ? coords_view_of(g_.coords[v]) : CoordsView{}};
  }
  bool peer_may_reach(size_t i, const RouteDest& d) const override {
    if (!g_.has_filter[u_][i]) return false;
    if (g_.use_bloom) return g_.filter[u_][i].contains_hashes(d.hashes);
    const auto it = g_.index.find(d.addr);
    return it != g_.index.end() && g_.exact[u_][i][it->second];
  }
  size_t find_peer(const NodeAddr& a) const override {
    for (size_t i = 0; i < g_.adj[u_].size(); ++i)
      if (g_.addr[g_.adj[u_][i]] == a) return i;
    return kNoPeer;
  }
  uint16_t link_mtu(size_t) const override { return kUnknownMtu; }

 private:
  const Graph& g_;
  size_t u_;
};

// ---- the naive reference ----

// Tree distance from parent pointers: climb to the common ancestor.
uint64_t naive_tree_dist(const Graph& g, size_t a, size_t b) {
  uint64_t d = 0;
  while (g.depth[a] > g.depth[b]) a = g.parent[a], ++d;
  while (g.depth[b] > g.depth[a]) b = g.parent[b], ++d;
  while (a != b) a = g.parent[a], b = g.parent[b], d += 2;
  return d;
}

struct NaiveHop {
  NextHop::Kind kind;
  size_t node = kNone;  // next hop node index
  NoRouteReason reason = NoRouteReason::kCoordsRequired;
};

NaiveHop naive_next_hop(const Graph& g, size_t u, size_t dest, bool have_coords) {
  if (u == dest) return {NextHop::Kind::kLocal};
  const auto& nb = g.adj[u];
  for (size_t k = 0; k < nb.size(); ++k)
    if (nb[k] == dest && g.can_send[u][k]) return {NextHop::Kind::kPeer, dest};
  if (!have_coords) return {NextHop::Kind::kNoRoute, kNone, NoRouteReason::kCoordsRequired};
  const uint64_t mine = naive_tree_dist(g, u, dest);
  auto dist_via = [&](size_t k) {
    return g.coords_known[u][k] ? naive_tree_dist(g, nb[k], dest) : UINT64_MAX;
  };
  auto reaches = [&](size_t k) {
    if (!g.has_filter[u][k]) return false;
    return g.use_bloom ? g.filter[u][k].contains_hashes(g.hashes[dest]) : bool(g.exact[u][k][dest]);
  };
  std::vector<std::tuple<double, uint64_t, NodeAddr, size_t>> bloom;
  for (size_t k = 0; k < nb.size(); ++k)
    if (g.can_send[u][k] && reaches(k) && dist_via(k) < mine)
      bloom.emplace_back(g.cost[u][k], dist_via(k), g.addr[nb[k]], nb[k]);
  if (!bloom.empty()) {
    std::sort(bloom.begin(), bloom.end());
    return {NextHop::Kind::kPeer, std::get<3>(bloom.front())};
  }
  std::vector<std::tuple<uint64_t, NodeAddr, size_t>> greedy;
  for (size_t k = 0; k < nb.size(); ++k)
    if (g.can_send[u][k] && dist_via(k) < mine)
      greedy.emplace_back(dist_via(k), g.addr[nb[k]], nb[k]);
  if (!greedy.empty()) {
    std::sort(greedy.begin(), greedy.end());
    return {NextHop::Kind::kPeer, std::get<2>(greedy.front())};
  }
  return {NextHop::Kind::kNoRoute, kNone, NoRouteReason::kPathBroken};
}

size_t index_of(const Graph& g, const NodeAddr& a) {
  const auto it = g.index.find(a);
  return it == g.index.end() ? kNone : it->second;
}

TEST(RoutingDiff, CoreAgreesWithNaiveReference) {
  size_t compared = 0, no_route = 0, via[3] = {0, 0, 0};
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    Rng r(seed * 7919);
    const size_t n = 10 + r.below(191);
    const size_t extra = r.below(2 * n);
    Graph g = make_graph(seed, n, extra, /*perturb=*/seed % 4 != 0);
    g.use_bloom = seed % 3 != 0;
    for (size_t u = 0; u < n; ++u) {
      const GraphView view(g, u);
      for (size_t d = 0; d < n; ++d) {
        const bool have = r.below(20) != 0;
        const CoordsView dc = coords_view_of(g.coords[d]);
        const NextHop got = find_next_hop(view, RouteDest::of(g.addr[d]), have ? &dc : nullptr);
        const NaiveHop want = naive_next_hop(g, u, d, have);
        ASSERT_EQ(got.kind, want.kind) << "seed " << seed << " u " << u << " d " << d;
        if (got.is_peer()) {
          ASSERT_EQ(index_of(g, got.peer), want.node)
              << "seed " << seed << " u " << u << " d " << d;
          ASSERT_EQ(g.adj[u][got.peer_index], want.node);
          ++via[static_cast<int>(got.via)];
        } else if (got.kind == NextHop::Kind::kNoRoute) {
          ASSERT_EQ(got.reason, want.reason);
          ++no_route;
        }
        ++compared;
      }
    }
  }
  std::printf(
      "[ routing ] differential: %zu decisions compared (direct %zu, bloom %zu, tree %zu, "
      "no-route %zu)\n",
      compared, via[0], via[1], via[2], no_route);
  // The perturbed graphs exercise every branch.
  EXPECT_GT(no_route, 0u);
  EXPECT_GT(via[static_cast<int>(HopVia::kTree)], 0u);
}

TEST(RoutingDiff, EndToEndReachabilityAndStretch) {
  struct Family {
    const char* name;
    double extra_per_node;
    bool uniform_cost;
  };
  const Family families[] = {{"sparse", 0.2, true},       {"medium", 1.0, true},
                             {"dense", 3.0, true},        {"sparse/cost", 0.2, false},
                             {"medium/cost", 1.0, false}, {"dense/cost", 3.0, false}};
  for (const Family& fam : families) {
    std::vector<double> stretch;
    size_t pairs = 0, max_hops = 0, via_bloom = 0, via_tree = 0, via_direct = 0;
    for (uint64_t seed = 100; seed < 103; ++seed) {
      Rng r(seed);
      const size_t n = 10 + r.below(191);
      Graph g = make_graph(seed, n, static_cast<size_t>(fam.extra_per_node * double(n)), false,
                           fam.uniform_cost);
      std::vector<GraphView> views;
      for (size_t u = 0; u < n; ++u) views.emplace_back(g, u);
      for (size_t s = 0; s < n; ++s) {
        // Shortest paths from s (BFS).
        std::vector<size_t> sp(n, kNone);
        sp[s] = 0;
        std::deque<size_t> q{s};
        while (!q.empty()) {
          const size_t u = q.front();
          q.pop_front();
          for (size_t v : g.adj[u])
            if (sp[v] == kNone) sp[v] = sp[u] + 1, q.push_back(v);
        }
        for (size_t d = 0; d < n; ++d) {
          if (d == s) continue;
          const CoordsView dc = coords_view_of(g.coords[d]);
          const RouteDest rd = RouteDest::of(g.addr[d]);
          size_t cur = s, hops = 0;
          while (cur != d) {
            const NextHop h = find_next_hop(views[cur], rd, &dc);
            ASSERT_TRUE(h.is_peer()) << fam.name << " seed " << seed << " s " << s << " d " << d;
            (h.via == HopVia::kBloom  ? via_bloom
             : h.via == HopVia::kTree ? via_tree
                                      : via_direct)++;
            cur = g.adj[cur][h.peer_index];
            ASSERT_LE(++hops, size_t{kDefaultTtl}) << "TTL exceeded";
          }
          ASSERT_GE(hops, sp[d]);
          stretch.push_back(double(hops) / double(sp[d]));
          max_hops = std::max(max_hops, hops);
          ++pairs;
        }
      }
    }
    std::sort(stretch.begin(), stretch.end());
    double mean = 0;
    for (double x : stretch) mean += x;
    mean /= double(stretch.size());
    std::printf(
        "[ routing ] %-11s: %zu pairs, 100%% delivered, stretch median %.3f mean %.3f p99 %.3f "
        "max %.3f, max hops %zu, hops via direct/bloom/tree %zu/%zu/%zu\n",
        fam.name, pairs, stretch[stretch.size() / 2], mean,
        stretch[std::min(stretch.size() - 1, stretch.size() * 99 / 100)], stretch.back(), max_hops,
        via_direct, via_bloom, via_tree);
  }
}

}  // namespace
}  // namespace fips::routing
