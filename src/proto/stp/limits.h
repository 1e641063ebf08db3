// Size limits for spanning-tree messages on the wire (what "oversized" means).
// Not here: timers, flap dampening and other tree policy (proto/stp state).
//
// The reference decoder has no ancestry limit beyond the u16 count, and its
// encoder has no depth limit either, so a policy cap (say "depth 64") could
// reject a TreeAnnounce a real reference node sends. The only hard bound is
// physical: a link message travels in one Noise transport message, at most
// 65535 bytes of ciphertext = 16-byte AEAD tag + plaintext, and the plaintext
// starts with the 4-byte inner timestamp. A reference node cannot send a
// bigger message (its Noise layer refuses to seal it), so anything claiming
// more entries than fit is malformed and is rejected with kTooLarge before
// any entry is read.
#pragma once

#include <cstddef>

namespace fips::stp {

// Noise transport message limit (reference noise::MAX_MESSAGE_SIZE).
inline constexpr size_t kNoiseMaxMessageSize = 65535;
// Largest link message (msg_type byte onward) one established frame can carry:
// 65535 - 16 (AEAD tag) - 4 (inner timestamp).
inline constexpr size_t kMaxLinkMessageSize = kNoiseMaxMessageSize - 16 - 4;
static_assert(kMaxLinkMessageSize == 65515);

// TreeAnnounce = 100 fixed bytes + 32 per ancestry entry.
inline constexpr size_t kTreeAnnounceFixedSize = 100;
inline constexpr size_t kAncestryEntrySize = 32;
// Most ancestry entries a TreeAnnounce can carry (tree depth + 1).
inline constexpr size_t kMaxAncestryEntries =
    (kMaxLinkMessageSize - kTreeAnnounceFixedSize) / kAncestryEntrySize;
static_assert(kMaxAncestryEntries == 2044);
static_assert(kTreeAnnounceFixedSize + kMaxAncestryEntries * kAncestryEntrySize <=
              kMaxLinkMessageSize);

}  // namespace fips::stp
