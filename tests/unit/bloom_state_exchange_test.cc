// BloomState, many nodes: filters exchanged as encoded FilterAnnounces over a
// line, a star and (property) random spanning trees with random non-tree
// links, until quiescent; every filter must then be exactly its
// split-horizon node set.

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>

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

// N BloomStates over a spanning tree (parent[root] = -1) plus optional
// non-tree "mesh" links. Filters travel as encoded bytes; each round advances
// the clock by the debounce, ticks every node and delivers what was sent.
// The tree is given, not computed: is_tree() reads `parent` at call time.
struct Net {
  std::vector<NodeAddr> addr;
  std::vector<int> parent;  // -1 for the root
  std::vector<bool> alive;
  std::vector<std::set<int>> adj;
  std::vector<std::unique_ptr<BloomState>> st;
  std::map<NodeAddr, int> index;
  uint64_t now = 0;

  Net(const std::vector<int>& par, const std::vector<std::pair<int, int>>& cross, uint8_t tag = 9)
      : parent(par), alive(par.size(), true), adj(par.size()) {
    for (size_t i = 0; i < par.size(); ++i) {
      addr.push_back(A(static_cast<uint32_t>(i), tag));
      index[addr.back()] = static_cast<int>(i);
      st.push_back(std::make_unique<BloomState>(addr.back(), BloomParams{}, i, ~i));
    }
    for (size_t i = 0; i < par.size(); ++i)
      if (par[i] >= 0) link(static_cast<int>(i), par[i]);
    for (auto [x, y] : cross) link(x, y);
  }
  size_t n() const { return addr.size(); }
  static size_t u(int i) { return static_cast<size_t>(i); }
  void link(int x, int y) {
    if (x == y || adj[u(x)].count(y)) return;
    adj[u(x)].insert(y);
    adj[u(y)].insert(x);
    st[u(x)]->on_peer_up(addr[u(y)]);
    st[u(y)]->on_peer_up(addr[u(x)]);
  }
  std::vector<int> children(int v) const {
    std::vector<int> out;
    for (size_t c = 0; c < n(); ++c)
      if (alive[c] && parent[c] == v) out.push_back(static_cast<int>(c));
    return out;
  }
  // A node with no children leaves: its peers see it go down (mark all).
  void remove_leaf(int v) {
    for (int p : adj[u(v)]) {
      EXPECT_TRUE(st[u(p)]->on_peer_down(addr[u(v)]));
      adj[u(p)].erase(v);
    }
    adj[u(v)].clear();
    alive[u(v)] = false;
    parent[u(v)] = -1;
  }
  bool is_tree(int v, const NodeAddr& peer) const {
    const int p = index.at(peer);
    return parent[u(v)] == p || parent[u(p)] == v;
  }
  // Runs until a round sends nothing; returns the number of rounds.
  int run(int max_rounds = 10'000) {
    struct Msg {
      int from, to;
      std::vector<uint8_t> bytes;
    };
    for (int round = 0; round < max_rounds; ++round) {
      std::vector<Msg> q;
      for (size_t v = 0; v < n(); ++v) {
        if (!alive[v]) continue;
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
        auto r = st[u(to)]->on_filter_announce(addr[u(m.from)], m.bytes, now, tree);
        EXPECT_EQ(r.verdict, FilterVerdict::kAccepted);
      }
      now += 500;
    }
    return -1;
  }
  std::vector<NodeAddr> subtree(int v) const {
    std::vector<NodeAddr> out;
    std::vector<int> stack = {v};
    while (!stack.empty()) {
      const int x = stack.back();
      stack.pop_back();
      out.push_back(addr[u(x)]);
      for (int c : children(x)) stack.push_back(c);
    }
    return out;
  }
  // Members of v's component (tree) outside `sub`.
  std::vector<NodeAddr> tree_minus(int v, const std::vector<NodeAddr>& sub) const {
    int r = v;
    while (parent[u(r)] >= 0) r = parent[u(r)];
    auto all = subtree(r);
    std::set<NodeAddr> excl(sub.begin(), sub.end());
    std::vector<NodeAddr> out;
    for (const NodeAddr& a : all)
      if (!excl.count(a)) out.push_back(a);
    return out;
  }
  // What node v holds from its peer p (= the filter p last sent to v).
  const Filter* held(int v, int p) const { return st[u(v)]->inbound_filter(addr[u(p)]); }

  // Every filter equals its split-horizon node set: toward the parent the
  // sender's subtree, toward a child everything outside the child's subtree,
  // toward a non-tree peer the whole tree. Nothing pending anywhere.
  // Returns "" or the first violation.
  std::string check() const {
    for (size_t vs = 0; vs < n(); ++vs) {
      if (!alive[vs]) continue;
      const int v = static_cast<int>(vs);
      for (int p : adj[vs]) {
        const Filter* f = held(p, v);
        std::string what;
        if (f == nullptr) return "no filter " + std::to_string(v) + "->" + std::to_string(p);
        if (parent[vs] == p) {
          if (*f != filter_of(subtree(v))) what = "to parent";
        } else if (parent[u(p)] == v) {
          if (*f != filter_of(tree_minus(p, subtree(p)))) what = "to child";
        } else if (*f != filter_of(tree_minus(v, {}))) {
          what = "to non-tree peer";
        }
        if (!what.empty()) return what + " " + std::to_string(v) + "->" + std::to_string(p);
        if (st[vs]->is_pending(addr[u(p)])) return "pending " + std::to_string(v);
      }
    }
    return "";
  }
};

TEST(BloomState, SplitHorizonOnALine) {
  Net net({-1, 0, 1, 2, 3}, {});  // 0 - 1 - 2 - 3 - 4, rooted at 0
  ASSERT_GE(net.run(), 0);
  // Node 2 toward its parent 1: {2,3,4}; toward its child 3: {0,1,2}.
  EXPECT_EQ(*net.held(1, 2), filter_of({net.addr[2], net.addr[3], net.addr[4]}));
  EXPECT_EQ(*net.held(3, 2), filter_of({net.addr[0], net.addr[1], net.addr[2]}));
  EXPECT_EQ(net.check(), "");
  // The far end leaves: filters shrink all the way back.
  net.remove_leaf(4);
  ASSERT_GE(net.run(), 0);
  EXPECT_EQ(*net.held(0, 1), filter_of({net.addr[1], net.addr[2], net.addr[3]}));
  EXPECT_FALSE(net.st[0]->any_peer_contains(net.addr[4]));
  EXPECT_EQ(net.check(), "");
}

TEST(BloomState, SplitHorizonOnAStar) {
  Net net({-1, 0, 0, 0, 0, 0}, {});
  ASSERT_GE(net.run(), 0);
  for (int leaf = 1; leaf <= 5; ++leaf) {
    EXPECT_EQ(*net.held(0, leaf), filter_of({net.addr[static_cast<size_t>(leaf)]}));
    EXPECT_FALSE(net.held(leaf, 0)->contains(net.addr[static_cast<size_t>(leaf)]));
  }
  EXPECT_EQ(net.check(), "");
}

struct RandomNet {
  std::vector<int> parent;
  std::vector<std::pair<int, int>> cross;
  uint8_t tag = 0;
};

RandomNet gen_net(int max_nodes) {
  RandomNet r;
  const int n = *rc::gen::inRange(1, max_nodes + 1);
  r.parent.assign(static_cast<size_t>(n), -1);
  for (int i = 1; i < n; ++i) r.parent[static_cast<size_t>(i)] = *rc::gen::inRange(0, i);
  const int extra = n > 2 ? *rc::gen::inRange(0, n) : 0;
  for (int e = 0; e < extra; ++e)
    r.cross.emplace_back(*rc::gen::inRange(0, n), *rc::gen::inRange(0, n));
  r.tag = static_cast<uint8_t>(*rc::gen::inRange(0, 256));
  return r;
}

// On random spanning trees (plus random non-tree links) filter exchange
// reaches quiescence with every filter exactly the split-horizon set.
// "Exactly" is bit equality with a filter built from that node set: no false
// negatives, and no bits beyond what those members set (false positives
// come only from their hashes).
RC_GTEST_PROP(BloomStateProp, RandomTreesConvergeToSubtreeFilters, ()) {
  const RandomNet g = gen_net(40);
  Net net(g.parent, g.cross, g.tag);
  RC_ASSERT(net.run() >= 0);
  RC_ASSERT(net.check() == "");
  // The root's view of each child is that child's whole subtree.
  for (int c : net.children(0)) RC_ASSERT(*net.held(0, c) == filter_of(net.subtree(c)));
}

// After convergence leaves go down one after another (peer removal marks all
// remaining peers): every time the filters shrink back to exact sets.
RC_GTEST_PROP(BloomStateProp, LeafRemovalsReconverge, ()) {
  const RandomNet g = gen_net(25);
  Net net(g.parent, g.cross, g.tag);
  RC_ASSERT(net.run() >= 0);
  const int removals = *rc::gen::inRange(1, 4);
  for (int k = 0; k < removals; ++k) {
    std::vector<int> leaves;
    for (size_t v = 1; v < net.n(); ++v)
      if (net.alive[v] && net.children(static_cast<int>(v)).empty())
        leaves.push_back(static_cast<int>(v));
    if (leaves.empty()) break;
    net.remove_leaf(*rc::gen::elementOf(leaves));
    RC_ASSERT(net.run() >= 0);
    RC_ASSERT(net.check() == "");
  }
}

// A node switches parent (its Switch marks all its peers, docs/spec/stp-bloom.md §9; the new
// parent marks nothing, "child attaching" has no bloom trigger) to a node
// outside its subtree, over an existing or a new link.
RC_GTEST_PROP(BloomStateProp, ParentSwitchReconverges, ()) {
  const RandomNet g = gen_net(25);
  RC_PRE(g.parent.size() >= 3u);
  Net net(g.parent, g.cross, g.tag);
  RC_ASSERT(net.run() >= 0);
  const int v = *rc::gen::inRange(1, static_cast<int>(net.n()));
  auto sub = net.subtree(v);
  std::vector<int> targets;
  for (size_t w = 0; w < net.n(); ++w)
    if (std::find(sub.begin(), sub.end(), net.addr[w]) == sub.end() &&
        static_cast<int>(w) != net.parent[static_cast<size_t>(v)])
      targets.push_back(static_cast<int>(w));
  RC_PRE(!targets.empty());
  const int w = *rc::gen::elementOf(targets);
  net.link(v, w);
  net.parent[static_cast<size_t>(v)] = w;
  net.st[static_cast<size_t>(v)]->mark_all();
  RC_ASSERT(net.run() >= 0);
  RC_ASSERT(net.check() == "");
}

}  // namespace
}  // namespace fips
