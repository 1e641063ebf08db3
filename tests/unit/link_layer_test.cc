// FMP link layer in-process tests: handshake, loss and resend, restart
// detection, crossed dials, rekey under traffic, drain, dead timeout and
// reconnect, roaming, replay/forgery, malformed input.
#include "link_harness.h"

namespace fips {
namespace {

using test::LinkNet;
using test::LinkNode;

uint64_t drops(LinkNode& n, LinkDrop d) { return n.link->counters().get(d); }

// A starts a rekey once its session is 35 s old; B never starts one (it only
// answers), so who initiates is known.
struct RekeyingPair {
  LinkConfig a, b;
  RekeyingPair() {
    a.rekey_after_ms = 35'000;
    a.rekey_jitter_ms = 0;
    b.rekey_after_ms = 10'000'000;
  }
};

// Hands `bytes` to n's link layer as a datagram from `from`.
void inject(LinkNet& net, LinkNode& n, const std::vector<uint8_t>& bytes, const TransportAddr& from) {
  PacketBuf pkt = n.pool.acquire();
  ASSERT_TRUE(pkt.push_back(bytes.size()));
  std::memcpy(pkt.data(), bytes.data(), bytes.size());
  n.link->on_packet(1, from, std::move(pkt), net.now);
}

TEST(LinkLayer, HandshakeCompletesAndCarriesMessages) {
  LinkNet net;
  LinkNode& a = net.add();
  LinkNode& b = net.add();
  net.connect(a, b);
  net.run_for(100);
  ASSERT_TRUE(net.linked(a, b));
  EXPECT_EQ(a.ups.size(), 1u);
  EXPECT_EQ(b.ups.size(), 1u);
  Peer* pa = a.link->find_peer(b.id.node_addr());
  ASSERT_TRUE(pa);
  EXPECT_TRUE(pa->outbound);
  EXPECT_FALSE(b.link->find_peer(a.id.node_addr())->outbound);
  for (uint64_t i = 0; i < 50; ++i) {
    ASSERT_TRUE(a.send_seq(b.id.node_addr(), i));
    ASSERT_TRUE(b.send_seq(a.id.node_addr(), 1000 + i));
  }
  net.run_for(50);
  ASSERT_EQ(b.received.size(), 50u);
  ASSERT_EQ(a.received.size(), 50u);
  for (uint64_t i = 0; i < 50; ++i) {
    EXPECT_EQ(b.received[i].second, i);
    EXPECT_EQ(a.received[i].second, 1000 + i);
  }
}

TEST(LinkLayer, Msg1AndMsg2LossRecoveredByResend) {
  LinkNet net;
  LinkNode& a = net.add();
  LinkNode& b = net.add();
  int msg1_seen = 0, msg2_seen = 0;
  net.hook = [&](const TransportAddr&, const TransportAddr&, PacketBuf& p) {
    if (p.data()[0] == 0x01 && ++msg1_seen == 1) return false;  // lose the first msg1
    if (p.data()[0] == 0x02 && ++msg2_seen == 1) return false;  // and the first msg2
    return true;
  };
  net.connect(a, b);
  net.run_for(500);
  EXPECT_FALSE(net.linked(a, b));
  net.run_for(5000);  // resends at ~1 s and ~3 s
  ASSERT_TRUE(net.linked(a, b));
  EXPECT_GE(msg1_seen, 3);
  // The second msg1 was a byte-identical retransmission: answered without DH.
  EXPECT_GE(drops(b, LinkDrop::kMsg1Duplicate), 1u);
  EXPECT_EQ(b.ups.size(), 1u);
}

TEST(LinkLayer, RestartDetectedByEpoch) {
  LinkNet net;
  LinkNode& a = net.add();
  LinkNode& b = net.add();
  net.connect(a, b);
  net.run_for(100);
  ASSERT_TRUE(net.linked(a, b));
  // B restarts: new epoch, same identity, and dials A again.
  b.restart(42);
  net.connect(b, a);
  net.run_for(200);
  ASSERT_TRUE(net.linked(a, b));
  // A keeps the old link until B's first frame under the new keys proves the
  // restart (a replayed msg1 of an earlier run must not replace it), then
  // replaces it at once (peer down then up), not after 30 s.
  EXPECT_TRUE(a.downs.empty());
  ASSERT_TRUE(b.send_seq(a.id.node_addr(), 7));
  net.run_for(20);
  EXPECT_EQ(a.downs.size(), 1u);
  EXPECT_EQ(a.ups.size(), 2u);
  ASSERT_FALSE(a.received.empty());
  EXPECT_EQ(a.received.back().second, 7u);
}

// Issue 15 (1): a captured msg1 replayed from another address, after the
// link is old enough to rekey, changes nothing: no new keys, no gap.
TEST(LinkLayer, ReplayedMsg1NeverMovesALiveLink) {
  LinkNet net;
  LinkNode& a = net.add();
  LinkNode& b = net.add();
  std::vector<uint8_t> captured;
  net.hook = [&](const TransportAddr&, const TransportAddr&, PacketBuf& p) {
    if (p.data()[0] == 0x01 && captured.empty()) captured.assign(p.data(), p.data() + p.size());
    return true;
  };
  net.connect(a, b);
  net.run_for(100);
  ASSERT_TRUE(net.linked(a, b));
  ASSERT_EQ(captured.size(), fmp::kMsg1WireSize);
  const TransportAddr attacker = TransportAddr::synthetic(99);
  auto replay = [&] { inject(net, b, captured, attacker); };
  uint64_t seq = 0;
  auto ping_both = [&] {
    const size_t ra = a.received.size(), rb = b.received.size();
    ASSERT_TRUE(a.send_seq(b.id.node_addr(), seq));
    ASSERT_TRUE(b.send_seq(a.id.node_addr(), seq));
    ++seq;
    net.run_for(20);
    ASSERT_EQ(b.received.size(), rb + 1);
    ASSERT_EQ(a.received.size(), ra + 1);
  };
  net.run_for(31'000);  // past rekey_min_session_age: a replay looks like a rekey
  const uint32_t b_index = b.link->find_peer(a.id.node_addr())->current->our_index;
  for (int i = 0; i < 5; ++i) {
    replay();
    ping_both();
    net.run_for(2'000);  // ticks that used to cut over
    ping_both();
  }
  // The capture is still A's latest msg1 to B, so it cannot be told from a
  // retransmission: it is answered with the same msg2 (useless to anyone
  // without A's ephemeral key) and changes nothing.
  EXPECT_EQ(b.link->counters().get(LinkDrop::kMsg1Duplicate) +
                b.link->counters().get(LinkDrop::kMsg1Replay),
            5u);
  EXPECT_EQ(b.link->find_peer(a.id.node_addr())->current->our_index, b_index);
  EXPECT_FALSE(b.link->find_peer(a.id.node_addr())->pending);
  EXPECT_EQ(b.link->counters().rekeys_completed, 0u);
  EXPECT_TRUE(a.downs.empty() && b.downs.empty());
}

// After a rekey the captured first msg1 is no longer the peer's latest: it
// is recognised as a replay before any Diffie-Hellman and dropped unanswered.
TEST(LinkLayer, ReplayedMsg1FromBeforeARekeyIsDropped) {
  const RekeyingPair cfg;
  LinkNet net;
  LinkNode& a = net.add(cfg.a);
  LinkNode& b = net.add(cfg.b);
  std::vector<uint8_t> captured;
  net.hook = [&](const TransportAddr&, const TransportAddr&, PacketBuf& p) {
    if (p.data()[0] == 0x01 && captured.empty()) captured.assign(p.data(), p.data() + p.size());
    return true;
  };
  net.connect(a, b);
  net.run_for(40'000);  // link up, then A's rekey at 35 s
  ASSERT_TRUE(a.send_seq(b.id.node_addr(), 1));  // A's first frame under the new keys
  net.run_for(20);
  ASSERT_TRUE(net.linked(a, b));
  ASSERT_GE(b.link->counters().rekeys_completed, 1u)
      << "a rekeys " << a.link->counters().rekeys_completed << " b pending "
      << (b.link->find_peer(a.id.node_addr())->pending != nullptr) << " b msg1 dup "
      << b.link->counters().get(LinkDrop::kMsg1Duplicate) << " pend "
      << b.link->counters().get(LinkDrop::kMsg1PendingSession);
  const uint64_t sent_before = net.sent;
  inject(net, b, captured, TransportAddr::synthetic(99));
  EXPECT_EQ(b.link->counters().get(LinkDrop::kMsg1Replay), 1u);
  EXPECT_EQ(net.sent, sent_before);  // nothing answered
  EXPECT_FALSE(b.link->find_peer(a.id.node_addr())->pending);
}

// A replay older than the memory of answered ephemerals still never moves
// the link: keys from a msg1 answered on a live link are used only after the
// peer's first frame under them, and expire unused. Here A starts a real
// rekey whose msg2 never arrives, so B holds keys A never uses (what a
// forgotten replay leaves behind).
TEST(LinkLayer, UnprovenRekeyKeysExpireWithoutCutover) {
  const RekeyingPair cfg;
  LinkNet net;
  LinkNode& a = net.add(cfg.a);
  LinkNode& b = net.add(cfg.b);
  net.connect(a, b);
  net.run_for(100);
  ASSERT_TRUE(net.linked(a, b));
  net.hook = [&](const TransportAddr&, const TransportAddr&, PacketBuf& p) {
    return p.data()[0] != 0x02;  // every msg2 is lost
  };
  net.run_for(37'000);
  Peer* pb = b.link->find_peer(a.id.node_addr());
  ASSERT_TRUE(pb);
  ASSERT_TRUE(pb->pending);
  EXPECT_TRUE(pb->pending->unproven);
  const uint32_t b_index = pb->current->our_index;
  for (uint64_t i = 0; i < 3; ++i) {  // traffic keeps flowing on the old keys
    ASSERT_TRUE(a.send_seq(b.id.node_addr(), i));
    ASSERT_TRUE(b.send_seq(a.id.node_addr(), i));
    net.run_for(20);
  }
  EXPECT_EQ(b.received.size(), 3u);
  EXPECT_EQ(a.received.size(), 3u);
  net.run_for(31'000);
  pb = b.link->find_peer(a.id.node_addr());
  ASSERT_TRUE(pb);
  EXPECT_EQ(pb->current->our_index, b_index);
  EXPECT_GE(b.link->counters().unproven_handshakes_expired, 1u);
  EXPECT_EQ(b.link->counters().rekeys_completed, 0u);
  EXPECT_TRUE(a.downs.empty() && b.downs.empty());
}

TEST(LinkLayer, SimultaneousDialConvergesOnOneSession) {
  for (int round = 0; round < 5; ++round) {
    LinkNet net(100 + round);
    LinkNode& a = net.add();
    LinkNode& b = net.add();
    net.connect(a, b);
    net.connect(b, a);  // both msg1s are in flight at once
    net.run_for(100);
    ASSERT_TRUE(net.linked(a, b));
    // After resolution both sides use the same session: traffic flows both ways.
    for (uint64_t i = 0; i < 10; ++i) {
      ASSERT_TRUE(a.send_seq(b.id.node_addr(), i));
      ASSERT_TRUE(b.send_seq(a.id.node_addr(), i));
    }
    net.run_for(50);
    EXPECT_EQ(a.received.size(), 10u) << "round " << round;
    EXPECT_EQ(b.received.size(), 10u) << "round " << round;
    Peer* pa = a.link->find_peer(b.id.node_addr());
    Peer* pb = b.link->find_peer(a.id.node_addr());
    EXPECT_EQ(pa->current->our_index, pb->current->their_index);
    EXPECT_EQ(pb->current->our_index, pa->current->their_index);
    EXPECT_EQ(a.link->pending_count(), 0u);
    EXPECT_EQ(b.link->pending_count(), 0u);
  }
}

TEST(LinkLayer, RekeyUnderTrafficLosesAndDuplicatesNothing) {
  LinkConfig cfg;
  cfg.rekey_after_ms = 40'000;
  cfg.rekey_jitter_ms = 5'000;
  LinkNet net;
  LinkNode& a = net.add(cfg);
  LinkNode& b = net.add(cfg);
  net.connect(a, b);
  net.run_for(100);
  ASSERT_TRUE(net.linked(a, b));
  uint64_t seq_a = 0, seq_b = 0;
  net.on_step = [&] {  // a frame each way every 5 ms
    if (a.send_seq(b.id.node_addr(), seq_a)) ++seq_a;
    if (b.send_seq(a.id.node_addr(), seq_b)) ++seq_b;
  };
  net.run_for(200'000);
  net.on_step = nullptr;
  net.run_for(100);
  const uint64_t rekeys = a.link->counters().rekeys_completed + b.link->counters().rekeys_completed;
  EXPECT_GE(rekeys, 6u);  // ~4 rekeys, counted on both sides
  ASSERT_EQ(b.received.size(), seq_a);
  ASSERT_EQ(a.received.size(), seq_b);
  for (uint64_t i = 0; i < seq_a; ++i) ASSERT_EQ(b.received[i].second, i);
  for (uint64_t i = 0; i < seq_b; ++i) ASSERT_EQ(a.received[i].second, i);
  EXPECT_EQ(drops(a, LinkDrop::kDecryptFailed) + drops(b, LinkDrop::kDecryptFailed), 0u);
  EXPECT_EQ(a.ups.size(), 1u);  // never torn down
  EXPECT_TRUE(a.downs.empty() && b.downs.empty());
}

TEST(LinkLayer, DrainWindowAcceptsLateOldKeyFramesThenStops) {
  LinkConfig cfg;
  cfg.rekey_after_ms = 40'000;
  cfg.rekey_jitter_ms = 0;
  LinkNet net;
  LinkNode& a = net.add(cfg);
  LinkNode& b = net.add(cfg);
  net.connect(a, b);
  net.run_for(100);
  // Capture frames A sends just before the rekey, deliver them late.
  std::vector<PacketBuf> held;
  net.run_for(39'000);
  for (uint64_t i = 0; i < 4; ++i) ASSERT_TRUE(a.send_seq(b.id.node_addr(), 500 + i));
  while (!net.wire.empty()) {  // pull A's frames off the wire
    held.push_back(std::move(net.wire.back().pkt));
    net.wire.pop_back();
  }
  const uint64_t rekeys_before = b.link->counters().rekeys_completed;
  net.run_for(4'000);
  ASSERT_GT(b.link->counters().rekeys_completed, rekeys_before);
  // 2 frames arrive inside the drain window: accepted.
  for (int i = 0; i < 2; ++i)
    b.link->on_packet(1, a.addr, std::move(held[static_cast<size_t>(i)]), net.now);
  EXPECT_EQ(b.received.size(), 2u);
  // After the window, old-key frames match no session.
  net.run_for(12'000);
  const uint64_t unknown = drops(b, LinkDrop::kUnknownIndex);
  b.link->on_packet(1, a.addr, std::move(held[2]), net.now);
  EXPECT_EQ(drops(b, LinkDrop::kUnknownIndex), unknown + 1);
  EXPECT_EQ(b.received.size(), 2u);
}

TEST(LinkLayer, DeadTimeoutThenAutoReconnect) {
  LinkNet net;
  LinkNode& a = net.add();
  LinkNode& b = net.add();
  net.connect(a, b);
  net.run_for(100);
  ASSERT_TRUE(net.linked(a, b));
  bool cut = true;
  net.hook = [&](const TransportAddr&, const TransportAddr&, PacketBuf&) { return !cut; };
  net.run_for(29'000);
  EXPECT_TRUE(a.link->find_peer(b.id.node_addr()));  // not yet
  net.run_for(3'000);
  EXPECT_FALSE(a.link->find_peer(b.id.node_addr()));
  EXPECT_EQ(a.downs.size(), 1u);
  EXPECT_EQ(a.link->counters().peers_removed_dead, 1u);
  cut = false;
  // First reconnect after 5 s +/- jitter; B is still alive and answers.
  net.run_for(40'000);
  ASSERT_TRUE(net.linked(a, b));
  EXPECT_EQ(a.ups.size(), 2u);
}

TEST(LinkLayer, RoamingFollowsAuthenticatedFrames) {
  LinkNet net;
  LinkNode& a = net.add();
  LinkNode& b = net.add();
  net.connect(a, b);
  net.run_for(100);
  // A's address changes (NAT rebinding): B learns it from A's next frame.
  const TransportAddr before = b.link->find_peer(a.id.node_addr())->addr;
  a.addr = TransportAddr::synthetic(77);
  ASSERT_TRUE(a.send_seq(b.id.node_addr(), 1));
  net.run_for(20);
  EXPECT_EQ(b.link->find_peer(a.id.node_addr())->addr, TransportAddr::synthetic(77));
  // The source index behind msg1 admission follows the move.
  const TransportId tid = b.link->find_peer(a.id.node_addr())->tid;
  EXPECT_TRUE(b.link->has_link_at(tid, TransportAddr::synthetic(77)));
  EXPECT_FALSE(b.link->has_link_at(tid, before));
  ASSERT_TRUE(b.send_seq(a.id.node_addr(), 2));
  net.run_for(20);
  ASSERT_EQ(a.received.size(), 1u);
  // A forged frame from a third address does not move it.
  PacketBuf junk = a.pool.acquire();
  ASSERT_TRUE(junk.push_back(64));
  std::memset(junk.data(), 0, 64);
  store_u16le(junk.data() + 2, 32);
  store_u32le(junk.data() + 4, b.link->find_peer(a.id.node_addr())->current->our_index);
  b.link->on_packet(1, TransportAddr::synthetic(99), std::move(junk), net.now);
  EXPECT_EQ(b.link->find_peer(a.id.node_addr())->addr, TransportAddr::synthetic(77));
  EXPECT_FALSE(b.link->has_link_at(tid, TransportAddr::synthetic(99)));
  // Gone with the link.
  ASSERT_TRUE(b.link->disconnect(a.id.node_addr(), fmp::DisconnectReason::kShutdown, net.now));
  EXPECT_FALSE(b.link->has_link_at(tid, TransportAddr::synthetic(77)));
}

TEST(LinkLayer, ReplayedAndForgedFramesDoNotMoveTheWindow) {
  LinkNet net;
  LinkNode& a = net.add();
  LinkNode& b = net.add();
  net.connect(a, b);
  net.run_for(100);
  std::vector<uint8_t> captured;
  net.hook = [&](const TransportAddr& from, const TransportAddr&, PacketBuf& p) {
    if (from == a.addr && p.data()[0] == 0x00 && captured.empty())
      captured.assign(p.data(), p.data() + p.size());
    return true;
  };
  ASSERT_TRUE(a.send_seq(b.id.node_addr(), 1));
  net.run_for(20);
  ASSERT_FALSE(captured.empty());
  Peer* pb = b.link->find_peer(a.id.node_addr());
  const uint64_t highest = pb->current->keys.replay().highest();
  auto inject = [&](std::vector<uint8_t> bytes) {
    PacketBuf buf = b.pool.acquire();
    ASSERT_TRUE(buf.push_back(bytes.size()));
    std::memcpy(buf.data(), bytes.data(), bytes.size());
    b.link->on_packet(1, a.addr, std::move(buf), net.now);
  };
  inject(captured);  // replay
  EXPECT_EQ(drops(b, LinkDrop::kReplay), 1u);
  // Forged: a far-future counter with a bad tag. Must not advance the window.
  auto forged = captured;
  store_u64le(forged.data() + 8, highest + 100000);
  inject(forged);
  EXPECT_EQ(drops(b, LinkDrop::kDecryptFailed), 1u);
  EXPECT_EQ(pb->current->keys.replay().highest(), highest);
  // Tampered ciphertext byte with the genuine counter+1: also refused.
  auto tampered = captured;
  tampered[20] ^= 1;
  store_u64le(tampered.data() + 8, highest + 1);
  inject(tampered);
  EXPECT_EQ(drops(b, LinkDrop::kDecryptFailed), 2u);
  EXPECT_EQ(pb->current->keys.replay().highest(), highest);
  EXPECT_EQ(b.received.size(), 1u);
  // The link still works.
  ASSERT_TRUE(a.send_seq(b.id.node_addr(), 2));
  net.run_for(20);
  EXPECT_EQ(b.received.size(), 2u);
}

TEST(LinkLayer, MalformedPacketsAreCountedAndChangeNothing) {
  LinkNet net;
  LinkNode& a = net.add();
  LinkNode& b = net.add();
  net.connect(a, b);
  net.run_for(100);
  Peer* pb = b.link->find_peer(a.id.node_addr());
  const uint32_t idx = pb->current->our_index;
  auto inject = [&](std::vector<uint8_t> bytes) {
    PacketBuf buf = b.pool.acquire();
    ASSERT_TRUE(buf.push_back(bytes.size()));
    if (!bytes.empty()) std::memcpy(buf.data(), bytes.data(), bytes.size());
    b.link->on_packet(1, a.addr, std::move(buf), net.now);
  };
  struct Case {
    std::vector<uint8_t> bytes;
    LinkDrop expect;
  };
  std::vector<uint8_t> frame(48, 0);
  store_u16le(frame.data() + 2, 16);
  store_u32le(frame.data() + 4, idx);
  // Flag bits 0xF8 are no longer a drop reason (LinkLayer.UnknownFlagBits...):
  // with an all-zero tag this frame fails decryption like `frame` below.
  auto bad_flags = frame;
  bad_flags[1] = 0x80;
  auto bad_len = frame;
  store_u16le(bad_len.data() + 2, 17);
  auto unknown_idx = frame;
  store_u32le(unknown_idx.data() + 4, idx ^ 0xdeadbeef);
  std::vector<uint8_t> msg1(114, 0);
  msg1[0] = 0x01;
  store_u16le(msg1.data() + 2, 110);
  auto msg1_flags = msg1;
  msg1_flags[1] = 1;
  std::vector<uint8_t> msg2(69, 0);
  msg2[0] = 0x02;
  store_u16le(msg2.data() + 2, 65);
  std::vector<Case> cases = {
      {{}, LinkDrop::kTooShort},
      {{0x00, 0x00, 0x00}, LinkDrop::kTooShort},
      {{0x10, 0, 0, 0}, LinkDrop::kBadVersion},
      {{0x05, 0, 0, 0}, LinkDrop::kBadPhase},
      {bad_len, LinkDrop::kPayloadLenMismatch},
      {bad_flags, LinkDrop::kDecryptFailed},
      {std::vector<uint8_t>(frame.begin(), frame.begin() + 31), LinkDrop::kMalformedFrame},
      {unknown_idx, LinkDrop::kUnknownIndex},
      {frame, LinkDrop::kDecryptFailed},
      {msg1, LinkDrop::kMsg1NoiseFailed},  // all-zero ephemeral: not a point
      {msg1_flags, LinkDrop::kMsg1Malformed},
      {msg2, LinkDrop::kMsg2UnknownIndex},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const uint64_t before = drops(b, cases[i].expect);
    inject(cases[i].bytes);
    EXPECT_EQ(drops(b, cases[i].expect), before + 1) << "case " << i;
  }
  // Nothing changed: same peer, same session, no new peers or handshakes.
  EXPECT_EQ(b.link->find_peer(a.id.node_addr()), pb);
  EXPECT_EQ(pb->current->our_index, idx);
  EXPECT_EQ(b.link->peer_count(), 1u);
  EXPECT_EQ(b.link->pending_count(), 0u);
  EXPECT_EQ(b.downs.size(), 0u);
  ASSERT_TRUE(a.send_seq(b.id.node_addr(), 9));
  net.run_for(20);
  EXPECT_EQ(b.received.size(), 1u);
}

TEST(LinkLayer, DecryptFailureThresholdTearsDownAndReconnects) {
  LinkNet net;
  LinkNode& a = net.add();
  LinkNode& b = net.add();
  net.connect(a, b);
  net.run_for(100);
  Peer* pb = b.link->find_peer(a.id.node_addr());
  for (uint32_t i = 0; i < 20; ++i) {
    std::vector<uint8_t> frame(48, 0);
    store_u16le(frame.data() + 2, 16);
    store_u32le(frame.data() + 4, pb->current->our_index);
    store_u64le(frame.data() + 8, 1000 + i);
    PacketBuf buf = b.pool.acquire();
    ASSERT_TRUE(buf.push_back(frame.size()));
    std::memcpy(buf.data(), frame.data(), frame.size());
    b.link->on_packet(1, a.addr, std::move(buf), net.now);
  }
  EXPECT_FALSE(b.link->find_peer(a.id.node_addr()));
  EXPECT_EQ(b.link->counters().peers_removed_decrypt, 1u);
}

TEST(LinkLayer, DisconnectIsSentAndHonoured) {
  LinkNet net;
  LinkNode& a = net.add();
  LinkNode& b = net.add();
  net.connect(a, b);
  net.run_for(100);
  ASSERT_TRUE(a.link->disconnect(b.id.node_addr(), fmp::DisconnectReason::kConfigurationChange, net.now));
  net.run_for(50);
  EXPECT_FALSE(a.link->find_peer(b.id.node_addr()));
  EXPECT_FALSE(b.link->find_peer(a.id.node_addr()));
  EXPECT_EQ(b.link->counters().disconnects_received, 1u);
  // A disconnected on purpose: it does not redial.
  net.run_for(60'000);
  EXPECT_FALSE(net.linked(a, b));
}

// Accepted and ignored, as the reference (docs/interop.md): established
// flag bits 0xF8 (EncryptedHeader::parse reads K, CE, SP), bytes after a
// Disconnect's reason (Disconnect::decode reads one byte) and a heartbeat
// body (dispatch treats 0x51 as a no-op).
TEST(LinkLayer, UnknownFlagBitsAndTrailingBytesAreIgnored) {
  LinkNet net;
  LinkNode& a = net.add();
  LinkNode& b = net.add();
  net.connect(a, b);
  net.run_for(100);
  ASSERT_TRUE(net.linked(a, b));
  Peer* pa = a.link->find_peer(b.id.node_addr());
  ASSERT_TRUE(pa);
  uint8_t msg[9] = {0x00};
  store_u64le(msg + 1, 77);
  ASSERT_TRUE(a.link->send_message_bytes(*pa, msg, net.now, 0xF8));
  const uint8_t hb[] = {0x51, 0xAA, 0xBB};
  ASSERT_TRUE(a.link->send_message_bytes(*pa, hb, net.now, 0x08));
  net.run_for(20);
  ASSERT_EQ(b.received.size(), 1u);
  EXPECT_EQ(b.received[0].second, 77u);
  EXPECT_EQ(b.link->counters().get(LinkDrop::kMalformedFrame), 0u);
  EXPECT_EQ(b.link->counters().get(LinkDrop::kMalformedMessage), 0u);
  EXPECT_EQ(b.link->counters().get(LinkDrop::kDecryptFailed), 0u);
  // A Disconnect padded after its reason byte still removes the peer.
  const uint8_t bye[] = {0x50, 0x06, 0xEE, 0xEE, 0xEE};
  ASSERT_TRUE(a.link->send_message_bytes(*pa, bye, net.now));
  net.run_for(20);
  EXPECT_EQ(b.link->counters().disconnects_received, 1u);
  EXPECT_FALSE(b.link->find_peer(a.id.node_addr()));
}

TEST(LinkLayer, ShutdownSendsDisconnectToEveryPeer) {
  LinkNet net;
  LinkNode& a = net.add();
  LinkNode& b = net.add();
  LinkNode& c = net.add();
  net.connect(a, b);
  net.connect(a, c);
  net.run_for(100);
  ASSERT_EQ(a.link->peer_count(), 2u);
  a.link->shutdown(net.now);
  net.run_for(50);
  EXPECT_EQ(a.link->counters().disconnects_sent, 2u);
  EXPECT_EQ(b.link->counters().disconnects_received, 1u);
  EXPECT_EQ(c.link->counters().disconnects_received, 1u);
}

TEST(LinkLayer, HandshakeTimeoutRetriesWithBackoff) {
  LinkNet net;
  LinkNode& a = net.add();
  LinkNode& b = net.add();
  b.accept_inbound = false;  // B ignores strangers: A's dials all time out
  net.connect(a, b);
  net.run_for(120'000);
  EXPECT_FALSE(net.linked(a, b));
  const uint64_t attempts_2min = drops(b, LinkDrop::kMsg1Refused);
  // 5 sends per attempt (1 + 4 resends); ~31 s + 10 s backoff per attempt.
  EXPECT_GE(attempts_2min, 10u);
  EXPECT_LE(attempts_2min, 20u);
  b.accept_inbound = true;
  net.run_for(120'000);
  EXPECT_TRUE(net.linked(a, b));
}

// Issue 15 (3): msg1-shaped garbage (no crypto needed to make it) from one
// source address drains only that source's bucket, not the global stranger
// bucket: a newcomer from another address still links at once.
TEST(LinkLayer, GarbageMsg1FromOneSourceDoesNotLockOutNewcomers) {
  LinkNet net;
  LinkNode& hub = net.add();
  LinkNode& newcomer = net.add();
  Rng junk(7);
  std::vector<uint8_t> msg1(fmp::kMsg1WireSize);
  for (int k = 0; k < 5000; ++k) {
    for (auto& b : msg1) b = static_cast<uint8_t>(junk.next());
    msg1[0] = 0x01;  // phase msg1, version 0
    store_u16le(msg1.data() + 2, static_cast<uint16_t>(fmp::kMsg1WireSize - 4));
    inject(net, hub, msg1, TransportAddr::synthetic(90));
  }
  EXPECT_GE(drops(hub, LinkDrop::kMsg1SourceRateLimited), 4990u);
  EXPECT_LE(drops(hub, LinkDrop::kMsg1NoiseFailed) + drops(hub, LinkDrop::kMsg1Malformed), 10u);
  net.connect(newcomer, hub);
  net.run_for(100);
  EXPECT_TRUE(net.linked(newcomer, hub));
}

// Garbage from a thousand sources drains the global stranger bucket, but a
// peer the hub itself lists (its msg1 comes from the address the hub dials
// it at) is admitted from the expected bucket.
TEST(LinkLayer, ConfiguredPeerIsAdmittedWhileStrangersDrainTheBucket) {
  LinkNet net;
  LinkNode& hub = net.add();
  LinkNode& friend_node = net.add();
  net.connect(hub, friend_node);  // the hub lists it...
  net.hook = [&](const TransportAddr& from, const TransportAddr&, PacketBuf& p) {
    return !(from == hub.addr && p.data()[0] == 0x01);  // ...but its own dials are lost
  };
  Rng junk(8);
  std::vector<uint8_t> msg1(fmp::kMsg1WireSize);
  for (uint64_t src = 0; src < 1000; ++src) {
    for (auto& b : msg1) b = static_cast<uint8_t>(junk.next());
    msg1[0] = 0x01;
    store_u16le(msg1.data() + 2, static_cast<uint16_t>(fmp::kMsg1WireSize - 4));
    inject(net, hub, msg1, TransportAddr::synthetic(1000 + src));
  }
  EXPECT_GE(drops(hub, LinkDrop::kMsg1RateLimited), 800u);  // the global bucket is dry
  net.connect(friend_node, hub);
  net.run_for(100);
  EXPECT_TRUE(net.linked(friend_node, hub));
}

// Issue 15 (2): at max_peers a configured peer still gets a slot. Dialled
// by it or dialling it, the hub disconnects the stranger with the oldest
// useful traffic, and never refuses the msg2 answering its own dial.
TEST(LinkLayer, ConfiguredPeersTakeSlotsFromStrangersAtMaxPeers) {
  for (bool hub_dials : {false, true}) {
    LinkConfig cfg;
    cfg.max_peers = 2;
    LinkNet net;
    LinkNode& hub = net.add(cfg);
    LinkNode& s1 = net.add();
    LinkNode& s2 = net.add();
    LinkNode& f = net.add();
    net.connect(s1, hub);
    net.run_for(100);
    net.connect(s2, hub);
    net.run_for(100);
    ASSERT_TRUE(net.linked(s1, hub) && net.linked(s2, hub));
    ASSERT_TRUE(s2.send_seq(hub.id.node_addr(), 1));  // s2 carried data; s1 only its handshake
    net.run_for(100);
    if (hub_dials) {
      net.connect(hub, f);  // configured and dialled by the hub itself
    } else {
      // Configured, but the hub's own dials are lost: f dials in.
      net.hook = [&](const TransportAddr& from, const TransportAddr&, PacketBuf& p) {
        return !(from == hub.addr && p.data()[0] == 0x01);
      };
      net.connect(hub, f);
      net.connect(f, hub);
    }
    net.run_for(200);
    EXPECT_TRUE(net.linked(f, hub)) << "hub_dials " << hub_dials;
    EXPECT_EQ(hub.link->counters().strangers_evicted, 1u) << "hub_dials " << hub_dials;
    EXPECT_FALSE(hub.link->find_peer(s1.id.node_addr())) << "hub_dials " << hub_dials;
    EXPECT_TRUE(hub.link->find_peer(s2.id.node_addr())) << "hub_dials " << hub_dials;
    EXPECT_FALSE(net.linked(s1, hub));  // told by a Disconnect, not left believing
    EXPECT_EQ(hub.link->peer_count(), 2u);
  }
}

// Issue 15 (2): a stranger that got our msg2 but never sent a frame (a
// flood of valid msg1s) gives its slot to a newcomer once it has been silent
// for unproven_grace_ms; a stranger that spoke keeps it until it has carried
// only link upkeep (heartbeats) for stranger_idle_ms.
TEST(LinkLayer, StrangerNewcomerTakesTheSlotOfAStrangerThatNeverSpoke) {
  LinkConfig cfg;
  cfg.max_peers = 1;
  LinkNet net;
  LinkNode& hub = net.add(cfg);
  LinkNode& mute = net.add();
  LinkNode& n = net.add();
  // mute's msg1 reaches the hub; nothing it sends afterwards does.
  net.hook = [&](const TransportAddr& from, const TransportAddr&, PacketBuf& p) {
    return !(from == mute.addr && p.data()[0] != 0x01);
  };
  net.connect(mute, hub);
  net.run_for(100);
  ASSERT_TRUE(hub.link->find_peer(mute.id.node_addr()));
  net.connect(n, hub);
  net.run_for(1'500);  // inside the grace: the newcomer waits
  EXPECT_FALSE(net.linked(n, hub));
  EXPECT_GE(drops(hub, LinkDrop::kMsg1AtMaxPeers), 1u);
  net.run_for(3'000);  // n's resend after the grace gets the slot
  EXPECT_TRUE(net.linked(n, hub));
  EXPECT_FALSE(hub.link->find_peer(mute.id.node_addr()));
  EXPECT_EQ(hub.link->counters().unproven_strangers_evicted, 1u);
  EXPECT_EQ(hub.link->counters().strangers_evicted, 0u);
}

TEST(LinkLayer, StrangerThatSpokeKeepsItsSlotUntilIdle) {
  LinkConfig cfg;
  cfg.max_peers = 1;
  LinkNet net;
  LinkNode& hub = net.add(cfg);
  LinkNode& s = net.add();
  LinkNode& n = net.add();
  net.connect(s, hub);
  net.run_for(100);
  ASSERT_TRUE(s.send_seq(hub.id.node_addr(), 1));  // proven and useful once
  net.run_for(100);
  net.connect(n, hub);
  net.run_for(10'000);  // heartbeats flow; s is neither unproven nor idle long enough
  EXPECT_FALSE(net.linked(n, hub));
  EXPECT_TRUE(net.linked(s, hub));
  EXPECT_EQ(hub.link->counters().unproven_strangers_evicted, 0u);
  EXPECT_EQ(hub.link->counters().idle_strangers_evicted, 0u);
  net.run_for(40'000);  // n redials after its handshake times out; s is idle past 30 s
  EXPECT_TRUE(net.linked(n, hub));
  EXPECT_FALSE(hub.link->find_peer(s.id.node_addr()));
  EXPECT_EQ(hub.link->counters().idle_strangers_evicted, 1u);
}

TEST(LinkLayer, MaxPeersRefusesStrangers) {
  LinkConfig cfg;
  cfg.max_peers = 1;
  LinkNet net;
  LinkNode& hub = net.add(cfg);
  LinkNode& x = net.add();
  LinkNode& y = net.add();
  net.connect(x, hub);
  net.run_for(100);
  net.connect(y, hub);
  net.run_for(100);
  EXPECT_TRUE(net.linked(x, hub));
  EXPECT_FALSE(net.linked(y, hub));
  EXPECT_GE(drops(hub, LinkDrop::kMsg1AtMaxPeers), 1u);
}

}  // namespace
}  // namespace fips

namespace fips {
namespace {

TEST(LinkLayerStream, ConnectionCloseRemovesThePeerAndRedials) {
  test::LinkNet net;
  test::LinkNode& a = net.add();
  test::LinkNode& b = net.add();
  net.connect(a, b);
  net.run_for(100);
  ASSERT_TRUE(net.linked(a, b));
  // A's transport reports the connection to B closed (TCP EOF/reset).
  a.link->on_connection_closed(1, b.addr, net.now);
  EXPECT_FALSE(a.link->find_peer(b.id.node_addr()));
  EXPECT_EQ(a.downs.size(), 1u);
  // A configured B: it redials after the first backoff (5 s +/- jitter) and
  // B, which still holds the old link, accepts once that session is 30 s old
  // (the reference's young-session duplicate rule), as a rekey.
  ASSERT_TRUE([&] {
    for (int i = 0; i < 120; ++i) {
      net.run_for(1000);
      if (net.linked(a, b)) return true;
    }
    return false;
  }());
  // An unrelated address changes nothing.
  a.link->on_connection_closed(1, TransportAddr::synthetic(999), net.now);
  EXPECT_TRUE(a.link->find_peer(b.id.node_addr()));
}

}  // namespace
}  // namespace fips

// ---- control connect to a connected peer; address priority (issue 9) ----

namespace fips {
namespace {

using test::LinkNet;
using test::LinkNode;

// Two nodes linked for longer than the 30 s young-session window, so a new
// msg1 from A is answered as a rekey.
void link_and_age(LinkNet& net, LinkNode& a, LinkNode& b) {
  net.connect(a, b);
  net.run_for(35'000);
  ASSERT_TRUE(net.linked(a, b));
}

TEST(LinkLayerConnect, FreshPeerOnTheSamePathIsNotRefreshed) {
  LinkNet net;
  LinkNode& a = net.add();
  LinkNode& b = net.add();
  link_and_age(net, a, b);
  const uint64_t sent = net.sent;
  EXPECT_EQ(a.link->dial(b.id.as_peer(), DialTarget{1, b.addr}, net.now),
            LinkLayer::DialResult::kAlreadyConnected);
  EXPECT_EQ(net.sent, sent);  // nothing was sent
  EXPECT_FALSE(a.link->find_peer(b.id.node_addr())->rekey);
}

TEST(LinkLayerConnect, NewAddressIsProbedAndTheLinkMovesWhenItAnswers) {
  LinkNet net;
  LinkNode& a = net.add();
  LinkNode& b = net.add();
  link_and_age(net, a, b);
  // B is now reachable only at a new address; A's frames to the old one are lost.
  const TransportAddr moved = TransportAddr::synthetic(88);
  b.addr = moved;
  EXPECT_EQ(a.link->dial(b.id.as_peer(), DialTarget{1, moved}, net.now),
            LinkLayer::DialResult::kRefreshed);
  net.run_for(3000);
  Peer* pa = a.link->find_peer(b.id.node_addr());
  ASSERT_TRUE(pa);
  EXPECT_EQ(pa->addr, moved);
  EXPECT_EQ(a.downs.size(), 0u);  // the live link was never torn down
  a.received.clear();
  b.received.clear();
  ASSERT_TRUE(a.send_seq(b.id.node_addr(), 7));
  ASSERT_TRUE(b.send_seq(a.id.node_addr(), 8));
  net.run_for(50);
  ASSERT_EQ(b.received.size(), 1u);
  ASSERT_EQ(a.received.size(), 1u);
  EXPECT_EQ(b.received[0].second, 7u);
  EXPECT_EQ(a.received[0].second, 8u);
}

TEST(LinkLayerConnect, WrongAddressCannotDisplaceAHealthyPath) {
  LinkNet net;
  LinkNode& a = net.add();
  LinkNode& b = net.add();
  LinkNode& c = net.add();  // a different node answers at the probed address
  link_and_age(net, a, b);
  const TransportAddr old = b.addr;
  EXPECT_EQ(a.link->dial(b.id.as_peer(), DialTarget{1, c.addr}, net.now),
            LinkLayer::DialResult::kRefreshed);
  // A second connect while the probe is in flight starts nothing new.
  EXPECT_EQ(a.link->dial(b.id.as_peer(), DialTarget{1, TransportAddr::synthetic(99)}, net.now),
            LinkLayer::DialResult::kAlreadyConnected);
  net.run_for(60'000);  // resends, then the probe is abandoned
  ASSERT_TRUE(net.linked(a, b));
  EXPECT_EQ(a.link->find_peer(b.id.node_addr())->addr, old);
  EXPECT_FALSE(a.link->find_peer(b.id.node_addr())->rekey);
  EXPECT_FALSE(c.link->find_peer(a.id.node_addr()));  // C could not complete A's IK for B
  EXPECT_EQ(a.downs.size(), 0u);
  a.received.clear();
  ASSERT_TRUE(b.send_seq(a.id.node_addr(), 9));
  net.run_for(50);
  EXPECT_EQ(a.received.size(), 1u);
}

TEST(LinkLayerConnect, SilentPeerOnTheSamePathIsRefreshed) {
  LinkNet net;
  LinkNode& a = net.add();
  LinkNode& b = net.add();
  link_and_age(net, a, b);
  // Nothing from B reaches A for 12 s (> max(heartbeat 10 s, 1 s)).
  net.hook = [&](const TransportAddr& from, const TransportAddr&, PacketBuf&) {
    return !(from == b.addr);
  };
  net.run_for(12'000);
  net.hook = nullptr;
  EXPECT_EQ(a.link->dial(b.id.as_peer(), DialTarget{1, b.addr}, net.now),
            LinkLayer::DialResult::kRefreshed);
  net.run_for(3000);
  ASSERT_TRUE(net.linked(a, b));
  EXPECT_EQ(a.link->counters().rekeys_completed, 1u);
}

// Targets are dialled in the order given, at most max_parallel_dials at once:
// the daemon passes them sorted by priority (config/peer_addresses.h), so the
// preferred addresses are the ones tried.
TEST(LinkLayerConnect, FirstTargetsAreDialledFirst) {
  LinkConfig cfg;
  cfg.max_parallel_dials = 2;
  LinkNet net;
  LinkNode& a = net.add(cfg);
  LinkNode& b = net.add();
  std::vector<TransportAddr> firsts;
  net.hook = [&](const TransportAddr& from, const TransportAddr& to, PacketBuf&) {
    if (from == a.addr) firsts.push_back(to);
    return true;
  };
  const TransportAddr dead1 = TransportAddr::synthetic(201), dead2 = TransportAddr::synthetic(202);
  a.link->add_static_peer(b.id.as_peer(), {DialTarget{1, dead1}, DialTarget{1, b.addr}, DialTarget{1, dead2}},
                          true, net.now);
  ASSERT_EQ(firsts.size(), 2u);
  EXPECT_EQ(firsts[0], dead1);
  EXPECT_EQ(firsts[1], b.addr);
  net.run_for(100);
  EXPECT_TRUE(net.linked(a, b));
  for (const TransportAddr& t : firsts) EXPECT_FALSE(t == dead2);
}

}  // namespace
}  // namespace fips
