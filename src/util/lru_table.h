// LruTable<Key, Value, Hash>: a compact hash table whose entries also form a
// doubly linked recency list (oldest first). Building block for the bounded
// caches and per-key limiters (coordinate cache, identity cache, lookup dedup,
// rate limiters): O(1) find / insert / touch / erase / pop-oldest, no
// allocation once the node slab and the index have grown to their high-water
// mark, ~8 index bytes per entry (open addressing, linear probing,
// backward-shift deletion, load factor <= 1/2).
//
// Entries are addressed by a uint32 slot index that stays valid until the
// entry is erased (the slab only grows; erased slots are reused).
// The caller decides the policy (capacity, expiry); this class only keeps
// order. `touch` moves an entry to the newest end; `insert` places it there.
//
// Hashing: Hash(key) -> uint64, then mixed with a per-table seed (splitmix64
// finalizer), so keys an attacker chooses (request ids) cannot be aimed at one
// probe chain without knowing the seed.
// Not here: expiry, capacity or eviction policy (the users), persistence.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace fips {

inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

template <class Key, class Value, class Hash>
class LruTable {
 public:
  static constexpr uint32_t kNil = UINT32_MAX;

  explicit LruTable(uint64_t seed = 0) : seed_(seed) {}

  [[nodiscard]] size_t size() const { return size_; }
  [[nodiscard]] bool empty() const { return size_ == 0; }

  // Slot of key, or kNil.
  [[nodiscard]] uint32_t find(const Key& k) const {
    if (index_.empty()) return kNil;
    const uint32_t h = hash32(k);
    const size_t mask = index_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const Bucket& b = index_[i];
      if (b.slot == kNil) return kNil;
      if (b.hash == h && nodes_[b.slot].key == k) return b.slot;
    }
  }

  [[nodiscard]] const Key& key(uint32_t s) const { return nodes_[s].key; }
  [[nodiscard]] Value& value(uint32_t s) { return nodes_[s].value; }
  [[nodiscard]] const Value& value(uint32_t s) const { return nodes_[s].value; }

  // Inserts a key that is not present, at the newest end. Returns its slot.
  uint32_t insert(const Key& k, Value v) {
    assert(find(k) == kNil);
    if ((size_ + 1) * 2 > index_.size()) grow();
    uint32_t s;
    if (free_ != kNil) {
      s = free_;
      free_ = nodes_[s].next;
      nodes_[s].key = k;
      nodes_[s].value = std::move(v);
    } else {
      assert(nodes_.size() < kNil);
      s = static_cast<uint32_t>(nodes_.size());
      nodes_.push_back(Node{k, std::move(v), kNil, kNil});
    }
    link_newest(s);
    index_put(hash32(k), s);
    ++size_;
    return s;
  }

  // Moves an entry to the newest end.
  void touch(uint32_t s) {
    if (newest_ == s) return;
    unlink(s);
    link_newest(s);
  }

  // Removes an entry; its value is reset to Value{} (frees owned memory).
  void erase(uint32_t s) {
    index_remove(hash32(nodes_[s].key), s);
    unlink(s);
    nodes_[s].value = Value{};
    nodes_[s].next = free_;
    nodes_[s].prev = kNil;
    free_ = s;
    --size_;
  }
  bool erase_key(const Key& k) {
    const uint32_t s = find(k);
    if (s == kNil) return false;
    erase(s);
    return true;
  }

  // Recency order: oldest() .. newer(s) .. kNil.
  [[nodiscard]] uint32_t oldest() const { return oldest_; }
  [[nodiscard]] uint32_t newest() const { return newest_; }
  [[nodiscard]] uint32_t newer(uint32_t s) const { return nodes_[s].next; }

  // Visits every entry oldest first; f(slot) may not modify the table.
  template <class F>
  void for_each(F&& f) const {
    for (uint32_t s = oldest_; s != kNil; s = nodes_[s].next) f(s);
  }
  // Erases every entry for which pred(slot) is true; returns how many.
  template <class Pred>
  size_t erase_if(Pred&& pred) {
    size_t n = 0;
    for (uint32_t s = oldest_; s != kNil;) {
      const uint32_t next = nodes_[s].next;
      if (pred(s)) {
        erase(s);
        ++n;
      }
      s = next;
    }
    return n;
  }

  void clear() {
    nodes_.clear();
    index_.clear();
    size_ = 0;
    oldest_ = newest_ = free_ = kNil;
  }

  // Heap bytes held by the table itself (not by values' own allocations).
  [[nodiscard]] size_t memory_bytes() const {
    return nodes_.capacity() * sizeof(Node) + index_.capacity() * sizeof(Bucket);
  }

 private:
  struct Node {
    Key key;
    Value value;
    uint32_t prev;
    uint32_t next;  // also the free-list link
  };
  struct Bucket {
    uint32_t slot = kNil;
    uint32_t hash = 0;
  };

  [[nodiscard]] uint32_t hash32(const Key& k) const {
    return static_cast<uint32_t>(mix64(static_cast<uint64_t>(Hash{}(k)) ^ seed_));
  }

  void link_newest(uint32_t s) {
    nodes_[s].prev = newest_;
    nodes_[s].next = kNil;
    if (newest_ != kNil)
      nodes_[newest_].next = s;
    else
      oldest_ = s;
    newest_ = s;
  }
  void unlink(uint32_t s) {
    Node& n = nodes_[s];
    if (n.prev != kNil)
      nodes_[n.prev].next = n.next;
    else
      oldest_ = n.next;
    if (n.next != kNil)
      nodes_[n.next].prev = n.prev;
    else
      newest_ = n.prev;
  }

  void index_put(uint32_t h, uint32_t s) {
    const size_t mask = index_.size() - 1;
    size_t i = h & mask;
    while (index_[i].slot != kNil) i = (i + 1) & mask;
    index_[i] = Bucket{s, h};
  }
  void index_remove(uint32_t h, uint32_t s) {
    const size_t mask = index_.size() - 1;
    size_t i = h & mask;
    while (index_[i].slot != s) {
      assert(index_[i].slot != kNil);
      i = (i + 1) & mask;
    }
    // Backward-shift deletion: pull later members of the probe run into the
    // hole unless their home bucket lies cyclically in (hole, j].
    size_t j = i;
    for (;;) {
      j = (j + 1) & mask;
      if (index_[j].slot == kNil) break;
      const size_t home = index_[j].hash & mask;
      const bool stays = (i <= j) ? (i < home && home <= j) : (i < home || home <= j);
      if (stays) continue;
      index_[i] = index_[j];
      i = j;
    }
    index_[i] = Bucket{};
  }
  void grow() {
    const size_t n = index_.empty() ? 16 : index_.size() * 2;
    std::vector<Bucket> old = std::move(index_);
    index_.assign(n, Bucket{});
    for (const Bucket& b : old)
      if (b.slot != kNil) index_put(b.hash, b.slot);
  }

  std::vector<Node> nodes_;
  std::vector<Bucket> index_;
  size_t size_ = 0;
  uint32_t oldest_ = kNil;
  uint32_t newest_ = kNil;
  uint32_t free_ = kNil;
  uint64_t seed_;
};

}  // namespace fips
