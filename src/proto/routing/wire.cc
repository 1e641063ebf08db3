#include "proto/routing/wire.h"

namespace fips::routing {

WireResult<SessionDatagram> decode_session_datagram(ByteSpan msg) {
  Reader r(msg);
  const uint8_t type = r.u8();
  if (r.ok() && type != kSessionDatagramType)
    r.fail(WireErr::kBadType, "msg_type", kSessionDatagramType, type);
  SessionDatagram d;
  d.ttl = r.u8();
  d.path_mtu = r.u16le();
  auto src = r.array<16>("src_addr");
  auto dest = r.array<16>("dest_addr");
  FIPS_TRY(r.status());
  d.src_addr.bytes = src;
  d.dest_addr.bytes = dest;
  d.payload = r.take_rest();
  return d;
}

WireStatus encode_session_datagram_header(Writer& w, uint8_t ttl, uint16_t path_mtu,
                                          const NodeAddr& src, const NodeAddr& dest) {
  w.u8(kSessionDatagramType);
  w.u8(ttl);
  w.u16le(path_mtu);
  w.bytes(src.bytes);
  w.bytes(dest.bytes);
  return w.status();
}

WireStatus encode_session_datagram(Writer& w, const SessionDatagram& d) {
  FIPS_TRY(encode_session_datagram_header(w, d.ttl, d.path_mtu, d.src_addr, d.dest_addr));
  w.bytes(d.payload);
  return w.status();
}

bool decrement_ttl_in_place(MutByteSpan msg) {
  uint8_t& ttl = msg[kTtlOffset];
  if (ttl > 0) --ttl;
  return ttl > 0;
}

void clamp_path_mtu_in_place(MutByteSpan msg, uint16_t link_mtu) {
  uint8_t* p = msg.data() + kPathMtuOffset;
  const uint16_t cur = load_u16le(p);
  if (link_mtu < cur) store_u16le(p, link_mtu);
}

bool prepare_forward_in_place(MutByteSpan msg, uint16_t link_mtu) {
  if (msg[kTtlOffset] <= 1) return false;
  msg[kTtlOffset] = static_cast<uint8_t>(msg[kTtlOffset] - 1);
  clamp_path_mtu_in_place(msg, link_mtu);
  return true;
}

}  // namespace fips::routing
