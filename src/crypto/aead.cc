#include "crypto/aead.h"

#include <openssl/evp.h>

#include <climits>
#include <utility>

#include "util/bytes.h"

namespace fips {
namespace {

void make_nonce(uint64_t counter, uint8_t nonce[12]) {
  nonce[0] = nonce[1] = nonce[2] = nonce[3] = 0;
  store_u64le(nonce + 4, counter);
}

}  // namespace

AeadKey::AeadKey(const Key32& key) : key_(key.clone()), has_key_(true) {}

AeadKey::AeadKey(AeadKey&& o) noexcept
    : key_(std::move(o.key_)), has_key_(o.has_key_), enc_(o.enc_), dec_(o.dec_) {
  o.has_key_ = false;
  o.enc_ = o.dec_ = nullptr;
}

AeadKey& AeadKey::operator=(AeadKey&& o) noexcept {
  if (this != &o) {
    EVP_CIPHER_CTX_free(enc_);
    EVP_CIPHER_CTX_free(dec_);
    key_ = std::move(o.key_);
    has_key_ = o.has_key_;
    enc_ = o.enc_;
    dec_ = o.dec_;
    o.has_key_ = false;
    o.enc_ = o.dec_ = nullptr;
  }
  return *this;
}

AeadKey::~AeadKey() {
  EVP_CIPHER_CTX_free(enc_);  // frees and cleanses OpenSSL's key schedule
  EVP_CIPHER_CTX_free(dec_);
}

AeadKey AeadKey::clone() const {
  if (!has_key_) return AeadKey();
  return AeadKey(key_);
}

bool AeadKey::ensure_ctx(bool encrypt) {
  EVP_CIPHER_CTX*& ctx = encrypt ? enc_ : dec_;
  if (ctx) return true;
  ctx = EVP_CIPHER_CTX_new();
  if (!ctx) return false;
  uint8_t nonce[12] = {0};
  if (EVP_CipherInit_ex(ctx, EVP_chacha20_poly1305(), nullptr, key_.data(), nonce,
                        encrypt ? 1 : 0) != 1) {
    EVP_CIPHER_CTX_free(ctx);
    ctx = nullptr;
    return false;
  }
  return true;
}

bool AeadKey::seal(uint64_t counter, std::span<const uint8_t> aad, std::span<const uint8_t> in,
                   uint8_t* out) {
  if (!has_key_ || in.size() > INT_MAX || aad.size() > INT_MAX) return false;
  if (!ensure_ctx(true)) return false;
  uint8_t nonce[12];
  make_nonce(counter, nonce);
  int len = 0;
  if (EVP_EncryptInit_ex(enc_, nullptr, nullptr, nullptr, nonce) != 1) return false;
  if (!aad.empty() &&
      EVP_EncryptUpdate(enc_, nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1)
    return false;
  if (!in.empty() &&
      EVP_EncryptUpdate(enc_, out, &len, in.data(), static_cast<int>(in.size())) != 1)
    return false;
  if (EVP_EncryptFinal_ex(enc_, out + in.size(), &len) != 1) return false;
  return EVP_CIPHER_CTX_ctrl(enc_, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kAeadTagSize),
                             out + in.size()) == 1;
}

bool AeadKey::open(uint64_t counter, std::span<const uint8_t> aad, std::span<const uint8_t> in,
                   uint8_t* out) {
  if (!has_key_ || in.size() < kAeadTagSize || in.size() > INT_MAX || aad.size() > INT_MAX)
    return false;
  if (!ensure_ctx(false)) return false;
  const size_t ct_len = in.size() - kAeadTagSize;
  uint8_t tag[kAeadTagSize];
  // Copy the tag first: with out == in, decrypting never touches the tag bytes,
  // but the copy keeps this correct for any overlap.
  for (size_t i = 0; i < kAeadTagSize; ++i) tag[i] = in[ct_len + i];
  uint8_t nonce[12];
  make_nonce(counter, nonce);
  int len = 0;
  if (EVP_DecryptInit_ex(dec_, nullptr, nullptr, nullptr, nonce) != 1) return false;
  if (!aad.empty() &&
      EVP_DecryptUpdate(dec_, nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1)
    return false;
  if (ct_len > 0 &&
      EVP_DecryptUpdate(dec_, out, &len, in.data(), static_cast<int>(ct_len)) != 1)
    return false;
  if (EVP_CIPHER_CTX_ctrl(dec_, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kAeadTagSize), tag) != 1)
    return false;
  return EVP_DecryptFinal_ex(dec_, out + ct_len, &len) == 1;
}

}  // namespace fips
