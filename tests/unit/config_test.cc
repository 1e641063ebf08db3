// fips.yaml parsing and validation: the reference's defaults, serde_yaml's
// scalar rules, unknown keys as warnings with the full path, single vs named
// transport instances, and one test per validation rule checking that the
// message names the key. Files, the cascade, identity and robustness are in
// config_files_test.cc.
#include <algorithm>
#include <cmath>

#include "config/load.h"
#include "config/peer_addresses.h"
#include "identity/identity.h"
#include "test_util.h"

namespace fips {
namespace {

const char* kNpubA = "npub1rwzv24nmzfjypx2a8m264ws9vht3uxp5vpypnluuzl67n4waq78suk0wul";

Config parse_ok(const std::string& yaml) {
  auto r = parse_config_string(yaml, "test.yaml");
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error()) << "\n--- yaml:\n" << yaml;
  return r.ok() ? *r : Config{};
}

std::string parse_err(const std::string& yaml) {
  auto r = parse_config_string(yaml, "test.yaml");
  EXPECT_FALSE(r.ok()) << "expected a parse error for:\n" << yaml;
  return r.ok() ? std::string() : r.error();
}

void valid(const std::string& yaml) {
  Config c = parse_ok(yaml);
  auto v = validate_config(c);
  EXPECT_TRUE(v.ok()) << (v.ok() ? "" : v.error()) << "\n--- yaml:\n" << yaml;
}

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool any_contains(const std::vector<std::string>& v, const std::string& s) {
  return std::any_of(v.begin(), v.end(),
                     [&](const std::string& x) { return x.find(s) != std::string::npos; });
}

// ---- defaults ---------------------------------------------------------------

TEST(ConfigDefaults, MatchTheReference) {
  Config c;
  EXPECT_FALSE(c.node.nsec);
  EXPECT_FALSE(c.node.persistent);
  EXPECT_FALSE(c.node.leaf_only);
  EXPECT_EQ(c.node.tick_interval_secs, 1u);
  EXPECT_EQ(c.node.base_rtt_ms, 100u);
  EXPECT_EQ(c.node.heartbeat_interval_secs, 10u);
  EXPECT_EQ(c.node.link_dead_timeout_secs, 30u);
  EXPECT_EQ(c.node.drain_timeout_secs, 2u);
  EXPECT_FALSE(c.node.log_level);
  EXPECT_EQ(c.node.limits.max_connections, 256u);
  EXPECT_EQ(c.node.limits.max_peers, 128u);
  EXPECT_EQ(c.node.limits.max_links, 256u);
  EXPECT_EQ(c.node.limits.max_pending_inbound, 1000u);
  EXPECT_EQ(c.node.rate_limit.handshake_burst, 100u);
  EXPECT_EQ(c.node.rate_limit.handshake_rate, 10.0);
  EXPECT_EQ(c.node.rate_limit.handshake_timeout_secs, 30u);
  EXPECT_EQ(c.node.rate_limit.handshake_resend_interval_ms, 1000u);
  EXPECT_EQ(c.node.rate_limit.handshake_resend_backoff, 2.0);
  EXPECT_EQ(c.node.rate_limit.handshake_max_resends, 5u);
  EXPECT_FALSE(c.node.rate_limit.established_handshake_burst);
  EXPECT_FALSE(c.node.rate_limit.established_handshake_rate);
  EXPECT_EQ(c.node.rate_limit.session_setup_burst, 64u);
  EXPECT_EQ(c.node.rate_limit.session_setup_rate, 16.0);
  EXPECT_EQ(c.node.retry.max_retries, 5u);
  EXPECT_EQ(c.node.retry.base_interval_secs, 5u);
  EXPECT_EQ(c.node.retry.max_backoff_secs, 300u);
  EXPECT_TRUE(c.node.rekey.enabled);
  EXPECT_EQ(c.node.rekey.after_secs, 120u);
  EXPECT_EQ(c.node.rekey.after_messages, 65536u);
  EXPECT_TRUE(c.node.control.enabled);
  EXPECT_EQ(c.node.cache.coord_size, 50000u);
  EXPECT_EQ(c.node.cache.coord_ttl_secs, 300u);
  EXPECT_EQ(c.node.cache.identity_size, 10000u);
  EXPECT_EQ(c.node.lookup.ttl, 64u);
  EXPECT_EQ(c.node.lookup.attempt_timeouts_secs, (std::vector<uint64_t>{1, 2, 4, 8}));
  EXPECT_EQ(c.node.lookup.recent_expiry_secs, 10u);
  EXPECT_EQ(c.node.lookup.forward_min_interval_secs, 2u);
  EXPECT_EQ(c.node.tree.announce_min_interval_ms, 500u);
  EXPECT_EQ(c.node.tree.parent_hysteresis, 0.2);
  EXPECT_EQ(c.node.tree.flap_threshold, 4u);
  EXPECT_EQ(c.node.bloom.max_inbound_fpr, 0.20);
  EXPECT_EQ(c.node.session.default_ttl, 64u);
  EXPECT_EQ(c.node.session.coords_warmup_packets, 5u);
  EXPECT_EQ(c.node.mmp.mode, MmpMode::kFull);
  EXPECT_EQ(c.node.mmp.owd_window_size, 32u);
  EXPECT_TRUE(c.node.ecn.enabled);
  EXPECT_EQ(c.node.ecn.loss_threshold, 0.05);
  EXPECT_EQ(c.node.buffers.packet_channel, 1024u);
  EXPECT_EQ(c.node.buffers.dns_channel, 64u);
  EXPECT_EQ(c.node.native_api.pending_per_flow, 16u);
  EXPECT_EQ(c.node.native_api.backlog, 16u);
  EXPECT_FALSE(c.node.rendezvous.nostr.enabled);
  EXPECT_EQ(c.node.rendezvous.nostr.signal_ttl_secs, 120u);
  EXPECT_EQ(c.node.rendezvous.nostr.replay_window_secs, 300u);
  EXPECT_EQ(c.node.rendezvous.nostr.max_concurrent_offers_per_npub, 4u);
  EXPECT_EQ(c.node.rendezvous.nostr.policy, NostrPolicy::kConfiguredOnly);
  EXPECT_EQ(c.node.rendezvous.lan.service_type, "_fips._udp.local.");
  EXPECT_FALSE(c.tun.enabled);
  EXPECT_EQ(c.tun.name, "fips0");
  EXPECT_EQ(c.tun.mtu, 1280u);
  EXPECT_TRUE(c.dns.enabled);
  EXPECT_EQ(c.dns.bind_addr, "::1");
  EXPECT_EQ(c.dns.port, 5354u);
  EXPECT_EQ(c.dns.ttl, 300u);
  EXPECT_TRUE(c.udp.empty());  // the reference: no transport unless configured
  EXPECT_TRUE(c.tcp.empty());
  EXPECT_TRUE(c.peers.empty());
  UdpTransportConfig u;
  EXPECT_EQ(u.bind_addr, "0.0.0.0:2121");
  EXPECT_EQ(u.mtu, 1280u);
  EXPECT_EQ(u.recv_buf_size, 2097152u);
  EXPECT_TRUE(u.accept_connections);
  TcpTransportConfig t;
  EXPECT_FALSE(t.bind_addr);
  EXPECT_EQ(t.mtu, 1400u);
  EXPECT_EQ(t.connect_timeout_ms, 5000u);
  EXPECT_EQ(t.keepalive_secs, 30u);
  PeerConfig p;
  EXPECT_EQ(p.connect_policy, ConnectPolicy::kAutoConnect);
  EXPECT_TRUE(p.auto_reconnect);
  EXPECT_EQ(PeerAddressConfig{}.priority, 100u);
}

TEST(ConfigParse, EmptyDocumentsGiveDefaults) {
  for (const char* y : {"", "# just a comment\n", "---\n", "node:\n", "node: ~\ntun:\npeers:\n"}) {
    Config c = parse_ok(y);
    EXPECT_EQ(c.node.limits.max_peers, 128u) << y;
    EXPECT_TRUE(c.peers.empty()) << y;
    EXPECT_TRUE(c.unknown_keys.empty()) << y;
    valid(y);
  }
}

TEST(ConfigParse, SpecExampleConfig) {
  std::string y = R"(node:
  identity: { persistent: true }
  control: { socket_path: /tmp/fips-test/control.sock }
  log_level: debug
  limits: { max_peers: 7 }
transports:
  udp: { bind_addr: "127.0.0.1:2121" }
  tcp: { bind_addr: "127.0.0.1:8443" }
dns: { enabled: false }
peers:
  - npub: )" + std::string(kNpubA) +
                  R"(
    alias: node-b
    addresses: [ { transport: udp, addr: "127.0.0.1:2122", priority: 5 } ]
    connect_policy: on_demand
)";
  Config c = parse_ok(y);
  EXPECT_TRUE(c.node.persistent);
  EXPECT_EQ(c.node.control.socket_path, "/tmp/fips-test/control.sock");
  EXPECT_EQ(c.node.log_level, "debug");
  EXPECT_EQ(c.node.limits.max_peers, 7u);
  ASSERT_EQ(c.udp.size(), 1u);
  EXPECT_EQ(c.udp[0].bind_addr, "127.0.0.1:2121");
  ASSERT_EQ(c.tcp.size(), 1u);
  EXPECT_EQ(c.tcp[0].bind_addr, "127.0.0.1:8443");
  EXPECT_FALSE(c.dns.enabled);
  ASSERT_EQ(c.peers.size(), 1u);
  EXPECT_EQ(c.peers[0].alias, "node-b");
  EXPECT_EQ(c.peers[0].connect_policy, ConnectPolicy::kOnDemand);
  ASSERT_EQ(c.peers[0].addresses.size(), 1u);
  EXPECT_EQ(c.peers[0].addresses[0].addr, "127.0.0.1:2122");
  EXPECT_EQ(c.peers[0].addresses[0].priority, 5u);
  EXPECT_TRUE(c.unknown_keys.empty());
  valid(y);
}

// ---- scalar rules -----------------------------------------------------------

TEST(ConfigScalars, IntegerForms) {
  EXPECT_EQ(parse_ok("tun: {mtu: 0x500}").tun.mtu, 1280u);
  EXPECT_EQ(parse_ok("tun: {mtu: 0o2400}").tun.mtu, 1280u);
  EXPECT_EQ(parse_ok("tun: {mtu: 0b10100000000}").tun.mtu, 1280u);
  EXPECT_EQ(parse_ok("tun: {mtu: +1400}").tun.mtu, 1400u);
  EXPECT_EQ(parse_ok("node: {retry: {max_backoff_secs: 18446744073709551615}}")
                .node.retry.max_backoff_secs,
            UINT64_MAX);
}

TEST(ConfigScalars, IntegerErrorsNameTheKey) {
  EXPECT_EQ(parse_err("transports:\n  udp:\n    mtu: abc\n"),
            "transports.udp.mtu: expected an integer 0..65535, got \"abc\" at line 3 column 10");
  EXPECT_EQ(parse_err("tun: {mtu: 70000}"),
            "tun.mtu: expected an integer 0..65535, got 70000 at line 1 column 12");
  EXPECT_NE(parse_err("node: {retry: {max_retries: -1}}")
                .find("node.retry.max_retries: expected an integer 0..4294967295, got -1"),
            std::string::npos);
  std::string quoted = parse_err("tun: {mtu: \"1280\"}");
  EXPECT_NE(quoted.find("tun.mtu: "), std::string::npos) << quoted;
  EXPECT_NE(quoted.find("remove the quotes"), std::string::npos) << quoted;
  EXPECT_NE(parse_err("tun: {mtu: 0123}").find("tun.mtu: "), std::string::npos);
  EXPECT_NE(parse_err("tun: {mtu: 1.5}").find("got 1.5"), std::string::npos);
  EXPECT_NE(
      parse_err("node: {limits: {max_peers: 18446744073709551616}}").find("node.limits.max_peers"),
      std::string::npos);
  EXPECT_NE(
      parse_err("node: {lookup: {ttl: 256}}").find("node.lookup.ttl: expected an integer 0..255"),
      std::string::npos);
}

TEST(ConfigScalars, BoolsAreOnlyTrueAndFalse) {
  EXPECT_TRUE(parse_ok("node: {leaf_only: True}").node.leaf_only);
  EXPECT_TRUE(parse_ok("node: {leaf_only: TRUE}").node.leaf_only);
  EXPECT_FALSE(parse_ok("dns: {enabled: false}").dns.enabled);
  EXPECT_NE(parse_err("node: {leaf_only: yes}")
                .find("node.leaf_only: expected true or false, got \"yes\""),
            std::string::npos);
  EXPECT_NE(parse_err("dns: {enabled: 1}").find("dns.enabled: expected true or false, got 1"),
            std::string::npos);
  EXPECT_NE(parse_err("dns: {enabled: \"true\"}").find("dns.enabled"), std::string::npos);
}

TEST(ConfigScalars, FloatsAcceptIntegersAndYamlSpecials) {
  EXPECT_EQ(parse_ok("node: {rate_limit: {handshake_rate: 10}}").node.rate_limit.handshake_rate,
            10.0);
  EXPECT_EQ(parse_ok("node: {rate_limit: {handshake_rate: 2.5e1}}").node.rate_limit.handshake_rate,
            25.0);
  EXPECT_TRUE(std::isinf(parse_ok("node: {rate_limit: {session_setup_rate: .inf}}")
                             .node.rate_limit.session_setup_rate));
  EXPECT_TRUE(std::isnan(parse_ok("node: {rate_limit: {session_setup_rate: .nan}}")
                             .node.rate_limit.session_setup_rate));
  EXPECT_NE(parse_err("node: {rate_limit: {handshake_rate: fast}}")
                .find("node.rate_limit.handshake_rate: expected a number, got \"fast\""),
            std::string::npos);
  EXPECT_NE(parse_err("node: {rate_limit: {handshake_rate: inf}}").find("handshake_rate"),
            std::string::npos);
}

TEST(ConfigScalars, StringsAcceptAnyPlainScalar) {
  EXPECT_EQ(parse_ok("tun: {name: 123}").tun.name, "123");
  EXPECT_EQ(parse_ok("transports: {udp: {bind_addr: 0.0.0.0:2121}}").udp[0].bind_addr,
            "0.0.0.0:2121");
  EXPECT_NE(parse_err("tun: {name: [a]}").find("tun.name: expected a string, got a list"),
            std::string::npos);
}

TEST(ConfigScalars, NullMeansUnsetOnlyForOptionalKeys) {
  EXPECT_EQ(parse_ok("tun: {mtu: ~}").tun.mtu, 1280u);
  EXPECT_EQ(parse_ok("transports: {udp: {mtu: null}}").udp[0].mtu, 1280u);
  EXPECT_FALSE(parse_ok("node: {identity: {nsec: }}").node.nsec);
  EXPECT_NE(
      parse_err("node: {rekey: {after_secs: ~}}")
          .find("node.rekey.after_secs: expected an integer 0..18446744073709551615, got null"),
      std::string::npos);
}

TEST(ConfigScalars, EnumsUseTheReferenceMessage) {
  EXPECT_EQ(parse_ok("node: {mmp: {mode: lightweight}}").node.mmp.mode, MmpMode::kLightweight);
  EXPECT_EQ(parse_ok("node: {session_mmp: {mode: minimal}}").node.session_mmp.mode,
            MmpMode::kMinimal);
  EXPECT_EQ(parse_err("node:\n  mmp:\n    mode: fast\n"),
            "node.mmp.mode: unknown variant `fast`, expected one of `full`, `lightweight`, "
            "`minimal` at line 3 column 11");
  EXPECT_NE(parse_err("peers: [{npub: x, connect_policy: sometimes}]")
                .find("peers[0].connect_policy: unknown variant `sometimes`, expected one of "
                      "`auto_connect`, `on_demand`, `manual`"),
            std::string::npos);
}

TEST(ConfigParse, StructuralErrors) {
  EXPECT_NE(parse_err("peers: [{alias: x}]").find("peers[0]: missing field `npub`"),
            std::string::npos);
  EXPECT_NE(parse_err("peers: [{npub: x, addresses: [{addr: \"1.2.3.4:1\"}]}]")
                .find("peers[0].addresses[0]: missing field `transport`"),
            std::string::npos);
  EXPECT_NE(parse_err("node: [1, 2]").find("node: expected a map, got a list"), std::string::npos);
  EXPECT_NE(parse_err("peers: {npub: x}").find("peers: expected a list, got a map"),
            std::string::npos);
  EXPECT_NE(parse_err("- 1\n- 2\n").find("top level"), std::string::npos);
  EXPECT_NE(parse_err("just a string").find("top level"), std::string::npos);
  EXPECT_NE(parse_err("a: 1\n---\nb: 2\n").find("more than one document"), std::string::npos);
  EXPECT_NE(parse_err("tun: {mtu: 1}\ntun: {mtu: 2}\n").find("duplicate field `tun`"),
            std::string::npos);
  EXPECT_NE(parse_err("gateway: {lan_interface: eth0}").find("gateway: missing field `pool`"),
            std::string::npos);
}

// ---- unknown keys -----------------------------------------------------------

TEST(ConfigUnknownKeys, AreWarningsWithTheFullPath) {
  std::string y = std::string(R"(
colour: blue
node:
  limits:
    max_peer: 5
  rendezvous:
    nostr:
      enabeld: true
transports:
  udp:
    bindaddr: "0.0.0.0:1"
  wireguard: {}
gateway:
  pool: "fd00::/64"
  lan_interface: eth0
  extra: 1
peers:
  - npub: )") + kNpubA +
                  R"(
    adress: x
    addresses:
      - transport: udp
        addr: "192.0.2.1:2121"
        seen_at_ms: 5
)";
  Config c = parse_ok(y);
  for (const char* k : {"colour", "node.limits.max_peer", "node.rendezvous.nostr.enabeld",
                        "transports.udp.bindaddr", "transports.wireguard", "gateway.extra",
                        "peers[0].adress", "peers[0].addresses[0].seen_at_ms"})
    EXPECT_TRUE(has(c.unknown_keys, k)) << k;
  EXPECT_EQ(c.unknown_keys.size(), 8u);
  EXPECT_TRUE(any_contains(c.warnings,
                           "test.yaml:5:5: unknown key `node.limits.max_peer` ignored "
                           "(did you mean `max_peers`?)"));
  EXPECT_TRUE(any_contains(c.warnings, "(did you mean `enabled`?)"));
  EXPECT_TRUE(any_contains(c.warnings,
                           "unknown key `peers[0].adress` ignored (did you mean "
                           "`addresses`?)"));
  // Known keys next to the unknown ones still apply.
  EXPECT_EQ(c.udp.size(), 1u);
  EXPECT_EQ(c.peers.size(), 1u);
  valid(y);
}

TEST(ConfigUnknownKeys, InsideNamedInstances) {
  Config c = parse_ok("transports:\n  udp:\n    lan: {bindaddr: x}\n    wan: {}\n");
  ASSERT_EQ(c.udp.size(), 2u);
  EXPECT_TRUE(has(c.unknown_keys, "transports.udp.lan.bindaddr"));
}

// ---- transports -------------------------------------------------------------

TEST(ConfigTransports, SingleInstance) {
  Config c = parse_ok(
      "transports:\n  udp:\n    bind_addr: \"0.0.0.0:3000\"\n    mtu: 1400\n"
      "    public: true\n  tcp: {}\n");
  ASSERT_EQ(c.udp.size(), 1u);
  EXPECT_FALSE(c.udp[0].name);
  EXPECT_EQ(c.udp[0].bind_addr, "0.0.0.0:3000");
  EXPECT_EQ(c.udp[0].mtu, 1400u);
  EXPECT_TRUE(c.udp[0].is_public);
  ASSERT_EQ(c.tcp.size(), 1u);
  EXPECT_FALSE(c.tcp[0].name);
  EXPECT_FALSE(c.tcp[0].bind_addr);  // outbound only
}

TEST(ConfigTransports, NamedInstancesInDocumentOrder) {
  Config c = parse_ok(R"(transports:
  udp:
    wan: { bind_addr: "0.0.0.0:2121" }
    lan: { bind_addr: "10.0.0.1:2122", mtu: 1500 }
    spare:
  tcp:
    public: { bind_addr: "0.0.0.0:443" }
)");
  ASSERT_EQ(c.udp.size(), 3u);
  EXPECT_EQ(c.udp[0].name, "wan");
  EXPECT_EQ(c.udp[1].name, "lan");
  EXPECT_EQ(c.udp[1].bind_addr, "10.0.0.1:2122");
  EXPECT_EQ(c.udp[1].mtu, 1500u);
  EXPECT_EQ(c.udp[2].name, "spare");
  EXPECT_EQ(c.udp[2].bind_addr, "0.0.0.0:2121");
  ASSERT_EQ(c.tcp.size(), 1u);
  EXPECT_EQ(c.tcp[0].name, "public");
}

TEST(ConfigTransports, ErrorsInsideNamedInstancesNameTheInstance) {
  EXPECT_NE(parse_err("transports: {udp: {lan: {mtu: abc}}}").find("transports.udp.lan.mtu: "),
            std::string::npos);
  // A field name among the keys makes it a single instance: the nested map is a type error.
  EXPECT_NE(parse_err("transports: {udp: {mtu: {x: 1}}}")
                .find("transports.udp.mtu: expected an integer 0..65535, got a map"),
            std::string::npos);
  EXPECT_NE(parse_err("transports: {udp: [1]}").find("transports.udp: expected a map"),
            std::string::npos);
}

TEST(ConfigTransports, NullSectionIsOneDefaultInstance) {
  Config c = parse_ok("transports:\n  udp:\n");
  ASSERT_EQ(c.udp.size(), 1u);
  EXPECT_EQ(c.udp[0].bind_addr, "0.0.0.0:2121");
  EXPECT_TRUE(any_contains(c.warnings, "transports.udp: empty value"));
}

TEST(ConfigTransports, UnsupportedTypesAreCheckedThenIgnored) {
  Config c = parse_ok("transports: {ethernet: {interface: eth0}, tor: {mode: socks5}}");
  EXPECT_EQ(c.ignored_transports,
            (std::vector<std::string>{"transports.ethernet", "transports.tor"}));
  EXPECT_NE(parse_err("transports: {ethernet: {mtu: 1500}}")
                .find("transports.ethernet: missing field `interface`"),
            std::string::npos);
  EXPECT_NE(parse_err("transports: {ble: {psm: big}}").find("transports.ble.psm: "),
            std::string::npos);
}

TEST(ConfigNode, LegacyDiscoveryBlockIsFoldedIn) {
  Config c = parse_ok(
      "node:\n  lookup: {ttl: 10}\n  discovery:\n    ttl: 20\n"
      "    nostr: {enabled: true}\n");
  EXPECT_EQ(c.node.lookup.ttl, 20u);
  EXPECT_TRUE(c.node.rendezvous.nostr.enabled);
  EXPECT_TRUE(any_contains(c.warnings, "`node.discovery.*` is deprecated"));
}

// peers[].addresses[].priority: lower first, file order among equals (the
// daemon dials in this order; the link layer tries the first four at once).
TEST(ConfigPeers, AddressesByPriorityIsAStableSort) {
  Config c = parse_ok(std::string("peers:\n  - npub: ") + kNpubA +
                      "\n    addresses:\n"
                      "      - {transport: udp, addr: \"192.0.2.1:1\"}\n"
                      "      - {transport: udp, addr: \"192.0.2.2:1\", priority: 5}\n"
                      "      - {transport: tcp, addr: \"192.0.2.3:1\", priority: 100}\n"
                      "      - {transport: udp, addr: \"192.0.2.4:1\", priority: 5}\n"
                      "      - {transport: udp, addr: \"192.0.2.5:1\", priority: 0}\n");
  ASSERT_EQ(c.peers.size(), 1u);
  std::vector<std::string> got;
  for (const PeerAddressConfig* a : addresses_by_priority(c.peers[0])) got.push_back(a->addr);
  EXPECT_EQ(got, (std::vector<std::string>{"192.0.2.5:1", "192.0.2.2:1", "192.0.2.4:1",
                                           "192.0.2.1:1", "192.0.2.3:1"}));
  EXPECT_TRUE(addresses_by_priority(PeerConfig{}).empty());
}

}  // namespace
}  // namespace fips
