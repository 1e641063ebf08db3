// The whole node, sans-I/O: owns the FMP link layer and (as they land) the
// spanning tree, bloom filters, lookup, forwarding and sessions. Driven by a
// shell (the daemon, the simulator, tests) that passes packets and time in.
// Not here: sockets, the event loop, the control socket (daemon/).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "config/config.h"
#include "node/link_layer.h"
#include "node/snapshot.h"

namespace fips {

// LinkConfig from the reference's configuration keys and derivation rules.
LinkConfig link_config_from(const Config& cfg);

class Node : public LinkUpper {
 public:
  Node(const Identity& id, const Epoch& epoch, const LinkConfig& link_cfg, LinkIo& io,
       uint64_t rng_seed);

  void on_packet(TransportId tid, const TransportAddr& from, PacketBuf&& pkt, uint64_t now_ms) {
    link_.on_packet(tid, from, std::move(pkt), now_ms);
  }
  void tick(uint64_t now_ms) { link_.tick(now_ms); }
  [[nodiscard]] uint64_t next_deadline(uint64_t now_ms) const { return link_.next_deadline(now_ms); }

  LinkLayer& link() { return link_; }
  const Identity& identity() const { return id_; }

  // LinkUpper
  void on_peer_up(const Peer& p, uint64_t now_ms) override;
  void on_peer_down(const NodeAddr& a, uint64_t now_ms) override;
  bool on_link_message(Peer& p, uint8_t msg_type, PacketBuf&& frame, uint64_t now_ms) override;

  // Messages received that no layer of this build handles yet (by type).
  [[nodiscard]] uint64_t unhandled(uint8_t msg_type) const { return unhandled_[msg_type]; }

 private:
  const Identity& id_;
  LinkLayer link_;
  uint64_t unhandled_[256] = {};
};

}  // namespace fips
