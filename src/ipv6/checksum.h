// Internet checksum (RFC 1071) over IPv6 packets: the pseudo-header sum, full
// TCP/UDP/ICMPv6 checksum computation and verification, and the RFC 1624
// incremental update used when a few header bytes are rewritten in place.
// All functions assume the upper-layer header directly follows the 40-byte
// IPv6 header (no extension-header walking, as the reference).
// Not here: what is rewritten (tcp_mss.h), ICMP layouts (icmp.h).
#pragma once

#include <cstddef>
#include <cstdint>

#include "util/bytes.h"

namespace fips::ipv6 {

// One's-complement accumulation of data as big-endian 16-bit words (an odd
// trailing byte is padded with zero), added to sum. Fold with csum_fold.
[[nodiscard]] uint64_t csum_add(uint64_t sum, ByteSpan data);
// Folds a wide sum to 16 bits (not complemented).
[[nodiscard]] uint16_t csum_fold(uint64_t sum);
// Sum of the IPv6 pseudo-header: src and dst (packet bytes 8..40), the
// 32-bit upper-layer length and the next-header value.
[[nodiscard]] uint64_t pseudo_header_sum(ByteSpan packet40, uint32_t upper_len,
                                         uint8_t next_header);

// Checksum field offset inside the upper-layer header: TCP 16, UDP 6,
// ICMPv6 2; SIZE_MAX for other protocols.
[[nodiscard]] size_t l4_checksum_offset(uint8_t next_header);

// Computes the checksum of packet's upper layer (TCP, UDP or ICMPv6 after
// the fixed header, over the bytes the payload-length field declares),
// treating the checksum field as zero. nullopt-like 0xFFFFFFFF when the
// protocol is not one of those or the packet is malformed/truncated.
[[nodiscard]] uint32_t compute_l4_checksum(ByteSpan packet);
// Rewrites the TCP/UDP/ICMPv6 checksum in place (UDP: a zero result is sent
// as 0xFFFF). false (packet unchanged) when compute_l4_checksum fails.
bool recalculate_l4_checksum(MutByteSpan packet);
// True when the stored checksum verifies (sum over pseudo-header and segment
// is 0xFFFF). UDP with checksum 0 is reported invalid (IPv6 forbids it).
[[nodiscard]] bool verify_l4_checksum(ByteSpan packet);

// RFC 1624 eqn. 3: the checksum after a 16-bit word of the summed data
// changed from old_word to new_word.
[[nodiscard]] uint16_t csum_update16(uint16_t checksum, uint16_t old_word, uint16_t new_word);

}  // namespace fips::ipv6
