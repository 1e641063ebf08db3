// Reachability measurement on a running SimNet: for each (source, dest)
// pair, source.start_lookup(dest); when found, source.send_datagram(dest)
// with a payload naming the pair; the destination's deliver hook records the
// arrival TTL. Lookups run in a sliding window of `wave` concurrent pairs.
// Hops = session_ttl - ttl_at_delivery + 1 (a direct peer is 1 hop);
// stretch = hops / BFS shortest hops on the live graph; latency stretch =
// (delivery time - send time, i.e. the sum of the latencies of the links
// taken) / the lowest-latency path (Dijkstra over the links' latencies).
//
// The datagram payload is an FSP established-phase message with the CP flag
// (cleartext source and destination coordinates, as a real session sends
// during coordinate warmup) whose counter is the pair id: transit nodes warm
// their coordinate caches from it, exactly as for real traffic, and route by
// the destination's coordinates. The "ciphertext" is filler (nobody decrypts).
// Not here: convergence (observer.h), phase control (scenario.cc).
#pragma once

#include <cstdint>
#include <vector>

#include "sim/observer.h"
#include "sim/scenario.h"
#include "sim/sim_net.h"

namespace fips::sim {

struct PairSpec {
  uint32_t src, dst;
};

// Ordered pairs of distinct live nodes in the same live component: all of
// them when `all`, else `k` distinct ones drawn with `seed` (all of them if
// fewer exist). Deterministic.
std::vector<PairSpec> sample_pairs(const Observer& obs, bool all, size_t k, uint64_t seed);

struct ReachOptions {
  size_t wave = 200;
  uint64_t delivery_timeout_ms = 10'000;
  uint64_t step_ms = 10;              // window top-up / timeout scan period
  uint64_t pair_timeout_ms = 60'000;  // safety net: a lookup never reported
};

// Nearest-rank p50 / p99, max and mean of v (sorted in place); zeros when
// v is empty.
struct Spread {
  double p50 = 0, p99 = 0, max = 0, mean = 0;
};
Spread spread(std::vector<double>& v);

ReachStats run_reachability(SimNet& net, const Observer& obs, const std::vector<PairSpec>& pairs,
                            const ReachOptions& opt);

}  // namespace fips::sim
