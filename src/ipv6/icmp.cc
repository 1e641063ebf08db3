#include "ipv6/icmp.h"

#include <cstring>

#include "ipv6/checksum.h"

namespace fips::ipv6 {

namespace {
constexpr size_t kSrc = 8;
constexpr size_t kDst = 24;

bool is_unspecified(const uint8_t* a) {
  for (size_t i = 0; i < 16; ++i)
    if (a[i]) return false;
  return true;
}

bool is_icmp_error(ByteSpan p) {
  return p[6] == kNextHeaderIcmpv6 && p.size() > kIpv6HeaderSize && p[kIpv6HeaderSize] < 128;
}

// Refusals of the Packet Too Big builder.
WireStatus check_ptb(ByteSpan p) {
  if (p.size() < kIpv6HeaderSize)
    return wire_err(WireErr::kTruncated, "ipv6_header", kIpv6HeaderSize, p.size());
  if ((p[0] >> 4) != 6) return wire_err(WireErr::kBadVersion, "ip_version", 6, p[0] >> 4);
  if (is_unspecified(p.data() + kSrc) || p[kSrc] == 0xFF)
    return wire_err(WireErr::kBadValue, "src_addr");
  if (is_icmp_error(p)) return wire_err(WireErr::kBadValue, "icmp_error");
  return {};
}

// Writes the 48-byte IPv6 + ICMPv6 header at hdr, for a quote of quote_len
// bytes that already sits at hdr + 48, and fills in the checksum.
void write_error(uint8_t* hdr, size_t quote_len, uint8_t type, uint8_t code, uint32_t word,
                 const uint8_t* src, const uint8_t* dst) {
  const size_t icmp_len = kIcmpHeaderSize + quote_len;
  hdr[0] = 0x60;
  hdr[1] = hdr[2] = hdr[3] = 0;
  hdr[4] = static_cast<uint8_t>(icmp_len >> 8);
  hdr[5] = static_cast<uint8_t>(icmp_len);
  hdr[6] = kNextHeaderIcmpv6;
  hdr[7] = kIcmpHopLimit;
  // src/dst may point into the quote, which never overlaps [hdr, hdr + 48).
  std::memcpy(hdr + kSrc, src, 16);
  std::memcpy(hdr + kDst, dst, 16);
  uint8_t* icmp = hdr + kIpv6HeaderSize;
  icmp[0] = type;
  icmp[1] = code;
  icmp[2] = icmp[3] = 0;
  icmp[4] = static_cast<uint8_t>(word >> 24);
  icmp[5] = static_cast<uint8_t>(word >> 16);
  icmp[6] = static_cast<uint8_t>(word >> 8);
  icmp[7] = static_cast<uint8_t>(word);
  ByteSpan whole(hdr, kIcmpErrorOverhead + quote_len);
  uint64_t sum = pseudo_header_sum(whole, static_cast<uint32_t>(icmp_len), kNextHeaderIcmpv6);
  sum = csum_add(sum, whole.subspan(kIpv6HeaderSize));
  const auto c = static_cast<uint16_t>(~csum_fold(sum));
  icmp[2] = static_cast<uint8_t>(c >> 8);
  icmp[3] = static_cast<uint8_t>(c);
}

size_t quote_len(size_t n) {
  return n < kIcmpMaxQuote ? n : kIcmpMaxQuote;
}

WireResult<MutByteSpan> in_place(MutByteSpan buf, size_t offset, size_t len) {
  if (offset > buf.size() || len > buf.size() - offset)
    return wire_err(WireErr::kTruncated, "icmp_original", offset + len, buf.size());
  if (offset < kIcmpErrorOverhead)
    return wire_err(WireErr::kNoSpace, "icmp_headroom", kIcmpErrorOverhead, offset);
  return buf.subspan(offset - kIcmpErrorOverhead, icmp_error_size(len));
}
}  // namespace

bool should_send_icmp_error(ByteSpan p) {
  if (p.size() < kIpv6HeaderSize || (p[0] >> 4) != 6) return false;
  if (is_unspecified(p.data() + kSrc) || p[kSrc] == 0xFF) return false;
  if (p[kDst] == 0xFF) return false;
  return !is_icmp_error(p);
}

WireResult<size_t> build_dest_unreachable(ByteSpan original, Addr our_addr, MutByteSpan out,
                                          uint8_t code) {
  if (original.size() < kIpv6HeaderSize)
    return wire_err(WireErr::kTruncated, "ipv6_header", kIpv6HeaderSize, original.size());
  const size_t n = icmp_error_size(original.size());
  if (out.size() < n) return wire_err(WireErr::kNoSpace, "icmp_out", n, out.size());
  const size_t q = quote_len(original.size());
  std::memcpy(out.data() + kIcmpErrorOverhead, original.data(), q);
  write_error(out.data(), q, kIcmpDestUnreachable, code, 0, our_addr.data(),
              original.data() + kSrc);
  return n;
}

WireResult<size_t> build_packet_too_big(ByteSpan original, uint32_t mtu, MutByteSpan out) {
  FIPS_TRY(check_ptb(original));
  const size_t n = icmp_error_size(original.size());
  if (out.size() < n) return wire_err(WireErr::kNoSpace, "icmp_out", n, out.size());
  const size_t q = quote_len(original.size());
  std::memcpy(out.data() + kIcmpErrorOverhead, original.data(), q);
  // Addresses are read from the copy: out never overlaps original.
  const uint8_t* quoted = out.data() + kIcmpErrorOverhead;
  write_error(out.data(), q, kIcmpPacketTooBig, 0, mtu, quoted + kDst, quoted + kSrc);
  return n;
}

WireResult<MutByteSpan> dest_unreachable_in_place(MutByteSpan buf, size_t offset, size_t len,
                                                  Addr our_addr, uint8_t code) {
  auto r = in_place(buf, offset, len);
  if (!r) return r;
  if (len < kIpv6HeaderSize)
    return wire_err(WireErr::kTruncated, "ipv6_header", kIpv6HeaderSize, len);
  const uint8_t* orig = buf.data() + offset;
  write_error(r->data(), quote_len(len), kIcmpDestUnreachable, code, 0, our_addr.data(),
              orig + kSrc);
  return r;
}

WireResult<MutByteSpan> packet_too_big_in_place(MutByteSpan buf, size_t offset, size_t len,
                                                uint32_t mtu) {
  auto r = in_place(buf, offset, len);
  if (!r) return r;
  FIPS_TRY(check_ptb(ByteSpan(buf.data() + offset, len)));
  const uint8_t* orig = buf.data() + offset;
  write_error(r->data(), quote_len(len), kIcmpPacketTooBig, 0, mtu, orig + kDst, orig + kSrc);
  return r;
}

uint64_t PtbLimiter::KeyHash::operator()(const Key& k) const noexcept {
  uint64_t a, b;
  std::memcpy(&a, k.data(), 8);
  std::memcpy(&b, k.data() + 8, 8);
  return a ^ (b * 0x9E3779B97F4A7C15ULL);
}

bool PtbLimiter::should_send(Addr src, uint64_t now_ms) {
  Key k;
  std::memcpy(k.data(), src.data(), 16);
  return lim_.check_and_record(k, now_ms);
}

}  // namespace fips::ipv6
