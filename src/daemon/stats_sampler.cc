// Daemon::sample_history: once a second, what the node, its peers and the
// session table look like now, handed to the metric history
// (node/stats_history.h) as the reference's record_stats_history does
// (src/node/mod.rs): bytes/packets in = forwarding received_*, out =
// forwarded_* + originated_*; loss_rate = the mean of the peers' link-MMP
// loss; per peer, its link counters, SRTT, loss and received ECN CE marks.
// Not here: the rings and their arithmetic, the replies (control/queries_stats.h).
#include <algorithm>

#include "daemon/daemon.h"

namespace fips {

namespace {
// Peer-table limit plus room for recently departed peers (their history
// stays queryable until a newcomer needs the slot or 24 h pass).
constexpr size_t kDepartedPeerSlots = 32;
// Each tracked peer's rings take 282 KB, so a hub with thousands of links
// keeps history for the first 128 present peers only (the default
// max_peers; 45 MB with the departed slots). Later peers are counted in
// peers_refused and have no history until a slot frees. Measured by
// bench/scale_links.sh: without this bound 1,000 links cost 291 KB each.
constexpr uint64_t kMaxTrackedPeers = 128;
}  // namespace

stats::StatsHistory& Daemon::history() {
  if (!history_) {
    const uint64_t limit = std::clamp<uint64_t>(cfg_.node.limits.max_peers, 1, kMaxTrackedPeers);
    history_ = std::make_unique<stats::StatsHistory>(static_cast<size_t>(limit) + kDepartedPeerSlots);
  }
  return *history_;
}

void Daemon::sample_history(uint64_t now) {
  stats::StatsHistory& h = history();
  const routing::ForwardingCounters& f = node_->forwarding();
  stats::NodeSample n;
  n.mesh_size = node_->estimated_mesh_size();
  n.tree_depth = node_->tree().depth();
  n.peer_count = node_->link().peer_count();
  n.parent_switches_total = node_->tree().counters().parent_switches;
  n.bytes_in_total = f.received_bytes;
  n.bytes_out_total = f.forwarded_bytes + f.originated_bytes;
  n.packets_in_total = f.received_packets;
  n.packets_out_total = f.forwarded_packets + f.originated_packets;
  n.active_sessions = sessions_->sessions().size();
  history_peers_.clear();  // keeps its capacity: no allocation once warm
  double loss_sum = 0;
  size_t with_mmp = 0;
  node_->link().for_each_peer([&](const Peer& p) {
    stats::PeerSample s;
    s.addr = p.id.node_addr();
    s.bytes_in_total = p.stats.bytes_recv;
    s.bytes_out_total = p.stats.bytes_sent;
    s.packets_in_total = p.stats.packets_recv;
    s.packets_out_total = p.stats.packets_sent;
    if (p.mmp) {
      s.srtt_ms = p.mmp->metrics.srtt_ms();
      s.loss_rate = p.mmp->metrics.loss_rate();
      s.ecn_ce_total = p.mmp->receiver.ecn_ce_count();
      loss_sum += *s.loss_rate;
      ++with_mmp;
    }
    history_peers_.push_back(s);
  });
  n.loss_rate = with_mmp ? loss_sum / static_cast<double>(with_mmp) : 0.0;
  h.tick(now, n, history_peers_);
}

}  // namespace fips
