// `fipsctl stats history ... --plot`: a show_stats_history reply drawn as the
// reference's fipsctl draws it (src/bin/fipsctl.rs print_plot): a title line
// with the sample count, granularity, window and gaps, a min/max/last line,
// and one row of eight-level Unicode blocks (one per sample, gaps blank,
// scaled between the series' min and max; a flat series sits at level 4).
// Pure: the reply in, stdout/stderr text and exit code out.
// Not here: sending the request (control/client.h), the daemon side
// (control/queries_stats.h).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "control/client.h"

namespace fips {

// The sample row alone: "▁".."█" per value, ' ' for a gap (NaN).
std::string stats_sparkline(const std::vector<double>& values, double min, double max);
// An error reply prints "error: <message>" (exit 1), as without --plot.
CliOutput render_stats_plot(const nlohmann::json& response, const std::string& metric);

}  // namespace fips
