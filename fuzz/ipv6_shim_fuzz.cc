// IPv6 shim format 0x00. The input is tried both as a shim payload and as a
// full IPv6 packet. Any input: no crash, no UB; reconstruct -> compress (up
// to the version nibble, always 6 after reconstruction) and compress ->
// reconstruct (with the packet's own addresses) are identities;
// the in-place variants agree with the copying ones.
#include <cstdlib>
#include <cstring>
#include <vector>

#include "ipv6/shim.h"

using namespace fips;

namespace {
const std::array<uint8_t, 16> kSrc = {0xfd, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
const std::array<uint8_t, 16> kDst = {0xfd, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteSpan in(data, size);

  // As a shim payload.
  std::vector<uint8_t> pkt(size + ipv6::kSavings);
  if (auto n = ipv6::decompress(in, kSrc, kDst, pkt); n.ok()) {
    if (*n != pkt.size() || !ipv6::parse(in).ok()) std::abort();
    if (!ipv6::validate_packet(pkt).ok() || !ipv6::check_addresses(pkt, kSrc, kDst).ok()) std::abort();
    // Identity except the version nibble, which decompression sets to 6
    // whatever the shim held (as the reference).
    std::vector<uint8_t> want(data, data + size);
    want[1] = static_cast<uint8_t>((want[1] & 0x0F) | 0x60);
    std::vector<uint8_t> again(size);
    auto m = ipv6::compress(pkt, again);
    if (!m.ok() || *m != size || again != want) std::abort();
    // In place, with headroom.
    std::vector<uint8_t> buf(ipv6::kSavings);
    buf.insert(buf.end(), data, data + size);
    auto ip = ipv6::decompress_in_place(buf, ipv6::kSavings, kSrc, kDst);
    if (!ip.ok() || buf != pkt) std::abort();
  } else if (ipv6::parse(in).ok()) {
    std::abort();
  }

  // As a full IPv6 packet.
  std::vector<uint8_t> shim(size);
  if (auto n = ipv6::compress(in, shim); n.ok()) {
    if (*n != size - ipv6::kSavings) std::abort();
    shim.resize(*n);
    std::array<uint8_t, 16> src, dst;
    std::memcpy(src.data(), data + 8, 16);
    std::memcpy(dst.data(), data + 24, 16);
    std::vector<uint8_t> back(size);
    auto m = ipv6::decompress(shim, src, dst, back);
    if (!m.ok() || *m != size || std::memcmp(back.data(), data, size) != 0) std::abort();
    std::vector<uint8_t> buf(data, data + size);
    auto c = ipv6::compress_in_place(buf);
    if (!c.ok() || c->size() != shim.size() || std::memcmp(c->data(), shim.data(), shim.size()) != 0)
      std::abort();
  } else if (ipv6::validate_packet(in).ok()) {
    std::abort();
  }
  return 0;
}
