// SessionDatagram routing, sans-I/O: the next-hop decision, the transit
// decision for a received 0x00 datagram, route classification, transit
// coordinate warming, the routing-error signal limiter and encoders, and the
// 26 `forwarding` counters. Behaviour: docs/spec/lookup-routing.md
// §5-7 and §9.2, docs/spec/stp-bloom.md C3.
//
// find_next_hop (first match wins):
//   1. dest == self                      -> kLocal
//   2. dest is a peer that can send      -> that peer (kDirect)
//   3. no dest coordinates               -> kNoRoute(kCoordsRequired)
//   4. bloom: peers that can send, whose filter holds dest and whose tree
//      distance to dest is strictly below ours; best by (link_cost,
//      distance, node_addr) ascending — cost is the PRIMARY key, as in the
//      reference (the docs call it a tie-breaker; docs/spec/stp-bloom.md D4)  -> kBloom
//   5. greedy tree: same root as dest required; peers with known
//      coordinates strictly closer than us, min (distance, node_addr) -> kTree
//   6. else                              -> kNoRoute(kPathBroken)
// The peer a datagram came from is NOT excluded (neither does the
// reference): strict progress prevents loops under a consistent tree view,
// and the TTL bounds them otherwise.
// Deviations (not visible on the wire): in step 5 the reference picks the
// best peer among all with known ancestry and then gives up if that one
// cannot send; we skip peers that cannot send and take the best remaining
// one. A NaN link cost ranks as +infinity (the reference's f64 compare
// would make the result depend on peer order).
//
// MtuExceeded: the reference emits it only when the transport's send fails
// (never on its UDP worker path, spec §6.4); decide_transit checks every
// forward against the next hop's link MTU (frame = datagram + 36 bytes of
// FMP overhead), as the design documents describe, and reports the raw link
// MTU as the signal's mtu.
// Not here: sending, the session layer's reaction to signals (proto/fsp),
// the lookup protocol (proto/lookup), the wire codecs (routing/wire.h,
// fsp/signals.h).
#pragma once

#include <cstdint>

#include "cache/coord_cache.h"
#include "proto/fsp/signals.h"
#include "proto/interval_limiter.h"
#include "proto/peer_view.h"
#include "proto/routing/wire.h"

namespace fips::routing {

inline constexpr uint64_t kErrorSignalMinIntervalMs = 100;   // reference routing/limits.rs:16
inline constexpr uint64_t kErrorSignalMaxAgeMs = 10'000;     // reference routing/limits.rs:19
inline constexpr size_t kErrorSignalLimiterCapacity = 4096;  // ours (reference: unbounded)

// ---------------------------------------------------------------- next hop

enum class HopVia : uint8_t { kDirect, kBloom, kTree };
enum class NoRouteReason : uint8_t { kCoordsRequired, kPathBroken };

struct NextHop {
  enum class Kind : uint8_t { kLocal, kPeer, kNoRoute };
  Kind kind = Kind::kNoRoute;
  size_t peer_index = PeerView::kNoPeer;                  // kPeer
  NodeAddr peer;                                          // kPeer
  HopVia via = HopVia::kDirect;                           // kPeer
  NoRouteReason reason = NoRouteReason::kCoordsRequired;  // kNoRoute
  [[nodiscard]] bool is_peer() const { return kind == Kind::kPeer; }
};

// Steps 1-2 only (needs no coordinates); nullopt when they do not decide.
[[nodiscard]] std::optional<NextHop> direct_hop(const PeerView& view, const NodeAddr& dest);
// Steps 1-6. dest_coords: the destination's coordinates, nullptr if unknown.
[[nodiscard]] NextHop find_next_hop(const PeerView& view, const RouteDest& dest,
                                    const CoordsView* dest_coords);
// The reference's Node::find_next_hop: steps 1-2, then the coordinates from
// the cache with get_and_touch (refreshing the entry's TTL; an expired entry
// is removed), then steps 3-6.
[[nodiscard]] NextHop find_next_hop(const PeerView& view, const RouteDest& dest, CoordCache& cache,
                                    uint64_t now_ms);

// ---------------------------------------------------------------- transit

enum class TransitKind : uint8_t { kDeliver, kTtlExhausted, kNoRoute, kMtuExceeded, kForward };

struct TransitDecision {
  TransitKind kind = TransitKind::kNoRoute;
  NextHop hop;                // kForward / kMtuExceeded: the next hop; kNoRoute: the reason
  uint8_t out_ttl = 0;        // kForward: ttl - 1
  uint16_t out_path_mtu = 0;  // kForward: min(path_mtu, link_mtu)
  uint16_t link_mtu = 0;      // kForward / kMtuExceeded: next hop's link MTU (MtuExceeded.mtu)
};

// Spec §6.1 steps 3-6 for a decoded datagram of msg_len bytes (the link message
// incl. its 0x00 byte): dest == self -> kDeliver (any ttl); arrival ttl <= 1
// -> kTtlExhausted (no signal); no next hop -> kNoRoute; frame larger than the
// next hop's link MTU -> kMtuExceeded; else kForward. The next hop is resolved
// only for ttl >= 2, with the cache's get_and_touch, as the reference does.
// Call warm_coords() first. On kForward the node applies
// prepare_forward_in_place(msg, decision.link_mtu) and sends.
[[nodiscard]] TransitDecision decide_transit(const PeerView& view, const SessionDatagram& dg,
                                             size_t msg_len, CoordCache& cache, uint64_t now_ms);
// Same with explicit destination coordinates (nullptr = unknown).
[[nodiscard]] TransitDecision decide_transit(const PeerView& view, const SessionDatagram& dg,
                                             size_t msg_len, const CoordsView* dest_coords);

// Transit coordinate warming (spec §6.2), for every decoded datagram before
// the decision: SessionSetup / SessionAck carry both endpoints' coordinates,
// an encrypted phase-0 message with the CP flag carries optional ones; each
// present list is inserted (refreshing TTL, keeping path_mtu). The decoders
// are as lenient as the reference's (docs/interop.md): unknown flag bits and
// trailing bytes do not stop warming. Returns false for a CP message whose
// encrypted header is not valid (short, version, U): the caller counts
// warm_malformed (the datagram itself still proceeds).
// With `from` (ours): the peer the datagram came from may create at most
// from->share new cache entries (CoordCache::insert_via), so coordinates one
// peer invents cannot push every other entry out (issue 15); updates of
// existing entries are never refused.
struct WarmSource {
  NodeAddr peer;
  size_t share = 0;
};
bool warm_coords(const SessionDatagram& dg, CoordCache& cache, uint64_t now_ms,
                 const WarmSource* from = nullptr);

// ---------------------------------------------------------------- classes

enum class RouteClass : uint8_t {
  kDirectPeer,
  kTreeUp,
  kTreeDown,
  kTreeDownCross,
  kCrosslinkDescend,
  kCrosslinkAscend,
};
const char* route_class_name(RouteClass c);

// The reference's classify_forward (routing/core.rs:373-419), for a
// successful transit forward. dest_coords: from the cache without touch
// (nullptr if unknown); peer_coords: the next hop's coordinates (empty if
// unknown).
[[nodiscard]] RouteClass classify_forward(const NodeAddr& dest, const NodeAddr& next_hop,
                                          const NodeAddr& self, const CoordsView& self_coords,
                                          const CoordsView* dest_coords,
                                          const CoordsView& peer_coords);

// ---------------------------------------------------------------- counters

// Outcome of one received 0x00 link message (exactly one per arrival).
enum class DatagramOutcome : uint8_t {
  kDecodeError,  // shorter than the 36-byte header
  kTtlExhausted,
  kDelivered,
  kNoRoute,
  kMtuExceeded,
  kSendError,
  kForwarded,
};

// The `forwarding` family (26 u64, docs/spec/control.md §3.14), alphabetical. The
// "bytes" of a packet are the link message minus its type byte, except
// forwarded_bytes which counts the re-encoded datagram incl. the type byte,
// and originated_bytes the whole encoded datagram (spec §9.2). When:
//   received_*           every 0x00 link message, before decode
//   decode_error_*       shorter than the 36-byte header (kDecodeError)
//   warm_malformed_*     CP datagram whose FSP message is invalid (not a drop)
//   ttl_exhausted_*      transit with arrival ttl <= 1 (kTtlExhausted)
//   delivered_*          dest == self, any ttl (kDeliver)
//   drop_no_route_*      transit, ttl >= 2, no next hop (kNoRoute)
//   drop_mtu_exceeded_*  frame too large for the next hop (kMtuExceeded, or
//                        the transport's send reported it)
//   drop_send_error_*    the forward send failed otherwise
//   forwarded_*          the forward send succeeded
//   originated_*         a session datagram this node sent (not signals,
//                        not lookups)
//   route_*              with each forwarded packet: classify_forward()
// Per arrival: received = decode_error + ttl_exhausted + delivered +
// drop_no_route + drop_mtu_exceeded + drop_send_error + forwarded.
struct ForwardingCounters {
  uint64_t decode_error_bytes = 0, decode_error_packets = 0;
  uint64_t delivered_bytes = 0, delivered_packets = 0;
  uint64_t drop_mtu_exceeded_bytes = 0, drop_mtu_exceeded_packets = 0;
  uint64_t drop_no_route_bytes = 0, drop_no_route_packets = 0;
  uint64_t drop_send_error_bytes = 0, drop_send_error_packets = 0;
  uint64_t forwarded_bytes = 0, forwarded_packets = 0;
  uint64_t originated_bytes = 0, originated_packets = 0;
  uint64_t received_bytes = 0, received_packets = 0;
  uint64_t route_crosslink_ascend = 0;
  uint64_t route_crosslink_descend = 0;
  uint64_t route_direct_peer = 0;
  uint64_t route_tree_down = 0;
  uint64_t route_tree_down_cross = 0;
  uint64_t route_tree_up = 0;
  uint64_t ttl_exhausted_bytes = 0, ttl_exhausted_packets = 0;
  uint64_t warm_malformed_bytes = 0, warm_malformed_packets = 0;

  // msg_len = the 0x00 link message incl. its type byte.
  void on_received(size_t msg_len);  // every arrival, before decode
  void on_outcome(DatagramOutcome o, size_t msg_len);
  void on_warm_malformed(size_t msg_len);
  void on_route(RouteClass c);             // with every kForwarded outcome
  void on_originated(size_t encoded_len);  // a datagram this node's session layer sent
};

// ---------------------------------------------------------------- signals

// One routing-error signal per ORIGINAL destination per 100 ms, shared by
// CoordsRequired, PathBroken and MtuExceeded (spec §7.1-7.2).
class ErrorSignalLimiter {
 public:
  explicit ErrorSignalLimiter(uint64_t seed = 0,
                              uint64_t min_interval_ms = kErrorSignalMinIntervalMs)
      : lim_(min_interval_ms, kErrorSignalMaxAgeMs, kErrorSignalLimiterCapacity, seed) {}
  bool allow(const NodeAddr& original_dest, uint64_t now_ms) {
    if (lim_.check_and_record(original_dest, now_ms)) return true;
    ++suppressed_;
    return false;
  }
  void tick(uint64_t now_ms) { lim_.purge(now_ms, 1024); }
  [[nodiscard]] uint64_t suppressed() const { return suppressed_; }  // ours
  [[nodiscard]] size_t size() const { return lim_.size(); }

 private:
  IntervalLimiter<NodeAddr, NodeAddrHash> lim_;
  uint64_t suppressed_ = 0;
};

inline constexpr size_t kMaxErrorSignalDatagramSize =
    kSessionDatagramHeaderSize + fsp::kPathBrokenMinWireSize + 0xFFFF * kCoordEntrySize;

// Complete 0x00 link messages {src = self, dest = original src, ttl,
// path_mtu 0xFFFF (not min'd with the first hop, as the reference)}.
[[nodiscard]] WireStatus encode_coords_required_datagram(Writer& w, const NodeAddr& self,
                                                         const NodeAddr& orig_src,
                                                         const NodeAddr& orig_dest, uint8_t ttl);
[[nodiscard]] WireStatus encode_path_broken_datagram(Writer& w, const NodeAddr& self,
                                                     const NodeAddr& orig_src,
                                                     const NodeAddr& orig_dest,
                                                     const CoordsView& last_coords, uint8_t ttl);
[[nodiscard]] WireStatus encode_mtu_exceeded_datagram(Writer& w, const NodeAddr& self,
                                                      const NodeAddr& orig_src,
                                                      const NodeAddr& orig_dest, uint16_t mtu,
                                                      uint8_t ttl);
// On NoRoute: PathBroken with the cached coordinates (cache.get, no touch)
// if there are any, else CoordsRequired (spec §7.1 step 2).
[[nodiscard]] WireStatus encode_no_route_datagram(Writer& w, const NodeAddr& self,
                                                  const NodeAddr& orig_src,
                                                  const NodeAddr& orig_dest,
                                                  const CoordCache& cache, uint64_t now_ms,
                                                  uint8_t ttl);

}  // namespace fips::routing
