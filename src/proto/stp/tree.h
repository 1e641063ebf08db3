// Spanning-tree core (sans-I/O): our signed parent declaration and
// coordinates, every active peer's last accepted declaration + ancestry,
// root election, parent selection with hysteresis / hold-down / flap
// dampening, TreeAnnounce receive validation and the per-peer announce rate
// limit. Behaviour follows docs/spec/stp-bloom.md §0-§7, §12-§16 (the
// Rust reference's proto/stp/{state,core,limits}.rs + node/tree.rs).
// Not here: the wire codec and signature helpers (wire.h), hold-down/flap
// arithmetic (dampener.h), bloom filters, the coordinate cache, lookups,
// sockets, clocks and logs (the Node executes TreeActions).
//
// How the Node drives it (all calls on the node thread; now_ms = monotonic
// ms, unix_s = wall-clock Unix seconds, peer_costs = {peer: link_cost} for the
// active peers that HAVE a link MMP SRTT sample (proto/mmp/link_cost.h;
// ours: also peers that never report, at 1.0, docs/spec/stp-bloom.md §4.4);
// empty while no peer is measured, which makes every candidate cost 1.0):
//   peer promoted     -> on_peer_up(addr, now_ms)
//   peer removed      -> on_peer_down(addr, peer_costs_without_it, now_ms, unix_s)
//   TreeAnnounce 0x10 -> on_announce(peer_identity, msg, peer_costs, now_ms, unix_s)
//   first SRTT sample -> on_first_rtt(peer_costs_including_it, now_ms, unix_s)
//   every node tick   -> tick(now_ms, unix_s, peer_costs)   (before the bloom tick)
// Each returns TreeActions; execute them in this order:
//   1. invalidate_via_me -> coord_cache.invalidate_via_node(my addr);
//      invalidate_other_roots -> coord_cache.invalidate_other_roots(*it)
//   2. reset_lookup_backoff
//   3. announce_to: encode_announce() once, send the same bytes to each
//      listed peer; on a failed send call on_announce_send_failed(peer)
//   4. bloom: kPeer -> mark bloom_peer; kAll -> mark every active peer;
//      kChangedExcept -> mark_changed_peers(exclude bloom_peer)
//   5. flap_dampening_engaged -> WARN log (the counter is already counted)
// The rate limit is applied inside: peers that must wait are flagged pending
// and show up in announce_to of a later tick().
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "identity/identity.h"
#include "identity/node_addr.h"
#include "proto/coords.h"
#include "proto/stp/dampener.h"
#include "proto/stp/wire.h"
#include "util/bytes.h"

namespace fips::stp {

// node.tree.* (reference defaults).
struct TreeConfig {
  uint64_t announce_min_interval_ms = 500;
  double parent_hysteresis = 0.2;      // clamped to [0,1]; NaN disables discretionary switches
  uint64_t hold_down_secs = 30;        // 0 disables
  uint64_t reeval_interval_secs = 60;  // 0 disables periodic re-eval and re-broadcast
  uint32_t flap_threshold = 4;
  uint64_t flap_window_secs = 60;
  uint64_t flap_dampening_secs = 120;  // clamped to one year
};

// {peer -> link cost} for peers with an SRTT sample (the cold-start gate).
using PeerCosts = std::map<NodeAddr, double>;

// Reference `tree` metric family (node/metrics.rs), snapshot order.
struct TreeCounters {
  uint64_t received = 0;
  uint64_t decode_error = 0;
  uint64_t unknown_peer = 0;
  uint64_t addr_mismatch = 0;
  uint64_t sig_failed = 0;
  uint64_t stale = 0;
  uint64_t ancestry_invalid = 0;
  uint64_t accepted = 0;
  uint64_t loop_detected = 0;
  uint64_t ancestry_changed = 0;
  uint64_t sent = 0;  // announces handed to the node, minus reported failures
  uint64_t rate_limited = 0;
  uint64_t send_failed = 0;
  uint64_t outbound_sign_failed = 0;
  uint64_t parent_switches = 0;
  uint64_t parent_losses = 0;
  uint64_t flap_dampened = 0;
  bool operator==(const TreeCounters&) const = default;
};

// Why an inbound TreeAnnounce was dropped (one counter each).
enum class TreeReject : uint8_t {
  kNone,
  kDecodeError,
  kUnknownPeer,
  kAddrMismatch,
  kSigFailed,
  kAncestryInvalid,
  kStale,
};

// What the event did to our position (for logs and tests).
enum class TreeDecision : uint8_t {
  kNone,                 // nothing evaluated (reject, peer up, non-parent peer down, quiet tick)
  kNoChange,             // accepted announce, ladder found nothing to do
  kSwitch,               // new parent (announce / periodic / first-RTT)
  kSelfRoot,             // promoted ourselves to root
  kLoopDrop,             // parent's new ancestry contains us: recovered
  kAncestryUpdate,       // parent re-announced: same parent, re-derived coords
  kParentLost,           // parent removed: recovered
  kPeriodicRebroadcast,  // periodic re-eval found nothing: re-announce as is
};

enum class BloomMark : uint8_t {
  kNone,
  kPeer,           // mark bloom_peer only (peer up)
  kAll,            // mark every active peer
  kChangedExcept,  // mark_changed_peers(exclude = bloom_peer)
};

struct TreeActions {
  TreeReject reject = TreeReject::kNone;
  TreeDecision decision = TreeDecision::kNone;
  std::vector<NodeAddr> announce_to;  // ascending NodeAddr, rate limit applied
  BloomMark bloom = BloomMark::kNone;
  NodeAddr bloom_peer{};
  bool invalidate_via_me = false;
  std::optional<NodeAddr> invalidate_other_roots;
  bool reset_lookup_backoff = false;
  bool parent_changed = false;  // effective parent (self when root) differs
  bool coords_changed = false;  // address path self->root differs
  bool flap_dampening_engaged = false;
};

// A peer's last accepted (freshest) declaration.
struct PeerTreeEntry {
  uint64_t sequence = 0;
  uint64_t timestamp = 0;
  NodeAddr parent{};
  Ancestry ancestry;  // self -> root, as received
  Coords coords;      // addresses of `ancestry`
  [[nodiscard]] size_t depth() const { return coords.size() - 1; }
  [[nodiscard]] const NodeAddr& root() const { return coords.back(); }
};

// show_tree (docs/spec/control.md §3.8); display names / root_npub are the node's.
struct TreePeerSnapshot {
  NodeAddr node_addr{};
  Coords coords;
  size_t depth = 0;
  NodeAddr root{};
  uint64_t distance_to_us = 0;  // UINT64_MAX when rooted elsewhere
};
struct TreeSnapshot {
  NodeAddr my_node_addr{};
  NodeAddr root{};
  bool is_root = true;
  size_t depth = 0;
  Coords my_coords;
  NodeAddr parent{};  // self when root
  uint64_t declaration_sequence = 0;
  bool declaration_signed = false;
  size_t peer_tree_count = 0;
  std::vector<TreePeerSnapshot> peers;  // ascending NodeAddr
  TreeCounters stats;
};

class TreeState {
 public:
  // Starts as a signed self-root declaration, sequence 1, timestamp unix_s.
  // `id` must outlive the TreeState.
  TreeState(const Identity& id, const TreeConfig& cfg, uint64_t unix_s);
  TreeState(const TreeState&) = delete;
  TreeState& operator=(const TreeState&) = delete;

  // ---- events ----
  // Registers an active peer (or resets the rate limiter of a replaced
  // connection; its stored declaration is kept) and sends it our announce.
  TreeActions on_peer_up(const NodeAddr& peer, uint64_t now_ms);
  // Forgets the peer. If it was our parent: recover (new parent or self-root)
  // and flag every remaining peer pending (sent by the next tick()).
  TreeActions on_peer_down(const NodeAddr& peer, const PeerCosts& costs, uint64_t now_ms,
                           uint64_t unix_s);
  // msg starts at the msg_type byte. Decode, validation, signature check,
  // freshness, then the classify ladder; every reject is counted.
  TreeActions on_announce(const PeerIdentity& from, ByteSpan msg, const PeerCosts& costs,
                          uint64_t now_ms, uint64_t unix_s);
  // A peer just got its first SRTT sample (costs include it).
  TreeActions on_first_rtt(const PeerCosts& costs, uint64_t now_ms, uint64_t unix_s);
  // Pending announces that are due, then the periodic re-eval/re-broadcast.
  TreeActions tick(uint64_t now_ms, uint64_t unix_s, const PeerCosts& costs);
  // The node could not send an announce listed in announce_to: undo that
  // peer's rate-limit stamp (reference: no stamp, pending flag unchanged).
  void on_announce_send_failed(const NodeAddr& peer);

  // ---- outgoing ----
  [[nodiscard]] size_t announce_wire_size() const { return tree_announce_wire_size(my_); }
  [[nodiscard]] WireStatus encode_announce(Writer& w) const { return encode_tree_announce(w, my_); }
  [[nodiscard]] const TreeAnnounce& my_announce() const { return my_; }

  // ---- queries ----
  [[nodiscard]] const NodeAddr& my_node_addr() const { return me_; }
  [[nodiscard]] const Coords& my_coords() const { return my_coords_; }
  [[nodiscard]] const Ancestry& my_ancestry() const { return my_.ancestry; }
  [[nodiscard]] const NodeAddr& root() const { return root_; }
  [[nodiscard]] size_t depth() const { return my_coords_.size() - 1; }
  [[nodiscard]] bool is_root() const { return root_ == me_; }
  // Coordinate parent (entry [1]), self when root (show_tree "parent").
  [[nodiscard]] NodeAddr parent() const { return my_coords_.size() > 1 ? my_coords_[1] : me_; }
  [[nodiscard]] uint64_t declaration_sequence() const { return my_.sequence; }
  [[nodiscard]] uint64_t declaration_timestamp() const { return my_.timestamp; }
  [[nodiscard]] bool declaration_signed() const { return signed_; }

  [[nodiscard]] bool has_peer(const NodeAddr& peer) const { return peers_.count(peer) != 0; }
  [[nodiscard]] size_t peer_count() const { return peers_.size(); }  // active peers
  [[nodiscard]] size_t peer_tree_count() const;  // peers with a stored declaration
  [[nodiscard]] const PeerTreeEntry* peer_entry(const NodeAddr& peer) const;
  [[nodiscard]] const Coords* peer_coords(const NodeAddr& peer) const;
  // Depth from the peer's last VERIFIED announce, stale ones included (the
  // reference ActivePeer copy behind show_peers tree_depth/has_tree_position).
  [[nodiscard]] std::optional<size_t> peer_announced_depth(const NodeAddr& peer) const;
  [[nodiscard]] bool is_parent(const NodeAddr& peer) const {
    return !is_root() && my_.parent == peer;
  }
  // The peer's stored declaration names us as its parent.
  [[nodiscard]] bool is_child(const NodeAddr& peer) const;
  [[nodiscard]] bool is_tree_peer(const NodeAddr& peer) const {
    return is_parent(peer) || is_child(peer);
  }
  [[nodiscard]] std::vector<NodeAddr> tree_peers() const;  // ascending
  [[nodiscard]] bool announce_pending(const NodeAddr& peer) const;

  // Greedy tree next hop (reference TreeState::find_next_hop): among peers
  // with stored coordinates, the one with minimum (distance to dest, addr),
  // only if strictly closer than we are and dest shares our root.
  [[nodiscard]] std::optional<NodeAddr> greedy_next_hop(const Coords& dest) const;
  [[nodiscard]] std::optional<NodeAddr> greedy_next_hop(const CoordsView& dest) const;

  [[nodiscard]] bool switch_suppressed(uint64_t now_ms) const { return damp_.suppressed(now_ms); }
  [[nodiscard]] const FlapDampener& dampener() const { return damp_; }
  [[nodiscard]] const TreeConfig& config() const { return cfg_; }
  [[nodiscard]] const TreeCounters& counters() const { return counters_; }
  [[nodiscard]] TreeSnapshot snapshot() const;

 private:
  enum class EvalKind : uint8_t { kNone, kMandatory, kDiscretionary };
  struct Eval {
    EvalKind kind = EvalKind::kNone;
    NodeAddr peer{};
  };
  struct PeerRec {
    std::optional<uint64_t> last_sent_ms;  // announce rate limiter
    bool pending = false;
    bool want = false;  // scratch: an announce was requested during this event
    bool can_rollback = false;
    std::optional<uint64_t> prev_last_sent_ms;
    bool prev_pending = false;
    std::optional<size_t> announced_depth;
    std::optional<PeerTreeEntry> tree;
  };
  struct Before {
    NodeAddr parent;
    Coords coords;
  };

  // tree_eval.cc: selection and own-declaration mutation.
  [[nodiscard]] Eval evaluate_parent(const PeerCosts& costs) const;
  [[nodiscard]] std::optional<NodeAddr> smallest_visible_root() const;
  [[nodiscard]] bool should_be_root() const;
  [[nodiscard]] std::optional<NodeAddr> taken(const Eval& e, uint64_t now_ms) const;
  bool set_parent(const NodeAddr& parent, uint64_t seq, uint64_t unix_s, uint64_t now_ms);
  void recompute_coords();
  void make_self_root(uint64_t seq, uint64_t unix_s);
  void become_root(uint64_t unix_s) { make_self_root(my_.sequence + 1, unix_s); }
  bool recover(const PeerCosts& costs, uint64_t now_ms, uint64_t unix_s);
  bool sign();

  // tree.cc: effects of each decision.
  void do_switch(const NodeAddr& p, uint64_t now_ms, uint64_t unix_s, TreeActions& a);
  void do_self_root(uint64_t unix_s, TreeActions& a);
  void do_loop_drop(const PeerCosts& costs, uint64_t now_ms, uint64_t unix_s, TreeActions& a);
  void do_ancestry_update(const NodeAddr& from, uint64_t now_ms, uint64_t unix_s, TreeActions& a);
  void classify_announce(const NodeAddr& from, const PeerCosts& costs, uint64_t now_ms,
                         uint64_t unix_s, TreeActions& a);
  [[nodiscard]] Before before() const { return Before{is_root() ? me_ : my_.parent, my_coords_}; }
  void want_all();
  void finish(const Before& b, uint64_t now_ms, TreeActions& a);
  [[nodiscard]] bool send_allowed(const PeerRec& r, uint64_t now_ms) const;
  // `at(i)` yields entry i of the destination coordinates (n entries).
  template <class At>
  [[nodiscard]] std::optional<NodeAddr> greedy_next_hop_impl(const At& at, size_t n) const;

  const Identity& id_;
  TreeConfig cfg_;
  NodeAddr me_;
  TreeAnnounce my_;  // own declaration + ancestry (= coords with metadata) + signature
  Coords my_coords_;
  NodeAddr root_;
  bool signed_ = false;
  double hysteresis_ = 0.0;
  FlapDampener damp_;
  std::optional<uint64_t> last_reeval_ms_;
  std::map<NodeAddr, PeerRec> peers_;  // active peers; ascending order = reference tie-breaks
  TreeCounters counters_;
};

}  // namespace fips::stp
