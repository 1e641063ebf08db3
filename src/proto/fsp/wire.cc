#include "proto/fsp/wire.h"

#include <cstring>

namespace fips::fsp {

static_assert(sizeof(NodeAddr) == kCoordEntrySize, "Coords must be wire-layout contiguous");

bool is_known_session_msg_type(uint8_t t) { return t >= 0x10 && t <= 0x14; }

const char* session_msg_type_name(uint8_t t) {
  switch (t) {
    case 0x10: return "Data";
    case 0x11: return "SenderReport";
    case 0x12: return "ReceiverReport";
    case 0x13: return "PathMtuNotification";
    case 0x14: return "CoordsWarmup";
    default: return "Unknown";
  }
}

CoordsView coords_view(const Coords& c) {
  return CoordsView(ByteSpan(reinterpret_cast<const uint8_t*>(c.data()), c.size() * kCoordEntrySize),
                    c.size());
}

WireResult<CommonPrefix> decode_common_prefix(ByteSpan fsp) {
  if (fsp.size() < kCommonPrefixSize)
    return wire_err(WireErr::kTruncated, "fsp_prefix", kCommonPrefixSize, fsp.size());
  CommonPrefix p;
  p.version = static_cast<uint8_t>(fsp[0] >> 4);
  p.phase = static_cast<uint8_t>(fsp[0] & 0x0F);
  p.flags = fsp[1];
  p.payload_len = load_u16le(fsp.data() + 2);
  return p;
}

WireResult<FspKind> classify(ByteSpan fsp) {
  if (fsp.size() < kCommonPrefixSize)
    return wire_err(WireErr::kTruncated, "fsp_prefix", kCommonPrefixSize, fsp.size());
  // The version nibble is not looked at here: the reference dispatches on the
  // phase alone and checks the version only in the encrypted header
  // (decode_encrypted), see docs/interop.md.
  switch (fsp[0] & 0x0F) {
    case kPhaseEstablished:
      return (fsp[1] & kFlagU) ? FspKind::kErrorSignal : FspKind::kEncrypted;
    case kPhaseMsg1: return FspKind::kSessionSetup;
    case kPhaseMsg2: return FspKind::kSessionAck;
    case kPhaseMsg3: return FspKind::kSessionMsg3;
    default: return wire_err(WireErr::kBadPhase, "phase", 0, fsp[0] & 0x0F);
  }
}

// ---------------------------------------------------------------------------
// Handshake carriers
// ---------------------------------------------------------------------------
namespace {

// Reads a handshake prefix; the body Reader then starts at byte 4. Only the
// phase is checked (the caller dispatched on it). Version nibble, prefix
// flags and payload_len are ignored, and so are bytes after the handshake:
// the reference's handler hands payload[4..] to a decoder that reads what it
// needs and never looks at those (docs/interop.md).
void read_handshake_prefix(Reader& r, uint8_t phase) {
  const uint8_t vp = r.u8();
  r.u8();     // prefix flags: ignored
  r.u16le();  // payload_len: ignored
  if (!r.ok()) return;
  if ((vp & 0x0F) != phase) return r.fail(WireErr::kBadPhase, "phase", phase, vp & 0x0F);
}

WireStatus finish_handshake(const Reader& r) { return r.status(); }

ByteSpan read_handshake(Reader& r, size_t expected, const char* field) {
  const uint16_t n = r.u16le();
  if (r.ok() && n != expected) {
    r.fail(WireErr::kBadLength, field, expected, n);
    return {};
  }
  return r.bytes(n, field);
}

WireStatus check_coords_out(const CoordsView& c, bool allow_empty, const char* field) {
  if (c.size() > 0xFFFF) return wire_err(WireErr::kTooLarge, field, 0xFFFF, c.size());
  if (c.raw().size() != c.size() * kCoordEntrySize)
    return wire_err(WireErr::kBadLength, field, c.size() * kCoordEntrySize, c.raw().size());
  if (!allow_empty && c.empty()) return wire_err(WireErr::kBadValue, field, 1, 0);
  return {};
}

WireStatus check_handshake_out(ByteSpan hs, size_t expected, const char* field) {
  if (hs.size() != expected) return wire_err(WireErr::kBadLength, field, expected, hs.size());
  return {};
}

WireStatus write_handshake_prefix(Writer& w, uint8_t phase, size_t total) {
  const size_t body = total - kCommonPrefixSize;
  if (body > 0xFFFF) return wire_err(WireErr::kTooLarge, "payload_len", 0xFFFF, body);
  w.u8(ver_phase_byte(kVersion, phase));
  w.u8(0);
  w.u16le(static_cast<uint16_t>(body));
  return w.status();
}

}  // namespace

WireResult<SessionSetup> decode_session_setup(ByteSpan fsp) {
  Reader r(fsp);
  read_handshake_prefix(r, kPhaseMsg1);
  SessionSetup s;
  // Only REQUEST_ACK and BIDIRECTIONAL are read; other bits are dropped here
  // so they can never be echoed (the reference's SessionFlags::from_byte).
  s.flags = static_cast<uint8_t>(r.u8() & ~kSetupFlagsReserved);
  s.src_coords = read_coords(r, false, "src_coords");
  s.dest_coords = read_coords(r, false, "dest_coords");
  s.handshake = read_handshake(r, kXkMsg1Size, "handshake_len");
  FIPS_TRY(finish_handshake(r));
  return s;
}

WireStatus encode_session_setup(Writer& w, const SessionSetup& s) {
  if (s.flags & kSetupFlagsReserved) return wire_err(WireErr::kReservedBits, "setup_flags", 0, s.flags);
  FIPS_TRY(check_coords_out(s.src_coords, false, "src_coords"));
  FIPS_TRY(check_coords_out(s.dest_coords, false, "dest_coords"));
  FIPS_TRY(check_handshake_out(s.handshake, kXkMsg1Size, "handshake"));
  FIPS_TRY(write_handshake_prefix(w, kPhaseMsg1, session_setup_wire_size(s)));
  w.u8(s.flags);
  write_coords(w, s.src_coords);
  write_coords(w, s.dest_coords);
  w.u16le(static_cast<uint16_t>(s.handshake.size()));
  w.bytes(s.handshake);
  return w.status();
}

WireResult<SessionAck> decode_session_ack(ByteSpan fsp) {
  Reader r(fsp);
  read_handshake_prefix(r, kPhaseMsg2);
  r.u8();  // flags: reserved, ignored (the reference stores and never reads it)
  SessionAck s;
  s.src_coords = read_coords(r, false, "src_coords");
  s.dest_coords = read_coords(r, false, "dest_coords");
  s.handshake = read_handshake(r, kXkMsg2Size, "handshake_len");
  FIPS_TRY(finish_handshake(r));
  return s;
}

WireStatus encode_session_ack(Writer& w, const SessionAck& s) {
  FIPS_TRY(check_coords_out(s.src_coords, false, "src_coords"));
  FIPS_TRY(check_coords_out(s.dest_coords, false, "dest_coords"));
  FIPS_TRY(check_handshake_out(s.handshake, kXkMsg2Size, "handshake"));
  FIPS_TRY(write_handshake_prefix(w, kPhaseMsg2, session_ack_wire_size(s)));
  w.u8(0);
  write_coords(w, s.src_coords);
  write_coords(w, s.dest_coords);
  w.u16le(static_cast<uint16_t>(s.handshake.size()));
  w.bytes(s.handshake);
  return w.status();
}

WireResult<SessionMsg3> decode_session_msg3(ByteSpan fsp) {
  Reader r(fsp);
  read_handshake_prefix(r, kPhaseMsg3);
  r.u8();  // flags: reserved, ignored
  SessionMsg3 m;
  m.handshake = read_handshake(r, kXkMsg3Size, "handshake_len");
  FIPS_TRY(finish_handshake(r));
  return m;
}

WireStatus encode_session_msg3(Writer& w, const SessionMsg3& m) {
  FIPS_TRY(check_handshake_out(m.handshake, kXkMsg3Size, "handshake"));
  FIPS_TRY(write_handshake_prefix(w, kPhaseMsg3, session_msg3_wire_size(m)));
  w.u8(0);
  w.u16le(static_cast<uint16_t>(m.handshake.size()));
  w.bytes(m.handshake);
  return w.status();
}

// ---------------------------------------------------------------------------
// Encrypted envelope
// ---------------------------------------------------------------------------

WireResult<EncryptedCoords> decode_encrypted_coords(ByteSpan fsp) {
  if (fsp.size() < kEncryptedMinSize)
    return wire_err(WireErr::kTruncated, "fsp_header", kEncryptedMinSize, fsp.size());
  const uint8_t version = static_cast<uint8_t>(fsp[0] >> 4);
  if (version != kVersion) return wire_err(WireErr::kBadVersion, "version", kVersion, version);
  if ((fsp[0] & 0x0F) != kPhaseEstablished)
    return wire_err(WireErr::kBadPhase, "phase", kPhaseEstablished, fsp[0] & 0x0F);
  EncryptedCoords c;
  // Bits 0xF8 are ignored (the reference's FspEncryptedHeader::parse reads
  // U, CP and K only); they stay in the AAD, so they are authenticated.
  c.header.flags = fsp[1];
  if (c.header.flags & kFlagU) return wire_err(WireErr::kBadValue, "flags.U", 0, c.header.flags);
  c.header.payload_len = load_u16le(fsp.data() + 2);
  c.header.counter = load_u64le(fsp.data() + 4);
  Reader r(fsp.subspan(kHeaderSize));
  if (c.header.flags & kFlagCP) {
    c.src_coords = read_coords(r, true, "src_coords");
    c.dest_coords = read_coords(r, true, "dest_coords");
    FIPS_TRY(r.status());
  }
  c.rest_offset = kHeaderSize + r.pos();
  return c;
}

WireResult<EncryptedMsg> decode_encrypted(ByteSpan fsp) {
  auto c = decode_encrypted_coords(fsp);
  if (!c) return Err{c.error()};
  EncryptedMsg m;
  m.header = c->header;
  m.aad = fsp.first(kHeaderSize);
  m.src_coords = c->src_coords;
  m.dest_coords = c->dest_coords;
  m.ciphertext = fsp.subspan(c->rest_offset);
  // payload_len is not compared with the ciphertext (the reference never
  // reads it). Stricter than the reference: a ciphertext that cannot hold the
  // 6-byte inner header is dropped before decryption rather than after.
  if (m.ciphertext.size() < kMinPlaintextSize + kTagSize)
    return wire_err(WireErr::kTruncated, "ciphertext", kMinPlaintextSize + kTagSize, m.ciphertext.size());
  return m;
}

void encode_encrypted_header(const EncryptedHeader& h, std::span<uint8_t, kHeaderSize> out) {
  out[0] = ver_phase_byte(kVersion, kPhaseEstablished);
  out[1] = h.flags;
  store_u16le(out.data() + 2, h.payload_len);
  store_u64le(out.data() + 4, h.counter);
}

size_t encrypted_plaintext_offset(uint8_t flags, const CoordsView& src, const CoordsView& dest) {
  if (!(flags & kFlagCP)) return kHeaderSize;
  return kHeaderSize + coords_wire_size(src.size()) + coords_wire_size(dest.size());
}

namespace {
WireStatus check_encrypted_out(uint8_t flags, const CoordsView& src, const CoordsView& dest,
                               size_t plaintext_len) {
  if (flags & kFlagU) return wire_err(WireErr::kBadValue, "flags.U", 0, flags);
  if (flags & kFlagsReserved) return wire_err(WireErr::kReservedBits, "flags", 0, flags);
  if (flags & kFlagCP) {
    FIPS_TRY(check_coords_out(src, true, "src_coords"));
    FIPS_TRY(check_coords_out(dest, true, "dest_coords"));
  } else if (!src.empty() || !dest.empty()) {
    return wire_err(WireErr::kBadValue, "coords_without_CP", 0, src.size() + dest.size());
  }
  if (plaintext_len < kMinPlaintextSize)
    return wire_err(WireErr::kBadLength, "plaintext", kMinPlaintextSize, plaintext_len);
  if (plaintext_len > 0xFFFF) return wire_err(WireErr::kTooLarge, "plaintext", 0xFFFF, plaintext_len);
  return {};
}
}  // namespace

WireResult<EncryptedLayout> encode_encrypted_frame(MutByteSpan out, uint8_t flags, uint64_t counter,
                                                   const CoordsView& src, const CoordsView& dest,
                                                   size_t plaintext_len) {
  FIPS_TRY(check_encrypted_out(flags, src, dest, plaintext_len));
  EncryptedLayout l;
  l.plaintext_offset = encrypted_plaintext_offset(flags, src, dest);
  l.tag_offset = l.plaintext_offset + plaintext_len;
  l.total_size = l.tag_offset + kTagSize;
  if (out.size() < l.total_size) return wire_err(WireErr::kNoSpace, "fsp_frame", l.total_size, out.size());
  encode_encrypted_header({flags, static_cast<uint16_t>(plaintext_len), counter},
                          out.first<kHeaderSize>());
  if (flags & kFlagCP) {
    Writer w(out.subspan(kHeaderSize, l.plaintext_offset - kHeaderSize));
    write_coords(w, src);
    write_coords(w, dest);
    FIPS_TRY(w.status());
  }
  return l;
}

WireStatus encode_encrypted(Writer& w, uint8_t flags, uint64_t counter, const CoordsView& src,
                            const CoordsView& dest, ByteSpan ciphertext) {
  if (ciphertext.size() < kTagSize)
    return wire_err(WireErr::kBadLength, "ciphertext", kTagSize, ciphertext.size());
  const size_t plaintext_len = ciphertext.size() - kTagSize;
  FIPS_TRY(check_encrypted_out(flags, src, dest, plaintext_len));
  uint8_t* h = w.reserve(kHeaderSize);
  if (h) {
    encode_encrypted_header({flags, static_cast<uint16_t>(plaintext_len), counter},
                            std::span<uint8_t, kHeaderSize>(h, kHeaderSize));
  }
  if (flags & kFlagCP) {
    write_coords(w, src);
    write_coords(w, dest);
  }
  w.bytes(ciphertext);
  return w.status();
}

// ---------------------------------------------------------------------------
// Inner header and bodies
// ---------------------------------------------------------------------------

WireResult<InnerMsg> decode_inner(ByteSpan plaintext) {
  if (plaintext.size() < kInnerHeaderSize)
    return wire_err(WireErr::kTruncated, "inner_header", kInnerHeaderSize, plaintext.size());
  InnerMsg m;
  m.header.timestamp = load_u32le(plaintext.data());
  m.header.msg_type = plaintext[4];
  // Only the spin bit is read; bits 0xFE are dropped (the reference's
  // FspInnerFlags::from_byte).
  m.header.inner_flags = static_cast<uint8_t>(plaintext[5] & kInnerFlagSP);
  m.body = plaintext.subspan(kInnerHeaderSize);
  return m;
}

void encode_inner_header(const InnerHeader& h, std::span<uint8_t, kInnerHeaderSize> out) {
  store_u32le(out.data(), h.timestamp);
  out[4] = h.msg_type;
  out[5] = h.inner_flags;
}

WireStatus encode_inner_header(Writer& w, const InnerHeader& h) {
  if (h.inner_flags & kInnerFlagsReserved)
    return wire_err(WireErr::kReservedBits, "inner_flags", 0, h.inner_flags);
  w.u32le(h.timestamp);
  w.u8(h.msg_type);
  w.u8(h.inner_flags);
  return w.status();
}

WireResult<DataPacket> decode_data(ByteSpan body) {
  if (body.size() < kPortHeaderSize)
    return wire_err(WireErr::kTruncated, "port_header", kPortHeaderSize, body.size());
  return DataPacket{load_u16le(body.data()), load_u16le(body.data() + 2),
                    body.subspan(kPortHeaderSize)};
}

WireStatus encode_data(Writer& w, const DataPacket& d) {
  w.u16le(d.src_port);
  w.u16le(d.dst_port);
  w.bytes(d.payload);
  return w.status();
}

void encode_port_header(uint16_t src_port, uint16_t dst_port, std::span<uint8_t, kPortHeaderSize> out) {
  store_u16le(out.data(), src_port);
  store_u16le(out.data() + 2, dst_port);
}

WireResult<PathMtuNotification> decode_path_mtu_notification(ByteSpan body) {
  // At least 2 bytes; anything after them is ignored, as the reference's
  // PathMtuNotification::decode (require(2), then read_u16_le).
  Reader r(body);
  PathMtuNotification n;
  n.path_mtu = r.u16le();
  FIPS_TRY(r.status());
  return n;
}

WireStatus encode_path_mtu_notification(Writer& w, const PathMtuNotification& n) {
  w.u16le(n.path_mtu);
  return w.status();
}

WireStatus decode_coords_warmup(ByteSpan body) {
  // The body is ignored, whatever its length: the reference's handler only
  // logs a CoordsWarmup (the coords in the cleartext header are the point).
  (void)body;
  return {};
}

}  // namespace fips::fsp
