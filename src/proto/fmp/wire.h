// FMP (mesh layer) framing: the 4-byte common prefix, the established-frame
// outer header (the AEAD AAD) and inner header, IK msg1/msg2 frames, the
// link message-type catalog, Disconnect and Heartbeat.
// Not here: crypto (noise/), link state machines (proto/fmp/core), other
// link messages (proto/stp, proto/bloom, proto/lookup, proto/mmp, proto/routing).
//
// Convention for every link message codec in proto/*/wire.h:
//   - decode_X(ByteSpan msg) takes the message starting at its msg_type byte
//     (the plaintext after the 4-byte inner timestamp), checks the type byte,
//     accepts and ignores what the reference accepts and ignores (unknown flag
//     bits, reserved fields, trailing bytes where its decoder reads a prefix
//     only) and rejects the rest with a typed WireError; each decision is in
//     docs/interop.md. Decoders never throw, never allocate unless the
//     message owns variable data, and return views into msg where they can.
//   - encode_X(Writer&, const X&) writes the whole message including msg_type
//     and returns the Writer's status (kNoSpace when out is too small).
//   - X_wire_size(const X&) gives the exact encoded size.
#pragma once

#include <cstdint>
#include <span>

#include "noise/handshake.h"
#include "util/bytes.h"

namespace fips::fmp {

inline constexpr uint8_t kVersion = 0;
inline constexpr uint8_t kPhaseEstablished = 0x0;
inline constexpr uint8_t kPhaseMsg1 = 0x1;
inline constexpr uint8_t kPhaseMsg2 = 0x2;

inline constexpr size_t kCommonPrefixSize = 4;
inline constexpr size_t kEstablishedHeaderSize = 16;
inline constexpr size_t kInnerHeaderSize = 5;  // timestamp u32 + msg_type
inline constexpr size_t kEncryptedMinSize = kEstablishedHeaderSize + kAeadTagSize;  // 32
inline constexpr size_t kMsg1WireSize = kCommonPrefixSize + 4 + kIkMsg1Size;        // 114
inline constexpr size_t kMsg2WireSize = kCommonPrefixSize + 4 + 4 + kIkMsg2Size;    // 69
// Link-layer overhead of an established frame around a link message:
// outer header 16 + inner timestamp 4 + AEAD tag 16 (msg_type is the message's own).
inline constexpr size_t kFrameOverhead = kEstablishedHeaderSize + 4 + kAeadTagSize;  // 36
static_assert(kMsg1WireSize == 114 && kMsg2WireSize == 69 && kEncryptedMinSize == 32);

// Flags byte (established phase only).
inline constexpr uint8_t kFlagKeyEpoch = 0x01;  // K: which key generation sealed this frame
inline constexpr uint8_t kFlagCE = 0x02;        // congestion experienced echo
inline constexpr uint8_t kFlagSP = 0x04;        // spin bit
inline constexpr uint8_t kFlagsReserved = 0xF8;  // sent 0, ignored on receipt

enum class LinkMsgType : uint8_t {
  kSessionDatagram = 0x00,
  kSenderReport = 0x01,
  kReceiverReport = 0x02,
  kTreeAnnounce = 0x10,
  kFilterAnnounce = 0x20,
  kLookupRequest = 0x30,
  kLookupResponse = 0x31,
  kDisconnect = 0x50,
  kHeartbeat = 0x51,
};
bool is_known_link_msg_type(uint8_t t);
const char* link_msg_type_name(uint8_t t);

struct CommonPrefix {
  uint8_t version = 0;
  uint8_t phase = 0;
  uint8_t flags = 0;
  uint16_t payload_len = 0;
};
// Parses only the 4 bytes (no validation beyond length).
[[nodiscard]] WireResult<CommonPrefix> decode_common_prefix(ByteSpan packet);
inline uint8_t ver_phase_byte(uint8_t version, uint8_t phase) {
  return static_cast<uint8_t>((version << 4) | (phase & 0x0F));
}

// ---- Established frame (phase 0x0) ----
struct EstablishedHeader {
  uint8_t flags = 0;
  uint16_t payload_len = 0;  // plaintext length = frame size - 32
  uint32_t receiver_idx = 0;
  uint64_t counter = 0;
};
// Validates a whole frame's header: size >= 32, version 0, phase 0,
// payload_len == size - 32 (the reference's rx loop checks that too). Flag
// bits 0xF8 are ignored. The first 16 bytes are the AAD.
[[nodiscard]] WireResult<EstablishedHeader> decode_established_header(ByteSpan frame);
void encode_established_header(const EstablishedHeader& h, std::span<uint8_t, 16> out);

struct InnerHeader {
  uint32_t timestamp = 0;  // session-relative milliseconds
  uint8_t msg_type = 0;
};
// Plaintext must hold at least the 5-byte inner header.
[[nodiscard]] WireResult<InnerHeader> decode_inner_header(ByteSpan plaintext);

// ---- Handshake frames ----
struct Msg1Frame {
  uint32_t sender_idx = 0;
  ByteSpan noise_msg1;  // 106 bytes, view into the packet
};
[[nodiscard]] WireResult<Msg1Frame> decode_msg1(ByteSpan packet);
[[nodiscard]] WireStatus encode_msg1(Writer& w, uint32_t sender_idx, ByteSpan noise_msg1);

struct Msg2Frame {
  uint32_t sender_idx = 0;
  uint32_t receiver_idx = 0;
  ByteSpan noise_msg2;  // 57 bytes, view into the packet
};
[[nodiscard]] WireResult<Msg2Frame> decode_msg2(ByteSpan packet);
[[nodiscard]] WireStatus encode_msg2(Writer& w, uint32_t sender_idx, uint32_t receiver_idx,
                                     ByteSpan noise_msg2);

// ---- Disconnect (0x50) ----
enum class DisconnectReason : uint8_t {
  kShutdown = 0x00,
  kRestart = 0x01,
  kProtocolError = 0x02,
  kTransportFailure = 0x03,
  kResourceExhaustion = 0x04,
  kSecurityViolation = 0x05,
  kConfigurationChange = 0x06,
  kTimeout = 0x07,
  kOther = 0xFF,
};
const char* disconnect_reason_name(DisconnectReason r);
struct Disconnect {
  // Unknown codes are kept as received; the reference treats them as Other.
  DisconnectReason reason = DisconnectReason::kOther;
  bool operator==(const Disconnect&) const = default;
};
inline constexpr size_t kDisconnectSize = 2;  // decoder: >= 2, the rest ignored
[[nodiscard]] WireResult<Disconnect> decode_disconnect(ByteSpan msg);
[[nodiscard]] WireStatus encode_disconnect(Writer& w, const Disconnect& d);

// ---- Heartbeat (0x51): the type byte alone (any body ignored on receipt) ----
inline constexpr size_t kHeartbeatSize = 1;
[[nodiscard]] WireStatus decode_heartbeat(ByteSpan msg);
[[nodiscard]] WireStatus encode_heartbeat(Writer& w);

}  // namespace fips::fmp
