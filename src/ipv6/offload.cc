#include "ipv6/offload.h"

#include <algorithm>
#include <cstring>

#include "ipv6/checksum.h"
#include "ipv6/limits.h"

namespace fips::ipv6 {

namespace {
constexpr size_t kTcpSeq = 4, kTcpAck = 8, kTcpOffFlags = 12, kTcpFlags = 13, kTcpWindow = 14,
                 kTcpCsum = 16;
constexpr uint8_t kFin = 0x01, kPsh = 0x08, kAck = 0x10, kCwr = 0x80;

uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
void put_be32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}
void put_be16(uint8_t* p, size_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
size_t tcp_hdr_len(const uint8_t* tcp) {
  return size_t{static_cast<uint8_t>(tcp[kTcpOffFlags] >> 4)} * 4;
}
// IPv6 + TCP directly after the fixed header, TCP header inside the packet.
// Returns the TCP header length or 0.
size_t tcp6_header(ByteSpan p) {
  if (p.size() < kIpv6HeaderSize + kTcpHeaderMin || (p[0] >> 4) != 6 || p[6] != kNextHeaderTcp)
    return 0;
  const size_t th = tcp_hdr_len(p.data() + kIpv6HeaderSize);
  if (th < kTcpHeaderMin || kIpv6HeaderSize + th > p.size()) return 0;
  return th;
}
}  // namespace

VnetHdr read_vnet_hdr(const uint8_t* p) {
  VnetHdr h;
  h.flags = p[0];
  h.gso_type = p[1];
  std::memcpy(&h.hdr_len, p + 2, 2);
  std::memcpy(&h.gso_size, p + 4, 2);
  std::memcpy(&h.csum_start, p + 6, 2);
  std::memcpy(&h.csum_offset, p + 8, 2);
  return h;
}

void write_vnet_hdr(const VnetHdr& h, uint8_t* p) {
  p[0] = h.flags;
  p[1] = h.gso_type;
  std::memcpy(p + 2, &h.hdr_len, 2);
  std::memcpy(p + 4, &h.gso_size, 2);
  std::memcpy(p + 6, &h.csum_start, 2);
  std::memcpy(p + 8, &h.csum_offset, 2);
}

bool complete_partial_checksum(MutByteSpan pkt, size_t csum_start, size_t csum_offset) {
  if (csum_start >= pkt.size() || csum_offset + 2 > pkt.size() - csum_start) return false;
  const uint16_t c = static_cast<uint16_t>(~csum_fold(csum_add(0, pkt.subspan(csum_start))));
  put_be16(pkt.data() + csum_start + csum_offset, c);
  return true;
}

bool plan_tcp6_gso(ByteSpan pkt, const VnetHdr& h, GsoPlan& out, GsoError& why) {
  if ((h.gso_type & ~kVnetGsoEcn) != kVnetGsoTcpv6 || (h.gso_type & kVnetGsoEcn)) {
    why = GsoError::kUnsupported;
    return false;
  }
  const size_t th = tcp6_header(pkt);
  if (th == 0) {
    why = GsoError::kNotTcp6;
    return false;
  }
  // The kernel's own offsets must agree with the headers we rewrite.
  if ((h.flags & kVnetNeedsCsum) == 0 || h.csum_start != kIpv6HeaderSize || h.csum_offset != kTcpCsum) {
    why = GsoError::kBadHeader;
    return false;
  }
  if (h.gso_size == 0) {
    why = GsoError::kBadGsoSize;
    return false;
  }
  out.hdr_len = kIpv6HeaderSize + th;
  out.seg_payload = h.gso_size;
  out.payload = pkt.size() - out.hdr_len;
  out.count = out.payload == 0 ? 1 : (out.payload + out.seg_payload - 1) / out.seg_payload;
  return true;
}

size_t write_tcp6_segment(ByteSpan pkt, const GsoPlan& plan, size_t i, uint8_t* out) {
  const size_t off = i * plan.seg_payload;
  const size_t len = off >= plan.payload ? 0 : std::min(plan.seg_payload, plan.payload - off);
  std::memcpy(out, pkt.data(), plan.hdr_len);
  if (len) std::memcpy(out + plan.hdr_len, pkt.data() + plan.hdr_len + off, len);
  const size_t l4 = plan.hdr_len - kIpv6HeaderSize + len;
  put_be16(out + 4, l4);
  uint8_t* tcp = out + kIpv6HeaderSize;
  put_be32(tcp + kTcpSeq, be32(tcp + kTcpSeq) + static_cast<uint32_t>(off));
  if (i + 1 < plan.count) tcp[kTcpFlags] &= static_cast<uint8_t>(~(kFin | kPsh));
  if (i > 0) tcp[kTcpFlags] &= static_cast<uint8_t>(~kCwr);
  tcp[kTcpCsum] = tcp[kTcpCsum + 1] = 0;
  const ByteSpan seg(out, kIpv6HeaderSize + l4);
  uint64_t sum = pseudo_header_sum(seg, static_cast<uint32_t>(l4), kNextHeaderTcp);
  sum = csum_add(sum, seg.subspan(kIpv6HeaderSize));
  put_be16(tcp + kTcpCsum, static_cast<uint16_t>(~csum_fold(sum)));
  return kIpv6HeaderSize + l4;
}

size_t gro_candidate(ByteSpan p) {
  const size_t th = tcp6_header(p);
  if (th == 0) return 0;
  if (kIpv6HeaderSize + ((size_t{p[4]} << 8) | p[5]) != p.size()) return 0;
  if (p.size() == kIpv6HeaderSize + th) return 0;  // no payload: pure ACKs stay alone
  const uint8_t flags = p[kIpv6HeaderSize + kTcpFlags];
  if ((flags & kAck) == 0 || (flags & ~(kAck | kPsh)) != 0) return 0;
  // Written as CHECKSUM_PARTIAL the kernel would not check it again.
  if (!verify_l4_checksum(p)) return 0;
  return th;
}

bool same_tcp6_flow(ByteSpan a, ByteSpan b) {
  return std::memcmp(a.data() + 8, b.data() + 8, 32) == 0 &&
         std::memcmp(a.data() + kIpv6HeaderSize, b.data() + kIpv6HeaderSize, 4) == 0;
}

void GroRun::start(ByteSpan head, size_t tcp_hdr_len) {
  head_ = head;
  tcp_hdr_ = tcp_hdr_len;
  seg_size_ = head.size() - kIpv6HeaderSize - tcp_hdr_len;
  total_ = seg_size_;
  segments_ = 1;
  psh_ = (head[kIpv6HeaderSize + kTcpFlags] & kPsh) != 0;
  closed_ = psh_;
}

bool GroRun::offer(ByteSpan next, size_t next_tcp_hdr_len) {
  if (closed_ || segments_ >= kMaxSegments || next_tcp_hdr_len != tcp_hdr_) return false;
  const size_t len = next.size() - kIpv6HeaderSize - tcp_hdr_;
  if (len > seg_size_ || kIpv6HeaderSize + tcp_hdr_ + total_ + len > 65535) return false;
  const uint8_t* a = head_.data();
  const uint8_t* b = next.data();
  // IPv6: version, traffic class, flow label; hop limit; addresses.
  if (std::memcmp(a, b, 4) != 0 || a[7] != b[7] || std::memcmp(a + 8, b + 8, 32) != 0) return false;
  const uint8_t* ta = a + kIpv6HeaderSize;
  const uint8_t* tb = b + kIpv6HeaderSize;
  if (std::memcmp(ta, tb, 4) != 0) return false;  // ports
  if (be32(tb + kTcpSeq) != be32(ta + kTcpSeq) + static_cast<uint32_t>(total_)) return false;
  if (std::memcmp(ta + kTcpAck, tb + kTcpAck, 4) != 0) return false;
  if ((ta[kTcpFlags] & ~kPsh) != (tb[kTcpFlags] & ~kPsh)) return false;
  if (std::memcmp(ta + kTcpWindow, tb + kTcpWindow, 2) != 0) return false;
  if (std::memcmp(ta + kTcpHeaderMin, tb + kTcpHeaderMin, tcp_hdr_ - kTcpHeaderMin) != 0)
    return false;  // options (timestamps) must match
  total_ += len;
  ++segments_;
  if (len < seg_size_ || (tb[kTcpFlags] & kPsh)) {
    closed_ = true;
    psh_ = (tb[kTcpFlags] & kPsh) != 0;
  }
  return true;
}

size_t GroRun::write_header(uint8_t* out) const {
  const size_t hl = header_len();
  VnetHdr h;
  if (segments_ > 1) {
    h.flags = kVnetNeedsCsum;
    h.gso_type = kVnetGsoTcpv6;
    h.hdr_len = static_cast<uint16_t>(hl);
    h.gso_size = static_cast<uint16_t>(seg_size_);
    h.csum_start = kIpv6HeaderSize;
    h.csum_offset = kTcpCsum;
  }
  write_vnet_hdr(h, out);
  uint8_t* ip = out + kVnetHdrSize;
  std::memcpy(ip, head_.data(), hl);
  if (segments_ == 1) return kVnetHdrSize + hl;
  const size_t l4 = tcp_hdr_ + total_;
  put_be16(ip + 4, l4);
  uint8_t* tcp = ip + kIpv6HeaderSize;
  if (psh_) tcp[kTcpFlags] |= kPsh;
  // CHECKSUM_PARTIAL: the field holds the folded pseudo-header sum.
  const uint16_t pseudo = csum_fold(pseudo_header_sum(ByteSpan(ip, hl), static_cast<uint32_t>(l4),
                                                      kNextHeaderTcp));
  put_be16(tcp + kTcpCsum, pseudo);
  return kVnetHdrSize + hl;
}

}  // namespace fips::ipv6
