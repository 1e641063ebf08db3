// IPv6 shim payload format 0x00 (FSP Data port 256): header compression
// that strips the addresses and payload length of an IPv6 packet and
// rebuilds them from session context on receipt. Allocation-free, with
// in-place variants for the packet path.
// Not here: TUN I/O, ICMPv6 generation, ECN marking, TCP MSS clamping, the
// FSP Data/port header (proto/fsp/wire.h), address <-> NodeAddr lookup.
//
// Compressed layout, as the reference (src/upper/ipv6_shim.rs) produces it:
//   [0]    format = 0x00
//   [1..5) IPv6 header bytes 0..3 VERBATIM: version(4) | traffic class(8) |
//          flow label(20), i.e. 0x6T TF FF FF
//   [5]    next_header   [6] hop_limit   [7..) upper-layer payload
// NOTE: the spec's table ("traffic_class 1 byte, flow_label 3 bytes,
// 20 bits big-endian, zero-padded") describes a different byte layout; the
// reference never produces it. We follow the reference for interop: TC=0xAB,
// flow=0xFEDCB is sent as 6a bf ed cb, not ab 0f ed cb.
// Savings: 40-byte header -> 7 bytes = 33 bytes (the spec's "29" is wrong).
//
// Behaviour vs the reference:
//   - Extension headers are not touched: next_header is carried as is and
//     the extension chain travels inside the "upper payload" (same as ref).
//   - Addresses are not inspected (ref: same). Whatever src/dst the packet
//     had, the receiver rebuilds them from the session (fd || node_addr[0..15]);
//     the caller must have routed by the destination address already.
//     check_addresses() lets it confirm both match the session first.
//   - compress() additionally rejects a payload-length field that disagrees
//     with the buffer (the ref would silently "fix" it on reconstruction) and
//     packets too large to re-encode.
//   - parse()/decompress() overwrite the version nibble of the residual
//     with 6, whatever it held (as the ref; docs/interop.md).
//   - an upper payload above 65535 bytes is rejected (kTooLarge; the ref
//     would truncate the length to u16); an FSP message cannot carry one.
#pragma once

#include <cstdint>
#include <span>

#include "util/bytes.h"

namespace fips::ipv6 {

using Addr = std::span<const uint8_t, 16>;

inline constexpr uint8_t kFormatCompressed = 0x00;
inline constexpr size_t kHeaderSize = 40;
inline constexpr size_t kShimHeaderSize = 7;  // format + 4 + next_header + hop_limit
inline constexpr size_t kSavings = kHeaderSize - kShimHeaderSize;
inline constexpr size_t kMaxPayload = 0xFFFF;  // no jumbograms
static_assert(kSavings == 33);

// Residual header fields, for callers that want them without a full decode.
struct Residual {
  uint8_t traffic_class = 0;
  uint32_t flow_label = 0;  // 20 bits
  uint8_t next_header = 0;
  uint8_t hop_limit = 0;
  bool operator==(const Residual&) const = default;
};

// Validates an IPv6 packet: >= 40 bytes (kTruncated), version 6
// (kBadVersion), payload length == size - 40 (kBadLength).
[[nodiscard]] WireStatus validate_packet(ByteSpan packet);
// kBadValue unless the packet's source and destination equal src / dst.
[[nodiscard]] WireStatus check_addresses(ByteSpan packet, Addr src, Addr dst);

// Compresses packet into out (needs packet.size() - 33 bytes); returns the
// compressed size. packet and out must not overlap (use compress_in_place).
[[nodiscard]] WireResult<size_t> compress(ByteSpan packet, MutByteSpan out);
// Compresses in place: the payload does not move; the 7-byte shim header is
// written over the tail of the old header. Returns packet.subspan(33).
[[nodiscard]] WireResult<MutByteSpan> compress_in_place(MutByteSpan packet);

// Parses a shim payload: >= 7 bytes (kTruncated), format 0 (kBadType),
// payload <= 65535 (kTooLarge); the version nibble is read as 6.
struct ShimView {
  Residual residual;
  ByteSpan upper_payload;
};
[[nodiscard]] WireResult<ShimView> parse(ByteSpan shim);

// Rebuilds the full IPv6 packet into out (needs shim.size() + 33 bytes);
// returns the packet size. shim and out must not overlap.
[[nodiscard]] WireResult<size_t> decompress(ByteSpan shim, Addr src, Addr dst, MutByteSpan out);
// Rebuilds in place: buf[shim_offset..] is the shim payload and
// shim_offset >= 33 bytes of headroom precede it. The payload does not move.
// Returns buf.subspan(shim_offset - 33): the full packet.
[[nodiscard]] WireResult<MutByteSpan> decompress_in_place(MutByteSpan buf, size_t shim_offset,
                                                          Addr src, Addr dst);

// Builds a 40-byte header from fields (tests, ICMPv6 generation).
void write_header(const Residual& r, uint16_t payload_len, Addr src, Addr dst,
                  std::span<uint8_t, kHeaderSize> out);

}  // namespace fips::ipv6
