// BloomState, one node at a time: split-horizon composition (the BF table),
// inbound acceptance with counters (decode, unknown, stale, FPR cap at
// 5937/5938), debounce/coalescing on a manual clock, the global sequence,
// change detection, peer lifecycle, queries, mesh-size estimate, snapshot.
// Multi-node exchange: bloom_state_exchange_test.cc.

#include <algorithm>
#include <cmath>
#include <set>

#include "bloom_state_test_util.h"
#include "test_util.h"

namespace fips {
namespace {

using bloom::BloomParams;
using bloom::BloomState;
using bloom::Filter;
using bloom::FilterAnnounce;
using bloom::FilterVerdict;
using test::A;
using test::announce;
using test::announce_with_ones;
using test::encode;
using test::filter_of;

struct Sent {
  NodeAddr to;
  uint64_t seq;
  Filter filter;
};

// Collects what tick() hands out, decoding the encoded bytes back.
struct Sink {
  std::vector<Sent> sent;
  bool fail = false;
  std::set<NodeAddr> fail_for;
  bool operator()(const NodeAddr& to, const FilterAnnounce& fa) {
    if (fail || fail_for.count(to)) return false;
    auto bytes = encode(fa);
    auto dec = bloom::decode_filter_announce(bytes);
    EXPECT_TRUE(dec.ok());
    auto f = bloom::to_filter(dec.value());
    sent.push_back(Sent{to, fa.sequence, std::move(f).value()});
    return true;
  }
  // The first filter sent to `a` (an empty filter, and a test failure, if none).
  const Sent* to(const NodeAddr& a) const {
    for (const Sent& s : sent)
      if (s.to == a) return &s;
    ADD_FAILURE() << "nothing sent to " << a.hex();
    static const Sent none{NodeAddr{}, 0, Filter()};
    return &none;
  }
};

struct TreeSet {
  std::set<NodeAddr> s;
  bool operator()(const NodeAddr& a) const { return s.count(a) != 0; }
};

const NodeAddr kSelf = A(1000);

// ---------------------------------------------------------------- composition

TEST(BloomState, BfTableExampleSplitHorizon) {
  const NodeAddr a = A(1), b = A(2), c = A(3);
  BloomState st(kSelf, BloomParams{});
  TreeSet tree{{a, b}};
  for (const NodeAddr& p : {a, b, c}) st.on_peer_up(p);
  const Filter fa = filter_of({a, A(11), A(12)}), fb = filter_of({b, A(21)}),
               fc = filter_of({c, A(31)});
  EXPECT_EQ(st.on_filter_announce(a, announce(fa, 1), 0, tree).verdict, FilterVerdict::kAccepted);
  EXPECT_EQ(st.on_filter_announce(b, announce(fb, 1), 0, tree).verdict, FilterVerdict::kAccepted);
  EXPECT_EQ(st.on_filter_announce(c, announce(fc, 1), 0, tree).verdict, FilterVerdict::kAccepted);
  Sink sink;
  auto rep = st.tick(0, tree, sink);
  ASSERT_EQ(rep.sent, 3u);
  EXPECT_EQ(sink.to(a)->filter, filter_of({kSelf, b, A(21)}));                   // self + B
  EXPECT_EQ(sink.to(b)->filter, filter_of({kSelf, a, A(11), A(12)}));            // self + A
  EXPECT_EQ(sink.to(c)->filter, filter_of({kSelf, a, A(11), A(12), b, A(21)}));  // self + A + B
  // C's filter is stored (routing) but never propagated.
  for (const Sent& s : sink.sent) EXPECT_FALSE(s.filter.contains(A(31)));
  EXPECT_TRUE(st.peer_filter_contains(c, A(31)));
  // compute_outgoing agrees with what was sent, also for an unregistered peer.
  Filter out;
  st.compute_outgoing(a, tree, out);
  EXPECT_EQ(out, sink.to(a)->filter);
  st.compute_outgoing(A(99), tree, out);
  EXPECT_EQ(out, sink.to(c)->filter);
}

TEST(BloomState, TreePeerWithoutFilterGetsEverything) {
  const NodeAddr a = A(1), b = A(2);
  BloomState st(kSelf, BloomParams{});
  TreeSet tree{{a, b}};
  st.on_peer_up(a);
  st.on_peer_up(b);
  ASSERT_EQ(st.on_filter_announce(a, announce(filter_of({a}), 1), 0, tree).verdict,
            FilterVerdict::kAccepted);
  Sink sink;
  (void)st.tick(0, tree, sink);
  EXPECT_EQ(sink.to(b)->filter, filter_of({kSelf, a}));
  EXPECT_EQ(sink.to(a)->filter, filter_of({kSelf}));
}

bool no_tree_peers(const NodeAddr&) {
  return false;
}

TEST(BloomState, IsTreePeerMayBeAFunction) {
  const NodeAddr a = A(1), b = A(2);
  BloomState st(kSelf, BloomParams{});
  st.on_peer_up(a);
  st.on_peer_up(b);
  ASSERT_EQ(st.on_filter_announce(a, announce(filter_of({a}), 1), 0, no_tree_peers).verdict,
            FilterVerdict::kAccepted);
  Filter out;
  st.compute_outgoing(b, no_tree_peers, out);  // a is not a tree peer: not propagated
  EXPECT_EQ(out, filter_of({kSelf}));
  st.compute_outgoing(b, &no_tree_peers, out);
  EXPECT_EQ(out, filter_of({kSelf}));
}

TEST(BloomState, LeafDependentsJoinTheBase) {
  const NodeAddr a = A(1), dep = A(50);
  BloomState st(kSelf, BloomParams{});
  EXPECT_TRUE(st.add_leaf_dependent(dep));
  EXPECT_FALSE(st.add_leaf_dependent(dep));
  EXPECT_FALSE(st.add_leaf_dependent(kSelf));
  st.on_peer_up(a);
  Sink sink;
  TreeSet tree{{a}};
  (void)st.tick(0, tree, sink);
  EXPECT_EQ(sink.sent.at(0).filter, filter_of({kSelf, dep}));
  EXPECT_TRUE(st.remove_leaf_dependent(dep));
  EXPECT_FALSE(st.remove_leaf_dependent(dep));
  EXPECT_TRUE(st.leaf_dependents().empty());
}

// ---------------------------------------------------------------- inbound

TEST(BloomState, RejectionsCountedAndStateUntouched) {
  const NodeAddr a = A(1);
  BloomState st(kSelf, BloomParams{});
  TreeSet tree{{a}};
  // Unknown peer.
  EXPECT_EQ(st.on_filter_announce(a, announce(filter_of({a}), 1), 0, tree).verdict,
            FilterVerdict::kUnknownPeer);
  st.on_peer_up(a);
  // Decode errors: truncated, non-v1 size class, k = 0, wrong type, trailing byte.
  auto good = announce(filter_of({a}), 1);
  std::vector<std::vector<uint8_t>> bad = {std::vector<uint8_t>(good.begin(), good.begin() + 10),
                                           good, good, good, good};
  bad[1][10] = 2;
  bad[2][9] = 0;
  bad[3][0] = 0x21;
  bad[4].push_back(0);
  for (const auto& m : bad)
    EXPECT_EQ(st.on_filter_announce(a, m, 0, tree).verdict, FilterVerdict::kDecodeError);
  EXPECT_EQ(st.filter_sequence(a), 0u);
  // Accept seq 5, then 5 and 3 are stale.
  EXPECT_EQ(st.on_filter_announce(a, announce(filter_of({a}), 5), 10, tree).verdict,
            FilterVerdict::kAccepted);
  auto r = st.on_filter_announce(a, announce(filter_of({A(9)}), 5), 11, tree);
  EXPECT_EQ(r.verdict, FilterVerdict::kStale);
  EXPECT_EQ(r.previous, 5u);
  EXPECT_EQ(st.on_filter_announce(a, announce(filter_of({A(9)}), 3), 12, tree).verdict,
            FilterVerdict::kStale);
  EXPECT_EQ(st.filter_sequence(a), 5u);
  EXPECT_EQ(st.filter_received_ms(a), 10u);
  EXPECT_FALSE(st.peer_filter_contains(a, A(9)));
  const auto& c = st.counters();
  EXPECT_EQ(c.received, 9u);
  EXPECT_EQ(c.unknown_peer, 1u);
  EXPECT_EQ(c.decode_error, 5u);
  EXPECT_EQ(c.accepted, 1u);
  EXPECT_EQ(c.stale, 2u);
  EXPECT_EQ(c.fill_exceeded, 0u);
  EXPECT_EQ(c.invalid + c.non_v1 + c.debounce_suppressed, 0u);
}

TEST(BloomState, FprCapAt5937And5938SetBits) {
  const NodeAddr a = A(1);
  BloomState st(kSelf, BloomParams{});  // max_inbound_fpr 0.20
  TreeSet tree{{a}};
  st.on_peer_up(a);
  auto ok = st.on_filter_announce(a, announce_with_ones(5937, 1), 0, tree);
  EXPECT_EQ(ok.verdict, FilterVerdict::kAccepted);
  EXPECT_EQ(ok.set_bits, 5937u);
  EXPECT_NEAR(ok.fpr, 0.199933, 1e-6);
  auto no = st.on_filter_announce(a, announce_with_ones(5938, 2), 0, tree);
  EXPECT_EQ(no.verdict, FilterVerdict::kFillExceeded);
  EXPECT_NEAR(no.fpr, 0.200102, 1e-6);
  EXPECT_EQ(st.counters().fill_exceeded, 1u);
  EXPECT_EQ(st.counters().accepted, 1u);
  EXPECT_EQ(st.inbound_filter(a)->count_ones(), 5937u);
  // A lower cap rejects what the default accepted; NaN (unvalidated config) accepts all.
  st.set_params(BloomParams{500, 0.1, false});
  EXPECT_EQ(st.on_filter_announce(a, announce_with_ones(5937, 3), 0, tree).verdict,
            FilterVerdict::kFillExceeded);
  st.set_params(BloomParams{500, std::nan(""), false});
  EXPECT_EQ(st.on_filter_announce(a, announce_with_ones(8192, 3), 0, tree).verdict,
            FilterVerdict::kAccepted);
}

TEST(BloomState, CapRejectionDoesNotAdvanceSequence) {
  const NodeAddr a = A(1);
  BloomState st(kSelf, BloomParams{});
  TreeSet tree{{a}};
  st.on_peer_up(a);
  const Filter first = filter_of({a, A(2)});
  ASSERT_EQ(st.on_filter_announce(a, announce(first, 1), 0, tree).verdict,
            FilterVerdict::kAccepted);
  ASSERT_EQ(st.on_filter_announce(a, announce_with_ones(6000, 2), 0, tree).verdict,
            FilterVerdict::kFillExceeded);
  EXPECT_EQ(st.filter_sequence(a), 1u);
  EXPECT_EQ(*st.inbound_filter(a), first);
  // The same sequence, now valid, is accepted.
  const Filter second = filter_of({a, A(3)});
  EXPECT_EQ(st.on_filter_announce(a, announce(second, 2), 5, tree).verdict,
            FilterVerdict::kAccepted);
  EXPECT_EQ(st.filter_sequence(a), 2u);
  EXPECT_EQ(*st.inbound_filter(a), second);
}

TEST(BloomState, OddHashCountStoredAsIsAndOredIn) {
  const NodeAddr a = A(1), b = A(2);
  BloomState st(kSelf, BloomParams{});
  TreeSet tree{{a, b}};
  st.on_peer_up(a);
  st.on_peer_up(b);
  Filter k3 = Filter::with_params(8192, 3).value();
  k3.insert(A(40));
  ASSERT_EQ(st.on_filter_announce(a, announce(k3, 1), 0, tree).verdict, FilterVerdict::kAccepted);
  EXPECT_EQ(st.inbound_filter(a)->hash_count(), 3);
  EXPECT_TRUE(st.peer_filter_contains(a, A(40)));
  std::vector<NodeAddr> out;
  st.peers_containing(A(40), out);
  EXPECT_EQ(out, std::vector<NodeAddr>{a});
  Sink sink;
  (void)st.tick(0, tree, sink);
  const Filter& to_b = sink.to(b)->filter;
  EXPECT_EQ(to_b.hash_count(), 5);  // our outgoing filters are always k = 5
  Filter expect = filter_of({kSelf});
  ASSERT_TRUE(expect.merge(k3).ok());
  EXPECT_EQ(to_b, expect);
  // Back to k = 5 replaces the stored filter.
  ASSERT_EQ(st.on_filter_announce(a, announce(filter_of({a}), 2), 0, tree).verdict,
            FilterVerdict::kAccepted);
  EXPECT_EQ(st.inbound_filter(a)->hash_count(), 5);
}

// ---------------------------------------------------------------- emission

TEST(BloomState, DebounceAndCoalescingOnManualClock) {
  const NodeAddr a = A(1);
  BloomState st(kSelf, BloomParams{500, 0.2, false});
  TreeSet tree{{a}};
  Sink sink;
  EXPECT_FALSE(st.next_send_due(0).has_value());
  st.on_peer_up(a);  // marks a
  EXPECT_EQ(st.next_send_due(1000).value(), 1000u);
  EXPECT_EQ(st.tick(1000, tree, sink).sent, 1u);  // never sent: no debounce
  EXPECT_FALSE(st.is_pending(a));
  st.mark(a);
  st.mark(a);  // coalesces
  st.mark_all();
  EXPECT_EQ(st.next_send_due(1100).value(), 1500u);
  EXPECT_EQ(st.tick(1100, tree, sink).sent, 0u);
  EXPECT_EQ(st.tick(1499, tree, sink).sent, 0u);
  // A dependent arrives while pending: the state at send time is what goes out.
  ASSERT_TRUE(st.add_leaf_dependent(A(60)));
  EXPECT_EQ(st.tick(1500, tree, sink).sent, 1u);
  ASSERT_EQ(sink.sent.size(), 2u);
  EXPECT_EQ(sink.sent[1].seq, 2u);
  EXPECT_TRUE(sink.sent[1].filter.contains(A(60)));
  EXPECT_EQ(st.tick(5000, tree, sink).sent, 0u);  // nothing pending
  EXPECT_EQ(st.counters().sent, 2u);
}

TEST(BloomState, GlobalSequenceIsGappyPerPeerAndFailuresConsumeIt) {
  // Ordered addresses so the send order is known (NodeAddr order).
  std::vector<NodeAddr> p = {A(1), A(2), A(3)};
  std::sort(p.begin(), p.end());
  BloomState st(kSelf, BloomParams{});
  TreeSet tree{{p[0], p[1], p[2]}};
  for (const NodeAddr& x : p) st.on_peer_up(x);
  Sink sink;
  (void)st.tick(0, tree, sink);
  ASSERT_EQ(sink.sent.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(sink.sent[i].to, p[i]);
    EXPECT_EQ(sink.sent[i].seq, i + 1);  // first sent = 1
  }
  st.mark(p[0]);
  (void)st.tick(500, tree, sink);
  EXPECT_EQ(sink.sent.back().seq, 4u);
  st.mark_all();
  sink.fail_for = {p[1]};
  auto rep = st.tick(1000, tree, sink);
  EXPECT_EQ(rep.attempted, 3u);
  EXPECT_EQ(rep.send_failed, 1u);
  EXPECT_EQ(st.counters().send_failed, 1u);
  EXPECT_TRUE(st.is_pending(p[1]));     // retried next tick with a new sequence
  EXPECT_EQ(sink.sent.back().seq, 7u);  // p[2] got 7, p[1]'s 6 was consumed
  sink.fail_for.clear();
  (void)st.tick(1001, tree, sink);  // p[1] never got one at 1000: debounce counts from 0
  EXPECT_EQ(sink.sent.back().to, p[1]);
  EXPECT_EQ(sink.sent.back().seq, 8u);
  EXPECT_EQ(st.sequence(), 8u);
  // Per peer: strictly increasing, with gaps.
  std::vector<uint64_t> seqs0;
  for (const Sent& s : sink.sent)
    if (s.to == p[0]) seqs0.push_back(s.seq);
  EXPECT_EQ(seqs0, (std::vector<uint64_t>{1, 4, 5}));
}

TEST(BloomState, ChangeDetectionDoesNotResendUnchangedFilters) {
  const NodeAddr a = A(1), b = A(2), c = A(3);
  BloomState st(kSelf, BloomParams{}, 0x1234, 0x5678);
  TreeSet tree{{a, b}};
  for (const NodeAddr& p : {a, b, c}) st.on_peer_up(p);
  ASSERT_EQ(st.on_filter_announce(a, announce(filter_of({a}), 1), 0, tree).verdict,
            FilterVerdict::kAccepted);
  ASSERT_EQ(st.on_filter_announce(b, announce(filter_of({b}), 1), 0, tree).verdict,
            FilterVerdict::kAccepted);
  Sink sink;
  ASSERT_EQ(st.tick(0, tree, sink).sent, 3u);
  // Same content, new sequence: accepted but nobody's outgoing filter changed.
  ASSERT_EQ(st.on_filter_announce(a, announce(filter_of({a}), 2), 600, tree).verdict,
            FilterVerdict::kAccepted);
  EXPECT_EQ(st.tick(600, tree, sink).sent, 0u);
  // A non-tree peer's filter never changes anything.
  ASSERT_EQ(st.on_filter_announce(c, announce(filter_of({c, A(77)}), 1), 600, tree).verdict,
            FilterVerdict::kAccepted);
  EXPECT_FALSE(st.is_pending(a) || st.is_pending(b) || st.is_pending(c));
  // New content from A: B and C change; A itself is excluded (and unchanged).
  ASSERT_EQ(st.on_filter_announce(a, announce(filter_of({a, A(8)}), 3), 700, tree).verdict,
            FilterVerdict::kAccepted);
  EXPECT_FALSE(st.is_pending(a));
  EXPECT_TRUE(st.is_pending(b));
  EXPECT_TRUE(st.is_pending(c));
  sink.sent.clear();
  EXPECT_EQ(st.tick(700, tree, sink).sent, 2u);
  EXPECT_TRUE(sink.to(b)->filter.contains(A(8)));
  // Nothing changed since: an explicit check marks nobody...
  st.mark_changed_peers(tree);
  EXPECT_EQ(st.tick(2000, tree, sink).sent, 0u);
  // ...a tree change does (C becomes a tree peer: its filter now reaches A and B)...
  tree.s.insert(c);
  st.mark_changed_peers(a, tree);  // e.g. AncestryUpdate, excluding the parent a
  EXPECT_FALSE(st.is_pending(a));
  EXPECT_TRUE(st.is_pending(b));
  EXPECT_FALSE(st.is_pending(c));  // c already had everything else
  // ...and mark_all resends identical content (docs/spec/stp-bloom.md E4).
  st.mark_all();
  sink.sent.clear();
  EXPECT_EQ(st.tick(3000, tree, sink).sent, 3u);
}

TEST(BloomState, PeerUpDownLifecycle) {
  const NodeAddr a = A(1), b = A(2);
  BloomState st(kSelf, BloomParams{});
  TreeSet tree{{a, b}};
  st.on_peer_up(kSelf);  // ignored
  EXPECT_EQ(st.peer_count(), 0u);
  st.on_peer_up(a);
  st.on_peer_up(b);
  Sink sink;
  (void)st.tick(0, tree, sink);
  ASSERT_EQ(st.on_filter_announce(a, announce(filter_of({a}), 9), 0, tree).verdict,
            FilterVerdict::kAccepted);
  // Replacement (new connection): inbound state resets, so seq 1 is fresh again.
  st.on_peer_up(a);
  EXPECT_EQ(st.filter_sequence(a), 0u);
  EXPECT_EQ(st.inbound_filter(a), nullptr);
  EXPECT_TRUE(st.is_pending(a));
  EXPECT_EQ(st.on_filter_announce(a, announce(filter_of({a}), 1), 0, tree).verdict,
            FilterVerdict::kAccepted);
  // Removal: filter gone, the remaining peers are marked.
  (void)st.tick(600, tree, sink);
  EXPECT_FALSE(st.is_pending(b));
  EXPECT_TRUE(st.on_peer_down(a));
  EXPECT_FALSE(st.on_peer_down(a));
  EXPECT_FALSE(st.has_peer(a));
  EXPECT_FALSE(st.any_peer_contains(a));
  EXPECT_TRUE(st.is_pending(b));
  EXPECT_FALSE(st.mark(a));
}

// ---------------------------------------------------------------- queries, estimate, snapshot

TEST(BloomState, RoutingQueries) {
  const NodeAddr a = A(1), b = A(2), c = A(3), x = A(500);
  BloomState st(kSelf, BloomParams{});
  TreeSet tree{{a}};
  for (const NodeAddr& p : {a, b, c}) st.on_peer_up(p);
  (void)st.on_filter_announce(a, announce(filter_of({a, x}), 1), 0, tree);
  (void)st.on_filter_announce(c, announce(filter_of({c, x}), 1), 0, tree);  // non-tree counts too
  std::vector<NodeAddr> out = {A(9)};
  st.peers_containing(x, out);
  std::vector<NodeAddr> expect = {a, c};
  std::sort(expect.begin(), expect.end());
  EXPECT_EQ(out, expect);
  EXPECT_TRUE(st.peer_filter_contains(a, bloom::base_hashes(x)));
  EXPECT_FALSE(st.peer_filter_contains(b, x));     // no filter
  EXPECT_FALSE(st.peer_filter_contains(A(4), x));  // unknown
  EXPECT_TRUE(st.any_peer_contains(x));
  st.peers_containing(A(501), out);
  EXPECT_TRUE(out.empty());
}

TEST(BloomState, MeshSizeEstimate) {
  const NodeAddr a = A(1), b = A(2), c = A(3);
  BloomState st(kSelf, BloomParams{});
  TreeSet tree{{a}};
  st.on_peer_up(a);
  st.on_peer_up(b);
  st.on_peer_up(c);
  EXPECT_FALSE(st.estimate_mesh_size().has_value());  // no filter at all
  std::vector<NodeAddr> sa, sc;
  for (uint32_t i = 0; i < 40; ++i) sa.push_back(A(100 + i));
  for (uint32_t i = 0; i < 60; ++i) sc.push_back(A(120 + i));  // overlaps sa by 20
  (void)st.on_filter_announce(a, announce(filter_of(sa), 1), 0, tree);
  (void)st.on_filter_announce(c, announce(filter_of(sc), 1), 0, tree);  // non-tree: still counted
  Filter u = filter_of(sa);
  ASSERT_TRUE(u.merge(filter_of(sc)).ok());
  u.insert(kSelf);
  const auto est = st.estimate_mesh_size();
  ASSERT_TRUE(est.has_value());
  EXPECT_EQ(*est, static_cast<uint64_t>(std::round(*u.estimated_count(0.2))));
  EXPECT_NEAR(static_cast<double>(*est), 81.0, 3.0);
  // A union above the cap refuses to estimate (each filter alone is below it).
  st.set_params(BloomParams{500, 0.2, false});
  (void)st.on_filter_announce(a, announce_with_ones(5000, 2), 0, tree);
  std::vector<uint8_t> hi(bloom::kDefaultFilterBytes, 0);
  for (size_t bit = 8192 - 5000; bit < 8192; ++bit)
    hi[bit / 8] |= static_cast<uint8_t>(1u << (bit % 8));
  (void)st.on_filter_announce(c, encode(FilterAnnounce{2, 5, 1, ByteSpan(hi)}), 0, tree);
  EXPECT_EQ(st.counters().accepted, 4u);
  EXPECT_FALSE(st.estimate_mesh_size().has_value());
}

TEST(BloomState, SnapshotForShowBloom) {
  const NodeAddr a = A(1), b = A(2);
  BloomState st(kSelf, BloomParams{500, 0.2, true});
  TreeSet tree{{a}};
  st.on_peer_up(a);
  st.on_peer_up(b);
  auto s0 = st.snapshot(a);
  EXPECT_FALSE(s0.uptree_fill_ratio.has_value());  // never sent to the parent
  (void)st.on_filter_announce(b, announce(filter_of({b, A(5)}), 4), 0, tree);
  Sink sink;
  (void)st.tick(0, tree, sink);
  auto s = st.snapshot(a);
  EXPECT_EQ(s.own_node_addr, kSelf);
  EXPECT_TRUE(s.is_leaf_only);
  EXPECT_EQ(s.sequence, 2u);
  ASSERT_EQ(s.peer_filters.size(), 2u);
  for (const auto& row : s.peer_filters) {
    if (row.peer == a) {
      EXPECT_FALSE(row.has_filter);
      EXPECT_EQ(row.filter_sequence, 0u);
    } else {
      EXPECT_TRUE(row.has_filter);
      EXPECT_EQ(row.filter_sequence, 4u);
      const Filter f = filter_of({b, A(5)});
      EXPECT_EQ(row.set_bits, f.count_ones());
      EXPECT_DOUBLE_EQ(row.fill_ratio, f.fill_ratio());
      EXPECT_DOUBLE_EQ(row.estimated_count.value(), f.estimated_count(0.2).value());
    }
  }
  // Uptree = the filter last sent to a: self only (b is not a tree peer).
  const Filter up = sink.to(a)->filter;
  EXPECT_DOUBLE_EQ(s.uptree_fill_ratio.value(), up.fill_ratio());
  EXPECT_DOUBLE_EQ(s.uptree_estimated_count.value(), up.estimated_count(0.2).value());
  EXPECT_FALSE(st.snapshot(std::nullopt).uptree_fill_ratio.has_value());  // root
  EXPECT_EQ(s.stats.sent, 2u);
  EXPECT_EQ(s.stats.accepted, 1u);
}

}  // namespace
}  // namespace fips
