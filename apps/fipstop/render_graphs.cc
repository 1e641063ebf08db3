#include "render_graphs.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>

namespace fipstop::graphs {

namespace {

constexpr double kGap = std::numeric_limits<double>::quiet_NaN();

// btop's braille_up set: [left level][right level], levels 0..4 from the
// bottom of the cell.
constexpr const char* kBraille[5][5] = {
    {" ", "\u2880", "\u28a0", "\u28b0", "\u28b8"},
    {"\u2840", "\u28c0", "\u28e0", "\u28f0", "\u28f8"},
    {"\u2844", "\u28c4", "\u28e4", "\u28f4", "\u28fc"},
    {"\u2846", "\u28c6", "\u28e6", "\u28f6", "\u28fe"},
    {"\u2847", "\u28c7", "\u28e7", "\u28f7", "\u28ff"},
};
constexpr char kAsciiLevel[5] = {' ', '.', ':', '|', '#'};

// How full (0..4) this row's band [low, high] of 0..100 is at `value`.
int level(double value, int low, int high) {
  const auto v = static_cast<int>(std::lround(value));
  if (v >= high) return 4;
  if (v <= low) return 0;
  const double span = std::max(high - low, 1);
  return std::clamp(static_cast<int>(std::lround((value - low) * 4.0 / span + 0.1)), 0, 4);
}

std::string pad_left(const std::string& s, size_t w) {
  return s.size() >= w ? s : std::string(w - s.size(), ' ') + s;
}
std::string pad_right(const std::string& s, int w) { return fit(s, std::max(w, display_width(s))); }

std::string stats_line(const Summary& s, const std::string& lead) {
  return lead + "    min " + format_value(s.min) + "   max " + format_value(s.max) + "   last " +
         format_value(s.last) + "   samples " + std::to_string(s.n);
}

}  // namespace

std::vector<double> values_of(const nlohmann::json* values) {
  std::vector<double> v;
  if (values == nullptr || !values->is_array()) return v;
  v.reserve(values->size());
  for (const auto& x : *values) v.push_back(x.is_number() ? x.get<double>() : kGap);
  return v;
}

Summary summarize(const std::vector<double>& v) {
  Summary s;
  s.n = v.size();
  s.last = kGap;
  double mn = HUGE_VAL, mx = -HUGE_VAL;
  for (double x : v) {
    if (std::isnan(x)) continue;
    mn = std::min(mn, x);
    mx = std::max(mx, x);
    s.last = x;
  }
  if (std::isfinite(mn)) s.min = mn, s.max = mx;
  if (v.empty()) s.last = 0;  // the reference's empty summary is (0, 0, 0, 0)
  return s;
}

std::string format_value(double v) {
  if (std::isnan(v)) return "-";
  char buf[48];
  const double a = std::fabs(v);
  if (a < 10) std::snprintf(buf, sizeof buf, "%.2f", v);
  else if (a < 1000) std::snprintf(buf, sizeof buf, "%.1f", v);
  else if (a < 1e6) std::snprintf(buf, sizeof buf, "%.1fK", v / 1000);
  else std::snprintf(buf, sizeof buf, "%.1fM", v / 1e6);
  return buf;
}

std::vector<double> resample(const std::vector<double>& v, size_t target) {
  if (v.empty() || target == 0) return {};
  if (v.size() == target) return v;
  if (v.size() == 1) return std::vector<double>(target, v[0]);
  std::vector<double> out;
  out.reserve(target);
  const double last_src = static_cast<double>(v.size() - 1);
  const double last_dst = static_cast<double>(std::max<size_t>(target - 1, 1));
  for (size_t i = 0; i < target; ++i) {
    const double src = static_cast<double>(i) * last_src / last_dst;
    const auto lo = static_cast<size_t>(std::floor(src));
    const size_t hi = std::min(static_cast<size_t>(std::ceil(src)), v.size() - 1);
    const double frac = src - static_cast<double>(lo);
    out.push_back(v[lo] * (1 - frac) + v[hi] * frac);
  }
  return out;
}

std::vector<std::string> area_plot(const std::vector<double>& values, int cols, int rows, double min,
                                   double max, bool ascii) {
  std::vector<std::string> out;
  if (rows <= 0 || cols <= 0 || values.empty()) return out;
  const std::vector<double> pts = resample(values, static_cast<size_t>(cols) * 2);
  const double range = max - min;
  const bool flat = !std::isfinite(range) || range <= 0;
  std::vector<double> norm;
  norm.reserve(pts.size());
  for (double v : pts) {
    if (std::isnan(v) || (flat && max == 0)) norm.push_back(kGap);  // gap, or an empty flat-zero plot
    else if (flat) norm.push_back(8);                                // a steady value on the baseline
    else norm.push_back(std::clamp((v - min) / range * 100, 0.0, 100.0));
  }
  for (int h = 0; h < rows; ++h) {
    const auto high = static_cast<int>(std::lround((rows - h) * 100.0 / rows));
    const auto low = static_cast<int>(std::lround((rows - h - 1) * 100.0 / rows));
    std::string line = "  ";
    for (size_t i = 0; i < norm.size(); i += 2) {
      const double l = norm[i];
      const double r = i + 1 < norm.size() ? norm[i + 1] : kGap;
      const bool tail = i + 1 >= norm.size();
      if (std::isnan(l) || (!tail && std::isnan(r))) {
        line += ' ';
        continue;
      }
      const int ll = level(l, low, high), rl = tail ? 0 : level(r, low, high);
      if (ascii) line += kAsciiLevel[std::max(ll, rl)];
      else line += kBraille[ll][rl];
    }
    out.push_back(std::move(line));
  }
  return out;
}

std::vector<ScreenLine> selector(const UiState& ui, const std::string& mode_detail,
                                 const char* window, const char* granularity, bool ascii) {
  std::vector<ScreenLine> out;
  static const char* kModes[] = {"node", "metric-by-peer", "peer-by-metric"};
  static const char* kTitles[] = {"Node", "", ""};
  const int mode = static_cast<int>(ui.graphs_mode) % 3;
  std::string m = kModes[mode];
  if (mode != 0) m += " [" + mode_detail + "]";
  out.push_back({"  mode: " + m + "   window: " + window + "   granularity: " + granularity +
                     "   scroll: " + std::to_string(ui.graphs_scroll),
                 Style::kNormal});
  const char* ud = ascii ? "[Up/Down]" : "[\u2191/\u2193]";
  const char* lr = ascii ? "[Left/Right]" : "[\u2190/\u2192]";
  std::string hint;
  if (ui.graphs_mode == GraphsMode::kMetricByPeer && ui.detail)
    hint = std::string("  ") + ud + " peer   [n/N] stat   [m] mode   [Esc] back";
  else if (ui.graphs_mode == GraphsMode::kMetricByPeer)
    hint = std::string("  ") + ud + " select   [Enter] expand   [n/N] stat   [m] mode";
  else
    hint = std::string("  ") + ud + " scroll   " + lr + " window   [m] mode   [n/N] cycle";
  out.push_back({hint, Style::kDim});
  const char* dash = ascii ? "-" : "\u2014";
  std::string title = mode == 0   ? kTitles[0]
                      : mode == 1 ? mode_detail + " by peer"
                                  : "peer " + mode_detail;
  out.push_back({std::string(" Graphs ") + dash + " " + title + " ", Style::kTitle});
  return out;
}

std::vector<ScreenLine> metric_block(const std::string& metric, const std::string& unit,
                                     const std::vector<double>& values, int width, bool ascii) {
  std::vector<ScreenLine> out;
  const Summary s = summarize(values);
  out.push_back({stats_line(s, "  " + metric + "  [" + unit + "]"), Style::kHeader});
  const int cols = width - 2;
  if (cols <= 0 || values.empty()) {
    for (int i = 0; i < kPlotRows; ++i) out.push_back({"  (no samples)", Style::kDim});
  } else {
    for (auto& l : area_plot(values, cols, kPlotRows, s.min, s.max, ascii)) out.push_back({l, Style::kGood});
  }
  out.push_back({"", Style::kNormal});
  return out;
}

std::vector<size_t> sorted_order(const std::vector<PeerRow>& rows, SortState sort) {
  std::vector<size_t> order(rows.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::vector<Summary> sums;
  for (const auto& r : rows) sums.push_back(summarize(r.values));
  auto key = [&](size_t i) {
    const Summary& s = sums[i];
    switch (sort.col % 5) {
      case 1:
        return s.min;
      case 2:
        return s.max;
      case 3:
        return s.last;
      default:
        return static_cast<double>(s.n);
    }
  };
  // -1 / 0 / 1; gaps after numbers (ascending).
  auto cmp = [&](size_t a, size_t b) {
    if (sort.col % 5 == 0) return rows[a].name < rows[b].name ? -1 : rows[b].name < rows[a].name ? 1 : 0;
    const double ka = key(a), kb = key(b);
    if (std::isnan(ka) || std::isnan(kb)) return std::isnan(ka) == std::isnan(kb) ? 0 : std::isnan(ka) ? 1 : -1;
    return ka < kb ? -1 : kb < ka ? 1 : 0;
  };
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const int c = cmp(a, b);
    return sort.descending ? c > 0 : c < 0;
  });
  return order;
}

std::vector<ScreenLine> peer_list(const std::vector<PeerRow>& rows, const std::vector<size_t>& order,
                                  size_t selected, const std::string& unit, SortState sort,
                                  bool ascii) {
  static const char* kLabels[] = {"name", "min", "max", "last", "n"};
  std::string hdr = "  sort: ";
  for (int i = 0; i < 5; ++i) {
    if (i) hdr += ' ';
    hdr += kLabels[i];
    if (i == sort.col % 5)
      hdr += ascii ? (sort.descending ? "v" : "^") : (sort.descending ? "\u25bc" : "\u25b2");
  }
  std::vector<ScreenLine> out{{hdr, Style::kHeader}};
  for (size_t d = 0; d < order.size(); ++d) {
    const PeerRow& r = rows[order[d]];
    const Summary s = summarize(r.values);
    const bool sel = order[d] == selected;
    const char* mark = sel ? (ascii ? "> " : "\u25b6 ") : "  ";
    out.push_back({mark + pad_right(r.name, 18) + " [" + unit + "]  min " + pad_left(format_value(s.min), 8) +
                       "  max " + pad_left(format_value(s.max), 8) + "  last " +
                       pad_left(format_value(s.last), 8) + "  n=" + pad_left(std::to_string(s.n), 5),
                   sel ? Style::kSelected : Style::kNormal});
  }
  return out;
}

std::vector<ScreenLine> peer_detail(const PeerRow& row, const std::string& metric,
                                    const std::string& unit, int width, int height, bool ascii) {
  const Summary s = summarize(row.values);
  std::vector<ScreenLine> out{{stats_line(s, "  " + row.name + "  " + metric + " [" + unit + "]"), Style::kHeader},
                              {"", Style::kNormal}};
  const int rows = std::max(1, height - 3);
  const int cols = width - 2;
  if (cols <= 0 || row.values.empty()) {
    for (int i = 0; i < rows; ++i) out.push_back({"  (no samples)", Style::kDim});
    return out;
  }
  for (auto& l : area_plot(row.values, cols, rows, s.min, s.max, ascii)) out.push_back({l, Style::kGood});
  return out;
}

}  // namespace fipstop::graphs
