#include "node/node.h"

#include <algorithm>

namespace fips {

LinkConfig link_config_from(const Config& cfg) {
  const NodeConfig& n = cfg.node;
  LinkConfig l;
  l.heartbeat_interval_ms = n.heartbeat_interval_secs * 1000;
  l.link_dead_timeout_ms = n.link_dead_timeout_secs * 1000;
  l.handshake_timeout_ms = n.rate_limit.handshake_timeout_secs * 1000;
  l.resend_interval_ms = n.rate_limit.handshake_resend_interval_ms;
  l.resend_backoff = n.rate_limit.handshake_resend_backoff;
  l.max_resends = n.rate_limit.handshake_max_resends;
  l.rekey_enabled = n.rekey.enabled;
  l.rekey_after_ms = n.rekey.after_secs * 1000;
  l.rekey_after_messages = n.rekey.after_messages;
  l.max_peers = n.limits.max_peers;
  l.max_connections = n.limits.max_connections;
  l.max_links = n.limits.max_links;
  l.handshake_burst = n.rate_limit.handshake_burst;
  l.handshake_rate = n.rate_limit.handshake_rate;
  // Established-link bucket, derived as the reference does when not set:
  // burst = max_peers (or handshake_burst if unlimited); rate = max(1,
  // max_peers / max(after_secs,1) * (1 + max_resends)) (or handshake_rate).
  if (n.rate_limit.established_handshake_burst) {
    l.established_burst = *n.rate_limit.established_handshake_burst;
  } else {
    l.established_burst = n.limits.max_peers ? static_cast<double>(n.limits.max_peers)
                                             : static_cast<double>(n.rate_limit.handshake_burst);
  }
  if (n.rate_limit.established_handshake_rate) {
    l.established_rate = *n.rate_limit.established_handshake_rate;
  } else if (n.limits.max_peers) {
    l.established_rate = std::max(
        1.0, static_cast<double>(n.limits.max_peers) /
                 static_cast<double>(std::max<uint64_t>(n.rekey.after_secs, 1)) *
                 (1.0 + n.rate_limit.handshake_max_resends));
  } else {
    l.established_rate = n.rate_limit.handshake_rate;
  }
  l.retry_base_ms = n.retry.base_interval_secs * 1000;
  l.retry_max_ms = n.retry.max_backoff_secs * 1000;
  l.max_retries = n.retry.max_retries;
  return l;
}

Node::Node(const Identity& id, const Epoch& epoch, const LinkConfig& link_cfg, LinkIo& io,
           uint64_t rng_seed)
    : id_(id), link_(id, epoch, link_cfg, io, this, rng_seed) {}

void Node::on_peer_up(const Peer&, uint64_t) {}

void Node::on_peer_down(const NodeAddr&, uint64_t) {}

bool Node::on_link_message(Peer&, uint8_t msg_type, PacketBuf&&, uint64_t) {
  ++unhandled_[msg_type];
  return false;
}

}  // namespace fips
