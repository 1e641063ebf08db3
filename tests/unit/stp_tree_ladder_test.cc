// TreeState decisions on crafted announces (docs/spec/stp-bloom.md): W12-W14, the cold-start cost
// gate, hysteresis, exact ties, echo, S5 demotion, parent loss, and the
// effects each decision reports (cache invalidation, bloom, backoff), plus
// queries (tree peers, snapshot, greedy next hop).
#include <cmath>

#include "stp_tree_solo.h"

namespace fips {
namespace {

using stp::BloomMark;
using stp::TreeActions;
using stp::TreeDecision;
using test::Solo;
using test::tiny_addr;

TEST(StpTreeLadder, SwitchEffects) {
  Solo s(3, 2);
  s.up(1);
  s.now = 1000;
  auto a = s.recv(1, 4, {tiny_addr(1)});
  EXPECT_EQ(a.decision, TreeDecision::kSwitch);
  EXPECT_TRUE(a.invalidate_via_me);
  EXPECT_FALSE(a.invalidate_other_roots.has_value());
  EXPECT_TRUE(a.reset_lookup_backoff);
  EXPECT_EQ(a.bloom, BloomMark::kAll);
  EXPECT_TRUE(a.parent_changed);
  EXPECT_TRUE(a.coords_changed);
  EXPECT_EQ(a.announce_to, std::vector<NodeAddr>{s.addr(1)});
  EXPECT_EQ(s.t->declaration_sequence(), 2u);
  EXPECT_EQ(s.t->declaration_timestamp(), s.unix);
  EXPECT_EQ(s.t->my_coords(), (Coords{s.me(), s.addr(1), tiny_addr(1)}));
  // Own entry carries our decl seq/ts; ancestors' seq/ts are copied verbatim.
  EXPECT_EQ(s.t->my_ancestry()[0], (stp::AncestryEntry{s.me(), 2, s.unix}));
  EXPECT_EQ(s.t->my_ancestry()[1], (stp::AncestryEntry{s.addr(1), 4, 1004}));
  EXPECT_EQ(s.t->my_ancestry()[2], (stp::AncestryEntry{tiny_addr(1), 7, 700}));
  EXPECT_TRUE(stp::verify_tree_announce(s.ids[2].as_peer(), s.t->my_announce()));
  EXPECT_EQ(s.t->counters().parent_switches, 1u);
  EXPECT_EQ(s.t->counters().accepted, 1u);
}

TEST(StpTreeLadder, W12SelfRootWhenParentRootsAtOrAboveUs) {
  Solo s(2, 0);  // P < L
  const size_t L = 1;
  s.up(L);
  EXPECT_EQ(s.recv(L, 4, {tiny_addr(0)}).decision, TreeDecision::kSwitch);
  EXPECT_EQ(s.t->root(), tiny_addr(0));
  s.now = 1000;
  auto a = s.recv(L, 5, {});  // L self-roots
  EXPECT_EQ(a.decision, TreeDecision::kSelfRoot);
  EXPECT_TRUE(s.t->is_root());
  EXPECT_EQ(s.t->my_coords(), Coords{s.me()});
  EXPECT_EQ(s.t->declaration_sequence(), 3u);
  EXPECT_EQ(s.t->counters().parent_switches, 2u);
  EXPECT_EQ(a.invalidate_other_roots, s.me());
  EXPECT_FALSE(a.invalidate_via_me);
  EXPECT_TRUE(a.reset_lookup_backoff);
  EXPECT_EQ(a.bloom, BloomMark::kAll);
  EXPECT_EQ(a.announce_to, std::vector<NodeAddr>{s.addr(L)});
  EXPECT_FALSE(s.t->is_tree_peer(s.addr(L)));
}

TEST(StpTreeLadder, W13LoopDrop) {
  Solo s(3, 1);
  const size_t Q = 2;
  const NodeAddr r = tiny_addr(1);
  s.up(Q);
  s.recv(Q, 4, {r});
  ASSERT_EQ(s.t->my_coords(), (Coords{s.me(), s.addr(Q), r}));
  s.now = 1000;
  auto a = s.recv(Q, 5, {s.me(), r});  // Q now claims to hang below us
  EXPECT_EQ(a.decision, TreeDecision::kLoopDrop);
  EXPECT_EQ(s.t->counters().loop_detected, 1u);
  EXPECT_EQ(s.t->counters().parent_switches, 1u);  // the attach only
  EXPECT_TRUE(s.t->is_root());
  EXPECT_EQ(s.t->declaration_sequence(), 3u);
  EXPECT_TRUE(a.invalidate_via_me);
  EXPECT_EQ(a.invalidate_other_roots, s.me());
  EXPECT_TRUE(a.reset_lookup_backoff);
  EXPECT_EQ(a.bloom, BloomMark::kNone);
  EXPECT_EQ(a.announce_to, std::vector<NodeAddr>{s.addr(Q)});
  EXPECT_TRUE(s.t->is_child(s.addr(Q)));
}

TEST(StpTreeLadder, W14MidChainSwapIsAncestryUpdate) {
  Solo s(3, 1);
  const size_t Q = 2;
  const NodeAddr r = tiny_addr(1), mid = tiny_addr(5), new_mid = tiny_addr(6);
  s.up(Q);
  s.recv(Q, 4, {mid, r});
  const auto seq = s.t->declaration_sequence();
  s.now = 1000;
  auto a = s.recv(Q, 5, {new_mid, r});
  EXPECT_EQ(a.decision, TreeDecision::kAncestryUpdate);
  EXPECT_EQ(s.t->depth(), 3u);
  EXPECT_EQ(s.t->my_coords(), (Coords{s.me(), s.addr(Q), new_mid, r}));
  EXPECT_EQ(s.t->declaration_sequence(), seq + 1);
  EXPECT_EQ(s.t->counters().ancestry_changed, 1u);
  EXPECT_EQ(a.announce_to, std::vector<NodeAddr>{s.addr(Q)});
  EXPECT_EQ(a.bloom, BloomMark::kChangedExcept);
  EXPECT_EQ(a.bloom_peer, s.addr(Q));
  EXPECT_TRUE(a.invalidate_via_me);
  EXPECT_TRUE(a.reset_lookup_backoff);
  EXPECT_FALSE(a.parent_changed);
  EXPECT_TRUE(a.coords_changed);
  EXPECT_EQ(s.t->counters().parent_switches, 1u);
}

TEST(StpTreeLadder, ColdStartGateSkipsUnmeasuredCandidates) {
  Solo s(4, 3);
  const size_t A = 1, B = 2;
  s.up(A);
  s.up(B);
  s.costs[s.addr(A)] = 1.0;
  EXPECT_EQ(s.recv(A, 2, {tiny_addr(5)}).decision, TreeDecision::kSwitch);
  // B offers a smaller root but has no SRTT: not a candidate, and since the
  // smallest root is only reachable through it, nothing happens at all.
  EXPECT_EQ(s.recv(B, 2, {tiny_addr(3)}).decision, TreeDecision::kNoChange);
  EXPECT_EQ(s.t->root(), tiny_addr(5));
  // Its first SRTT sample makes it one: mandatory switch.
  auto a = s.first_rtt(B, 3.0);
  EXPECT_EQ(a.decision, TreeDecision::kSwitch);
  EXPECT_EQ(s.t->root(), tiny_addr(3));
  EXPECT_TRUE(s.t->is_parent(s.addr(B)));
  EXPECT_EQ(a.bloom, BloomMark::kAll);
  // Nothing more to gain: a first RTT of someone else changes nothing.
  EXPECT_EQ(s.first_rtt(A, 1.0).decision, TreeDecision::kNone);
}

TEST(StpTreeLadder, UnmeasuredParentCostsInfinity) {
  stp::TreeConfig cfg;
  cfg.hold_down_secs = 0;
  Solo s(4, 3, cfg);
  const size_t A = 1, B = 2;
  s.up(A);
  s.up(B);
  s.recv(A, 2, {tiny_addr(1)});                                               // cold: attach to A
  EXPECT_EQ(s.recv(B, 2, {tiny_addr(1)}).decision, TreeDecision::kNoChange);  // equal
  // B measured (even at a high cost), A not: A counts as +inf.
  auto a = s.first_rtt(B, 50.0);
  EXPECT_EQ(a.decision, TreeDecision::kSwitch);
  EXPECT_TRUE(s.t->is_parent(s.addr(B)));
}

struct HysteresisCase {
  double h;
  bool switches;
};
class StpTreeHysteresis : public ::testing::TestWithParam<HysteresisCase> {};

// Current parent at depth 2 (eff 3), candidate at depth 1 (eff 2), cold.
TEST_P(StpTreeHysteresis, DiscretionaryThreshold) {
  stp::TreeConfig cfg;
  cfg.hold_down_secs = 0;
  cfg.parent_hysteresis = GetParam().h;
  Solo s(4, 3, cfg);
  s.up(1);
  s.up(2);
  s.recv(1, 2, {tiny_addr(5), tiny_addr(1)});
  const auto d = s.recv(2, 2, {tiny_addr(1)}).decision;
  EXPECT_EQ(d, GetParam().switches ? TreeDecision::kSwitch : TreeDecision::kNoChange);
}

INSTANTIATE_TEST_SUITE_P(Table, StpTreeHysteresis,
                         ::testing::Values(HysteresisCase{0.2, true},    // 2 < 2.4
                                           HysteresisCase{0.0, true},    // 2 < 3
                                           HysteresisCase{-3.0, true},   // clamped to 0
                                           HysteresisCase{0.34, false},  // 2 < 1.98 no
                                           HysteresisCase{0.5, false}, HysteresisCase{1.0, false},
                                           HysteresisCase{7.0, false},  // clamped to 1
                                           HysteresisCase{std::nan(""), false}));

TEST(StpTreeLadder, ParentLossRecoversToSmallerAddressOnExactTie) {
  Solo s(5, 4);
  const size_t A = 1, B = 2, C = 3;
  const NodeAddr z = tiny_addr(1);
  for (size_t i : {A, B, C}) s.up(i);
  s.recv(C, 2, {z});
  s.recv(B, 2, {z});
  s.recv(A, 2, {z});
  ASSERT_TRUE(s.t->is_parent(s.addr(C)));
  s.now = 5000;
  auto a = s.down(C);
  EXPECT_EQ(a.decision, TreeDecision::kParentLost);
  EXPECT_TRUE(s.t->is_parent(s.addr(A)));
  EXPECT_EQ(s.t->counters().parent_losses, 1u);
  EXPECT_EQ(s.t->counters().parent_switches, 1u);  // recovery is not counted as a switch
  EXPECT_TRUE(a.announce_to.empty());              // pending, sent by the next tick
  EXPECT_TRUE(s.t->announce_pending(s.addr(A)));
  EXPECT_TRUE(s.t->announce_pending(s.addr(B)));
  EXPECT_TRUE(a.invalidate_via_me);
  EXPECT_EQ(a.invalidate_other_roots, z);
  EXPECT_FALSE(a.reset_lookup_backoff);
  EXPECT_EQ(a.bloom, BloomMark::kAll);
  EXPECT_TRUE(a.parent_changed);
  EXPECT_EQ(s.t->peer_entry(s.addr(C)), nullptr);
  EXPECT_FALSE(s.t->has_peer(s.addr(C)));
  s.now = 5001;
  EXPECT_EQ(s.tick().announce_to, (std::vector<NodeAddr>{s.addr(A), s.addr(B)}));
  // Losing a non-parent: no re-evaluation, bloom re-marked, nothing pending.
  a = s.down(B);
  EXPECT_EQ(a.decision, TreeDecision::kNone);
  EXPECT_EQ(a.bloom, BloomMark::kAll);
  EXPECT_FALSE(s.t->announce_pending(s.addr(A)));
  // Unknown peer: nothing at all.
  a = s.down(B);
  EXPECT_EQ(a.bloom, BloomMark::kNone);
  // Losing the last parent: self-root, seq + 1.
  const auto seq = s.t->declaration_sequence();
  a = s.down(A);
  EXPECT_EQ(a.decision, TreeDecision::kParentLost);
  EXPECT_TRUE(s.t->is_root());
  EXPECT_EQ(s.t->declaration_sequence(), seq + 1);
  EXPECT_EQ(a.invalidate_other_roots, s.me());
}

TEST(StpTreeLadder, EchoOnlyForStrictlyWorseRootsOnFreshAnnounces) {
  Solo s(5, 2);
  for (size_t i : {1, 3, 4}) s.up(i);
  s.recv(1, 2, {tiny_addr(1)});
  s.now = 1000;
  auto a = s.recv(3, 2, {});  // [3]: root 3 > ours
  EXPECT_EQ(a.decision, TreeDecision::kNoChange);
  EXPECT_EQ(a.announce_to, std::vector<NodeAddr>{s.addr(3)});
  EXPECT_EQ(a.bloom, BloomMark::kNone);
  s.now = 2000;
  EXPECT_TRUE(s.recv(4, 2, {tiny_addr(1)}).announce_to.empty());  // same root
  EXPECT_TRUE(s.recv(3, 2, {}).announce_to.empty());              // stale replay
}

TEST(StpTreeLadder, AncestryUpdateDemotesWhenParentRootsAboveUs) {
  Solo s(4, 2);
  const size_t Y = 1, Q = 3;
  const NodeAddr r = tiny_addr(1);
  s.up(Q);
  s.up(Y);
  s.recv(Q, 4, {r});
  EXPECT_EQ(s.recv(Y, 4, {s.me(), r}).decision, TreeDecision::kNoChange);  // our child
  EXPECT_TRUE(s.t->is_child(s.addr(Y)));
  EXPECT_EQ(s.t->tree_peers(), (std::vector<NodeAddr>{s.addr(Y), s.addr(Q)}));
  // Q self-roots; the smaller root R is visible only through our own child,
  // so SelfRoot does not fire and the AncestryUpdate demotes us in place.
  const auto seq = s.t->declaration_sequence();
  auto a = s.recv(Q, 5, {});
  EXPECT_EQ(a.decision, TreeDecision::kAncestryUpdate);
  EXPECT_TRUE(s.t->is_root());
  EXPECT_EQ(s.t->my_coords(), Coords{s.me()});
  EXPECT_EQ(s.t->my_announce().parent, s.me());
  EXPECT_EQ(s.t->declaration_sequence(), seq + 1);
  EXPECT_EQ(s.t->counters().ancestry_changed, 1u);
  EXPECT_TRUE(a.parent_changed);
  EXPECT_TRUE(stp::verify_tree_announce(s.ids[2].as_peer(), s.t->my_announce()));
  auto bytes = test::encode_own(*s.t);
  auto d = stp::decode_tree_announce(bytes);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(stp::check_ancestry(*d), stp::AncestryCheck::kOk);
}

// A peer whose path is as long as an announce can carry cannot be extended:
// not a candidate, and a parent growing to that length demotes us.
TEST(StpTreeLadder, MaxDepthPathsAreNotExtended) {
  Solo s(3, 2);
  s.up(1);
  auto fake_path = [](size_t len) {  // len addresses ending at the smallest
    std::vector<NodeAddr> p;
    for (size_t k = len; k >= 1; --k) {
      NodeAddr a;
      a.bytes[14] = static_cast<uint8_t>(k >> 8);
      a.bytes[15] = static_cast<uint8_t>(k);
      p.push_back(a);
    }
    return p;
  };
  const size_t max = stp::kMaxAncestryEntries;
  EXPECT_EQ(s.recv(1, 2, fake_path(max - 1)).decision, TreeDecision::kNoChange);
  EXPECT_TRUE(s.t->is_root());
  s.now = 1000;
  EXPECT_EQ(s.recv(1, 3, fake_path(max - 2)).decision, TreeDecision::kSwitch);
  EXPECT_EQ(s.t->my_ancestry().size(), max);
  EXPECT_EQ(test::encode_own(*s.t).size(), stp::tree_announce_wire_size(max));
  s.now = 2000;
  EXPECT_EQ(s.recv(1, 4, fake_path(max - 1)).decision, TreeDecision::kAncestryUpdate);
  EXPECT_TRUE(s.t->is_root());
  EXPECT_EQ(test::encode_own(*s.t).size(), stp::tree_announce_wire_size(1));
}

TEST(StpTreeLadder, GreedyNextHop) {
  Solo s(4, 3);
  const size_t A = 1, B = 2;
  const NodeAddr z = tiny_addr(1);
  s.up(A);
  s.up(B);
  s.recv(A, 2, {z});
  s.recv(B, 2, {z});
  ASSERT_EQ(s.t->my_coords(), (Coords{s.me(), s.addr(A), z}));
  const Coords below_b{tiny_addr(9), s.addr(B), z};
  EXPECT_EQ(s.t->greedy_next_hop(below_b), s.addr(B));
  std::vector<uint8_t> raw;
  for (const auto& x : below_b) raw.insert(raw.end(), x.bytes.begin(), x.bytes.end());
  EXPECT_EQ(s.t->greedy_next_hop(CoordsView(raw, below_b.size())), s.addr(B));
  // Root itself: A and B are both at distance 1, tie -> smaller address.
  EXPECT_EQ(s.t->greedy_next_hop(Coords{z}), s.addr(A));
  EXPECT_EQ(s.t->greedy_next_hop(s.t->my_coords()), std::nullopt);  // nobody closer
  EXPECT_EQ(s.t->greedy_next_hop(Coords{tiny_addr(9), tiny_addr(2)}), std::nullopt);  // other root
  EXPECT_EQ(s.t->greedy_next_hop(Coords{}), std::nullopt);
}

TEST(StpTreeLadder, SnapshotAndTreePeers) {
  test::TreeNet net(3);
  net.link_up(0, 1);
  net.link_up(1, 2);
  ASSERT_TRUE(net.run_until([&] { return net.consistent(net.addr(0)); }, 60'000));
  const auto snap = net.tree(1).snapshot();
  EXPECT_EQ(snap.my_node_addr, net.addr(1));
  EXPECT_EQ(snap.root, net.addr(0));
  EXPECT_FALSE(snap.is_root);
  EXPECT_EQ(snap.depth, 1u);
  EXPECT_EQ(snap.my_coords, (Coords{net.addr(1), net.addr(0)}));
  EXPECT_EQ(snap.parent, net.addr(0));
  EXPECT_EQ(snap.declaration_sequence, 2u);
  EXPECT_TRUE(snap.declaration_signed);
  EXPECT_EQ(snap.peer_tree_count, 2u);
  ASSERT_EQ(snap.peers.size(), 2u);
  EXPECT_EQ(snap.peers[0].node_addr, net.addr(0));
  EXPECT_EQ(snap.peers[0].coords, Coords{net.addr(0)});
  EXPECT_EQ(snap.peers[0].depth, 0u);
  EXPECT_EQ(snap.peers[0].distance_to_us, 1u);
  EXPECT_EQ(snap.peers[1].node_addr, net.addr(2));
  EXPECT_EQ(snap.peers[1].depth, 2u);
  EXPECT_EQ(snap.peers[1].root, net.addr(0));
  EXPECT_EQ(snap.peers[1].distance_to_us, 1u);
  EXPECT_EQ(snap.stats, net.tree(1).counters());
  EXPECT_EQ(net.tree(1).tree_peers(), (std::vector<NodeAddr>{net.addr(0), net.addr(2)}));
  EXPECT_TRUE(net.tree(1).is_parent(net.addr(0)));
  EXPECT_TRUE(net.tree(1).is_child(net.addr(2)));
  EXPECT_TRUE(net.tree(0).is_child(net.addr(1)));
  EXPECT_FALSE(net.tree(0).is_tree_peer(net.addr(2)));
  EXPECT_EQ(net.tree(0).snapshot().parent, net.addr(0));
  EXPECT_EQ(net.tree(1).peer_announced_depth(net.addr(2)), 2u);
}

}  // namespace
}  // namespace fips
