// TCP MSS clamp (docs/spec/fsp-ipv6.md §16.2) and the per-flow ceiling.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <map>

#include "ipv6/checksum.h"
#include "ipv6/tcp_mss.h"
#include "ipv6_test_util.h"

namespace fips::ipv6 {
namespace {

using namespace test6;

const A16 kA = addr("fd11::1"), kB = addr("fd22::2");
constexpr size_t kOpt = 60;  // first option byte in the packet

TEST(Ipv6Mss, SynAboveCeilingIsClampedAndChecksumStillVerifies) {
  Bytes p = tcp(kA, kB, kSyn, mss_opt(1440), Bytes(5, 0x77));
  const Bytes before = p;
  EXPECT_EQ(clamp_tcp_mss(p, 1143), MssClamp::kClamped);
  EXPECT_EQ(be16_at(p, kOpt + 2), 1143);
  EXPECT_TRUE(checksum_ok(p));
  // Same bytes as a full recomputation (the reference's method).
  Bytes full = before;
  full[kOpt + 2] = 1143 >> 8;
  full[kOpt + 3] = 1143 & 0xFF;
  fix_checksum(full, 16);
  EXPECT_EQ(p, full);
}

TEST(Ipv6Mss, SynAckIsClampedToo) {
  Bytes p = tcp(kA, kB, kSyn | kAck, mss_opt(1460));
  EXPECT_EQ(clamp_tcp_mss(p, 1000), MssClamp::kClamped);
  EXPECT_EQ(be16_at(p, kOpt + 2), 1000);
  EXPECT_TRUE(checksum_ok(p));
}

TEST(Ipv6Mss, UntouchedCases) {
  struct Case {
    const char* name;
    Bytes pkt;
    uint16_t ceiling;
    MssClamp want;
  };
  Bytes v4 = tcp(kA, kB, kSyn, mss_opt(1460));
  v4[0] = 0x45;
  Bytes short_tcp = tcp(kA, kB, kSyn, {});
  short_tcp.resize(59);
  Bytes doff_small = tcp(kA, kB, kSyn, mss_opt(1460));
  doff_small[52] = 0x40;  // data offset 4 words
  Bytes doff_big = tcp(kA, kB, kSyn, mss_opt(1460));
  doff_big[52] = 0xF0;  // 60 bytes, packet has 24
  const std::vector<Case> cases = {
      {"below ceiling", tcp(kA, kB, kSyn, mss_opt(1000)), 1143, MssClamp::kWithinLimit},
      {"equal ceiling", tcp(kA, kB, kSyn, mss_opt(1143)), 1143, MssClamp::kWithinLimit},
      {"no options", tcp(kA, kB, kSyn, {}), 1143, MssClamp::kNoMss},
      {"no mss", tcp(kA, kB, kSyn, {1, 1, 3, 3, 7, 4, 2, 8, 10, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}),
       1143, MssClamp::kNoMss},
      {"mss after EOL", tcp(kA, kB, kSyn, {0, 0, 0, 0, 2, 4, 5, 0xB4}), 1143, MssClamp::kNoMss},
      {"not SYN", tcp(kA, kB, kAck, mss_opt(1460)), 1143, MssClamp::kNotSyn},
      {"ceiling 0", tcp(kA, kB, kSyn, mss_opt(1460)), 0, MssClamp::kNoMss},
      {"udp", udp(kA, kB, Bytes(30, 2)), 1143, MssClamp::kNotSyn},
      {"ipv4", v4, 1143, MssClamp::kNotSyn},
      {"tcp header cut", short_tcp, 1143, MssClamp::kNotSyn},
      {"option length 0", tcp(kA, kB, kSyn, {8, 0, 2, 4, 5, 0xB4}), 1143, MssClamp::kBadOptions},
      {"option length 1", tcp(kA, kB, kSyn, {8, 1, 2, 4, 5, 0xB4}), 1143, MssClamp::kBadOptions},
      {"option past header", tcp(kA, kB, kSyn, {1, 1, 8, 10}), 1143, MssClamp::kBadOptions},
      {"kind without length byte", tcp(kA, kB, kSyn, {1, 1, 1, 8}), 1143, MssClamp::kBadOptions},
      {"data offset < 5", doff_small, 1143, MssClamp::kBadOptions},
      {"data offset past packet", doff_big, 1143, MssClamp::kBadOptions},
  };
  for (const Case& c : cases) {
    Bytes p = c.pkt;
    EXPECT_EQ(clamp_tcp_mss(p, c.ceiling), c.want) << c.name;
    EXPECT_EQ(p, c.pkt) << c.name;
  }
}

TEST(Ipv6Mss, OnlyTheFirstMssOptionIsExamined) {
  Bytes opts = mss_opt(1000);
  const Bytes second = mss_opt(1460);
  opts.insert(opts.end(), second.begin(), second.end());
  Bytes p = tcp(kA, kB, kSyn, opts);
  const Bytes before = p;
  EXPECT_EQ(clamp_tcp_mss(p, 1143), MssClamp::kWithinLimit);
  EXPECT_EQ(p, before);
  // A kind-2 option of the wrong length is skipped like any other option
  // (reference), and the next well-formed MSS is the one clamped.
  Bytes q = tcp(kA, kB, kSyn, {2, 3, 9, 2, 4, 5, 0xB4});
  EXPECT_EQ(clamp_tcp_mss(q, 1143), MssClamp::kClamped);
  EXPECT_EQ(be16_at(q, kOpt + 5), 1143);
  EXPECT_TRUE(checksum_ok(q));
}

TEST(Ipv6Mss, OddOffsetMssUpdatesBothChecksumWords) {
  Bytes p = tcp(kA, kB, kSyn, {1, 2, 4, 0xFF, 0xFF});  // MSS value at segment offset 23
  EXPECT_EQ(clamp_tcp_mss(p, 1143), MssClamp::kClamped);
  EXPECT_EQ(be16_at(p, kOpt + 3), 1143);
  EXPECT_TRUE(checksum_ok(p));
}

TEST(Ipv6Mss, CorruptChecksumStaysCorrupt) {
  Bytes p = tcp(kA, kB, kSyn, mss_opt(1460));
  p[57] ^= 0x55;
  EXPECT_FALSE(checksum_ok(p));
  EXPECT_EQ(clamp_tcp_mss(p, 1143), MssClamp::kClamped);
  EXPECT_FALSE(checksum_ok(p));
}

RC_GTEST_PROP(Ipv6Mss, ClampKeepsChecksumValidAndTouchesOnlyTheMss, ()) {
  const size_t nops = *rc::gen::inRange<size_t>(0, 4);
  const auto mss = *rc::gen::arbitrary<uint16_t>();
  const auto ceiling = *rc::gen::inRange<uint16_t>(1, 0xFFFF);
  const auto data =
      *rc::gen::container<Bytes>(*rc::gen::inRange<size_t>(0, 64), rc::gen::arbitrary<uint8_t>());
  const auto flags = static_cast<uint8_t>(*rc::gen::arbitrary<uint8_t>() | kSyn);
  Bytes opts(nops, 1);
  const Bytes m = mss_opt(mss);
  opts.insert(opts.end(), m.begin(), m.end());
  opts.insert(opts.end(), {4, 2});  // SACK permitted after it
  Bytes p = tcp(kA, kB, flags, opts, data);
  const Bytes before = p;
  const MssClamp r = clamp_tcp_mss(p, ceiling);
  RC_ASSERT(r == (mss > ceiling ? MssClamp::kClamped : MssClamp::kWithinLimit));
  RC_ASSERT(checksum_ok(p));
  const size_t at = kOpt + nops + 2;
  RC_ASSERT(be16_at(p, at) == std::min(mss, ceiling));
  for (size_t i = 0; i < p.size(); ++i)
    if (i != at && i != at + 1 && i != 56 && i != 57) RC_ASSERT(p[i] == before[i]);
}

TEST(Ipv6Mss, CeilingFormulas) {
  EXPECT_EQ(effective_ipv6_mtu(1280), 1203);
  EXPECT_EQ(effective_ipv6_mtu(77), 0);
  EXPECT_EQ(effective_ipv6_mtu(10), 0);
  EXPECT_EQ(mss_ceiling(1280), 1143);
  EXPECT_EQ(mss_ceiling(1500), 1363);
  EXPECT_EQ(mss_ceiling(137), 0);
  EXPECT_EQ(mss_ceiling(138), 1);
  EXPECT_EQ(mss_ceiling(0), 0);
}

TEST(Ipv6Mss, PerFlowCeiling) {
  std::map<A16, uint16_t> table;
  auto lookup = [&](std::span<const uint8_t, 16> a) -> std::optional<uint16_t> {
    A16 k;
    std::copy(a.begin(), a.end(), k.begin());
    auto it = table.find(k);
    if (it == table.end()) return std::nullopt;
    return it->second;
  };
  const A16 fd = addr("fd33::3"), other = addr("2001:db8::1");
  table[other] = 1500;  // never consulted: not a FIPS address
  EXPECT_EQ(per_flow_max_mss(other, 1363, lookup), 1143);
  EXPECT_EQ(per_flow_max_mss(fd, 1363, lookup), 1143);  // no entry
  EXPECT_EQ(per_flow_max_mss(fd, 1000, lookup), 1000);  // global below the fallback
  table[fd] = 1500;
  EXPECT_EQ(per_flow_max_mss(fd, 1363, lookup), 1363);
  EXPECT_EQ(per_flow_max_mss(fd, 1200, lookup), 1200);
  table[fd] = 1000;
  EXPECT_EQ(per_flow_max_mss(fd, 1363, lookup), 863);
  table[fd] = 137;  // no TCP payload fits: fallback
  EXPECT_EQ(per_flow_max_mss(fd, 1363, lookup), 1143);
  table[fd] = 138;
  EXPECT_EQ(per_flow_max_mss(fd, 1363, lookup), 1);
  EXPECT_EQ(per_flow_max_mss(fd, 0, lookup), 0);  // global 0 disables clamping
}

}  // namespace
}  // namespace fips::ipv6
