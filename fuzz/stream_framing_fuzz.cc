// TCP stream deframer: arbitrary bytes in arbitrary chunks. No crash, bounded
// memory, every packet handed out has the length its prefix announces.
#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "transport/framing.h"

using namespace fips;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const uint16_t mtu = static_cast<uint16_t>(64 + (load_u16le(data) % 9000));
  const size_t chunk = 1 + data[2] % 200;
  data += 3;
  size -= 3;
  StreamDeframer d(mtu);
  size_t off = 0;
  while (off < size) {
    auto space = d.write_space();
    if (space.empty()) {
      auto p = d.next();
      if (!p.ok()) return 0;  // poisoned stream: connection would close
      if (p->empty()) std::abort();  // full buffer must hold a packet
      continue;
    }
    size_t n = std::min({chunk, space.size(), size - off});
    std::memcpy(space.data(), data + off, n);
    d.commit(n);
    off += n;
    for (;;) {
      auto p = d.next();
      if (!p.ok()) return 0;
      if (p->empty()) break;
      auto len = stream_packet_length(p->data(), mtu);
      if (!len.ok() || *len != p->size()) std::abort();
    }
  }
  return 0;
}
