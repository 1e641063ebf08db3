// What the scenarios check about a running SimNet, from the outside: the
// live graph (alive nodes, links up), its components and the root each one
// must elect, whether every live node's tree state is converged, whether the
// FMP peer sets match the live graph, and network-wide protocol counters.
// Not here: driving phases (scenario.cc), lookups and datagrams (reach.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "sim/sim_net.h"
#include "sim/topology.h"

namespace fips::sim {

class Observer {
 public:
  explicit Observer(SimNet& net);

  // Re-reads which nodes are alive and which links are up; call after every
  // kill / revive / set_link_up (the checks below use this snapshot).
  void refresh();

  // Every live node: root == the minimum NodeAddr of its live component;
  // coords[0] == self; root <=> coords == [self]; otherwise the parent
  // (coords[1]) is a live neighbour over an up link, is an FMP peer, and
  // coords == [self] ++ parent's coords.
  [[nodiscard]] bool tree_converged() const;
  // Why the first `max` unconverged live nodes are not converged (one line
  // each; empty when converged): for test failures and debugging.
  [[nodiscard]] std::string explain(size_t max = 5) const;
  // Every live node has exactly its live, up-link neighbours as FMP peers.
  [[nodiscard]] bool links_settled() const;

  // Bloom filters agree with the (converged) tree: for every ordered pair of
  // live nodes (s, d) in one component, the tree neighbour of s towards d
  // (the child whose subtree holds d, else the parent) has d in the filter s
  // holds for it. Returns the number of violating pairs (O(n^2): for tests
  // and small nets); `first` gets a description of the first one.
  [[nodiscard]] size_t bloom_violations(std::string* first = nullptr) const;

  // Sums over live nodes.
  [[nodiscard]] uint64_t filters_sent() const;
  [[nodiscard]] uint64_t parent_switches() const;

  [[nodiscard]] const std::vector<bool>& alive() const { return alive_; }
  [[nodiscard]] const Adjacency& live_adj() const { return live_adj_; }
  [[nodiscard]] const std::vector<uint32_t>& comp() const { return comp_; }
  [[nodiscard]] size_t components() const { return ncomp_; }
  [[nodiscard]] size_t live_count() const { return live_; }
  // The index of the node with the smallest NodeAddr among live nodes.
  [[nodiscard]] size_t global_root() const;
  [[nodiscard]] std::optional<size_t> index_of(const NodeAddr& a) const;

 private:
  // nullptr when converged, else the reason.
  const char* node_problem(size_t i) const;
  bool node_converged(size_t i) const { return node_problem(i) == nullptr; }

  SimNet& net_;
  std::unordered_map<NodeAddr, uint32_t, NodeAddrHash> index_;
  std::vector<bool> alive_;
  Adjacency live_adj_;
  std::vector<uint32_t> comp_;
  std::vector<NodeAddr> comp_root_;
  size_t ncomp_ = 0, live_ = 0;
};

}  // namespace fips::sim
