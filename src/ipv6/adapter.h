// IPv6 adapter core, sans-I/O (docs/spec/fsp-ipv6.md §9.4, §14, §15, §16):
// turns a packet read from the TUN into a decision for the node (send this
// shim payload on port 256 / queue it until the session is up / write this
// ICMPv6 reply back to the TUN / drop), and a port-256 shim payload from the
// mesh into the IPv6 packet to write to the TUN. Every transformation is in
// place in the caller's PacketBuf (shim compression, ICMPv6 errors in the
// headroom, decompression into the headroom, MSS clamp, ECN-CE); nothing is
// allocated per packet.
// Not here: the TUN fd (tun.h), sessions and their state machines, the
// identity cache and path-MTU table themselves (behind AdapterHost), the
// pending queue policy (pending_queue.h; the node decides when to flush).
//
// on_tun_packet, in order (reader thread + handle_tun_outbound merged):
//   1. < 40 bytes or version != 6                        -> drop kNotIpv6
//   2. destination outside fd00::/8 -> Destination Unreachable from our
//      address if should_send_icmp_error, else drop kNotForMesh (no limiter)
//   3. destination == our address -> L4 checksum recomputed, MSS clamped
//      as the TUN writer would (by source), reply (hairpin)
//   4. TCP MSS clamp with per_flow_max_mss(destination)
//   5. len > effective MTU (transport MTU - 77) -> Packet Too Big(effective)
//   6. identity lookup by destination bytes 1..16; miss -> Destination
//      Unreachable (gated by should_send_icmp_error, not rate limited)
//   7. session established: if it reports a path MTU and path - 77 <
//      effective and len > path - 77 -> Packet Too Big(path - 77); else the
//      packet is shim-compressed in place -> kSend
//      session handshaking -> kQueue (initiate = false)
//      no session          -> kQueue (initiate = true, with the identity)
// Packet Too Big: limited per original source (PtbLimiter, recorded before
// the build), source = the original destination; refusals are drops.
// ICMPv6 replies are built in front of the packet: it needs >= 48 bytes of
// headroom (TUN reads have 128), else drop kNoHeadroom.
//
// on_mesh_packet: decompress in place (the 33 header bytes go into the
// headroom in front of the shim), addresses rebuilt as src = fd||src_addr,
// dst = our address; CE from the carrying frame marks ECN-capable packets CE
// (ce_received counts every CE-flagged packet); MSS clamp with
// per_flow_max_mss(source).
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "cache/identity_cache.h"
#include "dataplane/buffer_pool.h"
#include "identity/identity.h"
#include "identity/node_addr.h"
#include "ipv6/icmp.h"
#include "ipv6/limits.h"

namespace fips::ipv6 {

// What the adapter asks of the node. Called on the packet path: must not
// allocate or block.
class AdapterHost {
 public:
  enum class SessionState : uint8_t { kNone, kHandshaking, kEstablished };
  struct SessionInfo {
    SessionState state = SessionState::kNone;
    uint16_t path_mtu = 0;  // established with MMP: PathMtuState current_mtu; else 0
  };

  virtual ~AdapterHost() = default;
  // Touching identity-cache lookup by node_addr[0..15] (§12); nullptr on a
  // miss. The pointer need only live until the call returns to the adapter.
  virtual const PeerIdentity* identity_by_prefix(const IdentityPrefix& prefix, uint64_t now_ms) = 0;
  virtual SessionInfo session(const NodeAddr& dest) = 0;
  // path_mtu_lookup entry (wire bytes) for a FIPS address, for the MSS clamp.
  virtual std::optional<uint16_t> path_mtu(std::span<const uint8_t, 16> fips_addr) = 0;
};

struct AdapterConfig {
  FipsAddress our_addr;
  // min MTU of the operational transports (node transport_mtu()).
  uint16_t transport_mtu = 1280;
  // Global MSS ceiling; computed once when the TUN starts (0 = from transport_mtu).
  uint16_t global_max_mss = 0;
  size_t ptb_limiter_capacity = kPtbLimiterCapacity;
  uint64_t seed = 0;
};

enum class TunAction : uint8_t {
  kSend,   // pkt = shim payload (format 0x00) for dest, ready for port 256
  kQueue,  // pkt = raw IPv6 packet (MSS clamped) to queue for dest
  kReply,  // pkt = IPv6 packet to write back to the TUN (ICMPv6 error, hairpin)
  kDrop,   // pkt released; see drop
};

enum class TunDrop : uint8_t {
  kNone,
  kNotIpv6,         // < 40 bytes or version != 6
  kNotForMesh,      // non-fd destination and no ICMPv6 error allowed
  kNoIdentity,      // identity miss and no ICMPv6 error allowed
  kPtbRateLimited,  // oversize, PTB suppressed by the per-source limiter
  kPtbRefused,      // oversize, PTB builder refused (bad source, ICMPv6 error)
  kNoHeadroom,      // < 48 bytes of headroom for the ICMPv6 reply
  kBadPacket,       // shim compression refused it (payload length mismatch)
};

struct TunDecision {
  TunAction action = TunAction::kDrop;
  TunDrop drop = TunDrop::kNone;
  NodeAddr dest;                         // kSend / kQueue
  bool initiate = false;                 // kQueue: no session entry exists yet
  std::optional<PeerIdentity> identity;  // kQueue with initiate: whom to initiate to
  PacketBuf pkt;
};

enum class MeshDrop : uint8_t { kNone, kNoHeadroom, kBadShim };

struct MeshDecision {
  MeshDrop drop = MeshDrop::kNone;  // kNone: pkt is the IPv6 packet for the TUN
  PacketBuf pkt;
  [[nodiscard]] bool deliver() const { return drop == MeshDrop::kNone; }
};

// Every TUN packet ends in exactly one outcome counter (see tun_outcomes());
// the others (ptb_global/ptb_path, du_*, no_headroom, mss_clamped_out) are
// details counted in addition to the outcome.
struct AdapterCounters {
  uint64_t tun_packets = 0;
  uint64_t not_ipv6 = 0;
  uint64_t not_for_mesh = 0;  // non-fd destination (DU sent or suppressed)
  uint64_t hairpin = 0;
  uint64_t mss_clamped_out = 0;  // TUN -> mesh
  uint64_t ptb_sent = 0;
  uint64_t ptb_global = 0;  // oversize vs effective MTU
  uint64_t ptb_path = 0;    // oversize vs the session's path MTU
  uint64_t ptb_rate_limited = 0;
  uint64_t ptb_refused = 0;  // PTB not built (bad packet or no headroom)
  uint64_t du_sent = 0;        // all Destination Unreachables built
  uint64_t du_suppressed = 0;  // should_send_icmp_error said no
  uint64_t identity_miss = 0;
  uint64_t no_headroom = 0;  // a DU or PTB reply could not be built in place
  uint64_t bad_packet = 0;
  uint64_t sent = 0;
  uint64_t queued_handshaking = 0;
  uint64_t queued_initiate = 0;
  uint64_t mesh_packets = 0;
  uint64_t mesh_bad_shim = 0;
  uint64_t mesh_no_headroom = 0;
  uint64_t ce_received = 0;     // congestion.ce_received
  uint64_t ce_marked = 0;       // of those, ECN-capable and marked CE
  uint64_t mss_clamped_in = 0;  // mesh -> TUN
  uint64_t delivered = 0;

  // Sum of the TUN outcome counters; equals tun_packets at every moment.
  [[nodiscard]] uint64_t tun_outcomes() const {
    return not_ipv6 + not_for_mesh + identity_miss + bad_packet + hairpin + ptb_sent +
           ptb_rate_limited + ptb_refused + sent + queued_handshaking + queued_initiate;
  }
};

// §16.4: if the packet's ECN field (traffic class bits 1..0) is not 00, set
// it to 11 (CE). No checksum changes. Returns whether the packet was marked.
bool mark_ecn_ce(MutByteSpan ipv6_packet);

class Ipv6Adapter {
 public:
  Ipv6Adapter(const AdapterConfig& cfg, AdapterHost& host);

  // §14 for one packet read from the TUN (data() = the IPv6 packet).
  [[nodiscard]] TunDecision on_tun_packet(PacketBuf&& pkt, uint64_t now_ms);
  // §15 for one decrypted port-256 payload from src (data() = the shim
  // payload, with >= 33 bytes of headroom). now_ms is unused today.
  [[nodiscard]] MeshDecision on_mesh_packet(const NodeAddr& src, PacketBuf&& shim, bool ce,
                                            uint64_t now_ms);

  // A queued raw packet being flushed at establishment: compressed in place,
  // no MTU checks (reference). false (pkt untouched) if it is not a valid IPv6
  // packet for the shim.
  [[nodiscard]] bool compress_for_send(PacketBuf& pkt);
  // Turns a packet that can no longer be delivered (lookup timeout, §11)
  // into a Destination Unreachable from our address, in place. false when
  // should_send_icmp_error refuses or there is no headroom (drop it).
  [[nodiscard]] bool make_dest_unreachable(PacketBuf& pkt);

  // The node's transport MTU changed (transports up/down). The MSS ceiling
  // stays what it was at TUN start, as in the reference.
  void set_transport_mtu(uint16_t mtu) { effective_mtu_ = effective_ipv6_mtu(mtu); }
  void purge(uint64_t now_ms) { ptb_.purge(now_ms); }

  [[nodiscard]] uint16_t effective_mtu() const { return effective_mtu_; }
  [[nodiscard]] uint16_t global_max_mss() const { return global_max_mss_; }
  [[nodiscard]] const FipsAddress& our_addr() const { return our_addr_; }
  [[nodiscard]] const AdapterCounters& counters() const { return counters_; }
  [[nodiscard]] const PtbLimiter& ptb_limiter() const { return ptb_; }

 private:
  TunDecision drop(PacketBuf&& pkt, TunDrop why);
  TunDecision reply_dest_unreachable(PacketBuf&& pkt, TunDrop if_suppressed);
  TunDecision reply_packet_too_big(PacketBuf&& pkt, uint16_t mtu, uint64_t now_ms);
  uint16_t flow_mss(std::span<const uint8_t, 16> remote);

  FipsAddress our_addr_;
  AdapterHost& host_;
  uint16_t effective_mtu_;
  uint16_t global_max_mss_;
  PtbLimiter ptb_;
  AdapterCounters counters_;
};

}  // namespace fips::ipv6
