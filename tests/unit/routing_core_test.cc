// Routing core (docs/spec/lookup-routing.md §5-7, §9.2): next-hop table cases,
// transit decision, route classes, counters, error-signal limiter and
// encoders, coordinate warming.
#include "proto/fsp/signals.h"
#include "proto/fsp/wire.h"
#include "proto/routing/core.h"
#include "routing_test_util.h"
#include "test_util.h"

namespace fips::routing {
namespace {

using test::addr;
using test::coords;
using test::FakePeer;
using test::FakeView;

// Root 1. S = 5 at [5,2,1]; parent 2 at [2,1]; lateral 7 at [7,1]; child 6 at
// [6,5,2,1]. Destination 9 at [9,7,1]: d(S,9) = 4, d(2,9) = 3, d(7,9) = 1,
// d(6,9) = 5.
struct Topo {
  FakeView v{addr(5), coords({5, 2, 1})};
  Coords dc = coords({9, 7, 1});
  CoordsView dv = coords_view_of(dc);
  Topo() {
    v.add(FakePeer{addr(2), true, true, 1.0, coords({2, 1})});
    v.add(FakePeer{addr(7), true, false, 1.0, coords({7, 1})});
    v.add(FakePeer{addr(6), true, true, 1.0, coords({6, 5, 2, 1})});
  }
  NextHop hop(const NodeAddr& d, const CoordsView* c) {
    return find_next_hop(v, RouteDest::of(d), c);
  }
};

TEST(RoutingNextHop, LocalDirectAndCoordsRequired) {
  Topo t;
  EXPECT_EQ(t.hop(addr(5), nullptr).kind, NextHop::Kind::kLocal);
  NextHop h = t.hop(addr(2), nullptr);
  ASSERT_TRUE(h.is_peer());
  EXPECT_EQ(h.peer, addr(2));
  EXPECT_EQ(h.via, HopVia::kDirect);
  EXPECT_EQ(h.peer_index, 0u);
  h = t.hop(addr(9), nullptr);
  EXPECT_EQ(h.kind, NextHop::Kind::kNoRoute);
  EXPECT_EQ(h.reason, NoRouteReason::kCoordsRequired);
  // A direct peer that cannot send is not used directly.
  t.v.get(addr(2)).can_send = false;
  EXPECT_EQ(t.hop(addr(2), nullptr).reason, NoRouteReason::kCoordsRequired);
}

TEST(RoutingNextHop, BloomRankingCostFirstThenDistanceThenAddr) {
  Topo t;
  t.v.get(addr(2)).reach.insert(addr(9));
  t.v.get(addr(7)).reach.insert(addr(9));
  NextHop h = t.hop(addr(9), &t.dv);
  EXPECT_EQ(h.peer, addr(7));  // equal cost: distance 1 beats 3
  EXPECT_EQ(h.via, HopVia::kBloom);
  t.v.get(addr(7)).cost = 2.0;
  EXPECT_EQ(t.hop(addr(9), &t.dv).peer, addr(2));  // cost is the primary key
  t.v.get(addr(7)).cost = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(t.hop(addr(9), &t.dv).peer, addr(2));  // NaN ranks last
  // Equal cost and distance: smaller address.
  t.v.get(addr(7)).cost = 1.0;
  t.v.add(FakePeer{addr(3), true, false, 1.0, coords({3, 7, 1}), {addr(3), addr(9)}});  // d = 2
  t.v.add(FakePeer{addr(4), true, false, 1.0, coords({4, 7, 1}), {addr(4), addr(9)}});  // d = 2
  t.v.get(addr(7)).reach = {addr(7)};
  EXPECT_EQ(t.hop(addr(9), &t.dv).peer, addr(3));
  // A peer that cannot send is skipped.
  t.v.get(addr(3)).can_send = false;
  EXPECT_EQ(t.hop(addr(9), &t.dv).peer, addr(4));
}

TEST(RoutingNextHop, BloomRequiresStrictProgress) {
  Topo t;
  t.v.get(addr(6)).reach.insert(addr(9));  // d = 5 > 4: not a candidate
  // Falls back to greedy: 7 (d 1) over 2 (d 3).
  NextHop h = t.hop(addr(9), &t.dv);
  EXPECT_EQ(h.peer, addr(7));
  EXPECT_EQ(h.via, HopVia::kTree);
  // A peer at equal distance is not progress either.
  Topo u;
  u.v.peers.clear();
  u.v.add(FakePeer{addr(8), true, false, 1.0, coords({8, 2, 1}), {addr(8), addr(9)}});  // d = 4
  h = u.hop(addr(9), &u.dv);
  EXPECT_EQ(h.kind, NextHop::Kind::kNoRoute);
  EXPECT_EQ(h.reason, NoRouteReason::kPathBroken);
}

TEST(RoutingNextHop, GreedySkipsUnsendableAndUnknownCoords) {
  Topo t;
  t.v.get(addr(7)).can_send = false;  // best by distance, but cannot send
  NextHop h = t.hop(addr(9), &t.dv);
  EXPECT_EQ(h.peer, addr(2));
  EXPECT_EQ(h.via, HopVia::kTree);
  t.v.get(addr(2)).coords.clear();  // ancestry unknown: never chosen by distance
  EXPECT_EQ(t.hop(addr(9), &t.dv).reason, NoRouteReason::kPathBroken);
}

TEST(RoutingNextHop, OtherRootIsPathBroken) {
  Topo t;
  const Coords foreign = coords({9, 8});
  const CoordsView fv = coords_view_of(foreign);
  for (auto& p : t.v.peers) p.reach_all = true;
  NextHop h = t.hop(addr(9), &fv);
  EXPECT_EQ(h.kind, NextHop::Kind::kNoRoute);
  EXPECT_EQ(h.reason, NoRouteReason::kPathBroken);
  // Unless a peer sits in the destination's tree (bloom step works across roots).
  t.v.add(FakePeer{addr(11), true, false, 5.0, coords({11, 8}), {addr(11), addr(9)}});
  EXPECT_EQ(t.hop(addr(9), &fv).peer, addr(11));
}

TEST(RoutingNextHop, CacheVariantTouchesOnlyWhenNeeded) {
  Topo t;
  CoordCache cache(10, 1000);
  ASSERT_TRUE(cache.insert(addr(9), t.dc, 0));
  ASSERT_TRUE(cache.insert(addr(2), coords({2, 1}), 0));
  NextHop h = find_next_hop(t.v, RouteDest::of(addr(2)), cache, 500);
  EXPECT_EQ(h.via, HopVia::kDirect);
  EXPECT_EQ(cache.peek(addr(2))->last_used, 0u);  // direct peer: cache not consulted
  h = find_next_hop(t.v, RouteDest::of(addr(9)), cache, 500);
  EXPECT_EQ(h.peer, addr(7));
  EXPECT_EQ(cache.peek(addr(9))->last_used, 500u);
  h = find_next_hop(t.v, RouteDest::of(addr(9)), cache, 1501);  // expired: removed
  EXPECT_EQ(h.reason, NoRouteReason::kCoordsRequired);
  EXPECT_EQ(cache.peek(addr(9)), nullptr);
}

// The raw-byte tree_distance over views equals the generic one in coords.h.
RC_GTEST_PROP(RoutingNextHop, ViewTreeDistanceMatchesCoords, ()) {
  auto gen = [] {
    const auto len = *rc::gen::inRange<size_t>(0, 6);
    Coords c;
    for (size_t i = 0; i < len; ++i) c.push_back(addr(*rc::gen::inRange<uint64_t>(0, 4)));
    return c;
  };
  const Coords a = gen(), b = gen();
  RC_ASSERT(tree_distance(coords_view_of(a), coords_view_of(b)) == tree_distance(a, b));
}

// ------------------------------------------------------------------ transit

std::vector<uint8_t> datagram(uint8_t ttl, uint16_t path_mtu, const NodeAddr& src,
                              const NodeAddr& dest, size_t payload_len) {
  std::vector<uint8_t> payload(payload_len, 0xAB);
  SessionDatagram d{ttl, path_mtu, src, dest, payload};
  return encode_to_vector(session_datagram_wire_size(d),
                          [&](Writer& w) { (void)encode_session_datagram(w, d); });
}

TEST(RoutingTransit, DecisionTable) {
  Topo t;
  t.v.get(addr(7)).mtu = 1280;
  struct Case {
    uint8_t ttl;
    uint64_t dest;
    bool coords;
    size_t payload;
    TransitKind kind;
  };
  // Frame = 36 (header) + payload + 36 (FMP) must fit 1280: payload <= 1208.
  const Case cases[] = {
      {0, 5, false, 10, TransitKind::kDeliver},     {1, 5, false, 10, TransitKind::kDeliver},
      {0, 9, true, 10, TransitKind::kTtlExhausted}, {1, 9, true, 10, TransitKind::kTtlExhausted},
      {2, 9, false, 10, TransitKind::kNoRoute},     {2, 9, true, 1209, TransitKind::kMtuExceeded},
      {2, 9, true, 1208, TransitKind::kForward},    {64, 2, false, 5000, TransitKind::kForward},
  };
  for (const Case& c : cases) {
    auto msg = datagram(c.ttl, 1400, addr(1), addr(c.dest), c.payload);
    auto dg = decode_session_datagram(msg);
    ASSERT_TRUE(dg.ok());
    const TransitDecision d =
        decide_transit(t.v, dg.value(), msg.size(), c.coords ? &t.dv : nullptr);
    EXPECT_EQ(d.kind, c.kind) << int(c.ttl) << " " << c.dest << " " << c.payload;
    if (d.kind == TransitKind::kMtuExceeded) {
      EXPECT_EQ(d.link_mtu, 1280);
      EXPECT_EQ(d.hop.peer, addr(7));
    }
    if (d.kind == TransitKind::kForward) {
      EXPECT_EQ(d.out_ttl, c.ttl - 1);
      // The in-place helper produces the same header.
      ASSERT_TRUE(prepare_forward_in_place(msg, d.link_mtu));
      EXPECT_EQ(peek_ttl(msg), d.out_ttl);
      EXPECT_EQ(peek_path_mtu(msg), d.out_path_mtu);
    }
    if (d.kind == TransitKind::kNoRoute) {
      EXPECT_EQ(d.hop.reason, NoRouteReason::kCoordsRequired);
    }
  }
  // path_mtu = min(incoming, link MTU); unknown link MTU leaves it.
  auto msg = datagram(5, 1400, addr(1), addr(9), 10);
  EXPECT_EQ(decide_transit(t.v, *decode_session_datagram(msg), msg.size(), &t.dv).out_path_mtu,
            1280);
  msg = datagram(5, 1000, addr(1), addr(9), 10);
  EXPECT_EQ(decide_transit(t.v, *decode_session_datagram(msg), msg.size(), &t.dv).out_path_mtu,
            1000);
  msg = datagram(5, 1400, addr(1), addr(2), 10);
  EXPECT_EQ(decide_transit(t.v, *decode_session_datagram(msg), msg.size(), &t.dv).out_path_mtu,
            1400);
}

TEST(RoutingTransit, CacheTouchedOnlyForTtlTwoOrMore) {
  Topo t;
  CoordCache cache(10, 1000);
  ASSERT_TRUE(cache.insert(addr(9), t.dc, 0));
  auto msg = datagram(1, 1400, addr(1), addr(9), 10);
  EXPECT_EQ(decide_transit(t.v, *decode_session_datagram(msg), msg.size(), cache, 700).kind,
            TransitKind::kTtlExhausted);
  EXPECT_EQ(cache.peek(addr(9))->last_used, 0u);
  msg = datagram(2, 1400, addr(1), addr(9), 10);
  EXPECT_EQ(decide_transit(t.v, *decode_session_datagram(msg), msg.size(), cache, 700).kind,
            TransitKind::kForward);
  EXPECT_EQ(cache.peek(addr(9))->last_used, 700u);
}

// ------------------------------------------------------------------ classes

TEST(RoutingClassify, SixClasses) {
  const NodeAddr me = addr(5);
  const Coords mine = coords({5, 2, 1});
  const CoordsView mv = coords_view_of(mine);
  const Coords child = coords({6, 5, 2, 1}), lateral = coords({7, 1}), none;
  const Coords below_child = coords({9, 6, 5, 2, 1}), below_lateral = coords({9, 7, 1});
  const CoordsView bc = coords_view_of(below_child), bl = coords_view_of(below_lateral);
  auto cls = [&](uint64_t dest, uint64_t hop, const CoordsView* dc, const Coords& pc) {
    return classify_forward(addr(dest), addr(hop), me, mv, dc, coords_view_of(pc));
  };
  EXPECT_EQ(cls(6, 6, &bc, child), RouteClass::kDirectPeer);
  EXPECT_EQ(cls(9, 2, &bl, coords({2, 1})), RouteClass::kTreeUp);
  EXPECT_EQ(cls(9, 1, &bl, coords({1})), RouteClass::kTreeUp);
  EXPECT_EQ(cls(9, 6, &bc, child), RouteClass::kTreeDown);
  EXPECT_EQ(cls(9, 6, &bl, child), RouteClass::kTreeDownCross);
  EXPECT_EQ(cls(9, 6, nullptr, child), RouteClass::kTreeDownCross);
  EXPECT_EQ(cls(9, 7, &bl, lateral), RouteClass::kCrosslinkDescend);
  EXPECT_EQ(cls(9, 7, &bc, lateral), RouteClass::kCrosslinkAscend);
  EXPECT_EQ(cls(9, 7, nullptr, none), RouteClass::kCrosslinkAscend);
  EXPECT_STREQ(route_class_name(RouteClass::kTreeDownCross), "tree_down_cross");
}

TEST(RoutingCounters, OutcomesAndBytes) {
  ForwardingCounters c;
  c.on_received(101);
  c.on_outcome(DatagramOutcome::kForwarded, 101);
  c.on_route(RouteClass::kTreeUp);
  c.on_received(30);
  c.on_outcome(DatagramOutcome::kDecodeError, 30);
  c.on_received(50);
  c.on_warm_malformed(50);
  c.on_outcome(DatagramOutcome::kDelivered, 50);
  c.on_originated(77);
  EXPECT_EQ(c.received_packets, 3u);
  EXPECT_EQ(c.received_bytes, 100u + 29 + 49);
  EXPECT_EQ(c.forwarded_bytes, 101u);  // incl. the type byte
  EXPECT_EQ(c.decode_error_bytes, 29u);
  EXPECT_EQ(c.delivered_bytes, 49u);
  EXPECT_EQ(c.warm_malformed_bytes, 49u);
  EXPECT_EQ(c.route_tree_up, 1u);
  EXPECT_EQ(c.originated_bytes, 77u);
  EXPECT_EQ(c.received_packets, c.decode_error_packets + c.ttl_exhausted_packets +
                                    c.delivered_packets + c.drop_no_route_packets +
                                    c.drop_mtu_exceeded_packets + c.drop_send_error_packets +
                                    c.forwarded_packets);
  static_assert(sizeof(ForwardingCounters) == 26 * sizeof(uint64_t));
}

// ------------------------------------------------------------------ signals

TEST(RoutingSignals, LimiterPerDestination100ms) {
  ErrorSignalLimiter lim;
  EXPECT_TRUE(lim.allow(addr(9), 1000));
  EXPECT_FALSE(lim.allow(addr(9), 1099));  // any signal type for dest 9
  EXPECT_TRUE(lim.allow(addr(8), 1099));   // other destination
  EXPECT_TRUE(lim.allow(addr(9), 1100));
  EXPECT_FALSE(lim.allow(addr(9), 1100));
  EXPECT_EQ(lim.suppressed(), 2u);
  lim.tick(1100 + kErrorSignalMaxAgeMs);
  EXPECT_EQ(lim.size(), 0u);
}

TEST(RoutingSignals, NoRouteEncodesPathBrokenOrCoordsRequired) {
  CoordCache cache(10, 1000);
  std::vector<uint8_t> buf(512);
  auto build = [&](uint64_t now) {
    Writer w{MutByteSpan(buf)};
    EXPECT_TRUE(encode_no_route_datagram(w, addr(5), addr(1), addr(9), cache, now, 64).ok());
    return std::vector<uint8_t>(buf.begin(), buf.begin() + static_cast<long>(w.pos()));
  };
  auto msg = build(0);
  auto dg = decode_session_datagram(msg);
  ASSERT_TRUE(dg.ok());
  EXPECT_EQ(dg->ttl, 64);
  EXPECT_EQ(dg->path_mtu, 0xFFFF);
  EXPECT_EQ(dg->src_addr, addr(5));
  EXPECT_EQ(dg->dest_addr, addr(1));
  auto cr = fsp::decode_coords_required(dg->payload);
  ASSERT_TRUE(cr.ok());
  EXPECT_EQ(cr->dest_addr, addr(9));
  EXPECT_EQ(cr->reporter, addr(5));

  ASSERT_TRUE(cache.insert(addr(9), coords({9, 7, 1}), 0));
  msg = build(10);
  dg = decode_session_datagram(msg);
  auto pb = fsp::decode_path_broken(dg->payload);
  ASSERT_TRUE(pb.ok());
  EXPECT_EQ(pb->last_coords.to_owned(), coords({9, 7, 1}));
  EXPECT_EQ(cache.peek(addr(9))->last_used, 0u);  // no touch
  msg = build(1001);                              // expired -> CoordsRequired
  EXPECT_TRUE(fsp::decode_coords_required(decode_session_datagram(msg)->payload).ok());

  Writer w{MutByteSpan(buf)};
  ASSERT_TRUE(encode_mtu_exceeded_datagram(w, addr(5), addr(1), addr(9), 1400, 64).ok());
  auto me = fsp::decode_mtu_exceeded(decode_session_datagram(w.written())->payload);
  ASSERT_TRUE(me.ok());
  EXPECT_EQ(me->mtu, 1400);
  EXPECT_EQ(me->dest_addr, addr(9));
}

// ------------------------------------------------------------------ warming

TEST(RoutingWarm, SessionSetupAckAndCpCoords) {
  CoordCache cache(10, 1000);
  const Coords sc = coords({1, 2}), dc = coords({9, 2});
  std::vector<uint8_t> hs(kXkMsg1Size, 7);
  fsp::SessionSetup s{0, coords_view_of(sc), coords_view_of(dc), hs};
  auto fspb = encode_to_vector(fsp::session_setup_wire_size(s),
                               [&](Writer& w) { (void)fsp::encode_session_setup(w, s); });
  SessionDatagram dg{5, 1400, addr(1), addr(9), fspb};
  EXPECT_TRUE(warm_coords(dg, cache, 10));
  ASSERT_TRUE(cache.get(addr(1), 10));
  EXPECT_EQ(cache.get(addr(1), 10)->to_owned(), sc);
  EXPECT_EQ(cache.get(addr(9), 10)->to_owned(), dc);

  // Encrypted phase-0 with CP: src coords only (dest count 0 = absent).
  const Coords sc2 = coords({3, 2});
  std::vector<uint8_t> ct(6 + fsp::kTagSize, 0);
  auto enc = encode_to_vector(200, [&](Writer& w) {
    (void)fsp::encode_encrypted(w, fsp::kFlagCP, 1, coords_view_of(sc2), CoordsView{}, ct);
  });
  SessionDatagram dg2{5, 1400, addr(3), addr(4), enc};
  EXPECT_TRUE(warm_coords(dg2, cache, 20));
  EXPECT_EQ(cache.get(addr(3), 20)->to_owned(), sc2);
  EXPECT_FALSE(cache.get(addr(4), 20));

  // Malformed CP message: reported, nothing stored.
  std::vector<uint8_t> bad = enc;
  bad.resize(20);
  SessionDatagram dg3{5, 1400, addr(6), addr(4), bad};
  EXPECT_FALSE(warm_coords(dg3, cache, 30));
  EXPECT_FALSE(cache.get(addr(6), 30));
  // Not CP / too short: nothing, not malformed.
  const std::vector<uint8_t> tiny{0x00, 0x00};
  EXPECT_TRUE(warm_coords(SessionDatagram{5, 1400, addr(6), addr(4), tiny}, cache, 30));
}

// Transit warming decodes as leniently as the reference's
// try_warm_coord_cache_ref (docs/interop.md): a SessionSetup / SessionAck
// with unknown flag bits (@fips/core sets 0x04), prefix flags, a wrong
// payload_len or trailing bytes still warms the cache; an encrypted CP
// message warms from its header and coords even with flag bits 0xF8 or a
// ciphertext too short to decrypt (>= 28 bytes in all, as the reference's
// FspEncryptedHeader::parse); coords that do not parse are not cached and
// not counted as warm_malformed.
// A peer forwarding SessionSetups with invented source addresses creates at
// most its share of cache entries once the cache is half full (issue 15,
// attack 5).
TEST(RoutingWarm, OnePeerCreatesAtMostItsShareOfEntries) {
  CoordCache cache(32, 300'000);
  const WarmSource from{addr(200), 16};
  std::vector<uint8_t> hs1(kXkMsg1Size, 7);
  for (uint8_t k = 1; k <= 100; ++k) {
    const Coords sc = coords({k, 2}), dc = coords({150, 2});
    fsp::SessionSetup s{0, coords_view_of(sc), coords_view_of(dc), hs1};
    auto setup = encode_to_vector(fsp::session_setup_wire_size(s),
                                  [&](Writer& w) { (void)fsp::encode_session_setup(w, s); });
    EXPECT_TRUE(warm_coords(SessionDatagram{5, 1400, addr(k), addr(150), setup}, cache, 10, &from));
  }
  EXPECT_EQ(cache.held_via(addr(200)), 16u);
  EXPECT_EQ(cache.size(), 16u);
  EXPECT_GE(cache.counters().share_refused, 84u);
}

TEST(RoutingWarm, LenientLikeTheReference) {
  CoordCache cache(10, 1000);
  const Coords sc = coords({1, 2}), dc = coords({9, 2});
  std::vector<uint8_t> hs1(kXkMsg1Size, 7), hs2(kXkMsg2Size, 8);
  fsp::SessionSetup s{0, coords_view_of(sc), coords_view_of(dc), hs1};
  auto setup = encode_to_vector(fsp::session_setup_wire_size(s),
                                [&](Writer& w) { (void)fsp::encode_session_setup(w, s); });
  setup[1] = 0x80;
  setup[4] = 0x04;
  setup.insert(setup.end(), 5, 0xEE);
  EXPECT_TRUE(warm_coords(SessionDatagram{5, 1400, addr(1), addr(9), setup}, cache, 10));
  ASSERT_TRUE(cache.get(addr(1), 10));
  EXPECT_EQ(cache.get(addr(1), 10)->to_owned(), sc);
  EXPECT_EQ(cache.get(addr(9), 10)->to_owned(), dc);

  const Coords ac = coords({4, 2}), ad = coords({5, 2});
  fsp::SessionAck a{coords_view_of(ac), coords_view_of(ad), hs2};
  auto ack = encode_to_vector(fsp::session_ack_wire_size(a),
                              [&](Writer& w) { (void)fsp::encode_session_ack(w, a); });
  ack[4] = 0x04;
  ack[2] = 0;  // payload_len wrong
  EXPECT_TRUE(warm_coords(SessionDatagram{5, 1400, addr(4), addr(5), ack}, cache, 20));
  EXPECT_EQ(cache.get(addr(4), 20)->to_owned(), coords({4, 2}));
  EXPECT_EQ(cache.get(addr(5), 20)->to_owned(), coords({5, 2}));

  // Encrypted with CP, flag bits 0xF8, and a 0-byte ciphertext after the
  // coords: 12 + 34 + 2 = 48 >= 28 bytes, warmed.
  std::vector<uint8_t> enc = {0x00, fsp::kFlagCP | 0xF8, 0x00, 0x00, 1, 0, 0, 0, 0, 0, 0, 0};
  enc.resize(12 + 34 + 2);
  Writer w{MutByteSpan(enc).subspan(12)};
  write_coords(w, coords({6, 2}));
  w.u16le(0);
  ASSERT_TRUE(w.ok());
  EXPECT_TRUE(warm_coords(SessionDatagram{5, 1400, addr(6), addr(7), enc}, cache, 30));
  EXPECT_EQ(cache.get(addr(6), 30)->to_owned(), coords({6, 2}));
  EXPECT_FALSE(cache.get(addr(7), 30));

  // CP coords whose count runs past the end: not cached, not warm_malformed.
  auto lying = enc;
  lying[12] = 0x40;
  EXPECT_TRUE(warm_coords(SessionDatagram{5, 1400, addr(8), addr(7), lying}, cache, 40));
  EXPECT_FALSE(cache.get(addr(8), 40));
  // U set together with CP: the header is not an encrypted one, counted.
  auto u = enc;
  u[1] = fsp::kFlagCP | fsp::kFlagU;
  EXPECT_FALSE(warm_coords(SessionDatagram{5, 1400, addr(8), addr(7), u}, cache, 40));
}

}  // namespace
}  // namespace fips::routing

namespace fips::routing {
namespace {

// A transit node forwards the FSP payload byte for byte, unknown bits and
// trailing bytes included (the reference re-encodes the envelope around the
// same payload bytes, src/proto/routing/core.rs:154-158): warming reads it,
// the in-place forward edits only TTL and path_mtu (docs/interop.md).
TEST(RoutingWarm, TransitForwardLeavesUnknownBitsInThePayload) {
  CoordCache cache(10, 1000);
  const Coords sc = coords({1, 2}), dc = coords({9, 2});
  std::vector<uint8_t> hs(kXkMsg1Size, 7);
  fsp::SessionSetup s{0, coords_view_of(sc), coords_view_of(dc), hs};
  auto fspb = encode_to_vector(fsp::session_setup_wire_size(s),
                               [&](Writer& w) { (void)fsp::encode_session_setup(w, s); });
  fspb[1] = 0x80;   // prefix flags
  fspb[4] = 0x04;   // @fips/core's setup flag
  fspb.insert(fspb.end(), {0xEE, 0xEE});
  SessionDatagram d{5, 1400, addr(1), addr(9), fspb};
  auto msg = encode_to_vector(kSessionDatagramHeaderSize + fspb.size(),
                              [&](Writer& w) { (void)encode_session_datagram(w, d); });
  auto dg = decode_session_datagram(msg);
  ASSERT_TRUE(dg.ok());
  EXPECT_TRUE(warm_coords(*dg, cache, 10));
  EXPECT_TRUE(cache.get(addr(9), 10));
  ASSERT_TRUE(prepare_forward_in_place(msg, 1280));
  auto out = decode_session_datagram(msg);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->ttl, 4);
  EXPECT_EQ(out->path_mtu, 1280);
  EXPECT_TRUE(std::equal(out->payload.begin(), out->payload.end(), fspb.begin(), fspb.end()));
}

}  // namespace
}  // namespace fips::routing
