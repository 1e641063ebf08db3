// TreeState: parent selection (evaluate_parent, docs/spec/stp-bloom.md §4),
// root election (§3),
// own-declaration mutation (set_parent / recompute_coords / become_root /
// recover, §2 S4-S8, §6 L2) and greedy next hop. Event handling and the
// effects of each decision live in tree.cc.
#include <algorithm>
#include <cmath>
#include <limits>

#include "proto/stp/tree.h"

namespace fips::stp {
namespace {

bool contains(const Coords& c, const NodeAddr& a) {
  return std::find(c.begin(), c.end(), a) != c.end();
}

}  // namespace

std::optional<NodeAddr> TreeState::smallest_visible_root() const {
  std::optional<NodeAddr> best;
  for (const auto& [addr, rec] : peers_) {
    if (!rec.tree) continue;
    if (!best || rec.tree->root() < *best) best = rec.tree->root();
  }
  return best;
}

bool TreeState::should_be_root() const {
  const auto r = smallest_visible_root();
  return !r || me_ <= *r;
}

TreeState::Eval TreeState::evaluate_parent(const PeerCosts& costs) const {
  // 1-2. Smallest root over ALL stored peers, before any candidate filtering.
  const auto smallest = smallest_visible_root();
  if (!smallest) return {};
  // 3. We are the smallest: no parent (the caller may self-root).
  if (me_ <= *smallest) return {};

  // 4-5. Candidates reaching the smallest root, without us in their path,
  // and (once any peer is measured) measured themselves.
  std::optional<NodeAddr> best;
  double best_eff = 0.0;
  for (const auto& [addr, rec] : peers_) {
    if (!rec.tree || rec.tree->root() != *smallest) continue;
    if (contains(rec.tree->coords, me_)) continue;
    // Not in the reference: a path we could not extend into an encodable
    // announce (ours would exceed kMaxAncestryEntries) is no candidate.
    if (rec.tree->coords.size() >= kMaxAncestryEntries) continue;
    double cost = 1.0;
    if (auto it = costs.find(addr); it != costs.end()) {
      cost = it->second;
    } else if (!costs.empty()) {
      continue;  // cold-start gate: unmeasured while others are measured
    }
    const double eff = static_cast<double>(rec.tree->depth()) + cost;
    // Ascending iteration: an exact tie keeps the smaller address.
    if (!best || eff < best_eff) {
      best = addr;
      best_eff = eff;
    }
  }
  if (!best) return {};

  const bool root_now = is_root();
  // 6. Already our parent.
  if (!root_now && my_.parent == *best) return {};
  // 7. Current parent has no stored position: path broken.
  if (!root_now && peer_entry(my_.parent) == nullptr) return {EvalKind::kMandatory, *best};
  // 8. A smaller root is visible.
  if (*smallest < root_ || (root_now && *smallest < me_)) return {EvalKind::kMandatory, *best};
  // 9. We are root but should not be.
  if (root_now) return {EvalKind::kMandatory, *best};

  // 10-11. Same root: cost comparison with hysteresis.
  double cur_cost = 1.0;
  if (auto it = costs.find(my_.parent); it != costs.end()) {
    cur_cost = it->second;
  } else if (!costs.empty()) {
    cur_cost = std::numeric_limits<double>::infinity();
  }
  const PeerTreeEntry* cur = peer_entry(my_.parent);
  if (cur == nullptr) return {EvalKind::kDiscretionary, *best};  // unreachable (step 7)
  const double cur_eff = static_cast<double>(cur->depth()) + cur_cost;
  if (best_eff < cur_eff * (1.0 - hysteresis_)) return {EvalKind::kDiscretionary, *best};
  return {};
}

std::optional<NodeAddr> TreeState::taken(const Eval& e, uint64_t now_ms) const {
  if (e.kind == EvalKind::kMandatory) return e.peer;
  if (e.kind == EvalKind::kDiscretionary && !damp_.suppressed(now_ms)) return e.peer;
  return std::nullopt;
}

bool TreeState::set_parent(const NodeAddr& parent, uint64_t seq, uint64_t unix_s, uint64_t now_ms) {
  const bool parent_changed = is_root() || my_.parent != parent;
  my_.parent = parent;
  my_.sequence = seq;
  my_.timestamp = unix_s;
  signed_ = false;
  damp_.mark_switch(now_ms);  // every call, changed or not (re-arms hold-down)
  return parent_changed && damp_.record_parent_switch(now_ms);
}

void TreeState::make_self_root(uint64_t seq, uint64_t unix_s) {
  my_.parent = me_;
  my_.sequence = seq;
  my_.timestamp = unix_s;
  signed_ = false;
  recompute_coords();
}

void TreeState::recompute_coords() {
  const AncestryEntry self{me_, my_.sequence, my_.timestamp};
  const PeerTreeEntry* parent = my_.parent == me_ ? nullptr : peer_entry(my_.parent);
  // Root declaration; or (defensive, unreachable: set_parent is only called
  // with a peer that has a stored position) a parent we know nothing about --
  // the reference keeps stale coords there, we demote so that what we sign
  // and send is always a valid path; or extending the parent's path would put
  // us at or below its root (S5 demotion in place, seq/ts kept); or (not in
  // the reference) the parent's path is already as long as an announce can
  // carry, so ours would be unencodable.
  if (parent == nullptr || me_ <= parent->root() || parent->coords.size() >= kMaxAncestryEntries) {
    my_.parent = me_;
    my_.ancestry.assign(1, self);
    my_coords_.assign(1, me_);
    root_ = me_;
    return;
  }
  my_.ancestry.clear();
  my_.ancestry.reserve(parent->ancestry.size() + 1);
  my_.ancestry.push_back(self);
  my_.ancestry.insert(my_.ancestry.end(), parent->ancestry.begin(), parent->ancestry.end());
  my_coords_.clear();
  my_coords_.reserve(parent->coords.size() + 1);
  my_coords_.push_back(me_);
  my_coords_.insert(my_coords_.end(), parent->coords.begin(), parent->coords.end());
  root_ = my_coords_.back();
}

bool TreeState::recover(const PeerCosts& costs, uint64_t now_ms, uint64_t unix_s) {
  if (auto p = taken(evaluate_parent(costs), now_ms)) {
    const bool engaged = set_parent(*p, my_.sequence + 1, unix_s, now_ms);
    recompute_coords();
    return engaged;
  }
  // No alternative: self-root without a set_parent (no hold-down/flap stamp).
  make_self_root(my_.sequence + 1, unix_s);
  return false;
}

bool TreeState::sign() {
  signed_ = sign_tree_announce(id_, my_);
  if (!signed_) ++counters_.outbound_sign_failed;
  return signed_;
}

template <class At>
std::optional<NodeAddr> TreeState::greedy_next_hop_impl(const At& at, size_t n) const {
  if (n == 0 || !(at(n - 1) == root_)) return std::nullopt;
  const auto mine = [&](size_t i) { return my_coords_[i]; };
  const uint64_t my_distance = tree_distance(mine, my_coords_.size(), at, n);
  std::optional<NodeAddr> best;
  uint64_t best_distance = UINT64_MAX;
  for (const auto& [addr, rec] : peers_) {
    if (!rec.tree) continue;
    const Coords& c = rec.tree->coords;
    const auto theirs = [&](size_t i) { return c[i]; };
    const uint64_t d = tree_distance(theirs, c.size(), at, n);
    if (!best || d < best_distance) {  // ascending: ties keep the smaller address
      best = addr;
      best_distance = d;
    }
  }
  if (best && best_distance < my_distance) return best;
  return std::nullopt;
}

std::optional<NodeAddr> TreeState::greedy_next_hop(const Coords& dest) const {
  return greedy_next_hop_impl([&](size_t i) { return dest[i]; }, dest.size());
}

std::optional<NodeAddr> TreeState::greedy_next_hop(const CoordsView& dest) const {
  return greedy_next_hop_impl([&](size_t i) { return dest.at(i); }, dest.size());
}

}  // namespace fips::stp
