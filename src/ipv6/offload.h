// TUN offloads (IFF_VNET_HDR), as pure functions on byte buffers:
//   - the 10-byte virtio_net_hdr that precedes every packet read from or
//     written to a TUN opened with IFF_VNET_HDR;
//   - completing a CHECKSUM_PARTIAL packet (VIRTIO_NET_HDR_F_NEEDS_CSUM);
//   - TSO on read: splitting one TCP/IPv6 super-packet (up to 64 KiB, handed
//     over by the kernel once TUNSETOFFLOAD enables TUN_F_TSO6) into MSS-sized
//     segments, each with its own sequence number, flags and full checksum;
//   - GRO on write: deciding which consecutive TCP/IPv6 segments of one flow
//     can be written to the kernel as a single super-packet, and building the
//     header for it (the payloads are gathered with writev, not copied).
// The device side (tun.cc) owns the fds and buffers; this file owns the rules.
// Only IPv6 and TCP are handled: the mesh carries nothing else that the kernel
// would segment, and IPv4 never enters the mesh.
#pragma once

#include <cstddef>
#include <cstdint>

#include "util/bytes.h"

namespace fips::ipv6 {

inline constexpr size_t kVnetHdrSize = 10;
inline constexpr uint8_t kVnetNeedsCsum = 1;  // VIRTIO_NET_HDR_F_NEEDS_CSUM
inline constexpr uint8_t kVnetGsoNone = 0;
inline constexpr uint8_t kVnetGsoTcpv6 = 4;
inline constexpr uint8_t kVnetGsoEcn = 0x80;
// Largest packet the kernel hands over with TSO (GSO_LEGACY_MAX_SIZE) plus
// the header in front.
inline constexpr size_t kMaxGsoPacket = 65535 + kVnetHdrSize;

// virtio_net_hdr; the TUN uses the host's byte order (legacy virtio).
struct VnetHdr {
  uint8_t flags = 0;
  uint8_t gso_type = kVnetGsoNone;
  uint16_t hdr_len = 0;
  uint16_t gso_size = 0;
  uint16_t csum_start = 0;
  uint16_t csum_offset = 0;
};
[[nodiscard]] VnetHdr read_vnet_hdr(const uint8_t* p);
void write_vnet_hdr(const VnetHdr& h, uint8_t* p);

// Completes the checksum of a packet whose L4 checksum field (at
// csum_start + csum_offset) holds only the pseudo-header sum: sums
// [csum_start, end) and stores the complement. false (packet unchanged) when
// the offsets do not fit the packet.
bool complete_partial_checksum(MutByteSpan pkt, size_t csum_start, size_t csum_offset);

// How a TSO super-packet splits. count segments of seg_payload bytes (the last
// may be shorter), each prefixed by a copy of the hdr_len header bytes.
struct GsoPlan {
  size_t hdr_len = 0;      // IPv6 + TCP header (with options)
  size_t seg_payload = 0;  // gso_size
  size_t payload = 0;      // total TCP payload of the super-packet
  size_t count = 0;
};
enum class GsoError : uint8_t {
  kNotTcp6,      // not IPv6 + TCP without extension headers
  kBadHeader,    // header lengths or checksum offsets inconsistent
  kBadGsoSize,   // gso_size 0
  kUnsupported,  // a GSO type other than TCPv6 (ECN, UDP, IPv4)
};
// Checks a super-packet (pkt = IPv6 packet after the vnet header) against h.
[[nodiscard]] bool plan_tcp6_gso(ByteSpan pkt, const VnetHdr& h, GsoPlan& out, GsoError& why);
// Writes segment i of the plan to out (room for hdr_len + seg_payload bytes):
// IPv6 payload length, TCP sequence number, FIN/PSH only on the last segment,
// CWR only on the first, full TCP checksum. Returns its length.
size_t write_tcp6_segment(ByteSpan pkt, const GsoPlan& plan, size_t i, uint8_t* out);

// GRO. A segment may start or join a run when it is IPv6 + TCP without
// extension headers, carries payload, has only ACK (and PSH) set and a valid
// checksum. Returns its TCP header length, or 0 when it may not.
[[nodiscard]] size_t gro_candidate(ByteSpan pkt);

// Same addresses and ports (both gro_candidate()s).
[[nodiscard]] bool same_tcp6_flow(ByteSpan a, ByteSpan b);

// A run of segments being coalesced. start() with the first candidate, then
// offer() each following segment in order; offer() says whether it joined.
class GroRun {
 public:
  static constexpr size_t kMaxSegments = 64;
  void start(ByteSpan head, size_t tcp_hdr_len);
  // next must be a gro_candidate() with header length next_tcp_hdr_len.
  [[nodiscard]] bool offer(ByteSpan next, size_t next_tcp_hdr_len);
  [[nodiscard]] size_t segments() const { return segments_; }
  [[nodiscard]] size_t header_len() const { return 40 + tcp_hdr_; }
  // The vnet header plus the merged IPv6/TCP header, written to out
  // (kVnetHdrSize + header_len() bytes). The payloads follow it unchanged:
  // the head's and each joined segment's bytes after its header.
  size_t write_header(uint8_t* out) const;

 private:
  ByteSpan head_;
  size_t tcp_hdr_ = 0;
  size_t seg_size_ = 0;  // the head's payload: every segment but the last
  size_t total_ = 0;     // payload bytes so far
  size_t segments_ = 0;
  bool closed_ = false;  // a short segment or PSH ended it
  bool psh_ = false;
};

}  // namespace fips::ipv6
