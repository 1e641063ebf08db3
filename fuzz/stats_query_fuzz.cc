// Metric-history queries (control/queries_stats.h) and `fipsctl stats
// history --plot` (control/stats_plot.h) on arbitrary params and replies:
// the input is parsed as JSON (when it is) and handed to the five queries as
// params over a history holding node and peer samples, and to the plot as a
// reply. No crash; every series has at most a ring's worth of values.
#include <cstdlib>
#include <string>

#include "control/queries_stats.h"
#include "control/stats_plot.h"
#include "identity/identity.h"

using namespace fips;
using nlohmann::json;

namespace {
struct World {
  Identity peer = Identity::generate();
  stats::StatsHistory h{4};
  World() {
    for (uint64_t i = 0; i < 130; ++i) {
      stats::NodeSample n;
      n.mesh_size = i;
      n.bytes_in_total = i * 100;
      stats::PeerSample p;
      p.addr = peer.node_addr();
      p.srtt_ms = 1.5 * static_cast<double>(i);
      p.bytes_in_total = i % 7 == 0 ? 0 : i;  // counter resets: gaps
      if (i % 5) h.tick(i * 1000, n, {&p, 1});
      else h.tick(i * 1000, n, {});
    }
  }
};

void check(const json& series) {
  if (!series.is_object()) std::abort();
  const json& v = series.at("values");
  if (!v.is_array() || v.size() > stats::kFastCapacity) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World w;
  const std::string text(reinterpret_cast<const char*>(data), size);
  json params = json::parse(text, nullptr, false);
  if (params.is_discarded()) params = json(text);  // a string: still some params
  // Half the inputs name the tracked peer, so the per-peer paths run too.
  if (size > 0 && data[0] % 2 && params.is_object()) params["peer"] = w.peer.npub();
  const StatsPeerNamer namer = [](const NodeAddr& a) { return StatsPeerInfo{a.hex(), a.short_hex(), true}; };
  if (auto r = show_stats_history_data(w.h, &params, namer)) check(*r);
  if (auto r = show_stats_all_history_data(w.h, &params, namer))
    for (const auto& s : r->at("series")) check(s);
  if (auto r = show_stats_history_all_peers_data(w.h, &params, namer))
    for (const auto& p : r->at("peers")) check(p);
  (void)show_stats_peers_data(w.h, size, namer);
  (void)render_stats_plot(params, "m");
  (void)render_stats_plot(json{{"status", "ok"}, {"data", params}}, "m");
  return 0;
}
