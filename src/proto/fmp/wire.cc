#include "proto/fmp/wire.h"

namespace fips::fmp {

bool is_known_link_msg_type(uint8_t t) {
  switch (t) {
    case 0x00: case 0x01: case 0x02: case 0x10: case 0x20:
    case 0x30: case 0x31: case 0x50: case 0x51:
      return true;
    default:
      return false;
  }
}

const char* link_msg_type_name(uint8_t t) {
  switch (t) {
    case 0x00: return "SessionDatagram";
    case 0x01: return "SenderReport";
    case 0x02: return "ReceiverReport";
    case 0x10: return "TreeAnnounce";
    case 0x20: return "FilterAnnounce";
    case 0x30: return "LookupRequest";
    case 0x31: return "LookupResponse";
    case 0x50: return "Disconnect";
    case 0x51: return "Heartbeat";
    default: return "Unknown";
  }
}

WireResult<CommonPrefix> decode_common_prefix(ByteSpan packet) {
  if (packet.size() < kCommonPrefixSize)
    return wire_err(WireErr::kTruncated, "common_prefix", kCommonPrefixSize, packet.size());
  CommonPrefix p;
  p.version = static_cast<uint8_t>(packet[0] >> 4);
  p.phase = static_cast<uint8_t>(packet[0] & 0x0F);
  p.flags = packet[1];
  p.payload_len = load_u16le(packet.data() + 2);
  return p;
}

WireResult<EstablishedHeader> decode_established_header(ByteSpan frame) {
  if (frame.size() < kEncryptedMinSize)
    return wire_err(WireErr::kTruncated, "established_frame", kEncryptedMinSize, frame.size());
  if ((frame[0] >> 4) != kVersion) return wire_err(WireErr::kBadVersion, "version", kVersion, frame[0] >> 4);
  if ((frame[0] & 0x0F) != kPhaseEstablished)
    return wire_err(WireErr::kBadPhase, "phase", kPhaseEstablished, frame[0] & 0x0F);
  EstablishedHeader h;
  // Bits 0xF8 are ignored, as the reference's EncryptedHeader::parse (it
  // reads K, CE and SP only); they stay in the AAD, so they are authenticated.
  h.flags = frame[1];
  h.payload_len = load_u16le(frame.data() + 2);
  if (h.payload_len != frame.size() - kEncryptedMinSize)
    return wire_err(WireErr::kBadLength, "payload_len", frame.size() - kEncryptedMinSize, h.payload_len);
  h.receiver_idx = load_u32le(frame.data() + 4);
  h.counter = load_u64le(frame.data() + 8);
  return h;
}

void encode_established_header(const EstablishedHeader& h, std::span<uint8_t, 16> out) {
  out[0] = ver_phase_byte(kVersion, kPhaseEstablished);
  out[1] = h.flags;
  store_u16le(out.data() + 2, h.payload_len);
  store_u32le(out.data() + 4, h.receiver_idx);
  store_u64le(out.data() + 8, h.counter);
}

WireResult<InnerHeader> decode_inner_header(ByteSpan plaintext) {
  if (plaintext.size() < kInnerHeaderSize)
    return wire_err(WireErr::kTruncated, "inner_header", kInnerHeaderSize, plaintext.size());
  return InnerHeader{load_u32le(plaintext.data()), plaintext[4]};
}

namespace {
// Shared checks of a handshake frame's prefix: exact size, version, phase,
// zero flags, payload_len = size - 4.
WireStatus check_handshake_prefix(ByteSpan p, uint8_t phase, size_t size, const char* field) {
  if (p.size() < size) return wire_err(WireErr::kTruncated, field, size, p.size());
  if (p.size() > size) return wire_err(WireErr::kTrailing, field, size, p.size());
  if ((p[0] >> 4) != kVersion) return wire_err(WireErr::kBadVersion, "version", kVersion, p[0] >> 4);
  if ((p[0] & 0x0F) != phase) return wire_err(WireErr::kBadPhase, "phase", phase, p[0] & 0x0F);
  if (p[1] != 0) return wire_err(WireErr::kReservedBits, "flags", 0, p[1]);
  const uint16_t len = load_u16le(p.data() + 2);
  if (len != size - kCommonPrefixSize)
    return wire_err(WireErr::kBadLength, "payload_len", size - kCommonPrefixSize, len);
  return {};
}
}  // namespace

WireResult<Msg1Frame> decode_msg1(ByteSpan packet) {
  FIPS_TRY(check_handshake_prefix(packet, kPhaseMsg1, kMsg1WireSize, "msg1"));
  return Msg1Frame{load_u32le(packet.data() + 4), packet.subspan(8, kIkMsg1Size)};
}

WireStatus encode_msg1(Writer& w, uint32_t sender_idx, ByteSpan noise_msg1) {
  if (noise_msg1.size() != kIkMsg1Size)
    return wire_err(WireErr::kBadLength, "noise_msg1", kIkMsg1Size, noise_msg1.size());
  w.u8(ver_phase_byte(kVersion, kPhaseMsg1));
  w.u8(0);
  w.u16le(static_cast<uint16_t>(4 + kIkMsg1Size));
  w.u32le(sender_idx);
  w.bytes(noise_msg1);
  return w.status();
}

WireResult<Msg2Frame> decode_msg2(ByteSpan packet) {
  FIPS_TRY(check_handshake_prefix(packet, kPhaseMsg2, kMsg2WireSize, "msg2"));
  return Msg2Frame{load_u32le(packet.data() + 4), load_u32le(packet.data() + 8),
                   packet.subspan(12, kIkMsg2Size)};
}

WireStatus encode_msg2(Writer& w, uint32_t sender_idx, uint32_t receiver_idx, ByteSpan noise_msg2) {
  if (noise_msg2.size() != kIkMsg2Size)
    return wire_err(WireErr::kBadLength, "noise_msg2", kIkMsg2Size, noise_msg2.size());
  w.u8(ver_phase_byte(kVersion, kPhaseMsg2));
  w.u8(0);
  w.u16le(static_cast<uint16_t>(4 + 4 + kIkMsg2Size));
  w.u32le(sender_idx);
  w.u32le(receiver_idx);
  w.bytes(noise_msg2);
  return w.status();
}

const char* disconnect_reason_name(DisconnectReason r) {
  switch (r) {
    case DisconnectReason::kShutdown: return "Shutdown";
    case DisconnectReason::kRestart: return "Restart";
    case DisconnectReason::kProtocolError: return "ProtocolError";
    case DisconnectReason::kTransportFailure: return "TransportFailure";
    case DisconnectReason::kResourceExhaustion: return "ResourceExhaustion";
    case DisconnectReason::kSecurityViolation: return "SecurityViolation";
    case DisconnectReason::kConfigurationChange: return "ConfigurationChange";
    case DisconnectReason::kTimeout: return "Timeout";
    case DisconnectReason::kOther: return "Other";
  }
  return "Other";
}

WireResult<Disconnect> decode_disconnect(ByteSpan msg) {
  Reader r(msg);
  const uint8_t type = r.u8();
  if (r.ok() && type != static_cast<uint8_t>(LinkMsgType::kDisconnect))
    r.fail(WireErr::kBadType, "msg_type", 0x50, type);
  const uint8_t reason = r.u8();
  // Bytes after the reason are ignored (the reference's Disconnect::decode
  // reads one byte), so a peer saying goodbye is never left to time out.
  FIPS_TRY(r.status());
  return Disconnect{static_cast<DisconnectReason>(reason)};
}

WireStatus encode_disconnect(Writer& w, const Disconnect& d) {
  w.u8(static_cast<uint8_t>(LinkMsgType::kDisconnect));
  w.u8(static_cast<uint8_t>(d.reason));
  return w.status();
}

WireStatus decode_heartbeat(ByteSpan msg) {
  Reader r(msg);
  const uint8_t type = r.u8();
  if (r.ok() && type != static_cast<uint8_t>(LinkMsgType::kHeartbeat))
    r.fail(WireErr::kBadType, "msg_type", 0x51, type);
  // Any body is ignored: the reference's dispatch treats 0x51 as a no-op.
  return r.status();
}

WireStatus encode_heartbeat(Writer& w) {
  w.u8(static_cast<uint8_t>(LinkMsgType::kHeartbeat));
  return w.status();
}

}  // namespace fips::fmp
