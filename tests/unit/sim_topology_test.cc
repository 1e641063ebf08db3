// Simulator topology generators and graph utilities: shapes, determinism,
// connectivity repair, BFS hop counts, components and bridges.
#include <algorithm>
#include <cmath>
#include <set>

#include "sim/topology.h"
#include "test_util.h"

namespace fips::sim {
namespace {

std::vector<size_t> degrees(const Topology& t) {
  std::vector<size_t> d(t.n, 0);
  for (const auto& [a, b] : t.edges) {
    ++d[a];
    ++d[b];
  }
  return d;
}

void expect_simple(const Topology& t) {
  std::set<Edge> seen;
  for (const auto& e : t.edges) {
    EXPECT_LT(e.first, e.second);
    EXPECT_LT(e.second, t.n);
    EXPECT_TRUE(seen.insert(e).second);
  }
}

TEST(SimTopology, LineRingGrid) {
  const Topology line = make_line(5);
  EXPECT_EQ(line.edges, (std::vector<Edge>{{0, 1}, {1, 2}, {2, 3}, {3, 4}}));
  const Topology ring = make_ring(5);
  EXPECT_EQ(ring.edges.size(), 5u);
  for (size_t d : degrees(ring)) EXPECT_EQ(d, 2u);
  const Topology grid = make_grid(3, 4);
  EXPECT_EQ(grid.n, 12u);
  EXPECT_EQ(grid.edges.size(), 3u * 3 + 2u * 4);  // rows*(cols-1) + (rows-1)*cols
  const Topology g100 = make_grid_n(100);
  EXPECT_EQ(g100.rows, 10u);
  EXPECT_EQ(g100.cols, 10u);
  EXPECT_EQ(make_grid_n(13).rows, 1u);  // prime: a line
  for (const Topology* t : {&line, &ring, &grid, &g100}) {
    expect_simple(*t);
    EXPECT_TRUE(is_connected(adjacency(t->n, t->edges)));
  }
  EXPECT_EQ(diameter_estimate(adjacency(g100.n, g100.edges), 100), 18u);
}

TEST(SimTopology, GeometricHitsTheMeanDegreeAndIsConnected) {
  const Topology t = make_geometric(500, 6.0, 7);
  expect_simple(t);
  EXPECT_EQ(t.edges.size(), 500u * 6 / 2 + t.repair_edges);
  EXPECT_TRUE(is_connected(adjacency(t.n, t.edges)));
  EXPECT_GT(t.radius, 0.0);
  // Every pre-repair edge is within the radius.
  size_t within = 0;
  for (const auto& [a, b] : t.edges) {
    const double dx = t.pos[a].first - t.pos[b].first, dy = t.pos[a].second - t.pos[b].second;
    if (std::sqrt(dx * dx + dy * dy) <= t.radius + 1e-12) ++within;
  }
  EXPECT_EQ(within, 500u * 6 / 2);
}

TEST(SimTopology, GeometricRepairAddsComponentsMinusOneEdges) {
  // Mean degree 1.5: many components before repair.
  const size_t n = 300;
  const Topology t = make_geometric(n, 1.5, 3);
  // Recompute the components of the radius graph alone.
  std::vector<Edge> radius_edges;
  for (const auto& [a, b] : t.edges) {
    const double dx = t.pos[a].first - t.pos[b].first, dy = t.pos[a].second - t.pos[b].second;
    if (std::sqrt(dx * dx + dy * dy) <= t.radius + 1e-12) radius_edges.push_back({a, b});
  }
  std::vector<uint32_t> comp;
  const size_t nc = components(adjacency(n, radius_edges), comp);
  EXPECT_GT(nc, 10u);
  EXPECT_EQ(t.repair_edges, nc - 1);
  EXPECT_TRUE(is_connected(adjacency(n, t.edges)));
}

TEST(SimTopology, ScaleFreeShape) {
  const size_t n = 400, m = 3;
  const Topology t = make_scale_free(n, m, 11);
  expect_simple(t);
  EXPECT_EQ(t.edges.size(), m * (m + 1) / 2 + (n - m - 1) * m);
  const auto d = degrees(t);
  EXPECT_GE(*std::min_element(d.begin(), d.end()), m);
  EXPECT_GT(*std::max_element(d.begin(), d.end()), 5 * m);  // hubs
  EXPECT_TRUE(is_connected(adjacency(n, t.edges)));
}

TEST(SimTopology, SameSeedSameGraphOtherSeedOtherGraph) {
  EXPECT_EQ(make_geometric(200, 6, 5).edges, make_geometric(200, 6, 5).edges);
  EXPECT_NE(make_geometric(200, 6, 5).edges, make_geometric(200, 6, 6).edges);
  EXPECT_EQ(make_scale_free(200, 2, 5).edges, make_scale_free(200, 2, 5).edges);
  EXPECT_NE(make_scale_free(200, 2, 5).edges, make_scale_free(200, 2, 6).edges);
}

TEST(SimTopology, BfsComponentsBridges) {
  // Triangle 0-1-2 with a tail 2-3-4, plus an isolated pair 5-6.
  const std::vector<Edge> e{{0, 1}, {0, 2}, {1, 2}, {2, 3}, {3, 4}, {5, 6}};
  const Adjacency adj = adjacency(7, e);
  const auto h = bfs_hops(adj, 0);
  EXPECT_EQ(h, (std::vector<uint32_t>{0, 1, 1, 2, 3, kUnreachable, kUnreachable}));
  std::vector<bool> alive(7, true);
  alive[2] = false;
  const auto h2 = bfs_hops(adj, 0, alive);
  EXPECT_EQ(h2[3], kUnreachable);
  std::vector<uint32_t> comp;
  EXPECT_EQ(components(adj, comp), 2u);
  EXPECT_EQ(components(adj, comp, alive), 3u);  // {0,1} {3,4} {5,6}
  EXPECT_EQ(comp[2], UINT32_MAX);
  EXPECT_FALSE(is_connected(adj));
  EXPECT_EQ(bridges(adj), (std::vector<Edge>{{2, 3}, {3, 4}, {5, 6}}));
  EXPECT_TRUE(bridges(adjacency(5, make_ring(5).edges)).empty());
  EXPECT_EQ(bridges(adjacency(5, make_line(5).edges)).size(), 4u);
}

TEST(SimTopology, DijkstraTakesTheCheaperLongerPath) {
  // 0-1-2 costs 1 + 1, the direct 0-2 costs 5; node 3 is dead.
  const Adjacency adj = adjacency(4, {{0, 1}, {1, 2}, {0, 2}, {2, 3}});
  auto w = [](uint32_t a, uint32_t b) -> uint64_t { return (a | b) == 2 ? 5 : 1; };
  const auto d = dijkstra(adj, 0, w, {true, true, true, false});
  EXPECT_EQ(d[0], 0u);
  EXPECT_EQ(d[1], 1u);
  EXPECT_EQ(d[2], 2u);
  EXPECT_EQ(d[3], kUnreachable64);
}

TEST(SimTopology, ParseNames) {
  for (auto k : {TopologyKind::kLine, TopologyKind::kRing, TopologyKind::kGrid,
                 TopologyKind::kGeometric, TopologyKind::kScaleFree})
    EXPECT_EQ(parse_topology(topology_name(k)), k);
  EXPECT_FALSE(parse_topology("torus"));
}

}  // namespace
}  // namespace fips::sim
