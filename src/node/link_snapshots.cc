// FMP link layer: plain-data views for the control socket.
#include <cstdio>

#include "node/link_layer.h"
#include "node/mmp_snapshot.h"

namespace fips {

std::vector<PeerSnapshot> LinkLayer::peer_snapshots(uint64_t) const {
  std::vector<PeerSnapshot> out;
  out.reserve(peers_.size());
  for (auto& [a, pp] : peers_) {
    const Peer& p = *pp;
    PeerSnapshot s;
    s.npub = p.id.npub();
    s.node_addr = a.hex();
    s.ipv6_addr = p.id.address().str();
    s.display_name = display_name(a);
    s.link_id = p.link_id;
    s.direction = p.outbound ? "outbound" : "inbound";
    s.transport_addr = p.addr.str();
    s.transport_id = p.tid;
    s.authenticated_at_ms = p.authenticated_wall_ms;
    s.last_seen_ms = p.last_seen_wall_ms;
    s.consecutive_decrypt_failures = p.consecutive_decrypt_failures;
    s.replay_suppressed = p.replay_suppressed;
    s.current_k_bit = p.k_bit;
    if (p.current) {
      char idx[9];
      std::snprintf(idx, sizeof idx, "%08x", p.current->our_index);
      s.our_session_index = idx;
      s.noise = std::make_pair(p.current->keys.replay().highest(),
                               p.current->keys.next_send_counter());
    }
    s.rekey_in_progress = p.rekey != nullptr;
    s.rekey_draining = p.previous != nullptr;
    s.stats.bytes_recv = p.stats.bytes_recv;
    s.stats.bytes_sent = p.stats.bytes_sent;
    s.stats.packets_recv = p.stats.packets_recv;
    s.stats.packets_sent = p.stats.packets_sent;
    if (p.mmp) {
      s.mmp = mmp_snapshot_of(p.mmp->metrics, p.mmp->mode(), p.mmp->spin.initiator());
      s.mmp->etx_trend.reset();  // show_mmp shows etx_trend on session rows only
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<LinkSnapshot> LinkLayer::link_snapshots() const {
  std::vector<LinkSnapshot> out;
  for (auto& [a, pp] : peers_) {
    const Peer& p = *pp;
    LinkSnapshot l;
    l.link_id = p.link_id;
    l.transport_id = p.tid;
    l.remote_addr = p.addr.str();
    l.direction = p.outbound ? "outbound" : "inbound";
    l.state = "connected";
    l.created_at_ms = p.authenticated_wall_ms;
    l.bytes_recv = p.stats.bytes_recv;
    l.bytes_sent = p.stats.bytes_sent;
    l.packets_recv = p.stats.packets_recv;
    l.packets_sent = p.stats.packets_sent;
    l.last_recv_ms = p.last_seen_wall_ms;
    out.push_back(std::move(l));
  }
  return out;
}

std::vector<ConnectionSnapshot> LinkLayer::connection_snapshots(uint64_t now) const {
  std::vector<ConnectionSnapshot> out;
  for (auto& [k, leg] : legs_) {
    ConnectionSnapshot c;
    c.link_id = leg->link_id;
    c.direction = "outbound";
    c.handshake_state = leg->state == LegState::kFailed ? "failed" : "sent_msg1";
    c.started_at_ms = leg->started_wall_ms;
    c.idle_ms = now - leg->last_activity_ms;
    c.resend_count = leg->resend_count;
    c.expected_peer = leg->expected.npub();
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace fips
