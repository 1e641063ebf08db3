#include "sim/topology.h"

#include <algorithm>
#include <limits>
#include <cmath>
#include <numbers>
#include <queue>

#include "util/rng.h"

namespace fips::sim {
namespace {

Edge edge(size_t a, size_t b) {
  if (a > b) std::swap(a, b);
  return {static_cast<uint32_t>(a), static_cast<uint32_t>(b)};
}

void normalise(std::vector<Edge>& e) {
  std::sort(e.begin(), e.end());
  e.erase(std::unique(e.begin(), e.end()), e.end());
}

double dist2(const std::pair<double, double>& a, const std::pair<double, double>& b) {
  const double dx = a.first - b.first, dy = a.second - b.second;
  return dx * dx + dy * dy;
}

struct Candidate {
  double d2;
  Edge e;
  bool operator<(const Candidate& o) const { return d2 != o.d2 ? d2 < o.d2 : e < o.e; }
};

// Every pair closer than r (cell grid of side r: only neighbouring cells).
std::vector<Candidate> pairs_within(const std::vector<std::pair<double, double>>& pos, double r) {
  const size_t cells = std::max<size_t>(1, static_cast<size_t>(1.0 / r));
  const double side = 1.0 / static_cast<double>(cells);
  auto cell_of = [&](double x) { return std::min(cells - 1, static_cast<size_t>(x / side)); };
  std::vector<std::vector<uint32_t>> grid(cells * cells);
  for (size_t i = 0; i < pos.size(); ++i)
    grid[cell_of(pos[i].second) * cells + cell_of(pos[i].first)].push_back(
        static_cast<uint32_t>(i));
  const double r2 = r * r;
  std::vector<Candidate> out;
  for (size_t i = 0; i < pos.size(); ++i) {
    const size_t cx = cell_of(pos[i].first), cy = cell_of(pos[i].second);
    for (size_t y = cy ? cy - 1 : 0; y <= std::min(cells - 1, cy + 1); ++y)
      for (size_t x = cx ? cx - 1 : 0; x <= std::min(cells - 1, cx + 1); ++x)
        for (uint32_t j : grid[y * cells + x]) {
          if (j <= i) continue;
          const double d = dist2(pos[i], pos[j]);
          if (d <= r2) out.push_back({d, edge(i, j)});
        }
  }
  return out;
}

}  // namespace

const char* topology_name(TopologyKind k) {
  switch (k) {
    case TopologyKind::kLine:
      return "line";
    case TopologyKind::kRing:
      return "ring";
    case TopologyKind::kGrid:
      return "grid";
    case TopologyKind::kGeometric:
      return "geometric";
    case TopologyKind::kScaleFree:
      return "scalefree";
  }
  return "?";
}

std::optional<TopologyKind> parse_topology(std::string_view s) {
  for (auto k : {TopologyKind::kLine, TopologyKind::kRing, TopologyKind::kGrid,
                 TopologyKind::kGeometric, TopologyKind::kScaleFree})
    if (s == topology_name(k)) return k;
  return std::nullopt;
}

Topology make_line(size_t n) {
  Topology t;
  t.kind = TopologyKind::kLine;
  t.n = n;
  for (size_t i = 1; i < n; ++i) t.edges.push_back(edge(i - 1, i));
  return t;
}

Topology make_ring(size_t n) {
  Topology t = make_line(n);
  t.kind = TopologyKind::kRing;
  if (n >= 3) t.edges.push_back(edge(n - 1, 0));
  normalise(t.edges);
  return t;
}

Topology make_grid(size_t rows, size_t cols) {
  Topology t;
  t.kind = TopologyKind::kGrid;
  t.n = rows * cols;
  t.rows = rows;
  t.cols = cols;
  for (size_t r = 0; r < rows; ++r)
    for (size_t c = 0; c < cols; ++c) {
      const size_t i = r * cols + c;
      if (c + 1 < cols) t.edges.push_back(edge(i, i + 1));
      if (r + 1 < rows) t.edges.push_back(edge(i, i + cols));
    }
  normalise(t.edges);
  return t;
}

Topology make_grid_n(size_t n) {
  size_t rows = 1;
  for (size_t r = 1; r * r <= n; ++r)
    if (n % r == 0) rows = r;
  return make_grid(rows, rows ? n / rows : 0);
}

Topology make_geometric(size_t n, double mean_degree, uint64_t seed) {
  Topology t;
  t.kind = TopologyKind::kGeometric;
  t.n = n;
  Rng rng(seed ^ 0x6E0E7A1CULL);
  t.pos.resize(n);
  for (auto& p : t.pos) {
    p.first = rng.unit();
    p.second = rng.unit();
  }
  if (n < 2) return t;
  const size_t max_edges = n * (n - 1) / 2;
  const size_t want = std::min(
      max_edges, static_cast<size_t>(std::llround(static_cast<double>(n) * mean_degree / 2.0)));
  // Start from the radius that would give the degree without boundary
  // effects and grow until there are enough candidate pairs.
  double r = std::sqrt(std::max(mean_degree, 1.0) / (std::numbers::pi * static_cast<double>(n)));
  std::vector<Candidate> cand;
  for (;;) {
    cand = pairs_within(t.pos, std::min(r, 1.5));
    if (cand.size() >= want || r >= 1.5) break;
    r *= 1.25;
  }
  const size_t k = std::min(want, cand.size());
  if (k > 0) {
    std::nth_element(cand.begin(), cand.begin() + static_cast<std::ptrdiff_t>(k - 1), cand.end());
    t.radius = std::sqrt(cand[k - 1].d2);
    for (size_t i = 0; i < k; ++i) t.edges.push_back(cand[i].e);
  }
  normalise(t.edges);

  // Repair: join the smallest component (ties: lowest node) to its nearest
  // node outside it until one component is left (components - 1 edges).
  for (;;) {
    std::vector<uint32_t> comp;
    const size_t nc = components(adjacency(n, t.edges), comp);
    if (nc <= 1) break;
    std::vector<size_t> size(nc, 0);
    std::vector<uint32_t> first(nc, UINT32_MAX);
    for (uint32_t i = 0; i < n; ++i) {
      ++size[comp[i]];
      first[comp[i]] = std::min(first[comp[i]], i);
    }
    size_t pick = 0;
    for (size_t c = 1; c < nc; ++c)
      if (size[c] < size[pick] || (size[c] == size[pick] && first[c] < first[pick])) pick = c;
    Candidate best{std::numeric_limits<double>::infinity(), {0, 0}};
    for (uint32_t i = 0; i < n; ++i) {
      if (comp[i] != pick) continue;
      for (uint32_t j = 0; j < n; ++j) {
        if (comp[j] == pick) continue;
        const Candidate c{dist2(t.pos[i], t.pos[j]), edge(i, j)};
        if (c < best) best = c;
      }
    }
    t.edges.push_back(best.e);
    normalise(t.edges);
    ++t.repair_edges;
  }
  return t;
}

Topology make_scale_free(size_t n, size_t m, uint64_t seed) {
  Topology t;
  t.kind = TopologyKind::kScaleFree;
  t.n = n;
  m = std::max<size_t>(1, m);
  Rng rng(seed ^ 0x5CA1EF4EEULL);
  const size_t core = std::min(n, m + 1);
  std::vector<uint32_t> ends;  // every edge endpoint: node i appears degree(i) times
  for (size_t i = 0; i < core; ++i)
    for (size_t j = i + 1; j < core; ++j) {
      t.edges.push_back(edge(i, j));
      ends.push_back(static_cast<uint32_t>(i));
      ends.push_back(static_cast<uint32_t>(j));
    }
  std::vector<uint32_t> chosen;
  for (size_t v = core; v < n; ++v) {
    chosen.clear();
    while (chosen.size() < m) {
      const uint32_t u = ends[rng.below(ends.size())];
      if (std::find(chosen.begin(), chosen.end(), u) == chosen.end()) chosen.push_back(u);
    }
    for (uint32_t u : chosen) {
      t.edges.push_back(edge(u, v));
      ends.push_back(u);
      ends.push_back(static_cast<uint32_t>(v));
    }
  }
  normalise(t.edges);
  return t;
}

Topology make_topology(TopologyKind k, size_t n, double degree, uint64_t seed) {
  switch (k) {
    case TopologyKind::kLine:
      return make_line(n);
    case TopologyKind::kRing:
      return make_ring(n);
    case TopologyKind::kGrid:
      return make_grid_n(n);
    case TopologyKind::kGeometric:
      return make_geometric(n, degree, seed);
    case TopologyKind::kScaleFree:
      return make_scale_free(n, static_cast<size_t>(std::max(1.0, std::round(degree))), seed);
  }
  return {};
}

// ---- utilities ----

Adjacency adjacency(size_t n, const std::vector<Edge>& edges) {
  Adjacency adj(n);
  for (const auto& [a, b] : edges) {
    adj[a].push_back(b);
    adj[b].push_back(a);
  }
  for (auto& v : adj) std::sort(v.begin(), v.end());
  return adj;
}

std::vector<uint32_t> bfs_hops(const Adjacency& adj, uint32_t src, const std::vector<bool>& alive) {
  std::vector<uint32_t> d(adj.size(), kUnreachable);
  auto ok = [&](uint32_t i) { return alive.empty() || alive[i]; };
  if (src >= adj.size() || !ok(src)) return d;
  std::vector<uint32_t> q{src};
  d[src] = 0;
  for (size_t h = 0; h < q.size(); ++h) {
    const uint32_t u = q[h];
    for (uint32_t v : adj[u])
      if (d[v] == kUnreachable && ok(v)) {
        d[v] = d[u] + 1;
        q.push_back(v);
      }
  }
  return d;
}

std::vector<uint64_t> dijkstra(const Adjacency& adj, uint32_t src,
                               const std::function<uint64_t(uint32_t, uint32_t)>& weight,
                               const std::vector<bool>& alive) {
  std::vector<uint64_t> dist(adj.size(), kUnreachable64);
  auto live = [&](uint32_t v) { return alive.empty() || alive[v]; };
  if (src >= adj.size() || !live(src)) return dist;
  using Item = std::pair<uint64_t, uint32_t>;
  std::priority_queue<Item, std::vector<Item>, std::greater<>> q;
  dist[src] = 0;
  q.emplace(0, src);
  while (!q.empty()) {
    const auto [d, u] = q.top();
    q.pop();
    if (d != dist[u]) continue;
    for (uint32_t v : adj[u]) {
      if (!live(v)) continue;
      const uint64_t nd = d + weight(u, v);
      if (nd < dist[v]) {
        dist[v] = nd;
        q.emplace(nd, v);
      }
    }
  }
  return dist;
}

size_t components(const Adjacency& adj, std::vector<uint32_t>& comp,
                  const std::vector<bool>& alive) {
  comp.assign(adj.size(), UINT32_MAX);
  auto ok = [&](uint32_t i) { return alive.empty() || alive[i]; };
  uint32_t count = 0;
  std::vector<uint32_t> q;
  for (uint32_t s = 0; s < adj.size(); ++s) {
    if (comp[s] != UINT32_MAX || !ok(s)) continue;
    q.assign(1, s);
    comp[s] = count;
    for (size_t h = 0; h < q.size(); ++h)
      for (uint32_t v : adj[q[h]])
        if (comp[v] == UINT32_MAX && ok(v)) {
          comp[v] = count;
          q.push_back(v);
        }
    ++count;
  }
  return count;
}

bool is_connected(const Adjacency& adj) {
  std::vector<uint32_t> comp;
  return components(adj, comp) <= 1;
}

std::vector<Edge> bridges(const Adjacency& adj) {
  const size_t n = adj.size();
  std::vector<uint32_t> disc(n, 0), low(n, 0);
  uint32_t timer = 0;
  std::vector<Edge> out;
  struct Frame {
    uint32_t v, parent;
    size_t next;
    bool parent_skipped;
  };
  std::vector<Frame> st;
  for (uint32_t s = 0; s < n; ++s) {
    if (disc[s]) continue;
    disc[s] = low[s] = ++timer;
    st.push_back({s, UINT32_MAX, 0, false});
    while (!st.empty()) {
      Frame& f = st.back();
      if (f.next < adj[f.v].size()) {
        const uint32_t w = adj[f.v][f.next++];
        if (w == f.parent && !f.parent_skipped) {
          f.parent_skipped = true;  // the tree edge itself (parallel edges do not exist)
          continue;
        }
        if (disc[w]) {
          low[f.v] = std::min(low[f.v], disc[w]);
        } else {
          disc[w] = low[w] = ++timer;
          st.push_back({w, f.v, 0, false});
        }
        continue;
      }
      const uint32_t v = f.v, p = f.parent;
      st.pop_back();
      if (p != UINT32_MAX) {
        low[p] = std::min(low[p], low[v]);
        if (low[v] > disc[p]) out.push_back(edge(p, v));
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

uint32_t diameter_estimate(const Adjacency& adj, size_t samples) {
  const size_t n = adj.size();
  if (n == 0) return 0;
  samples = std::max<size_t>(1, std::min(samples, n));
  uint32_t best = 0;
  for (size_t k = 0; k < samples; ++k) {
    const auto d = bfs_hops(adj, static_cast<uint32_t>(k * n / samples));
    for (uint32_t x : d)
      if (x != kUnreachable) best = std::max(best, x);
  }
  return best;
}

}  // namespace fips::sim
