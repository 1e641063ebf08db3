// Bloom core benchmarks: composing and handing out every peer's outgoing
// filter (BloomState::tick after mark_all) and change detection
// (mark_changed_peers), against a baseline that does the same work the way
// the reference does (proto/bloom/state.rs compute_outgoing_filters: a suffix
// array of unions, a prefix union, one filter copy per target, and 1 KiB
// last-sent copies compared for change detection).
// Naming: <Operation>/<ours|baseline>/<peers>; half the peers are tree peers.
#include <benchmark/benchmark.h>

#include <cstring>
#include <map>
#include <vector>

#include "proto/bloom/state.h"

using namespace fips;
using namespace fips::bloom;

namespace {

NodeAddr addr(uint32_t i) {
  NodeAddr a;
  a.bytes.fill(0x5a);
  std::memcpy(a.bytes.data(), &i, 4);
  return a;
}

// Each peer's filter holds ~20 entries of its own.
Filter peer_filter(uint32_t p) {
  Filter f;
  for (uint32_t j = 0; j < 20; ++j) f.insert(addr(1000 + p * 20 + j));
  return f;
}

bool is_tree(const NodeAddr& a) {
  uint32_t i;
  std::memcpy(&i, a.bytes.data(), 4);
  return i % 2 == 0;
}

struct OursFixture {
  BloomState st{addr(999'999), BloomParams{0, 0.2, false}, 1, 2};
  explicit OursFixture(uint32_t n) {
    for (uint32_t p = 0; p < n; ++p) st.on_peer_up(addr(p));
    for (uint32_t p = 0; p < n; ++p) {
      Filter f = peer_filter(p);
      std::vector<uint8_t> m(kFilterAnnounceV1Size);
      Writer w{MutByteSpan(m)};
      (void)encode_filter_announce(w, make_filter_announce(f, 1));
      (void)st.on_filter_announce(addr(p), m, 0, is_tree);
    }
  }
};

void BM_Tick_ours(benchmark::State& state) {
  const auto n = static_cast<uint32_t>(state.range(0));
  OursFixture fx(n);
  uint64_t now = 1, bytes = 0;
  auto send = [&](const NodeAddr&, const FilterAnnounce& fa) {
    bytes += fa.filter_bits[0];
    return true;
  };
  for (auto _ : state) {
    fx.st.mark_all();
    (void)fx.st.tick(now++, is_tree, send);
  }
  benchmark::DoNotOptimize(bytes);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * n);
}

// The reference's batched computation plus the copy it records per send.
struct Baseline {
  NodeAddr self = addr(999'999);
  std::map<NodeAddr, Filter> inbound;
  std::map<NodeAddr, Filter> last_sent;
  explicit Baseline(uint32_t n) {
    for (uint32_t p = 0; p < n; ++p) inbound.emplace(addr(p), peer_filter(p));
  }
  std::map<NodeAddr, Filter> compute(const std::vector<NodeAddr>& targets) const {
    std::map<NodeAddr, Filter> contrib;
    for (const auto& [a, f] : inbound)
      if (is_tree(a)) contrib.emplace(a, f);
    Filter base;
    base.insert(self);
    std::vector<NodeAddr> keys;
    for (const auto& kv : contrib) keys.push_back(kv.first);
    const size_t k = keys.size();
    std::vector<Filter> suffix(k + 1);
    for (size_t i = k; i-- > 0;) {
      Filter acc = suffix[i + 1];
      (void)acc.merge(contrib.at(keys[i]));
      suffix[i] = acc;
    }
    Filter all = base;
    (void)all.merge(suffix[0]);
    std::map<NodeAddr, Filter> per_key;
    Filter prefix;
    for (size_t i = 0; i < k; ++i) {
      Filter out = base;
      (void)out.merge(prefix);
      (void)out.merge(suffix[i + 1]);
      per_key.emplace(keys[i], out);
      (void)prefix.merge(contrib.at(keys[i]));
    }
    std::map<NodeAddr, Filter> res;
    for (const NodeAddr& t : targets) {
      auto it = per_key.find(t);
      res.emplace(t, it != per_key.end() ? it->second : all);
    }
    return res;
  }
};

void BM_Tick_baseline(benchmark::State& state) {
  const auto n = static_cast<uint32_t>(state.range(0));
  Baseline b(n);
  std::vector<NodeAddr> targets;
  for (const auto& kv : b.inbound) targets.push_back(kv.first);
  uint64_t bytes = 0;
  for (auto _ : state) {
    auto out = b.compute(targets);
    for (auto& [a, f] : out) {
      bytes += f.bytes()[0];
      b.last_sent.insert_or_assign(a, std::move(f));
    }
  }
  benchmark::DoNotOptimize(bytes);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * n);
}

void BM_MarkChanged_ours(benchmark::State& state) {
  const auto n = static_cast<uint32_t>(state.range(0));
  OursFixture fx(n);
  (void)fx.st.tick(1, is_tree, [](const NodeAddr&, const FilterAnnounce&) { return true; });
  for (auto _ : state) fx.st.mark_changed_peers(addr(0), is_tree);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * n);
}

void BM_MarkChanged_baseline(benchmark::State& state) {
  const auto n = static_cast<uint32_t>(state.range(0));
  Baseline b(n);
  std::vector<NodeAddr> targets;
  for (const auto& kv : b.inbound)
    if (kv.first != addr(0)) targets.push_back(kv.first);
  b.last_sent = b.compute(targets);
  size_t changed = 0;
  for (auto _ : state)
    for (const auto& [a, f] : b.compute(targets)) changed += (b.last_sent.at(a) != f);
  benchmark::DoNotOptimize(changed);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * n);
}

}  // namespace

BENCHMARK(BM_Tick_ours)->Name("BloomTick/ours")->Arg(8)->Arg(100);
BENCHMARK(BM_Tick_baseline)->Name("BloomTick/baseline")->Arg(8)->Arg(100);
BENCHMARK(BM_MarkChanged_ours)->Name("BloomMarkChanged/ours")->Arg(8)->Arg(100);
BENCHMARK(BM_MarkChanged_baseline)->Name("BloomMarkChanged/baseline")->Arg(8)->Arg(100);
