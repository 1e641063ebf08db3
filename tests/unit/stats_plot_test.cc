// control/stats_plot: `fipsctl stats history --plot` output as the
// reference's fipsctl prints it (title, min/max/last, block row).
#include "control/stats_plot.h"

#include <gtest/gtest.h>

#include <cmath>

namespace fips {
namespace {

using nlohmann::json;

json reply(json values, uint64_t gran = 1) {
  return json{{"status", "ok"},
              {"data",
               {{"granularity_seconds", gran},
                {"metric", "bytes_in"},
                {"unit", "bytes/s"},
                {"values", std::move(values)}}}};
}

TEST(StatsPlot, DrawsTheReferencesThreeLines) {
  const CliOutput o = render_stats_plot(reply({nullptr, 0.0, 7.0, 3.5, nullptr, 14.0}), "bytes_in");
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_EQ(o.err, "");
  EXPECT_EQ(o.out,
            "bytes_in (bytes/s) \u2014 6 samples @ 1s = 6s window (2 gaps)\n"
            "  min=0.000 max=14.000 last=14.000\n"
            "   \u2581\u2585\u2583 \u2588\n");
}

TEST(StatsPlot, FlatAllGapAndEmptySeries) {
  EXPECT_EQ(render_stats_plot(reply({2.0, 2.0}, 60), "m").out,
            "m (bytes/s) \u2014 2 samples @ 60s = 120s window\n"
            "  min=2.000 max=2.000 last=2.000\n"
            "  \u2584\u2584\n");
  EXPECT_EQ(render_stats_plot(reply({nullptr, nullptr}), "m").out,
            "m (bytes/s) \u2014 2 samples @ 1s = 2s window (2 gaps)\n"
            "  min=0.000 max=0.000 last=-\n"
            "    \n");
  EXPECT_EQ(render_stats_plot(reply(json::array()), "m").out, "m: no data yet\n");
}

TEST(StatsPlot, ErrorsGoToStderrWithExitOne) {
  CliOutput o = render_stats_plot(json{{"status", "error"}, {"message", "unknown metric: x"}}, "x");
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_EQ(o.err, "error: unknown metric: x\n");
  EXPECT_EQ(o.out, "");
  o = render_stats_plot(json{{"status", "ok"}}, "x");
  EXPECT_EQ(o.err, "error: no data in response\n");
  // Junk never crashes: non-numbers are gaps, a non-object data is no values.
  EXPECT_EQ(render_stats_plot(json{{"status", "ok"}, {"data", 5}}, "x").out, "x: no data yet\n");
  EXPECT_EQ(render_stats_plot(reply({"a", true}), "x").exit_code, 0);
}

TEST(StatsPlot, SparklineLevelsRoundToTheNearestOfEight) {
  EXPECT_EQ(stats_sparkline({0, 1, 2, 3, 4, 5, 6, 7}, 0, 7),
            "\u2581\u2582\u2583\u2584\u2585\u2586\u2587\u2588");
  EXPECT_EQ(stats_sparkline({-5, 50}, 0, 7), "\u2581\u2588");  // clamped
  EXPECT_EQ(stats_sparkline({std::nan("")}, 0, 1), " ");
}

}  // namespace
}  // namespace fips
