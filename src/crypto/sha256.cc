#include "crypto/sha256.h"

#include <algorithm>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cstring>

namespace fips {
namespace {

// Small self-contained HMAC on top of OpenSSL's SHA-256 compression, so the
// two-part message needs no concatenation buffer and no EVP_MAC allocation.
class HmacSha256 {
 public:
  explicit HmacSha256(std::span<const uint8_t> key) {
    uint8_t k[64] = {0};
    if (key.size() > 64) {
      SHA256(key.data(), key.size(), k);
    } else if (!key.empty()) {
      std::memcpy(k, key.data(), key.size());
    }
    uint8_t ipad[64], opad[64];
    for (int i = 0; i < 64; ++i) {
      ipad[i] = static_cast<uint8_t>(k[i] ^ 0x36);
      opad[i] = static_cast<uint8_t>(k[i] ^ 0x5c);
    }
    inner_ = EVP_MD_CTX_new();
    outer_ = EVP_MD_CTX_new();
    EVP_DigestInit_ex(inner_, EVP_sha256(), nullptr);
    EVP_DigestUpdate(inner_, ipad, 64);
    EVP_DigestInit_ex(outer_, EVP_sha256(), nullptr);
    EVP_DigestUpdate(outer_, opad, 64);
    secure_wipe(k, sizeof k);
    secure_wipe(ipad, sizeof ipad);
    secure_wipe(opad, sizeof opad);
  }
  ~HmacSha256() {
    EVP_MD_CTX_free(inner_);
    EVP_MD_CTX_free(outer_);
  }
  HmacSha256(const HmacSha256&) = delete;
  HmacSha256& operator=(const HmacSha256&) = delete;

  void update(std::span<const uint8_t> d) {
    if (!d.empty()) EVP_DigestUpdate(inner_, d.data(), d.size());
  }
  Digest32 finish() {
    uint8_t ih[32];
    unsigned int len = 0;
    EVP_DigestFinal_ex(inner_, ih, &len);
    EVP_DigestUpdate(outer_, ih, sizeof ih);
    Digest32 out;
    EVP_DigestFinal_ex(outer_, out.data(), &len);
    return out;
  }

 private:
  EVP_MD_CTX* inner_;
  EVP_MD_CTX* outer_;
};

}  // namespace

// One-shot digests use OpenSSL's SHA-256 block functions on a stack context:
// SHA256() and EVP_Digest* fetch the algorithm by name and allocate a context
// on every call (measured: strcmp + rwlock + malloc per routed packet, since
// the bloom-filter lookup of every forwarding decision hashes the
// destination). The low-level API is deprecated in OpenSSL 3 but computes
// the same function with no allocation.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
Digest32 sha256(std::span<const uint8_t> data) {
  SHA256_CTX c;
  SHA256_Init(&c);
  if (!data.empty()) SHA256_Update(&c, data.data(), data.size());
  Digest32 out;
  SHA256_Final(out.data(), &c);
  return out;
}

Digest32 sha256_2(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  SHA256_CTX c;
  SHA256_Init(&c);
  if (!a.empty()) SHA256_Update(&c, a.data(), a.size());
  if (!b.empty()) SHA256_Update(&c, b.data(), b.size());
  Digest32 out;
  SHA256_Final(out.data(), &c);
  return out;
}
#pragma GCC diagnostic pop

Digest32 hmac_sha256(std::span<const uint8_t> key, std::span<const uint8_t> msg1,
                     std::span<const uint8_t> msg2) {
  HmacSha256 h(key);
  h.update(msg1);
  h.update(msg2);
  return h.finish();
}

void hkdf_sha256_2(std::span<const uint8_t> salt, std::span<const uint8_t> ikm, Key32& out1,
                   Key32& out2) {
  Digest32 prk = hmac_sha256(salt, ikm);
  const uint8_t one = 0x01, two = 0x02;
  Digest32 t1 = hmac_sha256(prk, std::span<const uint8_t>(&one, 1));
  Digest32 t2 = hmac_sha256(prk, t1, std::span<const uint8_t>(&two, 1));
  std::memcpy(out1.data(), t1.data(), 32);
  std::memcpy(out2.data(), t2.data(), 32);
  secure_wipe(prk.data(), 32);
  secure_wipe(t1.data(), 32);
  secure_wipe(t2.data(), 32);
}

bool hkdf_sha256(std::span<const uint8_t> salt, std::span<const uint8_t> ikm,
                 std::span<const uint8_t> info, std::span<uint8_t> out) {
  if (out.size() > 255 * 32) return false;
  Digest32 prk = hmac_sha256(salt, ikm);
  Digest32 t{};
  size_t tlen = 0, done = 0;
  for (uint8_t i = 1; done < out.size(); ++i) {
    HmacSha256 h(prk);
    h.update(std::span<const uint8_t>(t.data(), tlen));
    h.update(info);
    h.update(std::span<const uint8_t>(&i, 1));
    t = h.finish();
    tlen = 32;
    size_t n = std::min<size_t>(32, out.size() - done);
    std::memcpy(out.data() + done, t.data(), n);
    done += n;
  }
  secure_wipe(prk.data(), 32);
  secure_wipe(t.data(), 32);
  return true;
}

}  // namespace fips
