// TreeState (labels: docs/spec/stp-bloom.md §6.1): start state (W1), every receive
// rejection with its counter (W15), announce rate limit / pending flush / send
// failure, hold-down, flap dampening (W16) and the periodic re-eval / re-broadcast.
#include "stp_tree_solo.h"

namespace fips {
namespace {

using stp::BloomMark;
using stp::TreeActions;
using stp::TreeCounters;
using stp::TreeDecision;
using stp::TreeReject;
using test::Solo;
using test::tiny_addr;

// ---------------------------------------------------------------- W1

TEST(StpTree, W1StartIsSignedSelfRoot) {
  auto id = Identity::from_secret(test::secret_of_byte(9));
  stp::TreeState t(id, {}, 1'700'000'123);
  const NodeAddr& me = id.node_addr();
  EXPECT_EQ(t.my_node_addr(), me);
  EXPECT_TRUE(t.is_root());
  EXPECT_EQ(t.root(), me);
  EXPECT_EQ(t.depth(), 0u);
  EXPECT_EQ(t.parent(), me);
  EXPECT_EQ(t.my_coords(), Coords{me});
  EXPECT_EQ(t.declaration_sequence(), 1u);
  EXPECT_EQ(t.declaration_timestamp(), 1'700'000'123u);
  EXPECT_TRUE(t.declaration_signed());
  const auto& m = t.my_announce();
  EXPECT_EQ(m.parent, me);
  EXPECT_EQ(m.ancestry, (stp::Ancestry{{me, 1, 1'700'000'123}}));
  EXPECT_TRUE(stp::verify_tree_announce(id.as_peer(), m));
  // What goes on the wire decodes, verifies and passes the semantic checks.
  auto bytes = test::encode_own(t);
  EXPECT_EQ(bytes.size(), 132u);
  auto d = stp::decode_tree_announce(bytes);
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(stp::verify_tree_announce(id.as_peer(), *d));
  EXPECT_EQ(stp::check_ancestry(*d), stp::AncestryCheck::kOk);
  EXPECT_EQ(t.counters(), TreeCounters{});
  EXPECT_EQ(t.peer_count(), 0u);
}

// ---------------------------------------------------------------- W15

// P (index 2) attached to Q (3) under a fake root; T (4) is a peer too, U (5)
// is not a peer. Every reject bumps exactly received + its own counter.
struct StpTreeReject : ::testing::Test {
  Solo s{6, 2};
  const size_t Q = 3, T = 4, U = 5;
  TreeCounters base;
  stp::TreeAnnounce before;
  std::vector<uint8_t> accepted_bytes;

  void SetUp() override {
    s.up(Q);
    s.up(T);
    accepted_bytes = s.ann(Q, 5, {tiny_addr(1)});
    auto a = s.recv(Q, accepted_bytes);
    ASSERT_EQ(a.decision, TreeDecision::kSwitch);
    base = s.t->counters();
    before = s.t->my_announce();
  }
  void expect_reject(const TreeActions& a, TreeReject why, uint64_t TreeCounters::*field) {
    EXPECT_EQ(a.reject, why);
    EXPECT_EQ(a.decision, TreeDecision::kNone);
    EXPECT_TRUE(a.announce_to.empty());
    EXPECT_EQ(a.bloom, BloomMark::kNone);
    TreeCounters want = base;
    ++want.received;
    ++(want.*field);
    EXPECT_EQ(s.t->counters(), want);
    EXPECT_EQ(s.t->my_announce(), before);
    EXPECT_EQ(*s.t->peer_coords(s.addr(Q)), (Coords{s.addr(Q), tiny_addr(1)}));
  }
};

TEST_F(StpTreeReject, DecodeError) {
  auto bytes = s.ann(Q, 6, {tiny_addr(1)});
  bytes.pop_back();
  expect_reject(s.recv(Q, bytes), TreeReject::kDecodeError, &TreeCounters::decode_error);
}

TEST_F(StpTreeReject, DecodeErrorBadVersion) {
  auto bytes = s.ann(Q, 6, {tiny_addr(1)});
  bytes[1] = 2;
  expect_reject(s.recv(Q, bytes), TreeReject::kDecodeError, &TreeCounters::decode_error);
}

TEST_F(StpTreeReject, UnknownPeer) {
  expect_reject(s.recv(U, 6, {tiny_addr(1)}), TreeReject::kUnknownPeer,
                &TreeCounters::unknown_peer);
}

TEST_F(StpTreeReject, AddrMismatch) {
  // T's validly signed declaration arriving over Q's link.
  auto bytes = s.ann(T, 6, {tiny_addr(1)});
  auto a = s.t->on_announce(s.ids[Q].as_peer(), bytes, s.costs, s.now, s.unix);
  expect_reject(a, TreeReject::kAddrMismatch, &TreeCounters::addr_mismatch);
}

TEST_F(StpTreeReject, SigFailedOnFlippedSignature) {
  auto bytes = s.ann(Q, 6, {tiny_addr(1)});
  bytes.back() ^= 1;
  expect_reject(s.recv(Q, bytes), TreeReject::kSigFailed, &TreeCounters::sig_failed);
}

TEST_F(StpTreeReject, SigFailedOnTamperedSequence) {
  auto bytes = s.ann(Q, 6, {tiny_addr(1)});
  bytes[stp::kOffSequence] = 9;  // covered by the signature
  expect_reject(s.recv(Q, bytes), TreeReject::kSigFailed, &TreeCounters::sig_failed);
}

TEST_F(StpTreeReject, AncestryRootNotMinimum) {
  // [Q, X] with X > Q: the advertised root is not the smallest entry.
  NodeAddr big;
  big.bytes.fill(0xff);
  expect_reject(s.recv(Q, 6, {big}), TreeReject::kAncestryInvalid, &TreeCounters::ancestry_invalid);
}

TEST_F(StpTreeReject, AncestryRootWithAncestors) {
  stp::Ancestry a{{s.addr(Q), 6, 1}, {tiny_addr(1), 1, 1}};
  auto bytes = test::make_announce(s.ids[Q], s.addr(Q), 6, 1, a);
  expect_reject(s.recv(Q, bytes), TreeReject::kAncestryInvalid, &TreeCounters::ancestry_invalid);
}

TEST_F(StpTreeReject, AncestryTooShort) {
  auto bytes = test::make_announce(s.ids[Q], tiny_addr(1), 6, 1, {{s.addr(Q), 6, 1}});
  expect_reject(s.recv(Q, bytes), TreeReject::kAncestryInvalid, &TreeCounters::ancestry_invalid);
}

TEST_F(StpTreeReject, AncestryParentMismatch) {
  stp::Ancestry a{{s.addr(Q), 6, 1}, {tiny_addr(2), 1, 1}, {tiny_addr(1), 1, 1}};
  auto bytes = test::make_announce(s.ids[Q], tiny_addr(3), 6, 1, a);
  expect_reject(s.recv(Q, bytes), TreeReject::kAncestryInvalid, &TreeCounters::ancestry_invalid);
}

TEST_F(StpTreeReject, StaleReplayAndOlder) {
  expect_reject(s.recv(Q, accepted_bytes), TreeReject::kStale, &TreeCounters::stale);
  ++base.received;
  ++base.stale;
  // An older sequence with a different (deeper) path: still stale, but the
  // position copy behind show_peers follows it (S10).
  auto a = s.recv(Q, 4, {tiny_addr(2), tiny_addr(1)});
  expect_reject(a, TreeReject::kStale, &TreeCounters::stale);
  EXPECT_EQ(s.t->peer_announced_depth(s.addr(Q)), 2u);
  EXPECT_EQ(s.t->peer_entry(s.addr(Q))->depth(), 1u);
  EXPECT_EQ(s.t->peer_entry(s.addr(Q))->sequence, 5u);
}

// ---------------------------------------------------------------- rate limit

TEST(StpTree, RateLimitPendingFlushAndCoalescing) {
  Solo s(4, 2);  // P = 2; peers 1 and 3
  auto a = s.up(1);
  EXPECT_EQ(a.announce_to, std::vector<NodeAddr>{s.addr(1)});  // initial announce
  EXPECT_EQ(a.bloom, BloomMark::kPeer);
  EXPECT_EQ(a.bloom_peer, s.addr(1));
  EXPECT_TRUE(a.reset_lookup_backoff);
  a = s.up(3);
  EXPECT_EQ(a.announce_to, std::vector<NodeAddr>{s.addr(3)});
  EXPECT_EQ(s.t->counters().sent, 2u);

  // 100 ms later peer 1 offers a root: switch, announce to all -> both limited.
  s.now = 100;
  a = s.recv(1, 2, {tiny_addr(1)});
  EXPECT_EQ(a.decision, TreeDecision::kSwitch);
  EXPECT_TRUE(a.announce_to.empty());
  EXPECT_TRUE(s.t->announce_pending(s.addr(1)));
  EXPECT_TRUE(s.t->announce_pending(s.addr(3)));
  EXPECT_EQ(s.t->counters().rate_limited, 2u);
  // Another change before the flush coalesces into the same pending flag.
  s.now = 200;
  a = s.recv(1, 3, {tiny_addr(2), tiny_addr(1)});
  EXPECT_EQ(a.decision, TreeDecision::kAncestryUpdate);
  EXPECT_EQ(s.t->counters().rate_limited, 4u);
  const uint64_t seq = s.t->declaration_sequence();

  s.now = 499;
  a = s.tick();
  EXPECT_TRUE(a.announce_to.empty());
  s.now = 500;
  a = s.tick();
  EXPECT_EQ(a.announce_to, (std::vector<NodeAddr>{s.addr(1), s.addr(3)}));
  EXPECT_FALSE(s.t->announce_pending(s.addr(1)));
  EXPECT_EQ(s.t->counters().sent, 4u);
  // The flushed announce carries the newest state (built at encode time).
  EXPECT_EQ(s.t->my_announce().sequence, seq);
  EXPECT_EQ(s.t->my_coords().size(), 4u);
  s.now = 600;
  EXPECT_TRUE(s.tick().announce_to.empty());
}

TEST(StpTree, SendFailureUndoesTheStamp) {
  stp::TreeConfig cfg;
  cfg.reeval_interval_secs = 0;
  Solo s(3, 1, cfg);
  auto a = s.up(2);
  ASSERT_EQ(a.announce_to.size(), 1u);
  s.t->on_announce_send_failed(s.addr(2));
  EXPECT_EQ(s.t->counters().send_failed, 1u);
  EXPECT_EQ(s.t->counters().sent, 0u);
  EXPECT_FALSE(s.t->announce_pending(s.addr(2)));  // an immediate send is not retried
  // Not stamped: the next request goes out at once.
  s.now = 10;
  a = s.recv(2, 2, {tiny_addr(1)});
  EXPECT_EQ(a.announce_to, std::vector<NodeAddr>{s.addr(2)});
  // A failed pending flush stays pending and is retried on the next tick.
  s.now = 20;
  s.recv(2, 3, {tiny_addr(3), tiny_addr(1)});  // parent's path changed: re-announce, limited
  EXPECT_TRUE(s.t->announce_pending(s.addr(2)));
  s.now = 600;
  a = s.tick();
  ASSERT_EQ(a.announce_to.size(), 1u);
  s.t->on_announce_send_failed(s.addr(2));
  EXPECT_TRUE(s.t->announce_pending(s.addr(2)));
  s.now = 601;
  EXPECT_EQ(s.tick().announce_to.size(), 1u);
  EXPECT_EQ(s.t->counters().send_failed, 2u);
}

// ---------------------------------------------------------------- hold-down

// P = 3; A (1) offers a depth-2 path, B (2) a depth-1 path to the same root:
// the move to B is discretionary (2 < 3 * 0.8).
TEST(StpTree, HoldDownSuppressesDiscretionaryAndAncestryUpdateReArms) {
  Solo s(4, 3);
  const size_t A = 1, B = 2;
  s.up(A);
  s.up(B);
  const NodeAddr z = tiny_addr(1), x = tiny_addr(5);
  EXPECT_EQ(s.recv(A, 2, {x, z}).decision, TreeDecision::kSwitch);  // mandatory, arms hold-down
  EXPECT_TRUE(s.t->switch_suppressed(s.now));
  s.now = 1000;
  EXPECT_EQ(s.recv(B, 2, {z}).decision, TreeDecision::kNoChange);
  EXPECT_TRUE(s.t->is_parent(s.addr(A)));
  // A re-announces the same path at 20 s: AncestryUpdate, no visible change,
  // but set_parent re-arms the 30 s hold-down.
  s.now = 20'000;
  auto a = s.recv(A, 3, {x, z});
  EXPECT_EQ(a.decision, TreeDecision::kAncestryUpdate);
  EXPECT_TRUE(a.announce_to.empty());
  EXPECT_FALSE(a.coords_changed);
  EXPECT_EQ(a.bloom, BloomMark::kNone);
  EXPECT_TRUE(a.invalidate_via_me);
  EXPECT_EQ(s.t->counters().ancestry_changed, 0u);
  s.now = 31'000;
  EXPECT_EQ(s.recv(B, 3, {z}).decision, TreeDecision::kNoChange);
  s.now = 50'000;
  EXPECT_TRUE(s.t->switch_suppressed(49'999));
  EXPECT_FALSE(s.t->switch_suppressed(50'000));
  a = s.recv(B, 4, {z});
  EXPECT_EQ(a.decision, TreeDecision::kSwitch);
  EXPECT_TRUE(s.t->is_parent(s.addr(B)));
  EXPECT_EQ(s.t->my_coords(), (Coords{s.me(), s.addr(B), z}));
  EXPECT_EQ(s.t->counters().parent_switches, 2u);
}

TEST(StpTree, MandatoryIgnoresHoldDown) {
  Solo s(4, 3);
  s.up(1);
  s.up(2);
  s.recv(1, 2, {tiny_addr(5)});
  s.now = 10;
  ASSERT_TRUE(s.t->switch_suppressed(s.now));
  auto a = s.recv(2, 2, {tiny_addr(9), tiny_addr(3)});  // smaller root
  EXPECT_EQ(a.decision, TreeDecision::kSwitch);
  EXPECT_EQ(s.t->root(), tiny_addr(3));
}

TEST(StpTree, HoldDownZeroDisables) {
  stp::TreeConfig cfg;
  cfg.hold_down_secs = 0;
  Solo s(4, 3, cfg);
  s.up(1);
  s.up(2);
  s.recv(1, 2, {tiny_addr(5), tiny_addr(1)});
  EXPECT_EQ(s.recv(2, 2, {tiny_addr(1)}).decision, TreeDecision::kSwitch);
}

// ---------------------------------------------------------------- flap (W16)

TEST(StpTree, FlapDampenerArithmetic) {
  stp::FlapDampener d;
  d.set_flap(3, 60, 120);
  EXPECT_FALSE(d.record_parent_switch(0));
  EXPECT_FALSE(d.record_parent_switch(10'000));
  EXPECT_TRUE(d.record_parent_switch(20'000));  // 3rd within the window: >=
  EXPECT_TRUE(d.dampened(20'000));
  EXPECT_TRUE(d.suppressed(139'999));
  EXPECT_FALSE(d.dampened(140'000));
  EXPECT_FALSE(d.record_parent_switch(30'000));  // already dampened: not re-armed
  // After the episode lapses the count starts over.
  EXPECT_FALSE(d.record_parent_switch(150'000));
  EXPECT_EQ(d.flap_count(), 1u);
  // Window expiry restarts the count.
  EXPECT_FALSE(d.record_parent_switch(211'000));
  EXPECT_EQ(d.flap_count(), 1u);

  stp::FlapDampener zero;
  zero.set_flap(0, 60, 120);
  EXPECT_TRUE(zero.record_parent_switch(5));
  // Hold-down: strict "<", 0 disables, saturating conversion.
  stp::FlapDampener h;
  EXPECT_FALSE(h.hold_down_active(0));
  h.set_hold_down_secs(30);
  EXPECT_FALSE(h.hold_down_active(0));  // never switched
  h.mark_switch(1000);
  EXPECT_TRUE(h.hold_down_active(30'999));
  EXPECT_FALSE(h.hold_down_active(31'000));
  h.set_hold_down_secs(UINT64_MAX);
  EXPECT_EQ(h.hold_down_ms(), UINT64_MAX);
  h.set_flap(4, 1, UINT64_MAX);
  EXPECT_EQ(h.dampening_ms(), stp::kMaxFlapDampeningMs);
}

TEST(StpTree, W16FlapDampeningSuppressesDiscretionaryOnly) {
  stp::TreeConfig cfg;
  cfg.hold_down_secs = 0;
  cfg.flap_threshold = 3;
  Solo s(7, 6, cfg);
  for (size_t i = 1; i <= 5; ++i) s.up(i);
  // Three mandatory switches towards ever smaller roots within 60 s.
  EXPECT_FALSE(s.recv(1, 2, {tiny_addr(9)}).flap_dampening_engaged);  // from self-root: counts
  s.now = 1000;
  EXPECT_FALSE(s.recv(2, 2, {tiny_addr(8)}).flap_dampening_engaged);
  s.now = 2000;
  auto a = s.recv(3, 2, {tiny_addr(20), tiny_addr(7)});
  EXPECT_EQ(a.decision, TreeDecision::kSwitch);
  EXPECT_TRUE(a.flap_dampening_engaged);
  EXPECT_EQ(s.t->counters().flap_dampened, 1u);
  EXPECT_TRUE(s.t->dampener().dampened(s.now));
  // A better path to the same root is discretionary: suppressed.
  s.now = 3000;
  EXPECT_EQ(s.recv(4, 2, {tiny_addr(7)}).decision, TreeDecision::kNoChange);
  EXPECT_TRUE(s.t->is_parent(s.addr(3)));
  // A smaller root is mandatory: taken (to a depth-3 path).
  a = s.recv(5, 2, {tiny_addr(21), tiny_addr(6)});
  EXPECT_EQ(a.decision, TreeDecision::kSwitch);
  EXPECT_FALSE(a.flap_dampening_engaged);  // already dampened
  EXPECT_EQ(s.t->counters().parent_switches, 4u);
  // The shorter path to that root is discretionary: suppressed until the
  // episode (120 s from the 3rd switch) is over, then taken.
  s.now = 4000;
  EXPECT_EQ(s.recv(4, 3, {tiny_addr(6)}).decision, TreeDecision::kNoChange);
  s.now = 2000 + 120'000;
  EXPECT_FALSE(s.t->dampener().dampened(s.now));
  a = s.recv(4, 4, {tiny_addr(6)});
  EXPECT_EQ(a.decision, TreeDecision::kSwitch);
  EXPECT_FALSE(a.flap_dampening_engaged);
  EXPECT_TRUE(s.t->is_parent(s.addr(4)));
}

// ---------------------------------------------------------------- periodic

TEST(StpTree, PeriodicReevalAndRebroadcast) {
  test::TreeNet net(3);
  net.link_up(0, 1);
  net.link_up(1, 2);
  net.deliver_all();
  net.advance(1000);
  net.tick_all();
  // Node 1 (two peers) re-evaluated at its first tick; 0 and 2 never do.
  EXPECT_EQ(net.last(1).decision, TreeDecision::kPeriodicRebroadcast);
  EXPECT_EQ(net.last(0).decision, TreeDecision::kNone);
  EXPECT_EQ(net.last(2).decision, TreeDecision::kNone);
  net.deliver_all();
  ASSERT_TRUE(net.consistent(net.addr(0)));

  // Let the echoes and pending flushes of the attach settle (ticks 2..6 s).
  net.run_for(5000);
  EXPECT_FALSE(net.any_pending());
  const auto seq = net.tree(1).declaration_sequence();
  const auto stale0 = net.tree(0).counters().stale;
  const auto stale2 = net.tree(2).counters().stale;
  while (net.now_ms() < 60'000) {
    net.advance(1000);
    net.tick(1);
    EXPECT_EQ(net.last(1).decision, TreeDecision::kNone) << net.now_ms();
    EXPECT_TRUE(net.last(1).announce_to.empty());
  }
  net.advance(1000);  // 60 s after the first re-eval (t = 1 s)
  net.tick(1);
  EXPECT_EQ(net.last(1).decision, TreeDecision::kPeriodicRebroadcast);
  EXPECT_EQ(net.last(1).announce_to, (std::vector<NodeAddr>{net.addr(0), net.addr(2)}));
  EXPECT_EQ(net.last(1).bloom, BloomMark::kNone);
  net.deliver_all();
  // Same sequence: receivers count it stale and do nothing.
  EXPECT_EQ(net.tree(1).declaration_sequence(), seq);
  EXPECT_EQ(net.tree(0).counters().stale, stale0 + 1);
  EXPECT_EQ(net.tree(2).counters().stale, stale2 + 1);
}

TEST(StpTree, PeriodicDisabledByZeroInterval) {
  stp::TreeConfig cfg;
  cfg.reeval_interval_secs = 0;
  test::TreeNet net(3, 1, cfg);
  net.link_up(0, 1);
  net.link_up(1, 2);
  net.run_for(200'000);
  EXPECT_TRUE(net.consistent(net.addr(0)));
  for (const auto& a : net.node(1).history)
    EXPECT_NE(a.decision, TreeDecision::kPeriodicRebroadcast);
}

}  // namespace
}  // namespace fips
