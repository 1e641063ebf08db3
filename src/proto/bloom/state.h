// BloomState: the sans-I/O bloom-filter core of one node. It keeps every
// peer's inbound filter (accepting FilterAnnounces by the reference's rules),
// composes the split-horizon outgoing filters, decides which peer gets a
// FilterAnnounce when (pending marks + per-peer debounce + one global
// sequence), answers routing queries ("which peers may reach X") and builds
// the show_bloom snapshot and the mesh-size estimate.
// Spec: docs/spec/stp-bloom.md §8-§12, §14-§16.
// Not here: the filter data structure (filter.h), the FilterAnnounce codec
// (wire.h), the spanning tree (the node says which peers are tree peers and
// who the parent is), sockets, clocks and logging (the node passes time in
// and logs from the returned results).
//
// How the node drives it (reference order, spec §14/§15):
//   peer promoted        -> on_peer_up(peer)             (marks that peer only)
//   peer removed         -> on_peer_down(peer)           (marks all remaining)
//   FilterAnnounce in    -> on_filter_announce(from, msg, now, is_tree_peer)
//                           (on accept it runs mark_changed_peers(from) itself)
//   tree Switch/SelfRoot -> mark_all()
//   AncestryUpdate with changed path -> mark_changed_peers(parent, is_tree_peer)
//   every tick, after the TreeAnnounce flush:
//                           tick(now, is_tree_peer, send)   (sends happen only here)
//                           then estimate_mesh_size() for show_status
//   show_bloom           -> snapshot(parent or nullopt when root)
//
// `is_tree_peer(addr)` must say whether addr is our parent or a child (a peer
// whose declaration names us as parent) at the time of the call, exactly the
// reference's Node::is_tree_peer. Only tree peers' inbound filters propagate.
//
// Re-entrancy: tick()'s send callback must not call back into the same
// BloomState (queue what you deliver to yourself); other instances are fine.
//
// Clock: `now_ms` is any millisecond clock the node uses consistently. The
// reference uses wall-clock ms for the debounce and filter_received_at; a
// monotonic clock is the better choice (a backwards wall-clock jump blocks
// sends in the reference) and nothing on the wire depends on it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "identity/node_addr.h"
#include "proto/bloom/filter.h"
#include "proto/bloom/wire.h"
#include "util/bytes.h"
#include "util/function_ref.h"

namespace fips::bloom {

namespace detail {
struct BloomScratch;
}

// The reference's `bloom` counter family, in its snapshot field order
// (node/stats.rs BloomStatsSnapshot). `invalid`, `non_v1` and
// `debounce_suppressed` exist for the control output but are never
// incremented (unreachable in the reference too: the decoder already rejects
// what they guard, and sends are only attempted for ready peers).
struct BloomCounters {
  uint64_t received = 0;
  uint64_t decode_error = 0;
  uint64_t invalid = 0;
  uint64_t non_v1 = 0;
  uint64_t unknown_peer = 0;
  uint64_t stale = 0;
  uint64_t fill_exceeded = 0;
  uint64_t accepted = 0;
  uint64_t sent = 0;
  uint64_t debounce_suppressed = 0;
  uint64_t send_failed = 0;
};

struct BloomParams {
  uint64_t update_debounce_ms = 500;  // node.bloom.update_debounce_ms
  double max_inbound_fpr = 0.20;  // node.bloom.max_inbound_fpr (not validated, as the reference)
  bool leaf_only = false;         // node.leaf_only: shown in show_bloom, no behaviour (spec B4)
};

// Bound on leaf dependents (the reference has no bound and no caller).
inline constexpr size_t kMaxLeafDependents = 1024;

enum class FilterVerdict : uint8_t {
  kAccepted,
  kDecodeError,   // codec rejected the message (spec §10 row 1)
  kUnknownPeer,   // sender not registered with on_peer_up
  kStale,         // sequence <= the stored one
  kFillExceeded,  // powi(ones/m, k) > max_inbound_fpr: dropped, stored filter and seq kept
};
const char* filter_verdict_name(FilterVerdict v);

// What on_filter_announce decided, with the numbers the node logs
// (fpr/set_bits are 0 on decode errors).
struct ReceiveResult {
  FilterVerdict verdict = FilterVerdict::kDecodeError;
  uint64_t sequence = 0;  // the announced sequence
  uint64_t previous = 0;  // the stored sequence it was compared with
  size_t set_bits = 0;
  double fpr = 0.0;
};

// Summary of one tick's sends. The reference WARNs (at most once per 60 s)
// when an outgoing filter is above max_inbound_fpr; the node does that from
// `max_outgoing_fpr > params.max_inbound_fpr`.
struct TickReport {
  uint32_t attempted = 0;
  uint32_t sent = 0;
  uint32_t send_failed = 0;
  double max_outgoing_fpr = 0.0;  // highest fpr among filters handed to send
  NodeAddr max_fpr_peer{};        // the recipient of that filter
};

// show_bloom peer_filters[] row (display_name is the node's business).
struct PeerFilterRow {
  NodeAddr peer{};
  bool has_filter = false;  // filter_sequence > 0
  uint64_t filter_sequence = 0;
  // Meaningful only when has_filter (the JSON omits them otherwise).
  std::optional<double> estimated_count;  // cap-aware, may be null even with a filter
  uint64_t set_bits = 0;
  double fill_ratio = 0.0;
};

struct BloomSnapshot {
  NodeAddr own_node_addr{};
  bool is_leaf_only = false;
  uint64_t sequence = 0;
  std::vector<NodeAddr> leaf_dependents;
  std::vector<PeerFilterRow> peer_filters;  // every registered peer, NodeAddr order
  // Last filter sent to the parent; null when root or never sent.
  std::optional<double> uptree_fill_ratio;
  std::optional<double> uptree_estimated_count;
  BloomCounters stats;
};

using IsTreePeerFn = FunctionRef<bool(const NodeAddr&)>;
// Hands one FilterAnnounce to the node: encode it (encode_filter_announce)
// into a link-message buffer and send it; return whether the send succeeded.
// `fa.filter_bits` is a view into scratch memory valid only during the call.
using SendAnnounceFn = FunctionRef<bool(const NodeAddr& peer, const FilterAnnounce& fa)>;

class BloomState {
 public:
  // `hash_key` keys the 64-bit digest of what was last sent to each peer
  // (change detection, see state.cc): pass random bits (the node's Rng) so a
  // peer cannot craft filters that collide.
  BloomState(const NodeAddr& self, const BloomParams& params, uint64_t hash_key0 = 0,
             uint64_t hash_key1 = 0);

  void set_params(const BloomParams& p) { params_ = p; }
  [[nodiscard]] const BloomParams& params() const { return params_; }
  [[nodiscard]] const NodeAddr& own_node_addr() const { return self_; }

  // ---- peers ----
  // Registers an authenticated peer and marks it pending (its initial
  // FilterAnnounce). For a peer that is already registered (connection
  // replaced) the inbound filter and its sequence reset, as a new ActivePeer
  // does in the reference; the send debounce/history is kept. Ignores self.
  // The table is bounded by the link layer's peer limit (only promoted peers
  // come here). Per peer: ~100 bytes, plus 1 KiB once it sent a filter; no
  // outgoing filter copy is kept (a 64-bit digest replaces it).
  void on_peer_up(const NodeAddr& peer);
  // Forgets the peer (inbound filter and send history) and marks every
  // remaining peer pending. False if it was not registered.
  bool on_peer_down(const NodeAddr& peer);
  [[nodiscard]] size_t peer_count() const { return slots_.size(); }
  [[nodiscard]] bool has_peer(const NodeAddr& peer) const { return find(peer) != nullptr; }

  // ---- inbound ----
  // `msg` is the whole link message starting at the 0x20 type byte. On accept
  // stores the filter and runs mark_changed_peers(from, is_tree_peer).
  ReceiveResult on_filter_announce(const NodeAddr& from, ByteSpan msg, uint64_t now_ms,
                                   IsTreePeerFn is_tree_peer);

  // ---- marking (pending is a set: marks coalesce, the state at send time is sent) ----
  bool mark(const NodeAddr& peer);  // false if not registered
  void mark_all();
  // Marks every peer except `exclude` whose outgoing filter, computed now,
  // differs from the last one sent to it (or that was never sent one).
  void mark_changed_peers(const NodeAddr& exclude, IsTreePeerFn is_tree_peer);
  void mark_changed_peers(IsTreePeerFn is_tree_peer);  // no exclusion
  [[nodiscard]] bool is_pending(const NodeAddr& peer) const;

  // ---- emission ----
  // Sends a FilterAnnounce to every pending peer whose debounce has passed
  // (never sent, or now >= last_sent + update_debounce_ms), in NodeAddr
  // order, each with the next global sequence (consumed even if the send
  // fails). Success clears the mark and stamps the time; failure keeps it.
  TickReport tick(uint64_t now_ms, IsTreePeerFn is_tree_peer, SendAnnounceFn send);
  // Earliest time a pending peer becomes ready (now_ms if one is ready now),
  // nullopt when nothing is pending. For event-driven shells; the reference
  // only sends on its 1 s tick.
  [[nodiscard]] std::optional<uint64_t> next_send_due(uint64_t now_ms) const;
  [[nodiscard]] uint64_t sequence() const { return sequence_; }

  // The filter this node would send to `peer` now (any address: a
  // non-registered or non-tree one gets base ∪ every tree peer's filter).
  // Allocation-free when `out` already is a default (8192-bit, k = 5) filter.
  // For tests and tools.
  void compute_outgoing(const NodeAddr& peer, IsTreePeerFn is_tree_peer, Filter& out) const;

  // ---- leaf dependents (base = {self} ∪ dependents) ----
  // The reference has the API but no caller (spec B4): the set stays empty.
  // Changing it changes every outgoing filter: call mark_all() afterwards.
  bool add_leaf_dependent(const NodeAddr& a);  // false if present, self, or full
  bool remove_leaf_dependent(const NodeAddr& a);
  [[nodiscard]] const std::vector<NodeAddr>& leaf_dependents() const { return leaf_deps_; }

  // ---- routing queries (every registered peer holding a filter, tree or not) ----
  [[nodiscard]] bool peer_filter_contains(const NodeAddr& peer, const NodeAddr& target) const;
  [[nodiscard]] bool peer_filter_contains(const NodeAddr& peer, const BaseHashes& target) const;
  // Clears `out`, then appends (NodeAddr order) every peer whose filter
  // contains target. Hashes target once.
  void peers_containing(const NodeAddr& target, std::vector<NodeAddr>& out) const;
  [[nodiscard]] bool any_peer_contains(const NodeAddr& target) const;
  [[nodiscard]] const Filter* inbound_filter(const NodeAddr& peer) const;
  [[nodiscard]] uint64_t filter_sequence(const NodeAddr& peer) const;  // 0 = none
  [[nodiscard]] uint64_t filter_received_ms(const NodeAddr& peer) const;

  // ---- observability ----
  // Spec §11: estimate of the union of every peer's inbound filter plus self,
  // rounded; nullopt when no peer has a filter or the union is saturated or
  // above max_inbound_fpr. O(peers × 1 KiB); the reference runs it each tick.
  [[nodiscard]] std::optional<uint64_t> estimate_mesh_size() const;
  // `parent`: our tree parent, nullopt when we are root.
  [[nodiscard]] BloomSnapshot snapshot(const std::optional<NodeAddr>& parent) const;
  [[nodiscard]] const BloomCounters& counters() const { return counters_; }

 private:
  struct Slot {
    explicit Slot(const NodeAddr& a) : addr(a) {}
    NodeAddr addr;
    std::optional<Filter> filter;  // inbound; always 8192 bits (decoder enforces size class 1)
    uint64_t filter_seq = 0;
    uint64_t received_ms = 0;
    uint64_t last_sent_ms = 0;
    uint64_t sent_digest = 0;  // keyed digest of the last filter sent (change detection)
    uint16_t sent_ones = 0;    // its popcount (show_bloom uptree numbers)
    bool ever_sent = false;
    bool pending = false;
    mutable bool contributes = false;  // set by prepare(): a tree peer holding a filter
  };
  using Scratch = detail::BloomScratch;

  Slot* find(const NodeAddr& a);
  const Slot* find(const NodeAddr& a) const;
  [[nodiscard]] bool ready(const Slot& s, uint64_t now_ms) const;
  void rebuild_base_bits();
  // Fills the scratch unions from the tree peers' filters and sets
  // Slot::contributes for each slot.
  void prepare(Scratch& sc, IsTreePeerFn is_tree_peer) const;
  // sc.out = outgoing filter for `target` (nullptr: a non-contributing peer).
  static void compose(Scratch& sc, const Slot* target);
  [[nodiscard]] uint64_t digest(const Scratch& sc) const;

  NodeAddr self_;
  BaseHashes self_hashes_;
  BloomParams params_;
  uint64_t key0_, key1_;
  uint64_t sequence_ = 0;            // last sequence used; first sent is 1
  std::vector<Slot> slots_;          // sorted by addr
  std::vector<NodeAddr> leaf_deps_;  // sorted
  std::vector<uint16_t> base_bits_;  // bit indices of self + dependents (k = 5)
  BloomCounters counters_;
};

}  // namespace fips::bloom
