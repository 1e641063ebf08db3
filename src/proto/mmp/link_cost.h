// Link cost, sans-I/O: the one number parent selection and next-hop ranking
// compare for a peer link, derived from that link's MMP metrics
// (docs/spec/stp-bloom.md §4.4):
//   cost = etx * (1 + srtt_ms / 100)   once the link has an SRTT sample,
//   cost = 1.0                          before (the cold-start value).
// ETX is the raw per-report value, not the smoothed one (as the reference's
// ActivePeer::link_cost). A peer that never sends ReceiverReports (the
// TypeScript implementation) has no SRTT and stays at 1.0.
//
// Driven by the node (node/node.cc): it reads each peer's mmp::Metrics and
// hands the costs to the tree core (stp::PeerCosts, only measured peers: the
// cold-start gate) and to the routing core (PeerInfo::link_cost, every peer).
// Not here: the measurements (proto/mmp/link_mmp.h), the decisions
// (proto/stp/tree_eval.cc, proto/routing/core.cc).
#pragma once

#include <optional>

namespace fips::mmp {

inline constexpr double kColdStartLinkCost = 1.0;

inline double link_cost(double etx, std::optional<double> srtt_ms) {
  if (!srtt_ms) return kColdStartLinkCost;
  return etx * (1.0 + *srtt_ms / 100.0);
}

}  // namespace fips::mmp
