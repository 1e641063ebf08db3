// The IPv6 adapter's two entry points on untrusted bytes: a packet read from
// the TUN (on_tun_packet) and a decrypted port-256 payload from the mesh
// (on_mesh_packet), with the first input byte choosing the host's answers
// (identity known or not, session state, path MTU). Any input: no crash, no
// UB; a kSend/kQueue decision names a destination whose identity the host
// gave; a reply or a delivered packet is a well-formed IPv6 packet that fits
// its buffer; the pool gets every buffer back; each TUN packet lands in
// exactly one outcome counter.
#include <cstdlib>
#include <cstring>

#include "dataplane/buffer_pool.h"
#include "identity/identity.h"
#include "ipv6/adapter.h"

using namespace fips;

namespace {

struct Host : ipv6::AdapterHost {
  const PeerIdentity* id = nullptr;
  bool known = false;
  SessionInfo info;
  std::optional<uint16_t> pmtu;
  const PeerIdentity* identity_by_prefix(const IdentityPrefix& p, uint64_t) override {
    return known && p == identity_prefix(id->node_addr()) ? id : nullptr;
  }
  SessionInfo session(const NodeAddr&) override { return info; }
  std::optional<uint16_t> path_mtu(std::span<const uint8_t, 16>) override { return pmtu; }
};

const Identity& local() {
  static Identity i = Identity::from_secret_str("0000000000000000000000000000000000000000000000000000000000000003").value();
  return i;
}
const PeerIdentity& remote() {
  static PeerIdentity p =
      Identity::from_secret_str("0000000000000000000000000000000000000000000000000000000000000005").value().as_peer();
  return p;
}

void check_ipv6(const PacketBuf& p) {
  if (p.size() < 40 || (p.data()[0] >> 4) != 6) std::abort();
  const size_t plen = (size_t{p.data()[4]} << 8) | p.data()[5];
  if (plen + 40 != p.size()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static BufferPool pool(8, 2048, 128);
  const uint8_t ctl = data[0];
  ByteSpan in(data + 1, size - 1);
  if (in.size() > 2048 - 128 - 16) return 0;

  Host host;
  host.id = &remote();
  host.known = ctl & 1;
  host.info.state = static_cast<ipv6::AdapterHost::SessionState>((ctl >> 1) % 3);
  host.info.path_mtu = (ctl & 8) ? static_cast<uint16_t>(1000 + ctl) : 0;
  if (ctl & 16) host.pmtu = static_cast<uint16_t>(1100 + ctl);
  ipv6::AdapterConfig cfg;
  cfg.our_addr = local().address();
  cfg.transport_mtu = (ctl & 32) ? 1280 : 1500;
  ipv6::Ipv6Adapter a(cfg, host);

  {  // From the TUN; the packet's destination is steered to the known remote
     // half of the time so the identity/session branches are reached.
    PacketBuf b = pool.acquire();
    if (!b || !b.push_back(in.size())) return 0;
    if (!in.empty()) std::memcpy(b.data(), in.data(), in.size());
    if ((ctl & 64) && b.size() >= 40) std::memcpy(b.data() + 24, remote().address().bytes.data(), 16);
    ipv6::TunDecision d = a.on_tun_packet(std::move(b), 1000);
    // Exactly one outcome counter per packet (the netns test relies on it).
    if (a.counters().tun_outcomes() != a.counters().tun_packets) std::abort();
    switch (d.action) {
      case ipv6::TunAction::kSend:
      case ipv6::TunAction::kQueue:
        if (!(d.dest == remote().node_addr()) || !d.pkt) std::abort();
        if (d.action == ipv6::TunAction::kQueue && d.initiate && !d.identity) std::abort();
        if (d.action == ipv6::TunAction::kQueue) {
          (void)a.compress_for_send(d.pkt);
        }
        break;
      case ipv6::TunAction::kReply:
        check_ipv6(d.pkt);
        break;
      case ipv6::TunAction::kDrop:
        if (d.pkt) std::abort();
        break;
    }
  }
  {  // From the mesh (shim payload from the remote).
    PacketBuf b = pool.acquire();
    if (!b || !b.push_back(in.size())) return 0;
    if (!in.empty()) std::memcpy(b.data(), in.data(), in.size());
    ipv6::MeshDecision m = a.on_mesh_packet(remote().node_addr(), std::move(b), ctl & 128, 1000);
    if (m.deliver()) {
      check_ipv6(m.pkt);
      PacketBuf copy = std::move(m.pkt);
      if (a.make_dest_unreachable(copy)) check_ipv6(copy);
    }
  }
  if (pool.available() != pool.total()) std::abort();
  return 0;
}
