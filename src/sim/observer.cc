#include "sim/observer.h"

#include <algorithm>

namespace fips::sim {

Observer::Observer(SimNet& net) : net_(net) {
  index_.reserve(net.size());
  for (size_t i = 0; i < net.size(); ++i)
    index_.emplace(net.at(i).identity().node_addr(), static_cast<uint32_t>(i));
  refresh();
}

void Observer::refresh() {
  const size_t n = net_.size();
  alive_.assign(n, false);
  live_ = 0;
  for (size_t i = 0; i < n; ++i)
    if (net_.at(i).alive()) {
      alive_[i] = true;
      ++live_;
    }
  live_adj_.assign(n, {});
  for (size_t i = 0; i < n; ++i) {
    if (!alive_[i]) continue;
    for (size_t j : net_.neighbours(i))
      if (alive_[j] && net_.link_up(i, j)) live_adj_[i].push_back(static_cast<uint32_t>(j));
    std::sort(live_adj_[i].begin(), live_adj_[i].end());
  }
  ncomp_ = sim::components(live_adj_, comp_, alive_);
  comp_root_.assign(ncomp_, NodeAddr{});
  std::vector<bool> seen(ncomp_, false);
  for (size_t i = 0; i < n; ++i) {
    if (!alive_[i]) continue;
    const NodeAddr& a = net_.at(i).identity().node_addr();
    const uint32_t c = comp_[i];
    if (!seen[c] || a < comp_root_[c]) comp_root_[c] = a;
    seen[c] = true;
  }
}

std::optional<size_t> Observer::index_of(const NodeAddr& a) const {
  auto it = index_.find(a);
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

size_t Observer::global_root() const {
  std::optional<size_t> best;
  for (size_t i = 0; i < alive_.size(); ++i) {
    if (!alive_[i]) continue;
    if (!best || net_.at(i).identity().node_addr() < net_.at(*best).identity().node_addr())
      best = i;
  }
  return best.value_or(0);
}

const char* Observer::node_problem(size_t i) const {
  Node& node = net_.node(i);
  const stp::TreeState& t = node.tree();
  const NodeAddr& self = node.identity().node_addr();
  if (!(t.root() == comp_root_[comp_[i]])) return "wrong root";
  const Coords& c = t.my_coords();
  if (c.empty() || !(c[0] == self) || !(c.back() == t.root())) return "malformed coords";
  if (c.size() == 1) return self == t.root() ? nullptr : "single-entry coords but not root";
  auto p = index_of(c[1]);
  if (!p || !alive_[*p]) return "parent dead";
  const auto& nb = live_adj_[i];
  if (!std::binary_search(nb.begin(), nb.end(), static_cast<uint32_t>(*p)))
    return "parent not a live neighbour (link down)";
  if (!node.link().find_peer(c[1])) return "parent not an FMP peer";
  const Coords& pc = net_.node(*p).tree().my_coords();
  if (pc.size() + 1 != c.size() || !std::equal(pc.begin(), pc.end(), c.begin() + 1))
    return "coords != self + parent's coords";
  return nullptr;
}

std::string Observer::explain(size_t max) const {
  std::string out;
  size_t shown = 0, total = 0;
  for (size_t i = 0; i < alive_.size(); ++i) {
    if (!alive_[i]) continue;
    const char* why = node_problem(i);
    if (!why) continue;
    ++total;
    if (shown++ >= max) continue;
    const stp::TreeState& t = net_.node(i).tree();
    auto pi = index_of(t.parent());
    auto ri = index_of(t.root());
    out += "node " + std::to_string(i) + ": " + why + " (parent " +
           (pi ? std::to_string(*pi) : "?") + ", root " + (ri ? std::to_string(*ri) : "?") +
           ", expected root " + std::to_string(*index_of(comp_root_[comp_[i]])) + ", depth " +
           std::to_string(t.depth()) + ")\n";
  }
  if (total > shown) out += "... " + std::to_string(total - shown) + " more\n";
  return out;
}

bool Observer::tree_converged() const {
  for (size_t i = 0; i < alive_.size(); ++i)
    if (alive_[i] && !node_converged(i)) return false;
  return true;
}

bool Observer::links_settled() const {
  for (size_t i = 0; i < alive_.size(); ++i) {
    if (!alive_[i]) continue;
    LinkLayer& link = net_.node(i).link();
    if (link.peer_count() != live_adj_[i].size()) return false;
    for (uint32_t j : live_adj_[i])
      if (!link.find_peer(net_.at(j).identity().node_addr())) return false;
  }
  return true;
}

size_t Observer::bloom_violations(std::string* first) const {
  size_t bad = 0;
  for (size_t s = 0; s < alive_.size(); ++s) {
    if (!alive_[s]) continue;
    const Node& sn = net_.node(s);
    const NodeAddr& self = sn.identity().node_addr();
    for (size_t d = 0; d < alive_.size(); ++d) {
      if (d == s || !alive_[d] || comp_[d] != comp_[s]) continue;
      const Coords& cd = net_.node(d).tree().my_coords();
      NodeAddr hop = sn.tree().parent();
      for (size_t k = 1; k < cd.size(); ++k)
        if (cd[k] == self) {
          hop = cd[k - 1];
          break;
        }
      const NodeAddr& da = net_.at(d).identity().node_addr();
      if (!(hop == self) && sn.bloom().peer_filter_contains(hop, da)) continue;
      if (bad++ == 0 && first) {
        auto hi = index_of(hop);
        *first = "node " + std::to_string(s) + " cannot see node " + std::to_string(d) +
                 " through tree neighbour " + (hi ? std::to_string(*hi) : "?");
      }
    }
  }
  return bad;
}

uint64_t Observer::filters_sent() const {
  uint64_t s = 0;
  for (size_t i = 0; i < alive_.size(); ++i)
    if (alive_[i]) s += net_.node(i).bloom().counters().sent;
  return s;
}

uint64_t Observer::parent_switches() const {
  uint64_t s = 0;
  for (size_t i = 0; i < alive_.size(); ++i)
    if (alive_[i]) s += net_.node(i).tree().counters().parent_switches;
  return s;
}

}  // namespace fips::sim
