// A tiny in-process network of FSP SessionManagers for the session tests:
// FSP bytes go straight from one manager to another (no FMP, no routing),
// with a manual clock, a fixed latency and optional loss / duplication
// predicates. Each node plays the part of the Node shell: it executes the
// actions (sends, events), keeps the pending queues (docs/spec/fsp-ipv6.md §11) and records
// what was delivered.
#pragma once

#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/buffer_pool.h"
#include "fsp_test_pending.h"
#include "proto/fsp/session.h"
#include "proto/fsp/session_entry.h"
#include "test_util.h"

namespace fips::fsptest {

using fsp::SessionActions;
using fsp::SessionEvent;
using fsp::SessionManager;
using fsp::SessionParams;

class FakeEnv : public fsp::SessionEnv {
 public:
  explicit FakeEnv(BufferPool& pool) : pool_(pool) {}
  CoordsView my_coords() override { return fsp::coords_view(self_coords); }
  std::optional<CoordsView> cached_coords(const NodeAddr& d, uint64_t) override {
    auto it = coord_cache.find(d);
    if (it == coord_cache.end()) return std::nullopt;
    return fsp::coords_view(it->second);
  }
  uint16_t route_mtu(const NodeAddr& d, uint64_t) override {
    ++route_queries;
    if (no_route.count(d)) return 0;
    return link_mtu;
  }
  uint16_t transport_mtu() override { return min_transport_mtu; }
  PacketBuf alloc() override { return pool_.acquire(); }
  void register_identity(const PeerIdentity& id, uint64_t) override { registered.push_back(id); }

  Coords self_coords;
  std::map<NodeAddr, Coords> coord_cache;
  std::map<NodeAddr, bool> no_route;
  uint16_t link_mtu = 1280;
  uint16_t min_transport_mtu = 1280;
  uint64_t route_queries = 0;
  std::vector<PeerIdentity> registered;

 private:
  BufferPool& pool_;
};

struct Delivered {
  NodeAddr from;
  uint16_t src_port = 0, dst_port = 0;
  std::vector<uint8_t> payload;
};

struct InFlight {
  NodeAddr from, to;
  uint16_t path_mtu = 1280;
  std::vector<uint8_t> bytes;
  uint64_t at = 0;
  [[nodiscard]] uint8_t phase() const { return bytes.empty() ? 0xFF : bytes[0] & 0x0F; }
  [[nodiscard]] bool is_signal() const { return bytes.size() > 1 && phase() == 0 && (bytes[1] & fsp::kFlagU); }
  [[nodiscard]] bool is_encrypted() const { return bytes.size() > 1 && phase() == 0 && !(bytes[1] & fsp::kFlagU); }
};

class SessionNet;

struct SNode {
  SNode(SessionNet& n, Identity ident, const SessionParams& p, uint64_t seed);
  SessionNet& net;
  Identity id;
  FakeEnv env;
  Rng rng;
  SessionManager sm;
  SessionActions acts;
  fsp::PendingQueues<std::vector<uint8_t>> pending{16, 256};
  std::vector<Delivered> delivered;
  std::vector<SessionEvent> events;
  std::vector<std::vector<uint8_t>> sent_raw;  // every FSP message this node emitted
  bool record = true;

  [[nodiscard]] const NodeAddr& addr() const { return id.node_addr(); }
  [[nodiscard]] PeerIdentity peer() const { return id.as_peer(); }
  fsp::SessionEntry* entry(const NodeAddr& a);
  size_t count_events(SessionEvent::Kind k, const NodeAddr& peer) const {
    return static_cast<size_t>(std::count_if(events.begin(), events.end(), [&](const SessionEvent& e) {
      return e.kind == k && e.peer == peer;
    }));
  }
};

class SessionNet {
 public:
  explicit SessionNet(uint64_t start_ms = 1'000'000) : now(start_ms), pool(4096, 2048, 256) {}

  SNode& add(const SessionParams& p = SessionParams{}) {
    return add_with(Identity::generate(), p);
  }
  SNode& add_with(Identity id, const SessionParams& p = SessionParams{}) {
    nodes.push_back(std::make_unique<SNode>(*this, std::move(id), p, 1000 + nodes.size()));
    SNode& n = *nodes.back();
    n.env.self_coords = {n.addr()};
    return n;
  }
  SNode* find(const NodeAddr& a) {
    for (auto& n : nodes)
      if (n->addr() == a) return n.get();
    return nullptr;
  }

  // Executes a node's pending actions: sends go on the wire, events are
  // handled as the Node shell would.
  void execute(SNode& n) {
    SessionActions acts = std::move(n.acts);
    n.acts.clear();
    for (const fsp::SendItem& s : acts.sends) {
      ByteSpan b = acts.bytes(s);
      n.sent_raw.emplace_back(b.begin(), b.end());
      put(n.addr(), s.dest, b);
    }
    for (const SessionEvent& ev : acts.events) {
      n.events.push_back(ev);
      switch (ev.kind) {
        case SessionEvent::Kind::kEstablished: flush_pending(n, ev.peer); break;
        case SessionEvent::Kind::kClosed:
          if (ev.reason != SessionEvent::Reason::kHandshakeFailed) n.pending.discard(ev.peer);
          break;
        default: break;
      }
    }
    if (n.acts.empty() && n.acts.arena.empty()) {
      acts.clear();
      n.acts = std::move(acts);  // keep the capacity
    }
  }

  void put(const NodeAddr& from, const NodeAddr& to, ByteSpan b) {
    InFlight f;
    f.from = from;
    f.to = to;
    f.path_mtu = path_mtu;
    f.bytes.assign(b.begin(), b.end());
    f.at = now + latency;
    if (drop && drop(f)) {
      ++dropped;
      return;
    }
    if (dup && dup(f)) wire.push_back(f);
    wire.push_back(std::move(f));
  }

  // The Node's TUN path (spec §14 step 4): established -> seal and send;
  // entry exists -> queue; none -> initiate and queue.
  void app_send(SNode& n, const PeerIdentity& dest, std::vector<uint8_t> payload,
                uint16_t port = fsp::kPortIpv6Shim) {
    const NodeAddr d = dest.node_addr();
    if (n.sm.is_established(d)) {
      send_data(n, d, payload, port);
      return;
    }
    if (!n.sm.state_of(d)) (void)n.sm.initiate(dest, now, n.acts);
    n.pending.push(d, std::move(payload));
    execute(n);
  }

  // Seals payload with headroom and puts it on the wire. Returns the status.
  fsp::SealStatus send_data(SNode& n, const NodeAddr& d, const std::vector<uint8_t>& payload,
                            uint16_t port = fsp::kPortIpv6Shim, size_t headroom = 200) {
    PacketBuf b = pool.acquire();
    EXPECT_TRUE(b.set(headroom, payload.size()));
    std::copy(payload.begin(), payload.end(), b.data());
    const uint16_t hop = n.env.route_mtu(d, now);
    if (hop == 0) return fsp::SealStatus::kNoSession;
    auto st = n.sm.seal_data(d, port, port, b, hop, now, n.acts);
    execute(n);  // a CoordsWarmup goes first
    if (st == fsp::SealStatus::kOk) {
      n.sent_raw.emplace_back(b.span().begin(), b.span().end());
      put(n.addr(), d, b.span());
    }
    return st;
  }

  void flush_pending(SNode& n, const NodeAddr& d) {
    auto q = n.pending.take(d);
    for (auto& p : q)
      if (send_data(n, d, p) != fsp::SealStatus::kOk) break;  // the rest is discarded
  }

  // Delivers one packet to its node.
  void deliver(const InFlight& f) {
    SNode* n = find(f.to);
    if (!n) return;
    PacketBuf b = pool.acquire();
    ASSERT_TRUE(b.set(128, f.bytes.size()));
    std::copy(f.bytes.begin(), f.bytes.end(), b.data());
    auto r = n->sm.receive(f.from, f.from, f.path_mtu, b, now, n->acts);
    if (r.outcome == fsp::RxOutcome::kDelivered && n->record)
      n->delivered.push_back({f.from, r.src_port, r.dst_port, std::vector<uint8_t>(b.span().begin(), b.span().end())});
    execute(*n);
    if (r.flush_pending && n->pending.has(f.from)) flush_pending(*n, f.from);
  }

  void deliver_due() {
    while (!wire.empty()) {
      auto it = std::min_element(wire.begin(), wire.end(),
                                 [](const InFlight& a, const InFlight& b) { return a.at < b.at; });
      if (it->at > now) return;
      InFlight f = std::move(*it);
      wire.erase(it);
      deliver(f);
    }
  }

  void tick_all() {
    for (auto& n : nodes) {
      n->sm.tick(now, n->acts);
      execute(*n);
    }
  }

  // Advances the clock in `step` increments, delivering packets and
  // ticking every node once per second of simulated time.
  void run_for(uint64_t ms, uint64_t step = 10) {
    const uint64_t end = now + ms;
    while (now < end) {
      now += std::min(step, end - now);
      deliver_due();
      if (now >= next_tick) {
        tick_all();
        next_tick = now - (now % 1000) + 1000;
      }
    }
  }

  uint64_t now;
  uint64_t next_tick = 0;
  uint64_t latency = 10;
  uint16_t path_mtu = 1280;
  BufferPool pool;
  std::vector<std::unique_ptr<SNode>> nodes;
  std::deque<InFlight> wire;
  std::function<bool(const InFlight&)> drop;
  std::function<bool(const InFlight&)> dup;
  uint64_t dropped = 0;
};

inline SNode::SNode(SessionNet& n, Identity ident, const SessionParams& p, uint64_t seed)
    : net(n),
      id(std::move(ident)),
      env(n.pool),
      rng(seed),
      sm(id, Epoch{static_cast<uint8_t>(seed)}, p, env, rng) {}

}  // namespace fips::fsptest

namespace fips::fsp {
// Reaches into the table for white-box checks (test only).
struct SessionTestPeek {
  static SessionEntry* entry(SessionManager& sm, const NodeAddr& a) { return sm.find(a); }
};
}  // namespace fips::fsp

namespace fips::fsptest {

inline fsp::SessionEntry* SNode::entry(const NodeAddr& a) { return fsp::SessionTestPeek::entry(sm, a); }

// Two identities ordered by node address (first < second).
inline std::pair<Identity, Identity> ordered_pair() {
  Identity a = Identity::generate(), b = Identity::generate();
  if (b.node_addr() < a.node_addr()) std::swap(a, b);
  return {std::move(a), std::move(b)};
}

inline std::vector<uint8_t> payload_of(uint32_t seq, size_t len = 100) {
  std::vector<uint8_t> p(len, static_cast<uint8_t>(seq));
  for (size_t i = 0; i < 4 && i < len; ++i) p[i] = static_cast<uint8_t>(seq >> (8 * i));
  return p;
}
inline uint32_t seq_of(const std::vector<uint8_t>& p) {
  uint32_t s = 0;
  for (size_t i = 0; i < 4 && i < p.size(); ++i) s |= static_cast<uint32_t>(p[i]) << (8 * i);
  return s;
}

}  // namespace fips::fsptest
