// In-process network for link-layer tests: nodes with real LinkLayers joined
// by an in-memory datagram fabric with a manual clock, latency, loss and a
// packet hook for tampering, dropping and capturing.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "crypto/random.h"
#include "node/link_layer.h"
#include "test_util.h"

namespace fips::test {

struct InFlight {
  uint64_t at_ms;
  TransportAddr from, to;
  PacketBuf pkt;
};

class LinkNet;

// Fixed-capacity FIFO (no allocation after construction, unlike std::deque,
// so the allocation test measures the node and not the harness).
class Ring {
 public:
  Ring() : slots_(1 << 16) {}
  bool empty() const { return head_ == tail_; }
  size_t size() const { return tail_ - head_; }
  InFlight& front() { return slots_[head_ % slots_.size()]; }
  InFlight& back() { return slots_[(tail_ - 1) % slots_.size()]; }
  void push_back(InFlight&& f) {
    if (size() == slots_.size()) return;  // full: the packet is lost
    slots_[tail_++ % slots_.size()] = std::move(f);
  }
  void pop_front() {
    slots_[head_ % slots_.size()].pkt.release();
    ++head_;
  }
  void pop_back() {
    --tail_;
    slots_[tail_ % slots_.size()].pkt.release();
  }

 private:
  std::vector<InFlight> slots_;
  size_t head_ = 0, tail_ = 0;
};

struct LinkNode : LinkIo, LinkUpper {
  LinkNode(LinkNet& n, Identity ident, uint64_t addr_id, LinkConfig cfg, uint64_t seed);
  // LinkIo
  PacketBuf alloc() override { return pool.acquire(); }
  bool send(TransportId, const TransportAddr& to, PacketBuf&& b) override;
  uint16_t mtu(TransportId, const TransportAddr&) const override { return mtu_value; }
  bool accepts_inbound(TransportId) const override { return accept_inbound; }
  void close_connection(TransportId, const TransportAddr&) override { ++closes; }
  uint64_t wall_ms() const override;
  // LinkUpper
  void on_peer_up(const Peer& p, uint64_t) override { ups.push_back(p.id.node_addr()); }
  void on_peer_down(const NodeAddr& a, uint64_t) override { downs.push_back(a); }
  bool on_link_message(Peer& p, uint8_t type, PacketBuf&& frame, bool, uint64_t) override {
    ++messages;
    if (record && frame.size() >= 9 && type == 0x00) {
      received.emplace_back(p.id.node_addr(), load_u64le(frame.data() + 1));
    }
    return true;
  }
  // Restart this node's link layer with a fresh epoch (same identity).
  void restart(uint64_t seed);
  // Sends a test message (type 0x00 + u64 sequence) to a peer.
  bool send_seq(const NodeAddr& to, uint64_t seq);

  LinkNet& net;
  Identity id;
  TransportAddr addr;
  BufferPool pool{512, 2048, 128};
  LinkConfig cfg;
  std::unique_ptr<LinkLayer> link;
  uint16_t mtu_value = 1280;
  bool accept_inbound = true;
  bool record = true;
  uint64_t messages = 0, closes = 0;
  std::vector<NodeAddr> ups, downs;
  std::vector<std::pair<NodeAddr, uint64_t>> received;
};

class LinkNet {
 public:
  explicit LinkNet(uint64_t seed = 1) : rng(seed) {}
  // Packets still in flight go back to their nodes' pools before the nodes
  // (and pools) are destroyed.
  ~LinkNet() {
    while (!wire.empty()) wire.pop_front();
  }
  LinkNet(const LinkNet&) = delete;
  LinkNet& operator=(const LinkNet&) = delete;
  LinkNode& add(LinkConfig cfg = {}) {
    auto n = std::make_unique<LinkNode>(*this, Identity::generate(), nodes.size() + 1, cfg,
                                        rng.next());
    nodes.push_back(std::move(n));
    return *nodes.back();
  }
  LinkNode* by_addr(const TransportAddr& a) {
    for (auto& n : nodes)
      if (n->addr == a) return n.get();
    return nullptr;
  }
  void connect(LinkNode& a, LinkNode& b) {
    a.link->add_static_peer(b.id.as_peer(), {DialTarget{1, b.addr}}, true, now);
  }
  // Advances the clock in steps, delivering due packets and ticking every 1 s.
  void run_for(uint64_t ms, uint64_t step = 5) {
    const uint64_t end = now + ms;
    while (now < end) {
      now += step;
      deliver_due();
      if (now >= next_tick) {
        for (auto& n : nodes) n->link->tick(now);
        next_tick = now + 1000;
      }
      if (on_step) on_step();
    }
  }
  void deliver_due() {
    while (!wire.empty() && wire.front().at_ms <= now) {
      InFlight& f = wire.front();
      LinkNode* dst = by_addr(f.to);
      TransportAddr from = f.from;
      PacketBuf pkt = std::move(f.pkt);
      wire.pop_front();
      if (dst) dst->link->on_packet(1, from, std::move(pkt), now);
    }
  }
  void enqueue(const TransportAddr& from, const TransportAddr& to, PacketBuf&& pkt) {
    ++sent;
    if (loss > 0 && rng.unit() < loss) return;
    if (hook && !hook(from, to, pkt)) return;
    wire.push_back(InFlight{now + latency_ms, from, to, std::move(pkt)});
  }
  bool linked(LinkNode& a, LinkNode& b) {
    return a.link->find_peer(b.id.node_addr()) && b.link->find_peer(a.id.node_addr());
  }

  uint64_t now = 1'000'000;
  uint64_t next_tick = 0;
  uint64_t latency_ms = 2;
  double loss = 0;
  uint64_t sent = 0;
  // Return false to drop; may modify the packet in place.
  std::function<bool(const TransportAddr&, const TransportAddr&, PacketBuf&)> hook;
  std::function<void()> on_step;
  Rng rng;
  Ring wire;
  std::vector<std::unique_ptr<LinkNode>> nodes;
};

inline LinkNode::LinkNode(LinkNet& n, Identity ident, uint64_t addr_id, LinkConfig c, uint64_t seed)
    : net(n), id(std::move(ident)), addr(TransportAddr::synthetic(addr_id)), cfg(c) {
  restart(seed);
}

inline void LinkNode::restart(uint64_t seed) {
  Epoch e;
  random_bytes(e);
  link.reset();
  link = std::make_unique<LinkLayer>(id, e, cfg, *this, this, seed);
}

inline bool LinkNode::send(TransportId, const TransportAddr& to, PacketBuf&& b) {
  net.enqueue(addr, to, std::move(b));
  return true;
}

inline uint64_t LinkNode::wall_ms() const { return 1'700'000'000'000ULL + net.now; }

inline bool LinkNode::send_seq(const NodeAddr& to, uint64_t seq) {
  Peer* p = link->find_peer(to);
  if (!p) return false;
  uint8_t msg[9];
  msg[0] = 0x00;
  store_u64le(msg + 1, seq);
  return link->send_message_bytes(*p, msg, net.now);
}

}  // namespace fips::test
