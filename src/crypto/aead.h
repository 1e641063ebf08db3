// ChaCha20-Poly1305 (RFC 8439) through OpenSSL EVP, keyed once and reused.
// Nonce = 4 zero bytes || counter as u64 little-endian (Noise / WireGuard).
// Not here: counters, replay windows, framing (noise/ and proto/fmp/).
//
// An AeadKey is not thread-safe: each thread that seals or opens with the same
// key needs its own instance (clone()).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "crypto/secret.h"

typedef struct evp_cipher_ctx_st EVP_CIPHER_CTX;

namespace fips {

inline constexpr size_t kAeadTagSize = 16;
inline constexpr size_t kAeadKeySize = 32;

class AeadKey {
 public:
  AeadKey() = default;  // un-keyed
  explicit AeadKey(const Key32& key);
  AeadKey(const AeadKey&) = delete;
  AeadKey& operator=(const AeadKey&) = delete;
  AeadKey(AeadKey&& o) noexcept;
  AeadKey& operator=(AeadKey&& o) noexcept;
  ~AeadKey();

  [[nodiscard]] AeadKey clone() const;
  [[nodiscard]] bool has_key() const { return has_key_; }
  // Raw key bytes, for handing a key to a worker shard. Treat as secret.
  [[nodiscard]] const Key32& key() const { return key_; }

  // Encrypts in.size() bytes to out (which may equal in.data()) and writes the
  // 16-byte tag at out + in.size(). out must have in.size() + 16 bytes.
  // Returns false only if there is no key or OpenSSL fails.
  [[nodiscard]] bool seal(uint64_t counter, std::span<const uint8_t> aad,
                          std::span<const uint8_t> in, uint8_t* out);

  // Authenticates and decrypts in (ciphertext || tag) to out (which may equal
  // in.data()); out must have in.size() - 16 bytes. Returns false if the tag
  // does not verify, in is shorter than a tag, or there is no key. On false,
  // out's contents are unspecified (never trusted plaintext).
  [[nodiscard]] bool open(uint64_t counter, std::span<const uint8_t> aad,
                          std::span<const uint8_t> in, uint8_t* out);

 private:
  bool ensure_ctx(bool encrypt);
  Key32 key_;
  bool has_key_ = false;
  EVP_CIPHER_CTX* enc_ = nullptr;
  EVP_CIPHER_CTX* dec_ = nullptr;
};

}  // namespace fips
