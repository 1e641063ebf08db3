// Coordinate cache implementation (see coord_cache.h for the semantics).
#include "cache/coord_cache.h"

#include <algorithm>
#include <cstring>

namespace fips {

namespace {

static_assert(sizeof(NodeAddr) == kCoordEntrySize && alignof(NodeAddr) == 1,
              "NodeAddr arrays are stored in wire layout");

CoordsView view_of(const Coords& c) {
  return CoordsView(
      ByteSpan(reinterpret_cast<const uint8_t*>(c.data()), c.size() * kCoordEntrySize), c.size());
}

bool contains_addr(const CoordsView& v, const NodeAddr& a) {
  const ByteSpan raw = v.raw();
  for (size_t i = 0; i < v.size(); ++i)
    if (std::memcmp(raw.data() + i * kCoordEntrySize, a.bytes.data(), kCoordEntrySize) == 0)
      return true;
  return false;
}

}  // namespace

CoordCache::CoordCache(size_t capacity, uint64_t ttl_ms, uint64_t seed)
    : table_(seed), capacity_(capacity), ttl_ms_(ttl_ms) {}

void CoordCache::untag(const Entry& e) {
  if (e.via_id == 0) return;
  Via& v = vias_[e.via_id - 1];
  if (--v.count == 0) {
    via_ids_.erase(v.addr);
    free_via_ids_.push_back(e.via_id);
  }
}

void CoordCache::erase_slot(uint32_t s) {
  untag(table_.value(s));
  table_.erase(s);
}

bool CoordCache::insert_via(const NodeAddr& addr, const CoordsView& coords, uint64_t now_ms,
                            const NodeAddr& via, size_t share) {
  if (table_.find(addr) != Table::kNil) return upsert(addr, coords, now_ms, std::nullopt);
  uint16_t id = 0;
  if (auto it = via_ids_.find(via); it != via_ids_.end()) {
    id = it->second;
  } else if (!free_via_ids_.empty()) {
    id = free_via_ids_.back();
    free_via_ids_.pop_back();
  } else if (vias_.size() < UINT16_MAX) {
    vias_.push_back(Via{});
    id = static_cast<uint16_t>(vias_.size());
  }
  // The share binds only under contention (cache at least half full): a
  // peer that carries most transit traffic may fill an empty cache.
  if (id == 0 || (vias_[id - 1].count >= share && table_.size() >= capacity_ / 2)) {
    if (id && vias_[id - 1].count == 0) free_via_ids_.push_back(id);  // not kept
    ++counters_.share_refused;
    return false;
  }
  if (vias_[id - 1].count == 0) {
    vias_[id - 1] = Via{via, 0};
    via_ids_[via] = id;
  }
  const bool ok = upsert(addr, coords, now_ms, std::nullopt, id);
  if (!ok && vias_[id - 1].count == 0) {
    via_ids_.erase(via);
    free_via_ids_.push_back(id);
  }
  return ok;
}

bool CoordCache::insert_via(const NodeAddr& addr, const Coords& coords, uint64_t now_ms,
                            const NodeAddr& via, size_t share) {
  return insert_via(addr, view_of(coords), now_ms, via, share);
}

bool CoordCache::upsert(const NodeAddr& addr, const CoordsView& coords, uint64_t now_ms,
                        std::optional<uint16_t> path_mtu, uint16_t via_id) {
  if (coords.empty() || coords.size() > UINT16_MAX) {
    ++counters_.rejected;
    return false;
  }
  const uint16_t n = static_cast<uint16_t>(coords.size());
  uint32_t s = table_.find(addr);
  if (s != Table::kNil) {
    Entry& e = table_.value(s);
    if (e.count != n) {
      e.coords = std::make_unique<NodeAddr[]>(n);
      e.count = n;
    }
    ++counters_.updates;
    std::memcpy(e.coords.get(), coords.raw().data(), size_t{n} * kCoordEntrySize);
    e.last_used = now_ms;
    if (path_mtu) {
      e.path_mtu = *path_mtu;
      e.has_path_mtu = true;
    }
    table_.touch(s);
    return true;
  }
  while (table_.size() >= std::max<size_t>(capacity_, 1)) {
    erase_slot(table_.oldest());
    ++counters_.evictions;
  }
  Entry e;
  e.coords = std::make_unique<NodeAddr[]>(n);
  e.count = n;
  std::memcpy(e.coords.get(), coords.raw().data(), size_t{n} * kCoordEntrySize);
  e.created_at = e.last_used = now_ms;
  if (path_mtu) {
    e.path_mtu = *path_mtu;
    e.has_path_mtu = true;
  }
  if (via_id) {
    e.via_id = via_id;
    ++vias_[via_id - 1].count;
  }
  table_.insert(addr, std::move(e));
  ++counters_.inserts;
  return true;
}

bool CoordCache::insert(const NodeAddr& addr, const CoordsView& coords, uint64_t now_ms) {
  return upsert(addr, coords, now_ms, std::nullopt);
}
bool CoordCache::insert(const NodeAddr& addr, const Coords& coords, uint64_t now_ms) {
  return upsert(addr, view_of(coords), now_ms, std::nullopt);
}
bool CoordCache::insert_with_path_mtu(const NodeAddr& addr, const CoordsView& coords,
                                      uint64_t now_ms, uint16_t path_mtu) {
  return upsert(addr, coords, now_ms, path_mtu);
}
bool CoordCache::insert_with_path_mtu(const NodeAddr& addr, const Coords& coords, uint64_t now_ms,
                                      uint16_t path_mtu) {
  return upsert(addr, view_of(coords), now_ms, path_mtu);
}

std::optional<CoordsView> CoordCache::get(const NodeAddr& addr, uint64_t now_ms) const {
  const uint32_t s = table_.find(addr);
  if (s == Table::kNil) return std::nullopt;
  const Entry& e = table_.value(s);
  if (is_expired(e, now_ms)) return std::nullopt;
  return e.view();
}

std::optional<CoordsView> CoordCache::get_and_touch(const NodeAddr& addr, uint64_t now_ms) {
  const uint32_t s = table_.find(addr);
  if (s == Table::kNil) {
    ++counters_.misses;
    return std::nullopt;
  }
  Entry& e = table_.value(s);
  if (is_expired(e, now_ms)) {
    erase_slot(s);
    ++counters_.expired_on_access;
    return std::nullopt;
  }
  e.last_used = now_ms;
  table_.touch(s);
  ++counters_.hits;
  return e.view();
}

const CoordCache::Entry* CoordCache::peek(const NodeAddr& addr) const {
  const uint32_t s = table_.find(addr);
  return s == Table::kNil ? nullptr : &table_.value(s);
}

bool CoordCache::remove(const NodeAddr& addr) {
  const uint32_t s = table_.find(addr);
  if (s == Table::kNil) return false;
  erase_slot(s);
  ++counters_.invalidated;
  return true;
}

size_t CoordCache::invalidate_via_node(const NodeAddr& addr) {
  const size_t n =
      table_.erase_if([&](uint32_t s) {
        if (!contains_addr(table_.value(s).view(), addr)) return false;
        untag(table_.value(s));
        return true;
      });
  counters_.invalidated += n;
  return n;
}

size_t CoordCache::invalidate_other_roots(const NodeAddr& root) {
  const size_t n = table_.erase_if([&](uint32_t s) {
    const Entry& e = table_.value(s);
    if (e.coords[e.count - 1] == root) return false;
    untag(e);
    return true;
  });
  counters_.invalidated += n;
  return n;
}

size_t CoordCache::purge_expired(uint64_t now_ms, size_t max_entries) {
  size_t n = 0;
  while (n < max_entries && !table_.empty() && is_expired(table_.value(table_.oldest()), now_ms)) {
    erase_slot(table_.oldest());
    ++n;
  }
  counters_.purged += n;
  return n;
}

void CoordCache::clear() {
  counters_.invalidated += table_.size();
  table_.clear();
  vias_.clear();
  free_via_ids_.clear();
  via_ids_.clear();
}

size_t CoordCache::memory_bytes() const {
  size_t b = table_.memory_bytes();
  table_.for_each([&](uint32_t s) { b += size_t{table_.value(s).count} * kCoordEntrySize; });
  return b;
}

CoordCacheSnapshot CoordCache::snapshot(uint64_t now_ms, uint64_t unix_now_ms) const {
  CoordCacheSnapshot out;
  out.count = table_.size();
  out.max_entries = capacity_;
  out.default_ttl_ms = ttl_ms_;
  out.fill_ratio =
      capacity_ == 0 ? 0.0 : static_cast<double>(out.count) / static_cast<double>(capacity_);
  uint64_t total_age = 0;
  out.entries.reserve(table_.size());
  table_.for_each([&](uint32_t s) {
    const Entry& e = table_.value(s);
    const uint64_t age = now_ms > e.created_at ? now_ms - e.created_at : 0;
    total_age += age;
    if (is_expired(e, now_ms)) {
      ++out.expired;
      return;
    }
    CoordCacheSnapshot::Entry x;
    x.node_addr = table_.key(s);
    x.coords = e.view().to_owned();
    x.age_ms = age;
    const uint64_t idle = now_ms > e.last_used ? now_ms - e.last_used : 0;
    x.last_used_ms = unix_now_ms > idle ? unix_now_ms - idle : 0;
    x.path_mtu = e.mtu();
    out.entries.push_back(std::move(x));
  });
  if (out.count) out.avg_age_ms = total_age / out.count;
  std::sort(out.entries.begin(), out.entries.end(),
            [](const auto& a, const auto& b) { return a.node_addr < b.node_addr; });
  return out;
}

}  // namespace fips
