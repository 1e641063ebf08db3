// BloomState implementation: inbound acceptance, split-horizon composition,
// emission and queries. See state.h for the API and the node's call order.
// Not here: hashing/estimator maths (filter.cc), the codec (wire.cc).
//
// Composition in O(peers × filter) with constant scratch. With C = the
// contributing filters (tree peers holding one) and base = {self} ∪ leaf
// dependents, the filter to Q is base ∪ ⋃{F ∈ C, F ≠ F_Q}. Per bit b:
//   all_b   = some F in C has b;  multi_b = at least two F in C have b.
// If Q contributes, bit b is in ⋃{F ≠ F_Q} iff multi_b, or all_b and not
// Q's bit (exactly one filter has it and it is not Q's). So
//   out(Q) = base | multi | (all & ~F_Q)    for a contributing Q,
//   out(Q) = base | all                     for any other peer,
// bit-identical to the reference's per-peer union (docs/spec/stp-bloom.md B2), computed with
// one pass over C plus one filter-sized pass per recipient.
//
// Change detection keeps, per peer, a keyed 64-bit SipHash-1-3 digest of the
// last filter sent instead of a 1 KiB copy (the reference keeps the copy).
// Risk: if a changed filter has the same digest as the last one sent, the
// change is not announced until the next change or unconditional mark. For
// unrelated filters that is a 2^-64 event; the key (random per node) stops a
// peer from steering its filter bits into a collision, since SipHash is a PRF.

#include "proto/bloom/state.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>

namespace fips::bloom {

namespace {

constexpr size_t kWords = kDefaultFilterBytes / 8;  // 128
static_assert(kDefaultFilterBytes % 8 == 0);
static_assert(kDefaultFilterBits <= 65536, "base bit indices are stored as uint16_t");

inline uint64_t load_word(const uint8_t* p, size_t i) {
  uint64_t w;
  std::memcpy(&w, p + 8 * i, 8);  // native order: only bitwise ops and our own digest use it
  return w;
}

inline void set_bit(uint64_t* words, size_t bit) {
  auto* bytes = reinterpret_cast<uint8_t*>(words);  // byte view keeps the wire bit order
  bytes[bit / 8] = static_cast<uint8_t>(bytes[bit / 8] | (1u << (bit % 8)));
}

inline bool test_bit(const uint8_t* bytes, size_t bit) {
  return ((static_cast<unsigned>(bytes[bit / 8]) >> (bit % 8)) & 1u) != 0;
}

// Bit index of hash i in an 8192-bit filter (filter.h scheme).
inline size_t bit_of(const BaseHashes& h, uint32_t i) {
  return static_cast<size_t>((h.h1 + static_cast<uint64_t>(i) * h.h2) % kDefaultFilterBits);
}

inline uint64_t rotl(uint64_t x, int b) {
  return (x << b) | (x >> (64 - b));
}

inline void sip_round(uint64_t& v0, uint64_t& v1, uint64_t& v2, uint64_t& v3) {
  v0 += v1;
  v1 = rotl(v1, 13);
  v1 ^= v0;
  v0 = rotl(v0, 32);
  v2 += v3;
  v3 = rotl(v3, 16);
  v3 ^= v2;
  v0 += v3;
  v3 = rotl(v3, 21);
  v3 ^= v0;
  v2 += v1;
  v1 = rotl(v1, 17);
  v1 ^= v2;
  v2 = rotl(v2, 32);
}

// SipHash-1-3 over whole 64-bit words.
uint64_t siphash13(uint64_t k0, uint64_t k1, const uint64_t* m, size_t n) {
  uint64_t v0 = k0 ^ 0x736f6d6570736575ULL;
  uint64_t v1 = k1 ^ 0x646f72616e646f6dULL;
  uint64_t v2 = k0 ^ 0x6c7967656e657261ULL;
  uint64_t v3 = k1 ^ 0x7465646279746573ULL;
  for (size_t i = 0; i < n; ++i) {
    v3 ^= m[i];
    sip_round(v0, v1, v2, v3);
    v0 ^= m[i];
  }
  const uint64_t b = static_cast<uint64_t>(n * 8) << 56;
  v3 ^= b;
  sip_round(v0, v1, v2, v3);
  v0 ^= b;
  v2 ^= 0xff;
  for (int r = 0; r < 3; ++r) sip_round(v0, v1, v2, v3);
  return v0 ^ v1 ^ v2 ^ v3;
}

}  // namespace

namespace detail {

// Filter-sized work buffers. They carry nothing from one call to the next.
struct BloomScratch {
  alignas(64) uint64_t all[kWords];
  alignas(64) uint64_t multi[kWords];
  alignas(64) uint64_t base_all[kWords];
  alignas(64) uint64_t base_multi[kWords];
  alignas(64) uint64_t out[kWords];
};

}  // namespace detail

namespace {

// One scratch per thread, shared by every BloomState on it (a simulator runs
// thousands of nodes per thread: 5 KiB per node would add up). A nested use
// on the same thread (another instance called from a send callback) gets a
// heap buffer instead of clobbering the one in use.
class ScratchLease {
 public:
  ScratchLease() {
    if (busy_) {
      own_ = std::make_unique<detail::BloomScratch>();
      sc_ = own_.get();
    } else {
      busy_ = true;
      sc_ = &tls_;
    }
  }
  ~ScratchLease() {
    if (!own_) busy_ = false;
  }
  ScratchLease(const ScratchLease&) = delete;
  ScratchLease& operator=(const ScratchLease&) = delete;
  detail::BloomScratch& operator*() { return *sc_; }

 private:
  static thread_local detail::BloomScratch tls_;
  static thread_local bool busy_;
  detail::BloomScratch* sc_ = nullptr;
  std::unique_ptr<detail::BloomScratch> own_;
};
thread_local detail::BloomScratch ScratchLease::tls_;
thread_local bool ScratchLease::busy_ = false;

}  // namespace

const char* filter_verdict_name(FilterVerdict v) {
  switch (v) {
    case FilterVerdict::kAccepted:
      return "accepted";
    case FilterVerdict::kDecodeError:
      return "decode_error";
    case FilterVerdict::kUnknownPeer:
      return "unknown_peer";
    case FilterVerdict::kStale:
      return "stale";
    case FilterVerdict::kFillExceeded:
      return "fill_exceeded";
  }
  return "unknown";
}

BloomState::BloomState(const NodeAddr& self, const BloomParams& params, uint64_t hash_key0,
                       uint64_t hash_key1)
    : self_(self),
      self_hashes_(base_hashes(self)),
      params_(params),
      key0_(hash_key0),
      key1_(hash_key1) {
  rebuild_base_bits();
}

BloomState::Slot* BloomState::find(const NodeAddr& a) {
  auto it = std::lower_bound(slots_.begin(), slots_.end(), a,
                             [](const Slot& s, const NodeAddr& x) { return s.addr < x; });
  return (it != slots_.end() && it->addr == a) ? &*it : nullptr;
}

const BloomState::Slot* BloomState::find(const NodeAddr& a) const {
  return const_cast<BloomState*>(this)->find(a);
}

// ---------------------------------------------------------------- peers

void BloomState::on_peer_up(const NodeAddr& peer) {
  if (peer == self_) return;
  auto it = std::lower_bound(slots_.begin(), slots_.end(), peer,
                             [](const Slot& s, const NodeAddr& x) { return s.addr < x; });
  if (it == slots_.end() || it->addr != peer) it = slots_.emplace(it, peer);
  it->filter.reset();
  it->filter_seq = 0;
  it->received_ms = 0;
  it->pending = true;
}

bool BloomState::on_peer_down(const NodeAddr& peer) {
  auto it = std::lower_bound(slots_.begin(), slots_.end(), peer,
                             [](const Slot& s, const NodeAddr& x) { return s.addr < x; });
  if (it == slots_.end() || it->addr != peer) return false;
  slots_.erase(it);
  mark_all();
  return true;
}

// ---------------------------------------------------------------- inbound

ReceiveResult BloomState::on_filter_announce(const NodeAddr& from, ByteSpan msg, uint64_t now_ms,
                                             IsTreePeerFn is_tree_peer) {
  ReceiveResult r;
  ++counters_.received;
  auto decoded = decode_filter_announce(msg);
  if (!decoded.ok()) {
    ++counters_.decode_error;
    r.verdict = FilterVerdict::kDecodeError;
    return r;
  }
  const FilterAnnounce& fa = decoded.value();
  r.sequence = fa.sequence;
  Slot* s = find(from);
  if (s == nullptr) {
    ++counters_.unknown_peer;
    r.verdict = FilterVerdict::kUnknownPeer;
    return r;
  }
  r.previous = s->filter_seq;
  if (fa.sequence <= s->filter_seq) {
    ++counters_.stale;
    r.verdict = FilterVerdict::kStale;
    return r;
  }
  r.set_bits = count_ones(fa.filter_bits);
  const double fill =
      static_cast<double>(r.set_bits) / static_cast<double>(fa.filter_bits.size() * 8);
  r.fpr = powi(fill, fa.hash_count);
  if (r.fpr > params_.max_inbound_fpr) {
    // Anti-poisoning: silent drop; the stored filter and sequence stay, so a
    // later valid announce (even with this sequence) is still accepted.
    ++counters_.fill_exceeded;
    r.verdict = FilterVerdict::kFillExceeded;
    return r;
  }
  ++counters_.accepted;
  r.verdict = FilterVerdict::kAccepted;
  if (s->filter && s->filter->hash_count() == fa.hash_count) {
    (void)s->filter->assign_bits(fa.filter_bits);  // same size: decoder demands class 1
  } else {
    auto f = to_filter(fa);  // first filter from this peer, or its k changed
    if (!f.ok()) return r;   // unreachable: the decoder checked size and k
    s->filter = std::move(f).value();
  }
  s->filter_seq = fa.sequence;
  s->received_ms = now_ms;
  mark_changed_peers(from, is_tree_peer);
  return r;
}

// ---------------------------------------------------------------- marking

bool BloomState::mark(const NodeAddr& peer) {
  Slot* s = find(peer);
  if (s == nullptr) return false;
  s->pending = true;
  return true;
}

void BloomState::mark_all() {
  for (Slot& s : slots_) s.pending = true;
}

bool BloomState::is_pending(const NodeAddr& peer) const {
  const Slot* s = find(peer);
  return s != nullptr && s->pending;
}

void BloomState::mark_changed_peers(IsTreePeerFn is_tree_peer) {
  mark_changed_peers(self_, is_tree_peer);  // self is never a slot: excludes nobody
}

void BloomState::mark_changed_peers(const NodeAddr& exclude, IsTreePeerFn is_tree_peer) {
  // Peers already pending will get the state at send time anyway.
  bool need = false;
  for (Slot& s : slots_) {
    if (s.pending || s.addr == exclude) continue;
    if (!s.ever_sent) {
      s.pending = true;
      continue;
    }
    need = true;
  }
  if (!need) return;
  ScratchLease lease;
  Scratch& sc = *lease;
  prepare(sc, is_tree_peer);
  for (Slot& s : slots_) {
    if (s.pending || s.addr == exclude) continue;
    compose(sc, &s);
    if (digest(sc) != s.sent_digest) s.pending = true;
  }
}

// ---------------------------------------------------------------- composition

void BloomState::rebuild_base_bits() {
  base_bits_.clear();
  auto add = [&](const NodeAddr& a) {
    const BaseHashes h = base_hashes(a);
    for (uint32_t i = 0; i < kDefaultHashCount; ++i)
      base_bits_.push_back(static_cast<uint16_t>(bit_of(h, i)));
  };
  add(self_);
  for (const NodeAddr& d : leaf_deps_) add(d);
}

void BloomState::prepare(Scratch& sc, IsTreePeerFn is_tree_peer) const {
  std::memset(sc.all, 0, sizeof sc.all);
  std::memset(sc.multi, 0, sizeof sc.multi);
  for (const Slot& s : slots_) {
    s.contributes = s.filter.has_value() && is_tree_peer(s.addr);
    if (!s.contributes) continue;
    const uint8_t* p = s.filter->bytes().data();
    for (size_t i = 0; i < kWords; ++i) {
      const uint64_t f = load_word(p, i);
      sc.multi[i] |= sc.all[i] & f;
      sc.all[i] |= f;
    }
  }
  // New outgoing filters have k = 5 (the reference's BloomFilter::new());
  // contributing filters with another k are simply OR-ed in.
  std::memset(sc.out, 0, sizeof sc.out);
  for (uint16_t b : base_bits_) set_bit(sc.out, b);
  for (size_t i = 0; i < kWords; ++i) {
    sc.base_all[i] = sc.out[i] | sc.all[i];
    sc.base_multi[i] = sc.out[i] | sc.multi[i];
  }
}

void BloomState::compose(Scratch& sc, const Slot* target) {
  if (target == nullptr || !target->contributes) {
    std::memcpy(sc.out, sc.base_all, sizeof sc.out);
    return;
  }
  const uint8_t* q = target->filter->bytes().data();
  for (size_t i = 0; i < kWords; ++i) sc.out[i] = sc.base_multi[i] | (sc.all[i] & ~load_word(q, i));
}

uint64_t BloomState::digest(const Scratch& sc) const {
  return siphash13(key0_, key1_, sc.out, kWords);
}

void BloomState::compute_outgoing(const NodeAddr& peer, IsTreePeerFn is_tree_peer,
                                  Filter& out) const {
  ScratchLease lease;
  Scratch& sc = *lease;
  prepare(sc, is_tree_peer);
  compose(sc, find(peer));
  if (out.num_bytes() != kDefaultFilterBytes || out.hash_count() != kDefaultHashCount)
    out = Filter();  // k = 5, 8192 bits
  (void)out.assign_bits(ByteSpan(reinterpret_cast<const uint8_t*>(sc.out), kDefaultFilterBytes));
}

// ---------------------------------------------------------------- emission

bool BloomState::ready(const Slot& s, uint64_t now_ms) const {
  if (!s.pending) return false;
  if (!s.ever_sent) return true;
  const uint64_t due = s.last_sent_ms + params_.update_debounce_ms;
  return due >= s.last_sent_ms ? now_ms >= due : false;  // overflow: never (as u64 max)
}

std::optional<uint64_t> BloomState::next_send_due(uint64_t now_ms) const {
  std::optional<uint64_t> best;
  for (const Slot& s : slots_) {
    if (!s.pending) continue;
    uint64_t due = now_ms;
    if (s.ever_sent) {
      const uint64_t d = s.last_sent_ms + params_.update_debounce_ms;
      due = d < s.last_sent_ms ? UINT64_MAX : std::max(d, now_ms);
    }
    if (!best || due < *best) best = due;
  }
  return best;
}

TickReport BloomState::tick(uint64_t now_ms, IsTreePeerFn is_tree_peer, SendAnnounceFn send) {
  TickReport rep;
  if (std::none_of(slots_.begin(), slots_.end(), [&](const Slot& s) { return ready(s, now_ms); }))
    return rep;
  ScratchLease lease;
  Scratch& sc = *lease;
  // One snapshot of the contributing filters for the whole ready set.
  prepare(sc, is_tree_peer);
  const ByteSpan out_bytes(reinterpret_cast<const uint8_t*>(sc.out), kDefaultFilterBytes);
  for (Slot& s : slots_) {
    if (!ready(s, now_ms)) continue;
    ++rep.attempted;
    compose(sc, &s);
    const FilterAnnounce fa{++sequence_, kDefaultHashCount, kV1SizeClass, out_bytes};
    const size_t ones = count_ones(out_bytes);
    const double fpr = powi(static_cast<double>(ones) / static_cast<double>(kDefaultFilterBits),
                            kDefaultHashCount);
    if (rep.attempted == 1 || fpr > rep.max_outgoing_fpr) {
      rep.max_outgoing_fpr = fpr;
      rep.max_fpr_peer = s.addr;
    }
    if (!send(s.addr, fa)) {
      ++rep.send_failed;
      ++counters_.send_failed;  // stays pending: retried next tick with a new sequence
      continue;
    }
    ++rep.sent;
    ++counters_.sent;
    s.pending = false;
    s.ever_sent = true;
    s.last_sent_ms = now_ms;
    s.sent_digest = digest(sc);
    s.sent_ones = static_cast<uint16_t>(std::min<size_t>(ones, UINT16_MAX));
  }
  return rep;
}

// ---------------------------------------------------------------- leaf dependents

bool BloomState::add_leaf_dependent(const NodeAddr& a) {
  if (a == self_ || leaf_deps_.size() >= kMaxLeafDependents) return false;
  auto it = std::lower_bound(leaf_deps_.begin(), leaf_deps_.end(), a);
  if (it != leaf_deps_.end() && *it == a) return false;
  leaf_deps_.insert(it, a);
  rebuild_base_bits();
  return true;
}

bool BloomState::remove_leaf_dependent(const NodeAddr& a) {
  auto it = std::lower_bound(leaf_deps_.begin(), leaf_deps_.end(), a);
  if (it == leaf_deps_.end() || *it != a) return false;
  leaf_deps_.erase(it);
  rebuild_base_bits();
  return true;
}

// ---------------------------------------------------------------- queries

bool BloomState::peer_filter_contains(const NodeAddr& peer, const NodeAddr& target) const {
  return peer_filter_contains(peer, base_hashes(target));
}

bool BloomState::peer_filter_contains(const NodeAddr& peer, const BaseHashes& target) const {
  const Slot* s = find(peer);
  return s != nullptr && s->filter && s->filter->contains_hashes(target);
}

namespace {
// Bit indices for k = 5 computed once per query, tested against many filters.
struct Probe5 {
  explicit Probe5(const BaseHashes& h) : hashes(h) {
    for (uint32_t i = 0; i < kDefaultHashCount; ++i) bits[i] = bit_of(h, i);
  }
  [[nodiscard]] bool in(const Filter& f) const {
    if (f.hash_count() != kDefaultHashCount) return f.contains_hashes(hashes);
    const uint8_t* p = f.bytes().data();
    for (size_t b : bits)
      if (!test_bit(p, b)) return false;
    return true;
  }
  BaseHashes hashes;
  size_t bits[kDefaultHashCount];
};
}  // namespace

void BloomState::peers_containing(const NodeAddr& target, std::vector<NodeAddr>& out) const {
  out.clear();
  const Probe5 probe(base_hashes(target));
  for (const Slot& s : slots_)
    if (s.filter && probe.in(*s.filter)) out.push_back(s.addr);
}

bool BloomState::any_peer_contains(const NodeAddr& target) const {
  const Probe5 probe(base_hashes(target));
  return std::any_of(slots_.begin(), slots_.end(),
                     [&](const Slot& s) { return s.filter && probe.in(*s.filter); });
}

const Filter* BloomState::inbound_filter(const NodeAddr& peer) const {
  const Slot* s = find(peer);
  return (s != nullptr && s->filter) ? &*s->filter : nullptr;
}

uint64_t BloomState::filter_sequence(const NodeAddr& peer) const {
  const Slot* s = find(peer);
  return s != nullptr ? s->filter_seq : 0;
}

uint64_t BloomState::filter_received_ms(const NodeAddr& peer) const {
  const Slot* s = find(peer);
  return s != nullptr ? s->received_ms : 0;
}

std::optional<uint64_t> BloomState::estimate_mesh_size() const {
  auto first = std::find_if(slots_.begin(), slots_.end(),
                            [](const Slot& s) { return s.filter.has_value(); });
  if (first == slots_.end()) return std::nullopt;
  ScratchLease lease;
  Scratch& sc = *lease;
  std::memset(sc.all, 0, sizeof sc.all);
  for (auto it = first; it != slots_.end(); ++it) {
    if (!it->filter) continue;
    const uint8_t* p = it->filter->bytes().data();
    for (size_t i = 0; i < kWords; ++i) sc.all[i] |= load_word(p, i);
  }
  // The union is a clone of the first filter (in peer order) merged with the
  // rest, so it has that filter's k; self is inserted with that k.
  const uint8_t k = first->filter->hash_count();
  for (uint32_t i = 0; i < k; ++i) set_bit(sc.all, bit_of(self_hashes_, i));
  const size_t ones =
      count_ones(ByteSpan(reinterpret_cast<const uint8_t*>(sc.all), kDefaultFilterBytes));
  const auto est = estimate_count_from_ones(ones, kDefaultFilterBits, k, params_.max_inbound_fpr);
  if (!est) return std::nullopt;
  return static_cast<uint64_t>(std::round(*est));  // half away from zero, as Rust's f64::round
}

BloomSnapshot BloomState::snapshot(const std::optional<NodeAddr>& parent) const {
  BloomSnapshot snap;
  snap.own_node_addr = self_;
  snap.is_leaf_only = params_.leaf_only;
  snap.sequence = sequence_;
  snap.leaf_dependents = leaf_deps_;
  snap.peer_filters.reserve(slots_.size());
  for (const Slot& s : slots_) {
    PeerFilterRow row;
    row.peer = s.addr;
    row.filter_sequence = s.filter_seq;
    row.has_filter = s.filter_seq > 0;
    if (s.filter) {
      row.set_bits = s.filter->count_ones();
      row.fill_ratio = s.filter->fill_ratio();
      row.estimated_count = s.filter->estimated_count(params_.max_inbound_fpr);
    }
    snap.peer_filters.push_back(row);
  }
  if (parent) {
    const Slot* p = find(*parent);
    if (p != nullptr && p->ever_sent) {
      snap.uptree_fill_ratio =
          static_cast<double>(p->sent_ones) / static_cast<double>(kDefaultFilterBits);
      snap.uptree_estimated_count = estimate_count_from_ones(
          p->sent_ones, kDefaultFilterBits, kDefaultHashCount, params_.max_inbound_fpr);
    }
  }
  snap.stats = counters_;
  return snap;
}

}  // namespace fips::bloom
