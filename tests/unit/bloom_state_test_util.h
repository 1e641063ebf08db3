// Helpers shared by the BloomState unit tests: deterministic addresses,
// filters over address sets and FilterAnnounce encoding.
#pragma once

#include <cstring>
#include <initializer_list>
#include <stdexcept>
#include <vector>

#include "crypto/sha256.h"
#include "proto/bloom/state.h"

namespace fips::test {

using bloom::Filter;
using bloom::FilterAnnounce;

// Deterministic pseudo-random NodeAddr: SHA-256(tag || i)[0..16].
inline NodeAddr A(uint32_t i, uint8_t tag = 7) {
  uint8_t in[5] = {tag};
  store_u32le(in + 1, i);
  Digest32 d = sha256(in);
  NodeAddr a;
  std::memcpy(a.bytes.data(), d.data(), 16);
  return a;
}

inline Filter filter_of(std::initializer_list<NodeAddr> addrs) {
  Filter f;
  for (const NodeAddr& a : addrs) f.insert(a);
  return f;
}
inline Filter filter_of(const std::vector<NodeAddr>& addrs) {
  Filter f;
  for (const NodeAddr& a : addrs) f.insert(a);
  return f;
}

inline std::vector<uint8_t> encode(const FilterAnnounce& fa) {
  std::vector<uint8_t> out(bloom::filter_announce_wire_size(fa));
  Writer w{MutByteSpan(out)};
  if (!bloom::encode_filter_announce(w, fa).ok()) throw std::runtime_error("encode");
  return out;
}
inline std::vector<uint8_t> announce(const Filter& f, uint64_t seq) {
  return encode(bloom::make_filter_announce(f, seq));
}
// A k=5 message whose filter has exactly the first `ones` bits set.
inline std::vector<uint8_t> announce_with_ones(size_t ones, uint64_t seq) {
  std::vector<uint8_t> bits(bloom::kDefaultFilterBytes, 0);
  for (size_t b = 0; b < ones; ++b)
    bits[b / 8] = static_cast<uint8_t>(bits[b / 8] | (1u << (b % 8)));
  return encode(FilterAnnounce{seq, 5, 1, ByteSpan(bits)});
}

}  // namespace fips::test
