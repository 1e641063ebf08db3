// docs/spec/stp-bloom.md §6.1 worked examples W2-W11 on small TreeNet networks: real signed
// announces through the FIFO, manual clock, measured or cold links. Node
// indices are in ascending address order, so the letters of each example are
// mapped to indices that respect its "X<Y" constraints.
#include "stp_tree_harness.h"

namespace fips {
namespace {

using stp::BloomMark;
using stp::TreeDecision;
using test::TreeNet;

bool saw(const TreeNet::Node& n, TreeDecision d) {
  for (const auto& a : n.history)
    if (a.decision == d) return true;
  return false;
}

Coords path(TreeNet& net, std::initializer_list<size_t> idx) {
  Coords c;
  for (size_t i : idx) c.push_back(net.addr(i));
  return c;
}

void converge(
    TreeNet& net, const std::function<bool()>& extra = [] { return true; }) {
  ASSERT_TRUE(net.run_until([&] { return net.consistent(net.addr(0)) && extra(); }, 600'000));
}

// W2: A root, D child of A; B (A<B) joins through D, cold.
TEST(StpTreeExamples, W2JoinThroughChildWithRateLimitedReplies) {
  stp::TreeConfig cfg;
  cfg.reeval_interval_secs = 0;  // keep D's periodic re-broadcast out of the picture
  TreeNet net(3, 1, cfg);
  const size_t A = 0, B = 1, D = 2;
  net.link_up(A, D);
  net.run_for(5000);
  ASSERT_EQ(net.tree(D).my_coords(), path(net, {D, A}));
  const auto d_seq = net.tree(D).declaration_sequence();
  const auto d_limited = net.tree(D).counters().rate_limited;

  net.advance(100);
  net.link_up(B, D);  // both send their initial announce now
  EXPECT_EQ(net.last(B).announce_to, std::vector<NodeAddr>{net.addr(D)});
  EXPECT_EQ(net.last(D).announce_to, std::vector<NodeAddr>{net.addr(B)});
  net.deliver_all();
  // D: B's [B] roots at B > A: echo, rate-limited (initial just sent); no change.
  EXPECT_EQ(net.last(D).decision, TreeDecision::kNoChange);
  EXPECT_TRUE(net.tree(D).announce_pending(net.addr(B)));
  EXPECT_EQ(net.tree(D).counters().rate_limited, d_limited + 1);
  EXPECT_EQ(net.tree(D).declaration_sequence(), d_seq);
  // B: mandatory switch to D, seq 2, [B, D, A], first flap count; its
  // announce to D is rate-limited too.
  EXPECT_EQ(net.last(B).decision, TreeDecision::kSwitch);
  EXPECT_EQ(net.tree(B).declaration_sequence(), 2u);
  EXPECT_EQ(net.tree(B).my_coords(), path(net, {B, D, A}));
  EXPECT_EQ(net.tree(B).dampener().flap_count(), 1u);
  EXPECT_TRUE(net.tree(B).announce_pending(net.addr(D)));
  EXPECT_EQ(net.last(B).bloom, BloomMark::kAll);

  net.advance(499);
  net.tick(B);
  net.tick(D);
  EXPECT_TRUE(net.queue.empty());
  net.advance(1);  // 500 ms after the initial announces
  net.tick(B);
  EXPECT_EQ(net.last(B).announce_to, std::vector<NodeAddr>{net.addr(D)});
  net.tick(D);
  EXPECT_EQ(net.last(D).announce_to, std::vector<NodeAddr>{net.addr(B)});
  const auto b_stale = net.tree(B).counters().stale;
  net.deliver_all();
  EXPECT_TRUE(net.tree(D).is_child(net.addr(B)));
  EXPECT_EQ(net.tree(B).counters().stale, b_stale + 1);  // D's echo: same seq
  EXPECT_TRUE(net.consistent(net.addr(A)));
}

// W3: A<B<C, links A-B and B-C come up together, cold.
TEST(StpTreeExamples, W3ChainFormsThroughIntermediateRoot) {
  TreeNet net(3);
  const size_t A = 0, B = 1, C = 2;
  net.link_up(A, B);
  net.link_up(B, C);
  net.deliver_all();
  EXPECT_EQ(net.tree(B).my_coords(), path(net, {B, A}));
  EXPECT_EQ(net.tree(B).declaration_sequence(), 2u);
  // C switched to the self-rooted B at once (B < C is a smaller root).
  EXPECT_EQ(net.tree(C).my_coords(), path(net, {C, B}));
  EXPECT_EQ(net.tree(C).declaration_sequence(), 2u);
  converge(net);
  // B's [B, A] reached C: AncestryUpdate, seq 3, path changed.
  EXPECT_TRUE(saw(net.node(C), TreeDecision::kAncestryUpdate));
  EXPECT_EQ(net.tree(C).my_coords(), path(net, {C, B, A}));
  EXPECT_EQ(net.tree(C).declaration_sequence(), 3u);
  EXPECT_EQ(net.tree(C).counters().ancestry_changed, 1u);
  EXPECT_EQ(net.tree(C).counters().parent_switches, 1u);
}

void build_measured_chain(TreeNet& net, const std::vector<size_t>& chain) {
  for (size_t i = 0; i + 1 < chain.size(); ++i) {
    net.link_up(chain[i], chain[i + 1]);
    net.measure_link(chain[i], chain[i + 1], 1.0);
  }
}

// W4: measured chain A<-B<-C<-D gains the link A-D.
TEST(StpTreeExamples, W4ShortcutIsDiscretionaryAndWaitsForHoldDown) {
  TreeNet net(4);
  const size_t A = 0, C = 2, D = 3;
  build_measured_chain(net, {0, 1, 2, 3});
  converge(net);
  ASSERT_TRUE(net.tree(D).switch_suppressed(net.now_ms()));  // attached moments ago
  const auto switches = net.tree(D).counters().parent_switches;
  net.link_up(A, D);
  net.deliver_all();
  EXPECT_EQ(net.last(D).decision, TreeDecision::kNoChange);  // A has no SRTT yet
  net.measure(D, A, 1.0);  // 1 < (2 + 1) * 0.8: discretionary, hold-down active
  EXPECT_EQ(net.last(D).decision, TreeDecision::kNone);
  net.measure(A, D, 1.0);
  EXPECT_TRUE(net.tree(D).is_parent(net.addr(C)));
  // The periodic re-eval takes it once the hold-down is over (<= 60 s).
  converge(net, [&] { return net.tree(D).is_parent(net.addr(A)); });
  EXPECT_LE(net.now_ms(), 200'000u);
  EXPECT_EQ(net.tree(D).my_coords(), path(net, {D, A}));
  EXPECT_EQ(net.tree(C).my_coords(), path(net, {C, 1, A}));
  EXPECT_EQ(net.tree(D).counters().parent_switches, switches + 1);
}

TEST(StpTreeExamples, W4ShortcutTakenAtFirstRttOutsideHoldDown) {
  TreeNet net(4);
  const size_t A = 0, D = 3;
  build_measured_chain(net, {0, 1, 2, 3});
  converge(net);
  net.link_up(A, D);
  net.deliver_all();
  net.advance(31'000);  // no ticks: the hold-down simply runs out
  ASSERT_FALSE(net.tree(D).switch_suppressed(net.now_ms()));
  net.measure(D, A, 1.0);
  EXPECT_EQ(net.last(D).decision, TreeDecision::kSwitch);
  EXPECT_EQ(net.tree(D).my_coords(), path(net, {D, A}));
}

// W5: A<-B, B<-C, B<-D; the B-C link dies.
TEST(StpTreeExamples, W5LeafLosesOnlyParent) {
  TreeNet net(4);
  const size_t A = 0, B = 1, C = 2, D = 3;
  net.link_up(A, B);
  net.link_up(B, C);
  net.link_up(B, D);
  converge(net);
  const auto c_seq = net.tree(C).declaration_sequence();
  const auto d_seq = net.tree(D).declaration_sequence();
  const auto d_hist = net.node(D).history.size();
  net.link_down(B, C);
  EXPECT_EQ(net.last(C).decision, TreeDecision::kParentLost);
  EXPECT_EQ(net.tree(C).counters().parent_losses, 1u);
  EXPECT_TRUE(net.tree(C).is_root());
  EXPECT_EQ(net.tree(C).declaration_sequence(), c_seq + 1);
  EXPECT_EQ(net.tree(C).peer_entry(net.addr(B)), nullptr);  // removed at once
  EXPECT_EQ(net.last(B).decision, TreeDecision::kNone);     // lost a child
  EXPECT_EQ(net.last(B).bloom, BloomMark::kAll);
  net.run_for(5000);
  for (size_t i = d_hist; i < net.node(D).history.size(); ++i) {
    const auto dec = net.node(D).history[i].decision;
    EXPECT_TRUE(dec == TreeDecision::kNone || dec == TreeDecision::kNoChange) << i;
  }
  EXPECT_EQ(net.tree(D).declaration_sequence(), d_seq);
  EXPECT_EQ(net.tree(D).my_coords(), path(net, {D, B, A}));
}

// Returns E's counters just before the break.
stp::TreeCounters w6(TreeNet& net, size_t A, size_t B, size_t C, size_t D, size_t E) {
  for (auto [x, y] : {std::pair{A, B}, {B, C}, {C, D}, {D, E}}) net.link_up(x, y);
  converge(net);
  EXPECT_EQ(net.tree(E).my_coords(), path(net, {E, D, C, B, A}));
  const stp::TreeCounters e_before = net.tree(E).counters();
  const auto d_seq = net.tree(D).declaration_sequence();
  net.link_down(C, D);
  // E's ancestry contains D: no candidate, D self-roots; E hears it next tick.
  EXPECT_EQ(net.last(D).decision, TreeDecision::kParentLost);
  EXPECT_TRUE(net.tree(D).is_root());
  EXPECT_EQ(net.tree(D).declaration_sequence(), d_seq + 1);
  EXPECT_TRUE(net.last(D).announce_to.empty());
  EXPECT_TRUE(net.tree(D).announce_pending(net.addr(E)));
  net.advance(1000);
  net.tick(D);
  EXPECT_EQ(net.last(D).announce_to, std::vector<NodeAddr>{net.addr(E)});
  net.deliver_one();
  return e_before;
}

TEST(StpTreeExamples, W6ChainBreakDSmaller) {
  TreeNet net(5);
  const size_t A = 0, B = 1, C = 2, D = 3, E = 4;
  const auto e_before = w6(net, A, B, C, D, E);
  EXPECT_EQ(net.last(E).decision, TreeDecision::kAncestryUpdate);
  EXPECT_EQ(net.tree(E).my_coords(), path(net, {E, D}));
  EXPECT_EQ(net.tree(E).counters().ancestry_changed, e_before.ancestry_changed + 1);
  net.run_for(5000);
  EXPECT_EQ(net.tree(D).my_coords(), path(net, {D}));
  EXPECT_EQ(net.tree(E).my_coords(), path(net, {E, D}));
}

TEST(StpTreeExamples, W6ChainBreakESmaller) {
  TreeNet net(5);
  const size_t A = 0, B = 1, C = 2, E = 3, D = 4;
  const auto e_before = w6(net, A, B, C, D, E);
  EXPECT_EQ(net.last(E).decision, TreeDecision::kSelfRoot);
  EXPECT_TRUE(net.tree(E).is_root());
  EXPECT_EQ(net.tree(E).counters().parent_switches, e_before.parent_switches + 1);
  net.deliver_all();
  EXPECT_EQ(net.tree(D).my_coords(), path(net, {D, E}));  // mandatory switch
  EXPECT_TRUE(saw(net.node(D), TreeDecision::kSwitch));
}

// W7: W6 (D<E) end state, D and E measured; C-D comes back.
TEST(StpTreeExamples, W7HealWaitsForFirstRtt) {
  TreeNet net(5);
  const size_t A = 0, B = 1, C = 2, D = 3, E = 4;
  w6(net, A, B, C, D, E);
  net.run_for(5000);
  net.measure_link(D, E, 1.0);
  const auto c_limited = net.tree(C).counters().rate_limited;
  net.link_up(C, D);
  net.deliver_all();
  // C echoes D's worse root, rate-limited behind its initial announce.
  EXPECT_EQ(net.tree(C).counters().rate_limited, c_limited + 1);
  EXPECT_TRUE(net.tree(C).announce_pending(net.addr(D)));
  // D: C is unmeasured while E is measured: not a candidate yet.
  EXPECT_EQ(net.last(D).decision, TreeDecision::kNoChange);
  EXPECT_TRUE(net.tree(D).is_root());
  const auto d_seq = net.tree(D).declaration_sequence();
  net.measure(D, C, 1.0);
  EXPECT_EQ(net.last(D).decision, TreeDecision::kSwitch);
  EXPECT_EQ(net.last(D).bloom, BloomMark::kAll);
  EXPECT_EQ(net.tree(D).declaration_sequence(), d_seq + 1);
  EXPECT_EQ(net.tree(D).my_coords(), path(net, {D, C, B, A}));
  converge(net);
  EXPECT_EQ(net.tree(E).my_coords(), path(net, {E, D, C, B, A}));
  EXPECT_TRUE(saw(net.node(E), TreeDecision::kAncestryUpdate));
}

// W8: A<C<B<E<D; A,B,C,D full mesh, E-C; equal (cold) costs.
TEST(StpTreeExamples, W8ExactTieGoesToSmallerAddress) {
  TreeNet net(5);
  const size_t A = 0, C = 1, B = 2, E = 3, D = 4;
  for (auto [x, y] : {std::pair{A, B}, {A, C}, {A, D}, {B, C}, {B, D}, {C, D}, {E, C}})
    net.link_up(x, y);
  auto shape = [&] {
    return net.tree(B).is_parent(net.addr(A)) && net.tree(C).is_parent(net.addr(A)) &&
           net.tree(D).is_parent(net.addr(A)) && net.tree(E).is_parent(net.addr(C));
  };
  converge(net, shape);
  net.link_down(A, C);
  EXPECT_EQ(net.last(C).decision, TreeDecision::kParentLost);
  EXPECT_TRUE(net.tree(C).is_parent(net.addr(B)));  // B and D tie at 1 + 1; E contains C
  converge(net);
  net.run_for(200'000);  // and it stays that way
  EXPECT_EQ(net.tree(E).my_coords(), path(net, {E, C, B, A}));
  EXPECT_EQ(net.tree(D).my_coords(), path(net, {D, A}));
}

// W9: B<A<D<E<C with measured costs.
TEST(StpTreeExamples, W9CostsPickParents) {
  TreeNet net(5);
  const size_t B = 0, A = 1, D = 2, E = 3, C = 4;
  const std::vector<std::tuple<size_t, size_t, double>> links{
      {A, B, 1.01}, {B, D, 1.01}, {D, E, 1.01}, {C, D, 1.25}, {A, C, 6.66}};
  for (auto [x, y, c] : links) {
    net.link_up(x, y);
    net.measure_link(x, y, c);
  }
  auto shape = [&] {
    return net.tree(A).is_parent(net.addr(B)) && net.tree(D).is_parent(net.addr(B)) &&
           net.tree(E).is_parent(net.addr(D)) && net.tree(C).is_parent(net.addr(D));
  };
  converge(net, shape);
  net.link_down(D, C);
  EXPECT_EQ(net.last(C).decision, TreeDecision::kParentLost);
  EXPECT_EQ(net.tree(C).my_coords(), path(net, {C, A, B}));
}

// W10: A<E<B<F<C<G; the WAN link B-E fails and heals.
TEST(StpTreeExamples, W10PartitionAndHeal) {
  TreeNet net(6);
  const size_t A = 0, E = 1, B = 2, F = 3, C = 4, G = 5;
  for (auto [x, y] : {std::pair{A, B}, {B, C}, {B, E}, {E, F}, {F, G}}) {
    net.link_up(x, y);
    net.measure_link(x, y, 1.0);
  }
  converge(net);
  ASSERT_EQ(net.tree(G).my_coords(), path(net, {G, F, E, B, A}));
  net.link_down(B, E);
  EXPECT_EQ(net.last(E).decision, TreeDecision::kParentLost);
  EXPECT_TRUE(net.tree(E).is_root());
  net.run_for(5000);
  EXPECT_EQ(net.tree(F).my_coords(), path(net, {F, E}));
  EXPECT_EQ(net.tree(G).my_coords(), path(net, {G, F, E}));
  EXPECT_EQ(net.tree(C).my_coords(), path(net, {C, B, A}));
  // Heal: E hears B's [B, A] but B is unmeasured while F is measured.
  net.link_up(B, E);
  net.deliver_all();
  EXPECT_TRUE(net.tree(E).is_root());
  EXPECT_EQ(*net.tree(E).peer_coords(net.addr(B)), path(net, {B, A}));
  net.measure(E, B, 1.0);
  EXPECT_EQ(net.last(E).decision, TreeDecision::kSwitch);
  net.measure(B, E, 1.0);
  converge(net);
  EXPECT_EQ(net.tree(G).my_coords(), path(net, {G, F, E, B, A}));
}

// W11: the child loses its view of the root and comes back self-rooted.
TEST(StpTreeExamples, W11RootEchoesStrandedChild) {
  TreeNet net(2);
  const size_t R = 0, K = 1;
  net.link_up(R, K);
  converge(net);
  net.peer_down_one_side(K, R);
  EXPECT_TRUE(net.tree(K).is_root());
  net.advance(1000);
  net.peer_up_one_side(K, R);  // K's [K] goes to R
  net.deliver_one();
  EXPECT_EQ(net.last(R).decision, TreeDecision::kNoChange);
  EXPECT_EQ(net.last(R).announce_to, std::vector<NodeAddr>{net.addr(K)});  // echo
  net.deliver_one();
  EXPECT_EQ(net.last(K).decision, TreeDecision::kSwitch);
  EXPECT_EQ(net.tree(K).my_coords(), path(net, {K, R}));
}

}  // namespace
}  // namespace fips
