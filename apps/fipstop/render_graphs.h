// fipstop's Graphs tab drawing, as the reference's
// src/bin/fipstop/ui/graphs.rs lays it out: a two-line selector strip
// (mode, window, granularity, scroll; key reminder), then a stack of
// per-metric mini plots (a title line with min / max / last / samples,
// four plot rows, a blank line), each autoscaled to its own min..max and
// drawn as btop's filled braille area (two samples per cell, four levels
// per row; gaps blank; a flat non-zero series rests on the baseline, a flat
// zero one is empty). MetricByPeer lists one summary row per peer with the
// sort header, and Enter opens one peer's plot over the whole pane. With
// `ascii` (no UTF-8 locale) the cells use " .:|#" and the marks ASCII.
// No colour is needed to read a plot (NO_COLOR / monochrome draw the same).
// Driven by render() in render.cc (graphs_tab), which turns the replies
// and UI state into these inputs. Not here: queries and keys (render.cc),
// the terminal (main.cc).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "render.h"

namespace fipstop::graphs {

inline constexpr int kPlotRows = 4;  // rows of one stacked mini plot

// A reply's "values" array as numbers, null and non-numbers as NaN.
std::vector<double> values_of(const nlohmann::json* values);

// min / max over the non-gap samples (0 / 0 when none), the last non-gap
// sample (NaN when none) and the sample count, gaps included (reference
// summarize()).
struct Summary {
  double min = 0, max = 0, last = 0;
  size_t n = 0;
};
Summary summarize(const std::vector<double>& v);
// "-", 1.23, 12.3, 1.2K, 1.2M (reference format_value).
std::string format_value(double v);
// Exactly `target` points by linear interpolation (a gap spreads to its
// neighbours' interpolants).
std::vector<double> resample(const std::vector<double>& v, size_t target);

// `rows` lines, each a 2-column gutter and `cols` cells, of the filled area
// of `values` between min and max (resampled to 2 x cols first).
std::vector<std::string> area_plot(const std::vector<double>& values, int cols, int rows, double min,
                                   double max, bool ascii);

// The selector strip (2 lines) and the stack's title line.
std::vector<ScreenLine> selector(const UiState& ui, const std::string& mode_detail,
                                 const char* window, const char* granularity, bool ascii);
// One metric's block: title, kPlotRows plot rows (or "(no samples)"), blank.
std::vector<ScreenLine> metric_block(const std::string& metric, const std::string& unit,
                                     const std::vector<double>& values, int width, bool ascii);

struct PeerRow {
  std::string name;
  std::vector<double> values;
};
// The by-peer summary list: the sort header, then one row per peer in
// `order` (indices into rows), the `selected` one highlighted.
std::vector<ScreenLine> peer_list(const std::vector<PeerRow>& rows, const std::vector<size_t>& order,
                                  size_t selected, const std::string& unit, SortState sort,
                                  bool ascii);
// Display order of the by-peer rows: name, or min / max / last / n
// (gaps last when ascending), reversed when descending.
std::vector<size_t> sorted_order(const std::vector<PeerRow>& rows, SortState sort);
// One peer's plot over the pane: a header, a blank line, `height - 3` rows.
std::vector<ScreenLine> peer_detail(const PeerRow& row, const std::string& metric,
                                    const std::string& unit, int width, int height, bool ascii);

}  // namespace fipstop::graphs
