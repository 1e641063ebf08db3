// control/queries_stats: the five metric-history replies byte for byte
// against the reference's snapshots (tests/vectors/control/reference-snapshots,
// empty node, same params as its snapshot tests), then with data: values,
// gaps as null, peer rows and their order, and every error text.
#include "control/queries_stats.h"

#include <gtest/gtest.h>

#include "control/json_out.h"
#include "control/queries.h"
#include "control_test_util.h"
#include "identity/identity.h"

namespace fips {
namespace {

using nlohmann::json;

json ref_data(const std::string& name) {
  return json::parse(test::control_fixture("reference-snapshots/" + name + ".json"))["data"];
}

StatsPeerInfo no_names(const NodeAddr& a) { return {a.hex(), a.short_hex(), false}; }

const json kTenSeconds = {{"granularity", "1s"}, {"window", "10s"}};

TEST(ControlStats, EmptyHistoryMatchesTheReferenceSnapshots) {
  stats::StatsHistory h(4);
  EXPECT_EQ(json_compact(show_stats_list_data()), json_compact(ref_data("show_stats_list")));
  json p = kTenSeconds;
  p["metric"] = "mesh_size";
  EXPECT_EQ(json_compact(*show_stats_history_data(h, &p, no_names)),
            json_compact(ref_data("show_stats_history")));
  EXPECT_EQ(json_compact(*show_stats_all_history_data(h, &kTenSeconds, no_names)),
            json_compact(ref_data("show_stats_all_history")));
  EXPECT_EQ(json_compact(show_stats_peers_data(h, 0, no_names)),
            json_compact(ref_data("show_stats_peers")));
  p["metric"] = "srtt_ms";
  EXPECT_EQ(json_compact(*show_stats_history_all_peers_data(h, &p, no_names)),
            json_compact(ref_data("show_stats_history_all_peers")));
  // show_status.sparklines of a node that has not ticked: six empty arrays.
  StatusSnapshot s;
  for (auto& [k, v] : stats_sparklines(h)) s.sparklines[k] = v;
  EXPECT_EQ(json_compact(show_status_data(s)["sparklines"]),
            json_compact(ref_data("show_status")["sparklines"]));
}

struct Populated : ::testing::Test {
  Identity a = Identity::generate(), b = Identity::generate(), gone = Identity::generate();
  stats::StatsHistory h{8};
  StatsPeerNamer namer = [this](const NodeAddr& x) -> StatsPeerInfo {
    if (x == a.node_addr()) return {a.npub(), "alice", true};
    if (x == b.node_addr()) return {b.npub(), "bob", true};
    return {x.hex(), x.short_hex(), false};
  };
  void SetUp() override {
    for (uint64_t i = 0; i < 5; ++i) {
      stats::NodeSample n;
      n.mesh_size = 3;
      n.bytes_in_total = 1000 * i;
      n.loss_rate = 0.25;
      std::vector<stats::PeerSample> ps(2);
      ps[0].addr = a.node_addr();
      ps[0].srtt_ms = 12.5;
      ps[0].bytes_in_total = 10 * i;
      ps[1].addr = b.node_addr();  // no MMP yet
      if (i < 2) {
        ps.emplace_back();
        ps.back().addr = gone.node_addr();
      }
      h.tick(1000 * i, n, ps);
    }
  }
};

TEST_F(Populated, SeriesCarryValuesAndGapsAsNull) {
  json p = {{"metric", "bytes_in"}, {"window", "6s"}};
  EXPECT_EQ(json_compact(*show_stats_history_data(h, &p, namer)),
            R"({"granularity_seconds":1,"metric":"bytes_in","unit":"bytes/s",)"
            R"("values":[null,0.0,1000.0,1000.0,1000.0,1000.0]})");
  p["peer"] = a.npub();
  EXPECT_EQ(json_compact(*show_stats_history_data(h, &p, namer)),
            R"({"granularity_seconds":1,"metric":"bytes_in","unit":"bytes/s",)"
            R"("values":[null,null,10.0,10.0,10.0,10.0]})");
  p["metric"] = "srtt_ms";
  p["peer"] = b.npub();
  EXPECT_EQ(json_compact((*show_stats_history_data(h, &p, namer))["values"]),
            "[null,null,null,null,null,null]");
  // Defaults: 10 minutes at 1 s.
  json d = {{"metric", "loss_rate"}};
  auto r = show_stats_history_data(h, &d, namer);
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)["values"].size(), 600u);
  EXPECT_EQ((*r)["values"].back(), 0.25);
  // Slow ring: nothing folded yet, 5 minutes of null.
  json slow = {{"metric", "mesh_size"}, {"window", "5m"}, {"granularity", "1m"}};
  EXPECT_EQ(json_compact((*show_stats_history_data(h, &slow, namer))["values"]),
            "[null,null,null,null,null]");
}

TEST_F(Populated, AllHistoryPerNodeAndPerPeer) {
  auto node = show_stats_all_history_data(h, nullptr, namer);
  ASSERT_TRUE(node);
  EXPECT_EQ((*node)["peer"], nullptr);
  EXPECT_EQ((*node)["window_seconds"], 600u);
  ASSERT_EQ((*node)["series"].size(), stats::kMetricCount);
  EXPECT_EQ((*node)["series"][0]["metric"], "mesh_size");
  EXPECT_EQ((*node)["series"][0]["values"].back(), 3.0);
  json p = {{"peer", a.npub()}, {"window", "2s"}};
  auto peer = show_stats_all_history_data(h, &p, namer);
  ASSERT_TRUE(peer);
  EXPECT_EQ((*peer)["peer"], a.npub());
  ASSERT_EQ((*peer)["series"].size(), stats::kPeerMetricCount);
  EXPECT_EQ(json_compact((*peer)["series"][0]),
            R"({"granularity_seconds":1,"metric":"srtt_ms","unit":"ms","values":[12.5,12.5]})");
  EXPECT_EQ((*peer)["series"][6]["metric"], "ecn_ce");
}

TEST_F(Populated, PeerListsPutActivePeersFirstThenByName) {
  const json p = {{"metric", "srtt_ms"}, {"window", "1s"}};
  auto all = show_stats_history_all_peers_data(h, &p, namer);
  ASSERT_TRUE(all);
  const json& ps = (*all)["peers"];
  ASSERT_EQ(ps.size(), 3u);
  EXPECT_EQ(ps[0]["display_name"], "alice");
  EXPECT_EQ(ps[1]["display_name"], "bob");
  EXPECT_EQ(ps[2]["is_active"], false);
  EXPECT_EQ(ps[2]["node_addr"], gone.node_addr().hex());
  EXPECT_EQ(json_compact(ps[0]["values"]), "[12.5]");
  const json peers = show_stats_peers_data(h, 7000, namer);
  EXPECT_EQ(peers["count"], 3u);
  EXPECT_EQ(json_compact(peers["peers"][0]),
            R"({"display_name":"alice","first_seen_secs_ago":7,"is_active":true,)"
            R"("last_contact_secs_ago":3,"node_addr":")" +
                a.node_addr().hex() + R"(","npub":")" + a.npub() + R"("})");
  EXPECT_EQ(peers["peers"][2]["npub"], gone.node_addr().hex());
  EXPECT_EQ(peers["peers"][2]["last_contact_secs_ago"], 6u);
}

TEST_F(Populated, ErrorsAreTheReferencesInItsOrder) {
  auto err = [&](auto fn, const json* p) { return fn(h, p, namer).error(); };
  auto hist = [](auto&&... x) { return show_stats_history_data(x...); };
  auto all = [](auto&&... x) { return show_stats_all_history_data(x...); };
  auto by_peer = [](auto&&... x) { return show_stats_history_all_peers_data(x...); };
  EXPECT_EQ(err(hist, nullptr), "missing params for show_stats_history");
  EXPECT_EQ(err(by_peer, nullptr), "missing params for show_stats_history_all_peers");
  const json none = json::object(), arr = json::array({1}), num = 5;
  EXPECT_EQ(err(hist, &none), "missing 'metric' parameter");
  EXPECT_EQ(err(hist, &arr), "missing 'metric' parameter");
  EXPECT_EQ(err(by_peer, &num), "missing 'metric' parameter");
  const json m7 = {{"metric", 7}};
  EXPECT_EQ(err(hist, &m7), "missing 'metric' parameter");
  json p = {{"metric", "bogus"}, {"window", "5x"}};
  EXPECT_EQ(err(hist, &p), "unknown duration unit: x (expected s, m, h)");
  EXPECT_EQ(err(by_peer, &p), "unknown peer metric: bogus");  // metric checked first there
  p["window"] = "5s";
  p["granularity"] = "1h";
  EXPECT_EQ(err(hist, &p), "unknown granularity: 1h (expected 1s or 1m)");
  EXPECT_EQ(err(all, &p), "unknown granularity: 1h (expected 1s or 1m)");
  p.erase("granularity");
  EXPECT_EQ(err(hist, &p), "unknown metric: bogus");
  p["metric"] = "srtt_ms";
  EXPECT_EQ(err(hist, &p), "unknown metric: srtt_ms");  // a peer metric without a peer
  p["peer"] = "npub1xyz";
  EXPECT_EQ(err(hist, &p).rfind("invalid peer npub: ", 0), 0u);
  EXPECT_EQ(err(all, &p).rfind("invalid peer npub: ", 0), 0u);
  p["peer"] = a.npub();
  p["metric"] = "mesh_size";
  EXPECT_EQ(err(hist, &p), "unknown peer metric: mesh_size");
  const Identity stranger = Identity::generate();
  p["metric"] = "srtt_ms";
  p["peer"] = stranger.npub();
  EXPECT_EQ(err(hist, &p), "peer not tracked in stats history: " + stranger.node_addr().short_hex());
  EXPECT_EQ(err(all, &p), "peer not tracked in stats history: " + stranger.node_addr().short_hex());
  // Non-string window / granularity fall back to the defaults, as serde's as_str.
  json loose = {{"metric", "mesh_size"}, {"window", 5}, {"granularity", nullptr}};
  EXPECT_EQ((*show_stats_history_data(h, &loose, namer))["values"].size(), 600u);
}

TEST_F(Populated, SparklinesAreTheLastThirtyFastSamples) {
  auto sp = stats_sparklines(h);
  ASSERT_EQ(sp.size(), 6u);
  EXPECT_EQ(sp["mesh_size"], (std::vector<double>{3, 3, 3, 3, 3}));
  EXPECT_EQ(sp["bytes_in"], (std::vector<double>{0, 1000, 1000, 1000, 1000}));
  StatusSnapshot s;
  for (auto& [k, v] : sp) s.sparklines[k] = v;
  s.sparklines["loss_rate"][0] = std::nan("");
  EXPECT_EQ(json_compact(show_status_data(s)["sparklines"]["loss_rate"]), "[null,0.25,0.25,0.25,0.25]");
}

}  // namespace
}  // namespace fips
