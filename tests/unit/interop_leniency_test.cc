// Known-answer cases for the decoder leniencies of docs/interop.md, with the
// bytes copied from the reference's own tests (cited per case as "reference
// src/...rs") and one SessionSetup laid out as @fips/core 0.0.29 sends it.
// The per-module "accepted and ignored" tests live beside each codec's other
// tests (fsp_wire_test.cc, fsp_signals_test.cc, fmp_wire_test.cc, ...); this
// file pins the reference's own expectations byte for byte.
#include "ipv6/shim.h"
#include "proto/fmp/wire.h"
#include "proto/fsp/signals.h"
#include "proto/fsp/wire.h"
#include "test_util.h"

namespace fips {
namespace {

using test::hex;
using test::unhex;

// reference src/proto/fsp/tests/wire.rs test_all_message_types_through_prefix
// and test_common_prefix_parse_*: dispatch by phase and the U bit.
TEST(InteropKat, FspPrefixDispatch) {
  EXPECT_EQ(*fsp::classify(unhex("00001000")), fsp::FspKind::kEncrypted);
  EXPECT_EQ(*fsp::classify(unhex("00042200")), fsp::FspKind::kErrorSignal);
  EXPECT_EQ(*fsp::classify(unhex("01005000")), fsp::FspKind::kSessionSetup);
  EXPECT_EQ(*fsp::classify(unhex("02002100")), fsp::FspKind::kSessionAck);
  EXPECT_EQ(*fsp::classify(unhex("03004900")), fsp::FspKind::kSessionMsg3);
}

// reference src/proto/fsp/tests/wire.rs test_fsp_flags_ignores_reserved_bits:
// FspFlags::from_byte(0xFF) has CP, K and U; the upper five bits are not kept.
TEST(InteropKat, FspPrefixFlagsReservedBitsIgnored) {
  // 0xFF: U set, so the payload is an error signal whatever else is set.
  EXPECT_EQ(*fsp::classify(unhex("00ff2200")), fsp::FspKind::kErrorSignal);
  // 0xFB: everything but U. An encrypted message with CP and K, zero-count
  // coords, and 6 + 16 bytes of ciphertext.
  auto bytes = unhex("00fb1600" "0700000000000000" "0000" "0000");
  bytes.resize(bytes.size() + 22, 0xAA);
  auto m = fsp::decode_encrypted(bytes);
  ASSERT_TRUE(m.ok()) << describe(m.error());
  EXPECT_TRUE(m->has_coords());
  EXPECT_TRUE(m->header.flags & fsp::kFlagK);
  EXPECT_EQ(m->header.counter, 7u);
  EXPECT_EQ(m->aad[1], 0xFB);  // authenticated as received
}

// reference src/proto/fsp/tests/wire.rs test_fsp_inner_flags_ignores_reserved:
// from_byte(0xFE) -> no spin bit, from_byte(0xFF) -> spin bit.
TEST(InteropKat, FspInnerFlagsReservedBitsIgnored) {
  EXPECT_EQ(fsp::decode_inner(unhex("00000000" "10" "fe"))->header.inner_flags, 0);
  EXPECT_EQ(fsp::decode_inner(unhex("00000000" "10" "ff"))->header.inner_flags, fsp::kInnerFlagSP);
  EXPECT_EQ(fsp::decode_inner(unhex("00000000" "10" "01"))->header.inner_flags, fsp::kInnerFlagSP);
}

// reference src/proto/fsp/tests/wire.rs test_session_flags (0x03 = ack +
// bidirectional) and SessionFlags::from_byte (src/proto/fsp/wire.rs:462),
// which reads bits 0x01 and 0x02 only. 0x07 is what @fips/core 0.0.29 sends
// with request_ack|bidirectional (it adds 0x04, SESSION_FLAG_DIRECT_FSP_TRANSPORT,
// in its src/protocol/session.ts); 0x04 alone is its plain SessionSetup.
TEST(InteropKat, TypeScriptStyleSessionSetupIsAccepted) {
  const std::string addr1(32, '1'), addr2(32, '2'), addr9(32, '9');
  const std::string msg1(2 * kXkMsg1Size, 'c');
  // prefix (ver 0, phase 1, flags 0, payload_len 1+34+34+2+33 = 104 = 0x68),
  // flags 0x04, src coords [1, 9], dest coords [2, 9], handshake_len 33.
  const std::string body = "0200" + addr1 + addr9 + "0200" + addr2 + addr9 + "2100" + msg1;
  for (const char* flags : {"04", "07", "05", "fc"}) {
    const auto bytes = unhex("01006800" + std::string(flags) + body);
    ASSERT_EQ(bytes.size(), 4u + 104u);
    auto s = fsp::decode_session_setup(bytes);
    ASSERT_TRUE(s.ok()) << flags << ": " << describe(s.error());
    EXPECT_EQ(s->flags, unhex(flags)[0] & 0x03) << flags;
    EXPECT_EQ(s->src_coords.size(), 2u);
    EXPECT_EQ(hex(s->handshake), msg1);
  }
  // The same body as a SessionAck (its flags byte is reserved): accepted.
  const std::string ack_hs(2 * kXkMsg2Size, 'd');
  const std::string ack_body = "0200" + addr2 + addr9 + "0200" + addr1 + addr9 + "3900" + ack_hs;
  const auto ack_bytes = unhex("02008000" "04" + ack_body);  // outlives the decoded views
  auto a = fsp::decode_session_ack(ack_bytes);
  ASSERT_TRUE(a.ok()) << describe(a.error());
  EXPECT_EQ(hex(a->handshake), ack_hs);
  // Our own encoders never set an unknown bit: a fresh ack's flags byte is 0.
  std::vector<uint8_t> out(fsp::session_ack_wire_size(*a));
  Writer w{MutByteSpan(out)};
  ASSERT_TRUE(fsp::encode_session_ack(w, *a).ok());
  EXPECT_EQ(out[1], 0);
  EXPECT_EQ(out[4], 0);
}

// reference src/proto/routing/tests/wire.rs test_coords_required_encode_decode
// (prefix 00 04, msg_type 0x20) and CoordsRequired::decode
// (src/proto/routing/wire.rs:131: require(33), flags byte skipped).
TEST(InteropKat, CoordsRequiredSignalFlagsAndTrailingIgnored) {
  const std::string aa(32, 'a'), bb(32, 'b');
  for (const char* v : {"00042200" "20" "00", "00042200" "20" "ff", "000c0000" "20" "01"}) {
    auto m = fsp::decode_coords_required(unhex(v + aa + bb + "eeee"));
    ASSERT_TRUE(m.ok()) << v << ": " << describe(m.error());
    EXPECT_EQ(hex(m->dest_addr.bytes), aa);
    EXPECT_EQ(hex(m->reporter.bytes), bb);
  }
}

// reference src/proto/fmp/wire.rs test_flags_byte (header[1] = 0x05 for
// K|SP; parse keeps K and SP) and test_common_prefix_parse (00 04 20 00 = SP).
// Reserved bits next to them are ignored: EncryptedHeader::parse
// (src/proto/fmp/wire.rs:351) reads the byte and checks nothing in it.
TEST(InteropKat, FmpEstablishedFlags) {
  EXPECT_EQ(fmp::decode_common_prefix(unhex("00042000"))->flags, fmp::kFlagSP);
  for (const char* f : {"05", "fd", "0d"}) {
    auto frame = unhex("00" + std::string(f) + "0000" "01000000" "0000000000000000");
    frame.resize(32, 0);  // 16-byte tag, empty plaintext: payload_len 0
    auto h = fmp::decode_established_header(frame);
    ASSERT_TRUE(h.ok()) << f << ": " << describe(h.error());
    EXPECT_EQ(h->flags & fmp::kFlagKeyEpoch, fmp::kFlagKeyEpoch);
    EXPECT_EQ(h->flags & fmp::kFlagCE, 0);
    EXPECT_EQ(h->flags & fmp::kFlagSP, fmp::kFlagSP);
    EXPECT_EQ(h->receiver_idx, 1u);
  }
}

// reference src/upper/ipv6_shim.rs decompress_ipv6 (line 89):
// ipv6[0] = (residual[0] & 0x0F) | 0x60, so a residual version nibble of 0
// or 4 comes out as 6, traffic-class bits kept.
TEST(InteropKat, Ipv6ShimVersionNibbleForcedToSix) {
  std::array<uint8_t, 16> src{}, dst{};
  src[0] = dst[0] = 0xfd;
  std::vector<uint8_t> out(64);
  auto n = ipv6::decompress(unhex("00" "4a000000" "3a" "40" "8000"), src, dst, out);
  ASSERT_TRUE(n.ok()) << describe(n.error());
  ASSERT_EQ(*n, 42u);
  EXPECT_EQ(hex(ByteSpan(out).first(8)), "6a0000000002" "3a40");
}

}  // namespace
}  // namespace fips
