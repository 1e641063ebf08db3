#include "ipv6/adapter.h"

#include <cstring>
#include <utility>

#include "ipv6/checksum.h"
#include "ipv6/shim.h"
#include "ipv6/tcp_mss.h"

namespace fips::ipv6 {

namespace {
constexpr size_t kDstOffset = 24;

std::span<const uint8_t, 16> dst_of(const PacketBuf& p) {
  return std::span<const uint8_t, 16>(p.data() + kDstOffset, 16);
}
std::span<const uint8_t, 16> src_of(const PacketBuf& p) {
  return std::span<const uint8_t, 16>(p.data() + 8, 16);
}
MutByteSpan whole(PacketBuf& p) {
  return {p.base(), p.capacity()};
}
// Points pkt at `view`, a subspan of its own buffer.
void adopt(PacketBuf& pkt, MutByteSpan view) {
  (void)pkt.set(static_cast<size_t>(view.data() - pkt.base()), view.size());
}
}  // namespace

bool mark_ecn_ce(MutByteSpan p) {
  if (p.size() < 2) return false;
  // Traffic class = low nibble of byte 0 : high nibble of byte 1; ECN is its
  // low two bits, i.e. bits 5..4 of byte 1.
  if ((p[1] & 0x30) == 0) return false;
  p[1] = static_cast<uint8_t>(p[1] | 0x30);
  return true;
}

Ipv6Adapter::Ipv6Adapter(const AdapterConfig& cfg, AdapterHost& host)
    : our_addr_(cfg.our_addr),
      host_(host),
      effective_mtu_(effective_ipv6_mtu(cfg.transport_mtu)),
      global_max_mss_(cfg.global_max_mss ? cfg.global_max_mss : mss_ceiling(cfg.transport_mtu)),
      ptb_(cfg.ptb_limiter_capacity, cfg.seed) {}

TunDecision Ipv6Adapter::drop(PacketBuf&& pkt, TunDrop why) {
  pkt.release();
  TunDecision d;
  d.action = TunAction::kDrop;
  d.drop = why;
  return d;
}

uint16_t Ipv6Adapter::flow_mss(std::span<const uint8_t, 16> remote) {
  return per_flow_max_mss(remote, global_max_mss_,
                          [this](std::span<const uint8_t, 16> a) { return host_.path_mtu(a); });
}

bool Ipv6Adapter::make_dest_unreachable(PacketBuf& pkt) {
  if (!should_send_icmp_error(pkt.span())) {
    ++counters_.du_suppressed;
    return false;
  }
  auto r = dest_unreachable_in_place(whole(pkt), pkt.headroom(), pkt.size(), our_addr_.bytes);
  if (!r) {
    ++counters_.no_headroom;  // the only refusal left after the gate
    return false;
  }
  adopt(pkt, *r);
  ++counters_.du_sent;
  return true;
}

TunDecision Ipv6Adapter::reply_dest_unreachable(PacketBuf&& pkt, TunDrop if_suppressed) {
  const bool allowed = should_send_icmp_error(pkt.span());
  if (!make_dest_unreachable(pkt))
    return drop(std::move(pkt), allowed ? TunDrop::kNoHeadroom : if_suppressed);
  TunDecision d;
  d.action = TunAction::kReply;
  d.pkt = std::move(pkt);
  return d;
}

TunDecision Ipv6Adapter::reply_packet_too_big(PacketBuf&& pkt, uint16_t mtu, uint64_t now_ms) {
  if (!ptb_.should_send(src_of(pkt), now_ms)) {
    ++counters_.ptb_rate_limited;
    return drop(std::move(pkt), TunDrop::kPtbRateLimited);
  }
  auto r = packet_too_big_in_place(whole(pkt), pkt.headroom(), pkt.size(), mtu);
  if (!r) {
    const bool headroom = r.error().code == WireErr::kNoSpace;
    ++counters_.ptb_refused;  // the packet's outcome; no_headroom says why
    if (headroom) ++counters_.no_headroom;
    return drop(std::move(pkt), headroom ? TunDrop::kNoHeadroom : TunDrop::kPtbRefused);
  }
  adopt(pkt, *r);
  ++counters_.ptb_sent;
  TunDecision d;
  d.action = TunAction::kReply;
  d.pkt = std::move(pkt);
  return d;
}

TunDecision Ipv6Adapter::on_tun_packet(PacketBuf&& in, uint64_t now_ms) {
  PacketBuf pkt = std::move(in);
  ++counters_.tun_packets;
  if (!pkt.valid() || pkt.size() < kIpv6HeaderSize || (pkt.data()[0] >> 4) != 6) {
    ++counters_.not_ipv6;
    return drop(std::move(pkt), TunDrop::kNotIpv6);
  }
  const auto dst = dst_of(pkt);
  if (dst[0] != kFipsAddressPrefix) {
    ++counters_.not_for_mesh;
    return reply_dest_unreachable(std::move(pkt), TunDrop::kNotForMesh);
  }
  if (std::memcmp(dst.data(), our_addr_.bytes.data(), 16) == 0) {
    // Ours: a packet whose payload-length field disagrees with its size is not
    // written back to the kernel (found by fuzz/ipv6_adapter_fuzz.cc; kernel
    // TUN packets always agree, so only injected garbage is affected).
    if (40 + ((size_t{pkt.data()[4]} << 8) | pkt.data()[5]) != pkt.size()) {
      ++counters_.bad_packet;
      return drop(std::move(pkt), TunDrop::kBadPacket);
    }
    ++counters_.hairpin;
    (void)recalculate_l4_checksum(pkt.span());
    // The reference's TUN writer clamps everything it writes, keyed by source.
    (void)clamp_tcp_mss(pkt.span(), flow_mss(src_of(pkt)));
    TunDecision d;
    d.action = TunAction::kReply;
    d.pkt = std::move(pkt);
    return d;
  }
  if (clamp_tcp_mss(pkt.span(), flow_mss(dst)) == MssClamp::kClamped) ++counters_.mss_clamped_out;

  const size_t len = pkt.size();
  if (len > effective_mtu_) {
    ++counters_.ptb_global;
    return reply_packet_too_big(std::move(pkt), effective_mtu_, now_ms);
  }

  IdentityPrefix prefix;
  std::memcpy(prefix.data(), dst.data() + 1, kIdentityPrefixSize);
  const PeerIdentity* id = host_.identity_by_prefix(prefix, now_ms);
  if (!id) {
    ++counters_.identity_miss;
    return reply_dest_unreachable(std::move(pkt), TunDrop::kNoIdentity);
  }
  const NodeAddr dest = id->node_addr();
  const AdapterHost::SessionInfo s = host_.session(dest);
  TunDecision d;
  d.dest = dest;
  switch (s.state) {
    case AdapterHost::SessionState::kEstablished: {
      if (s.path_mtu != 0) {
        const uint16_t path_ipv6 = effective_ipv6_mtu(s.path_mtu);
        if (path_ipv6 < effective_mtu_ && len > path_ipv6) {
          ++counters_.ptb_path;
          return reply_packet_too_big(std::move(pkt), path_ipv6, now_ms);
        }
      }
      if (!compress_for_send(pkt)) {
        ++counters_.bad_packet;
        return drop(std::move(pkt), TunDrop::kBadPacket);
      }
      ++counters_.sent;
      d.action = TunAction::kSend;
      break;
    }
    case AdapterHost::SessionState::kHandshaking:
      ++counters_.queued_handshaking;
      d.action = TunAction::kQueue;
      break;
    case AdapterHost::SessionState::kNone:
      ++counters_.queued_initiate;
      d.action = TunAction::kQueue;
      d.initiate = true;
      d.identity = *id;
      break;
  }
  d.pkt = std::move(pkt);
  return d;
}

bool Ipv6Adapter::compress_for_send(PacketBuf& pkt) {
  auto r = compress_in_place(pkt.span());
  if (!r) return false;
  adopt(pkt, *r);
  return true;
}

MeshDecision Ipv6Adapter::on_mesh_packet(const NodeAddr& src, PacketBuf&& shim, bool ce,
                                         uint64_t /*now_ms*/) {
  MeshDecision out;
  out.pkt = std::move(shim);
  PacketBuf& pkt = out.pkt;
  ++counters_.mesh_packets;
  if (!pkt.valid() || pkt.headroom() < kSavings) {
    ++counters_.mesh_no_headroom;
    out.drop = MeshDrop::kNoHeadroom;
    pkt.release();
    return out;
  }
  const FipsAddress src_fips = FipsAddress::from_node_addr(src);
  const size_t off = pkt.headroom();
  auto r = decompress_in_place(MutByteSpan(pkt.base(), off + pkt.size()), off, src_fips.bytes,
                               our_addr_.bytes);
  if (!r) {
    ++counters_.mesh_bad_shim;
    out.drop = MeshDrop::kBadShim;
    pkt.release();
    return out;
  }
  adopt(pkt, *r);
  if (ce) {
    ++counters_.ce_received;
    if (mark_ecn_ce(pkt.span())) ++counters_.ce_marked;
  }
  if (clamp_tcp_mss(pkt.span(), flow_mss(src_fips.bytes)) == MssClamp::kClamped)
    ++counters_.mss_clamped_in;
  ++counters_.delivered;
  return out;
}

}  // namespace fips::ipv6
