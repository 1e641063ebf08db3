// `fipsctl stats history <METRIC> [--peer P] [--window W] [--granularity G]
// [--plot]`: one show_stats_history request, its reply printed as JSON like
// every other command, or with --plot as the reference's sparkline
// (control/stats_plot.h). Flags and defaults as the reference's clap
// definition (src/bin/fipsctl.rs StatsCommands::History).
#include <cstdio>

#include "control/client.h"
#include "control/stats_plot.h"
#include "fipsctl.h"

namespace fipsctl {

int cmd_stats_history(const std::string& socket_path, const Args& args) {
  static const char* kUsage = "fipsctl stats history [OPTIONS] <METRIC>";
  static const char* kHelp =
      "Fetch a time-series window for a metric\n\n"
      "Usage: fipsctl stats history [OPTIONS] <METRIC>\n\n"
      "Arguments:\n"
      "  <METRIC>  Metric name (see `fipsctl stats list`). Node-level metrics need no `--peer`; "
      "per-peer metrics require it\n\n"
      "Options:\n"
      "      --peer <PEER>                Peer npub (bech32) or hostname from /etc/fips/hosts for "
      "per-peer metrics\n"
      "      --window <WINDOW>            Window duration \u2014 `<N>s`, `<N>m`, `<N>h` [default: 10m]\n"
      "      --granularity <GRANULARITY>  Sample resolution \u2014 `1s` (fast ring) or `1m` (slow "
      "ring) [default: 1s]\n"
      "      --plot                       Render a Unicode block sparkline instead of JSON\n"
      "  -h, --help                       Print help\n";
  std::optional<std::string> metric, peer;
  std::string window = "10m", granularity = "1s";
  bool plot = false, seen_window = false, seen_gran = false;
  bool only_positional = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (!only_positional && a == "--") {
      only_positional = true;
      continue;
    }
    if (!only_positional && (a == "-h" || a == "--help")) {
      std::fputs(kHelp, stdout);
      return 0;
    }
    if (!only_positional && a == "--plot") {
      plot = true;
      continue;
    }
    if (!only_positional && a.rfind("--", 0) == 0 && a.size() > 2) {
      const size_t eq = a.find('=');
      const std::string name = a.substr(0, eq);
      std::string* slot = name == "--peer" ? nullptr : name == "--window" ? &window
                          : name == "--granularity"                        ? &granularity
                                                                           : nullptr;
      if (name != "--peer" && slot == nullptr)
        return usage_error("unexpected argument '" + a + "' found", kUsage);
      bool& seen = name == "--window" ? seen_window : seen_gran;
      if ((name == "--peer" && peer) || (name != "--peer" && seen))
        return usage_error("the argument '" + name + " <" + name.substr(2) +
                               ">' cannot be used multiple times",
                           kUsage);
      std::string value;
      if (eq != std::string::npos) {
        value = a.substr(eq + 1);
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        std::string upper = name.substr(2);
        for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        return usage_error("a value is required for '" + name + " <" + upper + ">' but none was supplied",
                           kUsage);
      }
      if (name == "--peer") peer = value;
      else *slot = value, seen = true;
      continue;
    }
    if (!only_positional && a.size() > 1 && a[0] == '-')
      return usage_error("unexpected argument '" + a + "' found", kUsage);
    if (metric) return usage_error("unexpected argument '" + a + "' found", kUsage);
    metric = a;
  }
  if (!metric)
    return usage_error("the following required arguments were not provided:\n  <METRIC>", kUsage);
  nlohmann::json params{{"granularity", granularity}, {"metric", *metric}, {"window", window}};
  if (peer) {
    auto npub = resolve_peer_arg(*peer);
    if (!npub) return 1;
    params["peer"] = *npub;
  }
  const std::string request = fips::build_command_request("show_stats_history", params);
  if (!plot) return run_request(socket_path, request);
  auto resp = fips::send_control_request(socket_path, request);
  if (!resp) {
    std::fprintf(stderr, "error: %s\n", resp.error().c_str());
    return 1;
  }
  const fips::CliOutput o = fips::render_stats_plot(*resp, *metric);
  std::fputs(o.out.c_str(), stdout);
  std::fputs(o.err.c_str(), stderr);
  return o.exit_code;
}

}  // namespace fipsctl
