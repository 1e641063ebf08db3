// Deterministic graph generators (line, ring, grid, random geometric,
// Barabási–Albert scale-free) producing edge lists for the simulator, plus
// the graph utilities the scenarios measure against: adjacency, BFS hop
// counts, connected components and bridges.
// Same (kind, parameters, seed) -> byte-identical edge list on every run.
// Not here: nodes, links or time (sim_net.h), measurements (scenario.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fips::sim {

using Edge = std::pair<uint32_t, uint32_t>;  // (a, b) with a < b
using Adjacency = std::vector<std::vector<uint32_t>>;

enum class TopologyKind : uint8_t { kLine, kRing, kGrid, kGeometric, kScaleFree };
const char* topology_name(TopologyKind k);
std::optional<TopologyKind> parse_topology(std::string_view s);

struct Topology {
  TopologyKind kind = TopologyKind::kLine;
  size_t n = 0;
  std::vector<Edge> edges;  // sorted, no duplicates, no self loops
  // Geometric only: unit-square positions, the connection radius, and how
  // many shortest inter-component edges were added to make it connected.
  std::vector<std::pair<double, double>> pos;
  double radius = 0.0;
  size_t repair_edges = 0;
  // Grid only.
  size_t rows = 0, cols = 0;
  [[nodiscard]] double mean_degree() const {
    return n ? 2.0 * static_cast<double>(edges.size()) / static_cast<double>(n) : 0.0;
  }
};

Topology make_line(size_t n);
Topology make_ring(size_t n);
Topology make_grid(size_t rows, size_t cols);
// Grid with n nodes: rows = the largest divisor of n <= sqrt(n) (a prime n
// degenerates to a line).
Topology make_grid_n(size_t n);
// n points uniform in the unit square; the radius is the distance of the
// (n * mean_degree / 2)-th closest pair, so the mean degree before repair is
// exactly mean_degree. Then, while disconnected, the smallest component is
// joined to its nearest node outside it: components - 1 extra edges (the
// fewest that connect it), reported in repair_edges.
Topology make_geometric(size_t n, double mean_degree, uint64_t seed);
// Barabási–Albert: a clique of m+1 nodes, then each new node links to m
// distinct existing nodes chosen with probability proportional to degree.
Topology make_scale_free(size_t n, size_t m, uint64_t seed);
// One entry point for the CLI: `degree` is the geometric mean degree or the
// scale-free m (rounded, >= 1); ignored by the others.
Topology make_topology(TopologyKind k, size_t n, double degree, uint64_t seed);

// ---- graph utilities ----
Adjacency adjacency(size_t n, const std::vector<Edge>& edges);
inline constexpr uint32_t kUnreachable = UINT32_MAX;
// Hop counts from src (kUnreachable where unreachable). `alive`, when not
// empty, masks nodes out (a dead src reaches nothing).
std::vector<uint32_t> bfs_hops(const Adjacency& adj, uint32_t src,
                               const std::vector<bool>& alive = {});
// Shortest path lengths from src with weight(a, b) per edge (kUnreachable64
// where unreachable; `alive` masks nodes out as for bfs_hops).
inline constexpr uint64_t kUnreachable64 = UINT64_MAX;
std::vector<uint64_t> dijkstra(const Adjacency& adj, uint32_t src,
                               const std::function<uint64_t(uint32_t, uint32_t)>& weight,
                               const std::vector<bool>& alive = {});
// Component id per node (dead nodes: UINT32_MAX); returns the count.
size_t components(const Adjacency& adj, std::vector<uint32_t>& comp,
                  const std::vector<bool>& alive = {});
bool is_connected(const Adjacency& adj);
// Edges whose removal disconnects their component (Tarjan, iterative).
std::vector<Edge> bridges(const Adjacency& adj);
// Longest shortest path from `samples` evenly spaced sources (exact when
// samples >= n): a cheap diameter estimate for reports.
uint32_t diameter_estimate(const Adjacency& adj, size_t samples);

}  // namespace fips::sim
