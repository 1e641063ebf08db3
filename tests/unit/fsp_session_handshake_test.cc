// FSP session establishment (docs/spec/fsp-ipv6.md §2-§3, §20 scenarios 1-3): fresh XK with
// queued packets on both sides, simultaneous initiation in both address
// orders, lost msg3, handshake resend schedule and timeout, the per-link
// SessionSetup limiter and the session table bound.
#include "fsp_session_harness.h"

namespace fips::fsptest {
namespace {

using fsp::SessionState;

TEST(FspSessionHandshake, FreshXkFlushesQueuesOnAckAndMsg3) {
  SessionNet net;
  SNode& a = net.add();
  SNode& b = net.add();
  for (uint32_t i = 0; i < 3; ++i) net.app_send(a, b.peer(), payload_of(i));
  EXPECT_EQ(a.sm.state_of(b.addr()), SessionState::kInitiating);
  EXPECT_EQ(a.pending.packets(), 3u);
  ASSERT_EQ(a.env.registered.size(), 1u);  // our own initiation registers the identity
  EXPECT_EQ(a.env.registered[0].node_addr(), b.addr());

  net.run_for(10);  // the SessionSetup arrives
  EXPECT_EQ(b.sm.state_of(a.addr()), SessionState::kAwaitingMsg3);
  for (uint32_t i = 10; i < 12; ++i) net.app_send(b, a.peer(), payload_of(i));
  EXPECT_EQ(b.pending.packets(), 2u);  // queued: entry exists, not established
  EXPECT_TRUE(b.env.registered.empty());

  net.run_for(10);  // the ack arrives: A is established and flushes at once
  EXPECT_TRUE(a.sm.is_established(b.addr()));
  EXPECT_EQ(a.count_events(SessionEvent::Kind::kEstablished, b.addr()), 1u);
  EXPECT_EQ(a.pending.packets(), 0u);
  net.run_for(10);  // msg3 then data arrive at B: established, queue flushed
  EXPECT_TRUE(b.sm.is_established(a.addr()));
  EXPECT_EQ(b.count_events(SessionEvent::Kind::kEstablished, a.addr()), 1u);
  ASSERT_EQ(b.env.registered.size(), 1u);  // msg3 taught B the initiator's key
  EXPECT_EQ(b.env.registered[0].node_addr(), a.addr());
  net.run_for(50);

  ASSERT_EQ(b.delivered.size(), 3u);
  for (uint32_t i = 0; i < 3; ++i) {
    EXPECT_EQ(seq_of(b.delivered[i].payload), i);
    EXPECT_EQ(b.delivered[i].dst_port, fsp::kPortIpv6Shim);
  }
  ASSERT_EQ(a.delivered.size(), 2u);
  EXPECT_EQ(seq_of(a.delivered[0].payload), 10u);
  EXPECT_EQ(seq_of(a.delivered[1].payload), 11u);

  // Stats: bytes_sent counts the service payload, bytes_recv the port header too.
  auto sa = a.sm.snapshot(net.now, 5'000'000);
  ASSERT_EQ(sa.size(), 1u);
  EXPECT_TRUE(sa[0].is_initiator);
  EXPECT_EQ(sa[0].packets_sent, 3u);
  EXPECT_EQ(sa[0].bytes_sent, 300u);
  EXPECT_EQ(sa[0].packets_recv, 2u);
  EXPECT_EQ(sa[0].bytes_recv, 208u);
  EXPECT_EQ(sa[0].remote_key, b.id.xonly());
  auto sb = b.sm.snapshot(net.now, 5'000'000);
  EXPECT_FALSE(sb[0].is_initiator);
  EXPECT_EQ(sb[0].remote_key, a.id.xonly());  // the real key once msg3 arrived
  EXPECT_EQ(a.sm.counters().bad_state + b.sm.counters().bad_state, 0u);
}

// @fips/core 0.0.29 (TypeScript) sets bit 0x04 in the flags byte of every
// SessionSetup and SessionAck; the reference reads bits 0x01/0x02 only
// (SessionFlags::from_byte) and never looks at the prefix flags, payload_len
// or bytes after the handshake. A session must come up, and our answers must
// not echo the bits we ignored (docs/interop.md).
TEST(FspSessionHandshake, UnknownFlagBitsAndTrailingBytesInHandshakesAreIgnored) {
  SessionNet net;
  SNode& a = net.add();
  SNode& b = net.add();
  auto mangle = [&] {
    for (InFlight& f : net.wire) {
      const uint8_t phase = f.bytes[0] & 0x0F;
      if (phase < 1 || phase > 3) continue;
      f.bytes[1] |= 0x80;                      // prefix flags
      f.bytes[4] |= 0x04;                      // body flags byte, as @fips/core
      f.bytes.insert(f.bytes.end(), 3, 0xEE);  // payload_len now short by 3
    }
  };
  net.app_send(a, b.peer(), payload_of(0));
  mangle();
  net.run_for(10);  // the SessionSetup arrives at B
  ASSERT_EQ(b.sm.state_of(a.addr()), SessionState::kAwaitingMsg3);
  ASSERT_FALSE(b.sent_raw.empty());
  const std::vector<uint8_t> ack = b.sent_raw.back();
  ASSERT_EQ(ack[0], 0x02);
  EXPECT_EQ(ack[1], 0) << "prefix flags not echoed";
  EXPECT_EQ(ack[4], 0) << "the setup's unknown flag bit is not echoed in the ack";
  EXPECT_EQ(load_u16le(ack.data() + 2), ack.size() - 4);
  mangle();
  net.run_for(10);  // the SessionAck arrives at A
  ASSERT_TRUE(a.sm.is_established(b.addr()));
  auto it = std::find_if(a.sent_raw.rbegin(), a.sent_raw.rend(),
                         [](const std::vector<uint8_t>& m) { return !m.empty() && m[0] == 0x03; });
  ASSERT_NE(it, a.sent_raw.rend());
  const std::vector<uint8_t> m3 = *it;
  EXPECT_EQ(m3[1], 0);
  EXPECT_EQ(m3[4], 0);
  mangle();
  net.run_for(50);  // msg3 and the data arrive at B
  EXPECT_TRUE(b.sm.is_established(a.addr()));
  ASSERT_EQ(b.delivered.size(), 1u);
  EXPECT_EQ(seq_of(b.delivered[0].payload), 0u);
  EXPECT_EQ(a.sm.counters().malformed + b.sm.counters().malformed, 0u);
}

TEST(FspSessionHandshake, AwaitingMsg3ShowsOurOwnKeyAsThePlaceholder) {
  SessionNet net;
  SNode& a = net.add();
  SNode& b = net.add();
  net.drop = [](const InFlight& f) { return f.phase() == fsp::kPhaseMsg2; };
  net.app_send(a, b.peer(), payload_of(1));
  net.run_for(20);
  auto rows = b.sm.snapshot(net.now, 7'000'000);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].state, SessionState::kAwaitingMsg3);
  EXPECT_EQ(rows[0].remote_key, b.id.xonly());  // reference placeholder, reproduced
  EXPECT_EQ(rows[0].last_activity_ms, 7'000'000u - 10);
}

// §20.2: crossing SessionSetups. The smaller address keeps its initiation;
// the larger yields and becomes the responder; its queue drains after msg3.
class FspSimultaneous : public ::testing::TestWithParam<bool> {};

TEST_P(FspSimultaneous, SmallerAddressWinsAndBothQueuesDrain) {
  auto [lo, hi] = ordered_pair();
  SessionNet net;
  // GetParam(): which of the two calls initiate() first (same instant).
  SNode& small = net.add_with(std::move(lo));
  SNode& large = net.add_with(std::move(hi));
  SNode& first = GetParam() ? small : large;
  SNode& second = GetParam() ? large : small;
  net.app_send(first, second.peer(), payload_of(1));
  net.app_send(second, first.peer(), payload_of(2));
  EXPECT_EQ(small.sm.state_of(large.addr()), SessionState::kInitiating);
  EXPECT_EQ(large.sm.state_of(small.addr()), SessionState::kInitiating);

  net.run_for(10);  // both setups arrive
  EXPECT_EQ(small.sm.counters().simultaneous_won, 1u);
  EXPECT_EQ(large.sm.counters().simultaneous_yielded, 1u);
  EXPECT_EQ(small.sm.state_of(large.addr()), SessionState::kInitiating);
  EXPECT_EQ(large.sm.state_of(small.addr()), SessionState::kAwaitingMsg3);
  EXPECT_EQ(large.pending.packets(), 1u);  // kept across the replacement

  net.run_for(100);
  EXPECT_TRUE(small.sm.is_established(large.addr()));
  EXPECT_TRUE(large.sm.is_established(small.addr()));
  ASSERT_EQ(second.delivered.size(), 1u);
  EXPECT_EQ(seq_of(second.delivered[0].payload), 1u);
  ASSERT_EQ(first.delivered.size(), 1u);
  EXPECT_EQ(seq_of(first.delivered[0].payload), 2u);
  EXPECT_TRUE(small.entry(large.addr())->is_initiator);
  EXPECT_FALSE(large.entry(small.addr())->is_initiator);
  net.run_for(40'000);  // no stray resend or timeout afterwards
  EXPECT_TRUE(small.sm.is_established(large.addr()));
  EXPECT_TRUE(large.sm.is_established(small.addr()));
  EXPECT_EQ(small.sm.counters().handshake_timeouts + large.sm.counters().handshake_timeouts, 0u);
}

INSTANTIATE_TEST_SUITE_P(BothOrders, FspSimultaneous, ::testing::Bool());

// Resend schedule +1, +3, +7, +15 s; the 5th (+31 s) is pre-empted by the
// timeout (> 30 s), which discards the pending queue.
TEST(FspSessionHandshake, InitiatorResendsThenTimesOut) {
  SessionNet net;
  SNode& a = net.add();
  SNode& b = net.add();
  net.drop = [](const InFlight&) { return true; };
  const uint64_t t0 = net.now;
  net.next_tick = t0 + 1000;
  net.app_send(a, b.peer(), payload_of(1));
  std::vector<uint64_t> sends_at;
  size_t seen = a.sent_raw.size();
  while (net.now < t0 + 40'000) {
    net.run_for(1000, 1000);
    if (a.sent_raw.size() != seen) {
      sends_at.push_back(net.now - t0);
      seen = a.sent_raw.size();
    }
  }
  EXPECT_EQ(sends_at, (std::vector<uint64_t>{1000, 3000, 7000, 15000}));
  ASSERT_EQ(a.sent_raw.size(), 5u);
  for (auto& s : a.sent_raw) EXPECT_EQ(s, a.sent_raw[0]);  // the stored bytes, re-wrapped
  EXPECT_FALSE(a.sm.state_of(b.addr()));
  EXPECT_EQ(a.sm.counters().handshake_resends, 4u);
  EXPECT_EQ(a.sm.counters().handshake_timeouts, 1u);
  ASSERT_EQ(a.count_events(SessionEvent::Kind::kClosed, b.addr()), 1u);
  EXPECT_EQ(a.events.back().reason, SessionEvent::Reason::kHandshakeTimeout);
  EXPECT_EQ(a.pending.packets(), 0u);
  EXPECT_EQ(a.pending.counters().discarded, 1u);
}

TEST(FspSessionHandshake, NoRouteStoresNothing) {
  SessionNet net;
  SNode& a = net.add();
  SNode& b = net.add();
  a.env.no_route[b.addr()] = true;
  SessionActions acts;
  EXPECT_EQ(a.sm.initiate(b.peer(), net.now, acts), fsp::InitiateResult::kNoRoute);
  EXPECT_TRUE(acts.empty());
  EXPECT_FALSE(a.sm.state_of(b.addr()));
  EXPECT_TRUE(a.env.registered.empty());
  EXPECT_EQ(a.sm.initiate(a.peer(), net.now, acts), fsp::InitiateResult::kSelf);
  a.env.no_route.clear();
  EXPECT_EQ(a.sm.initiate(b.peer(), net.now, acts), fsp::InitiateResult::kStarted);
  EXPECT_EQ(a.sm.initiate(b.peer(), net.now, acts), fsp::InitiateResult::kExists);
  EXPECT_EQ(acts.sends.size(), 1u);
}

// §20.3: msg3 lost. The responder resends its ack (x4) and times out at
// 30 s. Ours: the initiator answers each byte-identical ack with its msg3
// again (the reference counts bad_state and never retransmits msg3).
TEST(FspSessionHandshake, LostMsg3AllCopies) {
  SessionNet net;
  SNode& a = net.add();
  SNode& b = net.add();
  net.drop = [](const InFlight& f) { return f.phase() == fsp::kPhaseMsg3; };
  net.app_send(a, b.peer(), payload_of(1));
  net.run_for(100);
  EXPECT_TRUE(a.sm.is_established(b.addr()));
  EXPECT_EQ(b.sm.state_of(a.addr()), SessionState::kAwaitingMsg3);
  EXPECT_EQ(b.sm.counters().bad_state, 1u);  // A's flushed data hit the half-open entry
  net.run_for(31'000);
  EXPECT_EQ(b.sm.counters().handshake_resends, 4u);
  EXPECT_EQ(a.sm.counters().msg3_resent, 4u);
  EXPECT_EQ(a.sm.counters().bad_state, 0u);
  EXPECT_FALSE(b.sm.state_of(a.addr()));
  EXPECT_EQ(b.sm.counters().handshake_timeouts, 1u);
  // A still sends; B has nothing for it now (nor for A's session MMP
  // reports, which A keeps sending: they count as unknown_session too).
  const uint64_t unknown_before = b.sm.counters().unknown_session;
  EXPECT_EQ(net.send_data(a, b.addr(), payload_of(2)), fsp::SealStatus::kOk);
  net.run_for(20);
  EXPECT_GE(b.sm.counters().unknown_session, unknown_before + 1);
  EXPECT_TRUE(b.delivered.empty());
}

TEST(FspSessionHandshake, LostFirstMsg3RecoversOnAckResend) {
  SessionNet net;
  SNode& a = net.add();
  SNode& b = net.add();
  int msg3_seen = 0;
  net.drop = [&](const InFlight& f) { return f.phase() == fsp::kPhaseMsg3 && msg3_seen++ == 0; };
  net.app_send(a, b.peer(), payload_of(1));
  net.run_for(2'100);  // B resends its ack at the first tick >= +1 s
  EXPECT_TRUE(b.sm.is_established(a.addr()));
  EXPECT_EQ(a.sm.counters().msg3_resent, 1u);
  EXPECT_TRUE(a.entry(b.addr())->msg3_retained);  // until B's first frame authenticates
  net.drop = nullptr;
  EXPECT_EQ(net.send_data(a, b.addr(), payload_of(7)), fsp::SealStatus::kOk);
  net.run_for(20);
  ASSERT_FALSE(b.delivered.empty());
  EXPECT_EQ(seq_of(b.delivered.back().payload), 7u);
  EXPECT_EQ(net.send_data(b, a.addr(), payload_of(8)), fsp::SealStatus::kOk);
  net.run_for(20);
  ASSERT_EQ(a.delivered.size(), 1u);
  EXPECT_FALSE(a.entry(b.addr())->msg3_retained);
}

TEST(FspSessionHandshake, ResponderResendsAckAndAnswersDuplicateSetup) {
  SessionNet net;
  SNode& a = net.add();
  SNode& b = net.add();
  net.drop = [](const InFlight& f) { return f.phase() == fsp::kPhaseMsg2; };
  net.app_send(a, b.peer(), payload_of(1));
  net.run_for(1'500);  // A resends its setup at +1 s; B answers with the stored ack
  EXPECT_EQ(b.sm.counters().ack_resent, 1u);
  ASSERT_GE(b.sent_raw.size(), 2u);
  EXPECT_EQ(b.sent_raw[0], b.sent_raw[1]);
  net.drop = nullptr;
  net.run_for(3'000);
  EXPECT_TRUE(a.sm.is_established(b.addr()));
  EXPECT_TRUE(b.sm.is_established(a.addr()));
  ASSERT_EQ(b.delivered.size(), 1u);
}

TEST(FspSessionHandshake, SetupRateLimitIsPerLinkPeer) {
  SessionNet net;
  SNode& b = net.add();
  const NodeAddr link1 = Identity::generate().node_addr();
  const NodeAddr link2 = Identity::generate().node_addr();
  auto fresh_setup = [&](const Identity& from) {
    HandshakeState hs = HandshakeState::xk_initiator(from, b.id.compressed(), Epoch{});
    std::array<uint8_t, kXkMsg1Size> m1{};
    EXPECT_TRUE(hs.write_message(m1).ok());
    Coords c = {from.node_addr()};
    fsp::SessionSetup s{0, fsp::coords_view(c), fsp::coords_view(c), m1};
    std::vector<uint8_t> out(fsp::session_setup_wire_size(s));
    Writer w{MutByteSpan(out)};
    EXPECT_TRUE(fsp::encode_session_setup(w, s).ok());
    return out;
  };
  auto feed = [&](const NodeAddr& src, const NodeAddr& link, const std::vector<uint8_t>& bytes) {
    PacketBuf p = net.pool.acquire();
    EXPECT_TRUE(p.set(64, bytes.size()));
    std::copy(bytes.begin(), bytes.end(), p.data());
    auto r = b.sm.receive(src, link, 1280, p, net.now, b.acts);
    b.acts.clear();
    return r;
  };
  for (int i = 0; i < 64; ++i) {
    Identity x = Identity::generate();
    feed(x.node_addr(), link1, fresh_setup(x));
  }
  EXPECT_EQ(b.sm.size(), 64u);
  EXPECT_EQ(b.sm.counters().setup_rate_limited, 0u);
  Identity y = Identity::generate();
  feed(y.node_addr(), link1, fresh_setup(y));
  EXPECT_EQ(b.sm.counters().setup_rate_limited, 1u);  // burst spent on link1
  EXPECT_EQ(b.sm.size(), 64u);
  feed(y.node_addr(), link2, fresh_setup(y));  // another link has its own bucket
  EXPECT_EQ(b.sm.size(), 65u);
  net.now += 1000;  // 16 tokens/s
  for (int i = 0; i < 16; ++i) {
    Identity x = Identity::generate();
    feed(x.node_addr(), link1, fresh_setup(x));
  }
  EXPECT_EQ(b.sm.counters().setup_rate_limited, 1u);
  Identity z = Identity::generate();
  feed(z.node_addr(), link1, fresh_setup(z));
  EXPECT_EQ(b.sm.counters().setup_rate_limited, 2u);
}

TEST(FspSessionHandshake, TableIsBounded) {
  SessionParams p;
  p.max_sessions = 2;
  SessionNet net;
  SNode& a = net.add(p);
  SNode& b = net.add();
  SNode& c = net.add();
  SNode& d = net.add();
  net.app_send(a, b.peer(), payload_of(1));
  net.app_send(a, c.peer(), payload_of(1));
  EXPECT_EQ(a.sm.initiate(d.peer(), net.now, a.acts), fsp::InitiateResult::kTableFull);
  net.run_for(100);
  net.app_send(d, a.peer(), payload_of(1));  // inbound setup refused too
  net.run_for(100);
  EXPECT_EQ(a.sm.counters().table_full, 2u);
  EXPECT_EQ(a.sm.size(), 2u);
  EXPECT_FALSE(d.sm.is_established(a.addr()));
}

TEST(FspSessionHandshake, InitiateReplacesAwaitingMsg3Entry) {
  SessionNet net;
  SNode& a = net.add();
  SNode& b = net.add();
  net.drop = [](const InFlight& f) { return f.phase() == fsp::kPhaseMsg2; };
  net.app_send(a, b.peer(), payload_of(1));
  net.run_for(20);
  ASSERT_EQ(b.sm.state_of(a.addr()), SessionState::kAwaitingMsg3);
  EXPECT_EQ(b.sm.initiate(a.peer(), net.now, b.acts), fsp::InitiateResult::kStarted);
  net.execute(b);
  EXPECT_EQ(b.sm.state_of(a.addr()), SessionState::kInitiating);
}

}  // namespace
}  // namespace fips::fsptest
