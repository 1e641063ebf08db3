// One TreeState under test with hand-crafted, properly signed announces from
// its peers (real identities) -- lets a test place fake ancestors (e.g. a root
// 00..00 nobody holds the key for) beyond entry [1], which v1 does not sign.
#pragma once

#include "stp_tree_harness.h"

namespace fips::test {

// 00..00k: smaller than any real node address (a SHA-256 prefix).
inline NodeAddr tiny_addr(uint8_t k) {
  NodeAddr a;
  a.bytes[15] = k;
  return a;
}

struct Solo {
  std::vector<Identity> ids;  // ascending node address
  size_t self;
  std::unique_ptr<stp::TreeState> t;
  stp::PeerCosts costs;
  uint64_t now = 0;
  uint64_t unix = 1'700'000'000;

  Solo(size_t n, size_t self_index, const stp::TreeConfig& cfg = {}, uint64_t seed = 7)
      : ids(sorted_identities(n, seed)), self(self_index) {
    t = std::make_unique<stp::TreeState>(ids[self], cfg, unix);
  }
  const NodeAddr& addr(size_t i) const { return ids.at(i).node_addr(); }
  const NodeAddr& me() const { return addr(self); }

  stp::TreeActions up(size_t i) { return t->on_peer_up(addr(i), now); }
  stp::TreeActions down(size_t i) { return t->on_peer_down(addr(i), costs, now, unix); }
  stp::TreeActions tick() { return t->tick(now, unix, costs); }
  stp::TreeActions first_rtt(size_t i, double c) {
    costs[addr(i)] = c;
    return t->on_first_rtt(costs, now, unix);
  }
  // Peer i declares `path` (addresses after itself, ending at the root).
  std::vector<uint8_t> ann(size_t i, uint64_t seq, const std::vector<NodeAddr>& path) const {
    stp::Ancestry a{{addr(i), seq, 1000 + seq}};
    for (const NodeAddr& x : path) a.push_back({x, 7, 700});
    const NodeAddr parent = path.empty() ? addr(i) : path.front();
    return make_announce(ids.at(i), parent, seq, 1000 + seq, a);
  }
  stp::TreeActions recv(size_t i, const std::vector<uint8_t>& bytes) {
    return t->on_announce(ids.at(i).as_peer(), bytes, costs, now, unix);
  }
  stp::TreeActions recv(size_t i, uint64_t seq, const std::vector<NodeAddr>& path) {
    return recv(i, ann(i, seq, path));
  }
  Coords coords(std::initializer_list<NodeAddr> l) const { return Coords(l); }
};

}  // namespace fips::test
