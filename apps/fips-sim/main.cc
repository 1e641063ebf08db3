// fips-sim: runs many real nodes (link layer, spanning tree, bloom filters,
// lookups, forwarding) in one process over in-memory links on a manual clock
// and prints what a topology does: convergence, reachability, stretch,
// control traffic, memory. Options: fips-sim --help.
// Not here: the measurements themselves (src/sim/scenario.h).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "sim/scenario.h"
#include "util/log.h"

namespace {

using fips::sim::Phase;
using fips::sim::ScenarioConfig;
using fips::sim::ScenarioResult;

void usage(FILE* f) {
  std::fputs(
      "usage: fips-sim --topology line|ring|grid|geometric|scalefree --nodes N [options]\n"
      "  --seed S            deterministic seed (default 1)\n"
      "  --degree D          geometric: mean degree (default 6); scalefree: m edges per node "
      "(default 3)\n"
      "  --latency-ms L      one-way link latency (default 10); LO-HI: each link's latency\n"
      "                      drawn once in [LO, HI] (per-link, from the seed)\n"
      "  --latency-dist D    uniform (default) | distance: with LO-HI, geometric links get\n"
      "                      LO + (HI-LO) * length / radius instead of a uniform draw\n"
      "  --loss P            link loss probability 0..1 (default 0); LO-HI: each link's\n"
      "                      loss drawn once, uniformly in [LO, HI]\n"
      "  --mmp M             link MMP mode of every node: full (default) | minimal (no\n"
      "                      reports: no SRTT, every link cost 1.0, i.e. no cost-aware\n"
      "                      parent selection or next-hop ranking; the baseline)\n"
      "  --mtu M             transport MTU (default 1280; bounds TreeAnnounce size = tree depth)\n"
      "  --pairs K|all       reachability pairs after convergence (default: all ordered pairs\n"
      "                      when N <= 100, else a fixed sample of 10000)\n"
      "  --phase-pairs K     pairs sampled after each failure phase (default 1000, 0 = none)\n"
      "  --wave W            concurrent lookups (default 200)\n"
      "  --scenario S[,S..]  failure schedule after the initial convergence, run in order:\n"
      "                      link-fail|root-loss|churn|partition, or converge (none) or all\n"
      "                      (default converge). Each step fails, reconverges, measures,\n"
      "                      repairs, reconverges, measures.\n"
      "  --fail-links K      link-fail: K random non-bridge links go down (default 10)\n"
      "  --fail-nodes K      churn: K random nodes die, then revive (default: --churn)\n"
      "  --churn F           churn: fraction of nodes killed (default 0.1)\n"
      "  --stable-s T        before the quiet window, run until no parent switch for T s\n"
      "                      (default 65, 0 = skip; at most 600 s)\n"
      "  --quiet-s T         steady-state measurement window (default 120)\n"
      "  --check-blooms 0|1  count tree/bloom disagreements after each phase, O(n^2)\n"
      "                      (default 1 when N <= 1000)\n"
      "  --json              JSON instead of the markdown table\n"
      "  --verbose           progress on stderr\n"
      "  --log-level L       node log level (default error)\n",
      f);
}

std::string secs(bool ok, uint64_t ms) {
  if (!ok) return "timeout";
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", static_cast<double>(ms) / 1000.0);
  return b;
}

std::string failures(const fips::sim::ReachStats& r) {
  std::string s;
  auto add = [&](const char* name, size_t v) {
    if (!v) return;
    if (!s.empty()) s += ", ";
    s += std::string(name) + " " + std::to_string(v);
  };
  add("bloom_miss", r.bloom_miss);
  add("zero_fanout", r.zero_fanout);
  add("refused", r.other_refused);
  add("lookup_timeout", r.lookup_timeout);
  if (r.lookup_timeout_beyond_ttl)
    s += " (" + std::to_string(r.lookup_timeout_beyond_ttl) + " with tree distance > lookup ttl)";
  add("no_route", r.send_no_route);
  add("send_err", r.send_other);
  add("undelivered", r.undelivered);
  return s.empty() ? "-" : s;
}

void print_table(const ScenarioConfig& c, const ScenarioResult& r) {
  std::printf("## fips-sim: %s, %zu nodes, seed %llu\n\n", r.topology.c_str(), r.nodes,
              static_cast<unsigned long long>(c.seed));
  std::printf("topology: %zu edges, mean degree %.2f, max degree %zu, diameter ~%u, %zu bridges",
              r.edges, r.mean_degree, r.max_degree, r.diameter, r.bridges);
  if (r.topology == "geometric")
    std::printf(", radius %.4f, %zu repair edges", r.radius, r.repair_edges);
  std::printf("\nlinks: latency %llu", static_cast<unsigned long long>(c.latency_ms));
  if (c.latency_max_ms > c.latency_ms)
    std::printf("-%llu (%s per link)", static_cast<unsigned long long>(c.latency_max_ms),
                c.latency_dist == ScenarioConfig::LatencyDist::kDistance ? "by length" : "uniform");
  std::printf(" ms, loss %.3f", c.loss);
  if (c.loss_max > c.loss) std::printf("-%.3f (uniform per link)", c.loss_max);
  std::printf(", mtu %u, link MMP %s\n\n", c.mtu, fips::mmp::mode_name(c.node.link.mmp_mode));
  std::printf(
      "| phase | detail | live | comps | max depth | bloom gaps | converged s | links s | bloom "
      "settled s | last switch s | "
      "pairs | found %% | delivered %% | lookup p50/p99 ms | stretch p50/p99/max | hops/shortest | "
      "latency stretch p50/p99/max | path/best ms | failures | sim s | cpu s |\n");
  std::printf(
      "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const auto& p : r.phases) {
    std::printf("| %s | %s | %zu | %zu | %zu | %s | %s | %s | %s | %.1f |", p.name.c_str(),
                p.detail.c_str(), p.conv.live_nodes, p.conv.components, p.conv.max_depth,
                p.conv.bloom_gaps ? std::to_string(*p.conv.bloom_gaps).c_str() : "-",
                secs(p.conv.converged, p.conv.converged_ms).c_str(),
                secs(p.conv.links_settled, p.conv.links_ms).c_str(),
                secs(p.conv.bloom_settled, p.conv.bloom_ms).c_str(),
                static_cast<double>(p.conv.last_parent_switch_ms) / 1000.0);
    if (p.reach) {
      const auto& q = *p.reach;
      std::printf(" %zu | %.2f | %.2f | %.0f/%.0f | %.2f/%.2f/%.2f | %.2f/%.2f | %.2f/%.2f/%.2f | "
                  "%.1f/%.1f | %s |",
                  q.pairs, 100.0 * q.found_ratio(), 100.0 * q.delivered_ratio(), q.latency_p50_ms,
                  q.latency_p99_ms, q.stretch_p50, q.stretch_p99, q.stretch_max, q.hops_mean,
                  q.shortest_mean, q.lat_stretch_p50, q.lat_stretch_p99, q.lat_stretch_max,
                  q.path_ms_mean, q.best_ms_mean, failures(q).c_str());
    } else {
      std::printf(" - | - | - | - | - | - | - | - | - |");
    }
    std::printf(" %.1f | %.1f |\n", static_cast<double>(p.sim_ms) / 1000.0, p.cpu_s);
  }
  if (c.stable_ms == 0)
    std::printf("\ntree optimisation: not followed (--stable-s 0)\n");
  else
    std::printf(
        "\ntree optimisation: last parent switch at %.1f s%s (periodic re-evaluation every 60 s), "
        "%llu FilterAnnounces after the bloom settled\n",
        static_cast<double>(r.tree_stable_ms) / 1000.0, r.tree_stable ? "" : " (still switching)",
        static_cast<unsigned long long>(r.stabilise_filter_announces));
  if (r.parent_link_ms_mean > 0)
    std::printf(
        "tree: root path latency / lowest-latency path to the root p50 %.2f, p99 %.2f; parent "
        "links %.1f ms mean (all links %.1f ms), parent link cost %.2f mean, %.1f %% of parents "
        "measured (SRTT)\n",
        r.tree_root_stretch_p50, r.tree_root_stretch_p99, r.parent_link_ms_mean, r.link_ms_mean,
        r.parent_cost_mean, 100.0 * r.parent_measured);
  std::printf(
      "steady state (%.0f s quiet window after that): %.1f bytes/node/s, %.2f packets/node/s, "
      "%.4f TreeAnnounce/node/s, %.4f FilterAnnounce/node/s\n",
      static_cast<double>(r.quiet_ms) / 1000.0, r.control_bytes_per_node_s,
      r.control_packets_per_node_s, r.tree_announces_per_node_s, r.filter_announces_per_node_s);
  std::printf(
      "memory: VmRSS growth %.1f KiB/node while building + converging (VmRSS %.0f MiB, peak %.0f "
      "MiB)\n",
      r.rss_per_node_bytes / 1024.0, r.rss_total_mib, r.peak_rss_mib);
  std::printf(
      "work (live nodes at the end): %llu handshakes, %llu TreeAnnounce received (%llu accepted), "
      "%llu FilterAnnounce received (%llu over the inbound fill cap), %llu lookup attempts, %llu "
      "datagrams forwarded\n",
      static_cast<unsigned long long>(r.handshakes),
      static_cast<unsigned long long>(r.tree_received),
      static_cast<unsigned long long>(r.tree_accepted),
      static_cast<unsigned long long>(r.filters_received),
      static_cast<unsigned long long>(r.filters_fill_exceeded),
      static_cast<unsigned long long>(r.lookups_initiated),
      static_cast<unsigned long long>(r.datagrams_forwarded));
  std::printf("harness: buffer pool exhausted %llu, network queue full %llu\n",
              static_cast<unsigned long long>(r.pool_exhausted),
              static_cast<unsigned long long>(r.net_queue_full));
  std::printf("time: %.1f s simulated, %.1f s wall, %.1f s cpu (build %.1f s wall)\n\n",
              static_cast<double>(r.sim_ms) / 1000.0, r.wall_s, r.cpu_s, r.build_wall_s);
}

nlohmann::json to_json(const ScenarioConfig& c, const ScenarioResult& r) {
  using nlohmann::json;
  json phases = json::array();
  for (const auto& p : r.phases) {
    json j = {{"name", p.name},
              {"detail", p.detail},
              {"live_nodes", p.conv.live_nodes},
              {"components", p.conv.components},
              {"max_depth", p.conv.max_depth},
              {"bloom_gaps", p.conv.bloom_gaps ? json(*p.conv.bloom_gaps) : json(nullptr)},
              {"converged", p.conv.converged},
              {"converged_ms", p.conv.converged_ms},
              {"links_settled", p.conv.links_settled},
              {"links_ms", p.conv.links_ms},
              {"bloom_settled", p.conv.bloom_settled},
              {"bloom_ms", p.conv.bloom_ms},
              {"last_parent_switch_ms", p.conv.last_parent_switch_ms},
              {"sim_ms", p.sim_ms},
              {"wall_s", p.wall_s},
              {"cpu_s", p.cpu_s}};
    if (p.reach) {
      const auto& q = *p.reach;
      j["reach"] = {{"pairs", q.pairs},
                    {"lookup_found", q.lookup_found},
                    {"delivered", q.delivered},
                    {"bloom_miss", q.bloom_miss},
                    {"zero_fanout", q.zero_fanout},
                    {"refused", q.other_refused},
                    {"lookup_timeout", q.lookup_timeout},
                    {"lookup_timeout_beyond_ttl", q.lookup_timeout_beyond_ttl},
                    {"send_no_route", q.send_no_route},
                    {"send_other", q.send_other},
                    {"undelivered", q.undelivered},
                    {"wrong_hops", q.wrong_hops},
                    {"latency_p50_ms", q.latency_p50_ms},
                    {"latency_p99_ms", q.latency_p99_ms},
                    {"latency_max_ms", q.latency_max_ms},
                    {"hops_mean", q.hops_mean},
                    {"shortest_mean", q.shortest_mean},
                    {"stretch_p50", q.stretch_p50},
                    {"stretch_p99", q.stretch_p99},
                    {"stretch_max", q.stretch_max},
                    {"stretch_mean", q.stretch_mean},
                    {"stretch_one", q.stretch_one},
                    {"latency_stretch_p50", q.lat_stretch_p50},
                    {"latency_stretch_p99", q.lat_stretch_p99},
                    {"latency_stretch_max", q.lat_stretch_max},
                    {"latency_stretch_mean", q.lat_stretch_mean},
                    {"path_ms_mean", q.path_ms_mean},
                    {"best_ms_mean", q.best_ms_mean}};
    }
    phases.push_back(std::move(j));
  }
  return {{"topology", r.topology},
          {"nodes", r.nodes},
          {"seed", c.seed},
          {"latency_ms", c.latency_ms},
          {"latency_max_ms", c.latency_max_ms},
          {"latency_dist",
           c.latency_dist == ScenarioConfig::LatencyDist::kDistance ? "distance" : "uniform"},
          {"loss", c.loss},
          {"loss_max", c.loss_max},
          {"mmp", fips::mmp::mode_name(c.node.link.mmp_mode)},
          {"mtu", c.mtu},
          {"edges", r.edges},
          {"mean_degree", r.mean_degree},
          {"max_degree", r.max_degree},
          {"diameter_estimate", r.diameter},
          {"bridges", r.bridges},
          {"radius", r.radius},
          {"repair_edges", r.repair_edges},
          {"phases", phases},
          {"tree_stable_ms", r.tree_stable_ms},
          {"tree_stable", r.tree_stable},
          {"stabilise_filter_announces", r.stabilise_filter_announces},
          {"tree_root_stretch_p50", r.tree_root_stretch_p50},
          {"tree_root_stretch_p99", r.tree_root_stretch_p99},
          {"parent_link_ms_mean", r.parent_link_ms_mean},
          {"link_ms_mean", r.link_ms_mean},
          {"parent_cost_mean", r.parent_cost_mean},
          {"parent_measured", r.parent_measured},
          {"quiet_ms", r.quiet_ms},
          {"control_bytes_per_node_s", r.control_bytes_per_node_s},
          {"control_packets_per_node_s", r.control_packets_per_node_s},
          {"tree_announces_per_node_s", r.tree_announces_per_node_s},
          {"filter_announces_per_node_s", r.filter_announces_per_node_s},
          {"rss_per_node_bytes", r.rss_per_node_bytes},
          {"rss_total_mib", r.rss_total_mib},
          {"peak_rss_mib", r.peak_rss_mib},
          {"pool_exhausted", r.pool_exhausted},
          {"net_queue_full", r.net_queue_full},
          {"handshakes", r.handshakes},
          {"tree_received", r.tree_received},
          {"tree_accepted", r.tree_accepted},
          {"filters_received", r.filters_received},
          {"filters_fill_exceeded", r.filters_fill_exceeded},
          {"lookups_initiated", r.lookups_initiated},
          {"datagrams_forwarded", r.datagrams_forwarded},
          {"sim_ms", r.sim_ms},
          {"wall_s", r.wall_s},
          {"cpu_s", r.cpu_s},
          {"build_wall_s", r.build_wall_s}};
}

bool parse_scenario(std::string_view list, ScenarioConfig& c) {
  c.phases = {Phase::kConverge};
  while (!list.empty()) {
    const size_t comma = list.find(',');
    const std::string_view s = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    if (s == "converge") continue;
    if (s == "link-fail")
      c.phases.push_back(Phase::kLinkFail);
    else if (s == "root-loss")
      c.phases.push_back(Phase::kRootLoss);
    else if (s == "churn")
      c.phases.push_back(Phase::kChurn);
    else if (s == "partition")
      c.phases.push_back(Phase::kPartition);
    else if (s == "all")
      c.phases.insert(c.phases.end(),
                      {Phase::kLinkFail, Phase::kRootLoss, Phase::kChurn, Phase::kPartition});
    else
      return false;
  }
  return true;
}

// "L" or "LO-HI".
bool parse_latency(const char* v, ScenarioConfig& c) {
  char* end = nullptr;
  c.latency_ms = std::strtoull(v, &end, 10);
  c.latency_max_ms = 0;
  if (end == v) return false;
  if (*end == '-') {
    const char* hi = end + 1;
    c.latency_max_ms = std::strtoull(hi, &end, 10);
    if (end == hi || c.latency_max_ms < c.latency_ms) return false;
  }
  return *end == '\0';
}

}  // namespace

int main(int argc, char** argv) {
  ScenarioConfig c;
  bool json = false, have_topology = false, have_nodes = false, have_degree = false,
       have_check_blooms = false;
  fips::LogLevel level = fips::LogLevel::kError;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto val = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "fips-sim: %s needs a value\n", argv[i]);
        std::exit(2);
      }
      return argv[++i];
    };
    auto num = [&]() { return std::strtod(val(), nullptr); };
    auto count = [&]() { return static_cast<size_t>(std::strtoull(val(), nullptr, 10)); };
    if (a == "--help" || a == "-h") {
      usage(stdout);
      return 0;
    } else if (a == "--topology") {
      auto k = fips::sim::parse_topology(val());
      if (!k) {
        usage(stderr);
        return 2;
      }
      c.topology = *k;
      have_topology = true;
    } else if (a == "--nodes") {
      c.nodes = count();
      have_nodes = true;
    } else if (a == "--seed") {
      c.seed = std::strtoull(val(), nullptr, 10);
    } else if (a == "--degree") {
      c.degree = num();
      have_degree = true;
    } else if (a == "--latency-ms") {
      if (!parse_latency(val(), c)) {
        usage(stderr);
        return 2;
      }
    } else if (a == "--latency-dist") {
      const std::string_view v = val();
      if (v == "uniform") {
        c.latency_dist = ScenarioConfig::LatencyDist::kUniform;
      } else if (v == "distance") {
        c.latency_dist = ScenarioConfig::LatencyDist::kDistance;
      } else {
        usage(stderr);
        return 2;
      }
    } else if (a == "--loss") {
      const char* v = val();
      char* end = nullptr;
      c.loss = std::strtod(v, &end);
      c.loss_max = 0;
      if (end && *end == '-') c.loss_max = std::strtod(end + 1, nullptr);
    } else if (a == "--mmp") {
      const std::string_view v = val();
      if (v == "full") {
        c.node.link.mmp_mode = fips::mmp::Mode::kFull;
      } else if (v == "minimal") {
        c.node.link.mmp_mode = fips::mmp::Mode::kMinimal;
      } else {
        usage(stderr);
        return 2;
      }
    } else if (a == "--mtu") {
      c.mtu = static_cast<uint16_t>(std::min<size_t>(65535, count()));
    } else if (a == "--pairs") {
      const char* v = val();
      c.pairs = std::string_view(v) == "all" ? SIZE_MAX
                                             : static_cast<size_t>(std::strtoull(v, nullptr, 10));
    } else if (a == "--phase-pairs") {
      c.phase_pairs = count();
    } else if (a == "--wave") {
      c.wave = std::max<size_t>(1, count());
    } else if (a == "--scenario") {
      if (!parse_scenario(val(), c)) {
        usage(stderr);
        return 2;
      }
    } else if (a == "--fail-links") {
      c.fail_links = count();
    } else if (a == "--fail-nodes") {
      c.fail_nodes = count();
    } else if (a == "--churn") {
      c.churn_fraction = num();
    } else if (a == "--stable-s") {
      c.stable_ms = static_cast<uint64_t>(num() * 1000.0);
    } else if (a == "--quiet-s") {
      c.quiet_ms = static_cast<uint64_t>(num() * 1000.0);
    } else if (a == "--check-blooms") {
      c.check_blooms = std::string_view(val()) != "0";
      have_check_blooms = true;
    } else if (a == "--json") {
      json = true;
    } else if (a == "--verbose") {
      c.verbose = true;
    } else if (a == "--log-level") {
      if (!fips::parse_log_level(val(), level)) {
        usage(stderr);
        return 2;
      }
    } else {
      std::fprintf(stderr, "fips-sim: unknown option %s\n", argv[i]);
      usage(stderr);
      return 2;
    }
  }
  if (!have_topology || !have_nodes || c.nodes < 2 || !(c.loss >= 0.0 && c.loss <= 1.0) ||
      !(c.loss_max == 0.0 || (c.loss_max >= c.loss && c.loss_max <= 1.0)) ||
      !(c.churn_fraction >= 0.0 && c.churn_fraction <= 1.0)) {
    usage(stderr);
    return 2;
  }
  if (!have_degree && c.topology == fips::sim::TopologyKind::kScaleFree) c.degree = 3;
  if (!have_check_blooms) c.check_blooms = c.nodes <= 1000;
  fips::set_log_level(level);
  const ScenarioResult r = fips::sim::run_scenario(c);
  if (json)
    std::printf("%s\n", to_json(c, r).dump(2).c_str());
  else
    print_table(c, r);
  return 0;
}
