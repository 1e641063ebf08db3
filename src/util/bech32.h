// Bech32 (BIP-173, not bech32m) as used by NIP-19 npub/nsec.
// Not here: key semantics (identity/encoding.h checks lengths and key validity).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace fips {

enum class Bech32Err : uint8_t {
  kBadLength,     // string shorter than 8 or longer than 90 characters
  kMixedCase,     // both upper and lower case letters
  kBadChar,       // character outside the printable range or the charset
  kNoSeparator,   // no '1' separator, or an empty human-readable part
  kBadChecksum,   // checksum does not verify (bech32 constant 1)
  kBadPadding,    // 5-to-8 bit conversion left non-zero or over-long padding
};

std::string_view bech32_err_name(Bech32Err e);

struct Bech32Decoded {
  std::string hrp;            // lower-case
  std::vector<uint8_t> data;  // 8-bit bytes
};

// Encode 8-bit data under hrp (lower-case hrp expected).
std::string bech32_encode(std::string_view hrp, std::span<const uint8_t> data);
// Decode and convert to 8-bit bytes. Enforces BIP-173's 90-char limit.
[[nodiscard]] Result<Bech32Decoded, Bech32Err> bech32_decode(std::string_view s);

}  // namespace fips
