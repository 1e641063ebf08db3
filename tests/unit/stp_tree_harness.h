// In-memory "tree network" for spanning-tree tests: N TreeStates with real
// identities, joined by an undirected link graph, exchanging encoded and
// signed TreeAnnounces through a FIFO, on a manual clock. Executes exactly
// what TreeActions asks (announce_to; on_announce_send_failed for sends the
// test chooses to fail) and records per-node action history, so it doubles as
// a driver for differential tests against other implementations.
// Nodes are indexed 0..N-1 in ascending NodeAddr order (index 0 = smallest =
// the root of a connected network), which makes "A<B<C" setups easy.
#pragma once

#include <algorithm>
#include <deque>
#include <functional>
#include <memory>
#include <set>
#include <vector>

#include "proto/stp/tree.h"
#include "test_util.h"

namespace fips::test {

// Deterministic identities for a seed, sorted by node address.
inline std::vector<Identity> sorted_identities(size_t n, uint64_t seed) {
  std::vector<Identity> ids;
  uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 12345;
  while (ids.size() < n) {
    std::array<uint8_t, 32> raw{};
    for (auto& b : raw) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      b = static_cast<uint8_t>(x >> 24);
    }
    if (auto sk = SecretKey::from_bytes(raw)) ids.push_back(Identity::from_secret(std::move(*sk)));
  }
  std::sort(ids.begin(), ids.end(),
            [](const Identity& a, const Identity& b) { return a.node_addr() < b.node_addr(); });
  return ids;
}

// A signed announce for `id` (tests craft peers' messages with it).
inline std::vector<uint8_t> make_announce(const Identity& id, const NodeAddr& parent, uint64_t seq,
                                          uint64_t ts, stp::Ancestry ancestry) {
  stp::TreeAnnounce m;
  m.sequence = seq;
  m.timestamp = ts;
  m.parent = parent;
  m.ancestry = std::move(ancestry);
  EXPECT_TRUE(stp::sign_tree_announce(id, m));
  std::vector<uint8_t> out(stp::tree_announce_wire_size(m));
  Writer w{MutByteSpan(out)};
  EXPECT_TRUE(stp::encode_tree_announce(w, m).ok());
  return out;
}

inline std::vector<uint8_t> encode_own(const stp::TreeState& t) {
  std::vector<uint8_t> out(t.announce_wire_size());
  Writer w{MutByteSpan(out)};
  EXPECT_TRUE(t.encode_announce(w).ok());
  return out;
}

class TreeNet {
 public:
  struct Msg {
    size_t from, to;
    std::vector<uint8_t> bytes;
  };
  struct Node {
    Identity id;
    std::unique_ptr<stp::TreeState> tree;
    stp::PeerCosts costs;  // measured peers, passed to every call
    std::set<size_t> links;
    std::vector<stp::TreeActions> history;
  };

  static constexpr uint64_t kUnixBase = 1'700'000'000;

  explicit TreeNet(size_t n, uint64_t seed = 1, const stp::TreeConfig& cfg = {}) {
    for (auto& id : sorted_identities(n, seed)) {
      auto node = std::make_unique<Node>(Node{std::move(id), nullptr, {}, {}, {}});
      node->tree = std::make_unique<stp::TreeState>(node->id, cfg, unix_s());
      nodes_.push_back(std::move(node));
    }
  }

  size_t size() const { return nodes_.size(); }
  Node& node(size_t i) { return *nodes_.at(i); }
  stp::TreeState& tree(size_t i) { return *nodes_.at(i)->tree; }
  const NodeAddr& addr(size_t i) const { return nodes_.at(i)->id.node_addr(); }
  size_t index_of(const NodeAddr& a) const {
    for (size_t i = 0; i < nodes_.size(); ++i)
      if (addr(i) == a) return i;
    ADD_FAILURE() << "unknown node " << a.hex();
    return 0;
  }
  const stp::TreeActions& last(size_t i) { return node(i).history.back(); }

  uint64_t now_ms() const { return now_ms_; }
  uint64_t unix_s() const { return kUnixBase + now_ms_ / 1000; }
  void advance(uint64_t ms) { now_ms_ += ms; }

  // Sends to (from -> to) fail (the harness reports them to the core).
  std::function<bool(size_t from, size_t to)> send_fails;
  // Messages a test wants to inspect or drop before delivery.
  std::deque<Msg> queue;
  size_t delivered = 0;

  // ---- events ----
  void link_up(size_t a, size_t b) {
    node(a).links.insert(b);
    node(b).links.insert(a);
    apply(a, tree(a).on_peer_up(addr(b), now_ms_));
    apply(b, tree(b).on_peer_up(addr(a), now_ms_));
  }
  void link_down(size_t a, size_t b) {
    node(a).links.erase(b);
    node(b).links.erase(a);
    node(a).costs.erase(addr(b));
    node(b).costs.erase(addr(a));
    std::erase_if(queue, [&](const Msg& m) {
      return (m.from == a && m.to == b) || (m.from == b && m.to == a);
    });
    apply(a, tree(a).on_peer_down(addr(b), node(a).costs, now_ms_, unix_s()));
    apply(b, tree(b).on_peer_down(addr(a), node(b).costs, now_ms_, unix_s()));
  }
  // One side only (e.g. the other side has not noticed yet).
  void peer_down_one_side(size_t at, size_t peer) {
    node(at).links.erase(peer);
    node(at).costs.erase(addr(peer));
    apply(at, tree(at).on_peer_down(addr(peer), node(at).costs, now_ms_, unix_s()));
  }
  void peer_up_one_side(size_t at, size_t peer) {
    node(at).links.insert(peer);
    apply(at, tree(at).on_peer_up(addr(peer), now_ms_));
  }
  // `at` gets its first SRTT sample for `peer` (cost c).
  void measure(size_t at, size_t peer, double c) {
    const bool first = node(at).costs.count(addr(peer)) == 0;
    node(at).costs[addr(peer)] = c;
    if (first) apply(at, tree(at).on_first_rtt(node(at).costs, now_ms_, unix_s()));
  }
  void measure_link(size_t a, size_t b, double c) {
    measure(a, b, c);
    measure(b, a, c);
  }
  void tick(size_t i) { apply(i, tree(i).tick(now_ms_, unix_s(), node(i).costs)); }
  void tick_all() {
    for (size_t i = 0; i < size(); ++i) tick(i);
  }
  // Delivers raw bytes as if `from` had sent them over the link to `to`.
  stp::TreeActions inject(size_t from, size_t to, const std::vector<uint8_t>& bytes) {
    apply(to,
          tree(to).on_announce(node(from).id.as_peer(), bytes, node(to).costs, now_ms_, unix_s()));
    return last(to);
  }
  bool deliver_one() {
    if (queue.empty()) return false;
    Msg m = std::move(queue.front());
    queue.pop_front();
    ++delivered;
    if (node(m.to).links.count(m.from) == 0) return true;  // link went away
    inject(m.from, m.to, m.bytes);
    return true;
  }
  size_t deliver_all(size_t max = 10'000'000) {
    size_t n = 0;
    while (n < max && deliver_one()) ++n;
    return n;
  }
  // One round: advance, tick everyone, deliver everything.
  void round(uint64_t step_ms = 1000) {
    advance(step_ms);
    tick_all();
    deliver_all();
  }
  void run_for(uint64_t ms, uint64_t step_ms = 1000) {
    deliver_all();
    for (uint64_t t = 0; t < ms; t += step_ms) round(step_ms);
  }
  // Rounds until pred() holds after a round with an empty queue; false on timeout.
  bool run_until(const std::function<bool()>& pred, uint64_t max_ms, uint64_t step_ms = 1000) {
    deliver_all();
    for (uint64_t t = 0; t <= max_ms; t += step_ms) {
      if (queue.empty() && !any_pending() && pred()) return true;
      round(step_ms);
    }
    return false;
  }

  bool any_pending() const {
    for (size_t i = 0; i < size(); ++i)
      for (size_t j : nodes_[i]->links)
        if (nodes_[i]->tree->announce_pending(addr(j))) return true;
    return false;
  }

  // Every node: root = `expected_root`, coords = [self] ++ coords(parent)
  // with the parent a linked neighbour, and a root has coords [self].
  // On failure `why` says which node broke it.
  bool consistent(const NodeAddr& expected_root, std::string* why = nullptr) const {
    for (size_t i = 0; i < size(); ++i) {
      const auto& t = *nodes_[i]->tree;
      auto fail = [&](const std::string& s) {
        if (why) *why = "node " + std::to_string(i) + ": " + s;
        return false;
      };
      if (t.root() != expected_root) return fail("root " + t.root().short_hex());
      const Coords& c = t.my_coords();
      if (c.empty() || c.front() != addr(i)) return fail("coords do not start with self");
      if (c.back() != t.root()) return fail("coords do not end at root");
      if (t.is_root()) {
        if (c.size() != 1) return fail("root with ancestors");
        continue;
      }
      const size_t p = index_of(c[1]);
      if (nodes_[i]->links.count(p) == 0) return fail("parent not a neighbour");
      const Coords& pc = nodes_[p]->tree->my_coords();
      if (!std::equal(c.begin() + 1, c.end(), pc.begin(), pc.end()))
        return fail("coords != self+parent");
    }
    return true;
  }

 private:
  void apply(size_t i, stp::TreeActions a) {
    if (!a.announce_to.empty()) {
      const std::vector<uint8_t> bytes = encode_own(tree(i));
      for (const NodeAddr& p : a.announce_to) {
        const size_t j = index_of(p);
        if (send_fails && send_fails(i, j)) {
          tree(i).on_announce_send_failed(p);
          continue;
        }
        queue.push_back(Msg{i, j, bytes});
      }
    }
    node(i).history.push_back(std::move(a));
  }

  std::vector<std::unique_ptr<Node>> nodes_;
  uint64_t now_ms_ = 0;
};

}  // namespace fips::test
