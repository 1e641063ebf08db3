// FSP plaintext error signals (CoordsRequired, PathBroken, MtuExceeded):
// golden bytes per the reference encoders, round trips, rejections and the
// leniencies the reference has (docs/interop.md).

#include "fsp_test_util.h"
#include "proto/fsp/signals.h"
#include "test_util.h"

namespace fips {
namespace {

using namespace fsptest;
using test::hex;
using test::unhex;

TEST(FspSignals, Golden) {
  auto cr = encode_ok(38, [&](Writer& w) { return fsp::encode_coords_required(w, {addr_of(0xDD), addr_of(0xEE)}); });
  EXPECT_EQ(hex(cr), "00042200" "2000" + addr_hex(0xDD) + addr_hex(0xEE));
  auto crd = fsp::decode_coords_required(cr);
  ASSERT_TRUE(crd.ok()) << describe(crd.error());
  EXPECT_EQ(*crd, (fsp::CoordsRequired{addr_of(0xDD), addr_of(0xEE)}));

  auto pb0 = encode_ok(40, [&](Writer& w) { return fsp::encode_path_broken(w, {addr_of(1), addr_of(2), {}}); });
  EXPECT_EQ(hex(pb0), "00042400" "2100" + addr_hex(1) + addr_hex(2) + "0000");
  const Coords last = coords_of({0xCC, 0xDD, 0xEE});
  fsp::PathBroken pb{addr_of(1), addr_of(2), fsp::coords_view(last)};
  ASSERT_EQ(fsp::path_broken_wire_size(pb), 88u);
  auto pb3 = encode_ok(88, [&](Writer& w) { return fsp::encode_path_broken(w, pb); });
  EXPECT_EQ(hex(pb3), "00045400" "2100" + addr_hex(1) + addr_hex(2) + "0300" + addr_hex(0xCC) +
                          addr_hex(0xDD) + addr_hex(0xEE));
  auto pbd = fsp::decode_path_broken(pb3);
  ASSERT_TRUE(pbd.ok()) << describe(pbd.error());
  EXPECT_EQ(pbd->last_coords.to_owned(), last);
  EXPECT_TRUE(fsp::decode_path_broken(pb0)->last_coords.empty());

  auto me = encode_ok(40, [&](Writer& w) { return fsp::encode_mtu_exceeded(w, {addr_of(3), addr_of(4), 1280}); });
  EXPECT_EQ(hex(me), "00042400" "2200" + addr_hex(3) + addr_hex(4) + "0005");
  EXPECT_EQ(*fsp::decode_mtu_exceeded(me), (fsp::MtuExceeded{addr_of(3), addr_of(4), 1280}));

  EXPECT_EQ(*fsp::peek_signal_type(cr), 0x20);
  EXPECT_EQ(*fsp::peek_signal_type(pb3), 0x21);
  EXPECT_EQ(*fsp::peek_signal_type(me), 0x22);
  EXPECT_EQ(*fsp::classify(me), fsp::FspKind::kErrorSignal);
  EXPECT_EQ(*fsp::peek_signal_type(unhex("0004010023")), 0x23) << "unknown types are the caller's call";
  EXPECT_STREQ(fsp::signal_type_name(0x21), "PathBroken");
}

TEST(FspSignals, Rejections) {
  const Coords last = coords_of({7, 8});
  const std::vector<std::vector<uint8_t>> goods = {
      encode_ok(38, [&](Writer& w) { return fsp::encode_coords_required(w, {addr_of(1), addr_of(2)}); }),
      encode_ok(72, [&](Writer& w) { return fsp::encode_path_broken(w, {addr_of(1), addr_of(2), fsp::coords_view(last)}); }),
      encode_ok(40, [&](Writer& w) { return fsp::encode_mtu_exceeded(w, {addr_of(1), addr_of(2), 1400}); }),
  };
  auto decode = [](size_t i, ByteSpan b) -> WireStatus {
    switch (i) {
      case 0: { auto r = fsp::decode_coords_required(b); if (!r.ok()) return Err{r.error()}; return {}; }
      case 1: { auto r = fsp::decode_path_broken(b); if (!r.ok()) return Err{r.error()}; return {}; }
      default: { auto r = fsp::decode_mtu_exceeded(b); if (!r.ok()) return Err{r.error()}; return {}; }
    }
  };
  for (size_t i = 0; i < goods.size(); ++i) {
    const auto& good = goods[i];
    ASSERT_TRUE(decode(i, good).ok()) << i;
    for (size_t n = 0; n < good.size(); ++n)
      EXPECT_EQ(decode(i, ByteSpan(good).first(n)).error().code, WireErr::kTruncated) << i << " " << n;
    auto set = [&](size_t at, uint8_t v) {
      auto b = good;
      b[at] = v;
      return decode(i, b);
    };
    // Still rejected: phase, U clear, msg_type, truncation (above).
    EXPECT_EQ(set(0, 0x01).error().code, WireErr::kBadPhase);
    EXPECT_EQ(set(1, 0x00).error().code, WireErr::kBadValue);  // U clear: not a signal
    EXPECT_EQ(set(4, static_cast<uint8_t>(good[4] == 0x20 ? 0x21 : 0x20)).error().code,
              WireErr::kBadType);
  }
}

// Accepted and ignored, as the reference (routing/wire.rs decoders read
// require(33|35) bytes after msg_type and skip the flags byte;
// handle_session_payload dispatches on phase 0 + U only): version nibble,
// other prefix flag bits, payload_len, the signal flags byte, trailing bytes.
TEST(FspSignals, LenienciesAcceptedAndIgnored) {
  const Coords last = coords_of({7, 8});
  const auto cr = encode_ok(38, [&](Writer& w) { return fsp::encode_coords_required(w, {addr_of(1), addr_of(2)}); });
  const auto pb = encode_ok(72, [&](Writer& w) {
    return fsp::encode_path_broken(w, {addr_of(1), addr_of(2), fsp::coords_view(last)});
  });
  const auto me = encode_ok(40, [&](Writer& w) { return fsp::encode_mtu_exceeded(w, {addr_of(1), addr_of(2), 1400}); });
  auto variants = [](const std::vector<uint8_t>& good) {
    std::vector<std::vector<uint8_t>> v;
    auto with = [&](size_t at, uint8_t x) {
      auto b = good;
      b[at] = x;
      v.push_back(b);
    };
    with(0, 0x10);  // version 1
    with(0, 0xF0);
    with(1, 0x05);  // U + CP
    with(1, 0xFC);
    with(2, static_cast<uint8_t>(good[2] - 1));  // payload_len
    with(3, 0x7F);
    with(5, 0x01);  // signal flags byte
    with(5, 0xFF);
    auto t = good;
    t.insert(t.end(), 17, 0xEE);
    v.push_back(t);
    return v;
  };
  for (const auto& b : variants(cr)) {
    auto r = fsp::decode_coords_required(b);
    ASSERT_TRUE(r.ok()) << hex(b) << ": " << describe(r.error());
    EXPECT_EQ(*r, (fsp::CoordsRequired{addr_of(1), addr_of(2)}));
    EXPECT_EQ(*fsp::peek_signal_type(b), 0x20);
    EXPECT_EQ(*fsp::classify(b), fsp::FspKind::kErrorSignal);
  }
  for (const auto& b : variants(pb)) {
    auto r = fsp::decode_path_broken(b);
    ASSERT_TRUE(r.ok()) << hex(b) << ": " << describe(r.error());
    EXPECT_EQ(r->last_coords.to_owned(), last);
  }
  for (const auto& b : variants(me)) {
    auto r = fsp::decode_mtu_exceeded(b);
    ASSERT_TRUE(r.ok()) << hex(b) << ": " << describe(r.error());
    EXPECT_EQ(*r, (fsp::MtuExceeded{addr_of(1), addr_of(2), 1400}));
  }
}

TEST(FspSignals, PeekRejections) {
  EXPECT_EQ(fsp::peek_signal_type(unhex("00040000")).error().code, WireErr::kTruncated);
  EXPECT_EQ(fsp::peek_signal_type(unhex("0000000020")).error().code, WireErr::kBadValue);
}

RC_GTEST_PROP(FspSignalsProp, RoundTrip, (uint16_t mtu)) {
  NodeAddr a{*rc::gen::arbitrary<std::array<uint8_t, 16>>()};
  NodeAddr b{*rc::gen::arbitrary<std::array<uint8_t, 16>>()};
  const auto last = *gen_coords(0, 10);
  std::vector<uint8_t> out(40 + 16 * last.size());
  Writer w{MutByteSpan(out)};
  RC_ASSERT(fsp::encode_path_broken(w, {a, b, fsp::coords_view(last)}).ok());
  auto pb = fsp::decode_path_broken(out);
  RC_ASSERT(pb.ok() && pb->dest_addr == a && pb->reporter == b && pb->last_coords.to_owned() == last);
  std::vector<uint8_t> me(40);
  Writer w2{MutByteSpan(me)};
  RC_ASSERT(fsp::encode_mtu_exceeded(w2, {a, b, mtu}).ok());
  RC_ASSERT(*fsp::decode_mtu_exceeded(me) == (fsp::MtuExceeded{a, b, mtu}));
  std::vector<uint8_t> cr(38);
  Writer w3{MutByteSpan(cr)};
  RC_ASSERT(fsp::encode_coords_required(w3, {a, b}).ok());
  RC_ASSERT(*fsp::decode_coords_required(cr) == (fsp::CoordsRequired{a, b}));
}

}  // namespace
}  // namespace fips
