// Proves the FSP data path allocates nothing per packet: seal_data in place
// in a pool buffer, receive (lookup, trial decrypt, inner dispatch) in place,
// 10,000 packets each way with global operator new counted.
#include "alloc_counter.h"
#include "fsp_session_harness.h"

namespace fips::fsptest {
namespace {

TEST(FspSessionAlloc, DataPathAllocatesNothingPerPacket) {
  SessionNet net;
  SNode& a = net.add();
  SNode& b = net.add();
  net.app_send(a, b.peer(), payload_of(0));
  net.run_for(200);
  ASSERT_TRUE(a.sm.is_established(b.addr()));
  ASSERT_TRUE(b.sm.is_established(a.addr()));
  SessionActions acts_a, acts_b;
  acts_a.arena.reserve(4096);
  acts_b.arena.reserve(4096);
  uint64_t delivered = 0, bytes = 0;
  auto one_way = [&](SNode& from, SNode& to, SessionActions& fa, SessionActions& ta, uint32_t seq) {
    PacketBuf buf = net.pool.acquire();
    if (!buf.set(128, 1000)) return false;
    store_u32le(buf.data(), seq);
    if (from.sm.seal_data(to.addr(), fsp::kPortIpv6Shim, fsp::kPortIpv6Shim, buf, 1280, net.now, fa) !=
        fsp::SealStatus::kOk)
      return false;
    auto r = to.sm.receive(from.addr(), from.addr(), 1280, buf, net.now, ta);
    if (r.outcome != fsp::RxOutcome::kDelivered || buf.size() != 1000 || load_u32le(buf.data()) != seq)
      return false;
    ++delivered;
    bytes += buf.size();
    fa.clear();
    ta.clear();
    return true;
  };
  // Warm-up: cipher contexts are created lazily, the warmup counter drains.
  for (uint32_t i = 0; i < 10; ++i) {
    ASSERT_TRUE(one_way(a, b, acts_a, acts_b, i));
    ASSERT_TRUE(one_way(b, a, acts_b, acts_a, i));
  }
  test::alloc_counting(true);
  bool ok = true;
  for (uint32_t i = 0; i < 10'000 && ok; ++i) {
    ok &= one_way(a, b, acts_a, acts_b, i);
    ok &= one_way(b, a, acts_b, acts_a, i);
    ++net.now;
  }
  test::alloc_counting(false);
  EXPECT_TRUE(ok);
  EXPECT_EQ(delivered, 20'020u);
  EXPECT_EQ(test::alloc_count(), 0u) << "heap allocations during 20,000 FSP packets";
  EXPECT_EQ(a.sm.counters().seal_copied + b.sm.counters().seal_copied, 0u);
}

}  // namespace
}  // namespace fips::fsptest
