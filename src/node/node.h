// The whole node, sans-I/O: the FMP link layer plus the routing layers above
// it (spanning tree, bloom filters, discovery, forwarding, caches), driven by
// a shell (the daemon, the simulator, tests) that passes packets and time in.
// Sessions (FSP) attach through the datagram hooks.
// Not here: sockets, the event loop, the control socket (daemon/), JSON.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cache/coord_cache.h"
#include "cache/identity_cache.h"
#include "config/config.h"
#include "node/congestion.h"
#include "node/link_layer.h"
#include "node/snapshot.h"
#include "proto/bloom/state.h"
#include "proto/lookup/core.h"
#include "proto/peer_view.h"
#include "proto/routing/core.h"
#include "proto/stp/tree.h"

namespace fips {

struct NodeOptions {
  LinkConfig link;
  stp::TreeConfig tree;
  bloom::BloomParams bloom;
  lookup::LookupParams lookup;
  size_t coord_cache_size = 50'000;
  uint64_t coord_cache_ttl_ms = 300'000;
  size_t identity_cache_size = 10'000;
  uint8_t session_ttl = 64;
  bool leaf_only = false;  // does not forward datagrams or transit lookups
  EcnParams ecn;           // node.ecn.*: CE on our own congestion (node/congestion.h)
};
NodeOptions node_options_from(const Config& cfg);
// LinkConfig from the reference's configuration keys and derivation rules.
LinkConfig link_config_from(const Config& cfg);

// Drops above the link layer that have no counter in a core (ours).
struct NodeCounters {
  uint64_t leaf_only_refused = 0;    // transit datagram/lookup refused in leaf_only mode
  uint64_t signal_unroutable = 0;    // an error signal we could not route back
  uint64_t undeliverable = 0;        // datagram for us with no session layer attached
  uint64_t ce_forwarded = 0;         // congestion.ce_forwarded: forwarded with CE set
  uint64_t congestion_detected = 0;  // congestion.congestion_detected: CE set by us (node/congestion.h)
  uint64_t kernel_drop_events = 0;   // congestion.kernel_drop_events: a transport started dropping
};

class Node : public LinkUpper, public PeerView {
 public:
  // Called for each SessionDatagram addressed to this node: src, the datagram
  // (payload view into `frame`), and the buffer holding it.
  using DeliverFn = std::function<void(const routing::SessionDatagram&, PacketBuf&& frame, uint64_t now)>;
  using LookupDoneFn = std::function<void(const lookup::LookupEvent&)>;
  // The session layer's hook: like DeliverFn plus the link peer it came from.
  // ce: the carrying FMP frame had the CE flag.
  using SessionDeliverFn = std::function<void(const routing::SessionDatagram&, const NodeAddr& link_peer,
                                              PacketBuf&& frame, bool ce, uint64_t now)>;
  using PeerDownFn = std::function<void(const NodeAddr&, uint64_t now)>;

  Node(const Identity& id, const Epoch& epoch, const NodeOptions& opts, LinkIo& io,
       uint64_t rng_seed);
  ~Node() override;

  // ---- driving ----
  void on_packet(TransportId tid, const TransportAddr& from, PacketBuf&& pkt, uint64_t now_ms) {
    link_.on_packet(tid, from, std::move(pkt), now_ms);
  }
  void tick(uint64_t now_ms);
  [[nodiscard]] uint64_t next_deadline(uint64_t now_ms) const { return link_.next_deadline(now_ms); }

  // ---- datagrams (the service FSP and diagnostics use) ----
  enum class SendResult : uint8_t { kSent, kNoRoute, kNoBuffer, kTooLarge, kSendFailed };
  // Wraps payload in a SessionDatagram to dest and routes it. No lookup is
  // started on kNoRoute; call start_lookup() (the caller decides policy).
  SendResult send_datagram(const NodeAddr& dest, ByteSpan payload, uint64_t now_ms);
  void set_deliver(DeliverFn fn) { deliver_ = std::move(fn); }
  // Takes precedence over set_deliver when set.
  void set_session_deliver(SessionDeliverFn fn) { session_deliver_ = std::move(fn); }
  void set_peer_down(PeerDownFn fn) { peer_down_ = std::move(fn); }
  // `buf` holds a payload with at least kSessionDatagramHeaderSize bytes of
  // headroom and kAeadTagSize of tailroom: the header is prepended in place.
  // `via` (from route()) skips the routing decision when the caller just made it.
  struct Route {
    size_t peer_index = 0;
    uint16_t mtu = 0;  // 0 = no route
  };
  SendResult send_datagram_buf(const NodeAddr& dest, PacketBuf&& buf, uint64_t now_ms,
                               const Route* via = nullptr);
  // The first hop a datagram to dest would take now (mtu 0 = no route).
  Route route(const NodeAddr& dest, uint64_t now_ms);
  uint16_t route_mtu(const NodeAddr& dest, uint64_t now_ms) { return route(dest, now_ms).mtu; }

  // ---- discovery ----
  // Remembers the target's identity (needed to verify its proof) and starts a
  // lookup for its coordinates.
  lookup::InitiateResult start_lookup(const PeerIdentity& target, uint64_t now_ms);
  void set_lookup_done(LookupDoneFn fn) { lookup_done_ = std::move(fn); }

  // ---- accessors ----
  LinkLayer& link() { return link_; }
  const LinkLayer& link() const { return link_; }
  const Identity& identity() const { return id_; }
  const stp::TreeState& tree() const { return tree_; }
  const bloom::BloomState& bloom() const { return bloom_; }
  const lookup::LookupCore& lookups() const { return lookup_; }
  CoordCache& coord_cache() { return coords_; }
  const CoordCache& coord_cache() const { return coords_; }
  IdentityCache& identity_cache() { return ids_; }
  const IdentityCache& identity_cache() const { return ids_; }
  const routing::ForwardingCounters& forwarding() const { return fwd_; }
  const NodeCounters& counters() const { return counters_; }
  const NodeOptions& options() const { return opts_; }
  // The daemon's 1 s sample of a transport's cumulative kernel receive drops
  // (UDP SO_RXQ_OVFL): feeds the ECN congestion test.
  void sample_kernel_drops(TransportId tid, uint64_t cumulative_drops);
  // Fills the tree/bloom fields of show_peers rows.
  void annotate_peers(std::vector<PeerSnapshot>& rows) const;
  [[nodiscard]] std::optional<uint64_t> estimated_mesh_size() const { return mesh_size_; }

  // ---- LinkUpper ----
  void on_peer_up(const Peer& p, uint64_t now_ms) override;
  void on_peer_down(const NodeAddr& a, uint64_t now_ms) override;
  bool on_link_message(Peer& p, uint8_t msg_type, PacketBuf&& frame, bool ce, uint64_t now_ms) override;
  void on_first_rtt(Peer& p, uint64_t now_ms) override;

  // ---- PeerView (what the routing cores see) ----
  const NodeAddr& self_addr() const override { return id_.node_addr(); }
  CoordsView self_coords() const override { return coords_view_of(tree_.my_coords()); }
  size_t peer_count() const override { return peer_list_.size(); }
  PeerInfo peer(size_t i) const override;
  bool peer_may_reach(size_t i, const RouteDest& dest) const override;
  size_t find_peer(const NodeAddr& addr) const override;
  uint16_t link_mtu(size_t i) const override;

 private:
  uint64_t unix_s() const { return io_.wall_ms() / 1000; }
  stp::PeerCosts peer_costs() const;
  // peer_list_ kept sorted by insertion and removal at a binary-searched
  // position (a full rebuild per peer made a hub's ramp quadratic).
  void peer_list_add(const NodeAddr& a);
  void peer_list_remove(const NodeAddr& a);
  void apply(const stp::TreeActions& a, uint64_t now_ms);
  void run_lookup_actions(uint64_t now_ms);
  void on_datagram(Peer& from, PacketBuf&& frame, bool ce, uint64_t now_ms);
  void send_error_signal(const routing::SessionDatagram& dg, const routing::TransitDecision& d,
                         uint64_t now_ms);
  bool route_buffer(const NodeAddr& dest, PacketBuf&& buf, uint64_t now_ms, size_t* hop = nullptr);

  const Identity& id_;
  NodeOptions opts_;
  LinkIo& io_;
  Rng rng_;
  LinkLayer link_;
  stp::TreeState tree_;
  bloom::BloomState bloom_;
  lookup::LookupCore lookup_;
  lookup::LookupActions lookup_acts_;
  CoordCache coords_;
  IdentityCache ids_;
  routing::ForwardingCounters fwd_;
  routing::ErrorSignalLimiter err_limiter_;
  NodeCounters counters_;
  KernelDropMonitor kernel_drops_;
  std::vector<Peer*> peer_list_;  // ascending NodeAddr; updated on peer up/down
  std::vector<NodeAddr> peer_addrs_;  // peer_list_'s keys, same order (a departed
                                      // peer's object is gone by on_peer_down)
  std::optional<uint64_t> mesh_size_;
  DeliverFn deliver_;
  SessionDeliverFn session_deliver_;
  PeerDownFn peer_down_;
  LookupDoneFn lookup_done_;
};

}  // namespace fips
