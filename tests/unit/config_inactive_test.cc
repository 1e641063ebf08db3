// inactive_config(): keys accepted but without effect are reported only when
// the operator set them to a value that would enable or change something;
// defaults and explicit "off" values are not.
#include <algorithm>

#include "config/inactive.h"
#include "config/load.h"
#include "test_util.h"

namespace fips {
namespace {

const char* kNpubA = "npub1rwzv24nmzfjypx2a8m264ws9vht3uxp5vpypnluuzl67n4waq78suk0wul";

Config valid(const std::string& yaml) {
  auto r = parse_config_string(yaml, "test.yaml");
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error()) << "\n--- yaml:\n" << yaml;
  if (!r.ok()) return Config{};
  Config c = *r;
  auto v = validate_config(c);
  EXPECT_TRUE(v.ok()) << (v.ok() ? "" : v.error()) << "\n--- yaml:\n" << yaml;
  return c;
}

std::vector<std::string> keys(const std::string& yaml) {
  std::vector<std::string> out;
  for (const InactiveKey& k : inactive_config(valid(yaml))) out.push_back(k.key);
  return out;
}

TEST(ConfigInactive, DefaultConfigHasNone) {
  EXPECT_TRUE(inactive_config(Config{}).empty());
  EXPECT_TRUE(keys("transports: {udp: {bind_addr: \"0.0.0.0:2121\"}}").empty());
  // What the daemon does with no file at all.
  Config none;
  none.udp.emplace_back();
  EXPECT_TRUE(inactive_config(none).empty());
}

TEST(ConfigInactive, NostrDiscoveryEnabledIsReportedWithAWarning) {
  const std::string yaml = "node:\n  rendezvous:\n    nostr:\n      enabled: true\n";
  Config c = valid(yaml);
  auto k = inactive_config(c);
  ASSERT_EQ(k.size(), 1u);
  EXPECT_EQ(k[0].key, "node.rendezvous.nostr.enabled");
  const std::string w = inactive_warning(k[0]);
  EXPECT_EQ(w.rfind("node.rendezvous.nostr.enabled: ", 0), 0u) << w;
  EXPECT_NE(w.find("has no effect in this version"), std::string::npos) << w;
  // The legacy spelling lands on the same key (and its warning names it).
  k = inactive_config(valid("node:\n  discovery:\n    nostr:\n      enabled: true\n"));
  ASSERT_EQ(k.size(), 1u);
  EXPECT_EQ(k[0].key, "node.rendezvous.nostr.enabled");
  EXPECT_NE(inactive_warning(k[0]).find("node.discovery.nostr.enabled"), std::string::npos);
}

TEST(ConfigInactive, ExplicitlyDisabledOrDefaultValuesAreNotReported) {
  EXPECT_TRUE(keys("node:\n"
                   "  rendezvous: {nostr: {enabled: false}, lan: {enabled: false}}\n"
                   "  native_api: {enabled: false}\n"
                   "  mmp: {mode: full, log_interval_secs: 30, owd_window_size: 32}\n"
                   "  ecn: {enabled: true, loss_threshold: 0.05, etx_threshold: 3.0}\n"
                   "  buffers: {packet_channel: 1024}\n"
                   "  tick_interval_secs: 1\n"
                   "transports:\n"
                   "  udp: {advertise_on_nostr: false, public: false}\n")
                  .empty());
}

TEST(ConfigInactive, EveryInertKeyIsNamed) {
  const std::string yaml = std::string(
                               "node:\n"
                               "  tick_interval_secs: 2\n"
                               "  base_rtt_ms: 50\n"
                               "  limits: {max_pending_inbound: 10}\n"
                               "  retry: {max_retries: 0}\n"
                               "  mmp: {mode: lightweight, log_interval_secs: 5, owd_window_size: 8}\n"
                               "  session_mmp: {mode: minimal}\n"
                               "  ecn: {enabled: false, loss_threshold: 0.1, etx_threshold: 2.0}\n"
                               "  buffers: {packet_channel: 10, tun_channel: 10, dns_channel: 10}\n"
                               "  native_api: {enabled: true}\n"
                               "  rendezvous: {nostr: {enabled: true}, lan: {enabled: true}}\n"
                               "transports:\n"
                               "  udp:\n"
                               "    main: {advertise_on_nostr: true, public: true, "
                               "external_addr: \"198.51.100.1:2121\"}\n"
                               "  tcp: {bind_addr: \"0.0.0.0:8443\", advertise_on_nostr: true}\n"
                               "  tor: {mode: socks5}\n"
                               "  ble: {}\n"
                               "peers:\n"
                               "  - npub: ") +
                           kNpubA +
                           "\n"
                           "    via_nostr: true\n"
                           "    addresses: [{transport: udp, addr: \"192.0.2.1:2121\"}]\n"
                           "gateway: {enabled: true, pool: \"fd01::/112\", lan_interface: eth0}\n";
  const std::vector<std::string> want = {
      "node.tick_interval_secs",
      "node.base_rtt_ms",
      "node.limits.max_pending_inbound",
      "node.retry.max_retries",
      "node.buffers.packet_channel",
      "node.buffers.tun_channel",
      "node.buffers.dns_channel",
      "node.native_api.enabled",
      "node.rendezvous.nostr.enabled",
      "node.rendezvous.lan.enabled",
      "transports.udp.main.advertise_on_nostr",
      "transports.udp.main.public",
      "transports.udp.main.external_addr",
      "transports.tcp.advertise_on_nostr",
      "transports.tor",
      "transports.ble",
      "peers[0].via_nostr",
      "gateway.enabled",
  };
  EXPECT_EQ(keys(yaml), want);
}

TEST(ConfigInactive, UnsupportedTransportWarnsOnceNotTwice) {
  // The parser no longer warns about the section itself; inactive_config()
  // is the one place that does (the daemon logs it once).
  Config c = valid("transports: {udp: {}, ethernet: {interface: eth0}}");
  for (const std::string& w : c.warnings) EXPECT_EQ(w.find("ethernet"), std::string::npos) << w;
  auto k = inactive_config(c);
  ASSERT_EQ(k.size(), 1u);
  EXPECT_EQ(k[0].key, "transports.ethernet");
}

TEST(ConfigInactive, GatewayPresentButDisabledIsNotReported) {
  EXPECT_TRUE(keys("gateway: {enabled: false, pool: \"fd01::/112\", lan_interface: eth0}\n").empty());
}

}  // namespace
}  // namespace fips
