#include "control/queries_stats.h"

#include <algorithm>
#include <cmath>

#include "control/npub_compat.h"

namespace fips {

using nlohmann::json;
using stats::Granularity;

namespace {

json values_json(const std::vector<double>& v) {
  json a = json::array();
  for (double x : v) {
    if (std::isfinite(x)) a.push_back(x);
    else a.push_back(nullptr);  // a gap
  }
  return a;
}

// params.get(key).and_then(as_str): absent, non-object params and non-string
// values all read as "not given".
const std::string* str_param(const json* params, const char* key) {
  if (params == nullptr || !params->is_object()) return nullptr;
  auto it = params->find(key);
  return it != params->end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
}

struct Span {
  uint64_t window_secs = 0;
  Granularity granularity = Granularity::kFast;
};

Result<Span, std::string> window_and_granularity(const json* params) {
  const std::string* w = str_param(params, "window");
  auto window = stats::parse_window(w ? *w : "10m");
  if (!window) return Err{window.error()};
  const std::string* g = str_param(params, "granularity");
  auto gran = stats::parse_granularity(g ? *g : "1s");
  if (!gran) return Err{gran.error()};
  return Span{*window, *gran};
}

Result<NodeAddr, std::string> peer_addr(const std::string& npub) {
  auto id = decode_npub_compat(npub);
  if (!id) return Err{"invalid peer npub: " + id.error()};
  return id->node_addr();
}

json series_json(const stats::MetricInfo& m, Granularity g, const std::vector<double>& v) {
  return json{{"granularity_seconds", stats::seconds(g)},
              {"metric", m.name},
              {"unit", m.unit},
              {"values", values_json(v)}};
}

std::string not_tracked(const NodeAddr& a, const StatsPeerNamer& name) {
  return "peer not tracked in stats history: " + name(a).display_name;
}

// Active peers first, then by display name (stable, as the reference's sort_by).
void sort_peers(json& peers) {
  std::stable_sort(peers.begin(), peers.end(), [](const json& a, const json& b) {
    const bool aa = a["is_active"].get<bool>(), ba = b["is_active"].get<bool>();
    if (aa != ba) return aa;
    return a["display_name"].get_ref<const std::string&>() < b["display_name"].get_ref<const std::string&>();
  });
}

}  // namespace

json show_stats_list_data() {
  json metrics = json::array();
  for (size_t i = 0; i < stats::kMetricCount; ++i) {
    const auto& m = stats::info(static_cast<stats::Metric>(i));
    metrics.push_back({{"name", m.name}, {"scope", "node"}, {"unit", m.unit}});
  }
  for (size_t i = 0; i < stats::kPeerMetricCount; ++i) {
    const auto& m = stats::info(static_cast<stats::PeerMetric>(i));
    metrics.push_back({{"name", m.name}, {"scope", "peer"}, {"unit", m.unit}});
  }
  return json{{"fast_ring_seconds", uint64_t{stats::kFastCapacity}},
              {"metrics", std::move(metrics)},
              {"peer_retention_seconds", stats::kPeerRetentionSecs},
              {"slow_ring_minutes", uint64_t{stats::kSlowCapacity}}};
}

Result<json, std::string> show_stats_history_data(const stats::StatsHistory& h, const json* params,
                                                  const StatsPeerNamer& name) {
  if (params == nullptr) return Err{std::string("missing params for show_stats_history")};
  const std::string* metric = str_param(params, "metric");
  if (metric == nullptr) return Err{std::string("missing 'metric' parameter")};
  auto span = window_and_granularity(params);
  if (!span) return Err{span.error()};
  std::vector<double> v;
  if (const std::string* npub = str_param(params, "peer")) {
    auto addr = peer_addr(*npub);
    if (!addr) return Err{addr.error()};
    auto m = stats::parse_peer_metric(*metric);
    if (!m) return Err{m.error()};
    if (!h.peer_query(*addr, *m, span->window_secs, span->granularity, v))
      return Err{not_tracked(*addr, name)};
    return series_json(stats::info(*m), span->granularity, v);
  }
  auto m = stats::parse_metric(*metric);
  if (!m) return Err{m.error()};
  h.query(*m, span->window_secs, span->granularity, v);
  return series_json(stats::info(*m), span->granularity, v);
}

Result<json, std::string> show_stats_all_history_data(const stats::StatsHistory& h,
                                                      const json* params, const StatsPeerNamer& name) {
  auto span = window_and_granularity(params);
  if (!span) return Err{span.error()};
  const std::string* npub = str_param(params, "peer");
  json series = json::array();
  std::vector<double> v;
  if (npub != nullptr) {
    auto addr = peer_addr(*npub);
    if (!addr) return Err{addr.error()};
    if (!h.has_peer(*addr)) return Err{not_tracked(*addr, name)};
    for (size_t i = 0; i < stats::kPeerMetricCount; ++i) {
      const auto m = static_cast<stats::PeerMetric>(i);
      (void)h.peer_query(*addr, m, span->window_secs, span->granularity, v);
      series.push_back(series_json(stats::info(m), span->granularity, v));
    }
  } else {
    for (size_t i = 0; i < stats::kMetricCount; ++i) {
      const auto m = static_cast<stats::Metric>(i);
      h.query(m, span->window_secs, span->granularity, v);
      series.push_back(series_json(stats::info(m), span->granularity, v));
    }
  }
  return json{{"granularity_seconds", stats::seconds(span->granularity)},
              {"peer", npub ? json(*npub) : json(nullptr)},
              {"series", std::move(series)},
              {"window_seconds", span->window_secs}};
}

Result<json, std::string> show_stats_history_all_peers_data(const stats::StatsHistory& h,
                                                            const json* params,
                                                            const StatsPeerNamer& name) {
  if (params == nullptr) return Err{std::string("missing params for show_stats_history_all_peers")};
  const std::string* metric = str_param(params, "metric");
  if (metric == nullptr) return Err{std::string("missing 'metric' parameter")};
  auto m = stats::parse_peer_metric(*metric);
  if (!m) return Err{m.error()};
  auto span = window_and_granularity(params);
  if (!span) return Err{span.error()};
  json peers = json::array();
  std::vector<double> v;
  for (const auto& t : h.tracked_peers()) {
    (void)h.peer_query(t.addr, *m, span->window_secs, span->granularity, v);
    const StatsPeerInfo p = name(t.addr);
    peers.push_back({{"display_name", p.display_name},
                     {"is_active", p.is_active},
                     {"node_addr", t.addr.hex()},
                     {"values", values_json(v)}});
  }
  sort_peers(peers);
  const auto& mi = stats::info(*m);
  return json{{"granularity_seconds", stats::seconds(span->granularity)},
              {"metric", mi.name},
              {"peers", std::move(peers)},
              {"unit", mi.unit},
              {"window_seconds", span->window_secs}};
}

json show_stats_peers_data(const stats::StatsHistory& h, uint64_t now_ms, const StatsPeerNamer& name) {
  json peers = json::array();
  for (const auto& t : h.tracked_peers()) {
    const StatsPeerInfo p = name(t.addr);
    auto ago = [&](uint64_t ms) { return now_ms > ms ? (now_ms - ms) / 1000 : uint64_t{0}; };
    peers.push_back({{"display_name", p.display_name},
                     {"first_seen_secs_ago", ago(t.first_seen_ms)},
                     {"is_active", p.is_active},
                     {"last_contact_secs_ago", ago(t.last_contact_ms)},
                     {"node_addr", t.addr.hex()},
                     {"npub", p.npub}});
  }
  sort_peers(peers);
  const uint64_t count = peers.size();
  return json{{"count", count}, {"peers", std::move(peers)}};
}

std::map<std::string, std::vector<double>> stats_sparklines(const stats::StatsHistory& h) {
  constexpr size_t kSparkN = 30;  // reference SPARK_N
  using stats::Metric;
  std::map<std::string, std::vector<double>> out;
  for (Metric m : {Metric::kMeshSize, Metric::kTreeDepth, Metric::kPeerCount, Metric::kBytesIn,
                   Metric::kBytesOut, Metric::kLossRate})
    h.recent(m, kSparkN, out[std::string(stats::info(m).name)]);
  return out;
}

}  // namespace fips
