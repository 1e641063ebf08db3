// SHA-256, HMAC-SHA256 and HKDF-SHA256 (OpenSSL). Not here: AEAD, curves.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "crypto/secret.h"

namespace fips {

using Digest32 = std::array<uint8_t, 32>;

Digest32 sha256(std::span<const uint8_t> data);
// SHA-256 of the concatenation a || b (no copy).
Digest32 sha256_2(std::span<const uint8_t> a, std::span<const uint8_t> b);

// HMAC-SHA256 over the concatenation of up to two message parts.
Digest32 hmac_sha256(std::span<const uint8_t> key, std::span<const uint8_t> msg1,
                     std::span<const uint8_t> msg2 = {});

// HKDF-SHA256 (RFC 5869) with empty info, producing two 32-byte outputs:
// PRK = HMAC(salt, ikm); out1 = HMAC(PRK, 0x01); out2 = HMAC(PRK, out1 || 0x02).
// This is Noise's HKDF(ck, ikm, 2) and the reference's Hkdf::expand(&[], 64).
void hkdf_sha256_2(std::span<const uint8_t> salt, std::span<const uint8_t> ikm, Key32& out1,
                   Key32& out2);

// General HKDF-SHA256 expand to out.size() bytes (<= 255*32) with info.
bool hkdf_sha256(std::span<const uint8_t> salt, std::span<const uint8_t> ikm,
                 std::span<const uint8_t> info, std::span<uint8_t> out);

}  // namespace fips
