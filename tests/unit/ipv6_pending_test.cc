// Pending-packet queue bounds (docs/spec/fsp-ipv6.md §11) and a model check against a
// naive map of deques.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <deque>
#include <map>

#include "ipv6/pending_queue.h"

namespace fips::ipv6 {
namespace {

NodeAddr dest(uint8_t i) {
  NodeAddr a;
  a.bytes.fill(i);
  return a;
}

PacketBuf packet(BufferPool& pool, uint8_t fill) {
  PacketBuf p = pool.acquire();
  EXPECT_TRUE(p.push_back(4));
  std::fill(p.data(), p.data() + 4, fill);
  return p;
}

std::vector<uint32_t> flush_tags(PendingQueue& q, const NodeAddr& d) {
  std::vector<uint32_t> tags;
  q.flush(d, [&](PacketBuf&& p, uint32_t tag) {
    EXPECT_TRUE(p.valid());
    EXPECT_EQ(p.data()[0], static_cast<uint8_t>(tag));
    tags.push_back(tag);
    return true;
  });
  return tags;
}

TEST(Ipv6Pending, PerDestinationDropsOldest) {
  BufferPool pool(64, 256, 128);
  PendingQueue q(PendingLimits{16, 256, 1024});
  for (uint32_t i = 1; i <= 16; ++i)
    EXPECT_EQ(q.push(dest(1), packet(pool, static_cast<uint8_t>(i)), i),
              PendingQueue::Admit::kQueued);
  EXPECT_EQ(q.push(dest(1), packet(pool, 17), 17), PendingQueue::Admit::kQueuedDroppedOldest);
  EXPECT_EQ(q.queued(dest(1)), 16u);
  EXPECT_EQ(pool.available(), 64u - 16u);  // the dropped packet's buffer went back
  std::vector<uint32_t> want;
  for (uint32_t i = 2; i <= 17; ++i) want.push_back(i);
  EXPECT_EQ(flush_tags(q, dest(1)), want);
  EXPECT_FALSE(q.contains(dest(1)));
  EXPECT_EQ(q.packets(), 0u);
  EXPECT_EQ(q.counters().dropped_oldest, 1u);
  EXPECT_EQ(pool.available(), 64u);
}

TEST(Ipv6Pending, NewDestinationsRefusedAtTheLimit) {
  BufferPool pool(16, 256, 128);
  PendingQueue q(PendingLimits{4, 2, 100});
  EXPECT_EQ(q.push(dest(1), packet(pool, 1)), PendingQueue::Admit::kQueued);
  EXPECT_EQ(q.push(dest(2), packet(pool, 2)), PendingQueue::Admit::kQueued);
  EXPECT_EQ(q.push(dest(3), packet(pool, 3)), PendingQueue::Admit::kRefusedDestinations);
  EXPECT_EQ(q.push(dest(1), packet(pool, 4)), PendingQueue::Admit::kQueued);  // existing ok
  EXPECT_EQ(q.destinations(), 2u);
  EXPECT_EQ(q.counters().refused_destinations, 1u);
  EXPECT_EQ(pool.available(), 16u - 3u);
  EXPECT_EQ(q.discard(dest(1)), 2u);
  EXPECT_EQ(q.push(dest(3), packet(pool, 3)), PendingQueue::Admit::kQueued);  // room again
}

TEST(Ipv6Pending, TotalBoundEvictsOwnOldestOrRefuses) {
  BufferPool pool(16, 256, 128);
  PendingQueue q(PendingLimits{16, 256, 5});
  for (uint32_t i = 0; i < 3; ++i) (void)q.push(dest(1), packet(pool, static_cast<uint8_t>(i)), i);
  for (uint32_t i = 3; i < 5; ++i) (void)q.push(dest(2), packet(pool, static_cast<uint8_t>(i)), i);
  EXPECT_EQ(q.packets(), 5u);
  EXPECT_EQ(q.push(dest(3), packet(pool, 9)), PendingQueue::Admit::kRefusedFull);
  EXPECT_FALSE(q.contains(dest(3)));
  EXPECT_EQ(q.push(dest(1), packet(pool, 5), 5), PendingQueue::Admit::kQueuedDroppedOldest);
  EXPECT_EQ(flush_tags(q, dest(1)), (std::vector<uint32_t>{1, 2, 5}));
  EXPECT_EQ(q.push(dest(1), PacketBuf{}), PendingQueue::Admit::kRefusedFull);  // invalid buffer
}

TEST(Ipv6Pending, FlushStopsAtFirstFailureAndDiscardsTheRest) {
  BufferPool pool(16, 256, 128);
  PendingQueue q;
  for (uint32_t i = 0; i < 5; ++i) (void)q.push(dest(7), packet(pool, static_cast<uint8_t>(i)), i);
  std::vector<uint32_t> seen;
  const size_t n = q.flush(dest(7), [&](PacketBuf&&, uint32_t tag) {
    seen.push_back(tag);
    return tag < 1;  // the second send fails
  });
  EXPECT_EQ(n, 2u);
  EXPECT_EQ(seen, (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(q.counters().flushed, 2u);
  EXPECT_EQ(q.counters().discarded, 3u);
  EXPECT_EQ(q.packets(), 0u);
  EXPECT_EQ(pool.available(), 16u);
  EXPECT_EQ(q.flush(dest(7), [](PacketBuf&&, uint32_t) { return true; }), 0u);
}

TEST(Ipv6Pending, FlushCallbackMayRequeue) {
  BufferPool pool(16, 256, 128);
  PendingQueue q(PendingLimits{16, 1, 3});
  for (uint32_t i = 0; i < 3; ++i) (void)q.push(dest(7), packet(pool, static_cast<uint8_t>(i)), i);
  // Each flushed packet is put back (a session that went away again): the
  // detached chain is walked to the end and the new queue is independent.
  const size_t n = q.flush(dest(7), [&](PacketBuf&& p, uint32_t tag) {
    EXPECT_EQ(q.push(dest(7), std::move(p), tag), PendingQueue::Admit::kQueued);
    return true;
  });
  EXPECT_EQ(n, 3u);
  EXPECT_EQ(flush_tags(q, dest(7)), (std::vector<uint32_t>{0, 1, 2}));
}

TEST(Ipv6Pending, ClearReturnsEveryBuffer) {
  BufferPool pool(32, 256, 128);
  {
    PendingQueue q(PendingLimits{4, 8, 32});
    for (uint8_t d = 0; d < 8; ++d)
      for (uint8_t i = 0; i < 3; ++i) (void)q.push(dest(d), packet(pool, i));
    EXPECT_EQ(pool.available(), 8u);
    q.clear();
    EXPECT_EQ(q.destinations(), 0u);
    EXPECT_EQ(pool.available(), 32u);
    for (uint8_t d = 0; d < 4; ++d) (void)q.push(dest(d), packet(pool, d));
  }  // destructor
  EXPECT_EQ(pool.available(), 32u);
}

RC_GTEST_PROP(Ipv6Pending, MatchesANaiveModel, ()) {
  const PendingLimits lim{*rc::gen::inRange<size_t>(1, 5), *rc::gen::inRange<size_t>(1, 4),
                          *rc::gen::inRange<size_t>(1, 12)};
  BufferPool pool(64, 64, 16);
  PendingQueue q(lim);
  std::map<uint8_t, std::deque<uint32_t>> model;
  size_t total = 0;
  uint32_t next_tag = 0;
  const auto ops = *rc::gen::container<std::vector<std::pair<uint8_t, uint8_t>>>(
      rc::gen::pair(rc::gen::inRange<uint8_t>(0, 4), rc::gen::inRange<uint8_t>(0, 6)));
  for (auto [op, d] : ops) {
    if (op <= 1) {  // push (twice as likely)
      const uint32_t tag = next_tag++;
      auto it = model.find(d);
      PendingQueue::Admit want;
      if (it == model.end() && model.size() >= lim.max_destinations) {
        want = PendingQueue::Admit::kRefusedDestinations;
      } else if (it != model.end() &&
                 (it->second.size() >= lim.per_dest || total >= lim.max_packets)) {
        it->second.pop_front();
        it->second.push_back(tag);
        want = PendingQueue::Admit::kQueuedDroppedOldest;
      } else if (total >= lim.max_packets) {
        want = PendingQueue::Admit::kRefusedFull;
      } else {
        model[d].push_back(tag);
        ++total;
        want = PendingQueue::Admit::kQueued;
      }
      PacketBuf p = pool.acquire();
      RC_ASSERT(p.valid());
      RC_ASSERT(q.push(dest(d), std::move(p), tag) == want);
    } else if (op == 2) {
      std::vector<uint32_t> got;
      q.flush(dest(d), [&](PacketBuf&&, uint32_t t) {
        got.push_back(t);
        return true;
      });
      auto it = model.find(d);
      const std::vector<uint32_t> want =
          it == model.end() ? std::vector<uint32_t>{}
                            : std::vector<uint32_t>(it->second.begin(), it->second.end());
      RC_ASSERT(got == want);
      if (it != model.end()) {
        total -= it->second.size();
        model.erase(it);
      }
    } else {
      auto it = model.find(d);
      const size_t want = it == model.end() ? 0 : it->second.size();
      RC_ASSERT(q.discard(dest(d)) == want);
      if (it != model.end()) {
        total -= want;
        model.erase(it);
      }
    }
    RC_ASSERT(q.packets() == total);
    RC_ASSERT(q.destinations() == model.size());
    RC_ASSERT(pool.available() == 64 - total);
  }
}

}  // namespace
}  // namespace fips::ipv6
