#include "proto/fsp/signals.h"

namespace fips::fsp {

bool is_known_signal_type(uint8_t t) { return t >= 0x20 && t <= 0x22; }

const char* signal_type_name(uint8_t t) {
  switch (t) {
    case 0x20: return "CoordsRequired";
    case 0x21: return "PathBroken";
    case 0x22: return "MtuExceeded";
    default: return "Unknown";
  }
}

namespace {

// Prefix checks shared by peek and the decoders. Leaves r after the prefix.
// Phase 0 and the U bit are what route a payload here; the version nibble,
// the other prefix flag bits and payload_len are ignored, as the reference's
// handle_session_payload does (docs/interop.md).
void read_signal_prefix(Reader& r) {
  const uint8_t vp = r.u8();
  const uint8_t flags = r.u8();
  r.u16le();
  if (!r.ok()) return;
  if ((vp & 0x0F) != kPhaseEstablished) return r.fail(WireErr::kBadPhase, "phase", 0, vp & 0x0F);
  if (!(flags & kFlagU)) return r.fail(WireErr::kBadValue, "flags.U", kFlagU, flags);
}

// msg_type + reserved flags byte (ignored) + the two addresses.
void read_signal_common(Reader& r, SignalType type, NodeAddr& dest, NodeAddr& reporter) {
  read_signal_prefix(r);
  const uint8_t t = r.u8();
  if (r.ok() && t != static_cast<uint8_t>(type))
    r.fail(WireErr::kBadType, "msg_type", static_cast<uint8_t>(type), t);
  r.u8();  // signal flags: reserved, ignored
  dest.bytes = r.array<16>("dest_addr");
  reporter.bytes = r.array<16>("reporter");
}

// Bytes after the layout are ignored (the reference's decoders check a
// minimum length only).
WireStatus finish_signal(const Reader& r) { return r.status(); }

WireStatus write_signal_common(Writer& w, SignalType type, size_t total, const NodeAddr& dest,
                               const NodeAddr& reporter) {
  const size_t body = total - kCommonPrefixSize;
  if (body > 0xFFFF) return wire_err(WireErr::kTooLarge, "payload_len", 0xFFFF, body);
  w.u8(ver_phase_byte(kVersion, kPhaseEstablished));
  w.u8(kFlagU);
  w.u16le(static_cast<uint16_t>(body));
  w.u8(static_cast<uint8_t>(type));
  w.u8(0);
  w.bytes(dest.bytes);
  w.bytes(reporter.bytes);
  return w.status();
}

}  // namespace

WireResult<uint8_t> peek_signal_type(ByteSpan fsp) {
  Reader r(fsp);
  read_signal_prefix(r);
  const uint8_t t = r.u8();
  FIPS_TRY(r.status());
  return t;
}

WireResult<CoordsRequired> decode_coords_required(ByteSpan fsp) {
  Reader r(fsp);
  CoordsRequired m;
  read_signal_common(r, SignalType::kCoordsRequired, m.dest_addr, m.reporter);
  FIPS_TRY(finish_signal(r));
  return m;
}

WireStatus encode_coords_required(Writer& w, const CoordsRequired& m) {
  return write_signal_common(w, SignalType::kCoordsRequired, kCoordsRequiredWireSize, m.dest_addr,
                             m.reporter);
}

WireResult<PathBroken> decode_path_broken(ByteSpan fsp) {
  Reader r(fsp);
  PathBroken m;
  read_signal_common(r, SignalType::kPathBroken, m.dest_addr, m.reporter);
  m.last_coords = read_coords(r, true, "last_coords");
  FIPS_TRY(finish_signal(r));
  return m;
}

WireStatus encode_path_broken(Writer& w, const PathBroken& m) {
  if (m.last_coords.size() > 0xFFFF)
    return wire_err(WireErr::kTooLarge, "last_coords", 0xFFFF, m.last_coords.size());
  if (m.last_coords.raw().size() != m.last_coords.size() * kCoordEntrySize)
    return wire_err(WireErr::kBadLength, "last_coords", m.last_coords.size() * kCoordEntrySize,
                    m.last_coords.raw().size());
  FIPS_TRY(write_signal_common(w, SignalType::kPathBroken, path_broken_wire_size(m), m.dest_addr,
                               m.reporter));
  write_coords(w, m.last_coords);
  return w.status();
}

WireResult<MtuExceeded> decode_mtu_exceeded(ByteSpan fsp) {
  Reader r(fsp);
  MtuExceeded m;
  read_signal_common(r, SignalType::kMtuExceeded, m.dest_addr, m.reporter);
  m.mtu = r.u16le();
  FIPS_TRY(finish_signal(r));
  return m;
}

WireStatus encode_mtu_exceeded(Writer& w, const MtuExceeded& m) {
  FIPS_TRY(write_signal_common(w, SignalType::kMtuExceeded, kMtuExceededWireSize, m.dest_addr,
                               m.reporter));
  w.u16le(m.mtu);
  return w.status();
}

}  // namespace fips::fsp
