// TCP MSS clamping for the IPv6 adapter (reference src/upper/tcp_mss.rs,
// tun.rs per_flow_max_mss): rewrites the MSS option of SYN and SYN-ACK
// segments so TCP never builds a segment the FIPS path cannot carry, in both
// directions (TUN -> mesh keyed by destination, mesh -> TUN keyed by source).
// Not here: where the path MTU comes from (the node's path_mtu_lookup, passed
// in as a function), ICMPv6 (icmp.h).
//
// clamp_tcp_mss acts on any IPv6 packet whose next header (directly after the
// fixed header; extension headers are not walked) is TCP and whose flags have
// SYN. Options are walked from byte 20 to the data offset: EOL stops, NOP
// skips, a length < 2 or past the header end stops. The first option of kind
// 2 with length 4 is the only MSS examined: if its value exceeds the ceiling
// it is rewritten to the ceiling. A SYN without MSS is left alone, and a
// ceiling of 0 never clamps.
// Checksum: updated incrementally (RFC 1624) instead of the reference's full
// recomputation. For a segment whose checksum was valid the results verify
// identically; a segment that arrived corrupt stays corrupt (the reference
// would launder it into a valid one).
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "ipv6/limits.h"
#include "util/bytes.h"
#include "util/function_ref.h"

namespace fips::ipv6 {

enum class MssClamp : uint8_t {
  kNotSyn,       // not IPv6/TCP-with-SYN (or too short to tell): untouched
  kNoMss,        // SYN without a usable MSS option (or ceiling 0): untouched
  kBadOptions,   // data offset or option lengths malformed: untouched
  kWithinLimit,  // MSS option <= ceiling: untouched
  kClamped,      // MSS rewritten to the ceiling, checksum updated
};

// Clamps in place; see the header comment for the exact rules.
MssClamp clamp_tcp_mss(MutByteSpan ipv6_packet, uint16_t max_mss);

// Path MTU (wire bytes) known for a FIPS address, or nullopt.
using PathMtuFn = FunctionRef<std::optional<uint16_t>(std::span<const uint8_t, 16> fips_addr)>;

// The MSS ceiling for a flow whose remote end is addr (outbound: the
// destination; inbound: the source), given the global ceiling computed once
// at TUN start (mss_ceiling(transport MTU)):
//   addr not in fd00::/8, no path MTU known, or the known MTU admits no TCP
//   payload byte (<= 137)           -> min(global, 1143)
//   otherwise                       -> min(global, mss_ceiling(path MTU))
[[nodiscard]] uint16_t per_flow_max_mss(std::span<const uint8_t, 16> addr, uint16_t global_max_mss,
                                        PathMtuFn path_mtu);

}  // namespace fips::ipv6
