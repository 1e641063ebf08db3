// Plaintext routing error signals carried as FSP payloads (phase 0, U flag):
// CoordsRequired (0x20), PathBroken (0x21), MtuExceeded (0x22).
// Not here: when to emit them or how to react (routing core / session
// layer), the encrypted FSP formats (proto/fsp/wire.h).
//
// The reference keeps these in its routing module (RoutingSignalType); they
// are FSP payloads on the wire, so they live next to the FSP codecs here.
//
// Layout (whole FSP payload, decoders take it from the prefix on):
//   [0] 0x00 (ver 0, phase 0)  [1] flags = U (0x04)  [2..4) payload_len
//   [4] msg_type  [5] flags (reserved, 0)  [6..22) dest_addr  [22..38) reporter
//   PathBroken:  [38..40) last_coords count, 16 x n addrs (count 0 = none)
//   MtuExceeded: [38..40) mtu u16 LE
// payload_len counts every byte after the prefix, msg_type included (34 for
// CoordsRequired, 36 for MtuExceeded, 36 + 16n for PathBroken). The spec's
// size table says "PathBroken 35 + 16n bytes"; the reference encoder emits
// 40 + 16n bytes in total, which is what we produce and require.
//
// Encoders write version 0, flags = U exactly, a zero reserved byte and an
// exact payload_len. Decoders, like the reference's, check phase 0, the U bit,
// msg_type and a minimum length only: version nibble, other prefix flag bits,
// payload_len, the reserved flags byte and trailing bytes are ignored
// (docs/interop.md).
#pragma once

#include <cstdint>

#include "identity/node_addr.h"
#include "proto/coords.h"
#include "proto/fsp/wire.h"
#include "util/bytes.h"

namespace fips::fsp {

enum class SignalType : uint8_t {
  kCoordsRequired = 0x20,
  kPathBroken = 0x21,
  kMtuExceeded = 0x22,
};
bool is_known_signal_type(uint8_t t);
const char* signal_type_name(uint8_t t);

inline constexpr size_t kSignalHeaderSize = kCommonPrefixSize + 1 + 1 + 16 + 16;  // 38
inline constexpr size_t kCoordsRequiredWireSize = kSignalHeaderSize;               // 38
inline constexpr size_t kMtuExceededWireSize = kSignalHeaderSize + 2;              // 40
inline constexpr size_t kPathBrokenMinWireSize = kSignalHeaderSize + 2;            // 40
static_assert(kCoordsRequiredWireSize == 38 && kMtuExceededWireSize == 40);

// Validates the signal prefix (phase 0, U set, at least the msg_type byte)
// and returns the msg_type for dispatch.
// Unknown types are returned as-is (the caller drops them).
[[nodiscard]] WireResult<uint8_t> peek_signal_type(ByteSpan fsp);

struct CoordsRequired {
  NodeAddr dest_addr;  // the destination the reporter could not route to
  NodeAddr reporter;
  bool operator==(const CoordsRequired&) const = default;
};
struct PathBroken {
  NodeAddr dest_addr;
  NodeAddr reporter;
  CoordsView last_coords;  // stale coords of dest_addr; empty = none
};
struct MtuExceeded {
  NodeAddr dest_addr;
  NodeAddr reporter;
  uint16_t mtu = 0;  // bottleneck link MTU at the reporter
  bool operator==(const MtuExceeded&) const = default;
};

inline size_t path_broken_wire_size(const PathBroken& p) {
  return kSignalHeaderSize + coords_wire_size(p.last_coords.size());
}

[[nodiscard]] WireResult<CoordsRequired> decode_coords_required(ByteSpan fsp);
[[nodiscard]] WireStatus encode_coords_required(Writer& w, const CoordsRequired& m);
[[nodiscard]] WireResult<PathBroken> decode_path_broken(ByteSpan fsp);
[[nodiscard]] WireStatus encode_path_broken(Writer& w, const PathBroken& m);
[[nodiscard]] WireResult<MtuExceeded> decode_mtu_exceeded(ByteSpan fsp);
[[nodiscard]] WireStatus encode_mtu_exceeded(Writer& w, const MtuExceeded& m);

}  // namespace fips::fsp
