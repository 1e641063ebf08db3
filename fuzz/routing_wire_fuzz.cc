// SessionDatagram decoder and the in-place forwarding helpers. Any input: no
// crash, no UB, decode -> encode is the identity, and an in-place hop
// matches the reference's decrement-then-drop / min(path_mtu) semantics.
#include <cstdlib>
#include <cstring>
#include <vector>

#include "proto/routing/wire.h"

using namespace fips;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteSpan in(data, size);
  auto d = routing::decode_session_datagram(in);
  if (!d.ok()) return 0;
  if (d->payload.data() + d->payload.size() != data + size) std::abort();
  std::vector<uint8_t> out(routing::session_datagram_wire_size(*d));
  Writer w{MutByteSpan(out)};
  if (!routing::encode_session_datagram(w, *d).ok() || w.pos() != size) std::abort();
  if (std::memcmp(out.data(), data, size) != 0) std::abort();
  if (routing::peek_dest_addr(in) != d->dest_addr || routing::peek_src_addr(in) != d->src_addr) std::abort();

  // One hop with a link MTU taken from the payload (or 1280).
  const uint16_t link = d->payload.size() >= 2 ? load_u16le(d->payload.data()) : 1280;
  const bool fwd = routing::prepare_forward_in_place(out, link);
  if (fwd != (d->ttl > 1)) std::abort();
  const uint8_t want_ttl = fwd ? static_cast<uint8_t>(d->ttl - 1) : d->ttl;
  const uint16_t want_mtu = fwd && link < d->path_mtu ? link : d->path_mtu;
  if (routing::peek_ttl(out) != want_ttl || routing::peek_path_mtu(out) != want_mtu) std::abort();
  if (std::memcmp(out.data() + 4, data + 4, size - 4) != 0) std::abort();  // addrs + payload untouched
  return 0;
}
