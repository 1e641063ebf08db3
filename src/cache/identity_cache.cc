// Identity cache implementation (see identity_cache.h).
#include "cache/identity_cache.h"

#include <algorithm>

namespace fips {

IdentityCache::IdentityCache(size_t capacity, uint64_t seed) : table_(seed), capacity_(capacity) {}

void IdentityCache::register_identity(const PeerIdentity& id, uint64_t now_ms) {
  const IdentityPrefix key = identity_prefix(id.node_addr());
  const uint32_t s = table_.find(key);
  if (s != Table::kNil) {
    Entry& e = table_.value(s);
    e.id = id;
    e.last_seen = now_ms;
    table_.touch(s);
    ++counters_.refreshed;
  } else {
    table_.insert(key, Entry{id, now_ms});
    ++counters_.registered;
  }
  while (table_.size() > capacity_) {
    table_.erase(table_.oldest());
    ++counters_.evictions;
  }
}

const PeerIdentity* IdentityCache::lookup_by_prefix(const IdentityPrefix& prefix, uint64_t now_ms) {
  const uint32_t s = table_.find(prefix);
  if (s == Table::kNil) {
    ++counters_.misses;
    return nullptr;
  }
  Entry& e = table_.value(s);
  e.last_seen = now_ms;
  table_.touch(s);
  ++counters_.hits;
  return &*e.id;
}

uint32_t IdentityCache::find_exact(const NodeAddr& addr) const {
  const uint32_t s = table_.find(identity_prefix(addr));
  if (s == Table::kNil || !(table_.value(s).id->node_addr() == addr)) return Table::kNil;
  return s;
}

const PeerIdentity* IdentityCache::lookup(const NodeAddr& addr, uint64_t now_ms) {
  const uint32_t s = find_exact(addr);
  if (s == Table::kNil) {
    ++counters_.misses;
    return nullptr;
  }
  Entry& e = table_.value(s);
  e.last_seen = now_ms;
  table_.touch(s);
  ++counters_.hits;
  return &*e.id;
}

const PeerIdentity* IdentityCache::peek(const NodeAddr& addr) const {
  const uint32_t s = find_exact(addr);
  return s == Table::kNil ? nullptr : &*table_.value(s).id;
}

std::optional<uint64_t> IdentityCache::last_seen(const NodeAddr& addr) const {
  const uint32_t s = find_exact(addr);
  if (s == Table::kNil) return std::nullopt;
  return table_.value(s).last_seen;
}

bool IdentityCache::remove(const NodeAddr& addr) {
  const uint32_t s = find_exact(addr);
  if (s == Table::kNil) return false;
  table_.erase(s);
  return true;
}

IdentityCacheSnapshot IdentityCache::snapshot(uint64_t now_ms, uint64_t unix_now_ms) const {
  IdentityCacheSnapshot out;
  out.count = table_.size();
  out.max_entries = capacity_;
  out.entries.reserve(table_.size());
  table_.for_each([&](uint32_t s) {
    const Entry& e = table_.value(s);
    IdentityCacheSnapshot::Entry x;
    x.node_addr = e.id->node_addr();
    x.npub = e.id->npub();
    x.ipv6_addr = e.id->address().str();
    x.age_ms = now_ms > e.last_seen ? now_ms - e.last_seen : 0;
    x.last_seen_ms = unix_now_ms > x.age_ms ? unix_now_ms - x.age_ms : 0;
    out.entries.push_back(std::move(x));
  });
  std::sort(out.entries.begin(), out.entries.end(),
            [](const auto& a, const auto& b) { return a.node_addr < b.node_addr; });
  return out;
}

}  // namespace fips
