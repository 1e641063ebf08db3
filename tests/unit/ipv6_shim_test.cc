// IPv6 shim (format 0x00): golden bytes in the reference's layout, the
// reference's unit-test cases, compress/reconstruct properties (copying and
// in place) and rejection of malformed input.

#include "ipv6/shim.h"
#include "test_util.h"

namespace fips {
namespace {

using test::hex;
using test::unhex;

// Reference tests' sample_src / sample_dst.
const std::array<uint8_t, 16> kSrc = {0xfd, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                                      0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};
const std::array<uint8_t, 16> kDst = {0xfd, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
                                      0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f};

// Independent of the code under test: the reference test's build_ipv6_packet.
std::vector<uint8_t> build_packet(uint8_t tc, uint32_t flow, uint8_t nh, uint8_t hl,
                                  const std::array<uint8_t, 16>& src, const std::array<uint8_t, 16>& dst,
                                  const std::vector<uint8_t>& payload) {
  std::vector<uint8_t> p;
  p.push_back(static_cast<uint8_t>(0x60 | (tc >> 4)));
  p.push_back(static_cast<uint8_t>((tc << 4) | ((flow >> 16) & 0x0F)));
  p.push_back(static_cast<uint8_t>(flow >> 8));
  p.push_back(static_cast<uint8_t>(flow));
  p.push_back(static_cast<uint8_t>(payload.size() >> 8));
  p.push_back(static_cast<uint8_t>(payload.size()));
  p.push_back(nh);
  p.push_back(hl);
  p.insert(p.end(), src.begin(), src.end());
  p.insert(p.end(), dst.begin(), dst.end());
  p.insert(p.end(), payload.begin(), payload.end());
  return p;
}

std::vector<uint8_t> compress_vec(const std::vector<uint8_t>& pkt) {
  std::vector<uint8_t> out(pkt.size());
  auto n = ipv6::compress(pkt, out);
  EXPECT_TRUE(n.ok()) << describe(n.error());
  out.resize(n.ok() ? *n : 0);
  return out;
}
std::vector<uint8_t> decompress_vec(const std::vector<uint8_t>& shim,
                                    const std::array<uint8_t, 16>& src = kSrc,
                                    const std::array<uint8_t, 16>& dst = kDst) {
  std::vector<uint8_t> out(shim.size() + ipv6::kSavings);
  auto n = ipv6::decompress(shim, src, dst, out);
  EXPECT_TRUE(n.ok()) << describe(n.error());
  out.resize(n.ok() ? *n : 0);
  return out;
}

// Reference layout: header bytes 0..3 verbatim. TC=0xAB, flow=0xFEDCB gives
// 6a bf ed cb (the spec's table would say ab 0f ed cb; the reference never
// sends that).
TEST(Ipv6Shim, GoldenReferenceLayout) {
  auto pkt = build_packet(0xAB, 0xFEDCB, 17, 64, kSrc, kDst, {1, 2, 3});
  auto shim = compress_vec(pkt);
  EXPECT_EQ(hex(shim), "00" "6abfedcb" "11" "40" "010203");
  auto v = ipv6::parse(shim);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->residual, (ipv6::Residual{0xAB, 0xFEDCB, 17, 64}));
  EXPECT_EQ(hex(v->upper_payload), "010203");
  auto back = decompress_vec(shim);
  EXPECT_EQ(back, pkt);
  EXPECT_EQ(hex(ByteSpan(back).first(8)), "6abfedcb00031140");
}

// The reference's test cases, reproduced.
TEST(Ipv6Shim, ReferenceCases) {
  for (auto pkt : {build_packet(0, 0, 17, 64, kSrc, kDst, std::vector<uint8_t>(100, 0xAA)),
                   build_packet(0, 0, 59, 1, kSrc, kDst, {}),
                   build_packet(0, 0, 6, 128, kSrc, kDst, std::vector<uint8_t>(1400, 0x55)),
                   build_packet(0xAB, 0, 17, 64, kSrc, kDst, {1, 2, 3}),
                   build_packet(0, 0xFEDCB, 17, 64, kSrc, kDst, {1}),
                   build_packet(0xFF, 0xFFFFF, 17, 64, kSrc, kDst, {1}),
                   build_packet(0, 0, 58, 255, kSrc, kDst, std::vector<uint8_t>(8, 0))}) {
    auto shim = compress_vec(pkt);
    EXPECT_EQ(shim.size(), pkt.size() - 33);
    EXPECT_EQ(decompress_vec(shim), pkt);
  }
  // test_roundtrip_empty_payload: format + residual only.
  EXPECT_EQ(compress_vec(build_packet(0, 0, 59, 1, kSrc, kDst, {})).size(), 7u);
  // test_compression_saves_bytes: 140 -> 107.
  EXPECT_EQ(compress_vec(build_packet(0, 0, 17, 64, kSrc, kDst, std::vector<uint8_t>(100))).size(), 107u);
  // test_payload_length_reconstructed: 256 -> 0x0100.
  auto back = decompress_vec(compress_vec(build_packet(0, 0, 17, 64, kSrc, kDst, std::vector<uint8_t>(256, 0xBB))));
  EXPECT_EQ(back[4], 0x01);
  EXPECT_EQ(back[5], 0x00);
  // test_preserves_hop_limit.
  for (uint8_t hl : {0, 1, 64, 128, 255})
    EXPECT_EQ(decompress_vec(compress_vec(build_packet(0, 0, 17, hl, kSrc, kDst, {1})))[7], hl);
}

// test_addresses_from_context: addresses come from the session, not the packet.
TEST(Ipv6Shim, AddressesFromContext) {
  std::array<uint8_t, 16> osrc, odst;
  osrc.fill(0xAA);
  odst.fill(0xBB);
  osrc[0] = odst[0] = 0xfd;
  auto pkt = build_packet(0, 0, 17, 64, osrc, odst, {1, 2});
  auto back = decompress_vec(compress_vec(pkt), kSrc, kDst);
  EXPECT_EQ(hex(ByteSpan(back).subspan(8, 16)), hex(kSrc));
  EXPECT_EQ(hex(ByteSpan(back).subspan(24, 16)), hex(kDst));
  EXPECT_EQ(hex(ByteSpan(back).first(8)), hex(ByteSpan(pkt).first(8)));
  EXPECT_EQ(hex(ByteSpan(back).subspan(40)), "0102");
  EXPECT_TRUE(ipv6::check_addresses(pkt, osrc, odst).ok());
  EXPECT_EQ(ipv6::check_addresses(pkt, kSrc, odst).error().code, WireErr::kBadValue);
  EXPECT_EQ(ipv6::check_addresses(pkt, osrc, kDst).error().code, WireErr::kBadValue);
}

// Extension headers are opaque: next_header and the chain travel unchanged.
TEST(Ipv6Shim, ExtensionHeadersPassThrough) {
  // Hop-by-hop (0) header: next=17, len=0, PadN(4) ... then UDP bytes.
  std::vector<uint8_t> payload = unhex("1100010400000000" "deadbeef");
  auto pkt = build_packet(0, 0, 0, 64, kSrc, kDst, payload);
  auto shim = compress_vec(pkt);
  EXPECT_EQ(shim[5], 0);
  EXPECT_EQ(hex(ByteSpan(shim).subspan(7)), hex(payload));
  EXPECT_EQ(decompress_vec(shim), pkt);
}

TEST(Ipv6Shim, InPlace) {
  auto pkt = build_packet(0x2E, 0x12345, 6, 33, kSrc, kDst, std::vector<uint8_t>(50, 0x99));
  auto buf = pkt;
  auto c = ipv6::compress_in_place(buf);
  ASSERT_TRUE(c.ok()) << describe(c.error());
  EXPECT_EQ(c->data(), buf.data() + 33);
  EXPECT_EQ(std::vector<uint8_t>(c->begin(), c->end()), compress_vec(pkt));
  auto d = ipv6::decompress_in_place(buf, 33, kSrc, kDst);
  ASSERT_TRUE(d.ok()) << describe(d.error());
  EXPECT_EQ(d->data(), buf.data());
  EXPECT_EQ(buf, pkt);
  // More headroom than needed: the packet starts at shim_offset - 33.
  std::vector<uint8_t> big(100, 0);
  auto shim = compress_vec(pkt);
  big.insert(big.end(), shim.begin(), shim.end());
  auto d2 = ipv6::decompress_in_place(big, 100, kSrc, kDst);
  ASSERT_TRUE(d2.ok());
  EXPECT_EQ(d2->data(), big.data() + 67);
  EXPECT_EQ(std::vector<uint8_t>(d2->begin(), d2->end()), pkt);
  EXPECT_EQ(ipv6::decompress_in_place(big, 32, kSrc, kDst).error().code, WireErr::kNoSpace);
  EXPECT_EQ(ipv6::decompress_in_place(big, big.size() + 1, kSrc, kDst).error().code, WireErr::kNoSpace);
}

TEST(Ipv6Shim, CompressRejections) {
  auto pkt = build_packet(0, 0, 17, 64, kSrc, kDst, {1, 2, 3});
  std::vector<uint8_t> out(100);
  for (size_t n = 0; n < 40; ++n)
    EXPECT_EQ(ipv6::compress(ByteSpan(pkt).first(n), out).error().code, WireErr::kTruncated) << n;
  // Payload length disagreeing with the buffer, either way.
  EXPECT_EQ(ipv6::compress(ByteSpan(pkt).first(42), out).error().code, WireErr::kBadLength);
  auto longer = pkt;
  longer.push_back(0);
  EXPECT_EQ(ipv6::compress(longer, out).error().code, WireErr::kBadLength);
  auto v4 = pkt;
  v4[0] = 0x45;  // test_compress_rejects_non_ipv6
  EXPECT_EQ(ipv6::compress(v4, out).error().code, WireErr::kBadVersion);
  EXPECT_EQ(ipv6::compress_in_place(v4).error().code, WireErr::kBadVersion);
  EXPECT_EQ(v4[0], 0x45) << "a rejected packet is not modified";
  std::vector<uint8_t> small(pkt.size() - 34);
  EXPECT_EQ(ipv6::compress(pkt, small).error().code, WireErr::kNoSpace);
  EXPECT_EQ(ipv6::compress(ByteSpan(std::vector<uint8_t>(39, 0x60)), out).error().code, WireErr::kTruncated);
}

TEST(Ipv6Shim, DecompressRejections) {
  std::vector<uint8_t> out(100);
  // test_decompress_rejects_short_payload / unknown format.
  for (size_t n = 0; n < 7; ++n)
    EXPECT_EQ(ipv6::decompress(std::vector<uint8_t>(n, 0), kSrc, kDst, out).error().code, WireErr::kTruncated);
  EXPECT_EQ(ipv6::decompress(unhex("01600000001140"), kSrc, kDst, out).error().code, WireErr::kBadType);
  // A version nibble other than 6 is overwritten with 6, as the reference's
  // decompress_ipv6 ((residual[0] & 0x0F) | 0x60); the traffic-class bits
  // in the same byte are kept.
  for (const char* shim : {"00400000001140", "00000000001140", "00fa000000113f"}) {
    auto n = ipv6::decompress(unhex(shim), kSrc, kDst, out);
    ASSERT_TRUE(n.ok()) << shim << ": " << describe(n.error());
    EXPECT_EQ(*n, 40u);
    EXPECT_EQ(out[0] >> 4, 6) << shim;
    EXPECT_EQ(out[0] & 0x0F, unhex(shim)[1] & 0x0F) << shim;
    auto v = ipv6::parse(unhex(shim));
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v->residual.traffic_class >> 4, unhex(shim)[1] & 0x0F);
    EXPECT_TRUE(ipv6::validate_packet(ByteSpan(out).first(40)).ok());
  }
  EXPECT_EQ(ipv6::parse(unhex("01600000001140")).error().code, WireErr::kBadType);
  std::vector<uint8_t> small(39 + 1);
  EXPECT_EQ(ipv6::decompress(unhex("0060000000114001"), kSrc, kDst, small).error().code, WireErr::kNoSpace);
  // Too large to express in the 16-bit payload length.
  std::vector<uint8_t> huge(7 + 0x10000, 0);
  huge[1] = 0x60;
  std::vector<uint8_t> hout(huge.size() + 33);
  EXPECT_EQ(ipv6::decompress(huge, kSrc, kDst, hout).error().code, WireErr::kTooLarge);
  huge.pop_back();
  EXPECT_TRUE(ipv6::decompress(huge, kSrc, kDst, hout).ok());
  EXPECT_EQ(hout[4], 0xFF);
  EXPECT_EQ(hout[5], 0xFF);
}

RC_GTEST_PROP(Ipv6ShimProp, CompressReconstructIdentity,
              (uint8_t tc, uint32_t flow_raw, uint8_t nh, uint8_t hl)) {
  const uint32_t flow = flow_raw & 0xFFFFF;
  const auto src = *rc::gen::arbitrary<std::array<uint8_t, 16>>();
  const auto dst = *rc::gen::arbitrary<std::array<uint8_t, 16>>();
  const auto payload = *rc::gen::container<std::vector<uint8_t>>(rc::gen::arbitrary<uint8_t>());
  const auto pkt = build_packet(tc, flow, nh, hl, src, dst, payload);

  std::vector<uint8_t> shim(pkt.size() - 33);
  auto n = ipv6::compress(pkt, shim);
  RC_ASSERT(n.ok());
  RC_ASSERT(*n == shim.size());
  auto v = ipv6::parse(shim);
  RC_ASSERT(v.ok());
  RC_ASSERT(v->residual == (ipv6::Residual{tc, flow, nh, hl}));

  std::vector<uint8_t> back(pkt.size());
  auto m = ipv6::decompress(shim, src, dst, back);
  RC_ASSERT(m.ok());
  RC_ASSERT(*m == pkt.size());
  RC_ASSERT(back == pkt);

  // In place, both directions.
  auto buf = pkt;
  auto c = ipv6::compress_in_place(buf);
  RC_ASSERT(c.ok());
  RC_ASSERT(std::equal(c->begin(), c->end(), shim.begin(), shim.end()));
  auto d = ipv6::decompress_in_place(buf, 33, src, dst);
  RC_ASSERT(d.ok());
  RC_ASSERT(buf == pkt);

  // write_header agrees with the independent builder.
  std::array<uint8_t, 40> h;
  ipv6::write_header({tc, flow, nh, hl}, static_cast<uint16_t>(payload.size()), src, dst, h);
  RC_ASSERT(std::equal(h.begin(), h.end(), pkt.begin()));
}

// Any shim payload that parses reconstructs to a packet that validates and
// compresses back to the same bytes, except the version nibble, which comes
// back as 6 whatever the shim held (as the reference).
RC_GTEST_PROP(Ipv6ShimProp, GarbageShimRoundTrips, ()) {
  auto shim = *rc::gen::container<std::vector<uint8_t>>(rc::gen::arbitrary<uint8_t>());
  if (shim.size() > 1 && *rc::gen::arbitrary<bool>()) {
    shim[0] = 0;
    shim[1] = static_cast<uint8_t>(0x60 | (shim[1] & 0x0F));
  }
  std::vector<uint8_t> pkt(shim.size() + 33);
  auto n = ipv6::decompress(shim, kSrc, kDst, pkt);
  if (!n.ok()) return;
  RC_ASSERT(ipv6::validate_packet(pkt).ok());
  std::vector<uint8_t> again(shim.size());
  auto m = ipv6::compress(pkt, again);
  RC_ASSERT(m.ok());
  auto want = shim;
  want[1] = static_cast<uint8_t>((want[1] & 0x0F) | 0x60);
  RC_ASSERT(again == want);
}

}  // namespace
}  // namespace fips
