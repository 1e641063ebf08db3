// Address-only tree coordinates on the wire: u16 LE count, then count x 16-byte
// NodeAddr, self first, root last. Decoding yields a non-owning view (no
// allocation on the forwarding path); Coords is the owned form for state.
// Not here: tree distance / routing math (proto/stp, proto/routing).
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "identity/node_addr.h"
#include "util/bytes.h"

namespace fips {

using Coords = std::vector<NodeAddr>;  // self -> root

inline constexpr size_t kCoordEntrySize = 16;

class CoordsView {
 public:
  CoordsView() = default;
  CoordsView(ByteSpan entries, size_t count) : entries_(entries), count_(count) {}

  [[nodiscard]] size_t size() const { return count_; }
  [[nodiscard]] bool empty() const { return count_ == 0; }
  [[nodiscard]] NodeAddr at(size_t i) const {
    return NodeAddr::from_span(entries_.subspan(i * kCoordEntrySize).first<16>());
  }
  [[nodiscard]] ByteSpan raw() const { return entries_; }  // count*16 bytes, no count prefix
  [[nodiscard]] Coords to_owned() const {
    Coords c;
    c.reserve(count_);
    for (size_t i = 0; i < count_; ++i) c.push_back(at(i));
    return c;
  }
  bool operator==(const CoordsView& o) const {
    return count_ == o.count_ && std::equal(entries_.begin(), entries_.end(), o.entries_.begin());
  }

 private:
  ByteSpan entries_;
  size_t count_ = 0;
};

// Reads a coordinate list. allow_empty=false rejects count 0 (kBadValue), as
// the reference does for mandatory coordinates.
inline CoordsView read_coords(Reader& r, bool allow_empty, const char* field) {
  const uint16_t n = r.u16le();
  ByteSpan entries = r.bytes(size_t{n} * kCoordEntrySize, field);
  if (r.ok() && n == 0 && !allow_empty) r.fail(WireErr::kBadValue, field, 1, 0);
  return CoordsView(entries, n);
}

inline size_t coords_wire_size(size_t count) { return 2 + count * kCoordEntrySize; }

inline void write_coords(Writer& w, const Coords& c) {
  w.u16le(static_cast<uint16_t>(c.size()));
  for (const NodeAddr& a : c) w.bytes(a.bytes);
}
inline void write_coords(Writer& w, const CoordsView& c) {
  w.u16le(static_cast<uint16_t>(c.size()));
  w.bytes(c.raw());
}

}  // namespace fips

namespace fips {

// Tree distance between two coordinates (self -> root lists), as the
// reference computes it: different roots (or an empty list) -> UINT64_MAX;
// else (depth_a - lca_depth) + (depth_b - lca_depth), where the LCA is the
// deepest common suffix entry. Works on any two random-access ranges of
// NodeAddr (Coords, or CoordsView via at()).
template <class A, class B>
uint64_t tree_distance(const A& a, size_t na, const B& b, size_t nb) {
  if (na == 0 || nb == 0) return UINT64_MAX;
  if (!(a(na - 1) == b(nb - 1))) return UINT64_MAX;
  size_t common = 0;
  while (common < na && common < nb && a(na - 1 - common) == b(nb - 1 - common)) ++common;
  const size_t lca_depth = common - 1;
  return (na - 1 - lca_depth) + (nb - 1 - lca_depth);
}

inline uint64_t tree_distance(const Coords& a, const Coords& b) {
  return tree_distance([&](size_t i) { return a[i]; }, a.size(),
                       [&](size_t i) { return b[i]; }, b.size());
}

inline uint64_t tree_distance(const Coords& a, const CoordsView& b) {
  return tree_distance([&](size_t i) { return a[i]; }, a.size(),
                       [&](size_t i) { return b.at(i); }, b.size());
}

}  // namespace fips
