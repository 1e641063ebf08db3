// Noise IK/XK: both sides agree, every tampered byte fails cleanly and leaves
// the receiver's state unchanged, and out-of-order calls are typed errors.
#include "noise/handshake.h"
#include "noise/transport.h"
#include "test_util.h"

namespace fips {
namespace {

struct Pair {
  HandshakeState init;
  HandshakeState resp;
};

Pair make_pair(NoisePattern p, const Identity& a, const Identity& b) {
  Epoch ea{1, 2, 3, 4, 5, 6, 7, 8}, eb{9, 9, 9, 9, 9, 9, 9, 9};
  if (p == NoisePattern::kIK)
    return {HandshakeState::ik_initiator(a, b.compressed(), ea), HandshakeState::ik_responder(b, eb)};
  return {HandshakeState::xk_initiator(a, b.compressed(), ea), HandshakeState::xk_responder(b, eb)};
}

// Runs the handshake to completion, recording every message.
std::vector<std::vector<uint8_t>> run(Pair& p) {
  std::vector<std::vector<uint8_t>> msgs;
  while (!p.init.is_complete() || !p.resp.is_complete()) {
    HandshakeState& w = p.init.is_my_turn_to_write() ? p.init : p.resp;
    HandshakeState& r = &w == &p.init ? p.resp : p.init;
    std::vector<uint8_t> m(w.next_message_size());
    EXPECT_TRUE(w.write_message(m).ok());
    EXPECT_TRUE(r.read_message(m).ok());
    msgs.push_back(m);
  }
  return msgs;
}

class NoiseBoth : public ::testing::TestWithParam<NoisePattern> {};

TEST_P(NoiseBoth, CompletesAndKeysAgree) {
  Identity a = Identity::generate(), b = Identity::generate();
  Pair p = make_pair(GetParam(), a, b);
  auto msgs = run(p);
  EXPECT_EQ(msgs.size(), GetParam() == NoisePattern::kIK ? 2u : 3u);
  EXPECT_EQ(p.init.handshake_hash(), p.resp.handshake_hash());
  EXPECT_EQ(*p.resp.remote_static(), a.compressed());
  EXPECT_EQ(*p.init.remote_epoch(), (Epoch{9, 9, 9, 9, 9, 9, 9, 9}));
  EXPECT_EQ(*p.resp.remote_epoch(), (Epoch{1, 2, 3, 4, 5, 6, 7, 8}));
  auto ki = p.init.split();
  auto kr = p.resp.split();
  ASSERT_TRUE(ki.ok() && kr.ok());
  EXPECT_TRUE(ki->send.key().ct_eq(kr->recv.key()));
  EXPECT_TRUE(ki->recv.key().ct_eq(kr->send.key()));
  EXPECT_FALSE(ki->send.key().ct_eq(ki->recv.key()));

  NoiseTransport ti(std::move(*ki)), tr(std::move(*kr));
  const uint8_t aad[16] = {};
  std::vector<uint8_t> buf = {'h', 'i', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  auto c = ti.seal(aad, std::span<const uint8_t>(buf.data(), 2), buf.data());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*c, 0u);
  ASSERT_TRUE(tr.open(*c, aad, buf, buf.data()).ok());
  EXPECT_EQ(buf[0], 'h');
}

TEST_P(NoiseBoth, ResponderWithOddParityKeyStillWorks) {
  // Initiators often know only the x-only key (npub) and lift it to even
  // parity; the handshake must still succeed when the real key is odd.
  for (int i = 0; i < 8; ++i) {
    Identity a = Identity::generate(), b = Identity::generate();
    CompressedKey even = lift_x_even(b.xonly());
    Epoch e{};
    Pair p = GetParam() == NoisePattern::kIK
                 ? Pair{HandshakeState::ik_initiator(a, even, e), HandshakeState::ik_responder(b, e)}
                 : Pair{HandshakeState::xk_initiator(a, even, e), HandshakeState::xk_responder(b, e)};
    run(p);
    ASSERT_TRUE(p.init.is_complete() && p.resp.is_complete());
    EXPECT_EQ(p.init.handshake_hash(), p.resp.handshake_hash());
  }
}

TEST_P(NoiseBoth, EveryTamperedByteFailsAndLeavesStateUnchanged) {
  Identity a = Identity::generate(), b = Identity::generate();
  Pair p = make_pair(GetParam(), a, b);
  size_t step = 0;
  while (!p.init.is_complete() || !p.resp.is_complete()) {
    HandshakeState& w = p.init.is_my_turn_to_write() ? p.init : p.resp;
    HandshakeState& r = &w == &p.init ? p.resp : p.init;
    std::vector<uint8_t> m(w.next_message_size());
    ASSERT_TRUE(w.write_message(m).ok());
    const Digest32 h_before = r.handshake_hash();
    const HandshakeProgress prog_before = r.progress();
    const bool starts_with_ephemeral =
        !(GetParam() == NoisePattern::kXK && step == 2);  // all but XK msg3
    const bool bare_ephemeral = GetParam() == NoisePattern::kXK && step == 0;
    for (size_t i = 0; i < m.size() && !bare_ephemeral; ++i) {
      for (uint8_t bit : {0x01, 0x80}) {
        // Flipping 0x02<->0x03 negates the ephemeral point; x-only ECDH and
        // the reference's empty-AD payload encryption make that invisible
        // (see ParityFlipOfEphemeralIsAccepted). Every other flip must fail.
        if (starts_with_ephemeral && i == 0 && bit == 0x01) continue;
        auto t = m;
        t[i] ^= bit;
        auto res = r.read_message(t);
        ASSERT_FALSE(res.ok()) << "step " << step << " byte " << i;
        EXPECT_TRUE(res.error() == NoiseErr::kDecrypt || res.error() == NoiseErr::kInvalidKey);
        ASSERT_EQ(r.handshake_hash(), h_before);
        ASSERT_EQ(r.progress(), prog_before);
      }
    }
    // Wrong sizes.
    auto shorter = m;
    shorter.pop_back();
    EXPECT_EQ(r.read_message(shorter).error(), NoiseErr::kBadSize);
    auto longer = m;
    longer.push_back(0);
    EXPECT_EQ(r.read_message(longer).error(), NoiseErr::kBadSize);
    // The untouched message still works after all those failures.
    ASSERT_TRUE(r.read_message(m).ok()) << "step " << step;
    ++step;
  }
}

TEST_P(NoiseBoth, OutOfOrderCallsAreTypedErrors) {
  Identity a = Identity::generate(), b = Identity::generate();
  Pair p = make_pair(GetParam(), a, b);
  std::vector<uint8_t> m(200);
  EXPECT_EQ(p.resp.write_message(m).error(), NoiseErr::kWrongRole);
  EXPECT_EQ(p.init.read_message(std::span<const uint8_t>(m.data(), 57)).error(), NoiseErr::kWrongRole);
  EXPECT_EQ(p.init.split().error(), NoiseErr::kNotComplete);
  std::vector<uint8_t> tiny(10);
  EXPECT_EQ(p.init.write_message(tiny).error(), NoiseErr::kBadSize);
  run(p);
  EXPECT_EQ(p.init.write_message(m).error(), NoiseErr::kWrongState);
  EXPECT_EQ(p.resp.read_message(m).error(), NoiseErr::kWrongState);
}

INSTANTIATE_TEST_SUITE_P(Patterns, NoiseBoth, ::testing::Values(NoisePattern::kIK, NoisePattern::kXK),
                         [](const auto& pinfo) {
                           return pinfo.param == NoisePattern::kIK ? "IK" : "XK";
                         });

TEST(Noise, XkTamperedMsg1IsCaughtLater) {
  // A flipped ephemeral in XK msg1 that still parses gives the responder a
  // different key; msg2 then fails at the initiator.
  Identity a = Identity::generate(), b = Identity::generate();
  int caught = 0;
  for (int i = 1; i < 33 && caught < 3; ++i) {  // byte 0 (parity) is malleable
    Pair p = make_pair(NoisePattern::kXK, a, b);
    std::vector<uint8_t> m1(33), m2(57);
    ASSERT_TRUE(p.init.write_message(m1).ok());
    m1[i] ^= 0x01;
    if (!p.resp.read_message(m1).ok()) continue;
    ASSERT_TRUE(p.resp.write_message(m2).ok());
    EXPECT_EQ(p.init.read_message(m2).error(), NoiseErr::kDecrypt);
    ++caught;
  }
  EXPECT_GT(caught, 0);
}

TEST(Noise, ParityFlipOfEphemeralIsAccepted) {
  // Documented property of the reference protocol (interop requires it): the
  // ephemeral's parity byte is malleable. The keys are unaffected (DH hashes
  // only x), only the handshake hashes diverge, so the tamperer learns and
  // changes nothing; we record it here so a change in behaviour is noticed.
  Identity a = Identity::generate(), b = Identity::generate();
  Pair p = make_pair(NoisePattern::kIK, a, b);
  std::vector<uint8_t> m1(kIkMsg1Size), m2(kIkMsg2Size);
  ASSERT_TRUE(p.init.write_message(m1).ok());
  m1[0] ^= 0x01;
  ASSERT_TRUE(p.resp.read_message(m1).ok());
  ASSERT_TRUE(p.resp.write_message(m2).ok());
  ASSERT_TRUE(p.init.read_message(m2).ok());
  EXPECT_NE(p.init.handshake_hash(), p.resp.handshake_hash());
  auto ki = p.init.split();
  auto kr = p.resp.split();
  ASSERT_TRUE(ki.ok() && kr.ok());
  EXPECT_TRUE(ki->send.key().ct_eq(kr->recv.key()));
}

TEST(Noise, IkResponderRejectsUnknownGarbageKeys) {
  Identity b = Identity::generate();
  auto r = HandshakeState::ik_responder(b, Epoch{});
  std::vector<uint8_t> m(kIkMsg1Size, 0);
  m[0] = 0x05;  // not a compressed-point prefix
  EXPECT_EQ(r.read_message(m).error(), NoiseErr::kInvalidKey);
}

}  // namespace
}  // namespace fips
