// The node's end-to-end layer: binds the FSP session core (proto/fsp) to the
// Node (routing, coordinate and identity caches, lookups) and to the IPv6
// adapter, and keeps the packets that wait for a session.
//   outbound  send() (native datagrams on a port) and on_tun_packet() (IPv6
//             from the TUN, port 256): route, seal in place, prepend the
//             SessionDatagram header, send; without an established session
//             the packet waits in a bounded per-destination queue while a
//             session (and if needed a lookup) is started.
//   inbound   every SessionDatagram addressed to us goes through the session
//             core; Data comes out on its port: 256 -> IPv6 adapter -> TUN,
//             others -> the registered port handler.
//   events    established -> flush the queues; timeouts -> discard (TUN
//             packets after a failed lookup become ICMPv6 Unreachable);
//             CoordsRequired / PathBroken -> coordinate refresh by lookup.
// Sans-I/O like the Node: time is passed in, the TUN is a writer callback.
// Not here: sockets, the TUN device, DNS, JSON.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>

#include "ipv6/adapter.h"
#include "ipv6/pending_queue.h"
#include "node/node.h"
#include "proto/fsp/session.h"

namespace fips {

inline constexpr uint16_t kIpv6ShimPort = 256;
// Our native echo service (fipsctl ping; the reference has none): a datagram
// to port 7 comes back to its source port with the first byte 'P' -> 'R'.
inline constexpr uint16_t kEchoPort = 7;

struct SessionLayerCounters {
  uint64_t native_sent = 0, native_queued = 0, native_refused = 0, native_delivered = 0,
           native_no_handler = 0, native_discarded = 0;
  uint64_t tun_written = 0, tun_write_failed = 0, mesh_no_tun = 0, mesh_dropped = 0;
  uint64_t seal_failed = 0, route_lost = 0;
  uint64_t lookups_started = 0, lookup_failures = 0, unreachable_sent = 0;
  uint64_t path_mtu_table_full = 0;
};

class SessionLayer : public fsp::SessionEnv, public ipv6::AdapterHost {
 public:
  // A native datagram for a port from the session peer `src`, sent from its
  // `src_port`: data() is the payload.
  using PortHandler =
      std::function<void(const NodeAddr& src, uint16_t src_port, PacketBuf&& payload, uint64_t now_ms)>;
  using TunWriter = std::function<bool(PacketBuf&&)>;

  SessionLayer(Node& node, LinkIo& io, const Epoch& epoch, const fsp::SessionParams& params,
               const ipv6::PendingLimits& pending, uint64_t seed);
  ~SessionLayer() override;
  SessionLayer(const SessionLayer&) = delete;
  SessionLayer& operator=(const SessionLayer&) = delete;

  // The IPv6 adapter and the TUN writer (both optional; without them port-256
  // data is dropped and counted).
  void attach_ipv6(ipv6::Ipv6Adapter* adapter, TunWriter writer);
  void set_port_handler(uint16_t port, PortHandler h);
  void set_transport_mtu(uint16_t mtu) { transport_mtu_ = mtu; }

  enum class SendStatus : uint8_t { kSent, kQueued, kRefused, kNoBuffer, kTooLarge, kFailed };
  // Native datagram to dest on dst_port. Queued (and a session started) when
  // no session is established yet.
  SendStatus send(const PeerIdentity& dest, uint16_t src_port, uint16_t dst_port, ByteSpan payload,
                  uint64_t now_ms);
  // Same with the payload already in a pool buffer (data() = payload).
  SendStatus send_buf(const PeerIdentity& dest, uint16_t src_port, uint16_t dst_port, PacketBuf&& buf,
                      uint64_t now_ms);
  // One packet read from the TUN.
  void on_tun_packet(PacketBuf&& pkt, uint64_t now_ms);
  // The node's 1 s tick (after Node::tick).
  void tick(uint64_t now_ms);
  // Called by the owner's lookup-completion hook (Node has one hook).
  void on_lookup_done(const lookup::LookupEvent& e, uint64_t now_ms);
  void shutdown();

  // ---- probes (node/probes.h) ----
  // Opens a session to dest now; an error text when it cannot (no route:
  // no lookup is started, the probe did that itself).
  std::optional<std::string> open_session(const PeerIdentity& dest, uint64_t now_ms);
  bool send_warmup(const NodeAddr& dest, uint64_t now_ms);
  bool tear_down(const NodeAddr& dest, uint64_t now_ms);

  fsp::SessionManager& sessions() { return *sm_; }
  const fsp::SessionManager& sessions() const { return *sm_; }
  const SessionLayerCounters& counters() const { return counters_; }
  const ipv6::PendingQueue& tun_pending() const { return tun_pending_; }
  const ipv6::PendingQueue& native_pending() const { return native_pending_; }

  // ---- fsp::SessionEnv ----
  CoordsView my_coords() override { return node_.self_coords(); }
  std::optional<CoordsView> cached_coords(const NodeAddr& dest, uint64_t now_ms) override;
  uint16_t route_mtu(const NodeAddr& dest, uint64_t now_ms) override { return node_.route_mtu(dest, now_ms); }
  uint16_t transport_mtu() override { return transport_mtu_; }
  PacketBuf alloc() override { return io_.alloc(); }
  void register_identity(const PeerIdentity& id, uint64_t now_ms) override;

  // ---- ipv6::AdapterHost ----
  const PeerIdentity* identity_by_prefix(const IdentityPrefix& prefix, uint64_t now_ms) override;
  SessionInfo session(const NodeAddr& dest) override;
  std::optional<uint16_t> path_mtu(std::span<const uint8_t, 16> fips_addr) override;

 private:
  // ce: the carrying FMP frame had CE; a port-256 packet is then ECN-marked.
  void on_datagram(const routing::SessionDatagram& dg, const NodeAddr& link_peer, PacketBuf&& frame,
                   bool ce, uint64_t now_ms);
  // Seals buf (payload) for an established session and sends it. kNoRoute
  // leaves buf untouched (the caller queues it; a lookup has been started).
  enum class Tx : uint8_t { kSent, kNoRoute, kFailed };
  Tx send_established(const NodeAddr& dest, uint16_t sp, uint16_t dp, PacketBuf& buf, uint64_t now_ms);
  // Starts a session (or a lookup when there is no route yet).
  void start_session(const PeerIdentity& dest, uint64_t now_ms);
  void run_actions(uint64_t now_ms);
  void note_retry(const NodeAddr& dest);
  void retry_waiting(uint64_t now_ms);
  void flush(const NodeAddr& dest, uint64_t now_ms);
  void discard_tun(const NodeAddr& dest, bool unreachable);
  void deliver(const NodeAddr& src, uint16_t sp, uint16_t dp, PacketBuf&& payload, bool ce, uint64_t now_ms);
  void echo(const NodeAddr& src, uint16_t src_port, PacketBuf&& payload, uint64_t now_ms);

  Node& node_;
  LinkIo& io_;
  Rng rng_;
  std::unique_ptr<fsp::SessionManager> sm_;
  fsp::SessionActions acts_;
  std::vector<fsp::SessionEvent> events_;  // capacity reused
  ipv6::PendingQueue tun_pending_;
  ipv6::PendingQueue native_pending_;
  ipv6::Ipv6Adapter* adapter_ = nullptr;
  TunWriter tun_write_;
  std::unordered_map<uint16_t, PortHandler> ports_;
  // path_mtu_lookup (keep-tighter), keyed by the FIPS address bits; bounded.
  struct PrefixHash {
    size_t operator()(const IdentityPrefix& p) const noexcept;
  };
  std::unordered_map<IdentityPrefix, uint16_t, PrefixHash> path_mtus_;
  static constexpr size_t kMaxRetry = 256;
  std::vector<NodeAddr> retry_, retry_scratch_;
  uint16_t transport_mtu_ = 1280;
  SessionLayerCounters counters_;
};

}  // namespace fips
