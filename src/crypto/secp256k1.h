// secp256k1 keys, x-only ECDH as FIPS defines it, and BIP-340 Schnorr
// (libsecp256k1). Not here: identities, npub/nsec, node addresses (identity/).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "crypto/secret.h"
#include "crypto/sha256.h"

namespace fips {

using CompressedKey = std::array<uint8_t, 33>;  // 0x02/0x03 || x
using XOnlyKey = std::array<uint8_t, 32>;
using SchnorrSig = std::array<uint8_t, 64>;

// A valid secp256k1 secret scalar (1 <= k < n). Move-only, wiped on drop.
class SecretKey {
 public:
  // nullopt if the bytes are zero or not below the group order.
  static std::optional<SecretKey> from_bytes(std::span<const uint8_t, 32> b);
  static SecretKey generate();

  SecretKey(SecretKey&&) noexcept = default;
  SecretKey& operator=(SecretKey&&) noexcept = default;
  [[nodiscard]] SecretKey clone() const { return SecretKey(bytes_.clone()); }

  const Key32& bytes() const { return bytes_; }
  CompressedKey public_key() const;

 private:
  explicit SecretKey(Key32 b) : bytes_(std::move(b)) {}
  Key32 bytes_;
};

// A keypair ready for Schnorr signing (libsecp256k1's precomputed form).
class KeyPair {
 public:
  explicit KeyPair(const SecretKey& sk);
  KeyPair(KeyPair&&) noexcept = default;
  KeyPair& operator=(KeyPair&&) noexcept = default;
  ~KeyPair() = default;
  // Schnorr (BIP-340) over a 32-byte message with fresh auxiliary randomness.
  SchnorrSig sign32(const Digest32& msg32) const;

 private:
  SecretBytes<96> kp_;  // opaque secp256k1_keypair
};

// True if the 33 bytes parse as a valid compressed point.
bool pubkey_valid(std::span<const uint8_t, 33> compressed);
// True if the 32 bytes are the x coordinate of a curve point.
bool xonly_valid(std::span<const uint8_t, 32> x);
// x-only form of a compressed key (drops the parity byte).
XOnlyKey to_xonly(const CompressedKey& k);
// The compressed key with even parity for an x-only key (BIP-340 lift_x).
CompressedKey lift_x_even(const XOnlyKey& x);

// FIPS ECDH: SHA-256 of the 32-byte x coordinate of sk * pk. Independent of
// pk's parity. False if pk does not parse. (libsecp256k1's default ECDH hash
// covers the compressed point and does not interoperate.)
[[nodiscard]] bool ecdh_x(const SecretKey& sk, std::span<const uint8_t, 33> pk, Key32& out);

// BIP-340 verify of sig over a 32-byte message under an x-only key.
[[nodiscard]] bool schnorr_verify(std::span<const uint8_t, 64> sig, const Digest32& msg32,
                                  std::span<const uint8_t, 32> xonly);

}  // namespace fips
