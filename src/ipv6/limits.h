// IPv6 adapter constants (reference src/upper/icmp.rs, tcp_mss.rs, tun.rs,
// icmp_rate_limit.rs) and the two MTU formulas everything else derives from.
// Not here: the FSP/FMP overhead breakdown (proto/fsp/wire.h), config
// defaults (config/config.h).
#pragma once

#include <cstddef>
#include <cstdint>

namespace fips::ipv6 {

// Wire bytes a port-256 IPv6 packet costs on top of its own length:
// FIPS_OVERHEAD (106) + port header (4) - shim savings (33).
inline constexpr uint16_t kFipsIpv6Overhead = 77;
inline constexpr uint16_t kIpv6MinMtu = 1280;
inline constexpr size_t kIpv6HeaderSize = 40;
inline constexpr size_t kIcmpHeaderSize = 8;
inline constexpr size_t kTcpHeaderMin = 20;
inline constexpr size_t kUdpHeaderSize = 8;
// Most of an invoking packet an ICMPv6 error quotes: 1280 - 40 - 8.
inline constexpr size_t kIcmpMaxQuote = kIpv6MinMtu - kIpv6HeaderSize - kIcmpHeaderSize;
static_assert(kIcmpMaxQuote == 1232);

inline constexpr uint8_t kNextHeaderTcp = 6;
inline constexpr uint8_t kNextHeaderUdp = 17;
inline constexpr uint8_t kNextHeaderIcmpv6 = 58;

inline constexpr uint8_t kIcmpDestUnreachable = 1;
inline constexpr uint8_t kIcmpPacketTooBig = 2;
inline constexpr uint8_t kIcmpCodeNoRoute = 0;
inline constexpr uint8_t kIcmpHopLimit = 64;

// Packet Too Big limiter: one PTB per original source per 100 ms; records
// older than 10 s are forgotten. The table bound is ours (the reference's map
// is unbounded).
inline constexpr uint64_t kPtbMinIntervalMs = 100;
inline constexpr uint64_t kPtbRecordMaxAgeMs = 10'000;
inline constexpr size_t kPtbLimiterCapacity = 4096;

// Largest IPv6 packet a path of transport_mtu wire bytes carries (saturating).
constexpr uint16_t effective_ipv6_mtu(uint16_t transport_mtu) {
  return transport_mtu > kFipsIpv6Overhead
             ? static_cast<uint16_t>(transport_mtu - kFipsIpv6Overhead)
             : uint16_t{0};
}
// Largest TCP MSS such a path admits: effective MTU - 40 (IPv6) - 20 (TCP),
// saturating; 0 means not one payload byte fits (transport_mtu <= 137).
constexpr uint16_t mss_ceiling(uint16_t transport_mtu) {
  const uint16_t eff = effective_ipv6_mtu(transport_mtu);
  return eff > 60 ? static_cast<uint16_t>(eff - 60) : uint16_t{0};
}
// Ceiling used when nothing better is known about a destination: the
// IPv6-minimum path (1280 -> 1203 -> 1143).
inline constexpr uint16_t kConservativeMss = mss_ceiling(kIpv6MinMtu);
static_assert(kConservativeMss == 1143 && mss_ceiling(137) == 0 && mss_ceiling(138) == 1);
static_assert(effective_ipv6_mtu(1280) == 1203);

}  // namespace fips::ipv6
