// PeerView: the read-only window onto the node's peer table that the lookup
// and routing cores decide over. The node implements it over its live state
// (peers, tree state, inbound bloom filters, transports); tests implement it
// over a synthetic graph. Calls are cheap and allocation-free.
// Not here: the decisions themselves (proto/lookup/core.h,
// proto/routing/core.h), peer lifecycle (node/link_layer.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "identity/node_addr.h"
#include "proto/bloom/filter.h"
#include "proto/coords.h"

namespace fips {

// A destination with its bloom base hashes computed once, so that testing
// many peer filters costs k bit probes each (bloom::Filter::contains_hashes).
struct RouteDest {
  NodeAddr addr;
  bloom::BaseHashes hashes;
  static RouteDest of(const NodeAddr& a) { return RouteDest{a, bloom::base_hashes(a)}; }
};

struct PeerInfo {
  NodeAddr addr;
  // Connectivity Connected or Stale (the reference's ActivePeer::can_send).
  bool can_send = true;
  // Our parent, or a peer whose declaration names us as parent
  // (docs/spec/stp-bloom.md C4).
  bool is_tree_peer = false;
  // etx * (1 + srtt_ms / 100) when MMP has an SRTT, else 1.0 (the
  // reference's ActivePeer::link_cost). NaN is treated as +infinity.
  double link_cost = 1.0;
  // The peer's coordinates from its last TreeAnnounce (self -> root); empty
  // when we hold no ancestry for it (then it is never chosen by distance).
  CoordsView coords;
};

class PeerView {
 public:
  static constexpr size_t kNoPeer = SIZE_MAX;
  static constexpr uint16_t kUnknownMtu = 0xFFFF;

  virtual ~PeerView() = default;
  [[nodiscard]] virtual const NodeAddr& self_addr() const = 0;
  // Our coordinates (self -> root); never empty once the tree state exists
  // (a lone node is its own root: [self]).
  [[nodiscard]] virtual CoordsView self_coords() const = 0;
  // Active (authenticated) peers, indexed 0..peer_count()-1.
  [[nodiscard]] virtual size_t peer_count() const = 0;
  [[nodiscard]] virtual PeerInfo peer(size_t i) const = 0;
  // The peer's inbound bloom filter is present and contains dest.
  [[nodiscard]] virtual bool peer_may_reach(size_t i, const RouteDest& dest) const = 0;
  // Index of the active peer with this address, or kNoPeer.
  [[nodiscard]] virtual size_t find_peer(const NodeAddr& addr) const = 0;
  // Raw transport MTU toward the peer (no FMP/FSP overhead subtracted), or
  // kUnknownMtu when the transport cannot tell (then path_mtu is unchanged).
  [[nodiscard]] virtual uint16_t link_mtu(size_t i) const = 0;
};

// A Coords vector is already in wire layout (NodeAddr is exactly 16 bytes).
inline CoordsView coords_view_of(const Coords& c) {
  static_assert(sizeof(NodeAddr) == kCoordEntrySize && alignof(NodeAddr) == 1);
  return CoordsView(
      ByteSpan(reinterpret_cast<const uint8_t*>(c.data()), c.size() * kCoordEntrySize), c.size());
}

// Tree distance between two coordinate views, as tree_distance in coords.h
// (different roots or an empty list -> UINT64_MAX), comparing the raw
// 16-byte entries from the root end: with c common suffix entries the
// distance is (len_a - c) + (len_b - c).
inline uint64_t tree_distance(const CoordsView& a, const CoordsView& b) {
  const size_t na = a.size(), nb = b.size();
  if (na == 0 || nb == 0) return UINT64_MAX;
  const uint8_t* ea = a.raw().data() + na * kCoordEntrySize;
  const uint8_t* eb = b.raw().data() + nb * kCoordEntrySize;
  size_t common = 0;
  const size_t lim = na < nb ? na : nb;
  while (common < lim && std::memcmp(ea - (common + 1) * kCoordEntrySize,
                                     eb - (common + 1) * kCoordEntrySize, kCoordEntrySize) == 0)
    ++common;
  if (common == 0) return UINT64_MAX;
  return (na - common) + (nb - common);
}

// addr appears in c at an index > 0 (the reference's has_ancestor).
inline bool coords_has_ancestor(const CoordsView& c, const NodeAddr& addr) {
  for (size_t i = 1; i < c.size(); ++i)
    if (c.at(i) == addr) return true;
  return false;
}

}  // namespace fips
