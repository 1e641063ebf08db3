// ECN: whether this node is congested towards a next hop, so that a transit
// datagram leaves with CE set (docs/spec/mmp.md §7, reference
// src/node/dataplane/forwarding.rs detect_congestion and
// sample_transport_congestion). Congested means, with node.ecn.enabled:
//   * the outgoing link's MMP loss rate (1 - forward delivery ratio of the
//     last ReceiverReport interval) >= node.ecn.loss_threshold (0.05), or
//   * its ETX >= node.ecn.etx_threshold (3.0), or
//   * any local transport's kernel receive-queue drop counter (UDP
//     SO_RXQ_OVFL) grew between the last two 1 s samples.
// A peer that sends no MMP reports keeps ratios 1.0 / ETX 1.0 and never
// counts as congested. CE that arrives set is relayed whatever this says.
// Driven by Node::on_session_datagram (forward path) and the daemon's tick
// (KernelDropMonitor::sample). Sans-I/O: plain values in, bool out.
// Not here: the CE flag itself (proto/fmp), the IPv6 ECN-CE mark on
// delivery (ipv6/adapter.cc), the MMP estimators (proto/mmp/link_mmp.h).
#pragma once

#include <cstdint>
#include <vector>

#include "config/config.h"
#include "proto/mmp/link_mmp.h"
#include "transport/transport.h"

namespace fips {

struct EcnParams {
  bool enabled = true;
  double loss_threshold = 0.05;
  double etx_threshold = 3.0;
  static EcnParams from_config(const EcnConfig& c) {
    return EcnParams{c.enabled, c.loss_threshold, c.etx_threshold};
  }
};

// next_hop: the outgoing link's MMP metrics (nullptr: no MMP state).
[[nodiscard]] inline bool link_congested(const EcnParams& p, const mmp::Metrics* next_hop,
                                         bool kernel_dropping) {
  if (!p.enabled) return false;
  if (next_hop && (next_hop->loss_rate() >= p.loss_threshold || next_hop->etx >= p.etx_threshold))
    return true;
  return kernel_dropping;
}

// Per-transport kernel drop counters, sampled once a second: `dropping()` is
// true while any transport's cumulative count grew since its previous sample.
class KernelDropMonitor {
 public:
  // Returns true when this sample starts a dropping episode on `tid`
  // (congestion.kernel_drop_events).
  bool sample(TransportId tid, uint64_t cumulative_drops) {
    for (Entry& e : entries_) {
      if (e.tid != tid) continue;
      const bool grew = cumulative_drops > e.prev;
      const bool started = grew && !e.dropping;
      e.dropping = grew;
      e.prev = cumulative_drops;
      return started;
    }
    // First sight: the baseline, not an episode (the reference starts at 0,
    // so drops from before start-up would count; ours are since start-up too).
    entries_.push_back(Entry{tid, cumulative_drops, cumulative_drops > 0});
    return cumulative_drops > 0;
  }
  [[nodiscard]] bool dropping() const {
    for (const Entry& e : entries_)
      if (e.dropping) return true;
    return false;
  }

 private:
  struct Entry {
    TransportId tid;
    uint64_t prev;
    bool dropping;
  };
  std::vector<Entry> entries_;  // one per transport: a handful
};

}  // namespace fips
