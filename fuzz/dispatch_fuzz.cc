// The whole receive path, bytes in: two real Nodes A and B are linked once
// (real Noise IK); each input is then either
//   0: a raw datagram arriving at A from B's address (any phase, any bytes),
//   1: a link message B seals with the live link key, so it passes AEAD and
//      reaches A's dispatch (tree, bloom, lookup, datagram, MMP, unknown...),
//   2: a SessionDatagram from B to A whose payload is the input (FSP layer).
// Invariants: no crash/UB/leak; A's link to B survives everything except a
// well-formed Disconnect (then the fuzzer relinks).
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>

#include "node/node.h"

using namespace fips;

namespace {

struct Fabric;

struct Host : LinkIo {
  Host(Fabric& f, uint64_t id, uint8_t key_byte);
  PacketBuf alloc() override;
  bool send(TransportId, const TransportAddr& to, PacketBuf&& p) override;
  uint16_t mtu(TransportId, const TransportAddr&) const override { return 1280; }
  bool accepts_inbound(TransportId) const override { return true; }
  void close_connection(TransportId, const TransportAddr&) override {}
  uint64_t wall_ms() const override;
  Fabric& fab;
  TransportAddr addr;
  Identity id;
  std::unique_ptr<Node> node;
};

struct Fabric {
  BufferPool pool{4096, 2048, 128};
  uint64_t now = 1'000'000;
  struct Item {
    TransportAddr from, to;
    PacketBuf pkt;
  };
  std::deque<Item> q;
  Host* a = nullptr;
  Host* b = nullptr;
  void pump() {
    for (int guard = 0; !q.empty() && guard < 10000; ++guard) {
      Item it = std::move(q.front());
      q.pop_front();
      Host* dst = it.to == a->addr ? a : it.to == b->addr ? b : nullptr;
      if (dst) dst->node->on_packet(1, it.from, std::move(it.pkt), now);
    }
    q.clear();
  }
  bool linked() { return a->node->link().find_peer(b->id.node_addr()) != nullptr &&
                         b->node->link().find_peer(a->id.node_addr()) != nullptr; }
  void link() {
    a->node->link().dial(b->id.as_peer(), DialTarget{1, b->addr}, now);
    for (int i = 0; i < 50 && !linked(); ++i) {
      pump();
      now += 1000;
      a->node->tick(now);
      b->node->tick(now);
    }
    if (!linked()) std::abort();
  }
};

Identity key(uint8_t b) {
  std::array<uint8_t, 32> raw;
  raw.fill(b);
  return Identity::from_secret(*SecretKey::from_bytes(raw));
}

Host::Host(Fabric& f, uint64_t n, uint8_t key_byte) : fab(f), addr(TransportAddr::synthetic(n)), id(key(key_byte)) {
  Epoch e{};
  e[0] = key_byte;
  NodeOptions o;
  node = std::make_unique<Node>(id, e, o, *this, n);
}
PacketBuf Host::alloc() { return fab.pool.acquire(); }
bool Host::send(TransportId, const TransportAddr& to, PacketBuf&& p) {
  if (fab.q.size() > 4096) return false;
  fab.q.push_back(Fabric::Item{addr, to, std::move(p)});
  return true;
}
uint64_t Host::wall_ms() const { return 1'700'000'000'000ULL + fab.now; }

Fabric& fabric() {
  static Fabric* f = [] {
    auto* fab = new Fabric();
    fab->a = new Host(*fab, 1, 0x11);
    fab->b = new Host(*fab, 2, 0x22);
    fab->link();
    return fab;
  }();
  return *f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  Fabric& f = fabric();
  const uint8_t mode = data[0] % 3;
  ByteSpan body(data + 1, size - 1);
  f.now += 7;
  if (mode == 0) {
    PacketBuf p = f.pool.acquire();
    if (!p || !p.push_back(std::min(body.size(), p.tailroom()))) return 0;
    std::memcpy(p.data(), body.data(), p.size());
    f.a->node->on_packet(1, f.b->addr, std::move(p), f.now);
  } else if (mode == 1) {
    if (body.empty() || body.size() > 1200) return 0;
    if (Peer* p = f.b->node->link().find_peer(f.a->id.node_addr()))
      (void)f.b->node->link().send_message_bytes(*p, body, f.now);
  } else {
    if (body.size() > 1100) return 0;
    (void)f.b->node->send_datagram(f.a->id.node_addr(), body, f.now);
  }
  f.pump();
  if (!f.linked()) {  // a well-formed Disconnect (only B's side knows): start both afresh
    f.q.clear();
    f.a->node.reset();
    f.b->node.reset();
    Epoch e{};
    e[0] = static_cast<uint8_t>(f.now);
    f.a->node = std::make_unique<Node>(f.a->id, e, NodeOptions{}, *f.a, f.now);
    e[1] = 1;
    f.b->node = std::make_unique<Node>(f.b->id, e, NodeOptions{}, *f.b, f.now + 1);
    f.link();
  }
  return 0;
}
