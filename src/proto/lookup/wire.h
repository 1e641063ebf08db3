// LookupRequest (0x30) / LookupResponse (0x31) codecs and the response proof.
// Not here: request dedup, forwarding, backoff (proto/lookup core/state),
// coordinate list layout (proto/coords.h).
//
// LookupRequest, integers little-endian:
//   [0] 0x30 | [1..9) request_id u64 | [9..25) target | [25..41) origin |
//   [41] ttl u8 | [42..44) min_mtu u16 (0 = none) | [44..) origin_coords
//   (u16 count >= 1, count x 16)                       size 46 + 16n
// LookupResponse:
//   [0] 0x31 | [1..9) request_id u64 | [9..25) target | [25..27) path_mtu u16 |
//   [27..) target_coords (u16 count >= 1, count x 16) | proof 64
//                                                      size 93 + 16n
//
// Proof coverage (reference LookupResponse::proof_bytes, signed in
// node/handlers/lookup.rs send_lookup_response with Identity::sign and checked
// with PeerIdentity::verify):
//   proof_bytes = request_id(8 LE) || target(16) || count(2 LE) || n x 16
//   proof       = BIP340_sign(SHA-256(proof_bytes)) by the target's key
// i.e. the coordinate list INCLUDING its u16 count prefix, exactly as on the
// wire; = wire bytes [1..25) followed by [27..29+16n). Not covered: msg_type,
// path_mtu (a transit annotation every hop lowers).
//
// As the reference's, both decoders ignore bytes after the coordinates /
// proof; forwarding re-encodes (request) or copies only the decoded bytes
// (response), so such bytes are never passed on (docs/interop.md). As in the
// reference, a coordinate count of 0 is rejected (kBadValue) and the proof is
// any 64 bytes.
// Oversized: a count whose message would not fit in one link message
// (stp::kMaxLinkMessageSize, see proto/stp/limits.h) is kTooLarge, checked
// before the entries are read; no reference node can send such a message.
#pragma once

#include <cstdint>
#include <vector>

#include "crypto/secp256k1.h"
#include "identity/identity.h"
#include "identity/node_addr.h"
#include "proto/coords.h"
#include "proto/stp/limits.h"
#include "util/bytes.h"

namespace fips::lookup {

inline constexpr uint8_t kMsgTypeLookupRequest = 0x30;
inline constexpr uint8_t kMsgTypeLookupResponse = 0x31;
inline constexpr uint8_t kDefaultTtl = 64;
inline constexpr uint16_t kInitialPathMtu = 0xFFFF;  // set by the target, min'd per hop
inline constexpr size_t kProofSize = 64;

inline constexpr size_t kRequestFixedSize = 46;   // incl. msg_type and coords count
inline constexpr size_t kResponseFixedSize = 93;  // incl. msg_type, coords count, proof
inline constexpr size_t kResponseOffPathMtu = 25;
inline constexpr size_t kResponseOffCoords = 27;
inline constexpr size_t kProofBytesFixedSize = 26;  // request_id + target + count
static_assert(kRequestFixedSize == 1 + 8 + 16 + 16 + 1 + 2 + 2);
static_assert(kResponseFixedSize == 1 + 8 + 16 + 2 + 2 + kProofSize);
// Spec size tables: request "origin depth 3" -> 110 (4 coordinates, n =
// depth + 1). The response table's "target depth 3 -> 141" is 3 coordinates:
// that table is off by one (a depth-3 target sends 4 coordinates, 157 bytes).
// Reference test: proof_bytes for 3 coordinates is 74 bytes.
static_assert(kRequestFixedSize + 4 * kCoordEntrySize == 110);
static_assert(kResponseFixedSize + 3 * kCoordEntrySize == 141);
static_assert(kProofBytesFixedSize + 3 * kCoordEntrySize == 74);

inline constexpr size_t kMaxRequestCoords =
    (stp::kMaxLinkMessageSize - kRequestFixedSize) / kCoordEntrySize;
inline constexpr size_t kMaxResponseCoords =
    (stp::kMaxLinkMessageSize - kResponseFixedSize) / kCoordEntrySize;
static_assert(kMaxRequestCoords == 4091 && kMaxResponseCoords == 4088);

// ---- LookupRequest ----
struct LookupRequest {
  uint64_t request_id = 0;
  NodeAddr target{};
  NodeAddr origin{};
  uint8_t ttl = kDefaultTtl;
  uint16_t min_mtu = 0;
  Coords origin_coords;  // origin -> root, non-empty
  bool operator==(const LookupRequest&) const = default;
};

struct LookupRequestView {
  uint64_t request_id = 0;
  NodeAddr target{};
  NodeAddr origin{};
  uint8_t ttl = 0;
  uint16_t min_mtu = 0;
  CoordsView origin_coords;  // view into the input, non-empty
  [[nodiscard]] LookupRequest to_owned() const {
    return LookupRequest{request_id, target, origin, ttl, min_mtu, origin_coords.to_owned()};
  }
};

[[nodiscard]] inline size_t lookup_request_wire_size(size_t coord_count) {
  return kRequestFixedSize + coord_count * kCoordEntrySize;
}
[[nodiscard]] inline size_t lookup_request_wire_size(const LookupRequest& m) {
  return lookup_request_wire_size(m.origin_coords.size());
}

// Trailing bytes are ignored. Errors: kTruncated, kBadType, kBadValue
// (count 0), kTooLarge.
[[nodiscard]] WireResult<LookupRequestView> decode_lookup_request(ByteSpan msg);
// kBadValue for empty coords, kTooLarge above kMaxRequestCoords (nothing
// written), kNoSpace when w is too small.
[[nodiscard]] WireStatus encode_lookup_request(Writer& w, const LookupRequest& m);
[[nodiscard]] WireStatus encode_lookup_request(Writer& w, const LookupRequestView& m);

// ---- LookupResponse ----
struct LookupResponse {
  uint64_t request_id = 0;
  NodeAddr target{};
  uint16_t path_mtu = kInitialPathMtu;
  Coords target_coords;  // target -> root, non-empty
  SchnorrSig proof{};
  bool operator==(const LookupResponse&) const = default;
};

struct LookupResponseView {
  uint64_t request_id = 0;
  NodeAddr target{};
  uint16_t path_mtu = 0;
  CoordsView target_coords;  // view into the input, non-empty
  ByteSpan proof;            // 64 bytes
  [[nodiscard]] LookupResponse to_owned() const;
};

[[nodiscard]] inline size_t lookup_response_wire_size(size_t coord_count) {
  return kResponseFixedSize + coord_count * kCoordEntrySize;
}
[[nodiscard]] inline size_t lookup_response_wire_size(const LookupResponse& m) {
  return lookup_response_wire_size(m.target_coords.size());
}

// Trailing bytes are ignored. Errors: kTruncated, kBadType, kBadValue
// (count 0), kTooLarge.
[[nodiscard]] WireResult<LookupResponseView> decode_lookup_response(ByteSpan msg);
[[nodiscard]] WireStatus encode_lookup_response(Writer& w, const LookupResponse& m);
[[nodiscard]] WireStatus encode_lookup_response(Writer& w, const LookupResponseView& m);

// ---- Proof ----
[[nodiscard]] inline size_t proof_bytes_size(size_t coord_count) {
  return kProofBytesFixedSize + coord_count * kCoordEntrySize;
}
// Writes request_id || target || count || coords (see header comment).
[[nodiscard]] WireStatus encode_proof_bytes(Writer& w, uint64_t request_id, const NodeAddr& target,
                                            const Coords& coords);
[[nodiscard]] WireStatus encode_proof_bytes(Writer& w, uint64_t request_id, const NodeAddr& target,
                                            const CoordsView& coords);
// Allocating convenience (control plane).
[[nodiscard]] std::vector<uint8_t> proof_bytes(uint64_t request_id, const NodeAddr& target,
                                               const Coords& coords);

// Fills m.proof over (request_id, target, target_coords). False (m untouched)
// when target is not the identity's node_addr or the coords are empty/too many.
[[nodiscard]] bool sign_lookup_response(const Identity& id, LookupResponse& m);
// True iff target is the key's node_addr and the proof verifies over
// SHA-256(proof_bytes). path_mtu is ignored. (The reference looks the key up by
// target in its identity cache, so the address match is implied there.)
[[nodiscard]] bool verify_lookup_response(const PeerIdentity& target_key, const LookupResponse& m);
[[nodiscard]] bool verify_lookup_response(const PeerIdentity& target_key, const LookupResponseView& m);

}  // namespace fips::lookup
