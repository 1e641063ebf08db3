// Replay window: a numbered table of cases (after WireGuard's selftest), plus
// the rule that only accept() moves the window.
#include <limits>
#include <set>

#include "noise/replay.h"
#include "test_util.h"

namespace fips {
namespace {

constexpr uint64_t W = ReplayWindow::kSize;  // 2048, the reference's size
constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

struct Step {
  uint64_t counter;
  bool expect_ok;
};

void run_table(const std::vector<Step>& steps) {
  ReplayWindow w;
  int n = 0;
  for (const Step& s : steps) {
    ++n;
    const bool ok = w.check(s.counter);
    EXPECT_EQ(ok, s.expect_ok) << "case " << n << ": counter " << s.counter;
    if (ok) w.accept(s.counter);  // as after a successful decrypt
  }
}

TEST(Replay, InOrderAndDuplicates) {
  run_table({
      {0, true},   // 1: first packet
      {1, true},   // 2
      {1, false},  // 3: duplicate
      {0, false},  // 4: duplicate of the first
      {2, true},   // 5
      {3, true},   // 6
      {2, false},  // 7
  });
}

TEST(Replay, ReorderedWithinWindow) {
  run_table({
      {10, true},     // 1: jump ahead
      {7, true},      // 2: late but inside the window
      {9, true},      // 3
      {7, false},     // 4: duplicate of a late one
      {0, true},      // 5: never seen, still inside
      {10, false},    // 6
      {W + 9, true},  // 7: window now [10, W+9]
      {9, false},     // 8: diff == W: just outside
      {10, false},    // 9: inside but already seen
      {11, true},     // 10: inside, unseen
  });
}

TEST(Replay, TooOldAndFarFutureJump) {
  run_table({
      {5, true},                 // 1
      {5 + 10 * W, true},        // 2: far jump clears the window
      {5 + 9 * W, false},        // 3: far behind
      {5 + 10 * W - W + 1, true},  // 4: oldest counter still in the window
      {5 + 10 * W - W, false},   // 5: one older: out
      {5 + 10 * W - 1, true},    // 6
      {5 + 10 * W - 1, false},   // 7
  });
}

TEST(Replay, WindowSlideClearsReusedSlots) {
  // Every slot of the ring is reused as the window slides forward; a stale bit
  // must never reject a fresh counter.
  ReplayWindow w;
  for (uint64_t c = 0; c < 5 * W; c += 3) {
    ASSERT_TRUE(w.check(c)) << c;
    w.accept(c);
    ASSERT_FALSE(w.check(c));
  }
  for (uint64_t c = 5 * W; c < 7 * W; ++c) {
    ASSERT_TRUE(w.check(c)) << c;
    w.accept(c);
  }
}

TEST(Replay, CounterNear2To64) {
  run_table({
      {kMax - 3, true},   // 1
      {kMax - 1, true},   // 2: largest usable counter
      {kMax - 2, true},   // 3: reordered
      {kMax - 1, false},  // 4
      {kMax, false},      // 5: 2^64-1 is reserved by Noise, never valid
      {kMax - 1 - W, false},  // 6: diff W from the highest: outside
  });
  ReplayWindow w;
  w.accept(kMax - 1);
  EXPECT_TRUE(w.check(kMax - W));       // diff W-1: inside
  EXPECT_FALSE(w.check(kMax - W - 1));  // diff W: outside
}

TEST(Replay, CheckNeverMovesTheWindow) {
  ReplayWindow w;
  w.accept(100);
  for (uint64_t c : {uint64_t{5000}, uint64_t{1} << 40, kMax - 1}) {
    EXPECT_TRUE(w.check(c));  // would be accepted...
    EXPECT_EQ(w.highest(), 100u);  // ...but checking alone changes nothing
  }
  EXPECT_TRUE(w.check(99));
  w.reset();
  EXPECT_EQ(w.highest(), 0u);
  EXPECT_TRUE(w.check(100));
}

RC_GTEST_PROP(ReplayProp, MatchesNaiveModel, ()) {
  // Differential test against a naive set-based model of the same semantics.
  auto deltas = *rc::gen::container<std::vector<int>>(rc::gen::inRange(-3000, 3000));
  ReplayWindow w;
  std::set<uint64_t> seen;
  uint64_t highest = 0;
  uint64_t cur = 1'000'000;
  for (int d : deltas) {
    cur = static_cast<uint64_t>(static_cast<int64_t>(cur) + d);
    bool model = cur > highest || (highest - cur < W && !seen.count(cur));
    RC_ASSERT(w.check(cur) == model);
    if (model) {
      w.accept(cur);
      seen.insert(cur);
      if (cur > highest) highest = cur;
    }
  }
}

}  // namespace
}  // namespace fips
