#include "ipv6/shim.h"

#include <cstring>

namespace fips::ipv6 {

namespace {
constexpr size_t kSrcOffset = 8;
constexpr size_t kDstOffset = 24;

struct Raw6 {  // the six residual bytes: header[0..4), [6], [7]
  uint8_t b[6];
};

Raw6 raw_from_packet(const uint8_t* p) { return Raw6{{p[0], p[1], p[2], p[3], p[6], p[7]}}; }

Residual residual_from_raw(const Raw6& r) {
  Residual out;
  out.traffic_class = static_cast<uint8_t>(((r.b[0] & 0x0F) << 4) | (r.b[1] >> 4));
  out.flow_label = (static_cast<uint32_t>(r.b[1] & 0x0F) << 16) | (static_cast<uint32_t>(r.b[2]) << 8) | r.b[3];
  out.next_header = r.b[4];
  out.hop_limit = r.b[5];
  return out;
}

void write_shim_header(const Raw6& r, uint8_t* out) {
  out[0] = kFormatCompressed;
  std::memcpy(out + 1, r.b, 6);
}

void write_header_raw(const Raw6& r, uint16_t payload_len, Addr src, Addr dst, uint8_t* out) {
  out[0] = r.b[0];
  out[1] = r.b[1];
  out[2] = r.b[2];
  out[3] = r.b[3];
  out[4] = static_cast<uint8_t>(payload_len >> 8);
  out[5] = static_cast<uint8_t>(payload_len);
  out[6] = r.b[4];
  out[7] = r.b[5];
  std::memcpy(out + kSrcOffset, src.data(), 16);
  std::memcpy(out + kDstOffset, dst.data(), 16);
}

// Shim header checks; on success raw holds the residual bytes.
WireStatus check_shim(ByteSpan shim, Raw6& raw) {
  if (shim.size() < kShimHeaderSize)
    return wire_err(WireErr::kTruncated, "ipv6_shim", kShimHeaderSize, shim.size());
  if (shim[0] != kFormatCompressed) return wire_err(WireErr::kBadType, "shim_format", 0, shim[0]);
  const size_t upper = shim.size() - kShimHeaderSize;
  if (upper > kMaxPayload) return wire_err(WireErr::kTooLarge, "upper_payload", kMaxPayload, upper);
  std::memcpy(raw.b, shim.data() + 1, 6);
  // The version nibble is overwritten with 6, whatever was sent (the
  // reference's decompress_ipv6 does the same).
  raw.b[0] = static_cast<uint8_t>((raw.b[0] & 0x0F) | 0x60);
  return {};
}
}  // namespace

WireStatus validate_packet(ByteSpan packet) {
  if (packet.size() < kHeaderSize)
    return wire_err(WireErr::kTruncated, "ipv6_header", kHeaderSize, packet.size());
  if ((packet[0] >> 4) != 6) return wire_err(WireErr::kBadVersion, "ip_version", 6, packet[0] >> 4);
  const size_t declared = static_cast<size_t>((packet[4] << 8) | packet[5]);
  if (declared != packet.size() - kHeaderSize)
    return wire_err(WireErr::kBadLength, "payload_length", packet.size() - kHeaderSize, declared);
  return {};
}

WireStatus check_addresses(ByteSpan packet, Addr src, Addr dst) {
  if (packet.size() < kHeaderSize)
    return wire_err(WireErr::kTruncated, "ipv6_header", kHeaderSize, packet.size());
  if (std::memcmp(packet.data() + kSrcOffset, src.data(), 16) != 0)
    return wire_err(WireErr::kBadValue, "src_addr");
  if (std::memcmp(packet.data() + kDstOffset, dst.data(), 16) != 0)
    return wire_err(WireErr::kBadValue, "dst_addr");
  return {};
}

WireResult<size_t> compress(ByteSpan packet, MutByteSpan out) {
  FIPS_TRY(validate_packet(packet));
  const size_t n = packet.size() - kSavings;
  if (out.size() < n) return wire_err(WireErr::kNoSpace, "ipv6_shim_out", n, out.size());
  write_shim_header(raw_from_packet(packet.data()), out.data());
  const size_t upper = packet.size() - kHeaderSize;
  if (upper) std::memcpy(out.data() + kShimHeaderSize, packet.data() + kHeaderSize, upper);
  return n;
}

WireResult<MutByteSpan> compress_in_place(MutByteSpan packet) {
  FIPS_TRY(validate_packet(packet));
  const Raw6 raw = raw_from_packet(packet.data());  // read before overwriting [33, 40)
  write_shim_header(raw, packet.data() + kSavings);
  return packet.subspan(kSavings);
}

WireResult<ShimView> parse(ByteSpan shim) {
  Raw6 raw{};
  FIPS_TRY(check_shim(shim, raw));
  return ShimView{residual_from_raw(raw), shim.subspan(kShimHeaderSize)};
}

WireResult<size_t> decompress(ByteSpan shim, Addr src, Addr dst, MutByteSpan out) {
  Raw6 raw{};
  FIPS_TRY(check_shim(shim, raw));
  const size_t upper = shim.size() - kShimHeaderSize;
  const size_t n = kHeaderSize + upper;
  if (out.size() < n) return wire_err(WireErr::kNoSpace, "ipv6_packet_out", n, out.size());
  write_header_raw(raw, static_cast<uint16_t>(upper), src, dst, out.data());
  if (upper) std::memcpy(out.data() + kHeaderSize, shim.data() + kShimHeaderSize, upper);
  return n;
}

WireResult<MutByteSpan> decompress_in_place(MutByteSpan buf, size_t shim_offset, Addr src, Addr dst) {
  if (shim_offset < kSavings || shim_offset > buf.size())
    return wire_err(WireErr::kNoSpace, "ipv6_headroom", kSavings, shim_offset);
  ByteSpan shim = buf.subspan(shim_offset);
  Raw6 raw{};
  FIPS_TRY(check_shim(shim, raw));  // raw copied out before the header overwrites it
  const size_t upper = shim.size() - kShimHeaderSize;
  MutByteSpan packet = buf.subspan(shim_offset - kSavings);
  write_header_raw(raw, static_cast<uint16_t>(upper), src, dst, packet.data());
  return packet;
}

void write_header(const Residual& r, uint16_t payload_len, Addr src, Addr dst,
                  std::span<uint8_t, kHeaderSize> out) {
  Raw6 raw{};
  raw.b[0] = static_cast<uint8_t>(0x60 | (r.traffic_class >> 4));
  raw.b[1] = static_cast<uint8_t>((static_cast<uint32_t>(r.traffic_class & 0x0F) << 4) |
                                  ((r.flow_label >> 16) & 0x0F));
  raw.b[2] = static_cast<uint8_t>(r.flow_label >> 8);
  raw.b[3] = static_cast<uint8_t>(r.flow_label);
  raw.b[4] = r.next_header;
  raw.b[5] = r.hop_limit;
  write_header_raw(raw, payload_len, src, dst, out.data());
}

}  // namespace fips::ipv6
