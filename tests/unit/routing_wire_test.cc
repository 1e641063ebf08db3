// SessionDatagram envelope: golden bytes, round trips, rejections and the
// in-place forwarding helpers (TTL / path MTU).

#include "proto/routing/wire.h"
#include "test_util.h"

namespace fips {
namespace {

using test::hex;
using test::unhex;

NodeAddr addr_of(uint8_t first, uint8_t fill = 0) {
  NodeAddr a;
  a.bytes.fill(fill);
  a.bytes[0] = first;
  return a;
}

std::vector<uint8_t> encode_dg(const routing::SessionDatagram& d) {
  std::vector<uint8_t> out(routing::session_datagram_wire_size(d));
  Writer w{MutByteSpan(out)};
  EXPECT_TRUE(routing::encode_session_datagram(w, d).ok());
  EXPECT_EQ(w.pos(), out.size());
  return out;
}

// Reference test_session_datagram_ref_decode_borrows_payload: src 0xAA.., dest
// 0xBB.., ttl 32, path_mtu 1400, payload 10 00 05 00 01 02 03 04 05.
TEST(RoutingWire, SessionDatagramGolden) {
  const auto payload = unhex("100005000102030405");
  routing::SessionDatagram d{32, 1400, addr_of(0xAA), addr_of(0xBB), payload};
  auto out = encode_dg(d);
  EXPECT_EQ(hex(out),
            "00" "20" "7805"
            "aa000000000000000000000000000000"
            "bb000000000000000000000000000000"
            "100005000102030405");
  ASSERT_EQ(out.size(), routing::kSessionDatagramHeaderSize + 9);
  auto dec = routing::decode_session_datagram(out);
  ASSERT_TRUE(dec.ok()) << describe(dec.error());
  EXPECT_EQ(dec->ttl, 32);
  EXPECT_EQ(dec->path_mtu, 1400);
  EXPECT_EQ(dec->src_addr, addr_of(0xAA));
  EXPECT_EQ(dec->dest_addr, addr_of(0xBB));
  // The payload is a view into the input, not a copy.
  EXPECT_EQ(dec->payload.data(), out.data() + routing::kSessionDatagramHeaderSize);
  EXPECT_EQ(hex(dec->payload), "100005000102030405");
  EXPECT_EQ(routing::peek_dest_addr(out), addr_of(0xBB));
  EXPECT_EQ(routing::peek_src_addr(out), addr_of(0xAA));
  EXPECT_EQ(routing::peek_ttl(out), 32);
  EXPECT_EQ(routing::peek_path_mtu(out), 1400);
}

TEST(RoutingWire, SessionDatagramDefaultsAndEmptyPayload) {
  routing::SessionDatagram d;
  d.src_addr = addr_of(1);
  d.dest_addr = addr_of(2);
  EXPECT_EQ(d.ttl, 64);
  EXPECT_EQ(d.path_mtu, 0xFFFF);
  auto out = encode_dg(d);
  EXPECT_EQ(out.size(), 36u);
  EXPECT_EQ(hex(ByteSpan(out).first(4)), "0040ffff");
  auto dec = routing::decode_session_datagram(out);
  ASSERT_TRUE(dec.ok());
  EXPECT_TRUE(dec->payload.empty());
}

TEST(RoutingWire, SessionDatagramHeaderOnlyEncoder) {
  uint8_t buf[36];
  Writer w{MutByteSpan(buf)};
  ASSERT_TRUE(routing::encode_session_datagram_header(w, 5, 1280, addr_of(3), addr_of(4)).ok());
  EXPECT_EQ(hex(ByteSpan(buf).first(4)), "00050005");
  uint8_t small[35];
  Writer w2{MutByteSpan(small)};
  EXPECT_EQ(routing::encode_session_datagram_header(w2, 5, 1280, addr_of(3), addr_of(4)).error().code,
            WireErr::kNoSpace);
}

TEST(RoutingWire, SessionDatagramRejections) {
  routing::SessionDatagram d{7, 1500, addr_of(1), addr_of(2), {}};
  auto good = encode_dg(d);
  for (size_t n = 0; n < good.size(); ++n) {
    auto r = routing::decode_session_datagram(ByteSpan(good).first(n));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.error().code, WireErr::kTruncated) << n;
  }
  auto bad = good;
  bad[0] = 0x01;  // SenderReport type
  EXPECT_EQ(routing::decode_session_datagram(bad).error().code, WireErr::kBadType);
  // A truncated message with the wrong type reports the type first.
  EXPECT_EQ(routing::decode_session_datagram(ByteSpan(bad).first(3)).error().code, WireErr::kBadType);
}

TEST(RoutingWire, TtlDecrementInPlace) {
  routing::SessionDatagram d{2, 1500, addr_of(1), addr_of(2), {}};
  auto buf = encode_dg(d);
  EXPECT_TRUE(routing::decrement_ttl_in_place(buf));
  EXPECT_EQ(buf[1], 1);
  EXPECT_FALSE(routing::decrement_ttl_in_place(buf));
  EXPECT_EQ(buf[1], 0);
  EXPECT_FALSE(routing::decrement_ttl_in_place(buf));
  EXPECT_EQ(buf[1], 0) << "saturates, never wraps";
  buf[1] = 255;
  EXPECT_TRUE(routing::decrement_ttl_in_place(buf));
  EXPECT_EQ(buf[1], 254);
}

TEST(RoutingWire, PathMtuClampInPlace) {
  routing::SessionDatagram d{9, 0xFFFF, addr_of(1), addr_of(2), {}};
  auto buf = encode_dg(d);
  routing::clamp_path_mtu_in_place(buf, 1400);
  EXPECT_EQ(hex(ByteSpan(buf).subspan(2, 2)), "7805");
  routing::clamp_path_mtu_in_place(buf, 1500);  // larger link MTU: no change
  EXPECT_EQ(routing::peek_path_mtu(buf), 1400);
  routing::clamp_path_mtu_in_place(buf, 1280);
  EXPECT_EQ(routing::peek_path_mtu(buf), 1280);
}

TEST(RoutingWire, PrepareForwardInPlace) {
  for (uint8_t ttl : {uint8_t{0}, uint8_t{1}}) {
    routing::SessionDatagram d{ttl, 1500, addr_of(1), addr_of(2), {}};
    auto buf = encode_dg(d);
    auto before = buf;
    EXPECT_FALSE(routing::prepare_forward_in_place(buf, 1200)) << int(ttl);
    EXPECT_EQ(buf, before) << "a dropped datagram is left untouched";
  }
  const auto payload = unhex("0102");
  routing::SessionDatagram d{2, 1500, addr_of(1), addr_of(2), payload};
  auto buf = encode_dg(d);
  ASSERT_TRUE(routing::prepare_forward_in_place(buf, 1200));
  auto dec = routing::decode_session_datagram(buf);
  ASSERT_TRUE(dec.ok());
  EXPECT_EQ(dec->ttl, 1);
  EXPECT_EQ(dec->path_mtu, 1200);
  EXPECT_EQ(hex(dec->payload), "0102");
}

RC_GTEST_PROP(RoutingWireProp, SessionDatagramRoundTrip, (uint8_t ttl, uint16_t mtu)) {
  NodeAddr src, dst;
  src.bytes = *rc::gen::arbitrary<std::array<uint8_t, 16>>();
  dst.bytes = *rc::gen::arbitrary<std::array<uint8_t, 16>>();
  auto payload = *rc::gen::container<std::vector<uint8_t>>(rc::gen::arbitrary<uint8_t>());
  routing::SessionDatagram d{ttl, mtu, src, dst, payload};
  std::vector<uint8_t> out(routing::session_datagram_wire_size(d));
  Writer w{MutByteSpan(out)};
  RC_ASSERT(routing::encode_session_datagram(w, d).ok());
  auto dec = routing::decode_session_datagram(out);
  RC_ASSERT(dec.ok());
  RC_ASSERT(dec->ttl == ttl && dec->path_mtu == mtu);
  RC_ASSERT(dec->src_addr == src && dec->dest_addr == dst);
  RC_ASSERT(std::equal(dec->payload.begin(), dec->payload.end(), payload.begin(), payload.end()));
}

RC_GTEST_PROP(RoutingWireProp, ForwardMatchesReferenceSemantics, (uint8_t ttl, uint16_t mtu, uint16_t link)) {
  routing::SessionDatagram d{ttl, mtu, NodeAddr{}, NodeAddr{}, {}};
  std::vector<uint8_t> buf(36);
  Writer w{MutByteSpan(buf)};
  RC_ASSERT(routing::encode_session_datagram(w, d).ok());
  const bool fwd = routing::prepare_forward_in_place(buf, link);
  // Reference RoutingCore::route: forwarded_ttl = ttl.saturating_sub(1); drop if 0.
  const uint8_t forwarded = ttl > 0 ? static_cast<uint8_t>(ttl - 1) : 0;
  RC_ASSERT(fwd == (forwarded != 0));
  if (fwd) {
    RC_ASSERT(routing::peek_ttl(buf) == forwarded);
    RC_ASSERT(routing::peek_path_mtu(buf) == std::min(mtu, link));
  } else {
    RC_ASSERT(routing::peek_ttl(buf) == ttl);
    RC_ASSERT(routing::peek_path_mtu(buf) == mtu);
  }
}

}  // namespace
}  // namespace fips
