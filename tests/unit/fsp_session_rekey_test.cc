// FSP session rekey (docs/spec/fsp-ipv6.md §7, §8.3, §20 scenarios 4-5): cutover timing,
// drain, continuous traffic with no loss or duplication across cutovers,
// dual rekey tie-break, our fixes for lost rekey setups/acks/msg3, expiry,
// forged rekey messages, and the restarted non-adjacent peer.
#include "fsp_session_harness.h"

namespace fips::fsptest {
namespace {

using fsp::SessionState;

// Sends one numbered packet each way every `interval` ms for `duration` ms.
struct Traffic {
  uint32_t next_ab = 0, next_ba = 0;
  void run(SessionNet& net, SNode& a, SNode& b, uint64_t duration, uint64_t interval = 50) {
    const uint64_t end = net.now + duration;
    while (net.now < end) {
      net.app_send(a, b.peer(), payload_of(next_ab++));
      net.app_send(b, a.peer(), payload_of(next_ba++));
      net.run_for(interval);
    }
  }
};

// Every sequence number from `from` to `to` delivered exactly once, in order.
void expect_exactly_once(const std::vector<Delivered>& got, uint32_t from, uint32_t to) {
  std::vector<uint32_t> seqs;
  for (const Delivered& d : got) seqs.push_back(seq_of(d.payload));
  std::vector<uint32_t> want;
  for (uint32_t s = from; s < to; ++s) want.push_back(s);
  EXPECT_EQ(seqs, want);
}

void establish(SessionNet& net, SNode& a, SNode& b) {
  net.app_send(a, b.peer(), payload_of(0));
  net.run_for(200);
  ASSERT_TRUE(a.sm.is_established(b.addr()));
  ASSERT_TRUE(b.sm.is_established(a.addr()));
  a.delivered.clear();
  b.delivered.clear();
}

TEST(FspSessionRekey, ContinuousTrafficAcrossManyCutoversLosesNothing) {
  SessionParams p;
  p.rekey_after_secs = 40;  // both sides rekey; jitter +/-15 s
  SessionNet net;
  SNode& a = net.add(p);
  SNode& b = net.add(p);
  establish(net, a, b);
  Traffic t;
  t.run(net, a, b, 400'000);
  net.run_for(200);
  expect_exactly_once(b.delivered, 0, t.next_ab);
  expect_exactly_once(a.delivered, 0, t.next_ba);
  const auto& ca = a.sm.counters();
  const auto& cb = b.sm.counters();
  EXPECT_GE(ca.rekey_cutovers, 5u);
  EXPECT_GE(cb.rekey_cutovers, 5u);
  EXPECT_EQ(ca.decrypt_failed + cb.decrypt_failed + ca.replay + cb.replay, 0u);
  EXPECT_EQ(ca.bad_state + cb.bad_state + ca.unknown_session + cb.unknown_session, 0u);
  EXPECT_EQ(ca.rekey_abandoned + cb.rekey_abandoned, 0u);
  EXPECT_TRUE(a.sm.is_established(b.addr()));
}

TEST(FspSessionRekey, InitiatorCutsOverTwoSecondsAfterMsg3ResponderOnFirstFrame) {
  SessionParams pa;
  pa.rekey_after_secs = 30;
  SessionParams pb;
  pb.rekey_enabled = false;  // only A starts rekeys
  SessionNet net;
  SNode& a = net.add(pa);
  SNode& b = net.add(pb);
  establish(net, a, b);
  a.entry(b.addr())->rekey_jitter_s = 0;
  const uint64_t start = a.entry(b.addr())->session_start_ms;
  Traffic t;
  std::optional<uint64_t> completed, a_cut, b_cut;
  while (net.now < start + 60'000 && !(a_cut && b_cut)) {
    t.run(net, a, b, 100, 100);
    fsp::SessionEntry* ea = a.entry(b.addr());
    fsp::SessionEntry* eb = b.entry(a.addr());
    if (!completed && ea->rekey_completed_ms) completed = *ea->rekey_completed_ms;
    if (!a_cut && ea->k_bit) {
      a_cut = net.now;
      EXPECT_TRUE(ea->previous != nullptr);
      EXPECT_FALSE(eb->k_bit);  // B still on the old epoch until A's first new frame
      EXPECT_TRUE(eb->pending != nullptr);
    }
    if (!b_cut && eb->k_bit) b_cut = net.now;
  }
  ASSERT_TRUE(completed && a_cut && b_cut);
  EXPECT_GE(*completed, start + 30'000);
  EXPECT_LE(*completed, start + 31'100);
  EXPECT_GE(*a_cut - *completed, fsp::kCutoverDelayMs);
  EXPECT_LE(*a_cut - *completed, fsp::kCutoverDelayMs + 1'100);
  EXPECT_LE(*b_cut - *a_cut, 200u);  // A's next data frame
  EXPECT_EQ(b.sm.counters().rekey_cutovers, 1u);
  EXPECT_EQ(a.sm.counters().rekey_cutovers, 1u);
  EXPECT_EQ(a.entry(b.addr())->session_start_ms, *a_cut);  // timestamps restart at cutover
  // The old epoch lingers >= 10 s after its last use, then goes.
  t.run(net, a, b, 9'000, 100);
  EXPECT_TRUE(a.entry(b.addr())->previous != nullptr);
  EXPECT_TRUE(a.entry(b.addr())->draining());
  t.run(net, a, b, 3'000, 100);
  EXPECT_TRUE(a.entry(b.addr())->previous == nullptr);
  EXPECT_TRUE(b.entry(a.addr())->previous == nullptr);
  EXPECT_FALSE(a.entry(b.addr())->rekey_msg3_retained);  // confirmed by B's frames
  net.run_for(100);
  expect_exactly_once(b.delivered, 0, t.next_ab);
  expect_exactly_once(a.delivered, 0, t.next_ba);
}

TEST(FspSessionRekey, MessageCountTriggersRekey) {
  SessionParams p;
  p.rekey_after_messages = 200;
  SessionNet net;
  SNode& a = net.add(p);
  SNode& b = net.add(p);
  establish(net, a, b);
  Traffic t;
  t.run(net, a, b, 30'000, 20);  // ~1500 packets each way
  net.run_for(100);
  EXPECT_GE(a.sm.counters().rekey_cutovers + b.sm.counters().rekey_cutovers, 3u);
  expect_exactly_once(b.delivered, 0, t.next_ab);
  expect_exactly_once(a.delivered, 0, t.next_ba);
}

TEST(FspSessionRekey, DualRekeySmallerAddressStaysInitiator) {
  auto [lo, hi] = ordered_pair();
  SessionParams p;
  p.rekey_after_secs = 20;
  SessionNet net;
  SNode& small = net.add_with(std::move(lo), p);
  SNode& large = net.add_with(std::move(hi), p);
  establish(net, small, large);
  small.entry(large.addr())->rekey_jitter_s = 0;
  large.entry(small.addr())->rekey_jitter_s = 0;
  small.entry(large.addr())->session_start_ms = large.entry(small.addr())->session_start_ms;
  Traffic t;
  t.run(net, small, large, 24'000, 100);
  net.run_for(100);
  EXPECT_EQ(small.sm.counters().rekey_tiebreak, 1u);
  EXPECT_EQ(large.sm.counters().rekey_yielded, 1u);
  EXPECT_EQ(small.sm.counters().rekey_cutovers, 1u);
  EXPECT_EQ(large.sm.counters().rekey_cutovers, 1u);
  expect_exactly_once(large.delivered, 0, t.next_ab);
  expect_exactly_once(small.delivered, 0, t.next_ba);
}

// Force a rekey from A at the next tick.
void arm_rekey(SessionNet& net, SNode& a, SNode& b) {
  (void)net;
  a.entry(b.addr())->rekey_jitter_s = -1'000'000;  // effective threshold 0; redrawn at cutover
}

SessionParams only_forced() {
  SessionParams p;
  p.rekey_after_secs = 100'000;
  return p;
}

bool is_rekey_setup(const InFlight& f, SessionNet& net) {
  // A SessionSetup between two nodes that already hold an Established session.
  SNode* from = net.find(f.from);
  return f.phase() == fsp::kPhaseMsg1 && from && from->sm.is_established(f.to);
}

TEST(FspSessionRekey, LostRekeySetupIsResent) {
  SessionNet net;
  SNode& a = net.add(only_forced());
  SNode& b = net.add(only_forced());
  establish(net, a, b);
  int seen = 0;
  net.drop = [&](const InFlight& f) { return is_rekey_setup(f, net) && seen++ == 0; };
  arm_rekey(net, a, b);
  Traffic t;
  t.run(net, a, b, 8'000, 100);
  net.run_for(100);
  EXPECT_EQ(a.sm.counters().rekey_setup_resent, 1u);
  EXPECT_EQ(a.sm.counters().rekey_cutovers, 1u);
  EXPECT_EQ(b.sm.counters().rekey_cutovers, 1u);
  expect_exactly_once(b.delivered, 0, t.next_ab);
  expect_exactly_once(a.delivered, 0, t.next_ba);
}

TEST(FspSessionRekey, LostRekeyAckIsAnsweredAgainOnTheDuplicateSetup) {
  SessionNet net;
  SNode& a = net.add(only_forced());
  SNode& b = net.add(only_forced());
  establish(net, a, b);
  int seen = 0;
  net.drop = [&](const InFlight& f) { return f.phase() == fsp::kPhaseMsg2 && seen++ == 0; };
  arm_rekey(net, a, b);
  Traffic t;
  t.run(net, a, b, 8'000, 100);
  net.run_for(100);
  EXPECT_EQ(b.sm.counters().rekey_ack_resent, 1u);
  EXPECT_EQ(b.sm.counters().rekey_armed, 1u);  // one DH, not two
  EXPECT_EQ(a.sm.counters().rekey_cutovers, 1u);
  EXPECT_EQ(b.sm.counters().rekey_cutovers, 1u);
  expect_exactly_once(b.delivered, 0, t.next_ab);
  expect_exactly_once(a.delivered, 0, t.next_ba);
}

TEST(FspSessionRekey, LostRekeyMsg3IsResentBeforeTheCutover) {
  SessionNet net;
  SNode& a = net.add(only_forced());
  SNode& b = net.add(only_forced());
  establish(net, a, b);
  int seen = 0;
  net.drop = [&](const InFlight& f) { return f.phase() == fsp::kPhaseMsg3 && seen++ == 0; };
  arm_rekey(net, a, b);
  Traffic t;
  t.run(net, a, b, 15'000, 100);
  net.run_for(100);
  EXPECT_EQ(a.sm.counters().rekey_msg3_resent, 1u);
  EXPECT_EQ(b.sm.counters().rekey_cutovers, 1u);
  expect_exactly_once(b.delivered, 0, t.next_ab);
  expect_exactly_once(a.delivered, 0, t.next_ba);
}

TEST(FspSessionRekey, UnansweredRekeyExpiresAndIsRetried) {
  SessionNet net;
  SNode& a = net.add(only_forced());
  SNode& b = net.add(only_forced());
  establish(net, a, b);
  net.drop = [&](const InFlight& f) { return is_rekey_setup(f, net); };
  arm_rekey(net, a, b);
  Traffic t;
  t.run(net, a, b, 34'000, 200);
  EXPECT_GE(a.sm.counters().rekey_setup_resent, 4u);
  EXPECT_EQ(a.sm.counters().rekey_initiator_expired, 1u);
  EXPECT_EQ(a.sm.counters().rekey_initiated, 2u);  // retried on the next tick
  net.drop = nullptr;
  t.run(net, a, b, 8'000, 200);
  net.run_for(100);
  EXPECT_EQ(a.sm.counters().rekey_cutovers, 1u);
  expect_exactly_once(b.delivered, 0, t.next_ab);
  expect_exactly_once(a.delivered, 0, t.next_ba);
}

TEST(FspSessionRekey, PeerArmedHandshakeExpires) {
  SessionNet net;
  SNode& a = net.add(only_forced());
  SNode& b = net.add(only_forced());
  establish(net, a, b);
  // A's side disappears after B armed: drop everything A sends but data.
  net.drop = [&](const InFlight& f) { return f.from == a.addr() && f.phase() == fsp::kPhaseMsg3; };
  arm_rekey(net, a, b);
  net.run_for(1'100);
  EXPECT_TRUE(b.entry(a.addr())->rekey_hs.has_value());
  a.sm.tear_down(b.addr(), a.acts);  // stop A's msg3 resends
  net.execute(a);
  net.run_for(31'000);
  EXPECT_EQ(b.sm.counters().rekey_expired, 1u);
  EXPECT_FALSE(b.entry(a.addr())->rekey_hs.has_value());
  EXPECT_TRUE(b.sm.is_established(a.addr()));  // the running session survives
}

TEST(FspSessionRekey, ForgedRekeyMessagesChangeNothing) {
  SessionNet net;
  SNode& a = net.add(only_forced());
  SNode& b = net.add(only_forced());
  establish(net, a, b);
  // A forged SessionAck while A's rekey is in flight: rolled back.
  net.drop = [&](const InFlight& f) { return f.phase() == fsp::kPhaseMsg2; };
  arm_rekey(net, a, b);
  net.run_for(1'000);
  ASSERT_TRUE(a.entry(b.addr())->rekey_hs.has_value());
  Coords c = {b.addr()};
  std::array<uint8_t, kXkMsg2Size> junk{};
  junk[0] = 0x02;
  fsp::SessionAck fake{fsp::coords_view(c), fsp::coords_view(c), junk};
  std::vector<uint8_t> bytes(fsp::session_ack_wire_size(fake));
  Writer w{MutByteSpan(bytes)};
  ASSERT_TRUE(fsp::encode_session_ack(w, fake).ok());
  InFlight f;
  f.from = b.addr();
  f.to = a.addr();
  f.bytes = bytes;
  net.deliver(f);
  EXPECT_EQ(a.sm.counters().ack_handshake_failed, 1u);
  EXPECT_TRUE(a.entry(b.addr())->rekey_hs.has_value());
  net.drop = nullptr;
  Traffic t;
  t.run(net, a, b, 6'000, 100);
  EXPECT_EQ(a.sm.counters().rekey_cutovers, 1u);

  // A SessionSetup claiming A's address from an impostor C: B arms (the
  // setup authenticates nothing), then C's msg3 carries the wrong static key.
  SNode& c_node = net.add();
  HandshakeState hs = HandshakeState::xk_initiator(c_node.id, b.id.compressed(), Epoch{});
  std::array<uint8_t, kXkMsg1Size> m1{};
  ASSERT_TRUE(hs.write_message(m1).ok());
  Coords ac = {a.addr()};
  fsp::SessionSetup setup{0, fsp::coords_view(ac), fsp::coords_view(ac), m1};
  std::vector<uint8_t> sb(fsp::session_setup_wire_size(setup));
  Writer ws{MutByteSpan(sb)};
  ASSERT_TRUE(fsp::encode_session_setup(ws, setup).ok());
  net.now += 31'000;  // past A's rekey dampening at B? not needed: B is responder-only
  const size_t sent_before = b.sent_raw.size();
  InFlight fs;
  fs.from = a.addr();
  fs.to = b.addr();
  fs.bytes = sb;
  net.drop = [&](const InFlight& x) { return x.to == a.addr() && x.phase() == fsp::kPhaseMsg2; };
  net.deliver(fs);
  EXPECT_EQ(b.sm.counters().rekey_armed, 2u);
  ASSERT_EQ(b.sent_raw.size(), sent_before + 1);
  auto ack = fsp::decode_session_ack(b.sent_raw.back());
  ASSERT_TRUE(ack.ok());
  ASSERT_TRUE(hs.read_message(ack->handshake).ok());
  std::array<uint8_t, kXkMsg3Size> m3{};
  ASSERT_TRUE(hs.write_message(m3).ok());
  std::vector<uint8_t> m3b(fsp::kSessionMsg3WireSize);
  Writer w3{MutByteSpan(m3b)};
  ASSERT_TRUE(fsp::encode_session_msg3(w3, {m3}).ok());
  InFlight f3;
  f3.from = a.addr();
  f3.to = b.addr();
  f3.bytes = m3b;
  net.deliver(f3);
  EXPECT_EQ(b.sm.counters().rekey_key_mismatch, 1u);
  EXPECT_FALSE(b.entry(a.addr())->rekey_hs.has_value());
  EXPECT_TRUE(b.entry(a.addr())->pending == nullptr);
  net.drop = nullptr;
  a.delivered.clear();
  b.delivered.clear();
  Traffic t2;
  t2.run(net, a, b, 1'000, 100);
  net.run_for(100);
  expect_exactly_once(b.delivered, 0, t2.next_ab);
  expect_exactly_once(a.delivered, 0, t2.next_ba);
}

TEST(FspSessionRekey, SetupWhilePendingIsRefused) {
  SessionNet net;
  SNode& a = net.add(only_forced());
  SNode& b = net.add(only_forced());
  establish(net, a, b);
  arm_rekey(net, a, b);
  net.run_for(1'050);  // setup, ack, msg3 done; A waits 2 s to cut over
  ASSERT_TRUE(b.entry(a.addr())->pending != nullptr);
  // A second rekey from A (forced by hand) meets B's pending session.
  HandshakeState hs = HandshakeState::xk_initiator(a.id, b.id.compressed(), Epoch{});
  std::array<uint8_t, kXkMsg1Size> m1{};
  ASSERT_TRUE(hs.write_message(m1).ok());
  Coords ac = {a.addr()};
  fsp::SessionSetup setup{0, fsp::coords_view(ac), fsp::coords_view(ac), m1};
  std::vector<uint8_t> sb(fsp::session_setup_wire_size(setup));
  Writer ws{MutByteSpan(sb)};
  ASSERT_TRUE(fsp::encode_session_setup(ws, setup).ok());
  InFlight f;
  f.from = a.addr();
  f.to = b.addr();
  f.bytes = sb;
  net.deliver(f);
  EXPECT_EQ(b.sm.counters().rekey_pending, 1u);
  net.deliver(f);  // not armed, so not a duplicate either
  EXPECT_EQ(b.sm.counters().rekey_pending, 2u);
}

// §20.4 / §8.3(a): a non-adjacent peer restarts and initiates toward us; our
// side takes it as a rekey and converges without losing its packets.
TEST(FspSessionRekey, RestartedPeerInitiatingConvergesAsRekey) {
  SessionNet net;
  SNode& a = net.add(only_forced());
  SNode* b = &net.add(only_forced());
  establish(net, a, *b);
  Traffic t;
  t.run(net, a, *b, 2'000, 100);
  // B restarts: same identity, fresh state and epoch.
  Identity bid = b->id.clone();
  const NodeAddr baddr = b->addr();
  for (auto& n : net.nodes)
    if (n.get() == b) n = std::make_unique<SNode>(net, std::move(bid), only_forced(), 77);
  b = net.find(baddr);
  b->env.self_coords = {baddr};
  ASSERT_FALSE(b->sm.state_of(a.addr()));
  for (uint32_t i = 0; i < 5; ++i) net.app_send(*b, a.peer(), payload_of(1000 + i));
  net.run_for(200);
  EXPECT_EQ(a.sm.counters().rekey_armed, 1u);
  EXPECT_EQ(a.sm.counters().rekey_cutovers, 1u);  // promoted on B's first frame
  ASSERT_GE(a.delivered.size(), 5u);
  for (uint32_t i = 0; i < 5; ++i) EXPECT_EQ(seq_of(a.delivered[a.delivered.size() - 5 + i].payload), 1000 + i);
  const size_t before = b->delivered.size();
  for (uint32_t i = 0; i < 5; ++i) net.app_send(a, b->peer(), payload_of(2000 + i));
  net.run_for(100);
  ASSERT_EQ(b->delivered.size(), before + 5);
  EXPECT_EQ(seq_of(b->delivered.back().payload), 2004u);
}

TEST(FspSessionRekey, RestartedPeerWhoseSetupIsResentGetsTheSameAck) {
  SessionNet net;
  SNode& a = net.add(only_forced());
  SNode* b = &net.add(only_forced());
  establish(net, a, *b);
  net.latency = 1000;  // B resends its setup before the ack is back
  Identity bid = b->id.clone();
  const NodeAddr baddr = b->addr();
  for (auto& n : net.nodes)
    if (n.get() == b) n = std::make_unique<SNode>(net, std::move(bid), only_forced(), 78);
  b = net.find(baddr);
  b->env.self_coords = {baddr};
  net.app_send(*b, a.peer(), payload_of(1));
  net.run_for(6'000);
  EXPECT_EQ(a.sm.counters().rekey_ack_resent, 1u);
  EXPECT_EQ(a.sm.counters().rekey_armed, 1u);
  EXPECT_TRUE(b->sm.is_established(a.addr()));
  ASSERT_FALSE(a.delivered.empty());
  EXPECT_EQ(seq_of(a.delivered.back().payload), 1u);
  net.app_send(a, b->peer(), payload_of(9));
  net.run_for(2'100);
  ASSERT_FALSE(b->delivered.empty());
  EXPECT_EQ(seq_of(b->delivered.back().payload), 9u);
}

}  // namespace
}  // namespace fips::fsptest
