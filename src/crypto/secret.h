// Secret material: move-only fixed-size buffers wiped on destruction, and
// constant-time comparison. Not here: key semantics (crypto/secp256k1.h).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace fips {

// Wipe memory in a way the optimiser may not elide (OPENSSL_cleanse).
void secure_wipe(void* p, size_t n);
// Constant-time equality of two equal-length buffers (CRYPTO_memcmp).
bool ct_equal(std::span<const uint8_t> a, std::span<const uint8_t> b);

template <size_t N>
class SecretBytes {
 public:
  SecretBytes() { bytes_.fill(0); }
  explicit SecretBytes(std::span<const uint8_t, N> src) { std::memcpy(bytes_.data(), src.data(), N); }
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  SecretBytes(SecretBytes&& o) noexcept {
    bytes_ = o.bytes_;
    o.wipe();
  }
  SecretBytes& operator=(SecretBytes&& o) noexcept {
    if (this != &o) {
      bytes_ = o.bytes_;
      o.wipe();
    }
    return *this;
  }
  ~SecretBytes() { wipe(); }

  // Explicit copy, so that every duplication of a secret is visible in code.
  [[nodiscard]] SecretBytes clone() const {
    SecretBytes c;
    c.bytes_ = bytes_;
    return c;
  }
  void wipe() { secure_wipe(bytes_.data(), N); }

  uint8_t* data() { return bytes_.data(); }
  const uint8_t* data() const { return bytes_.data(); }
  static constexpr size_t size() { return N; }
  std::span<const uint8_t, N> span() const { return std::span<const uint8_t, N>(bytes_); }
  std::span<uint8_t, N> mut_span() { return std::span<uint8_t, N>(bytes_); }

  bool ct_eq(const SecretBytes& o) const { return ct_equal(span(), o.span()); }

 private:
  std::array<uint8_t, N> bytes_;
};

using Key32 = SecretBytes<32>;

}  // namespace fips
