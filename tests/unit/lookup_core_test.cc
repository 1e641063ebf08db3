// Discovery core (docs/spec/lookup-routing.md §2-3, §9.1): gate, attempt ladder,
// transit dedup / TTL / forwarding set / rate limit, target response, reverse
// path with path_mtu, originator proof checks.
#include <algorithm>
#include <deque>
#include <map>
#include <memory>

#include "proto/lookup/core.h"
#include "routing_test_util.h"
#include "test_util.h"

namespace fips::lookup {
namespace {

using test::addr;
using test::FakePeer;
using test::FakeView;

Identity ident(uint8_t b) {
  return Identity::from_secret(test::secret_of_byte(b));
}

struct TNode {
  Identity id;
  Rng rng;
  FakeView view;
  LookupCore core;
  CoordCache coords{100, 300'000};
  IdentityCache ids{100};
  LookupActions out;

  TNode(uint8_t key, Coords c, LookupParams p = {})
      : id(ident(key)), rng(key), view(id.node_addr(), std::move(c)), core(id, std::move(p), rng) {
    if (view.self_c.empty()) view.self_c = {id.node_addr()};
  }
  const NodeAddr& a() const { return id.node_addr(); }
};

// Decoded copy of every send in `out`.
struct Sent {
  NodeAddr peer;
  std::vector<uint8_t> bytes;
};
std::vector<Sent> sends(const LookupActions& out) {
  std::vector<Sent> v;
  for (const auto& s : out.sends) {
    ByteSpan b = out.bytes(s);
    v.push_back({s.peer, std::vector<uint8_t>(b.begin(), b.end())});
  }
  return v;
}

std::vector<uint8_t> request_bytes(uint64_t id, const NodeAddr& target, const NodeAddr& origin,
                                   uint8_t ttl, Coords oc = {}) {
  if (oc.empty()) oc = {origin};
  LookupRequest r{id, target, origin, ttl, 0, oc};
  return encode_to_vector(lookup_request_wire_size(r),
                          [&](Writer& w) { (void)encode_lookup_request(w, r); });
}

// Message pump over a set of nodes (addresses must be unique).
struct Net {
  std::map<NodeAddr, TNode*> nodes;
  uint64_t now = 0;
  void add(TNode& n) { nodes[n.a()] = &n; }
  void run(TNode& from) {
    std::deque<std::pair<NodeAddr, Sent>> q;
    for (auto& s : sends(from.out)) q.push_back({from.a(), s});
    from.out.sends.clear();
    while (!q.empty()) {
      auto [src, s] = q.front();
      q.pop_front();
      auto it = nodes.find(s.peer);
      if (it == nodes.end()) continue;
      TNode& n = *it->second;
      n.out.clear();
      if (s.bytes[0] == kMsgTypeLookupRequest)
        n.core.on_request(src, s.bytes, n.view, now, n.out);
      else
        n.core.on_response(src, s.bytes, n.view, n.ids, n.coords, now, n.out);
      for (auto& x : sends(n.out)) q.push_back({n.a(), x});
    }
  }
};

// O and X are children of root T. Link MTUs: O->T 1400, T->O 1300,
// T->X 1280, X->T 1500.
struct Chain {
  TNode t{3, {}};
  TNode o{1, {}};
  TNode x{2, {}};
  Net net;
  Chain() {
    t.view.self_c = {t.a()};
    o.view.self_c = {o.a(), t.a()};
    x.view.self_c = {x.a(), t.a()};
    o.view.add(FakePeer{t.a(), true, true, 1.0, t.view.self_c, {t.a(), x.a()}, false, 1400});
    t.view.add(FakePeer{o.a(), true, true, 1.0, o.view.self_c, {o.a()}, false, 1300});
    t.view.add(FakePeer{x.a(), true, true, 1.0, x.view.self_c, {x.a()}, false, 1280});
    x.view.add(FakePeer{t.a(), true, true, 1.0, t.view.self_c, {t.a(), o.a()}, false, 1500});
    o.ids.register_identity(x.id.as_peer(), 0);
    net.add(t);
    net.add(o);
    net.add(x);
  }
};

TEST(LookupCore, EndToEndFoundWithPathMtuAndCachedCoords) {
  Chain c;
  const auto r = c.o.core.initiate(c.x.a(), c.o.view, 0, c.o.out);
  EXPECT_EQ(r.outcome, InitiateOutcome::kSent);
  EXPECT_EQ(r.fanout, 1u);
  ASSERT_EQ(c.o.out.sends.size(), 1u);
  auto req = decode_lookup_request(c.o.out.bytes(c.o.out.sends[0]));
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(req->ttl, kDefaultTtl);
  EXPECT_EQ(req->min_mtu, 0);
  EXPECT_EQ(req->origin, c.o.a());
  EXPECT_EQ(req->origin_coords.to_owned(), c.o.view.self_c);
  c.net.run(c.o);

  EXPECT_EQ(c.t.core.counters().req_forwarded, 1u);
  EXPECT_EQ(c.x.core.counters().req_target_is_us, 1u);
  EXPECT_EQ(c.t.core.counters().resp_forwarded, 1u);
  EXPECT_EQ(c.o.core.counters().resp_accepted, 1u);
  ASSERT_EQ(c.o.out.events.size(), 1u);
  const LookupEvent& ev = c.o.out.events[0];
  EXPECT_EQ(ev.kind, LookupEvent::Kind::kFound);
  EXPECT_EQ(ev.target, c.x.a());
  EXPECT_EQ(ev.coords, c.x.view.self_c);
  EXPECT_EQ(ev.path_mtu, 1300);  // min(X->T 1500, T->O 1300)
  const auto* e = c.o.coords.peek(c.x.a());
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->mtu(), std::optional<uint16_t>(1300));
  EXPECT_FALSE(c.o.core.is_pending(c.x.a()));
}

TEST(LookupCore, TargetAnswersViaCameFromPeerWithSignedProof) {
  Chain c;
  const auto bytes = request_bytes(77, c.x.a(), c.o.a(), 5);
  c.x.core.on_request(c.t.a(), bytes, c.x.view, 0, c.x.out);
  ASSERT_EQ(c.x.out.sends.size(), 1u);
  EXPECT_EQ(c.x.out.sends[0].peer, c.t.a());
  auto resp = decode_lookup_response(c.x.out.bytes(c.x.out.sends[0]));
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->request_id, 77u);
  EXPECT_EQ(resp->path_mtu, 1500);  // target's first hop link MTU
  EXPECT_TRUE(verify_lookup_response(c.x.id.as_peer(), resp.value()));
  EXPECT_FALSE(verify_lookup_response(c.o.id.as_peer(), resp.value()));
}

TEST(LookupCore, TtlZeroAndOne) {
  Chain c;
  // ttl 0 at the target: answered.
  c.x.core.on_request(c.t.a(), request_bytes(1, c.x.a(), c.o.a(), 0), c.x.view, 0, c.x.out);
  EXPECT_EQ(c.x.core.counters().req_target_is_us, 1u);
  EXPECT_EQ(c.x.out.sends.size(), 1u);
  // ttl 0 at a transit node: recorded, not forwarded.
  c.t.core.on_request(c.o.a(), request_bytes(2, c.x.a(), c.o.a(), 0), c.t.view, 0, c.t.out);
  EXPECT_EQ(c.t.core.counters().req_ttl_exhausted, 1u);
  EXPECT_TRUE(c.t.out.sends.empty());
  EXPECT_EQ(c.t.core.recent_count(), 1u);
  // ttl 1 at a transit node: forwarded with ttl 0.
  c.t.core.on_request(c.o.a(), request_bytes(3, c.x.a(), c.o.a(), 1), c.t.view, 0, c.t.out);
  ASSERT_EQ(c.t.out.sends.size(), 1u);
  auto fwd = decode_lookup_request(c.t.out.bytes(c.t.out.sends[0]));
  ASSERT_TRUE(fwd.ok());
  EXPECT_EQ(fwd->ttl, 0);
  EXPECT_EQ(fwd->request_id, 3u);
}

TEST(LookupCore, TransitDedupAndCacheFull) {
  LookupParams p;
  p.recent_capacity = 2;
  TNode t(3, {}, p);
  t.view.add(FakePeer{addr(10), true, true, 1.0, {}, {addr(10), addr(99)}});
  t.view.add(FakePeer{addr(11), true, true, 1.0, {}, {addr(11)}});
  t.core.on_request(addr(11), request_bytes(1, addr(99), addr(50), 5), t.view, 0, t.out);
  t.core.on_request(addr(11), request_bytes(1, addr(99), addr(50), 5), t.view, 0, t.out);
  EXPECT_EQ(t.core.counters().req_duplicate, 1u);
  EXPECT_EQ(t.out.sends.size(), 1u);
  t.core.on_request(addr(11), request_bytes(2, addr(98), addr(50), 5), t.view, 0, t.out);
  t.core.on_request(addr(11), request_bytes(3, addr(97), addr(50), 5), t.view, 0, t.out);
  EXPECT_EQ(t.core.counters().req_dedup_cache_full, 1u);
  EXPECT_EQ(t.core.recent_count(), 2u);
  // After the expiry (strictly > 10 s) the entries are purged on arrival.
  t.core.on_request(addr(11), request_bytes(3, addr(97), addr(50), 5), t.view, 10'000, t.out);
  EXPECT_EQ(t.core.counters().req_dedup_cache_full, 2u);
  t.core.on_request(addr(11), request_bytes(3, addr(97), addr(50), 5), t.view, 10'001, t.out);
  EXPECT_EQ(t.core.counters().req_dedup_cache_full, 2u);
  EXPECT_EQ(t.core.recent_count(), 1u);
  EXPECT_EQ(t.core.counters().req_received, 6u);
}

// Issue 15 (5): one peer flooding LookupRequests with fresh ids may fill an
// idle de-duplication table, but every other peer's request still gets in
// (the flooder's oldest entries make room) and is forwarded; past that the
// flooder is held to its share and counted by name.
TEST(LookupCore, OnePeersFloodFillsOnlyItsShareOfTheDedupTable) {
  LookupParams p;
  p.recent_capacity = 256;
  p.recent_min_share = 16;
  TNode t(3, {}, p);
  for (uint8_t k : {10, 11, 12, 13})
    t.view.add(FakePeer{addr(k), true, true, 1.0, {}, {addr(k), addr(99)}});
  auto req = [&](uint8_t from, uint64_t id, uint64_t now) {  // a fresh origin per id
    t.out.clear();
    NodeAddr origin = addr(static_cast<uint8_t>(50 + id % 100));
    store_u64le(origin.bytes.data() + 8, id);
    t.core.on_request(addr(from), request_bytes(id, addr(99), origin, 5), t.view, now, t.out);
    return !t.out.sends.empty();
  };
  for (uint64_t id = 1; id <= 1000; ++id) (void)req(10, id, 0);
  EXPECT_EQ(t.core.recent_count(), 256u);  // alone, it may use the whole table
  int forwarded = 0;
  for (uint8_t k : {11, 12, 13})
    for (uint64_t i = 0; i < 10; ++i) forwarded += req(k, 10'000 + k * 100 + i, 1);
  EXPECT_EQ(forwarded, 30);  // every other peer's request got in
  EXPECT_EQ(t.core.extra_counters().req_share_evictions, 30u);
  const uint64_t refused = t.core.extra_counters().req_peer_share_exceeded;
  for (uint64_t id = 2000; id < 2100; ++id) EXPECT_FALSE(req(10, id, 2));
  EXPECT_EQ(t.core.extra_counters().req_peer_share_exceeded, refused + 100);  // share 64 now
  ASSERT_EQ(t.core.share_refusals().count(addr(10)), 1u);
  EXPECT_GE(t.core.share_refusals().at(addr(10)), 100u);
  EXPECT_EQ(t.core.recent_count(), 256u);
  // Entries expire like any others and free the shares.
  EXPECT_TRUE(req(10, 6000, 10'002));
  EXPECT_EQ(t.core.recent_count(), 1u);
}

TEST(LookupCore, ForwardingSetTreeThenFallbackExcludingSender) {
  TNode t(3, {});
  const NodeAddr target = addr(99);
  t.view.add(FakePeer{addr(10), true, true, 1.0, {}, {addr(10), target}});    // tree, reaches
  t.view.add(FakePeer{addr(11), true, true, 1.0, {}, {addr(11), target}});    // tree, reaches
  t.view.add(FakePeer{addr(12), true, true, 1.0, {}, {addr(12)}});            // tree, not
  t.view.add(FakePeer{addr(13), false, false, 1.0, {}, {addr(13), target}});  // non-tree
  t.core.on_request(addr(11), request_bytes(1, target, addr(50), 5), t.view, 0, t.out);
  auto s = sends(t.out);
  ASSERT_EQ(s.size(), 1u);  // not back to the sender 11, not to 12, not the non-tree 13
  EXPECT_EQ(s[0].peer, addr(10));

  // Only the sender matches among tree peers: fall back to non-tree peers
  // (cannot-send peers included, as the reference).
  t.out.clear();
  t.core.on_request(addr(10), request_bytes(2, target, addr(51), 5), t.view, 0, t.out);
  s = sends(t.out);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].peer, addr(11));
  t.out.clear();
  t.view.get(addr(11)).reach = {addr(11)};
  t.core.on_request(addr(10), request_bytes(3, target, addr(52), 5), t.view, 0, t.out);
  s = sends(t.out);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].peer, addr(13));
  EXPECT_EQ(t.core.counters().req_fallback_forwarded, 1u);
  // Nobody else: req_no_tree_peer (req_forwarded still counted).
  t.out.clear();
  t.view.get(addr(13)).reach = {addr(13)};
  t.core.on_request(addr(10), request_bytes(4, target, addr(53), 5), t.view, 0, t.out);
  EXPECT_TRUE(t.out.sends.empty());
  EXPECT_EQ(t.core.counters().req_no_tree_peer, 1u);
  EXPECT_EQ(t.core.counters().req_forwarded, 4u);
}

TEST(LookupCore, ForwardRateLimitKeyedByTargetAndOrigin) {
  TNode t(3, {});
  const NodeAddr target = addr(99);
  t.view.add(FakePeer{addr(10), true, true, 1.0, {}, {addr(10), target}});
  t.view.add(FakePeer{addr(11), true, true, 1.0, {}, {addr(11)}});
  t.core.on_request(addr(11), request_bytes(1, target, addr(50), 5), t.view, 0, t.out);
  // Same target + origin, new id, 1 s later (an origin retry): limited.
  t.core.on_request(addr(11), request_bytes(2, target, addr(50), 5), t.view, 1999, t.out);
  EXPECT_EQ(t.core.counters().req_forward_rate_limited, 1u);
  // Another origin for the same target: forwarded (the reference would not).
  t.core.on_request(addr(11), request_bytes(3, target, addr(51), 5), t.view, 1999, t.out);
  // Interval elapsed: forwarded again.
  t.core.on_request(addr(11), request_bytes(4, target, addr(50), 5), t.view, 2000, t.out);
  EXPECT_EQ(t.core.counters().req_forward_rate_limited, 1u);
  EXPECT_EQ(t.core.counters().req_forwarded, 3u);
  EXPECT_EQ(t.out.sends.size(), 3u);
}

TEST(LookupCore, ReversePathForwardsOnceWithMinPathMtu) {
  Chain c;
  c.t.core.on_request(c.o.a(), request_bytes(5, c.x.a(), c.o.a(), 5), c.t.view, 0, c.t.out);
  c.x.core.on_request(c.t.a(), request_bytes(5, c.x.a(), c.o.a(), 4), c.x.view, 0, c.x.out);
  const auto resp = sends(c.x.out)[0].bytes;
  c.t.out.clear();
  c.t.core.on_response(c.x.a(), resp, c.t.view, c.t.ids, c.t.coords, 0, c.t.out);
  ASSERT_EQ(c.t.out.sends.size(), 1u);
  EXPECT_EQ(c.t.out.sends[0].peer, c.o.a());
  auto fwd = decode_lookup_response(c.t.out.bytes(c.t.out.sends[0]));
  ASSERT_TRUE(fwd.ok());
  EXPECT_EQ(fwd->path_mtu, 1300);
  // A lower incoming value wins.
  auto low = resp;
  store_u16le(low.data() + kResponseOffPathMtu, 900);
  // Second response for the same request: dropped.
  c.t.out.clear();
  c.t.core.on_response(c.x.a(), low, c.t.view, c.t.ids, c.t.coords, 0, c.t.out);
  EXPECT_TRUE(c.t.out.sends.empty());
  EXPECT_EQ(c.t.core.extra_counters().resp_already_forwarded, 1u);
  EXPECT_EQ(c.t.core.counters().resp_forwarded, 1u);
  c.t.core.on_request(c.o.a(), request_bytes(6, c.x.a(), c.o.a(), 5), c.t.view, 0, c.t.out);
  store_u16le(low.data() + 1, 6);  // request_id 6 (low byte)
  c.t.out.clear();
  c.t.core.on_response(c.x.a(), low, c.t.view, c.t.ids, c.t.coords, 0, c.t.out);
  ASSERT_EQ(c.t.out.sends.size(), 1u);
  EXPECT_EQ(decode_lookup_response(c.t.out.bytes(c.t.out.sends[0]))->path_mtu, 900);
  // Transit nodes never cache.
  EXPECT_EQ(c.t.coords.size(), 0u);
}

// Response to one of O's pending attempts, built and signed by `signer`.
std::vector<uint8_t> response_for(const Identity& signer, uint64_t id, const NodeAddr& target,
                                  Coords coords, uint16_t mtu = 1400) {
  LookupResponse r;
  r.request_id = id;
  r.target = target;
  r.path_mtu = mtu;
  r.target_coords = std::move(coords);
  if (signer.node_addr() == target)
    EXPECT_TRUE(sign_lookup_response(signer, r));
  else
    r.proof = signer.sign(proof_bytes(id, target, r.target_coords));
  return encode_to_vector(lookup_response_wire_size(r),
                          [&](Writer& w) { (void)encode_lookup_response(w, r); });
}

uint64_t pending_id(const LookupActions& out) {
  return decode_lookup_request(out.bytes(out.sends.back()))->request_id;
}

TEST(LookupCore, OriginatorProofChecks) {
  Chain c;
  ASSERT_EQ(c.o.core.initiate(c.x.a(), c.o.view, 0, c.o.out).outcome, InitiateOutcome::kSent);
  const uint64_t id = pending_id(c.o.out);
  const Coords xc = c.x.view.self_c;
  // Signed by someone else: proof fails.
  c.o.core.on_response(c.t.a(), response_for(c.t.id, id, c.x.a(), xc), c.o.view, c.o.ids,
                       c.o.coords, 0, c.o.out);
  EXPECT_EQ(c.o.core.counters().resp_proof_failed, 1u);
  // Valid signature over other coordinates than those carried: fails.
  auto forged = response_for(c.x.id, id, c.x.a(), xc);
  forged[kResponseOffCoords + 2 + 16] ^= 1;  // flip a bit of the root entry
  c.o.core.on_response(c.t.a(), forged, c.o.view, c.o.ids, c.o.coords, 0, c.o.out);
  EXPECT_EQ(c.o.core.counters().resp_proof_failed, 2u);
  EXPECT_EQ(c.o.coords.size(), 0u);
  EXPECT_TRUE(c.o.core.is_pending(c.x.a()));
  // Unknown identity: counted and dropped, lookup stays pending.
  c.o.ids.remove(c.x.a());
  c.o.core.on_response(c.t.a(), response_for(c.x.id, id, c.x.a(), xc), c.o.view, c.o.ids,
                       c.o.coords, 0, c.o.out);
  EXPECT_EQ(c.o.core.counters().resp_identity_miss, 1u);
  EXPECT_TRUE(c.o.core.is_pending(c.x.a()));
  // Good.
  c.o.ids.register_identity(c.x.id.as_peer(), 0);
  c.o.out.clear();
  c.o.core.on_response(c.t.a(), response_for(c.x.id, id, c.x.a(), xc), c.o.view, c.o.ids,
                       c.o.coords, 0, c.o.out);
  EXPECT_EQ(c.o.core.counters().resp_accepted, 1u);
  EXPECT_EQ(c.o.out.events.size(), 1u);
  EXPECT_EQ(c.o.core.counters().resp_received, 4u);
}

TEST(LookupCore, UnsolicitedResponsesRejected) {
  Chain c;
  // Valid, signed, but for a request_id we never sent.
  c.o.core.on_response(c.t.a(), response_for(c.x.id, 1234, c.x.a(), c.x.view.self_c), c.o.view,
                       c.o.ids, c.o.coords, 0, c.o.out);
  EXPECT_EQ(c.o.core.extra_counters().resp_unsolicited, 1u);
  EXPECT_EQ(c.o.core.counters().resp_accepted, 0u);
  EXPECT_EQ(c.o.coords.size(), 0u);
  // Our id, but another target than the one we asked for.
  Identity other = ident(9);
  c.o.ids.register_identity(other.as_peer(), 0);
  ASSERT_EQ(c.o.core.initiate(c.x.a(), c.o.view, 0, c.o.out).outcome, InitiateOutcome::kSent);
  const uint64_t id = pending_id(c.o.out);
  c.o.core.on_response(c.t.a(), response_for(other, id, other.node_addr(), {other.node_addr()}),
                       c.o.view, c.o.ids, c.o.coords, 0, c.o.out);
  EXPECT_EQ(c.o.core.extra_counters().resp_unsolicited, 2u);
  // After acceptance, a replay of the same response is unsolicited.
  const auto good = response_for(c.x.id, id, c.x.a(), c.x.view.self_c);
  c.o.core.on_response(c.t.a(), good, c.o.view, c.o.ids, c.o.coords, 0, c.o.out);
  c.o.core.on_response(c.t.a(), good, c.o.view, c.o.ids, c.o.coords, 0, c.o.out);
  EXPECT_EQ(c.o.core.counters().resp_accepted, 1u);
  EXPECT_EQ(c.o.core.extra_counters().resp_unsolicited, 3u);
}

TEST(LookupCore, PathMtuBelowFloorCachedWithoutMtu) {
  Chain c;
  ASSERT_EQ(c.o.core.initiate(c.x.a(), c.o.view, 0, c.o.out).outcome, InitiateOutcome::kSent);
  c.o.core.on_response(c.t.a(),
                       response_for(c.x.id, pending_id(c.o.out), c.x.a(), c.x.view.self_c, 255),
                       c.o.view, c.o.ids, c.o.coords, 0, c.o.out);
  ASSERT_EQ(c.o.out.events.size(), 1u);
  EXPECT_TRUE(c.o.out.events[0].path_mtu_below_floor);
  EXPECT_EQ(c.o.core.extra_counters().lookup_resp_mtu_below_floor, 1u);
  ASSERT_NE(c.o.coords.peek(c.x.a()), nullptr);
  EXPECT_FALSE(c.o.coords.peek(c.x.a())->mtu());
}

TEST(LookupCore, OwnRequestLoopingBackIsDropped) {
  Chain c;
  ASSERT_EQ(c.o.core.initiate(c.x.a(), c.o.view, 0, c.o.out).outcome, InitiateOutcome::kSent);
  const auto mine = sends(c.o.out)[0].bytes;
  c.o.out.clear();
  c.o.core.on_request(c.t.a(), mine, c.o.view, 0, c.o.out);
  EXPECT_TRUE(c.o.out.sends.empty());
  EXPECT_EQ(c.o.core.extra_counters().req_own_looped, 1u);
  EXPECT_EQ(c.o.core.recent_count(), 0u);
}

TEST(LookupCore, GateOutcomes) {
  LookupParams p;
  p.backoff_base_ms = 1000;
  p.backoff_max_ms = 3000;
  TNode o(1, {});
  o.view.add(FakePeer{addr(10), true, true, 1.0, {}, {addr(10), addr(90)}});
  o.view.add(FakePeer{addr(11), true, false, 1.0, {}, {addr(11), addr(91)}});  // non-tree
  TNode ob(4, {}, p);
  ob.view = o.view;
  ob.view.self = ob.a();
  ob.view.self_c = {ob.a()};

  EXPECT_EQ(o.core.initiate(o.a(), o.view, 0, o.out).outcome, InitiateOutcome::kSelf);
  EXPECT_EQ(o.core.initiate(addr(90), o.view, 0, o.out).outcome, InitiateOutcome::kSent);
  EXPECT_EQ(o.core.initiate(addr(90), o.view, 0, o.out).outcome, InitiateOutcome::kDeduplicated);
  EXPECT_EQ(o.core.counters().req_deduplicated, 1u);
  EXPECT_EQ(o.core.initiate(addr(92), o.view, 0, o.out).outcome, InitiateOutcome::kBloomMiss);
  EXPECT_EQ(o.core.counters().req_bloom_miss, 1u);
  // Reachable only through a non-tree peer: zero fanout, nothing pending.
  EXPECT_EQ(o.core.initiate(addr(91), o.view, 0, o.out).outcome, InitiateOutcome::kZeroFanout);
  EXPECT_FALSE(o.core.is_pending(addr(91)));
  EXPECT_EQ(o.core.counters().req_initiated, 2u);
  // Default backoff (0/0) never suppresses.
  EXPECT_EQ(o.core.initiate(addr(91), o.view, 1, o.out).outcome, InitiateOutcome::kZeroFanout);

  // With backoff: failure 1 -> 1000 ms, failure 2 -> 2000 ms, then capped at 3000.
  EXPECT_EQ(ob.core.initiate(addr(91), ob.view, 0, ob.out).outcome, InitiateOutcome::kZeroFanout);
  EXPECT_EQ(ob.core.initiate(addr(91), ob.view, 999, ob.out).outcome, InitiateOutcome::kSuppressed);
  EXPECT_EQ(ob.core.initiate(addr(91), ob.view, 1000, ob.out).outcome,
            InitiateOutcome::kZeroFanout);
  EXPECT_TRUE(ob.core.is_suppressed(addr(91), 2999));
  EXPECT_FALSE(ob.core.is_suppressed(addr(91), 3000));
  EXPECT_EQ(ob.core.initiate(addr(91), ob.view, 3000, ob.out).outcome,
            InitiateOutcome::kZeroFanout);
  EXPECT_TRUE(ob.core.is_suppressed(addr(91), 5999));  // 3rd failure: min(4000, 3000)
  EXPECT_FALSE(ob.core.is_suppressed(addr(91), 6000));
  EXPECT_EQ(ob.core.counters().req_backoff_suppressed, 1u);
  ob.core.on_topology_change();
  EXPECT_FALSE(ob.core.is_suppressed(addr(91), 3001));
}

TEST(LookupCore, AttemptLadderWithManualClock) {
  Chain c;
  LookupActions& out = c.o.out;
  ASSERT_EQ(c.o.core.initiate(c.x.a(), c.o.view, 0, out).outcome, InitiateOutcome::kSent);
  std::vector<uint64_t> ids{pending_id(out)};
  struct Step {
    uint64_t now;
    bool sends;
    uint8_t attempt;
  };
  // Retries at >= 1 s, then +2 s, +4 s; unreachable 8 s after the 4th.
  const Step steps[] = {{999, false, 1},  {1000, true, 2}, {2999, false, 2}, {3000, true, 3},
                        {6999, false, 3}, {7000, true, 4}, {14999, false, 4}};
  for (const Step& s : steps) {
    out.clear();
    c.o.core.tick(c.o.view, s.now, out);
    EXPECT_EQ(!out.sends.empty(), s.sends) << s.now;
    if (s.sends) ids.push_back(pending_id(out));
    ASSERT_TRUE(c.o.core.is_pending(c.x.a())) << s.now;
    EXPECT_EQ(c.o.core.snapshot(s.now, 1'000'000).pending_lookups.at(0).attempt, s.attempt);
    EXPECT_TRUE(out.events.empty());
  }
  EXPECT_EQ(c.o.core.counters().req_initiated, 4u);
  EXPECT_EQ(std::set<uint64_t>(ids.begin(), ids.end()).size(), 4u);  // fresh id per attempt
  const auto snap = c.o.core.snapshot(14999, 1'000'000);
  EXPECT_EQ(snap.pending_lookups[0].initiated_ms, 1'000'000u - 14999);
  EXPECT_EQ(snap.pending_lookups[0].last_sent_ms, 1'000'000u - 7999);
  EXPECT_EQ(snap.pending_lookups[0].age_ms, 14999u);

  // A response to attempt 1 is still accepted while pending.
  c.o.core.on_response(c.t.a(), response_for(c.x.id, ids[0], c.x.a(), c.x.view.self_c), c.o.view,
                       c.o.ids, c.o.coords, 14000, out);
  EXPECT_EQ(c.o.core.counters().resp_accepted, 1u);
  EXPECT_FALSE(c.o.core.is_pending(c.x.a()));

  // Give-up: same ladder again without an answer.
  out.clear();
  ASSERT_EQ(c.o.core.initiate(c.x.a(), c.o.view, 20'000, out).outcome, InitiateOutcome::kSent);
  for (uint64_t t : {21'000, 23'000, 27'000}) c.o.core.tick(c.o.view, t, out);
  out.clear();
  c.o.core.tick(c.o.view, 34'999, out);
  EXPECT_TRUE(out.events.empty());
  c.o.core.tick(c.o.view, 35'000, out);
  ASSERT_EQ(out.events.size(), 1u);
  EXPECT_EQ(out.events[0].kind, LookupEvent::Kind::kFailed);
  EXPECT_EQ(out.events[0].target, c.x.a());
  EXPECT_TRUE(out.sends.empty());
  EXPECT_EQ(c.o.core.counters().resp_timed_out, 1u);
  EXPECT_FALSE(c.o.core.is_pending(c.x.a()));
  // A late answer to the abandoned lookup is unsolicited.
  c.o.core.on_response(c.t.a(), response_for(c.x.id, ids[1], c.x.a(), c.x.view.self_c), c.o.view,
                       c.o.ids, c.o.coords, 35'001, out);
  EXPECT_EQ(c.o.core.extra_counters().resp_unsolicited, 1u);
}

TEST(LookupCore, EmptyLadderFailsOnFirstTickAndZeroFanoutRetryStaysPending) {
  LookupParams p;
  p.attempt_timeouts_ms = {};
  Chain c;
  TNode o(5, {}, p);
  o.view.add(c.o.view.peers[0]);
  ASSERT_EQ(o.core.initiate(c.x.a(), o.view, 0, o.out).outcome, InitiateOutcome::kSent);
  o.out.clear();
  o.core.tick(o.view, 0, o.out);
  ASSERT_EQ(o.out.events.size(), 1u);
  EXPECT_EQ(o.out.events[0].kind, LookupEvent::Kind::kFailed);

  // Default ladder, the tree peer vanishes after the first attempt: retries
  // reach nobody but the lookup keeps climbing the ladder.
  ASSERT_EQ(c.o.core.initiate(c.x.a(), c.o.view, 0, c.o.out).outcome, InitiateOutcome::kSent);
  c.o.view.peers.clear();
  c.o.out.clear();
  c.o.core.tick(c.o.view, 1000, c.o.out);
  EXPECT_TRUE(c.o.out.sends.empty());
  EXPECT_TRUE(c.o.core.is_pending(c.x.a()));
  EXPECT_EQ(c.o.core.counters().req_initiated, 2u);
}

// Trailing bytes are accepted and never passed on (docs/interop.md): the
// reference's decoders ignore them and its transit nodes re-encode, so the
// forwarded request / response is exactly as long as its fields.
TEST(LookupCore, TrailingBytesAcceptedAndStrippedWhenForwarding) {
  Chain c;
  auto req = request_bytes(7, c.x.a(), c.o.a(), 5);
  const size_t req_size = req.size();
  req.insert(req.end(), 9, 0xEE);
  c.t.core.on_request(c.o.a(), req, c.t.view, 0, c.t.out);
  EXPECT_EQ(c.t.core.counters().req_decode_error, 0u);
  ASSERT_FALSE(c.t.out.sends.empty());
  for (const auto& s : sends(c.t.out)) {
    EXPECT_EQ(s.bytes.size(), req_size);
    EXPECT_EQ(s.bytes[0], kMsgTypeLookupRequest);
  }
  // The target answers a padded request too.
  c.x.core.on_request(c.t.a(), req, c.x.view, 0, c.x.out);
  ASSERT_EQ(c.x.out.sends.size(), 1u);
  auto resp = sends(c.x.out)[0].bytes;
  const size_t resp_size = resp.size();
  resp.insert(resp.end(), 5, 0xAB);
  c.t.out.clear();
  c.t.core.on_response(c.x.a(), resp, c.t.view, c.t.ids, c.t.coords, 0, c.t.out);
  EXPECT_EQ(c.t.core.counters().resp_decode_error, 0u);
  ASSERT_EQ(c.t.out.sends.size(), 1u);
  const ByteSpan fwd = c.t.out.bytes(c.t.out.sends[0]);
  EXPECT_EQ(fwd.size(), resp_size);
  auto d = decode_lookup_response(fwd);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->path_mtu, 1300);
  EXPECT_TRUE(std::equal(fwd.begin() + kResponseOffPathMtu + 2, fwd.end(),
                         resp.begin() + kResponseOffPathMtu + 2));
}

TEST(LookupCore, DecodeErrorsCounted) {
  Chain c;
  const std::vector<uint8_t> junk{kMsgTypeLookupRequest, 1, 2, 3};
  c.t.core.on_request(c.o.a(), junk, c.t.view, 0, c.t.out);
  std::vector<uint8_t> junk2{kMsgTypeLookupResponse, 1, 2, 3};
  c.t.core.on_response(c.o.a(), junk2, c.t.view, c.t.ids, c.t.coords, 0, c.t.out);
  EXPECT_EQ(c.t.core.counters().req_decode_error, 1u);
  EXPECT_EQ(c.t.core.counters().req_received, 1u);
  EXPECT_EQ(c.t.core.counters().resp_decode_error, 1u);
  EXPECT_EQ(c.t.core.counters().resp_received, 1u);
  EXPECT_TRUE(c.t.out.sends.empty());
}

}  // namespace
}  // namespace fips::lookup

namespace fips::lookup {
namespace {

TEST(LookupCore, ParamsFromConfigDefaults) {
  const LookupParams p = LookupParams::from_config(LookupConfig{});
  const LookupParams d;
  EXPECT_EQ(p.ttl, d.ttl);
  EXPECT_EQ(p.attempt_timeouts_ms, d.attempt_timeouts_ms);
  EXPECT_EQ(p.recent_expiry_ms, d.recent_expiry_ms);
  EXPECT_EQ(p.backoff_base_ms, 0u);
  EXPECT_EQ(p.backoff_max_ms, 0u);
  EXPECT_EQ(p.forward_min_interval_ms, 2000u);
  LookupConfig c;
  c.attempt_timeouts_secs = {3, UINT64_MAX};
  EXPECT_EQ(LookupParams::from_config(c).attempt_timeouts_ms,
            (std::vector<uint64_t>{3000, UINT64_MAX}));
}

}  // namespace
}  // namespace fips::lookup
