// Kernel CSPRNG (getrandom). Not here: deterministic test randomness.
#pragma once

#include <cstdint>
#include <span>

namespace fips {

// Fills out with cryptographically secure random bytes. Aborts the process if
// the kernel cannot supply them (there is no safe way to continue).
void random_bytes(std::span<uint8_t> out);
uint32_t random_u32();
uint64_t random_u64();

}  // namespace fips
