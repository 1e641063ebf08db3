// Simulator scenarios: builds a SimNet from a Topology, runs it through
// phases (initial convergence, link failures, root loss, churn, partition
// and heal) and measures each one: convergence time, link (re)establishment,
// bloom settling, lookup + datagram reachability with latency, hops and
// stretch, steady-state control traffic, memory and wall time.
// Deterministic for a given config: every number except wall time and RSS
// is identical for the same seed.
// Not here: graph generation (topology.h), the network and clock
// (sim_net.h), CLI parsing and printing (apps/fips-sim).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "node/node.h"
#include "sim/topology.h"

namespace fips::sim {

// Phases, in the order `all` runs them.
enum class Phase : uint8_t {
  kConverge,   // build, converge, settle; quiet window; reachability
  kLinkFail,   // fail k random non-bridge links; reconverge; then restore them
  kRootLoss,   // kill the root; reconverge; then revive it (root returns)
  kChurn,      // kill a fraction of random nodes; reconverge; revive; reconverge
  kPartition,  // cut a BFS ball of half the nodes off; both sides converge; heal
};
const char* phase_name(Phase p);

struct ScenarioConfig {
  TopologyKind topology = TopologyKind::kGeometric;
  size_t nodes = 100;
  uint64_t seed = 1;
  double degree = 6.0;  // geometric mean degree; scale-free m (edges per new node)
  uint64_t latency_ms = 10;
  // > latency_ms: each link's one-way latency is drawn once from
  // [latency_ms, latency_max_ms] (deterministic for the seed), by
  // latency_dist: uniformly, or (geometric topology only) in proportion to
  // the link's length: latency_ms + (latency_max_ms - latency_ms) * length /
  // radius, rounded (a repair edge longer than the radius costs more).
  uint64_t latency_max_ms = 0;
  enum class LatencyDist : uint8_t { kUniform, kDistance };
  LatencyDist latency_dist = LatencyDist::kUniform;
  double loss = 0.0;
  // > loss: each link's loss probability is drawn once, uniformly from
  // [loss, loss_max].
  double loss_max = 0.0;
  uint16_t mtu = 1280;  // transport MTU (see SimOptions::mtu)
  // Reachability pairs after the initial convergence: 0 = every ordered pair
  // when n <= kAllPairsMaxNodes, else a deterministic sample of kDefaultPairs.
  size_t pairs = 0;
  bool measure_reach = true;  // false: no lookups at all (convergence only)
  size_t phase_pairs = 1000;  // sample after each failure phase (0: skip)
  size_t wave = 200;          // concurrent lookups
  std::vector<Phase> phases = {Phase::kConverge};
  size_t fail_links = 10;
  double churn_fraction = 0.10;
  size_t fail_nodes = 0;  // > 0: churn kills this many nodes instead of the fraction
  // Before the quiet window: run until no parent switch for this long (the
  // periodic re-evaluation, every 60 s, keeps improving the initial tree
  // for a few rounds), at most stable_max_ms. 0 = skip.
  uint64_t stable_ms = 65'000;
  uint64_t stable_max_ms = 600'000;
  uint64_t quiet_ms = 120'000;  // steady-state window (covers one rekey period)
  uint64_t phase_timeout_ms = 900'000;
  uint64_t check_ms = 100;          // convergence check period (= time resolution)
  uint64_t bloom_quiet_ms = 3'000;  // no FilterAnnounce sent for this long = settled
  uint64_t delivery_timeout_ms = 10'000;
  bool measure_memory = true;
  // After each phase, count (source, dest) pairs whose tree neighbour's
  // bloom filter lacks dest (Observer::bloom_violations, O(n^2)).
  bool check_blooms = false;
  // Protocol options for every node. Defaults are the reference's; the only
  // change the scenario makes is raising link.max_peers/max_links to the
  // topology's maximum degree when that exceeds them (a hub must be able to
  // keep all its configured links).
  NodeOptions node;
  // Progress lines on stderr (phase starts/ends).
  bool verbose = false;
};

inline constexpr size_t kAllPairsMaxNodes = 100;
inline constexpr size_t kDefaultPairs = 10'000;

struct ConvergeStats {
  bool converged = false;
  uint64_t converged_ms = 0;  // tree: roots + consistent coordinates
  bool links_settled = false;
  uint64_t links_ms = 0;  // every live, up edge is an FMP peer; nothing else is
  bool bloom_settled = false;
  uint64_t bloom_ms = 0;               // last FilterAnnounce before a bloom_quiet_ms silence
  uint64_t last_parent_switch_ms = 0;  // last parent switch seen before the end
  size_t max_depth = 0;                // deepest live node's tree depth at the end
  std::optional<size_t> bloom_gaps;    // check_blooms: Observer::bloom_violations()
  size_t components = 0;               // of the live graph
  size_t live_nodes = 0;
};

struct ReachStats {
  size_t pairs = 0;
  size_t lookup_found = 0;
  size_t delivered = 0;
  // Failures by cause.
  size_t bloom_miss = 0, zero_fanout = 0, other_refused = 0, lookup_timeout = 0, send_no_route = 0,
         send_other = 0, undelivered = 0, wrong_hops = 0;
  // Lookup timeouts whose tree distance exceeded the lookup TTL (the request
  // travels the tree, so it cannot reach such a target).
  size_t lookup_timeout_beyond_ttl = 0;
  double latency_p50_ms = 0, latency_p99_ms = 0, latency_max_ms = 0;
  double hops_mean = 0, shortest_mean = 0;
  double stretch_p50 = 0, stretch_p99 = 0, stretch_max = 0, stretch_mean = 0;
  size_t stretch_one = 0;  // delivered on a shortest path
  // Latency stretch: the datagram's one-way time from send to delivery (the
  // sum of the latencies of the links it took) / the lowest-latency path on
  // the live graph (Dijkstra over the links' configured latencies).
  double lat_stretch_p50 = 0, lat_stretch_p99 = 0, lat_stretch_max = 0, lat_stretch_mean = 0;
  double path_ms_mean = 0, best_ms_mean = 0;
  [[nodiscard]] double found_ratio() const {
    return pairs ? double(lookup_found) / double(pairs) : 0;
  }
  [[nodiscard]] double delivered_ratio() const {
    return pairs ? double(delivered) / double(pairs) : 0;
  }
};

struct PhaseResult {
  std::string name;
  std::string detail;  // what was done (links failed, nodes killed, ...)
  ConvergeStats conv;
  std::optional<ReachStats> reach;
  uint64_t sim_ms = 0;  // simulated time spent in the phase (incl. reach)
  double wall_s = 0, cpu_s = 0;
};

struct ScenarioResult {
  // Topology.
  std::string topology;
  size_t nodes = 0, edges = 0, repair_edges = 0, max_degree = 0, bridges = 0;
  double mean_degree = 0, radius = 0;
  uint32_t diameter = 0;  // estimate (64 BFS sources)
  std::vector<PhaseResult> phases;
  // After the initial convergence: when the last parent switch happened
  // (from the start; the periodic re-evaluation's improvements included),
  // and whether stable_ms passed without one before stable_max_ms.
  uint64_t tree_stable_ms = 0;
  bool tree_stable = false;
  uint64_t stabilise_filter_announces = 0;  // FilterAnnounces sent meanwhile
  // The tree the initial convergence settled on (after stabilisation): for
  // each live non-root node, the latency of its tree path to the root (sum
  // of its ancestors' parent links) / the lowest-latency path to the root;
  // and the mean one-way latency of parent links vs of all links.
  double tree_root_stretch_p50 = 0, tree_root_stretch_p99 = 0;
  double parent_link_ms_mean = 0, link_ms_mean = 0;
  // Mean link cost (the child's MMP view, docs/spec/stp-bloom.md §4.4) of
  // parent links, and the share of non-root nodes with a measured parent.
  double parent_cost_mean = 0, parent_measured = 0;
  // Steady state (after the initial convergence, no data traffic).
  uint64_t quiet_ms = 0;
  double control_bytes_per_node_s = 0, control_packets_per_node_s = 0;
  double tree_announces_per_node_s = 0, filter_announces_per_node_s = 0;
  // Memory: VmRSS growth from before adding nodes to after the initial
  // convergence, per node (0 when not measured).
  double rss_per_node_bytes = 0, rss_total_mib = 0, peak_rss_mib = 0;
  // Simulator health: drops that are the harness's, not the protocol's.
  uint64_t pool_exhausted = 0, net_queue_full = 0;
  // Protocol work totals (for profiling).
  uint64_t handshakes = 0, tree_received = 0, tree_accepted = 0, filters_received = 0,
           lookups_initiated = 0, datagrams_forwarded = 0;
  // FilterAnnounces dropped by the inbound fill cap (node.bloom.max_inbound_fpr,
  // 0.20 = about 2,114 entries in the 8192-bit v1 filter): a subtree larger
  // than that is invisible to the receiver's filters.
  uint64_t filters_fill_exceeded = 0;
  uint64_t sim_ms = 0;
  double wall_s = 0, build_wall_s = 0, cpu_s = 0;  // cpu: this process, user + system
};

// Runs everything in cfg.phases (kConverge always runs first).
ScenarioResult run_scenario(const ScenarioConfig& cfg);

// VmRSS / VmHWM of this process in bytes (0 if /proc is unavailable).
uint64_t current_rss_bytes();
uint64_t peak_rss_bytes();
// CPU time of this process (user + system), seconds.
double process_cpu_seconds();

}  // namespace fips::sim
