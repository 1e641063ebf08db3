// TreeAnnounce (link msg 0x10) codec, its signed region and sign/verify helpers.
// Not here: tree state, parent selection, freshness/rate limits (proto/stp
// state), address-only coordinate lists (proto/coords.h), size limits (limits.h).
//
// Layout (v1), all integers little-endian:
//   [0]      msg_type 0x10
//   [1]      version 0x01
//   [2..10)  sequence u64
//   [10..18) timestamp u64 (Unix seconds, advisory)
//   [18..34) parent NodeAddr (== declaring node for a root declaration)
//   [34..36) ancestry_count u16, >= 1
//   [36..)   ancestry_count x AncestryEntry {node_addr 16, sequence u64,
//            timestamp u64}, self first, root last
//   [..+64)  signature (BIP-340 Schnorr)
//
// What the signature covers (reference ParentDeclaration::signing_bytes and
// node/tree.rs sign_declaration / verify_declaration) -- NOT "the entire
// message" as the wire-format prose says:
//   signed = node_addr(16) || parent(16) || sequence(8 LE) || timestamp(8 LE)
//   sig    = BIP340_sign(SHA-256(signed))      (Identity::sign hashes first)
// where node_addr is ancestry[0].node_addr (it is not a separate wire field).
// These 48 bytes are assembled from non-contiguous wire fields in a different
// order than the wire. NOT covered: msg_type, version, ancestry_count,
// ancestry[0].sequence/timestamp, and every ancestry entry after the first
// (v1 "transitive trust": the authenticated peer vouches for its ancestry).
//
// Like the reference's decoder we ignore bytes after the signature (they are
// not signed and never forwarded: announces are re-encoded from our own
// state). It checks count == 0 only after reading the signature; the outcome
// (rejected) is the same. Its only signature check while decoding is the
// length (any 64 bytes parse as a secp256k1 schnorr::Signature), so we accept
// any 64 bytes. See docs/interop.md.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "crypto/secp256k1.h"
#include "identity/identity.h"
#include "identity/node_addr.h"
#include "proto/stp/limits.h"
#include "util/bytes.h"

namespace fips::stp {

inline constexpr uint8_t kMsgTypeTreeAnnounce = 0x10;
inline constexpr uint8_t kVersion1 = 0x01;
inline constexpr size_t kSignatureSize = 64;
inline constexpr size_t kSignedBytesSize = 48;
// Offsets inside an encoded TreeAnnounce (from the msg_type byte).
inline constexpr size_t kOffSequence = 2;
inline constexpr size_t kOffTimestamp = 10;
inline constexpr size_t kOffParent = 18;
inline constexpr size_t kOffAncestryCount = 34;
inline constexpr size_t kOffAncestry = 36;
static_assert(kOffAncestry + kSignatureSize == kTreeAnnounceFixedSize);
// Reference test sizes: root (1 entry) 132 bytes, depth 3 (4 entries) 228.
static_assert(kTreeAnnounceFixedSize + 1 * kAncestryEntrySize == 132);
static_assert(kTreeAnnounceFixedSize + 4 * kAncestryEntrySize == 228);

// One hop of a node's ancestry with that node's declaration metadata (owned,
// for tree state).
struct AncestryEntry {
  NodeAddr node_addr{};
  uint64_t sequence = 0;
  uint64_t timestamp = 0;
  bool operator==(const AncestryEntry&) const = default;
};
using Ancestry = std::vector<AncestryEntry>;  // self -> root

// Non-owning view of count x 32-byte entries inside a decoded message.
class AncestryView {
 public:
  AncestryView() = default;
  AncestryView(ByteSpan entries, size_t count) : entries_(entries), count_(count) {}

  [[nodiscard]] size_t size() const { return count_; }
  [[nodiscard]] bool empty() const { return count_ == 0; }
  [[nodiscard]] NodeAddr node_addr_at(size_t i) const {
    return NodeAddr::from_span(entries_.subspan(i * kAncestryEntrySize).first<16>());
  }
  [[nodiscard]] AncestryEntry at(size_t i) const;
  [[nodiscard]] ByteSpan raw() const { return entries_; }  // count*32 bytes, no count prefix
  [[nodiscard]] Ancestry to_owned() const;
  bool operator==(const AncestryView& o) const {
    return count_ == o.count_ && std::equal(entries_.begin(), entries_.end(), o.entries_.begin());
  }

 private:
  ByteSpan entries_;
  size_t count_ = 0;
};

// Owned message (what we build and sign). ancestry[0].node_addr is the
// declaring node; the encoder requires 1..kMaxAncestryEntries entries.
struct TreeAnnounce {
  uint64_t sequence = 0;
  uint64_t timestamp = 0;
  NodeAddr parent{};
  Ancestry ancestry;
  SchnorrSig signature{};

  [[nodiscard]] NodeAddr node_addr() const { return ancestry.empty() ? NodeAddr{} : ancestry[0].node_addr; }
  [[nodiscard]] bool is_root() const { return !ancestry.empty() && parent == ancestry[0].node_addr; }
  bool operator==(const TreeAnnounce&) const = default;
};

// Decoded message: views into the input (valid while the input lives).
struct TreeAnnounceView {
  uint64_t sequence = 0;
  uint64_t timestamp = 0;
  NodeAddr parent{};
  AncestryView ancestry;  // never empty after a successful decode
  ByteSpan signature;     // 64 bytes

  [[nodiscard]] NodeAddr node_addr() const { return ancestry.node_addr_at(0); }
  [[nodiscard]] bool is_root() const { return parent == node_addr(); }
  [[nodiscard]] TreeAnnounce to_owned() const;
};

[[nodiscard]] inline size_t tree_announce_wire_size(size_t ancestry_count) {
  return kTreeAnnounceFixedSize + ancestry_count * kAncestryEntrySize;
}
[[nodiscard]] inline size_t tree_announce_wire_size(const TreeAnnounce& m) {
  return tree_announce_wire_size(m.ancestry.size());
}
[[nodiscard]] inline size_t tree_announce_wire_size(const TreeAnnounceView& m) {
  return tree_announce_wire_size(m.ancestry.size());
}

// msg starts at the msg_type byte; trailing bytes are ignored. Errors:
// kTruncated, kBadType,
// kBadVersion (version != 1), kBadValue (ancestry_count 0), kTooLarge
// (ancestry_count > kMaxAncestryEntries, checked before the entries are read).
[[nodiscard]] WireResult<TreeAnnounceView> decode_tree_announce(ByteSpan msg);
// kBadValue for an empty ancestry, kTooLarge above the limit (nothing is
// written then), kNoSpace when w is too small.
[[nodiscard]] WireStatus encode_tree_announce(Writer& w, const TreeAnnounce& m);
[[nodiscard]] WireStatus encode_tree_announce(Writer& w, const TreeAnnounceView& m);

// ---- Signature ----
using SignedBytes = std::array<uint8_t, kSignedBytesSize>;
// node_addr || parent || sequence LE || timestamp LE.
[[nodiscard]] SignedBytes signed_bytes(const NodeAddr& node_addr, const NodeAddr& parent,
                                       uint64_t sequence, uint64_t timestamp);
[[nodiscard]] SignedBytes signed_bytes(const TreeAnnounce& m);
[[nodiscard]] SignedBytes signed_bytes(const TreeAnnounceView& m);

// Fills m.signature. False (and m untouched) if the ancestry is empty or
// ancestry[0] is not the identity's node_addr (the reference refuses to sign
// a declaration for another node).
[[nodiscard]] bool sign_tree_announce(const Identity& id, TreeAnnounce& m);
// True iff ancestry[0] is the peer's node_addr AND the signature verifies
// over SHA-256(signed_bytes) under the peer's key. The address check is
// explicit: a hostile peer could sign a declaration naming another node. (The
// reference checks it separately, before the signature, with its own counter:
// use declared_by() first to tell the two failures apart.)
[[nodiscard]] bool verify_tree_announce(const PeerIdentity& peer, const TreeAnnounce& m);
[[nodiscard]] bool verify_tree_announce(const PeerIdentity& peer, const TreeAnnounceView& m);
// ancestry[0] == the link peer's node_addr (reference "addr_mismatch" check).
[[nodiscard]] inline bool declared_by(const TreeAnnounceView& m, const NodeAddr& peer) {
  return m.node_addr() == peer;
}

// ---- Ancestry semantics (reference TreeAnnounce::validate_semantics) ----
// Run after the signature check; a decoded message can fail these.
enum class AncestryCheck : uint8_t {
  kOk,
  kRootWithAncestors,  // parent == node but more than one entry
  kTooShort,           // non-root declaration with a single entry
  kParentMismatch,     // ancestry[1] != signed parent
  kRootNotMinimum,     // last entry is not the smallest node_addr in the path
};
[[nodiscard]] AncestryCheck check_ancestry(const TreeAnnounceView& m);

}  // namespace fips::stp
