// The FIPS reachability Bloom filter: bit array, double hashing over
// SHA-256(NodeAddr), merge/clear/popcount, fill ratio, FPR and the
// cardinality estimate. Pure data structure, no I/O.
// Not here: the FilterAnnounce message (proto/bloom/wire.h) and per-peer
// filter state / split-horizon computation (node-level code).
//
// Hash scheme (reference src/proto/bloom/core.rs, checked against
// tests/vectors/ts-oracle-vectors.json):
//   d = SHA-256(data), data = the 16 raw NodeAddr bytes (nothing else);
//   h1 = u64 LE d[0..8], h2 = u64 LE d[8..16];
//   bit_i = (h1 + i*h2 mod 2^64) mod m, for i in 0..k;
//   bit b lives in byte b/8 at bit position b%8 (LSB first).
// The reference computes `(combined as usize) % m`; on a 64-bit host that is
// the u64 remainder used here (a 32-bit build of the reference would first
// truncate to u32 and disagree; we follow the 64-bit behaviour).
//
// Storage: one heap buffer of exactly num_bytes, sized at construction; no
// operation after construction allocates (copies do).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "identity/node_addr.h"
#include "util/bytes.h"
#include "util/result.h"

namespace fips::bloom {

// v1 parameters (reference limits.rs).
inline constexpr size_t kDefaultFilterBits = 8192;
inline constexpr size_t kDefaultFilterBytes = kDefaultFilterBits / 8;
inline constexpr uint8_t kDefaultHashCount = 5;
inline constexpr uint8_t kV1SizeClass = 1;
inline constexpr uint8_t kMaxSizeClass = 3;  // size classes 0..3 are defined; only 1 is v1

// Filter size in bytes for a size class: 512 << size_class.
constexpr size_t size_class_bytes(uint8_t size_class) {
  return size_t{512} << size_class;
}
inline constexpr size_t kMaxFilterBytes = size_class_bytes(kMaxSizeClass);  // 4096
static_assert(size_class_bytes(kV1SizeClass) == kDefaultFilterBytes);
static_assert(kDefaultFilterBytes == 1024 && kMaxFilterBytes == 4096);

enum class BloomError : uint8_t {
  kSizeNotByteAligned = 1,  // num_bits is 0 or not a multiple of 8
  kZeroHashCount,           // hash_count == 0
  kTooLarge,                // more than kMaxFilterBytes (our cap; the reference has none)
  kSizeMismatch,            // merge/assign with a filter of another bit size
};
const char* bloom_error_name(BloomError e);

template <class T>
using BloomResult = Result<T, BloomError>;

// The two base hashes of one item; compute once, test against many filters.
struct BaseHashes {
  uint64_t h1 = 0;
  uint64_t h2 = 0;
};
BaseHashes base_hashes(ByteSpan data);
inline BaseHashes base_hashes(const NodeAddr& a) {
  return base_hashes(ByteSpan(a.bytes));
}

// Deterministic square-and-multiply x^e, identical to the reference's
// proto::math::powi (so FPR-cap decisions agree bit-for-bit across nodes).
double powi(double base, uint32_t exp);

// Set bits in raw filter bytes (popcount).
[[nodiscard]] size_t count_ones(ByteSpan bits);

// The cardinality estimate from a filter's set-bit count alone (what
// Filter::estimated_count computes): n = -(m/k) * ln(1 - ones/m); nullopt when
// ones >= m or powi(ones/m, k) > max_fpr. Lets callers that keep only the
// popcount of a filter (e.g. of the last one sent) report the same numbers.
[[nodiscard]] std::optional<double> estimate_count_from_ones(
    size_t ones, size_t num_bits, uint8_t hash_count,
    double max_fpr = std::numeric_limits<double>::infinity());

class Filter {
 public:
  // Empty v1 filter: 8192 bits, 5 hashes.
  Filter();

  // Any non-zero multiple of 8 bits up to kMaxFilterBytes*8, hash_count >= 1.
  static BloomResult<Filter> with_params(size_t num_bits, uint8_t hash_count);
  // Empty filter for a wire size class (0..3).
  static BloomResult<Filter> for_size_class(uint8_t size_class,
                                            uint8_t hash_count = kDefaultHashCount);
  // Filter over a copy of raw bits (num_bits = 8 * bits.size()).
  static BloomResult<Filter> from_bytes(ByteSpan bits, uint8_t hash_count);

  void insert(const NodeAddr& a) { insert_hashes(base_hashes(a)); }
  void insert_bytes(ByteSpan data) { insert_hashes(base_hashes(data)); }
  void insert_hashes(BaseHashes h);

  [[nodiscard]] bool contains(const NodeAddr& a) const { return contains_hashes(base_hashes(a)); }
  [[nodiscard]] bool contains_bytes(ByteSpan data) const {
    return contains_hashes(base_hashes(data));
  }
  [[nodiscard]] bool contains_hashes(BaseHashes h) const;

  // Bit index of hash function i (exposed for tests and folding experiments).
  [[nodiscard]] size_t bit_index(BaseHashes h, uint8_t i) const;
  [[nodiscard]] bool test_bit(size_t index) const;

  // this |= other. Like the reference, only the bit sizes must agree; the
  // hash counts are not compared (this filter keeps its own hash_count).
  [[nodiscard]] Result<void, BloomError> merge(const Filter& other);
  // Replace the bits in place from a same-sized span (no allocation), e.g.
  // when a peer's FilterAnnounce replaces its previous filter.
  [[nodiscard]] Result<void, BloomError> assign_bits(ByteSpan bits);
  void clear();

  [[nodiscard]] size_t count_ones() const;
  [[nodiscard]] bool is_empty() const;
  // count_ones / num_bits.
  [[nodiscard]] double fill_ratio() const;
  // Current false-positive rate: fill_ratio ^ hash_count.
  [[nodiscard]] double fpr() const;
  // n = -(m/k) * ln(1 - X/m). nullopt when the filter is saturated (X >= m,
  // whatever max_fpr is) or when fpr() > max_fpr (the reference's antipoison
  // cap; pass +inf to disable). An empty filter estimates 0.
  [[nodiscard]] std::optional<double> estimated_count(
      double max_fpr = std::numeric_limits<double>::infinity()) const;

  [[nodiscard]] ByteSpan bytes() const { return ByteSpan(bits_); }
  [[nodiscard]] size_t num_bits() const { return bits_.size() * 8; }
  [[nodiscard]] size_t num_bytes() const { return bits_.size(); }
  [[nodiscard]] uint8_t hash_count() const { return hash_count_; }

  // Same size, same hash count, same bits (the reference's PartialEq).
  bool operator==(const Filter& o) const = default;

 private:
  Filter(size_t num_bytes, uint8_t hash_count) : bits_(num_bytes, 0), hash_count_(hash_count) {}
  void set_bit(size_t index) {
    bits_[index / 8] = static_cast<uint8_t>(bits_[index / 8] | (1u << (index % 8)));
  }

  std::vector<uint8_t> bits_;
  uint8_t hash_count_ = kDefaultHashCount;
};

}  // namespace fips::bloom
