// BloomState, many nodes: filters exchanged as encoded FilterAnnounces over a
// line, a star and (property) random spanning trees with random non-tree
// links, until quiescent; every filter must then be exactly its
// split-horizon node set.

#include <map>
#include <memory>
#include <set>

#include "bloom_state_test_util.h"
#include "test_util.h"

namespace fips {
namespace {

using bloom::BloomParams;
using bloom::BloomState;
using bloom::Filter;
using bloom::FilterAnnounce;
using bloom::FilterVerdict;
using test::A;
using test::announce;
using test::announce_with_ones;
using test::encode;
using test::filter_of;

// ---------------------------------------------------------------- multi-node exchange

// N BloomStates over a static spanning tree (parent[0] = root) plus optional
// non-tree "mesh" links. Filters travel as encoded bytes; each round advances
// the clock by the debounce, ticks every node and delivers what was sent.
struct Net {
  std::vector<NodeAddr> addr;
  std::vector<int> parent;  // -1 for the root
  std::vector<std::set<int>> adj;
  std::vector<std::unique_ptr<BloomState>> st;
  std::map<NodeAddr, int> index;
  uint64_t now = 0;

  Net(const std::vector<int>& par, const std::vector<std::pair<int, int>>& cross, uint8_t tag = 9)
      : parent(par), adj(par.size()) {
    for (size_t i = 0; i < par.size(); ++i) {
      addr.push_back(A(static_cast<uint32_t>(i), tag));
      index[addr.back()] = static_cast<int>(i);
      st.push_back(std::make_unique<BloomState>(addr.back(), BloomParams{}, i, ~i));
    }
    for (size_t i = 0; i < par.size(); ++i)
      if (par[i] >= 0) link(static_cast<int>(i), par[i]);
    for (auto [x, y] : cross) link(x, y);
  }
  void link(int x, int y) {
    if (x == y || adj[static_cast<size_t>(x)].count(y)) return;
    adj[static_cast<size_t>(x)].insert(y);
    adj[static_cast<size_t>(y)].insert(x);
    st[static_cast<size_t>(x)]->on_peer_up(addr[static_cast<size_t>(y)]);
    st[static_cast<size_t>(y)]->on_peer_up(addr[static_cast<size_t>(x)]);
  }
  bool is_tree(int v, const NodeAddr& peer) const {
    const int p = index.at(peer);
    return parent[static_cast<size_t>(v)] == p || parent[static_cast<size_t>(p)] == v;
  }
  // Runs until a round sends nothing; returns the number of rounds.
  int run(int max_rounds = 10'000) {
    for (int round = 0; round < max_rounds; ++round) {
      struct Msg {
        int from, to;
        std::vector<uint8_t> bytes;
      };
      std::vector<Msg> q;
      for (size_t v = 0; v < st.size(); ++v) {
        const int vi = static_cast<int>(v);
        auto tree = [&](const NodeAddr& p) { return is_tree(vi, p); };
        auto send = [&](const NodeAddr& to, const FilterAnnounce& fa) {
          q.push_back(Msg{vi, index.at(to), encode(fa)});
          return true;
        };
        (void)st[v]->tick(now, tree, send);
      }
      if (q.empty()) return round;
      for (const Msg& m : q) {
        const int to = m.to;
        auto tree = [&](const NodeAddr& p) { return is_tree(to, p); };
        auto r = st[static_cast<size_t>(to)]->on_filter_announce(addr[static_cast<size_t>(m.from)],
                                                                 m.bytes, now, tree);
        EXPECT_EQ(r.verdict, FilterVerdict::kAccepted);
      }
      now += 500;
    }
    return -1;
  }
  // Node set of v's subtree.
  std::vector<NodeAddr> subtree(int v) const {
    std::vector<NodeAddr> out;
    std::vector<int> stack = {v};
    while (!stack.empty()) {
      const int x = stack.back();
      stack.pop_back();
      out.push_back(addr[static_cast<size_t>(x)]);
      for (size_t c = 0; c < parent.size(); ++c)
        if (parent[c] == x) stack.push_back(static_cast<int>(c));
    }
    return out;
  }
  std::vector<NodeAddr> all_but_subtree(int v) const {
    auto sub = subtree(v);
    std::set<NodeAddr> excl(sub.begin(), sub.end());
    std::vector<NodeAddr> out;
    for (const NodeAddr& a : addr)
      if (!excl.count(a)) out.push_back(a);
    return out;
  }
  // What node v holds from its peer p (= the filter p last sent to v).
  const Filter* held(int v, int p) const {
    return st[static_cast<size_t>(v)]->inbound_filter(addr[static_cast<size_t>(p)]);
  }
};

TEST(BloomState, SplitHorizonOnALine) {
  Net net({-1, 0, 1, 2, 3}, {});  // 0 - 1 - 2 - 3 - 4, rooted at 0
  ASSERT_GE(net.run(), 0);
  // Node 2 toward its parent 1: {2,3,4}; toward its child 3: {0,1,2}.
  EXPECT_EQ(*net.held(1, 2), filter_of({net.addr[2], net.addr[3], net.addr[4]}));
  EXPECT_EQ(*net.held(3, 2), filter_of({net.addr[0], net.addr[1], net.addr[2]}));
  EXPECT_EQ(*net.held(0, 1), filter_of(net.subtree(1)));
  EXPECT_EQ(*net.held(4, 3), filter_of(net.all_but_subtree(4)));
}

TEST(BloomState, SplitHorizonOnAStar) {
  Net net({-1, 0, 0, 0, 0, 0}, {});
  ASSERT_GE(net.run(), 0);
  for (int leaf = 1; leaf <= 5; ++leaf) {
    EXPECT_EQ(*net.held(0, leaf), filter_of({net.addr[static_cast<size_t>(leaf)]}));
    EXPECT_EQ(*net.held(leaf, 0), filter_of(net.all_but_subtree(leaf)));
    EXPECT_FALSE(net.held(leaf, 0)->contains(net.addr[static_cast<size_t>(leaf)]));
  }
}

// On random spanning trees (plus random non-tree links) filter exchange
// reaches quiescence with every filter exactly the split-horizon set: toward
// the parent a node's subtree, toward a child everything outside the child's
// subtree, toward a non-tree peer the whole mesh. "Exactly" is bit equality
// with a filter built from that node set: no false negatives, and no bits
// beyond what those members (and their false positives) set.
RC_GTEST_PROP(BloomStateProp, RandomTreesConvergeToSubtreeFilters, ()) {
  const int n = *rc::gen::inRange(1, 40);
  std::vector<int> parent(static_cast<size_t>(n), -1);
  for (int i = 1; i < n; ++i) parent[static_cast<size_t>(i)] = *rc::gen::inRange(0, i);
  std::vector<std::pair<int, int>> cross;
  const int extra = n > 2 ? *rc::gen::inRange(0, n) : 0;
  for (int e = 0; e < extra; ++e)
    cross.emplace_back(*rc::gen::inRange(0, n), *rc::gen::inRange(0, n));
  Net net(parent, cross, static_cast<uint8_t>(*rc::gen::inRange(0, 256)));
  const int rounds = net.run();
  RC_ASSERT(rounds >= 0);
  for (int v = 0; v < n; ++v) {
    const size_t vs = static_cast<size_t>(v);
    for (int p : net.adj[vs]) {
      const Filter* f = net.held(p, v);  // what v sent to p
      RC_ASSERT(f != nullptr);
      if (parent[vs] == p) {
        RC_ASSERT(*f == filter_of(net.subtree(v)));
        for (const NodeAddr& x : net.subtree(v)) RC_ASSERT(f->contains(x));
      } else if (parent[static_cast<size_t>(p)] == v) {
        RC_ASSERT(*f == filter_of(net.all_but_subtree(p)));
      } else {
        RC_ASSERT(*f == filter_of(net.addr));  // non-tree peer: the whole mesh
      }
    }
    // Quiescent: nothing pending anywhere.
    for (int p : net.adj[vs]) RC_ASSERT(!net.st[vs]->is_pending(net.addr[static_cast<size_t>(p)]));
  }
  // The root's view of each child is that child's whole subtree.
  for (int c = 1; c < n; ++c)
    if (parent[static_cast<size_t>(c)] == 0)
      RC_ASSERT(*net.held(0, c) == filter_of(net.subtree(c)));
}

}  // namespace
}  // namespace fips
