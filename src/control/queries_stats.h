// The `data` objects of the metric-history queries: show_stats_list,
// show_stats_history, show_stats_all_history, show_stats_peers,
// show_stats_history_all_peers, and show_status.sparklines, from a
// stats::StatsHistory, with the reference's params, defaults (window 10m,
// granularity 1s), validation order, error texts and reply keys
// (reference src/control/queries.rs; our notes: docs/spec/control.md §3.16).
// Gaps (NaN) print as null; values print as floats.
// Not here: the rings (node/stats_history.h), how a peer is named (the
// caller passes a function: the daemon asks its peer table and host map).
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "identity/node_addr.h"
#include "node/stats_history.h"
#include "util/result.h"

namespace fips {

// What the replies say about a tracked peer: its npub (the node_addr hex
// when it is no longer a peer, as the reference), display name, and whether
// it is a live peer now.
struct StatsPeerInfo {
  std::string npub;
  std::string display_name;
  bool is_active = false;
};
using StatsPeerNamer = std::function<StatsPeerInfo(const NodeAddr&)>;

nlohmann::json show_stats_list_data();
// Errors are the reference's messages (e.g. "missing 'metric' parameter",
// "unknown metric: x", "peer not tracked in stats history: <name>").
Result<nlohmann::json, std::string> show_stats_history_data(const stats::StatsHistory& h,
                                                            const nlohmann::json* params,
                                                            const StatsPeerNamer& name);
Result<nlohmann::json, std::string> show_stats_all_history_data(const stats::StatsHistory& h,
                                                                const nlohmann::json* params,
                                                                const StatsPeerNamer& name);
Result<nlohmann::json, std::string> show_stats_history_all_peers_data(
    const stats::StatsHistory& h, const nlohmann::json* params, const StatsPeerNamer& name);
// Active peers first, then by display name; *_secs_ago from now_ms.
nlohmann::json show_stats_peers_data(const stats::StatsHistory& h, uint64_t now_ms,
                                     const StatsPeerNamer& name);
// show_status.sparklines: the last 30 fast samples of mesh_size, tree_depth,
// peer_count, bytes_in, bytes_out and loss_rate (NaN kept; printed as null).
std::map<std::string, std::vector<double>> stats_sparklines(const stats::StatsHistory& h);

}  // namespace fips
