#include "ipv6/checksum.h"

#include <bit>
#include <cstring>

#include "ipv6/limits.h"

namespace fips::ipv6 {

namespace {
constexpr uint32_t kNoChecksum = 0xFFFFFFFFu;

// Upper-layer length from the header, or 0 when the packet is malformed.
size_t upper_len(ByteSpan p) {
  if (p.size() < kIpv6HeaderSize || (p[0] >> 4) != 6) return 0;
  const size_t declared = static_cast<size_t>((p[4] << 8) | p[5]);
  if (declared == 0 || kIpv6HeaderSize + declared > p.size()) return 0;
  return declared;
}
}  // namespace

// RFC 1071 §2(B): the one's-complement sum does not depend on byte order, so
// the bulk is summed as native 32-bit halves of 64-bit loads and the folded
// result is byte-swapped to network order at the end (little-endian hosts).
uint64_t csum_add(uint64_t sum, ByteSpan data) {
  const uint8_t* p = data.data();
  size_t n = data.size();
  uint64_t acc = 0;
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    acc += (w & 0xFFFFFFFFu) + (w >> 32);
    p += 8;
    n -= 8;
  }
  while (n >= 2) {
    uint16_t w;
    std::memcpy(&w, p, 2);
    acc += w;
    p += 2;
    n -= 2;
  }
  if (n) {
    const uint8_t last[2] = {*p, 0};  // odd trailing byte: high byte of a word
    uint16_t w;
    std::memcpy(&w, last, 2);
    acc += w;
  }
  uint16_t folded = csum_fold(acc);
  if constexpr (std::endian::native == std::endian::little)
    folded = static_cast<uint16_t>((folded >> 8) | (folded << 8));
  return sum + folded;
}

uint16_t csum_fold(uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

uint64_t pseudo_header_sum(ByteSpan packet40, uint32_t len, uint8_t next_header) {
  uint64_t sum = csum_add(0, packet40.subspan(8, 32));
  sum += len >> 16;
  sum += len & 0xFFFF;
  sum += next_header;
  return sum;
}

size_t l4_checksum_offset(uint8_t next_header) {
  switch (next_header) {
    case kNextHeaderTcp:
      return 16;
    case kNextHeaderUdp:
      return 6;
    case kNextHeaderIcmpv6:
      return 2;
    default:
      return SIZE_MAX;
  }
}

uint32_t compute_l4_checksum(ByteSpan p) {
  const size_t len = upper_len(p);
  if (len == 0) return kNoChecksum;
  const uint8_t nh = p[6];
  const size_t off = l4_checksum_offset(nh);
  const size_t min_hdr = nh == kNextHeaderTcp   ? kTcpHeaderMin
                         : nh == kNextHeaderUdp ? kUdpHeaderSize
                                                : 4;
  if (off == SIZE_MAX || len < min_hdr) return kNoChecksum;
  ByteSpan seg = p.subspan(kIpv6HeaderSize, len);
  uint64_t sum = pseudo_header_sum(p, static_cast<uint32_t>(len), nh);
  sum = csum_add(sum, seg.first(off));  // skip the checksum field itself (even offset)
  sum = csum_add(sum, seg.subspan(off + 2));
  return static_cast<uint16_t>(~csum_fold(sum));
}

bool recalculate_l4_checksum(MutByteSpan p) {
  uint32_t c = compute_l4_checksum(p);
  if (c == kNoChecksum) return false;
  if (c == 0 && p[6] == kNextHeaderUdp) c = 0xFFFF;
  const size_t at = kIpv6HeaderSize + l4_checksum_offset(p[6]);
  p[at] = static_cast<uint8_t>(c >> 8);
  p[at + 1] = static_cast<uint8_t>(c);
  return true;
}

bool verify_l4_checksum(ByteSpan p) {
  const size_t len = upper_len(p);
  if (len == 0) return false;
  const uint8_t nh = p[6];
  const size_t off = l4_checksum_offset(nh);
  if (off == SIZE_MAX || len < off + 2) return false;
  ByteSpan seg = p.subspan(kIpv6HeaderSize, len);
  if (nh == kNextHeaderUdp && seg[off] == 0 && seg[off + 1] == 0) return false;
  return csum_fold(csum_add(pseudo_header_sum(p, static_cast<uint32_t>(len), nh), seg)) == 0xFFFF;
}

uint16_t csum_update16(uint16_t checksum, uint16_t old_word, uint16_t new_word) {
  // HC' = ~(~HC + ~m + m')
  uint64_t sum = static_cast<uint16_t>(~checksum);
  sum += static_cast<uint16_t>(~old_word);
  sum += new_word;
  return static_cast<uint16_t>(~csum_fold(sum));
}

}  // namespace fips::ipv6
