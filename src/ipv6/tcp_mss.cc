#include "ipv6/tcp_mss.h"

#include <algorithm>

#include "ipv6/checksum.h"

namespace fips::ipv6 {

namespace {
constexpr uint8_t kOptEol = 0;
constexpr uint8_t kOptNop = 1;
constexpr uint8_t kOptMss = 2;
constexpr uint8_t kOptMssLen = 4;
constexpr uint8_t kFlagSyn = 0x02;

uint16_t be16(const uint8_t* p) {
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}
void put_be16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

// Rewrites seg[pos, pos+2) to value and updates the TCP checksum at seg[16]
// incrementally. pos may be odd: the checksum sums 16-bit words aligned to the
// segment start, so every aligned word the two bytes touch is updated.
void rewrite_u16(uint8_t* seg, size_t pos, uint16_t value) {
  const size_t first = pos & ~size_t{1};
  const size_t words = (pos & 1) ? 2 : 1;
  uint16_t old_words[2] = {be16(seg + first), words == 2 ? be16(seg + first + 2) : uint16_t{0}};
  put_be16(seg + pos, value);
  uint16_t c = be16(seg + 16);
  for (size_t w = 0; w < words; ++w) c = csum_update16(c, old_words[w], be16(seg + first + 2 * w));
  put_be16(seg + 16, c);
}
}  // namespace

MssClamp clamp_tcp_mss(MutByteSpan p, uint16_t max_mss) {
  if (p.size() < kIpv6HeaderSize || (p[0] >> 4) != 6 || p[6] != kNextHeaderTcp)
    return MssClamp::kNotSyn;
  if (p.size() < kIpv6HeaderSize + kTcpHeaderMin) return MssClamp::kNotSyn;
  uint8_t* tcp = p.data() + kIpv6HeaderSize;
  const size_t seg_len = p.size() - kIpv6HeaderSize;
  if (!(tcp[13] & kFlagSyn)) return MssClamp::kNotSyn;
  if (max_mss == 0) return MssClamp::kNoMss;
  const size_t hdr_len = static_cast<size_t>(tcp[12] >> 4) * 4;
  if (hdr_len < kTcpHeaderMin || hdr_len > seg_len) return MssClamp::kBadOptions;

  for (size_t i = kTcpHeaderMin; i < hdr_len;) {
    const uint8_t kind = tcp[i];
    if (kind == kOptEol) return MssClamp::kNoMss;
    if (kind == kOptNop) {
      ++i;
      continue;
    }
    if (i + 1 >= hdr_len) return MssClamp::kBadOptions;
    const size_t len = tcp[i + 1];
    if (len < 2 || i + len > hdr_len) return MssClamp::kBadOptions;
    if (kind == kOptMss && len == kOptMssLen) {
      if (be16(tcp + i + 2) <= max_mss) return MssClamp::kWithinLimit;
      rewrite_u16(tcp, i + 2, max_mss);
      return MssClamp::kClamped;
    }
    i += len;
  }
  return MssClamp::kNoMss;
}

uint16_t per_flow_max_mss(std::span<const uint8_t, 16> addr, uint16_t global_max_mss,
                          PathMtuFn path_mtu) {
  const uint16_t fallback = std::min(global_max_mss, kConservativeMss);
  if (addr[0] != 0xFD) return fallback;
  const std::optional<uint16_t> mtu = path_mtu(addr);
  if (!mtu) return fallback;
  const uint16_t path_mss = mss_ceiling(*mtu);
  if (path_mss == 0) return fallback;
  return std::min(global_max_mss, path_mss);
}

}  // namespace fips::ipv6
