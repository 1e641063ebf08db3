// ICMPv6 error generation for the IPv6 adapter (RFC 4443; reference
// src/upper/icmp.rs, icmp_rate_limit.rs): the "may we answer this packet at
// all" gate, Destination Unreachable and Packet Too Big builders (copying and
// in-place), and the per-source Packet Too Big rate limiter.
// Not here: deciding when to answer (adapter.h), writing to the TUN (tun.h).
//
// Both messages have the same layout:
//   IPv6: 60 00 00 00 | payload len | nh 58 | hop 64 | src | dst = original src
//   ICMPv6: type | code 0 | checksum | 4-byte word | original[0 .. min(len, 1232))
// Destination Unreachable: type 1, word 0, src = our fd00::/8 address.
// Packet Too Big: type 2, word = MTU (u32 BE), src = the ORIGINAL packet's
// destination, so Linux takes it as coming from a remote router (it ignores
// PTBs from its own addresses).
// The whole reply is at most 1280 bytes (48 + 1232).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "ipv6/limits.h"
#include "ipv6/shim.h"
#include "proto/interval_limiter.h"
#include "util/bytes.h"

namespace fips::ipv6 {

inline constexpr size_t kIcmpErrorOverhead = kIpv6HeaderSize + kIcmpHeaderSize;  // 48

// The reference's should_send_icmp_error: false for packets shorter than 40
// bytes, version != 6, source :: or ff00::/8, destination ff00::/8, or an
// ICMPv6 error (next header 58 directly after the fixed header, type < 128).
[[nodiscard]] bool should_send_icmp_error(ByteSpan packet);

// Size of the ICMPv6 error answering an invoking packet of original_len bytes.
[[nodiscard]] constexpr size_t icmp_error_size(size_t original_len) {
  return kIcmpErrorOverhead + (original_len < kIcmpMaxQuote ? original_len : kIcmpMaxQuote);
}

// Destination Unreachable (code 0 = no route unless given). Refuses only a
// packet shorter than 40 bytes (kTruncated); callers gate with
// should_send_icmp_error first, as every reference call site does.
// out needs icmp_error_size(original.size()) bytes (kNoSpace); returns the
// reply size. original and out must not overlap (use the in-place form).
[[nodiscard]] WireResult<size_t> build_dest_unreachable(ByteSpan original, Addr our_addr,
                                                        MutByteSpan out,
                                                        uint8_t code = kIcmpCodeNoRoute);
// Packet Too Big. Refuses (reference build_packet_too_big): < 40 bytes
// (kTruncated), version != 6 (kBadVersion), source :: or multicast
// (kBadValue "src_addr"), an ICMPv6 error (kBadValue "icmp_error"). It does
// NOT refuse a multicast destination.
[[nodiscard]] WireResult<size_t> build_packet_too_big(ByteSpan original, uint32_t mtu,
                                                      MutByteSpan out);

// In-place forms: buf[offset, offset + len) holds the invoking packet and at
// least 48 bytes precede it (else kNoSpace). The reply is written in front
// of it, quoting it where it lies, so nothing is copied; returns
// buf.subspan(offset - 48, icmp_error_size(len)). Same refusals as above.
[[nodiscard]] WireResult<MutByteSpan> dest_unreachable_in_place(MutByteSpan buf, size_t offset,
                                                                size_t len, Addr our_addr,
                                                                uint8_t code = kIcmpCodeNoRoute);
[[nodiscard]] WireResult<MutByteSpan> packet_too_big_in_place(MutByteSpan buf, size_t offset,
                                                              size_t len, uint32_t mtu);

// Packet Too Big limiter: at most one PTB per original source address per
// 100 ms; a send is recorded before the builder runs (so a refused build
// still counts, as in the reference). Records older than 10 s are forgotten;
// the table holds at most `capacity` sources (oldest dropped first).
class PtbLimiter {
 public:
  explicit PtbLimiter(size_t capacity = kPtbLimiterCapacity, uint64_t seed = 0,
                      uint64_t min_interval_ms = kPtbMinIntervalMs)
      : lim_(min_interval_ms, kPtbRecordMaxAgeMs, capacity, seed) {}

  // True (and records now_ms) when a PTB to src may be sent.
  bool should_send(Addr src, uint64_t now_ms);
  void purge(uint64_t now_ms) { (void)lim_.purge(now_ms); }
  [[nodiscard]] size_t size() const { return lim_.size(); }
  [[nodiscard]] uint64_t evictions() const { return lim_.evictions(); }

 private:
  using Key = std::array<uint8_t, 16>;
  struct KeyHash {
    uint64_t operator()(const Key& k) const noexcept;
  };
  IntervalLimiter<Key, KeyHash> lim_;
};

}  // namespace fips::ipv6
