#include "proto/bloom/filter.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "crypto/sha256.h"

namespace fips::bloom {

const char* bloom_error_name(BloomError e) {
  switch (e) {
    case BloomError::kSizeNotByteAligned:
      return "size_not_byte_aligned";
    case BloomError::kZeroHashCount:
      return "zero_hash_count";
    case BloomError::kTooLarge:
      return "too_large";
    case BloomError::kSizeMismatch:
      return "size_mismatch";
  }
  return "unknown";
}

BaseHashes base_hashes(ByteSpan data) {
  const Digest32 d = sha256(data);
  return BaseHashes{load_u64le(d.data()), load_u64le(d.data() + 8)};
}

double powi(double base, uint32_t exp) {
  double result = 1.0;
  double b = base;
  uint32_t e = exp;
  for (;;) {
    if (e & 1u) result *= b;
    e >>= 1;
    if (e == 0) break;
    b *= b;
  }
  return result;
}

Filter::Filter() : Filter(kDefaultFilterBytes, kDefaultHashCount) {}

BloomResult<Filter> Filter::with_params(size_t num_bits, uint8_t hash_count) {
  if (num_bits == 0 || num_bits % 8 != 0) return Err{BloomError::kSizeNotByteAligned};
  if (hash_count == 0) return Err{BloomError::kZeroHashCount};
  if (num_bits / 8 > kMaxFilterBytes) return Err{BloomError::kTooLarge};
  return Filter(num_bits / 8, hash_count);
}

BloomResult<Filter> Filter::for_size_class(uint8_t size_class, uint8_t hash_count) {
  if (size_class > kMaxSizeClass) return Err{BloomError::kTooLarge};
  return with_params(size_class_bytes(size_class) * 8, hash_count);
}

BloomResult<Filter> Filter::from_bytes(ByteSpan bits, uint8_t hash_count) {
  if (hash_count == 0) return Err{BloomError::kZeroHashCount};
  if (bits.empty()) return Err{BloomError::kSizeNotByteAligned};
  if (bits.size() > kMaxFilterBytes) return Err{BloomError::kTooLarge};
  Filter f(bits.size(), hash_count);
  std::memcpy(f.bits_.data(), bits.data(), bits.size());
  return f;
}

size_t Filter::bit_index(BaseHashes h, uint8_t i) const {
  const uint64_t combined = h.h1 + static_cast<uint64_t>(i) * h.h2;  // wraps mod 2^64
  return static_cast<size_t>(combined % static_cast<uint64_t>(num_bits()));
}

bool Filter::test_bit(size_t index) const {
  return ((static_cast<unsigned>(bits_[index / 8]) >> (index % 8)) & 1u) != 0;
}

void Filter::insert_hashes(BaseHashes h) {
  for (uint8_t i = 0; i < hash_count_; ++i) set_bit(bit_index(h, i));
}

bool Filter::contains_hashes(BaseHashes h) const {
  for (uint8_t i = 0; i < hash_count_; ++i)
    if (!test_bit(bit_index(h, i))) return false;
  return true;
}

Result<void, BloomError> Filter::merge(const Filter& other) {
  if (other.bits_.size() != bits_.size()) return Err{BloomError::kSizeMismatch};
  for (size_t i = 0; i < bits_.size(); ++i)
    bits_[i] = static_cast<uint8_t>(bits_[i] | other.bits_[i]);
  return {};
}

Result<void, BloomError> Filter::assign_bits(ByteSpan bits) {
  if (bits.size() != bits_.size()) return Err{BloomError::kSizeMismatch};
  std::memcpy(bits_.data(), bits.data(), bits.size());
  return {};
}

void Filter::clear() {
  std::fill(bits_.begin(), bits_.end(), uint8_t{0});
}

size_t count_ones(ByteSpan bits) {
  size_t n = 0;
  size_t i = 0;
  for (; i + 8 <= bits.size(); i += 8)
    n += static_cast<size_t>(std::popcount(load_u64le(bits.data() + i)));
  for (; i < bits.size(); ++i) n += static_cast<size_t>(std::popcount(bits[i]));
  return n;
}

size_t Filter::count_ones() const {
  return bloom::count_ones(ByteSpan(bits_));
}

bool Filter::is_empty() const {
  return std::all_of(bits_.begin(), bits_.end(), [](uint8_t b) { return b == 0; });
}

double Filter::fill_ratio() const {
  return static_cast<double>(count_ones()) / static_cast<double>(num_bits());
}

double Filter::fpr() const {
  return powi(fill_ratio(), hash_count_);
}

std::optional<double> estimate_count_from_ones(size_t ones, size_t num_bits, uint8_t hash_count,
                                               double max_fpr) {
  const double m = static_cast<double>(num_bits);
  const double k = static_cast<double>(hash_count);
  const double x = static_cast<double>(ones);
  if (x >= m) return std::nullopt;  // saturated: ln(0) would be -inf
  const double fill = x / m;
  if (powi(fill, hash_count) > max_fpr) return std::nullopt;
  return -(m / k) * std::log(1.0 - fill);
}

std::optional<double> Filter::estimated_count(double max_fpr) const {
  return estimate_count_from_ones(count_ones(), num_bits(), hash_count_, max_fpr);
}

}  // namespace fips::bloom
