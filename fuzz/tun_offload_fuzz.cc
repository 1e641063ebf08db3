// TUN offload rules on untrusted bytes: the first 10 input bytes are a
// virtio_net_hdr, the rest the packet the kernel handed over. Any input: no
// crash, no UB; a packet the plan accepts splits into segments that fit
// hdr_len + gso_size and carry a valid TCP checksum; those segments, offered
// back to GRO in order, rebuild exactly the original payload whenever GRO
// takes them all; completing a partial checksum stays inside the packet.
#include <cstdlib>
#include <cstring>
#include <vector>

#include "ipv6/checksum.h"
#include "ipv6/offload.h"

using namespace fips;
using namespace fips::ipv6;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < kVnetHdrSize) return 0;
  const VnetHdr h = read_vnet_hdr(data);
  std::vector<uint8_t> pkt(data + kVnetHdrSize, data + size);
  if (pkt.size() > 65535) return 0;

  {
    std::vector<uint8_t> copy = pkt;
    if (complete_partial_checksum(MutByteSpan(copy), h.csum_start, h.csum_offset) &&
        (size_t{h.csum_start} + h.csum_offset + 2 > copy.size()))
      std::abort();
  }

  GsoPlan plan;
  GsoError why{};
  if (!plan_tcp6_gso(ByteSpan(pkt), h, plan, why)) return 0;
  if (plan.hdr_len > pkt.size() || plan.count == 0 || plan.count > 2000) return 0;
  std::vector<std::vector<uint8_t>> segs;
  for (size_t i = 0; i < plan.count; ++i) {
    std::vector<uint8_t> seg(plan.hdr_len + plan.seg_payload);
    const size_t n = write_tcp6_segment(ByteSpan(pkt), plan, i, seg.data());
    if (n > seg.size() || n < plan.hdr_len) std::abort();
    seg.resize(n);
    if (!verify_l4_checksum(ByteSpan(seg))) std::abort();
    segs.push_back(std::move(seg));
  }
  const size_t th = gro_candidate(ByteSpan(segs[0]));
  if (th == 0) return 0;
  GroRun run;
  run.start(ByteSpan(segs[0]), th);
  size_t joined = 1;
  while (joined < segs.size() && gro_candidate(ByteSpan(segs[joined])) == th &&
         run.offer(ByteSpan(segs[joined]), th))
    ++joined;
  if (run.segments() != joined) std::abort();
  uint8_t hdr[kVnetHdrSize + 40 + 60];
  if (run.write_header(hdr) != kVnetHdrSize + run.header_len()) std::abort();
  if (joined == segs.size() && segs.size() > 1) {
    std::vector<uint8_t> merged;
    for (const auto& s : segs) merged.insert(merged.end(), s.begin() + static_cast<long>(plan.hdr_len), s.end());
    if (merged.size() != plan.payload ||
        std::memcmp(merged.data(), pkt.data() + plan.hdr_len, merged.size()) != 0)
      std::abort();
  }
  return 0;
}
