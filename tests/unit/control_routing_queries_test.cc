// show_tree / show_bloom / show_routing / show_cache / show_identity_cache /
// show_metrics built from the routing cores' snapshot structs: filled with
// the fixture scenario's values they must reproduce the fixture wire lines
// and fipsctl output byte for byte; the real cores' empty snapshots must
// reproduce the reference's empty-node schema pins.
#include <gtest/gtest.h>

#include "control/json_out.h"
#include "control/queries.h"
#include "control/queries_routing.h"
#include "control_test_util.h"
#include "util/hex.h"
#include "util/rng.h"

namespace fips {
namespace {

using nlohmann::json;

// Scenario identities (tests/vectors/control/identities.txt).
constexpr const char* kA = "dfc8d72edbd5fab7902ff4398abfdb64";
constexpr const char* kB = "353f7b543b42fc70980ee332e3fde5c9";
constexpr const char* kC = "70ab8c8f23cee388165c97737be4c5f8";
constexpr const char* kD = "be996fa1fd2c6c97720ad4ba4d256c28";
constexpr const char* kE = "b08b65347bf16465c10688d23347d69f";
constexpr const char* kF = "ac23e8419fbda96ea1054c1f4c10f381";
constexpr const char* kB_npub = "npub194hlyn0ulmwu42emr8ktdfuhjdl4chfaxuaemurwc6z5jmg82s3s4ukcj9";
constexpr const char* kC_npub = "npub1a3k5nxh064qwjq6h7yqy5ymqf8gl0h66mxwyf3rw8m2pd8jq4jmq4hfuaa";
constexpr const char* kD_npub = "npub1w92sumyr4yup7dw9drg6srs3lglqalyhmlgwput5j23wmdjvx75slcc575";
constexpr const char* kE_npub = "npub1qkz03k5ysqxez6p0y2wnwnd5ean4hdmjzzxmjgqd7enad2n7vatss2uv9a";
constexpr const char* kF_npub = "npub1j6hfckec4h29yyj4t70dqw0jc0e0hfnwnmxn6akjsartptfa7kjscwmx7x";
constexpr uint64_t kNow = 1767225600000;

NodeAddr addr(const char* hex) {
  NodeAddr a;
  EXPECT_TRUE(from_hex_into(hex, a.bytes)) << hex;
  return a;
}

// The node's display-name resolution for the scenario: aliases for B and E,
// short npubs for the others; A (us) is left to the short-hex fallback.
DisplayNames scenario_names() {
  return {{addr(kB), "node-b"},
          {addr(kC), "npub1a3k5...fuaa"},
          {addr(kD), "npub1w92s...c575"},
          {addr(kE), "node-e"},
          {addr(kF), "npub1j6hf...mx7x"}};
}

void expect_fixture(const json& data, const std::string& name) {
  EXPECT_EQ(ok_response_line(data), test::control_fixture(name + ".wire.json")) << name;
  EXPECT_EQ(json_pretty(data) + "\n", test::control_fixture(name + ".fipsctl.txt")) << name;
}

routing::ForwardingCounters scenario_forwarding() {
  routing::ForwardingCounters f;
  f.received_packets = 58965;
  f.received_bytes = 12871530;
  f.delivered_packets = 40112;
  f.delivered_bytes = 9988001;
  f.originated_packets = 38020;
  f.originated_bytes = 7402213;
  f.forwarded_packets = 17501;
  f.forwarded_bytes = 2923101;
  f.route_direct_peer = 30110;
  f.route_tree_up = 20001;
  f.route_tree_down = 5410;
  return f;
}

TEST(ControlRoutingQueries, ShowTreeGolden) {
  stp::TreeSnapshot t;
  t.my_node_addr = addr(kA);
  t.root = addr(kB);
  t.is_root = false;
  t.depth = 1;
  t.my_coords = {addr(kA), addr(kB)};
  t.parent = addr(kB);
  t.declaration_sequence = 7;
  t.declaration_signed = true;
  t.peer_tree_count = 2;
  t.peers.push_back({addr(kB), {addr(kB)}, 0, addr(kB), 1});
  t.peers.push_back({addr(kC), {addr(kC), addr(kA), addr(kB)}, 2, addr(kB), 1});
  t.stats.received = 812;
  t.stats.accepted = 790;
  t.stats.stale = 11;
  t.stats.rate_limited = 11;
  t.stats.sent = 801;
  t.stats.parent_switches = 1;
  // distance_to_us is what the tree core computes from the coordinates.
  EXPECT_EQ(tree_distance(t.my_coords, t.peers[1].coords), 1u);
  expect_fixture(show_tree_data(t, {kB_npub, scenario_names()}), "show_tree");
}

TEST(ControlRoutingQueries, TreePeerWithoutCoordsAndUnknownRoot) {
  stp::TreeSnapshot t;
  t.peers.push_back({addr(kC), {}, 0, NodeAddr{}, 0});
  t.peers.push_back({addr(kB), {addr(kB)}, 0, addr(kB), UINT64_MAX});
  const json j = show_tree_data(t, {});
  EXPECT_TRUE(j.at("root_npub").is_null());
  EXPECT_EQ(json_compact(j.at("peers")[0]),
            R"({"display_name":"70ab8c8f...","node_addr":"70ab8c8f23cee388165c97737be4c5f8"})");
  // Rooted elsewhere: usize::MAX as the reference prints it.
  EXPECT_NE(json_compact(j.at("peers")[1]).find(R"("distance_to_us":18446744073709551615)"),
            std::string::npos);
  EXPECT_EQ(j.at("parent_display_name"), "00000000...");
}

TEST(ControlRoutingQueries, ShowBloomGolden) {
  bloom::BloomSnapshot b;
  b.own_node_addr = addr(kA);
  b.sequence = 12;
  bloom::PeerFilterRow rb;
  rb.peer = addr(kB);
  rb.has_filter = true;
  rb.filter_sequence = 9;
  rb.set_bits = 15;
  rb.fill_ratio = 15.0 / 8192.0;
  rb.estimated_count = bloom::estimate_count_from_ones(15, 8192, 5, 0.2);
  bloom::PeerFilterRow rc;
  rc.peer = addr(kC);
  rc.has_filter = true;
  rc.filter_sequence = 4;
  rc.set_bits = 5;
  rc.fill_ratio = 5.0 / 8192.0;
  rc.estimated_count = bloom::estimate_count_from_ones(5, 8192, 5, 0.2);
  b.peer_filters = {rb, rc};
  b.uptree_fill_ratio = 10.0 / 8192.0;
  b.uptree_estimated_count = bloom::estimate_count_from_ones(10, 8192, 5, 0.2);
  b.stats.received = 64;
  b.stats.accepted = 60;
  b.stats.stale = 4;
  b.stats.sent = 58;
  b.stats.debounce_suppressed = 21;
  expect_fixture(show_bloom_data(b, scenario_names()), "show_bloom");
}

TEST(ControlRoutingQueries, BloomRowWithoutFilterAndNullEstimate) {
  bloom::BloomSnapshot b;
  bloom::PeerFilterRow none;  // no FilterAnnounce yet: the filter keys are absent
  none.peer = addr(kD);
  bloom::PeerFilterRow full;  // filter held, estimate refused (above the FPR cap)
  full.peer = addr(kE);
  full.has_filter = true;
  full.filter_sequence = 3;
  full.set_bits = 8192;
  full.fill_ratio = 1.0;
  b.peer_filters = {none, full};
  const json j = show_bloom_data(b, scenario_names());
  EXPECT_EQ(json_compact(j.at("peer_filters")),
            R"([{"display_name":"npub1w92s...c575","filter_sequence":0,"has_filter":false,)"
            R"("peer":"be996fa1fd2c6c97720ad4ba4d256c28"},)"
            R"({"display_name":"node-e","estimated_count":null,"fill_ratio":1.0,)"
            R"("filter_sequence":3,"has_filter":true,"peer":"b08b65347bf16465c10688d23347d69f",)"
            R"("set_bits":8192}])");
}

TEST(ControlRoutingQueries, ShowRoutingGolden) {
  lookup::LookupSnapshot l;
  l.pending_lookups.push_back({addr(kF), kNow - 1500, kNow - 500, 2, 1500});
  l.recent_requests = 2;
  lookup::LookupCounters lc;
  lc.req_received = 41;
  lc.req_forwarded = 22;
  lc.req_deduplicated = 6;
  lc.req_initiated = 3;
  lc.resp_received = 2;
  lc.resp_accepted = 2;
  RoutingQueryExtras x;
  x.display_names = scenario_names();
  x.coord_cache_entries = 1;
  x.identity_cache_entries = 5;
  x.pending_tun_destinations = 1;
  x.pending_tun_packets = 3;
  x.retries.push_back({addr(kE), 2, kNow + 13000, true});
  expect_fixture(show_routing_data(l, lc, scenario_forwarding(), x), "show_routing");
}

TEST(ControlRoutingQueries, ShowCacheGolden) {
  CoordCacheSnapshot c;
  c.count = 1;
  c.max_entries = 50000;
  c.fill_ratio = 1.0 / 50000.0;
  c.default_ttl_ms = 300000;
  c.avg_age_ms = 41200;
  c.entries.push_back({addr(kD), {addr(kD), addr(kB)}, 41200, kNow - 420, uint16_t{1203}});
  expect_fixture(show_cache_data(c, scenario_names()), "show_cache");

  c.entries[0].path_mtu.reset();  // not learned by discovery: key absent
  EXPECT_FALSE(show_cache_data(c, {}).at("entries")[0].contains("path_mtu"));
}

TEST(ControlRoutingQueries, ShowIdentityCacheGolden) {
  IdentityCacheSnapshot s;
  s.max_entries = 10000;
  // Fixture row order (the builder keeps the snapshot's order).
  const std::pair<const char*, const char*> ids[] = {
      {kB, kB_npub}, {kC, kC_npub}, {kD, kD_npub}, {kE, kE_npub}, {kF, kF_npub}};
  const uint64_t ages[] = {180, 950, 420, 3599995, 1500};
  for (size_t i = 0; i < 5; ++i) {
    const NodeAddr a = addr(ids[i].first);
    s.entries.push_back(
        {a, ids[i].second, FipsAddress::from_node_addr(a).str(), kNow - ages[i], ages[i]});
  }
  s.count = s.entries.size();
  expect_fixture(show_identity_cache_data(s, scenario_names()), "show_identity_cache");
}

// Each of the 26 names carries the field of the same name.
TEST(ControlRoutingQueries, ForwardingJsonMapsEveryField) {
  routing::ForwardingCounters f;
  uint64_t v = 0;
  for (uint64_t* p :
       {&f.decode_error_bytes,      &f.decode_error_packets,    &f.delivered_bytes,
        &f.delivered_packets,       &f.drop_mtu_exceeded_bytes, &f.drop_mtu_exceeded_packets,
        &f.drop_no_route_bytes,     &f.drop_no_route_packets,   &f.drop_send_error_bytes,
        &f.drop_send_error_packets, &f.forwarded_bytes,         &f.forwarded_packets,
        &f.originated_bytes,        &f.originated_packets,      &f.received_bytes,
        &f.received_packets,        &f.route_crosslink_ascend,  &f.route_crosslink_descend,
        &f.route_direct_peer,       &f.route_tree_down,         &f.route_tree_down_cross,
        &f.route_tree_up,           &f.ttl_exhausted_bytes,     &f.ttl_exhausted_packets,
        &f.warm_malformed_bytes,    &f.warm_malformed_packets})
    *p = ++v;
  const json j = forwarding_json(f);
  ASSERT_EQ(j.size(), kForwardingCounters.size());
  // kForwardingCounters is sorted, as is the list above: k-th name = k.
  for (size_t k = 0; k < kForwardingCounters.size(); ++k)
    EXPECT_EQ(j.at(std::string(kForwardingCounters[k])), k + 1) << kForwardingCounters[k];
}

TEST(ControlRoutingQueries, ShowMetricsShape) {
  routing::ForwardingCounters f = scenario_forwarding();
  lookup::LookupCounters lc;
  lc.resp_timed_out = 4;
  stp::TreeCounters tc;
  tc.flap_dampened = 5;
  bloom::BloomCounters bc;
  bc.fill_exceeded = 6;
  LinkCounters link;
  link.drop(LinkDrop::kReplay);
  link.drop(LinkDrop::kReplay);
  link.drop(LinkDrop::kSendFailed);
  link.frames_in = 7;
  link.disconnects_sent = 8;
  MetricsExtras x;
  x.errors.unbound_forged = 9;
  x.congestion.kernel_drop_events = 10;
  x.native.drop_oversize = 11;
  const json j = show_metrics_data(f, lc, tc, bc, link, x);

  std::vector<std::string> families;
  for (const auto& [k, _] : j.items()) families.push_back(k);
  EXPECT_EQ(families, (std::vector<std::string>{"bloom", "congestion", "discovery", "errors",
                                                "forwarding", "link", "lookup", "native", "tree"}));
  EXPECT_EQ(j.at("forwarding"), forwarding_json(f));
  EXPECT_EQ(j.at("discovery"), j.at("lookup"));
  EXPECT_EQ(j.at("lookup").size(), 22u);
  EXPECT_EQ(j.at("lookup").at("resp_timed_out"), 4);
  EXPECT_EQ(j.at("tree").size(), 17u);
  EXPECT_EQ(j.at("tree").at("flap_dampened"), 5);
  EXPECT_EQ(j.at("bloom").size(), 11u);
  EXPECT_EQ(j.at("bloom").at("fill_exceeded"), 6);
  EXPECT_EQ(j.at("errors").size(), 10u);
  EXPECT_EQ(j.at("errors").at("unbound_forged"), 9);
  EXPECT_EQ(j.at("congestion").at("kernel_drop_events"), 10);
  EXPECT_EQ(json_compact(j.at("native")),
            R"({"drop_arrival_queue_full":0,"drop_backlog_full":0,"drop_flow_queue_full":0,)"
            R"("drop_listener_gone":0,"drop_listener_not_reading":0,"drop_no_port":0,)"
            R"("drop_oversize":11,"drop_pending_queue_full":0,"drop_too_many_flows":0,)"
            R"("flows_accepted":0,"flows_closed":0,"flows_expired":0,"flows_opened":0,)"
            R"("received_bytes":0,"received_datagrams":0,"sent_bytes":0,"sent_datagrams":0})");
  // link (ours): one key per drop reason plus the 17 scalar counters.
  const json& lj = j.at("link");
  EXPECT_EQ(lj.size(), static_cast<size_t>(LinkDrop::kCount) + 17);
  EXPECT_EQ(lj.at("replay"), 2);
  EXPECT_EQ(lj.at("send_failed"), 1);
  EXPECT_EQ(lj.at("too_short"), 0);
  EXPECT_EQ(lj.at("frames_in"), 7);
  EXPECT_EQ(lj.at("disconnects_sent"), 8);
  for (size_t i = 0; i < static_cast<size_t>(LinkDrop::kCount); ++i)
    EXPECT_TRUE(lj.contains(link_drop_name(static_cast<LinkDrop>(i))));
  EXPECT_FALSE(lj.contains("unknown"));
}

// The real cores' empty state renders as the reference's empty node (seed
// 0xAB x 32): tree / bloom / routing / cache / identity_cache schema pins.
TEST(ControlRoutingQueries, EmptyCoresMatchReferenceSnapshots) {
  auto sk =
      Identity::from_secret_str("abababababababababababababababababababababababababababababababab");
  ASSERT_TRUE(sk.ok());
  const Identity& me = *sk;
  ASSERT_EQ(me.node_addr().hex(), "1b4788b7ab7a436a611fc59fb1e34c6e");

  auto ref = [](const std::string& name) {
    return json::parse(test::control_fixture("reference-snapshots/" + name + ".json"))["data"];
  };
  auto same = [](const json& got, const json& want, const char* name) {
    EXPECT_EQ(json_pretty(got), json_pretty(want)) << name;
  };

  stp::TreeState tree(me, stp::TreeConfig{}, 1767225600);
  same(show_tree_data(tree.snapshot(), {me.npub(), {}}), ref("show_tree"), "show_tree");

  bloom::BloomState bloom(me.node_addr(), bloom::BloomParams{});
  same(show_bloom_data(bloom.snapshot(std::nullopt), {}), ref("show_bloom"), "show_bloom");

  CoordCache coords(50000, 300000);
  same(show_cache_data(coords.snapshot(0, kNow), {}), ref("show_cache"), "show_cache");

  IdentityCache ids(10000);
  same(show_identity_cache_data(ids.snapshot(0, kNow), {}), ref("show_identity_cache"),
       "show_identity_cache");

  Rng rng(1);
  lookup::LookupCore lookup(me, lookup::LookupParams{}, rng);
  RoutingQueryExtras x;
  x.coord_cache_entries = coords.size();
  x.identity_cache_entries = ids.size();
  same(show_routing_data(lookup.snapshot(0, kNow), lookup.counters(), {}, x), ref("show_routing"),
       "show_routing");
}

}  // namespace
}  // namespace fips
