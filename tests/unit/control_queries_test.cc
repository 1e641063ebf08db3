// show_status / show_peers / show_links / show_connections / show_transports
// built from snapshot structs filled with the fixture scenario's values must
// reproduce the fixture wire lines byte for byte (and fipsctl's output).
#include <gtest/gtest.h>

#include "control/json_out.h"
#include "control/queries.h"
#include "control_test_util.h"

namespace fips {
namespace {

constexpr uint64_t kNow = 1767225600000;
constexpr uint64_t kUptime = 3600;
constexpr uint64_t kStarted = kNow - kUptime * 1000;

// Scenario identities (tests/vectors/control/identities.txt).
constexpr const char* kA_npub = "npub1wkf24dw5xcvdmgflhfc78xfu6agh5ufd8kjfvexqdmsm60glwzhsrwzzla";
constexpr const char* kA_addr = "dfc8d72edbd5fab7902ff4398abfdb64";
constexpr const char* kA_ipv6 = "fddf:c8d7:2edb:d5fa:b790:2ff4:398a:bfdb";
constexpr const char* kB_npub = "npub194hlyn0ulmwu42emr8ktdfuhjdl4chfaxuaemurwc6z5jmg82s3s4ukcj9";
constexpr const char* kB_addr = "353f7b543b42fc70980ee332e3fde5c9";
constexpr const char* kB_ipv6 = "fd35:3f7b:543b:42fc:7098:ee3:32e3:fde5";
constexpr const char* kC_npub = "npub1a3k5nxh064qwjq6h7yqy5ymqf8gl0h66mxwyf3rw8m2pd8jq4jmq4hfuaa";
constexpr const char* kC_addr = "70ab8c8f23cee388165c97737be4c5f8";
constexpr const char* kC_ipv6 = "fd70:ab8c:8f23:cee3:8816:5c97:737b:e4c5";
constexpr const char* kE_npub = "npub1qkz03k5ysqxez6p0y2wnwnd5ean4hdmjzzxmjgqd7enad2n7vatss2uv9a";

void expect_fixture(const nlohmann::json& data, const std::string& name) {
  EXPECT_EQ(ok_response_line(data), test::control_fixture(name + ".wire.json")) << name;
  EXPECT_EQ(json_pretty(data) + "\n", test::control_fixture(name + ".fipsctl.txt")) << name;
}


double link_cost(const MmpSnapshot& m) {
  return m.etx * (1.0 + *m.srtt_ms / 100.0);
}

TEST(ControlQueries, ShowPeersGolden) {
  PeerSnapshot b;
  b.node_addr = kB_addr;
  b.npub = kB_npub;
  b.display_name = "node-b";
  b.ipv6_addr = kB_ipv6;
  b.link_id = 1;
  b.authenticated_at_ms = kStarted + 412;
  b.last_seen_ms = kNow - 180;
  b.has_tree_position = true;
  b.has_bloom_filter = true;
  b.filter_sequence = 9;
  b.is_parent = true;
  b.transport_addr = "198.51.100.7:2121";
  b.direction = "outbound";
  b.transport_type = "udp";
  b.tree_depth = 0;
  b.mmp = test::mmp_snapshot(23.417, 1.0, 0.998, 1.002004008016032, 18342.5, 0.0013, 1.0031);
  b.effective_depth = 0 + link_cost(*b.mmp);
  b.stats = {11873410, 9120334, 51977, 48211};
  b.noise = std::pair<uint64_t, uint64_t>{1902, 1873};
  b.our_session_index = format_session_index(0x3f2a9c01);
  b.current_k_bit = true;

  PeerSnapshot c;
  c.node_addr = kC_addr;
  c.npub = kC_npub;
  c.display_name = "npub1a3k5...fuaa";
  c.ipv6_addr = kC_ipv6;
  c.link_id = 3;
  c.authenticated_at_ms = kNow - 1250000;
  c.last_seen_ms = kNow - 950;
  c.has_tree_position = true;
  c.has_bloom_filter = true;
  c.filter_sequence = 4;
  c.is_child = true;
  c.transport_addr = "203.0.113.45:51234";
  c.direction = "inbound";
  c.transport_type = "tcp";
  c.tree_depth = 2;
  c.mmp = test::mmp_snapshot(41.25, 0.98, 0.99, 1.0306122448979591, 5120.0, 0.0197, 1.027);
  c.effective_depth = 2 + link_cost(*c.mmp);
  c.stats = {998120, 1204411, 6988, 7310};
  c.replay_suppressed = 2;
  c.noise = std::pair<uint64_t, uint64_t>{398, 411};
  c.our_session_index = format_session_index(0xb7e4);
  c.rekey_in_progress = true;

  expect_fixture(show_peers_data({b, c}), "show_peers");
}

TEST(ControlQueries, PeerOptionalAndNullableFields) {
  PeerSnapshot p;  // fresh peer: no link, no coords, no noise, no MMP
  p.nostr_traversal.consecutive_failures = 3;
  p.nostr_traversal.cooldown_until_ms = 42;
  p.nostr_traversal.last_observed_skew_ms = -7;
  p.rekey_draining = true;
  const nlohmann::json j = peer_json(p);
  for (const char* absent : {"direction", "transport_addr", "transport_type", "tree_depth", "noise",
                             "our_session_index", "mmp", "rekey_in_progress"})
    EXPECT_FALSE(j.contains(absent)) << absent;
  EXPECT_TRUE(j.at("effective_depth").is_null());
  EXPECT_EQ(j.at("rekey_draining"), true);
  EXPECT_EQ(json_compact(j.at("nostr_traversal")),
            R"({"consecutive_failures":3,"cooldown_until_ms":42,"in_cooldown":true,)"
            R"("last_observed_skew_ms":-7})");
  EXPECT_EQ(format_session_index(0), "00000000");
  EXPECT_EQ(format_session_index(0xffffffff), "ffffffff");

  MmpSnapshot m;  // no SRTT: no srtt_ms, no lqi; floats stay floats
  m.smoothed_etx = 1.5;
  EXPECT_EQ(json_compact(link_mmp_json(m)),
            R"({"delivery_ratio_forward":1.0,"delivery_ratio_reverse":1.0,"etx":1.0,)"
            R"("goodput_bps":0.0,"loss_rate":0.0,"mode":"full","smoothed_etx":1.5})");
}

TEST(ControlQueries, ShowLinksGolden) {
  LinkSnapshot l1;
  l1.link_id = 1;
  l1.transport_id = 1;
  l1.remote_addr = "198.51.100.7:2121";
  l1.direction = "outbound";
  l1.state = "connected";
  LinkSnapshot l3;
  l3.link_id = 3;
  l3.transport_id = 2;
  l3.remote_addr = "203.0.113.45:51234";
  l3.direction = "inbound";
  l3.state = "connected";
  expect_fixture(show_links_data({l1, l3}), "show_links");
}

TEST(ControlQueries, ShowConnectionsGolden) {
  ConnectionSnapshot c;
  c.link_id = 4;
  c.direction = "outbound";
  c.handshake_state = "sent_msg1";
  c.started_at_ms = kNow - 7000;
  c.idle_ms = 3000;
  c.resend_count = 2;
  c.expected_peer = kE_npub;
  expect_fixture(show_connections_data({c}), "show_connections");

  ConnectionSnapshot inbound;  // expected_peer unknown: key omitted
  inbound.direction = "inbound";
  inbound.handshake_state = "received_msg1";
  EXPECT_FALSE(connection_json(inbound).contains("expected_peer"));
}

// Datagrams too large for the receive buffer are counted in show_transports
// (ours, present only when non-zero so the reference's shape is kept).
TEST(ControlQueries, ShowTransportsCountsTruncatedDatagramsWhenThereAreAny) {
  TransportSnapshot udp;
  udp.transport_id = 1;
  udp.type = "udp";
  udp.mtu = 1280;
  auto stats = [&] { return show_transports_data({udp})["transports"][0]["stats"]; };
  EXPECT_FALSE(stats().contains("truncated"));
  udp.stats.truncated = 3;
  EXPECT_EQ(stats().at("truncated"), 3);
}

TEST(ControlQueries, ShowTransportsGolden) {
  TransportSnapshot udp;
  udp.transport_id = 1;
  udp.type = "udp";
  udp.mtu = 1280;
  udp.local_addr = "0.0.0.0:2121";
  udp.stats.packets_sent = 48290;
  udp.stats.bytes_sent = 9131877;
  udp.stats.packets_recv = 52010;
  udp.stats.bytes_recv = 11879002;
  udp.stats.queue_full = 5;  // our own counters stay out of the reference schema
  TransportSnapshot tcp;
  tcp.transport_id = 2;
  tcp.type = "tcp";
  tcp.mtu = 1400;
  tcp.local_addr = "0.0.0.0:8443";
  tcp.stats.packets_sent = 7316;
  tcp.stats.bytes_sent = 1205100;
  tcp.stats.packets_recv = 6990;
  tcp.stats.bytes_recv = 998402;
  tcp.stats.connections_accepted = 1;
  tcp.pool_inbound = 1;
  expect_fixture(show_transports_data({udp, tcp}), "show_transports");

  TransportSnapshot named;  // named instance, outbound-only: name present, local_addr absent
  named.type = "tcp";
  named.name = "wan";
  const nlohmann::json j = transport_json(named);
  EXPECT_EQ(j.at("name"), "wan");
  EXPECT_FALSE(j.contains("local_addr"));
}

TEST(ControlQueries, ShowStatusGolden) {
  StatusSnapshot s;
  s.version = "0.5.0-dev (rev a1f57c1e2d)";
  s.npub = kA_npub;
  s.node_addr = kA_addr;
  s.ipv6_addr = kA_ipv6;
  s.state = "running";
  s.peer_count = 2;
  s.session_count = 2;
  s.link_count = 2;
  s.transport_count = 2;
  s.connection_count = 1;
  s.tun_state = "active";
  s.tun_name = "fips0";
  s.effective_ipv6_mtu = 1203;
  s.control_socket = "/run/fips/control.sock";
  s.pid = 4242;
  s.exe_path = "/usr/bin/fips";
  s.uptime_secs = kUptime;
  s.estimated_mesh_size = 5;
  s.persistent = true;
  s.root = kB_addr;
  s.is_root = false;
  s.transport_peer_counts = {{"udp", 1}, {"tcp", 1}};
  // Only the non-zero counters: the rest must print as 0.
  s.forwarding.received_packets = 58965;
  s.forwarding.received_bytes = 12871530;
  s.forwarding.delivered_packets = 40112;
  s.forwarding.delivered_bytes = 9988001;
  s.forwarding.originated_packets = 38020;
  s.forwarding.originated_bytes = 7402213;
  s.forwarding.forwarded_packets = 17501;
  s.forwarding.forwarded_bytes = 2923101;
  s.forwarding.route_direct_peer = 30110;
  s.forwarding.route_tree_up = 20001;
  s.forwarding.route_tree_down = 5410;
  auto repeat = [](std::vector<double> five) {
    std::vector<double> out;
    for (int k = 0; k < 6; ++k) out.insert(out.end(), five.begin(), five.end());
    return out;
  };
  s.sparklines["mesh_size"] = std::vector<double>(30, 5.0);
  s.sparklines["tree_depth"] = std::vector<double>(30, 1.0);
  s.sparklines["peer_count"] = std::vector<double>(30, 2.0);
  s.sparklines["bytes_in"] = repeat({3521.0, 3610.5, 2980.0, 4102.25, 3377.0});
  s.sparklines["bytes_out"] = repeat({2988.0, 3011.75, 2502.0, 3650.5, 2876.0});
  s.sparklines["loss_rate"] = repeat({0.010000000000000009, 0.0, 0.010000000000000009, 0.0, 0.0});
  expect_fixture(show_status_data(s), "show_status");
}

// The reference's empty-node snapshot (volatile values redacted there).
TEST(ControlQueries, ShowStatusEmptyNodeMatchesReferenceSnapshot) {
  StatusSnapshot s;
  s.state = "created";
  s.npub = "npub1sx42mj99aql52aklsg70y2jmr95u7uz2p40k769aw46ppjv302kqkhmu5r";
  s.node_addr = "1b4788b7ab7a436a611fc59fb1e34c6e";
  s.ipv6_addr = "fd1b:4788:b7ab:7a43:6a61:1fc5:9fb1:e34c";
  s.root = s.node_addr;
  s.is_root = true;
  s.effective_ipv6_mtu = 1203;
  nlohmann::json got = show_status_data(s);
  for (const char* k : {"control_socket", "exe_path", "pid", "tun_name", "uptime_secs", "version"})
    got[k] = "<redacted>";
  auto ref = nlohmann::json::parse(test::control_fixture("reference-snapshots/show_status.json"));
  EXPECT_EQ(json_pretty(got), json_pretty(ref["data"]));
  EXPECT_EQ(json_compact(show_peers_data({})), R"({"peers":[]})");
  EXPECT_EQ(json_compact(show_transports_data({})), R"({"transports":[]})");
  EXPECT_EQ(json_compact(show_links_data({})), R"({"links":[]})");
  EXPECT_EQ(json_compact(show_connections_data({})), R"({"connections":[]})");
}

// Ours (issue 9): "inactive_config" appears only when some configured key has
// no effect; every reference field keeps its shape and order around it.
TEST(ControlQueries, ShowStatusListsInactiveConfigOnlyWhenThereIsSome) {
  StatusSnapshot s;
  nlohmann::json plain = show_status_data(s);
  EXPECT_FALSE(plain.contains("inactive_config"));
  s.inactive_config = {"node.rendezvous.nostr.enabled", "transports.tor"};
  nlohmann::json with = show_status_data(s);
  ASSERT_TRUE(with.contains("inactive_config"));
  EXPECT_EQ(json_compact(with["inactive_config"]),
            R"(["node.rendezvous.nostr.enabled","transports.tor"])");
  with.erase("inactive_config");
  EXPECT_EQ(json_compact(with), json_compact(plain));
}

}  // namespace
}  // namespace fips
