// Metric history (node/stats_history.h): what one 1 s sample costs with 10
// and 100 tracked peers, and the heap the rings take (counters node_bytes,
// peer_bytes: mallinfo2 deltas around construction and a peer's first tick).
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <vector>

#include "node/stats_history.h"

using namespace fips;

namespace {

std::vector<stats::PeerSample> peers(size_t n) {
  std::vector<stats::PeerSample> ps(n);
  for (size_t i = 0; i < n; ++i) {
    ps[i].addr.bytes[0] = static_cast<uint8_t>(i);
    ps[i].addr.bytes[1] = static_cast<uint8_t>(i >> 8);
    ps[i].srtt_ms = 10;
    ps[i].loss_rate = 0.01;
  }
  return ps;
}

void BM_StatsHistoryTick(benchmark::State& st) {
  const size_t n = static_cast<size_t>(st.range(0));
  const size_t before = mallinfo2().uordblks;
  stats::StatsHistory h(n + 32);
  const size_t node_bytes = mallinfo2().uordblks - before;
  auto ps = peers(n);
  stats::NodeSample s;
  h.tick(0, s, ps);
  const size_t with_peers = mallinfo2().uordblks - before;
  uint64_t t = 1;
  for (auto _ : st) {
    for (auto& p : ps) p.bytes_in_total += 1000;
    h.tick(t++ * 1000, s, ps);
  }
  st.counters["node_bytes"] = static_cast<double>(node_bytes);
  st.counters["peer_bytes"] = static_cast<double>(with_peers - node_bytes) / static_cast<double>(n);
}
BENCHMARK(BM_StatsHistoryTick)->Arg(10)->Arg(100);

}  // namespace
