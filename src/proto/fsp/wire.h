// FSP (session layer) wire codecs: common prefix, SessionSetup / SessionAck /
// SessionMsg3 handshake carriers, the encrypted-message envelope (12-byte
// AAD header + optional cleartext coords + ciphertext), the 6-byte encrypted
// inner header and the bodies of Data (0x10), PathMtuNotification (0x13) and
// CoordsWarmup (0x14).
// Not here: plaintext routing error signals (proto/fsp/signals.h), crypto
// (noise/), session state machines, MMP report bodies 0x11/0x12 (proto/mmp),
// the SessionDatagram envelope (proto/routing), IPv6 compression (ipv6/).
//
// Every FSP message is the payload of a SessionDatagram and starts with the
// 4-byte prefix [ver<<4|phase][flags][payload_len u16 LE]. What payload_len
// counts depends on the class (verified against the reference encoders):
//   handshake (phase 1/2/3): bytes after the prefix (= message size - 4);
//   encrypted (phase 0, U=0): the AEAD *plaintext* length (inner header +
//       body), i.e. excluding the cleartext coords and the 16-byte tag;
//   error signal (phase 0, U=1): bytes after the prefix, msg_type included.
// Our encoders write these values; our decoders, like the reference's
// receivers, never check payload_len.
//
// Decoders for FSP messages take the whole FSP payload (starting at the
// prefix; handshake messages have no msg_type byte, the phase identifies
// them). Decoders of session message bodies take the AEAD plaintext after the
// 6-byte inner header (the msg_type lives in that header). They accept and
// ignore what the reference accepts and ignores (unknown flag bits, trailing
// bytes, payload_len) and reject the rest with a typed WireError; every case
// is listed in docs/interop.md. They never allocate and return views into
// the input.
#pragma once

#include <cstdint>
#include <span>

#include "noise/handshake.h"
#include "proto/coords.h"
#include "util/bytes.h"

namespace fips::fsp {

inline constexpr uint8_t kVersion = 0;
inline constexpr uint8_t kPhaseEstablished = 0x0;
inline constexpr uint8_t kPhaseMsg1 = 0x1;  // SessionSetup
inline constexpr uint8_t kPhaseMsg2 = 0x2;  // SessionAck
inline constexpr uint8_t kPhaseMsg3 = 0x3;  // SessionMsg3

inline constexpr size_t kCommonPrefixSize = 4;
inline constexpr size_t kHeaderSize = 12;  // prefix + counter u64: the AEAD AAD
inline constexpr size_t kInnerHeaderSize = 6;
inline constexpr size_t kTagSize = kAeadTagSize;
inline constexpr size_t kEncryptedMinSize = kHeaderSize + kTagSize;  // 28, as the reference
// Smallest encrypted message the reference can emit: the plaintext always
// starts with the inner header.
inline constexpr size_t kMinPlaintextSize = kInnerHeaderSize;
inline constexpr size_t kPortHeaderSize = 4;
inline constexpr uint16_t kPortIpv6Shim = 256;
static_assert(kHeaderSize == 12 && kEncryptedMinSize == 28 && kInnerHeaderSize == 6);

// Link + session envelope around a session message body (spec "Overhead
// Budget"): link 37 + datagram body 35 + FSP header 12 + inner 6 + tag 16.
inline constexpr size_t kFipsOverhead = 106;
inline constexpr size_t kDataPacketOverhead = kFipsOverhead + kPortHeaderSize;  // 110
static_assert(kFipsOverhead == 37 + 35 + kHeaderSize + kInnerHeaderSize + kTagSize);

// Prefix flags (phase 0 only; written as zero in handshakes, ignored there on
// receipt).
inline constexpr uint8_t kFlagCP = 0x01;  // cleartext coords follow the 12-byte header
inline constexpr uint8_t kFlagK = 0x02;   // key epoch
inline constexpr uint8_t kFlagU = 0x04;   // unencrypted (error signal)
inline constexpr uint8_t kFlagsReserved = 0xF8;

// Inner flags (inside the AEAD).
inline constexpr uint8_t kInnerFlagSP = 0x01;  // spin bit
inline constexpr uint8_t kInnerFlagsReserved = 0xFE;

// SessionSetup flags byte (first body byte).
inline constexpr uint8_t kSetupFlagRequestAck = 0x01;
inline constexpr uint8_t kSetupFlagBidirectional = 0x02;
inline constexpr uint8_t kSetupFlagsReserved = 0xFC;

// Encrypted inner msg_type registry (0x10-0x1F).
enum class SessionMsgType : uint8_t {
  kData = 0x10,
  kSenderReport = 0x11,    // body: proto/mmp
  kReceiverReport = 0x12,  // body: proto/mmp
  kPathMtuNotification = 0x13,
  kCoordsWarmup = 0x14,
};
bool is_known_session_msg_type(uint8_t t);
const char* session_msg_type_name(uint8_t t);

inline uint8_t ver_phase_byte(uint8_t version, uint8_t phase) {
  return static_cast<uint8_t>((version << 4) | (phase & 0x0F));
}

struct CommonPrefix {
  uint8_t version = 0;
  uint8_t phase = 0;
  uint8_t flags = 0;
  uint16_t payload_len = 0;
};
// Parses the 4 bytes only (no validation beyond length).
[[nodiscard]] WireResult<CommonPrefix> decode_common_prefix(ByteSpan fsp);

// Dispatch class of an FSP payload, from its prefix alone: the phase must be
// one of 0..3; the version nibble is not checked here (only the encrypted
// header requires version 0, as the reference). Full validation happens in
// the decoders.
enum class FspKind : uint8_t { kEncrypted, kErrorSignal, kSessionSetup, kSessionAck, kSessionMsg3 };
[[nodiscard]] WireResult<FspKind> classify(ByteSpan fsp);

// Coordinates owned by the caller as a view (NodeAddr is exactly 16 bytes,
// so a Coords vector is already in wire layout).
CoordsView coords_view(const Coords& c);

// ---- Handshake carriers (phases 1..3) ----
// Encoders write version 0, prefix flags 0 and an exact payload_len. Decoders
// check the phase, the coords and handshake_len (== the XK message size, a
// check the reference makes in its handler), and ignore the version nibble,
// prefix flags, payload_len, the body flags byte's unknown bits and any
// bytes after the handshake.

// SessionSetup (phase 1) body: flags, src_coords, dest_coords (both >= 1
// entry, as the reference decoder requires), handshake_len, XK msg1.
struct SessionSetup {
  uint8_t flags = 0;  // kSetupFlagRequestAck | kSetupFlagBidirectional (decoder drops other bits)
  CoordsView src_coords;
  CoordsView dest_coords;
  ByteSpan handshake;  // kXkMsg1Size bytes
};
// SessionAck (phase 2): same layout, flags reserved (sent 0, ignored), XK msg2.
struct SessionAck {
  CoordsView src_coords;   // acknowledger (responder)
  CoordsView dest_coords;  // initiator
  ByteSpan handshake;      // kXkMsg2Size bytes
};
// SessionMsg3 (phase 3): flags reserved (sent 0, ignored), handshake_len, XK msg3.
struct SessionMsg3 {
  ByteSpan handshake;  // kXkMsg3Size bytes
};

inline constexpr size_t kSessionMsg3WireSize = kCommonPrefixSize + 1 + 2 + kXkMsg3Size;  // 80
static_assert(kSessionMsg3WireSize == 80);
inline size_t session_setup_wire_size(const SessionSetup& s) {
  return kCommonPrefixSize + 1 + coords_wire_size(s.src_coords.size()) +
         coords_wire_size(s.dest_coords.size()) + 2 + s.handshake.size();
}
inline size_t session_ack_wire_size(const SessionAck& s) {
  return kCommonPrefixSize + 1 + coords_wire_size(s.src_coords.size()) +
         coords_wire_size(s.dest_coords.size()) + 2 + s.handshake.size();
}
inline size_t session_msg3_wire_size(const SessionMsg3& m) {
  return kCommonPrefixSize + 1 + 2 + m.handshake.size();
}

[[nodiscard]] WireResult<SessionSetup> decode_session_setup(ByteSpan fsp);
[[nodiscard]] WireStatus encode_session_setup(Writer& w, const SessionSetup& s);
[[nodiscard]] WireResult<SessionAck> decode_session_ack(ByteSpan fsp);
[[nodiscard]] WireStatus encode_session_ack(Writer& w, const SessionAck& s);
[[nodiscard]] WireResult<SessionMsg3> decode_session_msg3(ByteSpan fsp);
[[nodiscard]] WireStatus encode_session_msg3(Writer& w, const SessionMsg3& m);

// ---- Encrypted message (phase 0, U clear) ----
//
//   [0..12)  header = AAD: prefix(ver 0, phase 0, flags, payload_len) + counter u64 LE
//   if CP:   src_coords (u16 count + 16n), dest_coords (u16 count + 16m)
//   rest:    ciphertext = AEAD(plaintext) || tag(16); payload_len = plaintext size
//
// The AAD is exactly the 12-byte header; the cleartext coords are NOT
// authenticated (reference: encrypt_with_aad(&inner_plaintext, &header) with
// the 12-byte header, coords spliced in after sealing; the encrypt worker
// takes aad = prefix[aad_offset .. aad_offset + 12]).
struct EncryptedHeader {
  uint8_t flags = 0;         // CP | K
  uint16_t payload_len = 0;  // plaintext length
  uint64_t counter = 0;
};
struct EncryptedMsg {
  EncryptedHeader header;
  ByteSpan aad;                // the first 12 bytes of the message
  CoordsView src_coords;       // empty unless CP
  CoordsView dest_coords;      // empty unless CP
  ByteSpan ciphertext;         // ciphertext || tag, size = payload_len + 16
  [[nodiscard]] bool has_coords() const { return (header.flags & kFlagCP) != 0; }
};
// The header and cleartext coords alone, as a transit node reads them to warm
// its cache: size >= 28, version 0, phase 0, U clear, coords well-formed when
// CP (a zero count is accepted, as the reference's decode_optional_coords
// does). Flag bits 0xF8 and payload_len are ignored. rest_offset is where the
// ciphertext starts.
struct EncryptedCoords {
  EncryptedHeader header;
  CoordsView src_coords;
  CoordsView dest_coords;
  size_t rest_offset = kHeaderSize;
};
[[nodiscard]] WireResult<EncryptedCoords> decode_encrypted_coords(ByteSpan fsp);
// decode_encrypted_coords() plus ciphertext >= 6 + 16 bytes (stricter than
// the reference, which drops a plaintext shorter than the inner header only
// after decrypting it). payload_len is not compared with the ciphertext.
[[nodiscard]] WireResult<EncryptedMsg> decode_encrypted(ByteSpan fsp);

// Header only, for callers that already know the layout.
void encode_encrypted_header(const EncryptedHeader& h, std::span<uint8_t, kHeaderSize> out);

// In-place sealing. Offsets inside the FSP payload:
//   [0, 12) header, [12, plaintext_offset) coords, [plaintext_offset,
//   tag_offset) plaintext, [tag_offset, total_size) tag.
struct EncryptedLayout {
  size_t plaintext_offset = kHeaderSize;
  size_t tag_offset = kHeaderSize;
  size_t total_size = kEncryptedMinSize;
};
// Where the plaintext goes for these flags/coords (coords used only with CP).
size_t encrypted_plaintext_offset(uint8_t flags, const CoordsView& src, const CoordsView& dest);
// Writes the header (+ coords when CP) at the front of out and returns the
// layout; bytes from plaintext_offset on are not touched, so the caller may
// have written the plaintext already. The caller then seals
// out[plaintext_offset, tag_offset) in place with AAD out[0, 12) and writes
// the tag at tag_offset. Errors: kBadValue (U or coords without CP),
// kReservedBits, kBadLength (plaintext < 6, the inner header),
// kTooLarge (plaintext > 65535 or coords count > 65535), kNoSpace (out
// smaller than total_size).
[[nodiscard]] WireResult<EncryptedLayout> encode_encrypted_frame(MutByteSpan out, uint8_t flags,
                                                                 uint64_t counter,
                                                                 const CoordsView& src,
                                                                 const CoordsView& dest,
                                                                 size_t plaintext_len);
// Copying variant: header (+ coords) + already-sealed ciphertext||tag.
[[nodiscard]] WireStatus encode_encrypted(Writer& w, uint8_t flags, uint64_t counter,
                                          const CoordsView& src, const CoordsView& dest,
                                          ByteSpan ciphertext);

// ---- Encrypted inner header (first 6 plaintext bytes) ----
struct InnerHeader {
  uint32_t timestamp = 0;  // session-relative ms
  uint8_t msg_type = 0;    // SessionMsgType (not checked here: dispatch decides)
  uint8_t inner_flags = 0; // kInnerFlagSP
  bool operator==(const InnerHeader&) const = default;
};
struct InnerMsg {
  InnerHeader header;
  ByteSpan body;  // the rest of the plaintext
};
// Rejects < 6 bytes. Inner flag bits other than SP are dropped (inner_flags
// keeps SP only), as the reference's FspInnerFlags::from_byte.
[[nodiscard]] WireResult<InnerMsg> decode_inner(ByteSpan plaintext);
void encode_inner_header(const InnerHeader& h, std::span<uint8_t, kInnerHeaderSize> out);
[[nodiscard]] WireStatus encode_inner_header(Writer& w, const InnerHeader& h);

// ---- Session message bodies (after the inner header) ----

// Data (0x10): [src_port u16 LE][dst_port u16 LE][service payload].
struct DataPacket {
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  ByteSpan payload;
};
[[nodiscard]] WireResult<DataPacket> decode_data(ByteSpan body);
[[nodiscard]] WireStatus encode_data(Writer& w, const DataPacket& d);
void encode_port_header(uint16_t src_port, uint16_t dst_port, std::span<uint8_t, kPortHeaderSize> out);
inline size_t data_body_size(const DataPacket& d) { return kPortHeaderSize + d.payload.size(); }

// PathMtuNotification (0x13): path_mtu u16 LE; at least 2 bytes, the rest
// ignored (as the reference).
struct PathMtuNotification {
  uint16_t path_mtu = 0;
  bool operator==(const PathMtuNotification&) const = default;
};
inline constexpr size_t kPathMtuNotificationSize = 2;
[[nodiscard]] WireResult<PathMtuNotification> decode_path_mtu_notification(ByteSpan body);
[[nodiscard]] WireStatus encode_path_mtu_notification(Writer& w, const PathMtuNotification& n);

// CoordsWarmup (0x14): empty body when we send it (with CP set; the coords
// are the point); any body is accepted and ignored on receipt.
[[nodiscard]] WireStatus decode_coords_warmup(ByteSpan body);

}  // namespace fips::fsp
