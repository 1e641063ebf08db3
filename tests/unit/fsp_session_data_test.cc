// FSP session data path and maintenance (docs/spec/fsp-ipv6.md §4-§6, §8-§9): warmup (CP
// piggyback and standalone CoordsWarmup), reactive re-warm on
// CoordsRequired/PathBroken, PathMtuNotification and MtuExceeded, idle
// timeout, replay rejection, the headroom fallback, and the inbound drop
// table: every row counted, nothing else changes.
#include "fsp_session_harness.h"
#include "proto/fsp/signals.h"

namespace fips::fsptest {
namespace {

using fsp::SessionState;

void establish(SessionNet& net, SNode& a, SNode& b) {
  net.app_send(a, b.peer(), payload_of(0));
  net.run_for(200);
  ASSERT_TRUE(a.sm.is_established(b.addr()));
  ASSERT_TRUE(b.sm.is_established(a.addr()));
}

// Builds an encrypted message from `from` to `to` with the sender's current
// session key (white box), for inner types the manager never sends.
std::vector<uint8_t> seal_raw(SNode& from, const NodeAddr& to, uint8_t type, ByteSpan body,
                              uint8_t inner_flags = 0, uint8_t outer_extra_flags = 0) {
  fsp::SessionEntry* e = from.entry(to);
  const size_t plain = fsp::kInnerHeaderSize + body.size();
  std::vector<uint8_t> out(fsp::kHeaderSize + plain + fsp::kTagSize);
  const uint64_t ctr = *e->current->take_send_counter();
  auto layout = fsp::encode_encrypted_frame(out, 0, ctr, {}, {}, plain);
  EXPECT_TRUE(layout.ok());
  out[1] |= outer_extra_flags;  // before sealing: the byte is in the AAD
  uint8_t* pt = out.data() + fsp::kHeaderSize;
  pt[0] = pt[1] = pt[2] = pt[3] = 0;
  pt[4] = type;
  pt[5] = inner_flags;
  std::copy(body.begin(), body.end(), pt + fsp::kInnerHeaderSize);
  EXPECT_TRUE(e->current->seal_with(ctr, ByteSpan(out.data(), fsp::kHeaderSize), ByteSpan(pt, plain), pt));
  return out;
}

InFlight msg(const NodeAddr& from, const NodeAddr& to, std::vector<uint8_t> bytes, uint16_t mtu = 1280) {
  InFlight f;
  f.from = from;
  f.to = to;
  f.bytes = std::move(bytes);
  f.path_mtu = mtu;
  return f;
}

std::vector<uint8_t> coords_required(const NodeAddr& dest, const NodeAddr& reporter) {
  std::vector<uint8_t> out(fsp::kCoordsRequiredWireSize);
  Writer w{MutByteSpan(out)};
  EXPECT_TRUE(fsp::encode_coords_required(w, {dest, reporter}).ok());
  return out;
}
std::vector<uint8_t> path_broken(const NodeAddr& dest, const NodeAddr& reporter) {
  fsp::PathBroken p{dest, reporter, {}};
  std::vector<uint8_t> out(fsp::path_broken_wire_size(p));
  Writer w{MutByteSpan(out)};
  EXPECT_TRUE(fsp::encode_path_broken(w, p).ok());
  return out;
}
std::vector<uint8_t> mtu_exceeded(const NodeAddr& dest, const NodeAddr& reporter, uint16_t mtu) {
  std::vector<uint8_t> out(fsp::kMtuExceededWireSize);
  Writer w{MutByteSpan(out)};
  EXPECT_TRUE(fsp::encode_mtu_exceeded(w, {dest, reporter, mtu}).ok());
  return out;
}

std::vector<fsp::EncryptedMsg> sent_encrypted(const SNode& n, std::vector<std::vector<uint8_t>>& keep) {
  std::vector<fsp::EncryptedMsg> out;
  keep = n.sent_raw;
  for (auto& b : keep)
    if (b.size() > 1 && (b[0] & 0x0F) == 0 && !(b[1] & fsp::kFlagU))
      if (auto m = fsp::decode_encrypted(b); m.ok()) out.push_back(*m);
  return out;
}

TEST(FspSessionData, WarmupPiggybacksCoordsOnTheFirstPackets) {
  SessionNet net;
  SNode& a = net.add();
  SNode& b = net.add();
  const NodeAddr root = Identity::generate().node_addr();
  a.env.self_coords = {a.addr(), root};
  a.env.coord_cache[b.addr()] = {b.addr(), root};
  for (uint32_t i = 0; i < 7; ++i) net.app_send(a, b.peer(), payload_of(i));
  net.run_for(200);
  std::vector<std::vector<uint8_t>> keep;
  auto enc = sent_encrypted(a, keep);
  ASSERT_EQ(enc.size(), 7u);
  for (size_t i = 0; i < 7; ++i) {
    EXPECT_EQ(enc[i].has_coords(), i < 5) << i;
    EXPECT_EQ(enc[i].header.counter, i);
  }
  EXPECT_EQ(enc[0].src_coords.to_owned(), a.env.self_coords);
  EXPECT_EQ(enc[0].dest_coords.to_owned(), a.env.coord_cache[b.addr()]);
  ASSERT_EQ(b.delivered.size(), 7u);
  EXPECT_EQ(a.sm.snapshot(net.now, 0)[0].coords_warmup_remaining, 0u);
  // The responder warms too, with our own coordinates standing in for an
  // uncached destination.
  net.app_send(b, a.peer(), payload_of(9));
  net.run_for(20);
  std::vector<std::vector<uint8_t>> keep_b;
  auto enc_b = sent_encrypted(b, keep_b);
  ASSERT_EQ(enc_b.size(), 1u);
  ASSERT_TRUE(enc_b[0].has_coords());
  EXPECT_EQ(enc_b[0].dest_coords.to_owned(), b.env.self_coords);
}

TEST(FspSessionData, WarmupSendsStandaloneCoordsWarmupWhenCoordsDoNotFit) {
  SessionNet net;
  SNode& a = net.add();
  SNode& b = net.add();
  a.env.min_transport_mtu = 300;  // 106 + 4 + 18 + 18 + 200 = 346 > 300
  for (uint32_t i = 0; i < 6; ++i) net.app_send(a, b.peer(), payload_of(i, 200));
  net.run_for(200);
  std::vector<std::vector<uint8_t>> keep;
  auto enc = sent_encrypted(a, keep);
  ASSERT_EQ(enc.size(), 11u);  // 5 x (warmup, data) + 1 data
  for (size_t i = 0; i < 10; i += 2) {
    EXPECT_TRUE(enc[i].has_coords()) << i;
    EXPECT_EQ(enc[i].ciphertext.size(), fsp::kInnerHeaderSize + fsp::kTagSize);  // empty body
    EXPECT_FALSE(enc[i + 1].has_coords()) << i;
  }
  EXPECT_FALSE(enc[10].has_coords());
  EXPECT_EQ(a.sm.counters().coords_warmups_sent, 5u);
  ASSERT_EQ(b.delivered.size(), 6u);  // the warmups are consumed silently
  EXPECT_EQ(b.sm.snapshot(net.now, 0)[0].packets_recv, 6u);
}

TEST(FspSessionData, CoordsRequiredRewarmsWithRateLimitedCoordsWarmup) {
  SessionNet net;
  SNode& a = net.add();
  SNode& b = net.add();
  establish(net, a, b);
  for (uint32_t i = 0; i < 5; ++i) net.send_data(a, b.addr(), payload_of(i));
  ASSERT_EQ(a.entry(b.addr())->warmup_remaining, 0u);
  const NodeAddr transit = Identity::generate().node_addr();
  a.events.clear();
  net.deliver(msg(transit, a.addr(), coords_required(b.addr(), transit)));
  EXPECT_EQ(a.sm.counters().coords_required, 1u);
  EXPECT_EQ(a.sm.counters().coords_warmups_sent, 1u);
  EXPECT_EQ(a.entry(b.addr())->warmup_remaining, 5u);
  ASSERT_EQ(a.events.size(), 1u);
  EXPECT_EQ(a.events[0].kind, SessionEvent::Kind::kStartLookup);
  EXPECT_EQ(a.events[0].peer, b.addr());
  net.now += 1'999;
  net.deliver(msg(transit, a.addr(), coords_required(b.addr(), transit)));
  EXPECT_EQ(a.sm.counters().coords_warmups_sent, 1u);  // 2 s per destination
  EXPECT_EQ(a.count_events(SessionEvent::Kind::kStartLookup, b.addr()), 2u);
  net.now += 1;
  net.deliver(msg(transit, a.addr(), coords_required(b.addr(), transit)));
  EXPECT_EQ(a.sm.counters().coords_warmups_sent, 2u);
  net.run_for(50);
  EXPECT_EQ(b.sm.counters().decrypt_failed + b.sm.counters().unknown_msg_type, 0u);
}

TEST(FspSessionData, PathBrokenInvalidatesCoordsAndReleasesPathMtu) {
  SessionNet net;
  SNode& a = net.add();
  SNode& b = net.add();
  establish(net, a, b);
  const NodeAddr transit = Identity::generate().node_addr();
  net.deliver(msg(transit, a.addr(), mtu_exceeded(b.addr(), transit, 1000)));
  ASSERT_EQ(a.sm.path_mtu(b.addr()), 1000);
  a.events.clear();
  net.deliver(msg(transit, a.addr(), path_broken(b.addr(), transit)));
  EXPECT_EQ(a.sm.counters().path_broken, 1u);
  ASSERT_EQ(a.events.size(), 3u);
  EXPECT_EQ(a.events[0].kind, SessionEvent::Kind::kInvalidateCoords);
  EXPECT_EQ(a.events[1].kind, SessionEvent::Kind::kStartLookup);
  EXPECT_EQ(a.events[2].kind, SessionEvent::Kind::kPathMtuReleased);
  EXPECT_EQ(a.sm.path_mtu(b.addr()), 0xFFFF);
  EXPECT_EQ(a.entry(b.addr())->warmup_remaining, 5u);
}

TEST(FspSessionData, SignalAdmissionGate) {
  SessionNet net;
  SNode& a = net.add();
  SNode& b = net.add();
  SNode& c = net.add();
  const NodeAddr t = Identity::generate().node_addr();
  const NodeAddr stranger = Identity::generate().node_addr();
  net.deliver(msg(t, a.addr(), coords_required(stranger, t)));
  EXPECT_EQ(a.sm.counters().unbound_coords, 1u);
  EXPECT_EQ(a.sm.counters().unknown_session, 1u);
  net.deliver(msg(t, a.addr(), path_broken(a.addr(), t)));  // about ourselves: forged
  EXPECT_EQ(a.sm.counters().unbound_broken, 1u);
  EXPECT_EQ(a.sm.counters().unbound_forged, 1u);
  net.deliver(msg(t, a.addr(), mtu_exceeded(t, t, 900)));  // from the destination itself
  EXPECT_EQ(a.sm.counters().unbound_mtu, 1u);
  EXPECT_EQ(a.sm.counters().unbound_forged, 2u);
  EXPECT_TRUE(a.events.empty());
  // An Initiating entry qualifies (we started it), an AwaitingMsg3 one not.
  net.drop = [](const InFlight&) { return true; };
  net.app_send(a, b.peer(), payload_of(1));
  net.drop = nullptr;
  net.deliver(msg(t, a.addr(), coords_required(b.addr(), t)));
  EXPECT_EQ(a.count_events(SessionEvent::Kind::kStartLookup, b.addr()), 1u);
  EXPECT_EQ(a.sm.counters().coords_warmups_sent, 0u);  // not established: nothing sent
  net.drop = [](const InFlight& f) { return f.phase() == fsp::kPhaseMsg2; };
  net.app_send(c, a.peer(), payload_of(1));
  net.run_for(20);
  ASSERT_EQ(a.sm.state_of(c.addr()), SessionState::kAwaitingMsg3);
  net.deliver(msg(t, a.addr(), coords_required(c.addr(), t)));
  EXPECT_EQ(a.sm.counters().unbound_coords, 2u);
}

TEST(FspSessionData, PathMtuNotificationFlow) {
  SessionNet net;
  SNode& a = net.add();
  SNode& b = net.add();
  establish(net, a, b);
  EXPECT_EQ(a.sm.path_mtu(b.addr()), 1280);  // seeded by the first hop's MTU
  net.path_mtu = 1000;
  a.events.clear();
  net.send_data(a, b.addr(), payload_of(1));
  net.run_for(1'100);  // B observes 1000 and notifies at its next tick
  EXPECT_GE(b.sm.counters().path_mtu_notifications_sent, 1u);
  EXPECT_EQ(a.sm.path_mtu(b.addr()), 1000);
  ASSERT_EQ(a.count_events(SessionEvent::Kind::kPathMtuChanged, b.addr()), 1u);
  EXPECT_EQ(a.events.back().mtu, 1000);
  // A higher value needs three notifications spanning two intervals (20 s).
  net.path_mtu = 1200;
  net.send_data(a, b.addr(), payload_of(2));
  net.run_for(15'000);
  EXPECT_EQ(a.sm.path_mtu(b.addr()), 1000);
  net.run_for(10'000);
  EXPECT_EQ(a.sm.path_mtu(b.addr()), 1200);
  EXPECT_EQ(a.count_events(SessionEvent::Kind::kPathMtuChanged, b.addr()), 2u);
  // Notifications keep nothing alive and never carry data.
  EXPECT_EQ(b.sm.snapshot(net.now, 0)[0].packets_recv, 3u);
  // Below the floor: counted, ignored.
  net.path_mtu = 200;
  net.send_data(a, b.addr(), payload_of(3));
  net.run_for(1'100);
  EXPECT_GE(a.sm.counters().path_mtu_notif_below_floor, 1u);
  EXPECT_EQ(a.sm.path_mtu(b.addr()), 1200);
}

TEST(FspSessionData, MtuExceededFromTransitLowersThePathMtu) {
  SessionNet net;
  SNode& a = net.add();
  SNode& b = net.add();
  establish(net, a, b);
  const NodeAddr t = Identity::generate().node_addr();
  a.events.clear();
  net.deliver(msg(t, a.addr(), mtu_exceeded(b.addr(), t, 900)));
  EXPECT_EQ(a.sm.counters().mtu_exceeded, 1u);
  EXPECT_EQ(a.sm.path_mtu(b.addr()), 900);
  ASSERT_EQ(a.events.size(), 1u);
  EXPECT_EQ(a.events[0].kind, SessionEvent::Kind::kPathMtuChanged);
  EXPECT_EQ(a.events[0].mtu, 900);
  net.deliver(msg(t, a.addr(), mtu_exceeded(b.addr(), t, 100)));
  EXPECT_EQ(a.sm.counters().mtu_exceeded_below_floor, 1u);
  EXPECT_EQ(a.sm.path_mtu(b.addr()), 900);
  EXPECT_EQ(a.events.size(), 1u);
}

TEST(FspSessionData, IdleTimeoutIsSilentAndOnlyDataKeepsAlive) {
  SessionNet net;
  SNode& a = net.add();
  SNode& b = net.add();
  SNode& c = net.add();
  establish(net, a, b);
  establish(net, a, c);
  net.path_mtu = 1100;  // keeps PathMtuNotifications flowing: they must not keep the session
  for (int i = 0; i < 4; ++i) {
    net.send_data(a, c.addr(), payload_of(i));
    net.run_for(30'000);
  }
  EXPECT_FALSE(a.sm.state_of(b.addr()));
  EXPECT_FALSE(b.sm.state_of(a.addr()));
  EXPECT_TRUE(a.sm.is_established(c.addr()));
  EXPECT_EQ(a.count_events(SessionEvent::Kind::kClosed, b.addr()), 1u);
  EXPECT_EQ(b.events.back().reason, SessionEvent::Reason::kIdle);
  EXPECT_EQ(a.sm.counters().idle_timeouts, 1u);
}

TEST(FspSessionData, IdleTimeoutZeroDisables) {
  SessionParams p;
  p.idle_timeout_ms = 0;
  SessionNet net;
  SNode& a = net.add(p);
  SNode& b = net.add(p);
  establish(net, a, b);
  net.run_for(200'000, 1'000);
  EXPECT_TRUE(a.sm.is_established(b.addr()));
}

TEST(FspSessionData, ReplayedAndAncientCountersAreRejected) {
  SessionNet net;
  SNode& a = net.add();
  SNode& b = net.add();
  establish(net, a, b);
  const size_t before = b.delivered.size();
  net.send_data(a, b.addr(), payload_of(5));
  const std::vector<uint8_t> copy = a.sent_raw.back();
  net.run_for(20);
  ASSERT_EQ(b.delivered.size(), before + 1);
  net.deliver(msg(a.addr(), b.addr(), copy));
  EXPECT_EQ(b.delivered.size(), before + 1);
  EXPECT_EQ(b.sm.counters().replay, 1u);
  for (int i = 0; i < 2100; ++i) (void)a.entry(b.addr())->current->take_send_counter();
  net.send_data(a, b.addr(), payload_of(6));
  net.run_for(20);
  ASSERT_EQ(b.delivered.size(), before + 2);
  net.deliver(msg(a.addr(), b.addr(), copy));  // below the window now
  EXPECT_EQ(b.sm.counters().replay, 2u);
  EXPECT_EQ(b.delivered.size(), before + 2);
}

TEST(FspSessionData, ShortHeadroomFallsBackToACopy) {
  SessionNet net;
  SNode& a = net.add();
  SNode& b = net.add();
  establish(net, a, b);
  const size_t before = b.delivered.size();
  EXPECT_EQ(net.send_data(a, b.addr(), payload_of(42, 300), fsp::kPortIpv6Shim, 8), fsp::SealStatus::kOk);
  EXPECT_EQ(a.sm.counters().seal_copied, 1u);
  net.send_data(a, b.addr(), payload_of(43, 300));  // enough headroom: in place
  EXPECT_EQ(a.sm.counters().seal_copied, 1u);
  net.run_for(20);
  ASSERT_EQ(b.delivered.size(), before + 2);
  EXPECT_EQ(b.delivered[before].payload, payload_of(42, 300));
  EXPECT_EQ(a.sm.data_headroom(), 12u + 6 + 4 + fsp::kDefaultOuterHeadroom);
}

TEST(FspSessionData, NativePortsAreCarried) {
  SessionNet net;
  SNode& a = net.add();
  SNode& b = net.add();
  establish(net, a, b);
  a.entry(b.addr())->warmup_remaining = 0;
  PacketBuf buf = net.pool.acquire();
  ASSERT_TRUE(buf.set(200, 3));
  buf.data()[0] = 'x';
  buf.data()[1] = 'y';
  buf.data()[2] = 'z';
  ASSERT_EQ(a.sm.seal_data(b.addr(), 7000, 8000, buf, 1280, net.now, a.acts), fsp::SealStatus::kOk);
  EXPECT_TRUE(a.acts.empty());
  EXPECT_EQ(buf.headroom(), 200u - 22);
  auto r = b.sm.receive(a.addr(), a.addr(), 1280, buf, net.now, b.acts);
  ASSERT_EQ(r.outcome, fsp::RxOutcome::kDelivered);
  EXPECT_EQ(r.src_port, 7000);
  EXPECT_EQ(r.dst_port, 8000);
  EXPECT_TRUE(r.flush_pending);
  ASSERT_EQ(buf.size(), 3u);
  EXPECT_EQ(buf.data()[2], 'z');
  EXPECT_EQ(b.sm.remote_identity(a.addr())->node_addr(), a.addr());
  EXPECT_FALSE(b.sm.remote_identity(Identity::generate().node_addr()));
}

// ---- the drop table (spec §4): each row counted, no state change ----

struct Snap {
  std::vector<fsp::SessionSnapshot> rows;
  bool operator==(const Snap& o) const {
    if (rows.size() != o.rows.size()) return false;
    for (size_t i = 0; i < rows.size(); ++i) {
      const auto &x = rows[i], &y = o.rows[i];
      if (!(x.remote == y.remote) || x.state != y.state || x.last_activity_ms != y.last_activity_ms ||
          x.packets_recv != y.packets_recv || x.bytes_recv != y.bytes_recv ||
          x.resend_count != y.resend_count || x.current_k_bit != y.current_k_bit ||
          x.session_start_ms != y.session_start_ms || x.path_mtu != y.path_mtu)
        return false;
    }
    return true;
  }
};

TEST(FspSessionData, EveryDropTableRowIsCountedWithoutStateChange) {
  SessionNet net;
  SNode& a = net.add();
  SNode& b = net.add();
  SNode& init = net.add();   // a is Initiating toward it
  SNode& await = net.add();  // a is AwaitingMsg3 for it
  establish(net, a, b);
  net.drop = [&](const InFlight& f) { return f.from == a.addr() || f.to == a.addr(); };
  net.app_send(a, init.peer(), payload_of(1));
  net.drop = [&](const InFlight& f) { return f.from == a.addr(); };
  net.app_send(await, a.peer(), payload_of(1));
  net.run_for(20);
  net.drop = [](const InFlight&) { return true; };
  ASSERT_EQ(a.sm.state_of(init.addr()), SessionState::kInitiating);
  ASSERT_EQ(a.sm.state_of(await.addr()), SessionState::kAwaitingMsg3);
  const fsp::SessionEntry& ie = *a.entry(init.addr());
  const uint64_t init_next = *ie.next_resend_ms;

  const NodeAddr stranger = Identity::generate().node_addr();
  Coords cc = {stranger};
  std::array<uint8_t, kXkMsg2Size> junk2{};
  junk2[0] = 0x02;
  junk2[1] = 0x55;
  fsp::SessionAck fake_ack{fsp::coords_view(cc), fsp::coords_view(cc), junk2};
  std::vector<uint8_t> ack(fsp::session_ack_wire_size(fake_ack));
  {
    Writer w{MutByteSpan(ack)};
    ASSERT_TRUE(fsp::encode_session_ack(w, fake_ack).ok());
  }
  std::array<uint8_t, kXkMsg3Size> junk3{};
  junk3[0] = 0x03;
  std::vector<uint8_t> m3(fsp::kSessionMsg3WireSize);
  {
    Writer w{MutByteSpan(m3)};
    ASSERT_TRUE(fsp::encode_session_msg3(w, {junk3}).ok());
  }
  std::vector<uint8_t> forged_enc(60, 0);
  forged_enc[2] = 60 - 28;  // payload_len = plaintext size
  std::vector<uint8_t> bad_signal = coords_required(b.addr(), stranger);
  bad_signal[4] = 0x2F;

  struct Row {
    const char* name;
    NodeAddr from;
    std::vector<uint8_t> bytes;
    std::function<uint64_t(const fsp::SessionCounters&)> counter;
  };
  const uint8_t bye = 0;
  std::vector<Row> rows = {
      {"too_short", b.addr(), {0x00, 0x00}, [](auto& c) { return c.too_short; }},
      {"bad_phase", b.addr(), std::vector<uint8_t>(40, 0x04), [](auto& c) { return c.bad_phase; }},
      {"setup_malformed", b.addr(), {0x01, 0, 0, 0, 0}, [](auto& c) { return c.malformed; }},
      {"ack_unknown", stranger, ack, [](auto& c) { return c.unknown_session; }},
      {"ack_bad_state", await.addr(), ack, [](auto& c) { return c.bad_state; }},
      {"ack_established", b.addr(), ack, [](auto& c) { return c.bad_state; }},
      {"ack_forged", init.addr(), ack, [](auto& c) { return c.ack_handshake_failed; }},
      {"msg3_unknown", stranger, m3, [](auto& c) { return c.unknown_session; }},
      {"msg3_bad_state", init.addr(), m3, [](auto& c) { return c.bad_state; }},
      {"msg3_forged", await.addr(), m3, [](auto& c) { return c.msg3_handshake_failed; }},
      {"enc_malformed", b.addr(), std::vector<uint8_t>(20, 0), [](auto& c) { return c.malformed; }},
      {"enc_unknown", stranger, forged_enc, [](auto& c) { return c.unknown_session; }},
      {"enc_bad_state", init.addr(), forged_enc, [](auto& c) { return c.bad_state; }},
      {"enc_forged", b.addr(), forged_enc, [](auto& c) { return c.decrypt_failed; }},
      {"enc_unknown_type", b.addr(), seal_raw(b, a.addr(), 0x1F, ByteSpan(&bye, 1)),
       [](auto& c) { return c.unknown_msg_type; }},
      {"enc_short_data", b.addr(), seal_raw(b, a.addr(), 0x10, ByteSpan(&bye, 1)),
       [](auto& c) { return c.malformed; }},
      {"enc_bad_mtu_body", b.addr(), seal_raw(b, a.addr(), 0x13, ByteSpan(&bye, 1)),
       [](auto& c) { return c.malformed; }},
      {"signal_unknown", stranger, bad_signal, [](auto& c) { return c.unknown_signal; }},
      {"signal_malformed", stranger, {0x00, 0x04, 0x01, 0x00, 0x20}, [](auto& c) { return c.malformed; }},
      {"from_ourselves", a.addr(), ack, [](auto& c) { return c.malformed; }},
  };
  for (Row& r : rows) {
    const Snap before{a.sm.snapshot(net.now, 9'000'000)};
    const uint64_t c0 = r.counter(a.sm.counters());
    const size_t ev0 = a.events.size(), sent0 = a.sent_raw.size(), del0 = a.delivered.size();
    net.deliver(msg(r.from, a.addr(), r.bytes));
    EXPECT_EQ(r.counter(a.sm.counters()), c0 + 1) << r.name;
    EXPECT_TRUE(Snap{a.sm.snapshot(net.now, 9'000'000)} == before) << r.name;
    EXPECT_EQ(a.events.size(), ev0) << r.name;
    EXPECT_EQ(a.sent_raw.size(), sent0) << r.name;
    EXPECT_EQ(a.delivered.size(), del0) << r.name;
  }
  EXPECT_EQ(*a.entry(init.addr())->next_resend_ms, init_next);  // rollback kept the schedule
  EXPECT_EQ(a.entry(init.addr())->resend_count, 0u);
}

// Unknown bits are accepted and ignored (docs/interop.md): outer flag bits
// 0xF8 (reference FspEncryptedHeader::parse reads U, CP, K), inner flag bits
// 0xFE (FspInnerFlags::from_byte reads SP), bytes after a PathMtuNotification
// (PathMtuNotification::decode: require(2)) and a CoordsWarmup body.
TEST(FspSessionData, UnknownFlagBitsAndTrailingBytesAreIgnored) {
  SessionNet net;
  SNode& a = net.add();
  SNode& b = net.add();
  net.app_send(a, b.peer(), payload_of(0));
  net.run_for(100);
  ASSERT_TRUE(a.sm.is_established(b.addr()) && b.sm.is_established(a.addr()));
  const size_t del0 = a.delivered.size();
  const auto data = [](uint8_t tail) {
    std::vector<uint8_t> body = {0x00, 0x01, 0x00, 0x01, 0x61, 0x62, tail};  // ports 256 -> 256
    return body;
  };
  auto d1 = data(1), d2 = data(2), d3 = data(3);
  for (const auto& bytes : {seal_raw(b, a.addr(), 0x10, d1, 0xFE),
                            seal_raw(b, a.addr(), 0x10, d2, 0x00, 0xF8),
                            seal_raw(b, a.addr(), 0x10, d3, 0xFF, 0x08)}) {
    net.deliver(msg(b.addr(), a.addr(), bytes));
  }
  ASSERT_EQ(a.delivered.size(), del0 + 3);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(a.delivered[del0 + i].dst_port, 256);
    EXPECT_EQ(a.delivered[del0 + i].payload, (std::vector<uint8_t>{0x61, 0x62, uint8_t(i + 1)}));
  }
  const uint8_t mtu_padded[] = {0x00, 0x05, 0xEE, 0xEE};  // 1280, then two stray bytes
  const uint64_t mal0 = a.sm.counters().malformed;
  net.deliver(msg(b.addr(), a.addr(), seal_raw(b, a.addr(), 0x13, mtu_padded)));
  const uint8_t warm_body[] = {0x01, 0x02};
  net.deliver(msg(b.addr(), a.addr(), seal_raw(b, a.addr(), 0x14, warm_body)));
  EXPECT_EQ(a.sm.counters().malformed, mal0);
  EXPECT_EQ(a.sm.counters().unknown_msg_type, 0u);
}

TEST(FspSessionData, Msg3WithAnotherKeyThanTheClaimedSourceIsRejected) {
  SessionNet net;
  SNode& a = net.add();
  SNode& mallory = net.add();
  const NodeAddr claimed = Identity::generate().node_addr();
  // Mallory runs XK toward A but claims another node's address.
  HandshakeState hs = HandshakeState::xk_initiator(mallory.id, a.id.compressed(), Epoch{});
  std::array<uint8_t, kXkMsg1Size> m1{};
  ASSERT_TRUE(hs.write_message(m1).ok());
  Coords c = {claimed};
  fsp::SessionSetup setup{0, fsp::coords_view(c), fsp::coords_view(c), m1};
  std::vector<uint8_t> sb(fsp::session_setup_wire_size(setup));
  Writer ws{MutByteSpan(sb)};
  ASSERT_TRUE(fsp::encode_session_setup(ws, setup).ok());
  net.deliver(msg(claimed, a.addr(), sb));
  ASSERT_EQ(a.sm.state_of(claimed), SessionState::kAwaitingMsg3);
  auto ack = fsp::decode_session_ack(a.sent_raw.back());
  ASSERT_TRUE(ack.ok());
  ASSERT_TRUE(hs.read_message(ack->handshake).ok());
  std::array<uint8_t, kXkMsg3Size> m3{};
  ASSERT_TRUE(hs.write_message(m3).ok());
  std::vector<uint8_t> m3b(fsp::kSessionMsg3WireSize);
  Writer w3{MutByteSpan(m3b)};
  ASSERT_TRUE(fsp::encode_session_msg3(w3, {m3}).ok());
  net.deliver(msg(claimed, a.addr(), m3b));
  EXPECT_EQ(a.sm.counters().addr_mismatch, 1u);
  EXPECT_FALSE(a.sm.state_of(claimed));
  EXPECT_TRUE(a.env.registered.empty());  // no identity learned
}

RC_GTEST_PROP(FspSessionData, RandomBytesNeverChangeState, (std::vector<uint8_t> bytes, uint8_t phase)) {
  struct World {
    SessionNet net;
    SNode* a;
    SNode* b;
    World() : a(&net.add()), b(&net.add()) {
      net.app_send(*a, b->peer(), payload_of(0));
      net.run_for(200);
    }
  };
  static World world;
  SessionNet* net = &world.net;
  SNode* a = world.a;
  SNode* b = world.b;
  if (!bytes.empty()) bytes[0] = static_cast<uint8_t>((bytes[0] & 0xF0) | (phase & 0x03));
  const Snap before{a->sm.snapshot(net->now, 1)};
  const size_t n = a->sm.size();
  net->deliver(msg(b->addr(), a->addr(), bytes));
  net->deliver(msg(Identity::generate().node_addr(), a->addr(), bytes));
  RC_ASSERT(a->sm.size() == n);
  RC_ASSERT(Snap{a->sm.snapshot(net->now, 1)} == before);
}

}  // namespace
}  // namespace fips::fsptest
