// Routing core implementation (see core.h; spec sections refer to
// docs/spec/lookup-routing.md).
#include "proto/routing/core.h"

#include <cmath>
#include <limits>
#include <string_view>

#include "proto/fmp/wire.h"
#include "proto/fsp/wire.h"

namespace fips::routing {

namespace {

double sane_cost(double c) {
  return std::isnan(c) ? std::numeric_limits<double>::infinity() : c;
}

bool same_root(const CoordsView& a, const CoordsView& b) {
  return !a.empty() && !b.empty() && a.at(a.size() - 1) == b.at(b.size() - 1);
}

NextHop peer_hop(size_t i, const NodeAddr& addr, HopVia via) {
  NextHop h;
  h.kind = NextHop::Kind::kPeer;
  h.peer_index = i;
  h.peer = addr;
  h.via = via;
  return h;
}

NextHop no_route(NoRouteReason r) {
  NextHop h;
  h.kind = NextHop::Kind::kNoRoute;
  h.reason = r;
  return h;
}

}  // namespace

// ---------------------------------------------------------------- next hop

std::optional<NextHop> direct_hop(const PeerView& view, const NodeAddr& dest) {
  if (dest == view.self_addr()) {
    NextHop h;
    h.kind = NextHop::Kind::kLocal;
    return h;
  }
  const size_t i = view.find_peer(dest);
  if (i != PeerView::kNoPeer && view.peer(i).can_send) return peer_hop(i, dest, HopVia::kDirect);
  return std::nullopt;
}

namespace {

NextHop select_by_coords(const PeerView& view, const RouteDest& dest, const CoordsView& dc) {
  const CoordsView mine = view.self_coords();
  const uint64_t my_dist = tree_distance(mine, dc);
  const size_t n = view.peer_count();

  // Step 4: bloom candidates, (cost, distance, addr) ascending.
  size_t best = PeerView::kNoPeer;
  double best_cost = 0;
  uint64_t best_dist = 0;
  NodeAddr best_addr;
  for (size_t i = 0; i < n; ++i) {
    const PeerInfo p = view.peer(i);
    if (!p.can_send || !view.peer_may_reach(i, dest)) continue;
    const uint64_t d = tree_distance(p.coords, dc);  // empty coords -> UINT64_MAX
    if (d >= my_dist) continue;
    const double cost = sane_cost(p.link_cost);
    if (best == PeerView::kNoPeer || cost < best_cost ||
        (cost == best_cost && (d < best_dist || (d == best_dist && p.addr < best_addr)))) {
      best = i;
      best_cost = cost;
      best_dist = d;
      best_addr = p.addr;
    }
  }
  if (best != PeerView::kNoPeer) return peer_hop(best, best_addr, HopVia::kBloom);

  // Step 5: greedy tree routing within our own tree.
  if (!same_root(mine, dc)) return no_route(NoRouteReason::kPathBroken);
  for (size_t i = 0; i < n; ++i) {
    const PeerInfo p = view.peer(i);
    if (!p.can_send || p.coords.empty()) continue;
    const uint64_t d = tree_distance(p.coords, dc);
    if (d >= my_dist) continue;
    if (best == PeerView::kNoPeer || d < best_dist || (d == best_dist && p.addr < best_addr)) {
      best = i;
      best_dist = d;
      best_addr = p.addr;
    }
  }
  if (best != PeerView::kNoPeer) return peer_hop(best, best_addr, HopVia::kTree);
  return no_route(NoRouteReason::kPathBroken);
}

}  // namespace

NextHop find_next_hop(const PeerView& view, const RouteDest& dest, const CoordsView* dest_coords) {
  if (auto h = direct_hop(view, dest.addr)) return *h;
  if (!dest_coords || dest_coords->empty()) return no_route(NoRouteReason::kCoordsRequired);
  return select_by_coords(view, dest, *dest_coords);
}

NextHop find_next_hop(const PeerView& view, const RouteDest& dest, CoordCache& cache,
                      uint64_t now_ms) {
  if (auto h = direct_hop(view, dest.addr)) return *h;
  const std::optional<CoordsView> dc = cache.get_and_touch(dest.addr, now_ms);
  if (!dc) return no_route(NoRouteReason::kCoordsRequired);
  return select_by_coords(view, dest, *dc);
}

// ---------------------------------------------------------------- transit

namespace {

TransitDecision finish_transit(const PeerView& view, const SessionDatagram& dg, size_t msg_len,
                               const NextHop& hop) {
  TransitDecision t;
  t.hop = hop;
  if (!hop.is_peer()) {
    t.kind = TransitKind::kNoRoute;
    return t;
  }
  t.link_mtu = view.link_mtu(hop.peer_index);
  if (t.link_mtu != PeerView::kUnknownMtu && msg_len + fmp::kFrameOverhead > t.link_mtu) {
    t.kind = TransitKind::kMtuExceeded;
    return t;
  }
  t.kind = TransitKind::kForward;
  t.out_ttl = static_cast<uint8_t>(dg.ttl - 1);
  t.out_path_mtu = std::min(dg.path_mtu, t.link_mtu);
  return t;
}

std::optional<TransitDecision> transit_prelude(const PeerView& view, const SessionDatagram& dg) {
  TransitDecision t;
  if (dg.dest_addr == view.self_addr()) {
    t.kind = TransitKind::kDeliver;
    t.hop.kind = NextHop::Kind::kLocal;
    return t;
  }
  if (dg.ttl <= 1) {
    t.kind = TransitKind::kTtlExhausted;
    return t;
  }
  return std::nullopt;
}

}  // namespace

TransitDecision decide_transit(const PeerView& view, const SessionDatagram& dg, size_t msg_len,
                               CoordCache& cache, uint64_t now_ms) {
  if (auto t = transit_prelude(view, dg)) return *t;
  // A direct peer needs neither the bloom hashes (one SHA-256) nor the cache.
  if (auto h = direct_hop(view, dg.dest_addr)) return finish_transit(view, dg, msg_len, *h);
  return finish_transit(view, dg, msg_len,
                        find_next_hop(view, RouteDest::of(dg.dest_addr), cache, now_ms));
}

TransitDecision decide_transit(const PeerView& view, const SessionDatagram& dg, size_t msg_len,
                               const CoordsView* dest_coords) {
  if (auto t = transit_prelude(view, dg)) return *t;
  if (auto h = direct_hop(view, dg.dest_addr)) return finish_transit(view, dg, msg_len, *h);
  return finish_transit(view, dg, msg_len,
                        find_next_hop(view, RouteDest::of(dg.dest_addr), dest_coords));
}

bool warm_coords(const SessionDatagram& dg, CoordCache& cache, uint64_t now_ms,
                 const WarmSource* from) {
  const ByteSpan fsp_bytes = dg.payload;
  auto prefix = fsp::decode_common_prefix(fsp_bytes);
  if (!prefix.ok()) return true;
  const fsp::CommonPrefix& p = prefix.value();
  auto put = [&](const NodeAddr& a, const CoordsView& c) {
    if (c.empty()) return;
    if (from)
      (void)cache.insert_via(a, c, now_ms, from->peer, from->share);
    else
      cache.insert(a, c, now_ms);
  };
  switch (p.phase) {
    case fsp::kPhaseMsg1: {
      auto s = fsp::decode_session_setup(fsp_bytes);
      if (s.ok()) {
        put(dg.src_addr, s.value().src_coords);
        put(dg.dest_addr, s.value().dest_coords);
      }
      return true;
    }
    case fsp::kPhaseMsg2: {
      auto a = fsp::decode_session_ack(fsp_bytes);
      if (a.ok()) {
        put(dg.src_addr, a.value().src_coords);
        put(dg.dest_addr, a.value().dest_coords);
      }
      return true;
    }
    case fsp::kPhaseEstablished: {
      if (!(p.flags & fsp::kFlagCP)) return true;
      // Header and coords only, as the reference's transit warming: the
      // ciphertext is not this node's business (docs/interop.md).
      auto m = fsp::decode_encrypted_coords(fsp_bytes);
      if (!m.ok()) {
        // Only a bad header counts as warm_malformed; coords that do not
        // parse are just not cached (the reference logs them and moves on).
        const std::string_view f = m.error().field;
        return f == "src_coords" || f == "dest_coords";
      }
      put(dg.src_addr, m.value().src_coords);
      put(dg.dest_addr, m.value().dest_coords);
      return true;
    }
    default:
      return true;
  }
}

// ---------------------------------------------------------------- classes

const char* route_class_name(RouteClass c) {
  switch (c) {
    case RouteClass::kDirectPeer:
      return "direct_peer";
    case RouteClass::kTreeUp:
      return "tree_up";
    case RouteClass::kTreeDown:
      return "tree_down";
    case RouteClass::kTreeDownCross:
      return "tree_down_cross";
    case RouteClass::kCrosslinkDescend:
      return "crosslink_descend";
    case RouteClass::kCrosslinkAscend:
      return "crosslink_ascend";
  }
  return "unknown";
}

RouteClass classify_forward(const NodeAddr& dest, const NodeAddr& next_hop, const NodeAddr& self,
                            const CoordsView& self_coords, const CoordsView* dest_coords,
                            const CoordsView& peer_coords) {
  if (next_hop == dest) return RouteClass::kDirectPeer;
  if (coords_has_ancestor(self_coords, next_hop)) return RouteClass::kTreeUp;
  const bool dest_below_peer = dest_coords && coords_has_ancestor(*dest_coords, next_hop);
  if (coords_has_ancestor(peer_coords, self))
    return dest_below_peer ? RouteClass::kTreeDown : RouteClass::kTreeDownCross;
  return dest_below_peer ? RouteClass::kCrosslinkDescend : RouteClass::kCrosslinkAscend;
}

// ---------------------------------------------------------------- counters

void ForwardingCounters::on_received(size_t msg_len) {
  ++received_packets;
  received_bytes += msg_len ? msg_len - 1 : 0;
}

void ForwardingCounters::on_outcome(DatagramOutcome o, size_t msg_len) {
  const uint64_t len = msg_len ? msg_len - 1 : 0;
  switch (o) {
    case DatagramOutcome::kDecodeError:
      ++decode_error_packets;
      decode_error_bytes += len;
      break;
    case DatagramOutcome::kTtlExhausted:
      ++ttl_exhausted_packets;
      ttl_exhausted_bytes += len;
      break;
    case DatagramOutcome::kDelivered:
      ++delivered_packets;
      delivered_bytes += len;
      break;
    case DatagramOutcome::kNoRoute:
      ++drop_no_route_packets;
      drop_no_route_bytes += len;
      break;
    case DatagramOutcome::kMtuExceeded:
      ++drop_mtu_exceeded_packets;
      drop_mtu_exceeded_bytes += len;
      break;
    case DatagramOutcome::kSendError:
      ++drop_send_error_packets;
      drop_send_error_bytes += len;
      break;
    case DatagramOutcome::kForwarded:
      ++forwarded_packets;
      forwarded_bytes += msg_len;
      break;
  }
}

void ForwardingCounters::on_warm_malformed(size_t msg_len) {
  ++warm_malformed_packets;
  warm_malformed_bytes += msg_len ? msg_len - 1 : 0;
}

void ForwardingCounters::on_route(RouteClass c) {
  switch (c) {
    case RouteClass::kDirectPeer:
      ++route_direct_peer;
      break;
    case RouteClass::kTreeUp:
      ++route_tree_up;
      break;
    case RouteClass::kTreeDown:
      ++route_tree_down;
      break;
    case RouteClass::kTreeDownCross:
      ++route_tree_down_cross;
      break;
    case RouteClass::kCrosslinkDescend:
      ++route_crosslink_descend;
      break;
    case RouteClass::kCrosslinkAscend:
      ++route_crosslink_ascend;
      break;
  }
}

void ForwardingCounters::on_originated(size_t encoded_len) {
  ++originated_packets;
  originated_bytes += encoded_len;
}

// ---------------------------------------------------------------- signals

namespace {

template <class F>
WireStatus encode_signal_datagram(Writer& w, const NodeAddr& self, const NodeAddr& orig_src,
                                  uint8_t ttl, F&& body) {
  FIPS_TRY(encode_session_datagram_header(w, ttl, kInitialPathMtu, self, orig_src));
  return body(w);
}

}  // namespace

WireStatus encode_coords_required_datagram(Writer& w, const NodeAddr& self,
                                           const NodeAddr& orig_src, const NodeAddr& orig_dest,
                                           uint8_t ttl) {
  return encode_signal_datagram(w, self, orig_src, ttl, [&](Writer& ww) {
    return fsp::encode_coords_required(ww, fsp::CoordsRequired{orig_dest, self});
  });
}

WireStatus encode_path_broken_datagram(Writer& w, const NodeAddr& self, const NodeAddr& orig_src,
                                       const NodeAddr& orig_dest, const CoordsView& last_coords,
                                       uint8_t ttl) {
  return encode_signal_datagram(w, self, orig_src, ttl, [&](Writer& ww) {
    return fsp::encode_path_broken(ww, fsp::PathBroken{orig_dest, self, last_coords});
  });
}

WireStatus encode_mtu_exceeded_datagram(Writer& w, const NodeAddr& self, const NodeAddr& orig_src,
                                        const NodeAddr& orig_dest, uint16_t mtu, uint8_t ttl) {
  return encode_signal_datagram(w, self, orig_src, ttl, [&](Writer& ww) {
    return fsp::encode_mtu_exceeded(ww, fsp::MtuExceeded{orig_dest, self, mtu});
  });
}

WireStatus encode_no_route_datagram(Writer& w, const NodeAddr& self, const NodeAddr& orig_src,
                                    const NodeAddr& orig_dest, const CoordCache& cache,
                                    uint64_t now_ms, uint8_t ttl) {
  if (auto c = cache.get(orig_dest, now_ms))
    return encode_path_broken_datagram(w, self, orig_src, orig_dest, *c, ttl);
  return encode_coords_required_datagram(w, self, orig_src, orig_dest, ttl);
}

}  // namespace fips::routing
