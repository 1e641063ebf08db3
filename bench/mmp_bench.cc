// Link MMP per-frame cost (proto/mmp/link_mmp.h): what every encrypted link
// frame pays on send (LinkMmp::on_sent) and on receive (on_recv: counters,
// gap tracker, jitter, OWD ring, spin bit), and one ReceiverReport build
// (includes the OWD least-squares slope over the 32-sample window).
#include <benchmark/benchmark.h>

#include "proto/mmp/link_mmp.h"

using namespace fips;

namespace {

void BM_MmpOnSent(benchmark::State& st) {
  mmp::LinkMmp m(mmp::Mode::kFull, true, mmp::kDefaultOwdWindow, 30'000);
  uint64_t c = 0;
  for (auto _ : st) {
    m.on_sent(c, static_cast<uint32_t>(c >> 4), 1200);
    ++c;
  }
  benchmark::DoNotOptimize(m.sender.packets());
}
BENCHMARK(BM_MmpOnSent);

void BM_MmpOnRecv(benchmark::State& st) {
  mmp::LinkMmp m(mmp::Mode::kFull, false, mmp::kDefaultOwdWindow, 30'000);
  uint64_t c = 0;
  for (auto _ : st) {
    const uint64_t now = c >> 4;
    // one frame in 100 is lost: exercises the burst path too
    m.on_recv(c + (c % 100 == 0 ? 1 : 0), static_cast<uint32_t>(now), 1200, false, c & 1, now);
    ++c;
  }
  benchmark::DoNotOptimize(m.receiver.packets());
}
BENCHMARK(BM_MmpOnRecv);

void BM_MmpReceiverReportBuild(benchmark::State& st) {
  mmp::LinkMmp m(mmp::Mode::kFull, false, mmp::kDefaultOwdWindow, 30'000);
  uint64_t c = 0;
  for (int i = 0; i < 64; ++i, ++c) m.on_recv(c, static_cast<uint32_t>(c), 1200, false, false, c);
  for (auto _ : st) {
    m.on_recv(c, static_cast<uint32_t>(c), 1200, false, false, c);
    ++c;
    benchmark::DoNotOptimize(m.receiver.build(c));
  }
}
BENCHMARK(BM_MmpReceiverReportBuild);

}  // namespace
