#include "control/stats_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace fips {

namespace {
std::string fixed3(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}
}  // namespace

std::string stats_sparkline(const std::vector<double>& values, double min, double max) {
  static const char* const kBlocks[8] = {"\u2581", "\u2582", "\u2583", "\u2584",
                                         "\u2585", "\u2586", "\u2587", "\u2588"};
  const double range = max - min;
  std::string out;
  for (double v : values) {
    if (std::isnan(v)) {
      out += ' ';
    } else if (!std::isfinite(range) || range <= 0) {
      out += kBlocks[3];
    } else {
      const double norm = std::clamp((v - min) / range, 0.0, 1.0);
      const auto idx = static_cast<size_t>(std::lround(norm * 7.0));
      out += kBlocks[std::min<size_t>(idx, 7)];
    }
  }
  return out;
}

CliOutput render_stats_plot(const nlohmann::json& response, const std::string& metric) {
  CliOutput o;
  const auto status = response.is_object() ? response.find("status") : response.end();
  if (status != response.end() && *status == "error") {
    const auto msg = response.find("message");
    o.err = "error: " + (msg != response.end() && msg->is_string() ? msg->get<std::string>()
                                                                  : std::string("unknown error")) + "\n";
    o.exit_code = 1;
    return o;
  }
  const auto data = response.is_object() ? response.find("data") : response.end();
  if (data == response.end()) {
    o.err = "error: no data in response\n";
    o.exit_code = 1;
    return o;
  }
  std::vector<double> values;
  if (auto v = data->find("values"); data->is_object() && v != data->end() && v->is_array())
    for (const auto& x : *v)
      values.push_back(x.is_number() ? x.get<double>() : std::numeric_limits<double>::quiet_NaN());
  std::string unit;
  uint64_t gran = 1;
  if (data->is_object()) {
    if (auto u = data->find("unit"); u != data->end() && u->is_string()) unit = u->get<std::string>();
    if (auto g = data->find("granularity_seconds"); g != data->end() && g->is_number_unsigned())
      gran = g->get<uint64_t>();
  }
  if (values.empty()) {
    o.out = metric + ": no data yet\n";
    return o;
  }
  double min = HUGE_VAL, max = -HUGE_VAL, last = std::nan("");
  size_t gaps = 0;
  for (double v : values) {
    if (std::isnan(v)) {
      ++gaps;
      continue;
    }
    min = std::min(min, v);
    max = std::max(max, v);
    last = v;
  }
  if (!std::isfinite(min)) min = max = 0;
  const uint64_t window = values.size() * gran;
  o.out = metric + " (" + unit + ") \u2014 " + std::to_string(values.size()) + " samples @ " +
          std::to_string(gran) + "s = " + std::to_string(window) + "s window" +
          (gaps ? " (" + std::to_string(gaps) + " gaps)" : std::string()) + "\n";
  o.out += "  min=" + fixed3(min) + " max=" + fixed3(max) + " last=" +
           (std::isnan(last) ? std::string("-") : fixed3(last)) + "\n";
  o.out += "  " + stats_sparkline(values, min, max) + "\n";
  return o;
}

}  // namespace fips
