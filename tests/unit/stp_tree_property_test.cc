// Spanning-tree convergence property: random connected graphs (10-60 nodes),
// links added in random order with random interleaving of deliveries and
// ticks, cold costs (empty peer_costs). Every node must end with root = the
// smallest address and coords = itself + its parent's coords; after a random
// non-bridge link is removed the tree must reconverge the same way.
#include <numeric>

#include "stp_tree_harness.h"
#include "util/rng.h"

namespace fips {
namespace {

using Edge = std::pair<size_t, size_t>;

bool connected_without(size_t n, const std::vector<Edge>& edges, size_t skip) {
  std::vector<std::vector<size_t>> adj(n);
  for (size_t i = 0; i < edges.size(); ++i) {
    if (i == skip) continue;
    adj[edges[i].first].push_back(edges[i].second);
    adj[edges[i].second].push_back(edges[i].first);
  }
  std::vector<bool> seen(n, false);
  std::vector<size_t> stack{0};
  seen[0] = true;
  size_t count = 1;
  while (!stack.empty()) {
    const size_t v = stack.back();
    stack.pop_back();
    for (size_t w : adj[v])
      if (!seen[w]) {
        seen[w] = true;
        ++count;
        stack.push_back(w);
      }
  }
  return count == n;
}

// Random connected graph: a random spanning tree plus up to n/2 extra edges.
std::vector<Edge> random_graph(size_t n, Rng& rng) {
  std::vector<size_t> perm(n);
  std::iota(perm.begin(), perm.end(), 0);
  for (size_t i = n - 1; i > 0; --i) std::swap(perm[i], perm[rng.below(i + 1)]);
  std::vector<Edge> edges;
  auto has = [&](size_t a, size_t b) {
    for (auto [x, y] : edges)
      if ((x == a && y == b) || (x == b && y == a)) return true;
    return false;
  };
  for (size_t i = 1; i < n; ++i) edges.emplace_back(perm[i], perm[rng.below(i)]);
  const size_t extra = rng.below(n / 2 + 1);
  for (size_t k = 0; k < extra; ++k) {
    const size_t a = rng.below(n), b = rng.below(n);
    if (a != b && !has(a, b)) edges.emplace_back(a, b);
  }
  for (size_t i = edges.size() - 1; i > 0; --i) std::swap(edges[i], edges[rng.below(i + 1)]);
  return edges;
}

RC_GTEST_PROP(StpTreeProp, ConvergesToSmallestRootAndReconverges, ()) {
  const auto n = static_cast<size_t>(*rc::gen::inRange(10, 61));
  const auto seed = *rc::gen::arbitrary<uint64_t>();
  Rng rng(seed);
  const auto edges = random_graph(n, rng);
  test::TreeNet net(n, seed);

  for (auto [a, b] : edges) {
    net.link_up(a, b);
    // Random interleaving: deliver some of what is queued, sometimes tick.
    for (uint64_t k = rng.below(8); k > 0 && net.deliver_one(); --k) {
    }
    if (rng.below(4) == 0) {
      net.advance(rng.below(1500));
      net.tick(rng.below(n));
    }
  }
  std::string why;
  const bool ok = net.run_until([&] { return net.consistent(net.addr(0), &why); }, 900'000);
  RC_ASSERT(ok);  // `why` names the offending node when it fails

  // Remove a random non-bridge link, if the graph has one.
  std::vector<size_t> removable;
  for (size_t i = 0; i < edges.size(); ++i)
    if (connected_without(n, edges, i)) removable.push_back(i);
  if (removable.empty()) return;
  const Edge cut = edges[removable[rng.below(removable.size())]];
  net.advance(rng.below(70'000));
  net.link_down(cut.first, cut.second);
  const bool re = net.run_until([&] { return net.consistent(net.addr(0), &why); }, 900'000);
  if (!re)
    RC_FAIL("no reconvergence after cutting " + std::to_string(cut.first) + "-" +
            std::to_string(cut.second) + ": " + why);
}

// The same on a fixed seed, with statistics a reader can check by hand.
TEST(StpTreeProp, FixedSeedSixtyNodes) {
  Rng rng(42);
  const size_t n = 60;
  const auto edges = random_graph(n, rng);
  test::TreeNet net(n, 42);
  for (auto [a, b] : edges) net.link_up(a, b);
  std::string why;
  ASSERT_TRUE(net.run_until([&] { return net.consistent(net.addr(0), &why); }, 900'000)) << why;
  uint64_t switches = 0, sent = 0;
  for (size_t i = 0; i < n; ++i) {
    switches += net.tree(i).counters().parent_switches;
    sent += net.tree(i).counters().sent;
    // Every peer entry mirrors what that peer currently announces.
    for (size_t j : net.node(i).links) {
      const Coords* pc = net.tree(i).peer_coords(net.addr(j));
      ASSERT_NE(pc, nullptr);
      EXPECT_EQ(*pc, net.tree(j).my_coords()) << i << " sees " << j;
    }
  }
  EXPECT_GE(switches, n - 1);
  EXPECT_GT(sent, 0u);
}

}  // namespace
}  // namespace fips
