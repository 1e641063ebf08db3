// SessionDatagram (link message 0x00): the routed envelope around every
// session-layer (FSP) payload, plus in-place forwarding helpers.
// Not here: FSP payload formats and routing error signals (proto/fsp),
// next-hop selection and coordinate caches (routing core).
//
// Layout (36-byte fixed header, spec "SessionDatagram (0x00)"):
//   [0] msg_type 0x00  [1] ttl  [2..4) path_mtu u16 LE
//   [4..20) src_addr   [20..36) dest_addr   [36..) payload (opaque, may be empty)
//
// decode_session_datagram takes the link message starting at its msg_type
// byte (the plaintext after the 4-byte FMP inner timestamp) and returns a view
// of the payload. Every byte string of >= 36 bytes with type 0x00 decodes: ttl
// and path_mtu carry no forbidden values and the payload runs to the end, so
// there is no trailing-byte check (the reference accepts the same set).
#pragma once

#include <cstdint>

#include "identity/node_addr.h"
#include "util/bytes.h"

namespace fips::routing {

inline constexpr uint8_t kSessionDatagramType = 0x00;
inline constexpr size_t kSessionDatagramHeaderSize = 36;
inline constexpr size_t kTtlOffset = 1;
inline constexpr size_t kPathMtuOffset = 2;
inline constexpr size_t kSrcAddrOffset = 4;
inline constexpr size_t kDestAddrOffset = 20;
static_assert(kDestAddrOffset + 16 == kSessionDatagramHeaderSize);

// Reference defaults (SessionDatagram::new): ttl 64 unless configured,
// path_mtu u16::MAX so the first min() is the first hop's link MTU.
inline constexpr uint8_t kDefaultTtl = 64;
inline constexpr uint16_t kInitialPathMtu = 0xFFFF;

struct SessionDatagram {
  uint8_t ttl = kDefaultTtl;
  uint16_t path_mtu = kInitialPathMtu;
  NodeAddr src_addr;
  NodeAddr dest_addr;
  ByteSpan payload;  // view into the decoded message / the caller's buffer
};

[[nodiscard]] WireResult<SessionDatagram> decode_session_datagram(ByteSpan msg);
// Writes the 36-byte header followed by d.payload.
[[nodiscard]] WireStatus encode_session_datagram(Writer& w, const SessionDatagram& d);
// Writes only the 36-byte header (for callers that place the payload
// themselves, e.g. sealing the FSP payload in place right after it).
[[nodiscard]] WireStatus encode_session_datagram_header(Writer& w, uint8_t ttl, uint16_t path_mtu,
                                                        const NodeAddr& src, const NodeAddr& dest);
inline size_t session_datagram_wire_size(const SessionDatagram& d) {
  return kSessionDatagramHeaderSize + d.payload.size();
}

// ---- Hot-path accessors on an already-validated message buffer ----
// All of these require msg.size() >= kSessionDatagramHeaderSize (i.e. the
// buffer passed decode_session_datagram); they do not re-check the type byte.

inline NodeAddr peek_dest_addr(ByteSpan msg) {
  return NodeAddr::from_span(msg.subspan(kDestAddrOffset).first<16>());
}
inline NodeAddr peek_src_addr(ByteSpan msg) {
  return NodeAddr::from_span(msg.subspan(kSrcAddrOffset).first<16>());
}
inline uint8_t peek_ttl(ByteSpan msg) { return msg[kTtlOffset]; }
inline uint16_t peek_path_mtu(ByteSpan msg) { return load_u16le(msg.data() + kPathMtuOffset); }

// Saturating TTL decrement in place (IP semantics, as the reference's
// SessionDatagram::decrement_ttl): returns true when the datagram may still
// be transmitted (ttl after decrement > 0). ttl 0 stays 0.
bool decrement_ttl_in_place(MutByteSpan msg);
// path_mtu = min(path_mtu, link_mtu) in place.
void clamp_path_mtu_in_place(MutByteSpan msg, uint16_t link_mtu);

// One transit hop, in place: if the TTL would leave at zero (arrival ttl 0
// or 1) the buffer is left untouched and false is returned (drop, the
// reference's TtlExhausted); otherwise ttl is decremented, path_mtu is
// min'd with link_mtu and true is returned. Delivery to the addressed node
// is not TTL-gated and must not call this.
bool prepare_forward_in_place(MutByteSpan msg, uint16_t link_mtu);

}  // namespace fips::routing
