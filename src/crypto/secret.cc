#include "crypto/secret.h"

#include <openssl/crypto.h>

namespace fips {

void secure_wipe(void* p, size_t n) { OPENSSL_cleanse(p, n); }

bool ct_equal(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace fips
