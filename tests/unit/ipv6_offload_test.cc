// TUN offload rules (src/ipv6/offload.h): partial checksums, TSO segmentation
// and GRO coalescing, checked against the naive checksum in ipv6_test_util.h
// and against each other (segment, coalesce, compare with the original).
#include <gtest/gtest.h>

#include <random>

#include "ipv6/checksum.h"
#include "ipv6/offload.h"
#include "ipv6_test_util.h"

using namespace fips;
using namespace fips::ipv6;
using namespace fips::test6;

namespace {

const A16 kSrc = addr("fd00::1");
const A16 kDst = addr("fd00::2");
constexpr uint8_t kPsh = 0x08, kFin = 0x01, kCwr = 0x80;

Bytes pattern(size_t n, uint8_t seed = 0) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 7 + seed);
  return b;
}
Bytes ts_opt() {  // NOP NOP timestamps
  return {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};
}
uint32_t seq_of(const Bytes& p) {
  return (uint32_t{p[44]} << 24) | (uint32_t{p[45]} << 16) | (uint32_t{p[46]} << 8) | p[47];
}
void set_seq(Bytes& p, uint32_t s) {
  p[44] = static_cast<uint8_t>(s >> 24);
  p[45] = static_cast<uint8_t>(s >> 16);
  p[46] = static_cast<uint8_t>(s >> 8);
  p[47] = static_cast<uint8_t>(s);
  fix_checksum(p, 16);
}
// The kernel's view of a TSO super-packet: checksum field = folded
// pseudo-header sum for the whole length, NEEDS_CSUM, TCPv6.
Bytes super_packet(size_t payload, uint8_t flags, VnetHdr& h, uint16_t mss) {
  Bytes p = tcp(kSrc, kDst, flags, ts_opt(), pattern(payload));
  const size_t l4 = p.size() - 40;
  p[56] = p[57] = 0;
  const uint16_t ps = csum_fold(pseudo_header_sum(ByteSpan(p), static_cast<uint32_t>(l4), 6));
  p[56] = static_cast<uint8_t>(ps >> 8);
  p[57] = static_cast<uint8_t>(ps);
  h = {};
  h.flags = kVnetNeedsCsum;
  h.gso_type = kVnetGsoTcpv6;
  h.hdr_len = 72;
  h.gso_size = mss;
  h.csum_start = 40;
  h.csum_offset = 16;
  return p;
}
std::vector<Bytes> segment(const Bytes& sup, const VnetHdr& h) {
  GsoPlan plan;
  GsoError why{};
  EXPECT_TRUE(plan_tcp6_gso(ByteSpan(sup), h, plan, why));
  std::vector<Bytes> out;
  for (size_t i = 0; i < plan.count; ++i) {
    Bytes seg(plan.hdr_len + plan.seg_payload);
    seg.resize(write_tcp6_segment(ByteSpan(sup), plan, i, seg.data()));
    out.push_back(std::move(seg));
  }
  return out;
}

}  // namespace

TEST(Ipv6Offload, FastChecksumAgreesWithTheNaiveSumAtEveryLengthAndAlignment) {
  std::mt19937 rng(3);
  Bytes buf(300);
  for (auto& b : buf) b = static_cast<uint8_t>(rng());
  for (size_t off = 0; off < 9; ++off) {
    for (size_t len = 0; len + off <= buf.size(); len += 1 + len / 16) {
      uint32_t naive = 0x1234;
      for (size_t i = 0; i < len; i += 2)
        naive += static_cast<uint32_t>(buf[off + i] << 8) | (i + 1 < len ? buf[off + i + 1] : 0u);
      ASSERT_EQ(csum_fold(csum_add(0x1234, ByteSpan(buf).subspan(off, len))), csum_fold(naive))
          << "off " << off << " len " << len;
    }
  }
}

TEST(Ipv6Offload, VnetHeaderRoundTrips) {
  VnetHdr h{1, 4, 72, 1143, 40, 16};
  uint8_t raw[kVnetHdrSize];
  write_vnet_hdr(h, raw);
  const VnetHdr g = read_vnet_hdr(raw);
  EXPECT_EQ(g.flags, 1);
  EXPECT_EQ(g.gso_type, 4);
  EXPECT_EQ(g.hdr_len, 72);
  EXPECT_EQ(g.gso_size, 1143);
  EXPECT_EQ(g.csum_start, 40);
  EXPECT_EQ(g.csum_offset, 16);
}

TEST(Ipv6Offload, PartialChecksumIsCompleted) {
  Bytes good = udp(kSrc, kDst, pattern(333), 5000, 6000);
  Bytes partial = good;
  const size_t l4 = good.size() - 40;
  const uint16_t ps = csum_fold(pseudo_header_sum(ByteSpan(good), static_cast<uint32_t>(l4), 17));
  partial[46] = static_cast<uint8_t>(ps >> 8);
  partial[47] = static_cast<uint8_t>(ps);
  ASSERT_FALSE(checksum_ok(partial));
  ASSERT_TRUE(complete_partial_checksum(MutByteSpan(partial), 40, 6));
  EXPECT_TRUE(checksum_ok(partial));
  EXPECT_EQ(partial, good);
  // Offsets outside the packet: refused, packet unchanged.
  Bytes copy = partial;
  EXPECT_FALSE(complete_partial_checksum(MutByteSpan(copy), copy.size(), 0));
  EXPECT_FALSE(complete_partial_checksum(MutByteSpan(copy), copy.size() - 1, 0));
  EXPECT_FALSE(complete_partial_checksum(MutByteSpan(copy), 40, 0xFFFF));
  EXPECT_EQ(copy, partial);
}

TEST(Ipv6Offload, TsoSuperPacketSplitsIntoValidSegments) {
  VnetHdr h;
  const size_t mss = 1000;
  const Bytes sup = super_packet(4500, kAck | kPsh | kFin | kCwr, h, mss);
  const auto segs = segment(sup, h);
  ASSERT_EQ(segs.size(), 5u);
  const uint32_t seq0 = seq_of(sup);
  for (size_t i = 0; i < segs.size(); ++i) {
    const Bytes& s = segs[i];
    const size_t len = i + 1 < segs.size() ? mss : 500;
    ASSERT_EQ(s.size(), 72 + len);
    EXPECT_EQ(be16_at(s, 4), 32 + len);
    EXPECT_EQ(seq_of(s), seq0 + i * mss);
    const uint8_t f = s[53];
    EXPECT_EQ((f & kCwr) != 0, i == 0) << i;
    EXPECT_EQ((f & (kPsh | kFin)) != 0, i + 1 == segs.size()) << i;
    EXPECT_TRUE(f & kAck);
    EXPECT_TRUE(checksum_ok(s)) << "segment " << i;
    EXPECT_TRUE(std::equal(s.begin() + 72, s.end(), sup.begin() + 72 + i * mss));
    EXPECT_TRUE(std::equal(s.begin() + 8, s.begin() + 40, sup.begin() + 8));  // addresses
  }
}

TEST(Ipv6Offload, TsoPlansRefuseWhatTheyCannotSegment) {
  VnetHdr h;
  const Bytes sup = super_packet(3000, kAck, h, 1000);
  GsoPlan plan;
  GsoError why{};
  VnetHdr bad = h;
  bad.gso_type = 3;  // UDP
  EXPECT_FALSE(plan_tcp6_gso(ByteSpan(sup), bad, plan, why));
  EXPECT_EQ(why, GsoError::kUnsupported);
  bad = h;
  bad.gso_type = kVnetGsoTcpv6 | kVnetGsoEcn;
  EXPECT_FALSE(plan_tcp6_gso(ByteSpan(sup), bad, plan, why));
  EXPECT_EQ(why, GsoError::kUnsupported);
  bad = h;
  bad.csum_start = 41;
  EXPECT_FALSE(plan_tcp6_gso(ByteSpan(sup), bad, plan, why));
  EXPECT_EQ(why, GsoError::kBadHeader);
  bad = h;
  bad.gso_size = 0;
  EXPECT_FALSE(plan_tcp6_gso(ByteSpan(sup), bad, plan, why));
  EXPECT_EQ(why, GsoError::kBadGsoSize);
  const Bytes u = udp(kSrc, kDst, pattern(3000));
  EXPECT_FALSE(plan_tcp6_gso(ByteSpan(u), h, plan, why));
  EXPECT_EQ(why, GsoError::kNotTcp6);
  Bytes cut(sup.begin(), sup.begin() + 60);  // TCP header runs past the end
  EXPECT_FALSE(plan_tcp6_gso(ByteSpan(cut), h, plan, why));
  EXPECT_EQ(why, GsoError::kNotTcp6);
}

TEST(Ipv6Offload, GroCoalescesSegmentsBackIntoTheSuperPacket) {
  VnetHdr h;
  const Bytes sup = super_packet(4500, kAck | kPsh, h, 1000);
  const auto segs = segment(sup, h);
  GroRun run;
  ASSERT_EQ(gro_candidate(ByteSpan(segs[0])), 32u);
  run.start(ByteSpan(segs[0]), 32);
  for (size_t i = 1; i < segs.size(); ++i) ASSERT_TRUE(run.offer(ByteSpan(segs[i]), 32)) << i;
  EXPECT_EQ(run.segments(), 5u);
  uint8_t hdr[kVnetHdrSize + 72];
  ASSERT_EQ(run.write_header(hdr), sizeof hdr);
  const VnetHdr g = read_vnet_hdr(hdr);
  EXPECT_EQ(g.flags, kVnetNeedsCsum);
  EXPECT_EQ(g.gso_type, kVnetGsoTcpv6);
  EXPECT_EQ(g.gso_size, 1000);
  EXPECT_EQ(g.hdr_len, 72);
  EXPECT_EQ(g.csum_start, 40);
  EXPECT_EQ(g.csum_offset, 16);
  // Header + payloads as writev would gather them = the kernel's super-packet.
  Bytes merged(hdr + kVnetHdrSize, hdr + sizeof hdr);
  for (const Bytes& s : segs) merged.insert(merged.end(), s.begin() + 72, s.end());
  EXPECT_EQ(merged, sup);  // PSH from the last segment, partial checksum
  ASSERT_TRUE(complete_partial_checksum(MutByteSpan(merged), 40, 16));
  EXPECT_TRUE(checksum_ok(merged));
}

TEST(Ipv6Offload, GroRefusesWhatTheKernelWouldNotMerge) {
  VnetHdr h;
  const Bytes sup = super_packet(3000, kAck, h, 1000);
  const auto segs = segment(sup, h);
  auto starts = [&](const Bytes& head) {
    GroRun r;
    r.start(ByteSpan(head), 32);
    return r;
  };
  {  // sequence gap
    GroRun r = starts(segs[0]);
    Bytes s = segs[2];
    EXPECT_FALSE(r.offer(ByteSpan(s), 32));
  }
  {  // another flow (port), another ack, other options, another hop limit
    Bytes port = segs[1];
    port[41] ^= 1;
    fix_checksum(port, 16);
    Bytes ack = segs[1];
    ack[51] ^= 1;
    fix_checksum(ack, 16);
    Bytes opt = segs[1];
    opt[71] ^= 1;
    fix_checksum(opt, 16);
    Bytes hop = segs[1];
    hop[7] = 63;
    for (const Bytes* b : {&port, &ack, &opt, &hop}) {
      GroRun r = starts(segs[0]);
      EXPECT_FALSE(r.offer(ByteSpan(*b), 32));
    }
  }
  {  // a short segment ends the run; a longer one never joins
    const auto short_segs = segment(super_packet(2500, kAck, h, 1000), h);
    GroRun r = starts(short_segs[0]);
    EXPECT_TRUE(r.offer(ByteSpan(short_segs[1]), 32));
    EXPECT_TRUE(r.offer(ByteSpan(short_segs[2]), 32));  // 500 bytes: closes
    Bytes next = short_segs[2];
    set_seq(next, seq_of(short_segs[2]) + 500);
    EXPECT_FALSE(r.offer(ByteSpan(next), 32));
    GroRun big = starts(short_segs[2]);
    Bytes full = short_segs[0];
    set_seq(full, seq_of(short_segs[2]) + 500);
    EXPECT_FALSE(big.offer(ByteSpan(full), 32));
  }
  {  // PSH on the head: nothing follows it
    Bytes psh = segs[0];
    psh[53] |= kPsh;
    fix_checksum(psh, 16);
    GroRun r = starts(psh);
    EXPECT_FALSE(r.offer(ByteSpan(segs[1]), 32));
  }
  // Candidates: not SYN/FIN/RST, not pure ACKs, not a bad checksum, not UDP.
  EXPECT_EQ(gro_candidate(ByteSpan(tcp(kSrc, kDst, 0x02 | kAck, {}, pattern(10)))), 0u);
  EXPECT_EQ(gro_candidate(ByteSpan(tcp(kSrc, kDst, kFin | kAck, {}, pattern(10)))), 0u);
  EXPECT_EQ(gro_candidate(ByteSpan(tcp(kSrc, kDst, kAck, {}))), 0u);
  Bytes corrupt = segs[1];
  corrupt[100] ^= 0x40;
  EXPECT_EQ(gro_candidate(ByteSpan(corrupt)), 0u);
  EXPECT_EQ(gro_candidate(ByteSpan(udp(kSrc, kDst, pattern(100)))), 0u);
  EXPECT_EQ(gro_candidate(ByteSpan(tcp(kSrc, kDst, kAck | kPsh, {}, pattern(10)))), 20u);
}

TEST(Ipv6Offload, GroStopsAtTheSegmentLimitAndAt64KiB) {
  // 100-byte segments: 64 of them make a run, the 65th does not join.
  Bytes base = tcp(kSrc, kDst, kAck, ts_opt(), pattern(100));
  GroRun r;
  r.start(ByteSpan(base), 32);
  const uint32_t s0 = seq_of(base);
  size_t joined = 1;
  for (size_t i = 1; i < 70; ++i) {
    Bytes s = base;
    set_seq(s, s0 + static_cast<uint32_t>(i * 100));
    if (r.offer(ByteSpan(s), 32)) ++joined;
  }
  EXPECT_EQ(joined, GroRun::kMaxSegments);
  // 1200-byte segments: the IPv6 payload length (16 bits) caps the run.
  Bytes big = tcp(kSrc, kDst, kAck, ts_opt(), pattern(1200));
  GroRun b;
  b.start(ByteSpan(big), 32);
  size_t n = 1;
  for (size_t i = 1; i < 64; ++i) {
    Bytes s = big;
    set_seq(s, seq_of(big) + static_cast<uint32_t>(i * 1200));
    if (!b.offer(ByteSpan(s), 32)) break;
    ++n;
  }
  EXPECT_EQ(n, 54u);  // 72 + 54 * 1200 = 64,872 <= 65,535 < 72 + 55 * 1200
}

TEST(Ipv6Offload, SameFlowMeansSameAddressesAndPorts) {
  const Bytes a = tcp(kSrc, kDst, kAck, {}, pattern(10));
  Bytes other_port = a;
  other_port[41] ^= 1;
  const Bytes other_dst = tcp(kSrc, addr("fd00::3"), kAck, {}, pattern(10));
  Bytes later = a;
  set_seq(later, seq_of(a) + 10);
  EXPECT_TRUE(same_tcp6_flow(ByteSpan(a), ByteSpan(later)));
  EXPECT_FALSE(same_tcp6_flow(ByteSpan(a), ByteSpan(other_port)));
  EXPECT_FALSE(same_tcp6_flow(ByteSpan(a), ByteSpan(other_dst)));
}
