// FilterAnnounce (link message 0x20): the bloom-filter reachability update
// exchanged between direct peers.
// Not here: the filter data structure (proto/bloom/filter.h), sequence
// freshness / FPR-cap policy and per-peer storage (node-level code).
//
// Layout (reference src/proto/bloom/wire.rs, docs/reference/wire-formats.md):
//   [0]      msg_type 0x20
//   [1..9)   sequence     u64 LE
//   [9]      hash_count   u8
//   [10]     size_class   u8    filter is 512 << size_class bytes
//   [11..)   filter_bits  exactly 512 << size_class bytes
// v1: size_class 1 (1024-byte filter, 1035-byte message), hash_count 5.
//
// Decoder policy, mirroring the reference decoder (FilterAnnounce::decode +
// BloomFilter::from_slice):
//   - fewer than 11 bytes                       -> kTruncated
//   - msg_type != 0x20                          -> kBadType
//   - size_class > 3 (undefined)                -> kBadValue  "size_class"
//   - size_class 0, 2, 3 (defined, reserved for
//     future versions; v1 MUST reject)          -> kBadVersion "size_class"
//   - filter shorter / longer than 512<<class   -> kTruncated / kTrailing
//     (the reference reports both as MessageTooShort: it too demands an
//     exact length)
//   - hash_count 0                              -> kBadValue  "hash_count"
//   - hash_count 1..255 is ACCEPTED. The reference decoder and the node's
//     handler (node/bloom.rs) never compare it with 5; only BloomFilter
//     rejects 0. The reference node always sends 5, but a peer's other k
//     is stored and used as-is, so we accept it too (is_v1_hash_count()
//     lets policy code tell).
// The encoder writes whatever size class 0..3 it is given (as the
// reference's with_size_class can), so tests can build non-v1 messages.
#pragma once

#include <algorithm>
#include <cstdint>

#include "proto/bloom/filter.h"
#include "util/bytes.h"

namespace fips::bloom {

inline constexpr uint8_t kFilterAnnounceType = 0x20;
inline constexpr size_t kFilterAnnounceHeaderSize = 11;  // type + seq + k + class
inline constexpr size_t kFilterAnnounceV1Size =
    kFilterAnnounceHeaderSize + size_class_bytes(kV1SizeClass);
static_assert(kFilterAnnounceV1Size == 1035, "wire-formats.md: FilterAnnounce is 1,035 bytes");

struct FilterAnnounce {
  uint64_t sequence = 0;
  uint8_t hash_count = kDefaultHashCount;
  uint8_t size_class = kV1SizeClass;
  ByteSpan filter_bits;  // view into the message (decode) or the caller's filter (encode)

  [[nodiscard]] bool is_v1_hash_count() const { return hash_count == kDefaultHashCount; }
  bool operator==(const FilterAnnounce& o) const {
    return sequence == o.sequence && hash_count == o.hash_count && size_class == o.size_class &&
           filter_bits.size() == o.filter_bits.size() &&
           std::equal(filter_bits.begin(), filter_bits.end(), o.filter_bits.begin());
  }
};

// An announcement of `f` (a view of its bits; f must outlive it). Like the
// reference's FilterAnnounce::new, size_class defaults to v1; the encoder
// rejects it unless f has 512 << size_class bytes.
FilterAnnounce make_filter_announce(const Filter& f, uint64_t sequence,
                                    uint8_t size_class = kV1SizeClass);

[[nodiscard]] WireResult<FilterAnnounce> decode_filter_announce(ByteSpan msg);
// kBadValue for size_class > 3 or hash_count 0; kBadLength when filter_bits
// is not 512 << size_class bytes.
[[nodiscard]] WireStatus encode_filter_announce(Writer& w, const FilterAnnounce& fa);
inline size_t filter_announce_wire_size(const FilterAnnounce& fa) {
  return kFilterAnnounceHeaderSize + fa.filter_bits.size();
}

// Copies a decoded announcement's bits into a Filter (allocates once).
[[nodiscard]] BloomResult<Filter> to_filter(const FilterAnnounce& fa);

}  // namespace fips::bloom
