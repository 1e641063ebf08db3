// TreeState: events (peer up/down, TreeAnnounce receive, first RTT, tick),
// the effects of each decision (docs/spec/stp-bloom.md §5.3 table, §6 L1), the per-peer
// announce rate limit (§13) and read-only queries. Parent selection and
// declaration mutation are in tree_eval.cc.
//
// Deviations from the reference, all invisible on the wire:
//  - The announce rate limit runs on the monotonic now_ms instead of wall-
//    clock ms (a backwards wall-clock jump no longer blocks announces), and
//    "never sent" is explicit instead of last_sent = 0.
//  - Announce requests made while handling ONE event are coalesced before
//    the rate limit is applied, and the content is built when the node
//    encodes it: an echo followed by a switch in the same announce sends the
//    peer the post-switch state once, where the reference sends the pre-switch
//    state and flags the post-switch one pending.
//  - A replaced connection (on_peer_up for a known peer) keeps the stored
//    declaration, as the reference does (spec §6 L5); a node that knows the
//    peer restarted should call on_peer_down first.
#include "proto/stp/tree.h"

#include <algorithm>

namespace fips::stp {

TreeState::TreeState(const Identity& id, const TreeConfig& cfg, uint64_t unix_s)
    : id_(id), cfg_(cfg), me_(id.node_addr()), root_(id.node_addr()) {
  hysteresis_ = std::clamp(cfg.parent_hysteresis, 0.0, 1.0);  // NaN stays NaN
  damp_.set_hold_down_secs(cfg.hold_down_secs);
  damp_.set_flap(cfg.flap_threshold, cfg.flap_window_secs, cfg.flap_dampening_secs);
  make_self_root(1, unix_s);
  sign();
}

// ---------------------------------------------------------------- events

TreeActions TreeState::on_peer_up(const NodeAddr& peer, uint64_t now_ms) {
  const Before b = before();
  TreeActions a;
  PeerRec& r = peers_[peer];
  // A new ActivePeer: fresh rate limiter and position copy; TreeState entry kept.
  r.last_sent_ms.reset();
  r.pending = false;
  r.can_rollback = false;
  r.announced_depth.reset();
  r.want = true;  // initial announce
  a.bloom = BloomMark::kPeer;
  a.bloom_peer = peer;
  a.reset_lookup_backoff = true;
  finish(b, now_ms, a);
  return a;
}

TreeActions TreeState::on_peer_down(const NodeAddr& peer, const PeerCosts& costs, uint64_t now_ms,
                                    uint64_t unix_s) {
  TreeActions a;
  auto it = peers_.find(peer);
  if (it == peers_.end()) return a;
  const Before b = before();
  const bool was_parent = is_parent(peer);
  peers_.erase(it);
  a.bloom = BloomMark::kAll;  // bloom state of the peer is gone: remark the rest
  if (was_parent) {
    ++counters_.parent_losses;
    a.decision = TreeDecision::kParentLost;
    const bool engaged = recover(costs, now_ms, unix_s);
    sign();
    a.invalidate_via_me = true;
    a.invalidate_other_roots = root_;
    if (engaged) {
      ++counters_.flap_dampened;
      a.flap_dampening_engaged = true;
    }
    // Announced on the next tick, not now (reference dispatch.rs).
    for (auto& [addr, r] : peers_) r.pending = true;
  }
  finish(b, now_ms, a);
  return a;
}

TreeActions TreeState::on_announce(const PeerIdentity& from, ByteSpan msg, const PeerCosts& costs,
                                   uint64_t now_ms, uint64_t unix_s) {
  TreeActions a;
  ++counters_.received;
  auto reject = [&](TreeReject why, uint64_t& counter) {
    ++counter;
    a.reject = why;
    return a;
  };
  auto decoded = decode_tree_announce(msg);
  if (!decoded.ok()) return reject(TreeReject::kDecodeError, counters_.decode_error);
  const TreeAnnounceView& m = *decoded;
  const NodeAddr& sender = from.node_addr();
  auto it = peers_.find(sender);
  if (it == peers_.end()) return reject(TreeReject::kUnknownPeer, counters_.unknown_peer);
  if (!declared_by(m, sender)) return reject(TreeReject::kAddrMismatch, counters_.addr_mismatch);
  if (!verify_tree_announce(from, m)) return reject(TreeReject::kSigFailed, counters_.sig_failed);
  if (check_ancestry(m) != AncestryCheck::kOk)
    return reject(TreeReject::kAncestryInvalid, counters_.ancestry_invalid);

  PeerRec& rec = it->second;
  rec.announced_depth = m.ancestry.size() - 1;  // S10: also for stale announces
  if (rec.tree && m.sequence <= rec.tree->sequence)
    return reject(TreeReject::kStale, counters_.stale);
  ++counters_.accepted;

  const Before b = before();
  PeerTreeEntry& e = rec.tree ? *rec.tree : rec.tree.emplace();
  e.sequence = m.sequence;
  e.timestamp = m.timestamp;
  e.parent = m.parent;
  e.ancestry = m.ancestry.to_owned();
  e.coords.clear();
  for (const AncestryEntry& x : e.ancestry) e.coords.push_back(x.node_addr);

  // Echo: the sender advertises a strictly worse root than ours.
  if (root_ < e.root()) rec.want = true;

  classify_announce(sender, costs, now_ms, unix_s, a);
  finish(b, now_ms, a);
  return a;
}

TreeActions TreeState::on_first_rtt(const PeerCosts& costs, uint64_t now_ms, uint64_t unix_s) {
  const Before b = before();
  TreeActions a;
  if (auto p = taken(evaluate_parent(costs), now_ms)) {
    do_switch(*p, now_ms, unix_s, a);
  } else if (!is_root() && should_be_root()) {
    do_self_root(unix_s, a);
  }
  finish(b, now_ms, a);
  return a;
}

TreeActions TreeState::tick(uint64_t now_ms, uint64_t unix_s, const PeerCosts& costs) {
  const Before b = before();
  TreeActions a;
  for (auto& [addr, r] : peers_)
    if (r.pending && send_allowed(r, now_ms)) r.want = true;

  const uint64_t interval_ms =
      cfg_.reeval_interval_secs > UINT64_MAX / 1000 ? UINT64_MAX : cfg_.reeval_interval_secs * 1000;
  const bool due = !last_reeval_ms_ || now_ms - std::min(now_ms, *last_reeval_ms_) >= interval_ms;
  if (cfg_.reeval_interval_secs != 0 && peers_.size() >= 2 && due) {
    last_reeval_ms_ = now_ms;
    if (auto p = taken(evaluate_parent(costs), now_ms)) {
      do_switch(*p, now_ms, unix_s, a);
    } else if (!is_root() && should_be_root()) {
      do_self_root(unix_s, a);
    } else {
      a.decision = TreeDecision::kPeriodicRebroadcast;  // same seq: receivers count it stale
      want_all();
    }
  }
  finish(b, now_ms, a);
  return a;
}

void TreeState::on_announce_send_failed(const NodeAddr& peer) {
  ++counters_.send_failed;
  auto it = peers_.find(peer);
  if (it == peers_.end() || !it->second.can_rollback) return;
  PeerRec& r = it->second;
  if (counters_.sent > 0) --counters_.sent;
  r.last_sent_ms = r.prev_last_sent_ms;
  r.pending = r.prev_pending;
  r.can_rollback = false;
}

// ---------------------------------------------------------------- decisions

void TreeState::classify_announce(const NodeAddr& from, const PeerCosts& costs, uint64_t now_ms,
                                  uint64_t unix_s, TreeActions& a) {
  if (auto p = taken(evaluate_parent(costs), now_ms)) {
    do_switch(*p, now_ms, unix_s, a);
  } else if (!is_root() && should_be_root()) {
    do_self_root(unix_s, a);
  } else if (!is_root() && my_.parent == from) {
    const PeerTreeEntry* pe = peer_entry(from);  // just stored: never null
    if (pe != nullptr && std::find(pe->coords.begin(), pe->coords.end(), me_) != pe->coords.end()) {
      do_loop_drop(costs, now_ms, unix_s, a);
    } else {
      do_ancestry_update(from, now_ms, unix_s, a);
    }
  } else {
    a.decision = TreeDecision::kNoChange;
  }
}

void TreeState::do_switch(const NodeAddr& p, uint64_t now_ms, uint64_t unix_s, TreeActions& a) {
  a.decision = TreeDecision::kSwitch;
  const bool engaged = set_parent(p, my_.sequence + 1, unix_s, now_ms);
  recompute_coords();
  if (!sign()) return;
  a.invalidate_via_me = true;  // entries of an old root are kept
  a.reset_lookup_backoff = true;
  ++counters_.parent_switches;
  if (engaged) {
    ++counters_.flap_dampened;
    a.flap_dampening_engaged = true;
  }
  want_all();
  a.bloom = BloomMark::kAll;
}

void TreeState::do_self_root(uint64_t unix_s, TreeActions& a) {
  a.decision = TreeDecision::kSelfRoot;
  become_root(unix_s);
  if (!sign()) return;
  a.invalidate_other_roots = me_;
  a.reset_lookup_backoff = true;
  ++counters_.parent_switches;
  want_all();
  a.bloom = BloomMark::kAll;
}

void TreeState::do_loop_drop(const PeerCosts& costs, uint64_t now_ms, uint64_t unix_s,
                             TreeActions& a) {
  a.decision = TreeDecision::kLoopDrop;
  ++counters_.loop_detected;
  const bool engaged = recover(costs, now_ms, unix_s);
  if (!sign()) return;
  a.invalidate_via_me = true;
  a.invalidate_other_roots = root_;
  a.reset_lookup_backoff = true;
  want_all();  // no bloom marking, no parent_switches (reference)
  if (engaged) {
    ++counters_.flap_dampened;
    a.flap_dampening_engaged = true;
  }
}

void TreeState::do_ancestry_update(const NodeAddr& from, uint64_t now_ms, uint64_t unix_s,
                                   TreeActions& a) {
  a.decision = TreeDecision::kAncestryUpdate;
  const Coords old = my_coords_;
  // Same parent: no flap count, but hold-down is re-armed.
  const bool engaged = set_parent(from, my_.sequence + 1, unix_s, now_ms);
  recompute_coords();  // may demote to self-root (S5)
  if (!sign()) return;
  a.invalidate_via_me = true;
  a.reset_lookup_backoff = true;
  if (engaged) {  // unreachable (parent unchanged); kept like the reference
    ++counters_.flap_dampened;
    a.flap_dampening_engaged = true;
  }
  if (my_coords_ != old) {
    ++counters_.ancestry_changed;
    want_all();
    a.bloom = BloomMark::kChangedExcept;
    a.bloom_peer = from;
  }
}

// ---------------------------------------------------------------- rate limit

void TreeState::want_all() {
  for (auto& [addr, r] : peers_) r.want = true;
}

bool TreeState::send_allowed(const PeerRec& r, uint64_t now_ms) const {
  if (!r.last_sent_ms) return true;
  const uint64_t since = now_ms >= *r.last_sent_ms ? now_ms - *r.last_sent_ms : 0;
  return since >= cfg_.announce_min_interval_ms;
}

void TreeState::finish(const Before& b, uint64_t now_ms, TreeActions& a) {
  for (auto& [addr, r] : peers_) {
    r.can_rollback = false;
    if (!r.want) continue;
    r.want = false;
    if (send_allowed(r, now_ms)) {
      r.prev_last_sent_ms = r.last_sent_ms;
      r.prev_pending = r.pending;
      r.can_rollback = true;
      r.last_sent_ms = now_ms;
      r.pending = false;
      ++counters_.sent;
      a.announce_to.push_back(addr);
    } else {
      r.pending = true;  // coalesced: the newest state leaves on a later tick
      ++counters_.rate_limited;
    }
  }
  a.parent_changed = b.parent != (is_root() ? me_ : my_.parent);
  a.coords_changed = b.coords != my_coords_;
}

// ---------------------------------------------------------------- queries

size_t TreeState::peer_tree_count() const {
  size_t n = 0;
  for (const auto& [addr, r] : peers_)
    if (r.tree) ++n;
  return n;
}

const PeerTreeEntry* TreeState::peer_entry(const NodeAddr& peer) const {
  auto it = peers_.find(peer);
  if (it == peers_.end() || !it->second.tree) return nullptr;
  return &*it->second.tree;
}

const Coords* TreeState::peer_coords(const NodeAddr& peer) const {
  const PeerTreeEntry* e = peer_entry(peer);
  return e ? &e->coords : nullptr;
}

std::optional<size_t> TreeState::peer_announced_depth(const NodeAddr& peer) const {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return std::nullopt;
  return it->second.announced_depth;
}

bool TreeState::is_child(const NodeAddr& peer) const {
  const PeerTreeEntry* e = peer_entry(peer);
  return e != nullptr && e->parent == me_;
}

std::vector<NodeAddr> TreeState::tree_peers() const {
  std::vector<NodeAddr> out;
  for (const auto& [addr, r] : peers_)
    if (is_tree_peer(addr)) out.push_back(addr);
  return out;
}

bool TreeState::announce_pending(const NodeAddr& peer) const {
  auto it = peers_.find(peer);
  return it != peers_.end() && it->second.pending;
}

TreeSnapshot TreeState::snapshot() const {
  TreeSnapshot s;
  s.my_node_addr = me_;
  s.root = root_;
  s.is_root = is_root();
  s.depth = depth();
  s.my_coords = my_coords_;
  s.parent = parent();
  s.declaration_sequence = my_.sequence;
  s.declaration_signed = signed_;
  s.peer_tree_count = peer_tree_count();
  for (const auto& [addr, r] : peers_) {
    if (!r.tree) continue;
    s.peers.push_back(TreePeerSnapshot{addr, r.tree->coords, r.tree->depth(), r.tree->root(),
                                       tree_distance(my_coords_, r.tree->coords)});
  }
  s.stats = counters_;
  return s;
}

}  // namespace fips::stp
