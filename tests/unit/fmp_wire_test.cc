// FMP framing codecs: golden bytes (vectors), round trips (rapidcheck), and
// rejection of malformed input with the right typed error.

#include "proto/fmp/wire.h"
#include "test_util.h"

namespace fips {
namespace {

using test::hex;
using test::unhex;

TEST(FmpWire, Msg1FrameVector) {
  auto v = test::load_vectors("ts-oracle-vectors.json")["fmp"];
  auto frame = unhex(v["msg1Hex"]);
  ASSERT_EQ(frame.size(), fmp::kMsg1WireSize);
  auto m = fmp::decode_msg1(frame);
  ASSERT_TRUE(m.ok()) << describe(m.error());
  EXPECT_EQ(m->sender_idx, 0x01020304u);
  auto noise = test::load_vectors("noise-handshakes.json")["ik"];
  EXPECT_EQ(hex(m->noise_msg1), noise["msg1"]);

  std::vector<uint8_t> out(fmp::kMsg1WireSize);
  Writer w{MutByteSpan(out)};
  ASSERT_TRUE(fmp::encode_msg1(w, 0x01020304u, m->noise_msg1).ok());
  EXPECT_EQ(hex(out), v["msg1Hex"]);
}

TEST(FmpWire, Msg2FrameVector) {
  auto v = test::load_vectors("ts-oracle-vectors.json")["fmp"];
  auto frame = unhex(v["msg2Hex"]);
  auto m = fmp::decode_msg2(frame);
  ASSERT_TRUE(m.ok()) << describe(m.error());
  EXPECT_EQ(m->sender_idx, 0x11223344u);
  EXPECT_EQ(m->receiver_idx, 0x01020304u);
  std::vector<uint8_t> out(fmp::kMsg2WireSize);
  Writer w{MutByteSpan(out)};
  ASSERT_TRUE(fmp::encode_msg2(w, m->sender_idx, m->receiver_idx, m->noise_msg2).ok());
  EXPECT_EQ(hex(out), v["msg2Hex"]);
}

TEST(FmpWire, HandshakeFrameRejections) {
  auto good = unhex(test::load_vectors("ts-oracle-vectors.json")["fmp"]["msg1Hex"]);
  auto bad = good;
  bad.pop_back();
  EXPECT_EQ(fmp::decode_msg1(bad).error().code, WireErr::kTruncated);
  bad = good;
  bad.push_back(0);
  EXPECT_EQ(fmp::decode_msg1(bad).error().code, WireErr::kTrailing);
  bad = good;
  bad[0] = 0x11;  // version 1
  EXPECT_EQ(fmp::decode_msg1(bad).error().code, WireErr::kBadVersion);
  bad = good;
  bad[0] = 0x02;  // phase 2
  EXPECT_EQ(fmp::decode_msg1(bad).error().code, WireErr::kBadPhase);
  bad = good;
  bad[1] = 0x01;  // flags in a handshake
  EXPECT_EQ(fmp::decode_msg1(bad).error().code, WireErr::kReservedBits);
  bad = good;
  bad[2] = 0x6d;  // payload_len 109
  EXPECT_EQ(fmp::decode_msg1(bad).error().code, WireErr::kBadLength);
}

TEST(FmpWire, EstablishedHeaderGolden) {
  fmp::EstablishedHeader h{fmp::kFlagKeyEpoch | fmp::kFlagSP, 5, 0xAABBCCDD, 0x0102030405060708ULL};
  std::array<uint8_t, 16> out;
  fmp::encode_established_header(h, out);
  EXPECT_EQ(hex(out), "00050500ddccbbaa0807060504030201");
  std::vector<uint8_t> frame(out.begin(), out.end());
  frame.resize(16 + 5 + 16, 0);
  auto d = fmp::decode_established_header(frame);
  ASSERT_TRUE(d.ok()) << describe(d.error());
  EXPECT_EQ(d->receiver_idx, 0xAABBCCDDu);
  EXPECT_EQ(d->counter, 0x0102030405060708ULL);
  frame.push_back(0);  // payload_len now disagrees with the size
  EXPECT_EQ(fmp::decode_established_header(frame).error().code, WireErr::kBadLength);
  frame.pop_back();
  // Flag bits 0xF8 are accepted and ignored (reference EncryptedHeader::parse
  // reads K, CE and SP only); the raw byte is kept, it is part of the AAD.
  for (uint8_t f : {0x08, 0x80, 0xF8, 0xFF}) {
    frame[1] = f;
    auto r = fmp::decode_established_header(frame);
    ASSERT_TRUE(r.ok()) << int(f) << ": " << describe(r.error());
    EXPECT_EQ(r->flags, f);
    EXPECT_EQ(r->counter, 0x0102030405060708ULL);
  }
  EXPECT_EQ(fmp::decode_established_header(ByteSpan(frame).first(31)).error().code,
            WireErr::kTruncated);
}

TEST(FmpWire, DisconnectAndHeartbeat) {
  uint8_t buf[2];
  Writer w{MutByteSpan(buf)};
  ASSERT_TRUE(fmp::encode_disconnect(w, {fmp::DisconnectReason::kTimeout}).ok());
  EXPECT_EQ(hex(buf), "5007");
  auto d = fmp::decode_disconnect(buf);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->reason, fmp::DisconnectReason::kTimeout);
  // Bytes after the reason are ignored (reference Disconnect::decode reads
  // one byte): a goodbye with padding still removes the peer.
  const uint8_t trailing[] = {0x50, 0x00, 0x00};
  ASSERT_TRUE(fmp::decode_disconnect(trailing).ok());
  EXPECT_EQ(fmp::decode_disconnect(trailing)->reason, fmp::DisconnectReason::kShutdown);
  const uint8_t only_type[] = {0x50};
  EXPECT_EQ(fmp::decode_disconnect(only_type).error().code, WireErr::kTruncated);
  const uint8_t wrong_type[] = {0x51, 0x00};
  EXPECT_EQ(fmp::decode_disconnect(wrong_type).error().code, WireErr::kBadType);
  const uint8_t hb[] = {0x51};
  EXPECT_TRUE(fmp::decode_heartbeat(hb).ok());
  const uint8_t hb_body[] = {0x51, 0xAA, 0xBB};  // any body ignored (reference: no-op)
  EXPECT_TRUE(fmp::decode_heartbeat(hb_body).ok());
  EXPECT_EQ(fmp::decode_heartbeat(trailing).error().code, WireErr::kBadType);
  uint8_t small[1];
  Writer w2{MutByteSpan(small)};
  EXPECT_EQ(fmp::encode_disconnect(w2, {}).error().code, WireErr::kNoSpace);
}

RC_GTEST_PROP(FmpWireProp, EstablishedHeaderRoundTrip,
              (uint8_t flags, uint16_t len, uint32_t idx, uint64_t counter)) {
  fmp::EstablishedHeader h{static_cast<uint8_t>(flags & 0x07), len, idx, counter};
  std::vector<uint8_t> frame(fmp::kEncryptedMinSize + len, 0xEE);
  fmp::encode_established_header(h, std::span<uint8_t, 16>(frame.data(), 16));
  auto d = fmp::decode_established_header(frame);
  RC_ASSERT(d.ok());
  RC_ASSERT(d->flags == h.flags);
  RC_ASSERT(d->payload_len == len);
  RC_ASSERT(d->receiver_idx == idx);
  RC_ASSERT(d->counter == counter);
}

RC_GTEST_PROP(FmpWireProp, Msg2RoundTrip, (uint32_t s, uint32_t r)) {
  auto noise = *rc::gen::container<std::vector<uint8_t>>(kIkMsg2Size, rc::gen::arbitrary<uint8_t>());
  std::vector<uint8_t> out(fmp::kMsg2WireSize);
  Writer w{MutByteSpan(out)};
  RC_ASSERT(fmp::encode_msg2(w, s, r, noise).ok());
  auto d = fmp::decode_msg2(out);
  RC_ASSERT(d.ok());
  RC_ASSERT(d->sender_idx == s && d->receiver_idx == r);
  RC_ASSERT(std::equal(noise.begin(), noise.end(), d->noise_msg2.begin()));
}

RC_GTEST_PROP(FmpWireProp, DecodersNeverAcceptGarbageSilently, ()) {
  // Random bytes either fail with a typed error or decode to something that
  // re-encodes to exactly the input's first two bytes (trailing bytes after
  // the reason are ignored, as the reference ignores them: docs/interop.md).
  auto bytes = *rc::gen::container<std::vector<uint8_t>>(rc::gen::arbitrary<uint8_t>());
  auto d = fmp::decode_disconnect(bytes);
  if (d.ok()) {
    uint8_t out[2];
    Writer w{MutByteSpan(out)};
    RC_ASSERT(fmp::encode_disconnect(w, *d).ok());
    RC_ASSERT(bytes.size() >= 2 && out[0] == bytes[0] && out[1] == bytes[1]);
  }
}

}  // namespace
}  // namespace fips
