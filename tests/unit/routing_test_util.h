// Test helpers for the lookup / routing cores: readable NodeAddrs and a
// hand-built PeerView.
#pragma once

#include <algorithm>
#include <cstdint>
#include <set>
#include <stdexcept>
#include <vector>

#include "identity/node_addr.h"
#include "proto/coords.h"
#include "proto/peer_view.h"

namespace fips::test {

// NodeAddr whose byte order follows n (big-endian in the last 8 bytes), so
// addr(1) < addr(2) as NodeAddrs.
inline NodeAddr addr(uint64_t n, uint8_t tag = 0) {
  NodeAddr a;
  a.bytes[0] = tag;
  for (int i = 0; i < 8; ++i) a.bytes[15 - i] = static_cast<uint8_t>(n >> (8 * i));
  return a;
}

inline Coords coords(std::initializer_list<uint64_t> ns) {
  Coords c;
  for (uint64_t n : ns) c.push_back(addr(n));
  return c;
}

struct FakePeer {
  NodeAddr addr;
  bool can_send = true;
  bool tree = false;
  double cost = 1.0;
  Coords coords{};             // empty = unknown ancestry
  std::set<NodeAddr> reach{};  // exact "bloom" membership
  bool reach_all = false;      // filter holds everything
  uint16_t mtu = PeerView::kUnknownMtu;
};

class FakeView : public PeerView {
 public:
  NodeAddr self;
  Coords self_c;
  std::vector<FakePeer> peers;

  FakeView(NodeAddr s, Coords c) : self(s), self_c(std::move(c)) {}
  FakePeer& add(FakePeer p) {
    if (p.reach.empty() && !p.reach_all) p.reach.insert(p.addr);  // a peer's filter holds itself
    peers.push_back(std::move(p));
    return peers.back();
  }
  FakePeer& get(const NodeAddr& a) {
    for (auto& p : peers)
      if (p.addr == a) return p;
    throw std::runtime_error("FakeView::get: no such peer");
  }

  const NodeAddr& self_addr() const override { return self; }
  CoordsView self_coords() const override { return coords_view_of(self_c); }
  size_t peer_count() const override { return peers.size(); }
  PeerInfo peer(size_t i) const override {
    const FakePeer& p = peers[i];
    return PeerInfo{p.addr, p.can_send, p.tree, p.cost, coords_view_of(p.coords)};
  }
  bool peer_may_reach(size_t i, const RouteDest& d) const override {
    return peers[i].reach_all || peers[i].reach.count(d.addr) != 0;
  }
  size_t find_peer(const NodeAddr& a) const override {
    for (size_t i = 0; i < peers.size(); ++i)
      if (peers[i].addr == a) return i;
    return kNoPeer;
  }
  uint16_t link_mtu(size_t i) const override { return peers[i].mtu; }
};

}  // namespace fips::test
