// Packet builders and an independent (naive) checksum for the IPv6 adapter
// tests. Deliberately does not use src/ipv6/checksum.h, so a bug there cannot
// hide itself.
#pragma once

#include <arpa/inet.h>

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace fips::test6 {

using Bytes = std::vector<uint8_t>;
using A16 = std::array<uint8_t, 16>;

inline A16 addr(const char* s) {
  A16 a{};
  if (inet_pton(AF_INET6, s, a.data()) != 1) throw std::runtime_error(std::string("bad addr ") + s);
  return a;
}

// IPv6 header + payload; payload length from the payload.
inline Bytes make_ip6(const A16& src, const A16& dst, uint8_t nh, const Bytes& payload,
                      uint8_t tc = 0, uint32_t flow = 0, uint8_t hop = 64) {
  Bytes p(40 + payload.size());
  p[0] = static_cast<uint8_t>(0x60 | (tc >> 4));
  p[1] = static_cast<uint8_t>(((tc & 0x0F) << 4) | ((flow >> 16) & 0x0F));
  p[2] = static_cast<uint8_t>(flow >> 8);
  p[3] = static_cast<uint8_t>(flow);
  p[4] = static_cast<uint8_t>(payload.size() >> 8);
  p[5] = static_cast<uint8_t>(payload.size());
  p[6] = nh;
  p[7] = hop;
  std::copy(src.begin(), src.end(), p.begin() + 8);
  std::copy(dst.begin(), dst.end(), p.begin() + 24);
  std::copy(payload.begin(), payload.end(), p.begin() + 40);
  return p;
}

// Naive RFC 1071 sum over pseudo-header + upper layer as the packet stands
// (checksum field included). A correct checksum makes this 0xFFFF.
inline uint16_t naive_sum(const Bytes& p) {
  const size_t len = static_cast<size_t>((p[4] << 8) | p[5]);
  Bytes ph(p.begin() + 8, p.begin() + 40);
  ph.push_back(static_cast<uint8_t>(len >> 24));
  ph.push_back(static_cast<uint8_t>(len >> 16));
  ph.push_back(static_cast<uint8_t>(len >> 8));
  ph.push_back(static_cast<uint8_t>(len));
  ph.insert(ph.end(), {0, 0, 0, p[6]});
  ph.insert(ph.end(), p.begin() + 40, p.begin() + 40 + static_cast<long>(len));
  if (ph.size() % 2) ph.push_back(0);
  uint32_t s = 0;
  for (size_t i = 0; i < ph.size(); i += 2) s += static_cast<uint32_t>((ph[i] << 8) | ph[i + 1]);
  while (s >> 16) s = (s & 0xFFFF) + (s >> 16);
  return static_cast<uint16_t>(s);
}
inline bool checksum_ok(const Bytes& p) {
  return naive_sum(p) == 0xFFFF;
}

// Sets the checksum field at offset `at` (within the upper layer) so the
// packet verifies.
inline void fix_checksum(Bytes& p, size_t at) {
  p[40 + at] = p[41 + at] = 0;
  const uint16_t c = static_cast<uint16_t>(~naive_sum(p));
  p[40 + at] = static_cast<uint8_t>(c >> 8);
  p[41 + at] = static_cast<uint8_t>(c);
}

inline constexpr uint8_t kSyn = 0x02, kAck = 0x10;

// TCP segment with the given options (padded with EOL to a multiple of 4)
// and payload, valid checksum.
inline Bytes tcp(const A16& src, const A16& dst, uint8_t flags, Bytes options,
                 const Bytes& data = {}) {
  while (options.size() % 4) options.push_back(0);
  Bytes seg(20 + options.size());
  seg[0] = 0xC0;  // src port 49152
  seg[1] = 0x00;
  seg[2] = 0x00;  // dst port 80
  seg[3] = 80;
  seg[7] = 1;  // seq
  seg[12] = static_cast<uint8_t>(((20 + options.size()) / 4) << 4);
  seg[13] = flags;
  seg[14] = 0xFF;  // window
  seg[15] = 0xFF;
  std::copy(options.begin(), options.end(), seg.begin() + 20);
  seg.insert(seg.end(), data.begin(), data.end());
  Bytes p = make_ip6(src, dst, 6, seg);
  fix_checksum(p, 16);
  return p;
}
inline Bytes mss_opt(uint16_t mss) {
  return {2, 4, static_cast<uint8_t>(mss >> 8), static_cast<uint8_t>(mss)};
}
inline uint16_t be16_at(const Bytes& p, size_t i) {
  return static_cast<uint16_t>((p[i] << 8) | p[i + 1]);
}

inline Bytes udp(const A16& src, const A16& dst, const Bytes& data, uint16_t sport = 12345,
                 uint16_t dport = 53, uint8_t tc = 0) {
  Bytes seg(8);
  seg[0] = static_cast<uint8_t>(sport >> 8);
  seg[1] = static_cast<uint8_t>(sport);
  seg[2] = static_cast<uint8_t>(dport >> 8);
  seg[3] = static_cast<uint8_t>(dport);
  const size_t ulen = 8 + data.size();
  seg[4] = static_cast<uint8_t>(ulen >> 8);
  seg[5] = static_cast<uint8_t>(ulen);
  seg.insert(seg.end(), data.begin(), data.end());
  Bytes p = make_ip6(src, dst, 17, seg, tc);
  fix_checksum(p, 6);
  return p;
}

}  // namespace fips::test6
